#include "gateway/tiers.h"

#include <mutex>

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/log.h"
#include "gateway/s3_client.h"

namespace strata::gw {
namespace {

constexpr std::string_view kKind = "tier";

// An archive bucket of this cluster, through the object layer like any
// client's objects (so the bucket's own rules apply to them: give a tier a
// bucket of its own).
class BucketTierStore final : public DataStore {
 public:
  BucketTierStore(ObjectLayer& objects, std::string bucket, std::string prefix)
      : objects_(objects), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}

  Task<Status> Put(std::string key, std::optional<uint64_t> size, BodySource& body) override {
    PutObjectArgs args;
    args.bucket = bucket_;
    args.key = prefix_ + key;
    args.size = size;
    args.headers = {{"content-type", "application/octet-stream"}};
    struct Hashing final : BodySource {
      BodySource& inner;
      Hasher md5{HashAlgorithm::kMd5};
      explicit Hashing(BodySource& in) : inner(in) {}
      Task<Result<size_t>> Read(MutableByteSpan out) override {
        STRATA_CO_ASSIGN_OR_RETURN(size_t n, co_await inner.Read(out));
        md5.Update(ByteSpan(out.data(), n));
        co_return n;
      }
    } hashing(body);
    auto put = co_await objects_.PutObject(
        std::move(args), hashing,
        [&hashing, size](uint64_t got, meta::VersionRecord& record) -> Status {
          if (size && got != *size) return Status(Code::kIncompleteBody, "short tier write");
          record.etag = HexEncode(hashing.md5.Finish());
          return Status();
        });
    co_return put.status();
  }

  Task<Status> Read(std::string key, uint64_t offset, uint64_t length, BodySink& sink) override {
    std::string full = prefix_ + key;
    auto head = co_await objects_.HeadObject(bucket_, full);
    if (!head.ok() || head->delete_marker || offset + length > head->size) {
      co_return Status(Code::kNotFound, "tier object missing");
    }
    co_return co_await objects_.ReadObject(bucket_, full, *head, offset, length, sink);
  }

  // Every version of the key, so a versioned archive bucket keeps nothing.
  Task<Status> Delete(std::string key) override {
    ListVersionsArgs args;
    args.bucket = bucket_;
    args.prefix = prefix_ + key;
    args.max_keys = 1000;
    STRATA_CO_ASSIGN_OR_RETURN(auto page, co_await objects_.ListObjectVersions(args));
    for (const auto& v : page.versions) {
      if (v.key != args.prefix) continue;
      VersionRef ref{VersionRef::Kind::kId, v.record.version_id};
      auto d = co_await objects_.DeleteObject(bucket_, v.key, ref);
      if (!d.ok() && d.status().code() != Code::kNoSuchKey) co_return d.status();
    }
    co_return Status();
  }

  Task<Result<std::vector<Entry>>> List(std::string prefix, std::string start_after,
                                       size_t max) override {
    ListArgs args;
    args.bucket = bucket_;
    args.prefix = prefix_ + prefix;
    if (!start_after.empty()) args.start_after = prefix_ + start_after;
    args.max_keys = max;
    STRATA_CO_ASSIGN_OR_RETURN(auto page, co_await objects_.ListObjects(args));
    std::vector<Entry> out;
    for (auto& [key, record] : page.objects) {
      out.push_back(Entry{key.substr(prefix_.size()), record.size, record.mtime});
    }
    co_return out;
  }

 private:
  ObjectLayer& objects_;
  std::string bucket_, prefix_;
};

// A bucket on another S3 endpoint.
class RemoteTierStore final : public DataStore {
 public:
  RemoteTierStore(std::unique_ptr<S3Client> client, std::string bucket, std::string prefix)
      : client_(std::move(client)), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}

