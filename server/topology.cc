#include "server/topology.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace strata::server {

Topology DefaultTopology(const std::string& data_dir) {
  PoolSpec pool;
  pool.name = "hot";
  SetSpec set;
  for (int i = 1; i <= 6; ++i) {
    std::string drive = "drive" + std::to_string(i);
    set.drives.push_back({"hot/" + drive, data_dir + "/hot/" + drive});
  }
  pool.sets.push_back(std::move(set));
  return Topology{{std::move(pool)}};
}

Result<Topology> ParseTopology(std::string_view text, const std::string& data_dir) {
  auto bad = [](std::string what) { return Status(Code::kInvalidArgument, "config: " + what); };
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  if (!doc.contains("pools") || !doc["pools"].is_array() || doc["pools"].empty()) {
    return bad("\"pools\" must be a non-empty array");
  }
  Topology topo;
  std::set<std::string> paths, pool_names;
  for (const auto& p : doc["pools"]) {
    if (!p.is_object()) return bad("a pool must be an object");
    PoolSpec pool;
    if (!p.contains("name") || !p["name"].is_string()) return bad("pool without a name");
    pool.name = p["name"].get<std::string>();
    if (pool.name.empty() || pool.name.find('/') != std::string::npos) return bad("bad pool name");
    if (!pool_names.insert(pool.name).second) return bad("duplicate pool " + pool.name);
    if (!p.contains("data") || !p["data"].is_number_integer() || !p.contains("parity") ||
        !p["parity"].is_number_integer()) {
      return bad("pool " + pool.name + ": \"data\" and \"parity\" must be integers");
    }
    pool.data = p["data"].get<int>();
    pool.parity = p["parity"].get<int>();
    if (pool.data < 1 || pool.data > 16 || pool.parity < 0 || pool.parity > 16 ||
        pool.parity > pool.data) {
      return bad("pool " + pool.name + ": need 1 <= data <= 16 and 0 <= parity <= data");
    }
    if (!p.contains("sets") || !p["sets"].is_array() || p["sets"].empty()) {
      return bad("pool " + pool.name + ": \"sets\" must be a non-empty array");
    }
    int set_index = 0;
    for (const auto& s : p["sets"]) {
      if (!s.is_array() || static_cast<int>(s.size()) != pool.data + pool.parity) {
        return bad("pool " + pool.name + ": every set must list data + parity drives");
      }
      SetSpec set;
      int drive_index = 0;
      for (const auto& d : s) {
        if (!d.is_string() || d.get<std::string>().empty()) return bad("a drive must be a path");
        std::string path = d.get<std::string>();
        if (path.front() != '/') path = data_dir + "/" + path;
        path = std::filesystem::path(path).lexically_normal().string();
        if (!paths.insert(path).second) return bad("drive listed twice: " + path);
        std::string name = pool.name + "/set" + std::to_string(set_index + 1) + "/drive" +
                           std::to_string(++drive_index);
        set.drives.push_back({name, path});
      }
      ++set_index;
      pool.sets.push_back(std::move(set));
    }
    topo.pools.push_back(std::move(pool));
  }
  return topo;
}

Result<Topology> LoadTopology(const std::string& file, const std::string& data_dir) {
  std::ifstream in(file);
  if (!in) return Status(Code::kInvalidArgument, "cannot read config file " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > (1 << 20)) return Status(Code::kInvalidArgument, "config file too large");
  return ParseTopology(ss.str(), data_dir);
}

}  // namespace strata::server
