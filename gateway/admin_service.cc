#include "gateway/admin_service.h"

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "gateway/s3_errors.h"
#include "gateway/sigv4.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace {

using json = nlohmann::json;

constexpr std::string_view kAdminPrefix = "/admin/v1/";
constexpr std::string_view kUsersPrefix = "/admin/v1/users/";
constexpr std::string_view kTiersPrefix = "/admin/v1/tiers";

// The admin API's own error names where S3's would mislead.
std::pair<unsigned, std::string_view> AdminError(Code code) {
  switch (code) {
    case Code::kNotFound:
      return {404, "NotFound"};
    case Code::kAlreadyExists:
      return {409, "AlreadyExists"};
    case Code::kMaxMessageLengthExceeded:
    case Code::kEntityTooLarge:
      return {413, "EntityTooLarge"};
    default: {
      const ErrorInfo& info = LookupError(code);
      return {info.http_status, info.s3_code};
    }
  }
}

Task<Result<std::string>> ReadBody(Exchange& exchange, size_t max_bytes) {
  std::string out;
  std::string buf(16 << 10, '\0');
  for (;;) {
    STRATA_CO_ASSIGN_OR_RETURN(
        size_t n, co_await exchange.ReadBody(MutableByteSpan(
                      reinterpret_cast<std::byte*>(buf.data()), buf.size())));
    if (n == 0) break;
    out.append(buf.data(), n);
    if (out.size() > max_bytes) {
      exchange.CloseAfterResponse();  // the rest of the body stays unread
      co_return Status(Code::kMaxMessageLengthExceeded, "the request body is too large");
    }
  }
  co_return out;
}

json DriveJson(const server::Drive* drive, std::string_view name) {
  json d = {{"name", name}, {"online", drive != nullptr && drive->online()}};
  if (drive && drive->online()) {
    if (auto usage = drive->Usage(); usage.ok()) {
      d["capacity_bytes"] = usage->capacity_bytes;
      d["used_bytes"] = usage->capacity_bytes - usage->free_bytes;
    }
  }
  return d;
}

json HealReportJson(const HealReport& r) {
  return {{"objects_examined", r.objects_examined}, {"versions_examined", r.versions_examined},
          {"records_written", r.records_written},   {"shards_rebuilt", r.shards_rebuilt},
          {"bytes_rebuilt", r.bytes_rebuilt},       {"bytes_verified", r.bytes_verified},
          {"corrupt_shards", r.corrupt_shards},     {"sets_skipped", r.sets_skipped},
          {"failures", r.failures}};
}

json HealingJson(const HealerStatus& s) {
  auto when = [](SysTime t) -> json {
    return t == SysTime{} ? json(nullptr) : json(FormatIso8601(t));
  };
  return {{"last_pass", when(s.last_pass)},
          {"last_bitrot_scan", when(s.last_bitrot_scan)},
          {"passes", s.passes},
          {"bitrot_scans", s.bitrot_scans},
          {"queue_length", s.queue_length},
          {"totals", HealReportJson(s.totals)}};
}

}  // namespace

AdminService::AdminService(AdminServiceOptions options)
    : options_(std::move(options)), started_(options_.clock->Now()) {}

Task<void> AdminService::Handle(Exchange& exchange) {
  std::string_view target = exchange.request().target();
  std::string_view path = target.substr(0, target.find('?'));
  Status status = co_await Serve(exchange, path);
  if (status.ok() || exchange.response_started()) {
    if (!status.ok()) exchange.CloseAfterResponse();
    co_return;
  }
  auto [http_status, name] = AdminError(status.code());
  const ErrorInfo& info = LookupError(status.code());
  // The admin API answers the root user only, who may read the server's own
  // reasons (which tier exists, why a tier cannot be removed...); messages
  // of failing storage still stay in the logs.
  const Code c = status.code();
  const bool storage_detail = c == Code::kInternal || c == Code::kIoError || c == Code::kCorruption;
  std::string message = storage_detail || status.message().empty() ? std::string(info.message)
                                                                   : std::string(status.message());
  if (storage_detail || c == Code::kUnavailable) {
    log::Warn("admin request failed", {{"path", path}, {"error", status.ToString()}});
  }
  json body = {{"Code", name}, {"Message", message}};
  (co_await SendJson(exchange, http_status, body.dump())).IgnoreError();
}

Task<Status> AdminService::SendJson(Exchange& exchange, unsigned status, std::string body) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.body().push_back('\n');
  res.prepare_payload();
  co_return co_await exchange.Send(std::move(res));
}