  Task<Status> Put(std::string key, std::optional<uint64_t> size, BodySource& body) override {
    if (!size) co_return Status(Code::kInvalidArgument, "a remote tier needs the length");
    std::string full = prefix_ + key;
    co_return co_await client_->PutObject(bucket_, full, *size, body);
  }
  Task<Status> Read(std::string key, uint64_t offset, uint64_t length, BodySink& sink) override {
    std::string full = prefix_ + key;
    Status st = co_await client_->GetObject(bucket_, full, offset, length, sink);
    if (st.code() == Code::kNoSuchKey) co_return Status(Code::kNotFound, std::string(st.message()));
    co_return st;
  }
  Task<Status> Delete(std::string key) override {
    std::string full = prefix_ + key;
    co_return co_await client_->DeleteObject(bucket_, full);
  }
  Task<Result<std::vector<Entry>>> List(std::string prefix, std::string start_after,
                                       size_t max) override {
    // (Named arguments: GCC 12 may destroy temporaries of a co_await
    // expression twice.)
    std::string full_prefix = prefix_ + prefix;
    std::string full_after = start_after.empty() ? std::string() : prefix_ + start_after;
    STRATA_CO_ASSIGN_OR_RETURN(auto listed,
                               co_await client_->ListObjects(bucket_, full_prefix, full_after, max));
    std::vector<Entry> out;
    for (auto& l : listed) {
      if (l.key.size() < prefix_.size()) continue;
      out.push_back(Entry{l.key.substr(prefix_.size()), l.size, l.mtime});
    }
    co_return out;
  }
  S3Client& client() { return *client_; }
  const std::string& bucket() const { return bucket_; }

 private:
  std::unique_ptr<S3Client> client_;
  std::string bucket_, prefix_;
};

Status ValidateSpec(const TierSpec& t) {
  bool name_ok = !t.name.empty() && t.name.size() <= 64 &&
                 t.name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
                     std::string::npos;
  if (!name_ok) {
    return Status(Code::kInvalidArgument,
                  "tier names are 1-64 characters of A-Z, 0-9, '-' and '_' (they are storage "
                  "classes)");
  }
  if (t.bucket.empty() || t.bucket.size() > 63) {
    return Status(Code::kInvalidArgument, "a tier needs its bucket");
  }
  if (t.prefix.size() > 512 || t.prefix.find('\0') != std::string::npos) {
    return Status(Code::kInvalidArgument, "the prefix is too long or holds NUL");
  }
  if (!t.endpoint.empty() && (t.access_key.empty() || t.secret_key.empty())) {
    return Status(Code::kInvalidArgument, "a remote tier needs its access key and secret key");
  }
  if (t.endpoint.empty() && (!t.access_key.empty() || !t.secret_key.empty())) {
    return Status(Code::kInvalidArgument, "keys are for remote tiers (--endpoint-url)");
  }
  return Status();
}

}  // namespace

TierRegistry::TierRegistry(Options options)
    : options_(std::move(options)),
      seal_key_(HmacSha256(options_.root.secret_key, "strata user secrets v1")) {}
TierRegistry::~TierRegistry() = default;

Task<Result<std::unique_ptr<TierRegistry>>> TierRegistry::Open(Options options) {
  std::unique_ptr<TierRegistry> registry(new TierRegistry(std::move(options)));
  STRATA_CO_TRY(co_await registry->Reload());
  co_return registry;
}

Result<std::shared_ptr<DataStore>> TierRegistry::MakeStore(const TierSpec& spec) const {
  if (spec.endpoint.empty()) {
    return std::shared_ptr<DataStore>(
        std::make_shared<BucketTierStore>(*options_.objects, spec.bucket, spec.prefix));
  }
  STRATA_ASSIGN_OR_RETURN(auto client, S3Client::Create({spec.endpoint, spec.access_key,
                                                         spec.secret_key, "us-east-1"}));
  return std::shared_ptr<DataStore>(
      std::make_shared<RemoteTierStore>(std::move(client), spec.bucket, spec.prefix));
}

Task<Result<std::map<std::string, TierRegistry::Entry>>> TierRegistry::Load() const {
  std::string kind(kKind);
  STRATA_CO_ASSIGN_OR_RETURN(auto records,
                             co_await options_.objects->ListConfig(kind));
  std::map<std::string, Entry> out;
  for (const auto& r : records) {
    auto j = nlohmann::json::parse(r.value, nullptr, false);
    if (!j.is_object()) continue;
    TierSpec spec;
    spec.name = r.name;
    spec.bucket = j.value("bucket", "");
    spec.prefix = j.value("prefix", "");
    spec.endpoint = j.value("endpoint", "");
    spec.access_key = j.value("access_key", "");
    if (!spec.endpoint.empty()) {
      auto sealed = Base64Decode(j.value("secret", ""));
      auto secret = sealed ? OpenAesGcm(seal_key_, *sealed, "tier:" + spec.name) : std::nullopt;
      if (!secret) {  // sealed under another root secret: unusable
        log::Warn("tier secret cannot be unsealed (root secret changed?); add the tier again",
                  {{"tier", spec.name}});
        continue;
      }
      spec.secret_key = std::move(*secret);
    }
    auto store = MakeStore(spec);
    if (!store.ok()) {
      log::Warn("tier unusable", {{"tier", spec.name}, {"error", store.status().ToString()}});
      continue;
    }
    std::string name = spec.name;  // (spec moves into the entry)
    out.emplace(std::move(name), Entry{std::move(spec), std::move(*store)});
  }
  co_return out;
}

