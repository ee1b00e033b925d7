// S3Client: a small S3 client for remote tiers (another Strata, AWS, any
// S3): PUT with a streamed body of known length, ranged GET streamed into a
// sink, DELETE, ListObjectsV2 pages and HEAD bucket, signed with SigV4 like
// any SDK (UNSIGNED-PAYLOAD for bodies; https when the endpoint says so).
//
// One connection per request: tier traffic is lifecycle transitions and
// reads of archived objects, where a handshake per request is noise; the
// internal node API (issue 7) gets its own pooled client.
//
// Errors: 404 -> kNoSuchKey or kNoSuchBucket, 403 -> kAccessDenied, other
// 4xx -> kInvalidRequest, 5xx, timeouts and connection failures ->
// kUnavailable; the remote S3 code and message are in the status message.
//
// Thread safety: immutable after Create; calls may run concurrently on any
// executor (each awaits on the caller's executor).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/object_layer.h"

namespace strata::gw {

struct S3ClientOptions {
  std::string endpoint_url;  // http://host:port or https://host:port
  std::string access_key, secret_key;
  std::string region = "us-east-1";
  std::chrono::seconds timeout{120};  // per I/O step (connect, each read or write)
  std::string ca_file;                // https: trust these instead of the system store
};

class S3Client {
 public:
  // kInvalidArgument for a malformed endpoint.
  static Result<std::unique_ptr<S3Client>> Create(S3ClientOptions options);
  ~S3Client();

  Task<Status> PutObject(std::string bucket, std::string key, uint64_t size, BodySource& body);
  Task<Status> GetObject(std::string bucket, std::string key, uint64_t offset, uint64_t length,
                         BodySink& sink);
  Task<Status> DeleteObject(std::string bucket, std::string key);
  struct Listed {
    std::string key;
    uint64_t size = 0;
    SysTime mtime{};
  };
  Task<Result<std::vector<Listed>>> ListObjects(std::string bucket, std::string prefix,
                                                std::string start_after, size_t max_keys);
  Task<Status> HeadBucket(std::string bucket);

  struct Impl;

 private:
  explicit S3Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::gw