Task<Status> AdminService::Serve(Exchange& exchange, std::string_view path) {
  const auto method = exchange.request().method();
  if (path.starts_with(kAdminPrefix)) co_return co_await ServeAdmin(exchange, path);
  if (path != "/health/live" && path != "/health/ready" && path != "/metrics") {
    co_return Status(Code::kNotFound, "no such admin route");
  }
  if (method != http::verb::get && method != http::verb::head) {
    co_return Status(Code::kMethodNotAllowed);
  }
  if (path == "/health/live") {
    std::string live = R"({"status":"live"})";
    co_return co_await SendJson(exchange, 200, std::move(live));
  }
  if (path == "/health/ready") {
    bool ready = options_.objects->WriteQuorumEverywhere();
    json body = {{"status", ready ? "ready" : "not ready"},
                 {"drives_online", options_.objects->online_drives()},
                 {"drives_total", options_.objects->total_drives()}};
    co_return co_await SendJson(exchange, ready ? 200 : 503, body.dump());
  }
  if (!options_.registry) co_return Status(Code::kNotFound, "metrics are off");
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = options_.registry->Render();
  res.prepare_payload();
  co_return co_await exchange.Send(std::move(res));
}

Task<Status> AdminService::ServeAdmin(Exchange& exchange, std::string_view path) {
  const auto& req = exchange.request();
  RequestView view;
  view.method = req.method_string();
  view.target = req.target();
  for (const auto& field : req) view.headers.emplace_back(field.name_string(), field.value());
  auto authorization = req[http::field::authorization];
  if (authorization.empty()) co_return Status(Code::kAccessDenied, "the admin API needs SigV4");
  const Credentials& root = options_.root;
  STRATA_CO_ASSIGN_OR_RETURN(
      AuthResult auth,
      VerifySigV4Header(
          view, authorization,
          [&root](std::string_view access_key) -> std::optional<std::string> {
            if (ConstantTimeEquals(access_key, root.access_key)) return root.secret_key;
            return std::nullopt;
          },
          options_.clock->Now(), "strata"));
  if (auth.payload != PayloadMode::kSignedHash) {
    co_return Status(Code::kInvalidRequest, "admin requests must sign the body's SHA-256");
  }
  STRATA_CO_TRY(co_await exchange.Continue());
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadBody(exchange, options_.max_body));
  if (!ConstantTimeEquals(Sha256Hex(body), auth.payload_sha256_hex)) {
    co_return Status(Code::kXAmzContentSHA256Mismatch);
  }

  const auto method = req.method();
  if (path == "/admin/v1/status") {
    if (method != http::verb::get) co_return Status(Code::kMethodNotAllowed);
    json pools = json::array();
    for (const Pool& pool : options_.objects->pools()) {
      json sets = json::array();
      for (const ErasureSet& set : pool.sets) {
        json drives = json::array();
        for (size_t i = 0; i < set.drives.size(); ++i) {
          const auto& d = set.drives[i];
          drives.push_back(DriveJson(d.get(), set.NameAt(i)));
        }
        sets.push_back({{"k", set.k}, {"m", set.m}, {"drives", std::move(drives)}});
      }
      pools.push_back({{"name", pool.name}, {"sets", std::move(sets)}});
    }
    json out = {{"version", "0.1.0"},
                {"uptime_seconds",
                 std::chrono::duration_cast<std::chrono::seconds>(options_.clock->Now() - started_)
                     .count()},
                {"ready", options_.objects->WriteQuorumEverywhere()},
                {"drives_online", options_.objects->online_drives()},
                {"drives_total", options_.objects->total_drives()},
                {"users", options_.users->List().size()},
                {"pools", std::move(pools)}};
    if (options_.healer) out["healing"] = HealingJson(options_.healer->status());
    co_return co_await SendJson(exchange, 200, out.dump());
  }
  if (path == "/admin/v1/users") {
    if (method != http::verb::get) co_return Status(Code::kMethodNotAllowed);
    json users = json::array();
    for (const User& u : options_.users->List()) {
      users.push_back({{"name", u.name},
                       {"access_key", u.access_key},
                       {"policy", PolicyName(u.policy)},
                       {"created", ToMicros(u.created) / 1000000}});
    }
    json out = {{"users", std::move(users)}};
    co_return co_await SendJson(exchange, 200, out.dump());
  }
  if (path.starts_with(kUsersPrefix)) {
    STRATA_CO_ASSIGN_OR_RETURN(std::string name, UriDecode(path.substr(kUsersPrefix.size())));
    if (method == http::verb::delete_) {
      STRATA_CO_TRY(co_await options_.users->Remove(std::move(name)));
      json out = {{"removed", name}};
      co_return co_await SendJson(exchange, 200, out.dump());
    }
    if (method != http::verb::put) co_return Status(Code::kMethodNotAllowed);
    auto request = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!request.is_object()) co_return Status(Code::kInvalidArgument, "the body must be a JSON object");
    NewUser user;
    user.name = std::move(name);
    for (const auto& [field, value] : request.items()) {
      if (!value.is_string()) co_return Status(Code::kInvalidArgument, field + " must be a string");
      if (field == "policy") {
        auto policy = ParsePolicy(value.get<std::string>());
        if (!policy) co_return Status(Code::kInvalidArgument, "policy is readwrite or readonly");
        user.policy = *policy;
      } else if (field == "access_key") {
        user.access_key = value.get<std::string>();
      } else if (field == "secret_key") {
        user.secret_key = value.get<std::string>();
      } else {
        co_return Status(Code::kInvalidArgument, "unknown field " + field);
      }
    }
    STRATA_CO_ASSIGN_OR_RETURN(User added, co_await options_.users->Add(std::move(user)));
    json out = {{"name", added.name},
                {"access_key", added.access_key},
                {"secret_key", added.secret_key},
                {"policy", PolicyName(added.policy)}};
    co_return co_await SendJson(exchange, 200, out.dump());
  }
  if (path.starts_with(kTiersPrefix) && options_.tiers) {
    co_return co_await ServeTiers(exchange, path, body);
  }
  if (path == "/admin/v1/heal" && options_.healer) co_return co_await ServeHeal(exchange);
  co_return Status(Code::kNotFound, "no such admin route");
}

