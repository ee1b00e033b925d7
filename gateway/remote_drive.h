// RemoteDrive: a drive of another node, behind the same `server::Drive`
// interface as a local one, so the object layer cannot tell them apart.
// Every call is one internal API request (gateway/node_client.h).
//
// online() is false while the node's client backs off after a failure or
// while the node reported the drive offline at its last ping; Usage() and
// IndexStatistics() answer from that ping (they are synchronous in the
// interface and feed status pages and metrics, not decisions).
//
// Thread safety: all methods may be called from any I/O thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/node_client.h"
#include "server/drive.h"

namespace strata::gw {

class RemoteDrive final : public server::Drive {
 public:
  RemoteDrive(std::string name, std::shared_ptr<NodeClient> client);

  // Takes this drive's entry of a ping answer (online, usage, stats).
  void Update(const nlohmann::json& entry);
  // The node did not answer a ping: the drive is offline until the next.
  void Unreachable();

  const std::string& name() const override { return name_; }
  bool online() const override;

  Task<Result<std::unique_ptr<server::ShardWriter>>> CreateShard(std::string data_id) override;
  Task<Result<size_t>> ReadShard(std::string data_id, uint64_t offset,
                                 MutableByteSpan out) override;
  Task<Status> Apply(server::DriveTxn txn) override;
  Task<Result<meta::BucketRecord>> GetBucket(std::string name) override;
  Task<Result<std::vector<meta::BucketRecord>>> ListBuckets() override;
  Task<Result<bool>> BucketHasAnything(std::string bucket) override;
  Task<Result<std::vector<meta::VersionRecord>>> GetVersions(std::string bucket, std::string key,
                                                             size_t limit) override;
  Task<Result<std::vector<meta::VersionRecord>>> GetNullVersions(std::string bucket,
                                                                 std::string key) override;
  Task<Result<meta::VersionRecord>> GetVersion(std::string bucket, std::string key,
                                               std::string version_id) override;
  Task<Result<std::string>> GetInline(std::string bucket, std::string key,
                                      std::string version_id) override;
  Task<Result<server::ListPage>> ListLatest(server::ListRequest request) override;
  Task<Result<server::ListPage>> ListVersions(server::ListRequest request) override;
  Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                             std::string upload_id) override;
  Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string upload_id) override;
  Task<Result<std::vector<meta::UploadRecord>>> ListUploads(std::string bucket,
                                                            std::string prefix,
                                                            std::string key_marker,
                                                            std::string upload_id_marker,
                                                            size_t limit) override;
  Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind) override;
  Result<server::DriveUsage> Usage() const override;
  Result<server::IndexStats> IndexStatistics() const override;

 private:
  Task<Result<nlohmann::json>> Call(nlohmann::json request);

  std::string name_;
  std::shared_ptr<NodeClient> client_;
  std::atomic<bool> reported_online_{false};
  mutable std::mutex mu_;
  std::optional<server::DriveUsage> usage_;  // guarded by mu_
  std::optional<server::IndexStats> stats_;  // guarded by mu_
};

}  // namespace strata::gw
