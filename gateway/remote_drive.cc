#include "gateway/remote_drive.h"

#include "gateway/node_codec.h"

namespace strata::gw {

using nlohmann::json;

// (GCC 12 may destroy temporaries of a co_await expression twice: awaited
// calls below take named variables.)

RemoteDrive::RemoteDrive(std::string name, std::shared_ptr<NodeClient> client)
    : name_(std::move(name)), client_(std::move(client)) {}

bool RemoteDrive::online() const {
  return client_->available() && reported_online_.load(std::memory_order_relaxed);
}

void RemoteDrive::Update(const json& entry) {
  reported_online_.store(entry.is_object() && entry.value("online", false));
  std::lock_guard lock(mu_);
  usage_.reset();
  stats_.reset();
  if (entry.is_object() && entry.contains("usage")) {
    if (auto u = node::DecodeUsage(entry["usage"]); u.ok()) usage_ = *u;
  }
  if (entry.is_object() && entry.contains("stats")) {
    if (auto s = node::DecodeIndexStats(entry["stats"]); s.ok()) stats_ = *s;
  }
}

void RemoteDrive::Unreachable() { reported_online_.store(false); }

Task<Result<json>> RemoteDrive::Call(json request) {
  std::string drive = name_;
  co_return co_await client_->Rpc(std::move(drive), std::move(request));
}

Task<Result<std::unique_ptr<server::ShardWriter>>> RemoteDrive::CreateShard(std::string data_id) {
  std::string drive = name_;
  co_return co_await client_->WriteShard(std::move(drive), std::move(data_id));
}

Task<Result<size_t>> RemoteDrive::ReadShard(std::string data_id, uint64_t offset,
                                            MutableByteSpan out) {
  std::string drive = name_;
  co_return co_await client_->ReadShard(std::move(drive), std::move(data_id), offset, out);
}

Task<Status> RemoteDrive::Apply(server::DriveTxn txn) {
  json request = {{"op", "apply"}, {"txn", node::EncodeTxn(txn)}};
  co_return (co_await Call(std::move(request))).status();
}

Task<Result<meta::BucketRecord>> RemoteDrive::GetBucket(std::string name) {
  json request = {{"op", "get_bucket"}, {"name", name}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeBucket(result);
}

Task<Result<std::vector<meta::BucketRecord>>> RemoteDrive::ListBuckets() {
  json request = {{"op", "list_buckets"}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeBuckets(result);
}

Task<Result<bool>> RemoteDrive::BucketHasAnything(std::string bucket) {
  json request = {{"op", "bucket_has_anything"}, {"bucket", bucket}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  if (!result.is_boolean()) co_return Status(Code::kCorruption, "internal API: not a boolean");
  co_return result.get<bool>();
}

Task<Result<std::vector<meta::VersionRecord>>> RemoteDrive::GetVersions(std::string bucket,
                                                                        std::string key,
                                                                        size_t limit) {
  json request = {{"op", "get_versions"}, {"bucket", bucket}, {"key", key},
                  {"limit", static_cast<uint64_t>(limit)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeVersions(result);
}

Task<Result<std::vector<meta::VersionRecord>>> RemoteDrive::GetNullVersions(std::string bucket,
                                                                            std::string key) {
  json request = {{"op", "get_null_versions"}, {"bucket", bucket}, {"key", key}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeVersions(result);
}

Task<Result<meta::VersionRecord>> RemoteDrive::GetVersion(std::string bucket, std::string key,
                                                          std::string version_id) {
  json request = {{"op", "get_version"}, {"bucket", bucket}, {"key", key},
                  {"version_id", node::BlobOf(version_id)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeVersion(result);
}

Task<Result<std::string>> RemoteDrive::GetInline(std::string bucket, std::string key,
                                                 std::string version_id) {
  json request = {{"op", "get_inline"}, {"bucket", bucket}, {"key", key},
                  {"version_id", node::BlobOf(version_id)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  if (!result.is_binary()) co_return Status(Code::kCorruption, "internal API: not bytes");
  const auto& b = result.get_binary();
  co_return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Task<Result<server::ListPage>> RemoteDrive::ListLatest(server::ListRequest list) {
  json request = {{"op", "list_latest"}, {"request", node::EncodeListRequest(list)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeListPage(result);
}

Task<Result<server::ListPage>> RemoteDrive::ListVersions(server::ListRequest list) {
  json request = {{"op", "list_versions"}, {"request", node::EncodeListRequest(list)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeListPage(result);
}

Task<Result<meta::UploadRecord>> RemoteDrive::GetUpload(std::string bucket, std::string key,
                                                        std::string upload_id) {
  json request = {{"op", "get_upload"}, {"bucket", bucket}, {"key", key},
                  {"upload_id", upload_id}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeUpload(result);
}

Task<Result<std::vector<meta::PartRecord>>> RemoteDrive::ListParts(std::string upload_id) {
  json request = {{"op", "list_parts"}, {"upload_id", upload_id}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeParts(result);
}

Task<Result<std::vector<meta::UploadRecord>>> RemoteDrive::ListUploads(
    std::string bucket, std::string prefix, std::string key_marker, std::string upload_id_marker,
    size_t limit) {
  json request = {{"op", "list_uploads"},     {"bucket", bucket},
                  {"prefix", prefix},         {"key_marker", key_marker},
                  {"upload_id_marker", upload_id_marker},
                  {"limit", static_cast<uint64_t>(limit)}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeUploads(result);
}

Task<Result<std::vector<meta::ConfigRecord>>> RemoteDrive::ListConfig(std::string kind) {
  json request = {{"op", "list_config"}, {"kind", kind}};
  STRATA_CO_ASSIGN_OR_RETURN(json result, co_await Call(std::move(request)));
  co_return node::DecodeConfigs(result);
}

Result<server::DriveUsage> RemoteDrive::Usage() const {
  std::lock_guard lock(mu_);
  if (!usage_) return Status(Code::kUnavailable, "no usage from node yet");
  return *usage_;
}

Result<server::IndexStats> RemoteDrive::IndexStatistics() const {
  std::lock_guard lock(mu_);
  if (!stats_) return Status(Code::kUnavailable, "no index figures from node yet");
  return *stats_;
}

}  // namespace strata::gw
