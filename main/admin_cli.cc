// `strata admin`: the operator's client for the admin API (gateway/
// admin_service.h). Every request is signed with SigV4 (service "strata") by
// the root credentials from STRATA_ACCESS_KEY / STRATA_SECRET_KEY, the body's
// SHA-256 included; the secret itself never crosses the wire.
//
// Exit status: 0 done, 1 the server refused or could not be reached, 2 bad
// usage or missing credentials.
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/timefmt.h"
#include "gateway/auth.h"
#include "gateway/sigv4.h"
#include "gateway/uri.h"
#include "main/commands.h"

namespace strata {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

int Usage(const std::string& why = "") {
  if (!why.empty()) std::cerr << "strata admin: " << why << "\n";
  std::cerr
      << "usage: strata admin [--endpoint URL] [--ca-bundle FILE] [--json] COMMAND\n"
         "  status                         pools, erasure sets, drives, capacity and usage\n"
         "  user add NAME [--policy readwrite|readonly] [--access-key K --secret-key S]\n"
         "                                 prints the new user's access key and secret key\n"
         "  user list\n"
         "  user remove NAME               the user's key stops working at once\n"
         "  tier add NAME --bucket B [--prefix P]\n"
         "                [--endpoint-url URL --access-key K --secret-key S]\n"
         "                                 a tier (storage class for lifecycle) in bucket B\n"
         "                                 here, or on another S3 endpoint\n"
         "  tier list\n"
         "  tier remove NAME               refused while objects live there\n"
         "  heal [--bucket B] [--deep]     heals now what the drives disagree on (records,\n"
         "                                 shards, buckets, users, tiers); --deep also reads\n"
         "                                 every shard and checks its checksums; prints the report\n"
         "The endpoint is the server's admin listener (default http://127.0.0.1:9001, or\n"
         "$STRATA_ADMIN_ENDPOINT); credentials are the root credentials from\n"
         "STRATA_ACCESS_KEY and STRATA_SECRET_KEY.\n";
  return 2;
}

struct Endpoint {
  bool tls = false;
  std::string host, port;
};

std::optional<Endpoint> ParseEndpoint(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return std::nullopt;
  Endpoint e;
  if (u->scheme() == "https") {
    e.tls = true;
  } else if (u->scheme() != "http") {
    return std::nullopt;
  }
  e.host = u->host_address();
  if (e.host.empty()) return std::nullopt;
  e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
  return e;
}

struct Reply {
  unsigned status = 0;
  std::string body;
};

class AdminClient {
 public:
  AdminClient(Endpoint endpoint, gw::SigV4Credentials creds, std::string ca_bundle)
      : endpoint_(std::move(endpoint)), creds_(std::move(creds)), ca_bundle_(std::move(ca_bundle)) {}

  // One signed request; an error string when the server could not be reached.
  std::variant<Reply, std::string> Call(http::verb method, const std::string& target,
                                        const std::string& body,
                                        std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::string host_header = endpoint_.host + ":" + endpoint_.port;
    std::string amz_date = FormatAmzDate(Clock::Real().Now());
    std::string payload_hash = Sha256Hex(body);
    gw::RequestView view;
    std::string method_name(http::to_string(method));
    view.method = method_name;
    view.target = target;
    view.headers = {{"host", host_header},
                    {"x-amz-date", amz_date},
                    {"x-amz-content-sha256", payload_hash}};
    auto authorization = gw::SignV4Header(view, creds_, payload_hash);
    if (!authorization.ok()) return "cannot sign: " + authorization.status().ToString();

    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host_header);
    req.set("x-amz-date", amz_date);
    req.set("x-amz-content-sha256", payload_hash);
    req.set(http::field::authorization, *authorization);
    req.set(http::field::user_agent, "strata-admin/0.1.0");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();