Task<Status> AdminService::ServeHeal(Exchange& exchange) {
  if (exchange.request().method() != http::verb::post) co_return Status(Code::kMethodNotAllowed);
  std::string_view target = exchange.request().target();
  const size_t q = target.find('?');
  std::optional<std::string> bucket;
  bool deep = false;
  if (q != std::string_view::npos) {
    STRATA_CO_ASSIGN_OR_RETURN(auto params, ParseQuery(target.substr(q + 1)));
    for (auto& p : params) {
      if (p.name == "bucket" && !p.value.empty()) {
        bucket = std::move(p.value);
      } else if (p.name == "deep" && (p.value == "true" || p.value == "false")) {
        deep = p.value == "true";
      } else {
        co_return Status(Code::kInvalidArgument, "unknown or bad parameter " + p.name);
      }
    }
  }
  if (bucket) STRATA_CO_TRY(co_await options_.objects->GetBucket(*bucket));
  STRATA_CO_ASSIGN_OR_RETURN(HealReport report, co_await options_.healer->HealNow(bucket, deep));
  json out = HealReportJson(report);
  if (bucket) out["bucket"] = *bucket;
  out["deep"] = deep;
  co_return co_await SendJson(exchange, 200, out.dump());
}

Task<Status> AdminService::ServeTiers(Exchange& exchange, std::string_view path,
                                      const std::string& body) {
  const auto method = exchange.request().method();
  if (path == kTiersPrefix) {
    if (method != http::verb::get) co_return Status(Code::kMethodNotAllowed);
    json tiers = json::array();
    for (const TierSpec& t : options_.tiers->List()) {
      tiers.push_back({{"name", t.name},
                       {"bucket", t.bucket},
                       {"prefix", t.prefix},
                       {"endpoint", t.endpoint},
                       {"access_key", t.access_key}});
    }
    json out = {{"tiers", std::move(tiers)}};
    co_return co_await SendJson(exchange, 200, out.dump());
  }
  if (!path.starts_with(std::string(kTiersPrefix) + "/")) {
    co_return Status(Code::kNotFound, "no such admin route");
  }
  STRATA_CO_ASSIGN_OR_RETURN(std::string name, UriDecode(path.substr(kTiersPrefix.size() + 1)));
  if (method == http::verb::delete_) {
    STRATA_CO_TRY(co_await options_.tiers->Remove(name));
    json out = {{"removed", name}};
    co_return co_await SendJson(exchange, 200, out.dump());
  }
  if (method != http::verb::put) co_return Status(Code::kMethodNotAllowed);
  auto request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object()) co_return Status(Code::kInvalidArgument, "the body must be a JSON object");
  TierSpec spec;
  spec.name = name;
  for (const auto& [field, value] : request.items()) {
    if (!value.is_string()) co_return Status(Code::kInvalidArgument, field + " must be a string");
    std::string v = value.get<std::string>();
    if (field == "bucket") spec.bucket = std::move(v);
    else if (field == "prefix") spec.prefix = std::move(v);
    else if (field == "endpoint") spec.endpoint = std::move(v);
    else if (field == "access_key") spec.access_key = std::move(v);
    else if (field == "secret_key") spec.secret_key = std::move(v);
    else co_return Status(Code::kInvalidArgument, "unknown field " + field);
  }
  STRATA_CO_TRY(co_await options_.tiers->Add(std::move(spec)));
  json out = {{"added", name}};
  co_return co_await SendJson(exchange, 200, out.dump());
}

}  // namespace strata::gw
