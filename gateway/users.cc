#include "gateway/users.h"

#include <algorithm>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/encoding.h"

namespace strata::gw {
namespace {

constexpr std::string_view kKind = "user";

bool IdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("+=,.@_-").find(c) != std::string_view::npos;
}

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

// Like AWS access key ids: upper-case letters and digits.
std::string GenerateAccessKey() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string raw = RandomBytes(18);
  std::string out = "SK";
  for (unsigned char c : raw) out.push_back(kAlphabet[c % 32]);
  return out;
}

std::string GenerateSecretKey() {
  // 30 random bytes as 40 base64 characters, like AWS secret keys.
  std::string s = Base64Encode(RandomBytes(30));
  std::replace(s.begin(), s.end(), '/', '-');
  std::replace(s.begin(), s.end(), '+', '_');
  return s;
}

}  // namespace

std::string_view PolicyName(Policy policy) {
  return policy == Policy::kReadOnly ? "readonly" : "readwrite";
}

std::optional<Policy> ParsePolicy(std::string_view name) {
  if (name == "readwrite") return Policy::kReadWrite;
  if (name == "readonly") return Policy::kReadOnly;
  return std::nullopt;
}

Status ValidateNewUser(const NewUser& user) {
  if (user.name.empty() || user.name.size() > 64 || !AllOf(user.name, IdentChar)) {
    return Status(Code::kInvalidArgument,
                  "user names are 1-64 characters of letters, digits and +=,.@_-");
  }
  if (!user.access_key.empty() &&
      (user.access_key.size() < 3 || user.access_key.size() > 128 ||
       !AllOf(user.access_key, IdentChar))) {
    return Status(Code::kInvalidArgument,
                  "access keys are 3-128 characters of letters, digits and +=,.@_-");
  }
  if (!user.secret_key.empty() &&
      (user.secret_key.size() < 8 || user.secret_key.size() > 128 ||
       !AllOf(user.secret_key, [](char c) { return c > ' ' && c < 0x7f; }))) {
    return Status(Code::kInvalidArgument,
                  "secret keys are 8-128 printable characters without spaces");
  }
  if (user.access_key.empty() != user.secret_key.empty()) {
    return Status(Code::kInvalidArgument, "give both an access key and a secret key, or neither");
  }
  return Status();
}

UserStore::UserStore(Options options)
    : options_(std::move(options)),
      seal_key_(HmacSha256(options_.root.secret_key, "strata user secrets v1")) {}

Task<Result<std::unique_ptr<UserStore>>> UserStore::Open(Options options) {
  std::unique_ptr<UserStore> store(new UserStore(std::move(options)));
  STRATA_CO_TRY(co_await store->Reload());
  co_return store;
}

std::string UserStore::SealSecret(const User& user) const {
  return Base64Encode(SealAesGcm(seal_key_, user.secret_key, user.name));
}

Task<Result<UserStore::Table>> UserStore::Load() const {
  std::string kind(kKind);
  STRATA_CO_ASSIGN_OR_RETURN(auto records,
                             co_await options_.objects->ListConfig(kind));
  Table table;
  for (const auto& r : records) {
    auto json = nlohmann::json::parse(r.value, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json["access_key"].is_string() || !json["secret"].is_string() ||
        !json["policy"].is_string() || !json["created"].is_number_integer()) {
      ++table.unreadable;
      continue;
    }
    User user;
    user.name = r.name;
    user.access_key = json["access_key"].get<std::string>();
    auto policy = ParsePolicy(json["policy"].get<std::string>());
    auto sealed = Base64Decode(json["secret"].get<std::string>());
    std::optional<std::string> secret;
    if (sealed) secret = OpenAesGcm(seal_key_, *sealed, user.name);
    if (!policy || !secret) {
      ++table.unreadable;
      continue;
    }
    user.policy = *policy;
    user.secret_key = std::move(*secret);
    user.created = FromMicros(json["created"].get<int64_t>());
    table.by_access_key.insert_or_assign(user.access_key, std::move(user));
  }
  co_return table;
}

Task<Status> UserStore::Reload() {
  uint64_t changes;
  {
    std::shared_lock lock(mu_);
    changes = changes_;
  }
  STRATA_CO_ASSIGN_OR_RETURN(Table table, co_await Load());
  std::unique_lock lock(mu_);
  // An Add or Remove finished while this read the drives: what was read may
  // predate it, and a removed key must not come back even for a moment.
  if (changes_ == changes) table_ = std::move(table);
  co_return Status();
}

std::optional<UserStore::Lookup> UserStore::Find(std::string_view access_key) const {
  if (ConstantTimeEquals(access_key, options_.root.access_key)) {
    return Lookup{options_.root.secret_key, Principal{"root", true, Policy::kReadWrite}};
  }
  std::shared_lock lock(mu_);
  auto it = table_.by_access_key.find(std::string(access_key));
  if (it == table_.by_access_key.end()) return std::nullopt;
  return Lookup{it->second.secret_key, Principal{it->second.name, false, it->second.policy}};
}

Task<Result<User>> UserStore::Add(NewUser request) {
  STRATA_CO_TRY(ValidateNewUser(request));
  User user;
  user.name = std::move(request.name);
  user.policy = request.policy;
  user.access_key = request.access_key.empty() ? GenerateAccessKey() : std::move(request.access_key);
  user.secret_key = request.secret_key.empty() ? GenerateSecretKey() : std::move(request.secret_key);
  user.created = options_.clock->Now();
  // Decide on what the drives say now, not on a table another gateway may
  // have changed since.
  STRATA_CO_TRY(co_await Reload());
  {
    std::shared_lock lock(mu_);
    if (user.access_key == options_.root.access_key ||
        table_.by_access_key.contains(user.access_key)) {
      co_return Status(Code::kAlreadyExists, "that access key is taken");
    }
    for (const auto& [key, u] : table_.by_access_key) {
      if (u.name == user.name) co_return Status(Code::kAlreadyExists, "the user exists");
    }
  }
  nlohmann::json value = {{"access_key", user.access_key},
                          {"secret", SealSecret(user)},
                          {"policy", PolicyName(user.policy)},
                          {"created", ToMicros(user.created)}};
  meta::ConfigRecord record{std::string(kKind), user.name, value.dump(), user.created, false};
  STRATA_CO_TRY(co_await options_.objects->PutConfig(std::move(record)));
  {
    std::unique_lock lock(mu_);
    table_.by_access_key.insert_or_assign(user.access_key, user);
    ++changes_;
  }
  co_return user;
}

Task<Status> UserStore::Remove(std::string name) {
  STRATA_CO_TRY(co_await Reload());
  {
    std::shared_lock lock(mu_);
    bool found = std::any_of(table_.by_access_key.begin(), table_.by_access_key.end(),
                             [&](const auto& entry) { return entry.second.name == name; });
    if (!found) co_return Status(Code::kNotFound, "no such user");
  }
  meta::ConfigRecord tombstone{std::string(kKind), name, "", options_.clock->Now(), true};
  STRATA_CO_TRY(co_await options_.objects->PutConfig(std::move(tombstone)));
  std::unique_lock lock(mu_);
  std::erase_if(table_.by_access_key, [&](const auto& entry) { return entry.second.name == name; });
  ++changes_;
  co_return Status();
}

std::vector<User> UserStore::List() const {
  std::vector<User> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, user] : table_.by_access_key) {
      out.push_back(user);
      out.back().secret_key.clear();
    }
  }
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.name < b.name; });
  return out;
}

size_t UserStore::unreadable() const {
  std::shared_lock lock(mu_);
  return table_.unreadable;
}

}  // namespace strata::gw
