#include "server/topology.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace strata::server {

std::map<std::string, std::string> DefaultStorageClasses(const std::vector<PoolSpec>& pools) {
  std::map<std::string, std::string> out;
  if (pools.empty()) return out;
  const std::string& hot = pools.front().name;
  const std::string& cold = pools.size() > 1 ? pools[1].name : hot;
  for (const char* c : {"STANDARD", "REDUCED_REDUNDANCY"}) out[c] = hot;
  for (const char* c : {"STANDARD_IA", "GLACIER_IR", "GLACIER"}) out[c] = cold;
  return out;
}

Topology DefaultTopology(const std::string& data_dir) {
  Topology topo;
  for (const char* name : {"hot", "cold"}) {
    PoolSpec pool;
    pool.name = name;
    SetSpec set;
    for (int i = 1; i <= 6; ++i) {
      std::string drive = "drive" + std::to_string(i);
      set.drives.push_back({pool.name + "/" + drive, data_dir + "/" + pool.name + "/" + drive});
    }
    pool.sets.push_back(std::move(set));
    topo.pools.push_back(std::move(pool));
  }
  topo.storage_classes = DefaultStorageClasses(topo.pools);
  return topo;
}

Result<Topology> ParseTopology(std::string_view text, const std::string& data_dir) {
  auto bad = [](std::string what) { return Status(Code::kInvalidArgument, "config: " + what); };
  // The JSON parser stops at a NUL byte; anything after it would be ignored.
  if (text.find('\0') != std::string_view::npos) return bad("NUL byte in the document");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  if (!doc.contains("pools") || !doc["pools"].is_array() || doc["pools"].empty()) {
    return bad("\"pools\" must be a non-empty array");
  }
  Topology topo;
  std::set<std::string> paths, pool_names;
  if (doc.contains("nodes")) {
    const auto& nodes = doc["nodes"];
    if (!nodes.is_object() || nodes.empty()) return bad("\"nodes\" must be a non-empty object");
    for (const auto& [name, spec] : nodes.items()) {
      bool name_ok = !name.empty() && name.size() <= 64 &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") ==
                         std::string::npos;
      if (!name_ok) return bad("node names are a-z, 0-9, '-', '_' and '.': " + name);
      if (!spec.is_object() || !spec.contains("address") || !spec["address"].is_string()) {
        return bad("node " + name + " needs an \"address\" (host:port)");
      }
      NodeSpec node{name, spec["address"].get<std::string>(), false};
      size_t colon = node.address.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == node.address.size()) {
        return bad("node " + name + ": address must be host:port");
      }
      if (spec.contains("tls")) {
        if (!spec["tls"].is_boolean()) return bad("node " + name + ": \"tls\" is true or false");
        node.tls = spec["tls"].get<bool>();
      }
      topo.nodes.push_back(std::move(node));
    }
  }
  for (const auto& p : doc["pools"]) {
    if (!p.is_object()) return bad("a pool must be an object");
    PoolSpec pool;
    if (!p.contains("name") || !p["name"].is_string()) return bad("pool without a name");
    pool.name = p["name"].get<std::string>();
    if (pool.name.empty() || pool.name.find_first_of(std::string_view("/\0", 2)) !=
                                 std::string::npos) {
      return bad("bad pool name");
    }
    if (!pool_names.insert(pool.name).second) return bad("duplicate pool " + pool.name);
    if (!p.contains("data") || !p["data"].is_number_integer() || !p.contains("parity") ||
        !p["parity"].is_number_integer()) {
      return bad("pool " + pool.name + ": \"data\" and \"parity\" must be integers");
    }
    // Read as 64-bit (get<int> would truncate 2^32 + 4 to 4), then range-check.
    const auto data = p["data"].is_number_unsigned() ? 
        static_cast<int64_t>(std::min<uint64_t>(p["data"].get<uint64_t>(), 1u << 20))
        : p["data"].get<int64_t>();
    const auto parity = p["parity"].is_number_unsigned() ?
        static_cast<int64_t>(std::min<uint64_t>(p["parity"].get<uint64_t>(), 1u << 20))
        : p["parity"].get<int64_t>();
    if (data < 1 || data > 16 || parity < 0 || parity > 16 || parity > data) {
      return bad("pool " + pool.name + ": need 1 <= data <= 16 and 0 <= parity <= data");
    }
    pool.data = static_cast<int>(data);
    pool.parity = static_cast<int>(parity);
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
        if (path.find('\0') != std::string::npos) return bad("NUL byte in a drive path");
        // With nodes, every drive is "NODE:PATH" (PATH relative to that
        // node's own data directory); without, a local path.
        std::string node;
        if (!topo.nodes.empty()) {
          size_t colon = path.find(':');
          if (colon == std::string::npos || colon == 0 || colon + 1 == path.size()) {
            return bad("a drive of a cluster is NODE:PATH: " + path);
          }
          node = path.substr(0, colon);
          path = path.substr(colon + 1);
          bool known = std::any_of(topo.nodes.begin(), topo.nodes.end(),
                                   [&](const NodeSpec& n) { return n.name == node; });
          if (!known) return bad("drive " + path + " names an unknown node " + node);
        }
        if (path.front() != '/') path = data_dir + "/" + path;
        // One spelling per folder: "/d/a1", "/d/a1/" and "/d/a1/." are one drive.
        path = std::filesystem::path(path).lexically_normal().string();
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        if (!paths.insert(node + ":" + path).second) return bad("drive listed twice: " + path);
        std::string name = pool.name + "/set" + std::to_string(set_index + 1) + "/drive" +
                           std::to_string(++drive_index);
        set.drives.push_back({name, path, node});
      }
      ++set_index;
      pool.sets.push_back(std::move(set));
    }
    topo.pools.push_back(std::move(pool));
  }
  topo.storage_classes = DefaultStorageClasses(topo.pools);
  if (doc.contains("storage_classes")) {
    const auto& classes = doc["storage_classes"];
    if (!classes.is_object()) return bad("\"storage_classes\" must be an object");
    topo.storage_classes.clear();
    for (const auto& [cls, pool] : classes.items()) {
      bool name_ok = !cls.empty() && cls.size() <= 64 &&
                     cls.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                         std::string::npos;
      if (!name_ok) return bad("storage class names are A-Z, 0-9 and _: " + cls);
      if (!pool.is_string() || !pool_names.contains(pool.get<std::string>())) {
        return bad("storage class " + cls + " names no pool of this topology");
      }
      topo.storage_classes[cls] = pool.get<std::string>();
    }
    if (!topo.storage_classes.contains("STANDARD")) {
      return bad("\"storage_classes\" must map STANDARD");
    }
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