    try {
      asio::io_context io;
      asio::ip::tcp::resolver resolver(io);
      auto addresses = resolver.resolve(endpoint_.host, endpoint_.port);
      http::response<http::string_body> res;
      beast::flat_buffer buffer;
      if (endpoint_.tls) {
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        if (ca_bundle_.empty()) {
          ctx.set_default_verify_paths();
        } else {
          ctx.load_verify_file(ca_bundle_);
        }
        ctx.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
        SSL_set_tlsext_host_name(stream.native_handle(), endpoint_.host.c_str());
        stream.set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
        beast::get_lowest_layer(stream).expires_after(timeout);
        beast::get_lowest_layer(stream).connect(addresses);
        stream.handshake(asio::ssl::stream_base::client);
        http::write(stream, req);
        http::read(stream, buffer, res);
      } else {
        beast::tcp_stream stream(io);
        stream.expires_after(timeout);
        stream.connect(addresses);
        http::write(stream, req);
        http::read(stream, buffer, res);
      }
      return Reply{res.result_int(), std::move(res.body())};
    } catch (const boost::system::system_error& e) {
      return std::string("cannot reach ") + (endpoint_.tls ? "https://" : "http://") +
             host_header + ": " + e.code().message();
    } catch (const std::exception& e) {
      return std::string("cannot reach ") + (endpoint_.tls ? "https://" : "http://") +
             host_header + ": " + e.what();
    }
  }

 private:
  Endpoint endpoint_;
  gw::SigV4Credentials creds_;
  std::string ca_bundle_;
};

// Prints the server's error and returns 1, or returns 0 and fills `out`.
int Expect(std::variant<Reply, std::string> result, json* out) {
  if (auto* error = std::get_if<std::string>(&result)) {
    std::cerr << "strata admin: " << *error << "\n";
    return 1;
  }
  auto& reply = std::get<Reply>(result);
  auto parsed = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (reply.status != 200) {
    std::string code = parsed.is_object() ? parsed.value("Code", "") : "";
    std::string message = parsed.is_object() ? parsed.value("Message", "") : reply.body;
    std::cerr << "strata admin: the server answered " << reply.status;
    if (!code.empty()) std::cerr << " " << code;
    if (!message.empty()) std::cerr << ": " << message;
    std::cerr << "\n";
    if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId") {
      std::cerr << "strata admin: check STRATA_ACCESS_KEY and STRATA_SECRET_KEY (the root "
                   "credentials of this server)\n";
    }
    return 1;
  }
  if (parsed.is_discarded()) {
    std::cerr << "strata admin: the server's answer is not JSON\n";
    return 1;
  }
  *out = std::move(parsed);
  return 0;
}

std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << units[u];
  return s.str();
}

void PrintStatus(const json& s) {
  std::cout << "strata " << s.value("version", "?") << ", up " << s.value("uptime_seconds", 0)
            << " s, " << (s.value("ready", false) ? "ready" : "NOT READY (write quorum lost)")
            << "\n";
  std::cout << "drives: " << s.value("drives_online", 0) << " of " << s.value("drives_total", 0)
            << " online; users: " << s.value("users", 0) << "\n";
  uint64_t capacity = 0, used = 0;
  for (const auto& pool : s["pools"]) {
    size_t set_index = 0;
    for (const auto& set : pool["sets"]) {
      std::cout << "pool " << pool.value("name", "?") << ", erasure set " << ++set_index << " ("
                << set.value("k", 0) << "+" << set.value("m", 0) << "):\n";
      for (const auto& d : set["drives"]) {
        bool online = d.value("online", false);
        std::cout << "  " << std::left << std::setw(24) << d.value("name", "?")
                  << (online ? "online " : "OFFLINE");
        if (d.contains("capacity_bytes")) {
          uint64_t c = d["capacity_bytes"].get<uint64_t>(), u = d["used_bytes"].get<uint64_t>();
          capacity += c;
          used += u;
          std::cout << "  " << Bytes(u) << " used of " << Bytes(c);
        }
        std::cout << "\n";
      }
    }
  }
  std::cout << "capacity (file systems of online drives, shared ones counted per drive): "
            << Bytes(used) << " used of " << Bytes(capacity) << "\n";
  if (s.contains("healing") && s["healing"].is_object()) {
    const json& heal = s["healing"];
    const json& t = heal.contains("totals") ? heal["totals"] : json::object();
    auto when = [&](const char* field) {
      return heal.contains(field) && heal[field].is_string() ? heal[field].get<std::string>()
                                                             : std::string("never");
    };
    std::cout << "healing: last pass " << when("last_pass") << ", last bitrot scan "
              << when("last_bitrot_scan") << ", queue " << heal.value("queue_length", 0) << "\n"
              << "  since start: " << t.value("objects_examined", 0) << " objects examined, "
              << t.value("records_written", 0) << " records written, "
              << t.value("shards_rebuilt", 0) << " shards rebuilt ("
              << Bytes(t.value("bytes_rebuilt", uint64_t{0})) << "), "
              << t.value("corrupt_shards", 0) << " corrupt shards found, "
              << t.value("failures", 0) << " failures\n";
  }
}