Task<Status> TierRegistry::Reload() {
  uint64_t changes;
  {
    std::shared_lock lock(mu_);
    changes = changes_;
  }
  STRATA_CO_ASSIGN_OR_RETURN(auto tiers, co_await Load());
  std::unique_lock lock(mu_);
  if (changes == changes_) tiers_ = std::move(tiers);
  co_return Status();
}

std::shared_ptr<DataStore> TierRegistry::Find(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = tiers_.find(std::string(name));
  return it == tiers_.end() ? nullptr : it->second.store;
}

std::vector<TierSpec> TierRegistry::List() const {
  std::vector<TierSpec> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, e] : tiers_) {
    out.push_back(e.spec);
    out.back().secret_key.clear();
  }
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<DataStore>>> TierRegistry::Stores() const {
  std::vector<std::pair<std::string, std::shared_ptr<DataStore>>> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, e] : tiers_) out.emplace_back("tier:" + name, e.store);
  return out;
}

Task<Status> TierRegistry::Add(TierSpec spec) {
  STRATA_CO_TRY(ValidateSpec(spec));
  if (options_.objects->KnownStorageClass(spec.name)) {
    co_return Status(Code::kAlreadyExists, "a storage class of the topology has that name");
  }
  STRATA_CO_TRY(co_await Reload());
  if (Find(spec.name)) co_return Status(Code::kAlreadyExists, "the tier exists");
  STRATA_CO_ASSIGN_OR_RETURN(auto store, MakeStore(spec));
  // The target must answer now: a typo found at the first transition, days
  // later, helps nobody.
  if (spec.endpoint.empty()) {
    STRATA_CO_TRY((co_await options_.objects->GetBucket(spec.bucket)).status());
  } else {
    auto* remote = static_cast<RemoteTierStore*>(store.get());
    STRATA_CO_TRY(co_await remote->client().HeadBucket(remote->bucket()));
  }
  nlohmann::json value = {{"bucket", spec.bucket},
                          {"prefix", spec.prefix},
                          {"endpoint", spec.endpoint},
                          {"access_key", spec.access_key}};
  if (!spec.endpoint.empty()) {
    value["secret"] = Base64Encode(SealAesGcm(seal_key_, spec.secret_key, "tier:" + spec.name));
  }
  meta::ConfigRecord record{std::string(kKind), spec.name, value.dump(), options_.clock->Now(),
                            false};
  STRATA_CO_TRY(co_await options_.objects->PutConfig(std::move(record)));
  std::unique_lock lock(mu_);
  std::string name = spec.name;
  tiers_[name] = Entry{std::move(spec), std::move(store)};
  ++changes_;
  co_return Status();
}

Task<Status> TierRegistry::Remove(std::string name) {
  STRATA_CO_TRY(co_await Reload());
  std::shared_ptr<DataStore> store = Find(name);
  if (!store) co_return Status(Code::kNotFound, "no such tier");
  STRATA_CO_ASSIGN_OR_RETURN(auto inside, co_await store->List("", "", 1));
  if (!inside.empty()) {
    co_return Status(Code::kInvalidRequest,
                     "objects still live in tier " + name + " (e.g. " + inside.front().key + ")");
  }
  meta::ConfigRecord tombstone{std::string(kKind), name, "", options_.clock->Now(), true};
  STRATA_CO_TRY(co_await options_.objects->PutConfig(std::move(tombstone)));
  std::unique_lock lock(mu_);
  tiers_.erase(name);
  ++changes_;
  co_return Status();
}

}  // namespace strata::gw
