// UserStore over a real erasure set (six LocalDrives behind fault-injecting
// decorators): keys, policies, persistence, sealing at rest, quorum, and a
// drive that missed a removal.
#include "gateway/users.h"

#include <catch2/catch.hpp>

#include "tests/gateway/object_layer_test_util.h"

namespace strata::gw {
namespace {

const Credentials kRoot{"root-access", "root-secret-key"};

std::unique_ptr<UserStore> OpenUsers(TestCluster& c, Credentials root = kRoot) {
  auto store = c.Run(UserStore::Open({&c.layer(), std::move(root), &Clock::Real()}));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

TEST_CASE("users get keys, authenticate with them, and carry their policy", "[users]") {
  TestCluster c;
  auto users = OpenUsers(c);
  auto alice = c.Run(users->Add({"alice", Policy::kReadOnly, "", ""}));
  REQUIRE(alice.ok());
  CHECK(alice->access_key.size() == 20);
  CHECK(alice->secret_key.size() == 40);
  auto bob = c.Run(users->Add({"bob", Policy::kReadWrite, "BOBKEY", "bob-secret"}));
  REQUIRE(bob.ok());

  auto found = users->Find(alice->access_key);
  REQUIRE(found.has_value());
  CHECK(found->secret_key == alice->secret_key);
  CHECK(found->principal.name == "alice");
  CHECK_FALSE(found->principal.root);
  CHECK_FALSE(found->principal.may_write());
  found = users->Find("BOBKEY");
  REQUIRE(found.has_value());
  CHECK(found->secret_key == "bob-secret");
  CHECK(found->principal.may_write());
  found = users->Find(kRoot.access_key);
  REQUIRE(found.has_value());
  CHECK(found->principal.root);
  CHECK(found->secret_key == kRoot.secret_key);
  CHECK_FALSE(users->Find("nobody").has_value());

  auto list = users->List();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "alice");
  CHECK(list[0].secret_key.empty());
  CHECK(list[1].policy == Policy::kReadWrite);
}

TEST_CASE("names and access keys are unique, and bad input is refused", "[users]") {
  TestCluster c;
  auto users = OpenUsers(c);
  REQUIRE(c.Run(users->Add({"alice", Policy::kReadWrite, "AKEY1", "secret-1"})).ok());
  CHECK(c.Run(users->Add({"alice", Policy::kReadWrite, "", ""})).status().code() ==
        Code::kAlreadyExists);
  CHECK(c.Run(users->Add({"carol", Policy::kReadWrite, "AKEY1", "secret-2"})).status().code() ==
        Code::kAlreadyExists);
  CHECK(c.Run(users->Add({"dave", Policy::kReadWrite, kRoot.access_key, "secret-3"}))
            .status()
            .code() == Code::kAlreadyExists);
  for (const NewUser& bad : std::vector<NewUser>{
           {"", Policy::kReadWrite, "", ""},
           {std::string(65, 'a'), Policy::kReadWrite, "", ""},
           {"has space", Policy::kReadWrite, "", ""},
           {"slash/name", Policy::kReadWrite, "", ""},
           {"ok", Policy::kReadWrite, "AK", "long-enough"},       // access key too short
           {"ok", Policy::kReadWrite, "AKEY9", "short"},          // secret too short
           {"ok", Policy::kReadWrite, "AKEY9", ""},               // one without the other
           {"ok", Policy::kReadWrite, "AK EY", "long-enough"},    // space in the key
           {"ok", Policy::kReadWrite, "AKEY9", "has a space"}}) {
    CHECK(c.Run(users->Add(bad)).status().code() == Code::kInvalidArgument);
  }
  CHECK(users->List().size() == 1);
}

TEST_CASE("a removed user's key stops working at once and stays removed", "[users]") {
  TestCluster c;
  auto users = OpenUsers(c);
  auto alice = c.Run(users->Add({"alice", Policy::kReadWrite, "", ""}));
  REQUIRE(alice.ok());
  CHECK(c.Run(users->Remove("nobody")).code() == Code::kNotFound);

  // Drive 5 misses the removal: when it comes back, its stale copy of alice
  // must not resurrect her (the tombstone on the others is newer).
  c.SetOffline({5}, true);
  REQUIRE(c.Run(users->Remove("alice")).ok());
  CHECK_FALSE(users->Find(alice->access_key).has_value());
  c.SetOffline({5}, false);
  REQUIRE(c.Run(users->Reload()).ok());
  CHECK_FALSE(users->Find(alice->access_key).has_value());
  auto reopened = OpenUsers(c);
  CHECK_FALSE(reopened->Find(alice->access_key).has_value());
  CHECK(reopened->List().empty());

  // The name can be used again.
  REQUIRE(c.Run(users->Add({"alice", Policy::kReadOnly, "", ""})).ok());
  CHECK(OpenUsers(c)->List().size() == 1);
}

TEST_CASE("users persist, sealed under the root secret", "[users]") {
  TestCluster c;
  {
    auto users = OpenUsers(c);
    REQUIRE(c.Run(users->Add({"alice", Policy::kReadOnly, "AKEYALICE", "alice-secret-123"})).ok());
  }
  // Another store over the same drives (a restart) knows her.
  auto again = OpenUsers(c);
  auto found = again->Find("AKEYALICE");
  REQUIRE(found.has_value());
  CHECK(found->secret_key == "alice-secret-123");
  CHECK(found->principal.policy == Policy::kReadOnly);
  CHECK(again->unreadable() == 0);

  // The drives hold the secret sealed, never in the clear.
  for (int i = 0; i < TestCluster::kN; ++i) {
    auto records = c.Run(c.drive(i).inner().ListConfig("user"));
    REQUIRE(records.ok());
    REQUIRE(records->size() == 1);
    CHECK(records->front().value.find("alice-secret-123") == std::string::npos);
  }

  // Under another root secret the record cannot be unsealed: skipped, counted.
  auto other = OpenUsers(c, Credentials{"root-access", "a-different-root-secret"});
  CHECK_FALSE(other->Find("AKEYALICE").has_value());
  CHECK(other->unreadable() == 1);
}

TEST_CASE("user changes need a write quorum", "[users]") {
  TestCluster c;
  auto users = OpenUsers(c);
  c.SetOffline({0, 1}, true);  // 4 of 6 left: still a quorum for 4+2
  REQUIRE(c.Run(users->Add({"alice", Policy::kReadWrite, "", ""})).ok());
  c.SetOffline({2}, true);  // 3 of 6
  CHECK(c.Run(users->Add({"bob", Policy::kReadWrite, "", ""})).status().code() ==
        Code::kUnavailable);
  CHECK_FALSE(users->Find("bob").has_value());
  c.ClearFaults();
  // What reached a minority of drives only is not a user.
  auto reopened = OpenUsers(c);
  auto names = reopened->List();
  REQUIRE(names.size() == 1);
  CHECK(names[0].name == "alice");
}

}  // namespace
}  // namespace strata::gw