void PrintHealReport(const json& r) {
  std::cout << "healed" << (r.contains("bucket") ? " bucket " + r.value("bucket", "") : "")
            << (r.value("deep", false) ? " (deep)" : "") << ":\n"
            << "  objects examined:  " << r.value("objects_examined", 0) << "\n"
            << "  versions examined: " << r.value("versions_examined", 0) << "\n"
            << "  records written:   " << r.value("records_written", 0) << "\n"
            << "  shards rebuilt:    " << r.value("shards_rebuilt", 0) << "\n"
            << "  bytes rebuilt:     " << r.value("bytes_rebuilt", 0) << "\n"
            << "  bytes verified:    " << r.value("bytes_verified", 0) << "\n"
            << "  corrupt shards:    " << r.value("corrupt_shards", 0) << "\n"
            << "  sets skipped:      " << r.value("sets_skipped", 0) << "\n"
            << "  failures:          " << r.value("failures", 0) << "\n";
}

int HealCommand(AdminClient& client, const std::vector<std::string>& args, bool raw_json) {
  std::string query;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--bucket" && i + 1 < args.size()) {
      query += (query.empty() ? "?" : "&") + std::string("bucket=") + gw::UriEncode(args[++i], true);
    } else if (args[i] == "--deep") {
      query += (query.empty() ? "?" : "&") + std::string("deep=true");
    } else {
      return Usage("unknown or incomplete option " + args[i]);
    }
  }
  json reply;
  // A heal walks everything at once: give it time.
  if (int rc = Expect(client.Call(http::verb::post, "/admin/v1/heal" + query, "",
                                  std::chrono::hours(24)),
                      &reply)) {
    return rc;
  }
  if (raw_json) {
    std::cout << reply.dump(2) << "\n";
  } else {
    PrintHealReport(reply);
  }
  return 0;
}

int TierCommand(AdminClient& client, const std::vector<std::string>& args, bool raw_json) {
  json reply;
  const std::string& sub = args[1];
  if (sub == "list" && args.size() == 2) {
    if (int rc = Expect(client.Call(http::verb::get, "/admin/v1/tiers", ""), &reply)) return rc;
    if (raw_json) {
      std::cout << reply.dump(2) << "\n";
      return 0;
    }
    std::cout << std::left << std::setw(20) << "NAME" << std::setw(24) << "BUCKET"
              << std::setw(16) << "PREFIX" << "ENDPOINT\n";
    for (const auto& t : reply["tiers"]) {
      std::string endpoint = t.value("endpoint", "");
      std::cout << std::setw(20) << t.value("name", "") << std::setw(24) << t.value("bucket", "")
                << std::setw(16) << t.value("prefix", "")
                << (endpoint.empty() ? "(this cluster)" : endpoint) << "\n";
    }
    return 0;
  }
  if (sub == "remove" && args.size() == 3) {
    std::string target = "/admin/v1/tiers/" + gw::UriEncode(args[2], true);
    if (int rc = Expect(client.Call(http::verb::delete_, target, ""), &reply)) return rc;
    std::cout << "removed tier " << args[2] << "\n";
    return 0;
  }
  if (sub == "add" && args.size() >= 3) {
    json body = json::object();
    for (size_t i = 3; i < args.size(); ++i) {
      static const std::map<std::string, std::string> kFields = {
          {"--bucket", "bucket"},         {"--prefix", "prefix"},
          {"--endpoint-url", "endpoint"}, {"--access-key", "access_key"},
          {"--secret-key", "secret_key"}};
      auto it = kFields.find(args[i]);
      if (it == kFields.end() || i + 1 >= args.size()) {
        return Usage("unknown or incomplete option " + args[i]);
      }
      body[it->second] = args[++i];
    }
    if (!body.contains("bucket")) return Usage("tier add needs --bucket");
    std::string target = "/admin/v1/tiers/" + gw::UriEncode(args[2], true);
    if (int rc = Expect(client.Call(http::verb::put, target, body.dump()), &reply)) return rc;
    std::cout << "added tier " << args[2] << " (use it as a lifecycle transition StorageClass)\n";
    return 0;
  }
  return Usage("unknown command");
}

}  // namespace

