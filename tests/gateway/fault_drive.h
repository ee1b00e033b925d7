// FaultDrive: a test-only server::Drive that forwards every call to a real
// drive and injects faults when told to.
//
// The knobs live in `DriveFaults`, a struct of atomics a test flips at any
// time (also from inside a running write, e.g. from a BodySource). Each knob
// is one failure a drive can show the object layer:
//
//   offline          online() is false and every call fails kUnavailable;
//                    shard writers created earlier fail from then on too.
//   fail_apply       Apply returns kIoError and applies nothing.
//   apply_then_fail  Apply is forwarded, then kIoError is returned: the
//                    drive committed but the caller believes it did not.
//   fail_create_shard / fail_append / fail_commit
//                    that step of a shard write returns kIoError (a failed
//                    Commit leaves the shard unlinked, as a real one would).
//   fail_reads       ReadShard and GetInline return kIoError.
//   corrupt_reads    ReadShard and GetInline flip one byte of what the
//                    wrapped drive returned, so only the CRC32C can tell.
//   fail_lists       ListLatest and ListVersions return kUnavailable while
//                    the drive still looks online (a node that hangs or dies
//                    between the listing's choice of drives and its call).
//
// BeforeApply(hook) runs `hook` (a coroutine) before every Apply is
// forwarded: a test makes something happen elsewhere at that exact moment
// (a race). Set it before the drive is used; not thread-safe.
//
// Ownership: holds a shared reference to the wrapped drive; shard writers
// share the knobs, so they may outlive nothing but the FaultDrive's knobs.
// Thread safety: as server::Drive; the knobs are atomics.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "server/drive.h"

namespace strata::gw {

using server::Task;

struct DriveFaults {
  std::atomic<bool> offline{false};
  std::atomic<bool> fail_apply{false};
  std::atomic<bool> apply_then_fail{false};
  std::atomic<bool> fail_create_shard{false};
  std::atomic<bool> fail_append{false};
  std::atomic<bool> fail_commit{false};
  std::atomic<bool> fail_reads{false};
  std::atomic<bool> corrupt_reads{false};
  std::atomic<bool> fail_lists{false};

  void Clear() {
    for (auto* knob : {&offline, &fail_apply, &apply_then_fail, &fail_create_shard, &fail_append,
                       &fail_commit, &fail_reads, &corrupt_reads, &fail_lists}) {
      knob->store(false);
    }
  }
};

class FaultDrive final : public server::Drive {
 public:
  explicit FaultDrive(std::shared_ptr<server::Drive> inner)
      : inner_(std::move(inner)), faults_(std::make_shared<DriveFaults>()) {}

  DriveFaults& faults() { return *faults_; }
  // The real drive, to inspect what actually got stored whatever the knobs say.
  server::Drive& inner() { return *inner_; }

  const std::string& name() const override { return inner_->name(); }
  bool online() const override { return !faults_->offline && inner_->online(); }

  Task<Result<std::unique_ptr<server::ShardWriter>>> CreateShard(std::string data_id) override {
    if (faults_->offline) co_return Offline();
    if (faults_->fail_create_shard) co_return Injected("create shard");
    auto writer = co_await inner_->CreateShard(std::move(data_id));
    if (!writer.ok()) co_return writer.status();
    co_return std::unique_ptr<server::ShardWriter>(new Writer(std::move(*writer), faults_));
  }

  Task<Result<size_t>> ReadShard(std::string data_id, uint64_t offset,
                                 MutableByteSpan out) override {
    if (faults_->offline) co_return Offline();
    if (faults_->fail_reads) co_return Injected("read shard");
    auto n = co_await inner_->ReadShard(std::move(data_id), offset, out);
    if (n.ok() && *n > 0 && faults_->corrupt_reads) out[*n / 2] ^= std::byte{0x5a};
    co_return n;
  }

  using ApplyHook = std::function<Task<void>(const server::DriveTxn&)>;
  void BeforeApply(ApplyHook hook) { before_apply_ = std::move(hook); }

  Task<Status> Apply(server::DriveTxn txn) override {
    if (faults_->offline) co_return Offline();
    if (before_apply_) co_await before_apply_(txn);
    if (faults_->fail_apply) co_return Injected("apply");
    Status st = co_await inner_->Apply(std::move(txn));
    if (st.ok() && faults_->apply_then_fail) co_return Injected("apply (after committing)");
    co_return st;
  }

