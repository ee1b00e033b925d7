// UserStore: the S3 users besides the root user, each with an access key, a
// secret key and a policy (readwrite or readonly).
//
// Users are cluster configuration records (kind "user", ObjectLayer::
// PutConfig/ListConfig) on every drive; this store keeps them in memory by
// access key so that a signature check never touches a drive. Secret keys
// are sealed at rest with AES-256-GCM under a key derived from the root
// secret key (docs/ARCHITECTURE.md, "Cluster configuration records and
// users"); records sealed under another root secret are skipped and counted.
//
// Thread safety: Find and List may run on any thread at any time (a
// shared lock over the table). Add, Remove and Reload are coroutines that
// write the drives first and then swap the table; two admins adding the same
// name at once both succeed and the later write wins.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/object_layer.h"
#include "gateway/s3_service.h"

namespace strata::gw {

enum class Policy { kReadWrite, kReadOnly };
std::string_view PolicyName(Policy policy);  // "readwrite", "readonly"
std::optional<Policy> ParsePolicy(std::string_view name);

struct User {
  std::string name;
  std::string access_key;
  std::string secret_key;  // empty in List()
  Policy policy = Policy::kReadWrite;
  SysTime created{};
};

// Who sent a request, once its signature checked out.
struct Principal {
  std::string name;  // "root" for the root credentials
  bool root = false;
  Policy policy = Policy::kReadWrite;
  bool may_write() const { return root || policy == Policy::kReadWrite; }
};

// What `strata admin user add` asks for; empty keys are generated.
struct NewUser {
  std::string name;
  Policy policy = Policy::kReadWrite;
  std::string access_key;
  std::string secret_key;
};

// Names as IAM allows them: 1-64 of [A-Za-z0-9+=,.@_-]. Access keys: 3-128
// of [A-Za-z0-9+=,.@_-]; secret keys: 8-128 printable ASCII without spaces.
// kInvalidArgument with the reason otherwise.
Status ValidateNewUser(const NewUser& user);

class UserStore {
 public:
  struct Options {
    ObjectLayer* objects = nullptr;  // not owned; outlives the store
    Credentials root;
    Clock* clock = &Clock::Real();
  };

  // Loads the users from the drives (kUnavailable when none answers).
  static Task<Result<std::unique_ptr<UserStore>>> Open(Options options);

  struct Lookup {
    std::string secret_key;
    Principal principal;
  };
  // The root credentials or a user, by access key (constant-time compare
  // for the root key; the table lookup is by hash).
  std::optional<Lookup> Find(std::string_view access_key) const;

  // kAlreadyExists when the name or the access key is taken (the root's
  // included), kInvalidArgument for a bad name or key. Returns the user with
  // its secret key (the only time it is shown).
  Task<Result<User>> Add(NewUser user);
  // kNotFound when there is no such user. Once this returns OK the key no
  // longer authenticates here.
  Task<Status> Remove(std::string name);
  // By name; secret keys left empty.
  std::vector<User> List() const;
  // Re-reads the drives (another gateway may have changed the users).
  Task<Status> Reload();
  // Records whose secret could not be unsealed at the last load (the root
  // secret key changed since they were added).
  size_t unreadable() const;

 private:
  explicit UserStore(Options options);
  struct Table {
    std::unordered_map<std::string, User> by_access_key;
    size_t unreadable = 0;
  };
  Task<Result<Table>> Load() const;
  std::string SealSecret(const User& user) const;

  Options options_;
  std::string seal_key_;  // 32 bytes, from the root secret
  mutable std::shared_mutex mu_;
  Table table_;          // guarded by mu_
  uint64_t changes_ = 0;  // guarded by mu_; Adds and Removes applied to table_
};

}  // namespace strata::gw