int AdminMain(int argc, char** argv) {
  std::string endpoint_url = "http://127.0.0.1:9001";
  if (const char* e = std::getenv("STRATA_ADMIN_ENDPOINT"); e && *e) endpoint_url = e;
  std::string ca_bundle;
  bool raw_json = false;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--endpoint" || arg == "--ca-bundle") {
      if (i + 1 >= argc) return Usage("missing value for " + arg);
      (arg == "--endpoint" ? endpoint_url : ca_bundle) = argv[++i];
    } else if (arg == "--json") {
      raw_json = true;
    } else if (arg == "-h" || arg == "--help") {
      return Usage();
    } else {
      args.push_back(arg);
    }
  }
  if (args.empty()) return Usage("missing command");
  auto endpoint = ParseEndpoint(endpoint_url);
  if (!endpoint) return Usage("--endpoint must be an http:// or https:// URL");
  const char* ak = std::getenv("STRATA_ACCESS_KEY");
  const char* sk = std::getenv("STRATA_SECRET_KEY");
  if (!ak || !sk || !*ak || !*sk) {
    return Usage("set STRATA_ACCESS_KEY and STRATA_SECRET_KEY to the server's root credentials");
  }
  gw::SigV4Credentials creds{ak, sk, "us-east-1", "strata"};
  AdminClient client(*endpoint, creds, ca_bundle);
  json reply;

  const std::string& command = args[0];
  if (command == "status" && args.size() == 1) {
    if (int rc = Expect(client.Call(http::verb::get, "/admin/v1/status", ""), &reply)) return rc;
    if (raw_json) {
      std::cout << reply.dump(2) << "\n";
    } else {
      PrintStatus(reply);
    }
    return 0;
  }
  if (command == "tier" && args.size() >= 2) return TierCommand(client, args, raw_json);
  if (command == "heal") return HealCommand(client, args, raw_json);
  if (command != "user" || args.size() < 2) return Usage("unknown command");
  const std::string& sub = args[1];
  if (sub == "list" && args.size() == 2) {
    if (int rc = Expect(client.Call(http::verb::get, "/admin/v1/users", ""), &reply)) return rc;
    if (raw_json) {
      std::cout << reply.dump(2) << "\n";
      return 0;
    }
    std::cout << std::left << std::setw(24) << "NAME" << std::setw(24) << "ACCESS KEY"
              << "POLICY\n";
    for (const auto& u : reply["users"]) {
      std::cout << std::setw(24) << u.value("name", "") << std::setw(24)
                << u.value("access_key", "") << u.value("policy", "") << "\n";
    }
    return 0;
  }
  if (sub == "remove" && args.size() == 3) {
    std::string target = "/admin/v1/users/" + gw::UriEncode(args[2], true);
    if (int rc = Expect(client.Call(http::verb::delete_, target, ""), &reply)) return rc;
    std::cout << "removed user " << args[2] << "\n";
    return 0;
  }
  if (sub == "add" && args.size() >= 3) {
    json body = json::object();
    body["policy"] = "readwrite";
    for (size_t i = 3; i < args.size(); ++i) {
      const std::string& opt = args[i];
      if ((opt == "--policy" || opt == "--access-key" || opt == "--secret-key") &&
          i + 1 < args.size()) {
        std::string field = opt == "--policy" ? "policy" : opt == "--access-key" ? "access_key"
                                                                                 : "secret_key";
        body[field] = args[++i];
      } else {
        return Usage("unknown or incomplete option " + opt);
      }
    }
    std::string target = "/admin/v1/users/" + gw::UriEncode(args[2], true);
    if (int rc = Expect(client.Call(http::verb::put, target, body.dump()), &reply)) return rc;
    if (raw_json) {
      std::cout << reply.dump(2) << "\n";
    } else {
      std::cout << "name:       " << reply.value("name", "") << "\n"
                << "access key: " << reply.value("access_key", "") << "\n"
                << "secret key: " << reply.value("secret_key", "") << "\n"
                << "policy:     " << reply.value("policy", "") << "\n"
                << "(the secret key is shown only now)\n";
    }
    return 0;
  }
  return Usage("unknown command");
}

}  // namespace strata