  Task<Result<meta::BucketRecord>> GetBucket(std::string name) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->GetBucket(std::move(name));
  }
  Task<Result<std::vector<meta::BucketRecord>>> ListBuckets() override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->ListBuckets();
  }
  Task<Result<bool>> BucketHasAnything(std::string bucket) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->BucketHasAnything(std::move(bucket));
  }
  Task<Result<std::vector<meta::ConfigRecord>>> ListConfig(std::string kind) override {
    if (faults_->offline) co_return Offline();
    if (faults_->fail_reads) co_return Injected("list config");
    co_return co_await inner_->ListConfig(std::move(kind));
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetVersions(std::string bucket, std::string key,
                                                             size_t limit) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->GetVersions(std::move(bucket), std::move(key), limit);
  }
  Task<Result<std::vector<meta::VersionRecord>>> GetNullVersions(std::string bucket,
                                                                 std::string key) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->GetNullVersions(std::move(bucket), std::move(key));
  }
  Task<Result<meta::VersionRecord>> GetVersion(std::string bucket, std::string key,
                                               std::string version_id) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->GetVersion(std::move(bucket), std::move(key),
                                          std::move(version_id));
  }
  Task<Result<std::string>> GetInline(std::string bucket, std::string key,
                                      std::string version_id) override {
    if (faults_->offline) co_return Offline();
    if (faults_->fail_reads) co_return Injected("read inline shard");
    auto shard = co_await inner_->GetInline(std::move(bucket), std::move(key),
                                            std::move(version_id));
    if (shard.ok() && !shard->empty() && faults_->corrupt_reads) {
      (*shard)[shard->size() / 2] ^= 0x5a;
    }
    co_return shard;
  }
  Task<Result<server::ListPage>> ListLatest(server::ListRequest request) override {
    if (faults_->offline || faults_->fail_lists) co_return Offline();
    co_return co_await inner_->ListLatest(std::move(request));
  }
  Task<Result<server::ListPage>> ListVersions(server::ListRequest request) override {
    if (faults_->offline || faults_->fail_lists) co_return Offline();
    co_return co_await inner_->ListVersions(std::move(request));
  }
  Task<Result<meta::UploadRecord>> GetUpload(std::string bucket, std::string key,
                                             std::string upload_id) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->GetUpload(std::move(bucket), std::move(key), std::move(upload_id));
  }
  Task<Result<std::vector<meta::PartRecord>>> ListParts(std::string upload_id) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->ListParts(std::move(upload_id));
  }
  Task<Result<std::vector<meta::UploadRecord>>> ListUploads(std::string bucket, std::string prefix,
                                                            std::string key_marker,
                                                            std::string upload_id_marker,
                                                            size_t limit) override {
    if (faults_->offline) co_return Offline();
    co_return co_await inner_->ListUploads(std::move(bucket), std::move(prefix),
                                           std::move(key_marker), std::move(upload_id_marker),
                                           limit);
  }

  Result<server::DriveUsage> Usage() const override {
    if (faults_->offline) return Offline();
    return inner_->Usage();
  }
  Result<server::IndexStats> IndexStatistics() const override {
    if (faults_->offline) return Offline();
    return inner_->IndexStatistics();
  }

 private:
  static Status Offline() { return Status(Code::kUnavailable, "drive offline (injected)"); }
  static Status Injected(const char* what) {
    return Status(Code::kIoError, std::string(what) + " failed (injected)");
  }

  class Writer final : public server::ShardWriter {
   public:
    Writer(std::unique_ptr<server::ShardWriter> inner, std::shared_ptr<DriveFaults> faults)
        : inner_(std::move(inner)), faults_(std::move(faults)) {}

    Task<Status> Append(ByteSpan data) override {
      if (faults_->offline) co_return Offline();
      if (faults_->fail_append) co_return Injected("shard append");
      co_return co_await inner_->Append(data);
    }
    Task<Status> Commit() override {
      if (faults_->offline) co_return Offline();
      if (faults_->fail_commit) co_return Injected("shard commit");
      co_return co_await inner_->Commit();
    }

   private:
    std::unique_ptr<server::ShardWriter> inner_;
    std::shared_ptr<DriveFaults> faults_;
  };

  std::shared_ptr<server::Drive> inner_;
  std::shared_ptr<DriveFaults> faults_;
  ApplyHook before_apply_;
};

}  // namespace strata::gw
