// Tests of the topology: the embedded default and the config parser, which
// must refuse every malformed or hostile document with kInvalidArgument and
// a message naming the problem, and never crash.

#include "server/topology.h"

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/server/drive_test_util.h"

namespace strata::server {
namespace {

using nlohmann::json;

// Six absolute drive paths /d/<tag>1../d/<tag>6 (or `n` of them).
json Drives(const std::string& tag, int n = 6) {
  json set = json::array();
  for (int i = 1; i <= n; ++i) set.push_back("/d/" + tag + std::to_string(i));
  return set;
}

json Pool(const std::string& name, int k, int m, json sets) {
  return {{"name", name}, {"data", k}, {"parity", m}, {"sets", std::move(sets)}};
}

// One pool "hot", 4+2, one set of six absolute paths.
json ValidDoc() { return {{"pools", json::array({Pool("hot", 4, 2, {Drives("a")})})}}; }

std::vector<std::string> Paths(const Topology& t) {
  std::vector<std::string> out;
  for (const auto& p : t.pools) {
    for (const auto& s : p.sets) {
      for (const auto& d : s.drives) out.push_back(d.path);
    }
  }
  return out;
}

// Parses `text`; REQUIREs a kInvalidArgument refusal whose message mentions
// `expect` (case-sensitive) when given.
void ExpectRefused(std::string_view text, const std::string& expect = {}) {
  auto r = ParseTopology(text, "/data");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_FALSE(r.status().message().empty());
  if (!expect.empty()) CHECK(std::string(r.status().message()).find(expect) != std::string::npos);
}

TEST_CASE("Topology: the default is a hot and a cold pool of six drives each", "[topology]") {
  Topology t = DefaultTopology("/srv/strata");
  REQUIRE(t.pools.size() == 2);
  int p = 0;
  for (const char* name : {"hot", "cold"}) {
    const PoolSpec& pool = t.pools[p++];
    CHECK(pool.name == name);
    CHECK(pool.data == 4);
    CHECK(pool.parity == 2);
    REQUIRE(pool.sets.size() == 1);
    REQUIRE(pool.sets[0].drives.size() == 6);
    for (int i = 0; i < 6; ++i) {
      CAPTURE(i);
      CHECK(pool.sets[0].drives[i].name == std::string(name) + "/drive" + std::to_string(i + 1));
      CHECK(pool.sets[0].drives[i].path ==
            "/srv/strata/" + std::string(name) + "/drive" + std::to_string(i + 1));
    }
  }
  // A relative data dir stays relative (resolved by the caller's cwd).
  CHECK(DefaultTopology("data").pools[0].sets[0].drives[5].path == "data/hot/drive6");
  CHECK(t.storage_classes.at("STANDARD") == "hot");
  CHECK(t.storage_classes.at("STANDARD_IA") == "cold");
  CHECK(t.storage_classes.at("GLACIER_IR") == "cold");
  CHECK(t.storage_classes.at("GLACIER") == "cold");
  CHECK_FALSE(t.storage_classes.contains("DEEP_ARCHIVE"));
}

TEST_CASE("Topology: the default, written as a config, parses to the same drives", "[topology]") {
  Topology def = DefaultTopology("/srv/strata");
  json pools = json::array();
  for (const auto& pool : def.pools) {
    json set = json::array();
    for (const auto& d : pool.sets[0].drives) set.push_back(d.path);
    pools.push_back(Pool(pool.name, 4, 2, {set}));
  }
  json doc = {{"pools", pools}};
  auto parsed = ParseTopology(doc.dump(), "/elsewhere");
  REQUIRE(parsed.ok());
  CHECK(Paths(*parsed) == Paths(def));
  CHECK(parsed->storage_classes == def.storage_classes);
}

TEST_CASE("Topology: storage classes map to pools by config", "[topology]") {
  json hot = json::array(), cold = json::array();
  for (int i = 1; i <= 6; ++i) {
    hot.push_back("h" + std::to_string(i));
    cold.push_back("c" + std::to_string(i));
  }
  json pools = json::array({Pool("fast", 4, 2, {hot}), Pool("slow", 4, 2, {cold})});
  auto one = ParseTopology(json{{"pools", json::array({Pool("fast", 4, 2, {hot})})}}.dump(), "/d");
  REQUIRE(one.ok());
  CHECK(one->storage_classes.at("GLACIER") == "fast");  // one pool: everything there
  auto mapped = ParseTopology(
      json{{"pools", pools},
           {"storage_classes", {{"STANDARD", "fast"}, {"DEEP_ARCHIVE", "slow"}}}}.dump(), "/d");
  REQUIRE(mapped.ok());
  CHECK(mapped->storage_classes.size() == 2);
  CHECK(mapped->storage_classes.at("DEEP_ARCHIVE") == "slow");
  ExpectRefused(json{{"pools", pools}, {"storage_classes", {{"STANDARD", "nowhere"}}}}.dump(),
            "names no pool");
  ExpectRefused(json{{"pools", pools}, {"storage_classes", {{"GLACIER", "slow"}}}}.dump(),
            "must map STANDARD");
  ExpectRefused(json{{"pools", pools}, {"storage_classes", {{"lower", "slow"}}}}.dump(), "A-Z");
  ExpectRefused(json{{"pools", pools}, {"storage_classes", json::array()}}.dump(), "must be an object");
}

TEST_CASE("Topology: a single pool with absolute paths", "[topology]") {
  auto t = ParseTopology(ValidDoc().dump(2), "/data");
  REQUIRE(t.ok());
  REQUIRE(t->pools.size() == 1);
  CHECK(t->pools[0].name == "hot");
  CHECK(t->pools[0].data == 4);
  CHECK(t->pools[0].parity == 2);
  REQUIRE(t->pools[0].sets.size() == 1);
  const auto& drives = t->pools[0].sets[0].drives;
  REQUIRE(drives.size() == 6);
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(drives[i].path == "/d/a" + std::to_string(i + 1));
    CHECK(drives[i].name == "hot/set1/drive" + std::to_string(i + 1));
  }
}

TEST_CASE("Topology: several pools of several sets, relative and absolute paths", "[topology]") {
  const char* text = R"({
    "pools": [
      { "name": "hot", "data": 4, "parity": 2,
        "sets": [ ["/mnt/n1", "/mnt/n2", "/mnt/n3", "/mnt/n4", "/mnt/n5", "/mnt/n6"],
                  ["h/1", "h/2", "./h/3", "h/x/../4", "h//5", "/mnt/n7/"] ] },
      { "name": "cold", "data": 2, "parity": 1,
        "sets": [ ["c1", "c2", "c3"] ], "comment": "unknown fields are ignored" }
    ]
  })";
  auto t = ParseTopology(text, "/var/lib/strata");
  REQUIRE(t.ok());
  REQUIRE(t->pools.size() == 2);
  CHECK(t->pools[0].name == "hot");
  CHECK(t->pools[1].name == "cold");
  CHECK(t->pools[1].data == 2);
  CHECK(t->pools[1].parity == 1);
  REQUIRE(t->pools[0].sets.size() == 2);
  const auto& set2 = t->pools[0].sets[1].drives;
  REQUIRE(set2.size() == 6);
  // Relative paths hang off the data dir, normalised.
  CHECK(set2[0].path == "/var/lib/strata/h/1");
  CHECK(set2[2].path == "/var/lib/strata/h/3");
  CHECK(set2[3].path == "/var/lib/strata/h/4");
  CHECK(set2[4].path == "/var/lib/strata/h/5");
  CHECK(set2[5].path.rfind("/mnt/n7", 0) == 0);
  CHECK(set2[1].name == "hot/set2/drive2");
  const auto& cold = t->pools[1].sets[0].drives;
  REQUIRE(cold.size() == 3);
  CHECK(cold[0].path == "/var/lib/strata/c1");
  CHECK(cold[2].name == "cold/set1/drive3");
}

TEST_CASE("Topology: the extremes of the erasure code are accepted", "[topology]") {
  SECTION("1 + 0") {
    json doc = {{"pools", json::array({Pool("one", 1, 0, {Drives("x", 1)})})}};
    auto t = ParseTopology(doc.dump(), "/data");
    REQUIRE(t.ok());
    CHECK(t->pools[0].sets[0].drives.size() == 1);
  }
  SECTION("16 + 16") {
    json doc = {{"pools", json::array({Pool("wide", 16, 16, {Drives("x", 32)})})}};
    auto t = ParseTopology(doc.dump(), "/data");
    REQUIRE(t.ok());
    CHECK(t->pools[0].sets[0].drives.size() == 32);
  }
  SECTION("a byte-order mark before the document") {
    CHECK(ParseTopology("\xef\xbb\xbf" + ValidDoc().dump(), "/data").ok());
  }
}

TEST_CASE("Topology: not a JSON object", "[topology][hostile]") {
  for (std::string text : {"",
                           " ",
                           "\n\t",
                           "not json",
                           "{",
                           "}",
                           "[",
                           "{\"pools\": [",
                           "null",
                           "true",
                           "42",
                           "-1",
                           "1e999",
                           "\"pools\"",
                           "[]",
                           "[{\"pools\": []}]",
                           "{'pools': []}",
                           "{pools: []}",
                           "// comment\n{}",
                           "\xef\xbb\xbf",
                           "{\"pools\": [] } trailing",
                           "{} {}"}) {
    CAPTURE(text);
    ExpectRefused(text);
  }
}

TEST_CASE("Topology: the pool list", "[topology][hostile]") {
  ExpectRefused("{}", "pools");
  ExpectRefused(R"({"pool": []})", "pools");
  ExpectRefused(R"({"Pools": [{"name": "hot"}]})", "pools");
  for (const char* value :
       {"null", "true", "1", "1.5", "\"hot\"", "{}", "{\"name\": \"hot\", \"data\": 4}", "[]"}) {
    CAPTURE(value);
    ExpectRefused(std::string(R"({"pools": )") + value + "}", "pools");
  }
}

TEST_CASE("Topology: wrong JSON types at every level", "[topology][hostile]") {
  // Values of every JSON type; each field below lists the ones it accepts.
  const std::vector<json> values = {nullptr,
                                    true,
                                    false,
                                    0,
                                    -1,
                                    4,
                                    1.5,
                                    4.0,
                                    "",
                                    "hot",
                                    "/d/x",
                                    json::array(),
                                    json::array({1, 2}),
                                    json::array({"/d/y"}),
                                    json::object(),
                                    json{{"a", 1}}};
  struct Field {
    json::json_pointer where;
    std::function<bool(const json&)> valid;  // values that are not a type error here
    std::string mention;                     // the message names the problem
  };
  auto is_name = [](const json& v) {
    return v.is_string() && !v.get<std::string>().empty() &&
           v.get<std::string>().find('/') == std::string::npos;
  };
  auto never = [](const json&) { return false; };
  auto doc_has_member = [](const json::json_pointer& p) {
    return ValidDoc()[p.parent_pointer()].is_object();
  };
  const std::vector<Field> fields = {
      {json::json_pointer("/pools/0"), never, "pool"},
      {json::json_pointer("/pools/0/name"), is_name, "name"},
      // 4.0 == 4 in nlohmann's comparison, so the type is checked too.
      {json::json_pointer("/pools/0/data"),
       [](const json& v) { return v.is_number_integer() && v == 4; }, "data"},
      {json::json_pointer("/pools/0/parity"),
       [](const json& v) { return v.is_number_integer() && v == 2; }, "parity"},
      {json::json_pointer("/pools/0/sets"), never, "set"},
      {json::json_pointer("/pools/0/sets/0"), never, "set"},
      // A path that is a non-empty string other than one already in the set.
      {json::json_pointer("/pools/0/sets/0/0"),
       [](const json& v) { return v.is_string() && !v.get<std::string>().empty(); }, "drive"},
  };
  for (const auto& field : fields) {
    for (const auto& value : values) {
      if (field.valid(value)) continue;
      json doc = ValidDoc();
      doc[field.where] = value;
      CAPTURE(field.where.to_string(), value.dump());
      ExpectRefused(doc.dump());
    }
    // And the field missing altogether (object members only).
    if (!doc_has_member(field.where)) continue;
    json doc = ValidDoc();
    doc[field.where.parent_pointer()].erase(field.where.back());
    CAPTURE("missing " + field.where.to_string());
    ExpectRefused(doc.dump(), field.mention);
  }
}

TEST_CASE("Topology: data and parity out of range", "[topology][hostile]") {
  const std::string before = R"({"pools": [{"name": "hot", "data": )";
  const std::string middle = R"(, "parity": )";
  const std::string after = R"(, "sets": [["/a", "/b", "/c", "/d", "/e", "/f"]]}]})";
  // (data, parity) pairs; every one of them must be refused.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"0", "6"},
      {"-4", "10"},
      {"17", "0"},
      {"4", "-1"},
      {"4", "17"},
      {"2", "4"},  // parity > data
      {"2147483647", "2"},
      {"2147483648", "2"},
      {"-2147483648", "2"},
      {"4294967296", "2"},
      {"9223372036854775807", "2"},
      {"9223372036854775808", "2"},
      {"-9223372036854775808", "2"},
      {"18446744073709551615", "2"},
      {"18446744073709551616", "2"},
      {"1e3", "2"},
      {"4e0", "2"},
      {"4.0", "2"},
      {"4.5", "2"},
      {"4", "2.0"},
      {"4", "1e0"},
      {"-0.0", "2"},
      {"1e999", "2"},
      {"NaN", "2"},
      {"Infinity", "2"},
      {"0x4", "2"},
      {"04", "2"},
      {"+4", "2"},
  };
  for (const auto& [k, m] : bad) {
    CAPTURE(k, m);
    ExpectRefused(before + k + middle + m + after);
  }
}

TEST_CASE("Topology: data and parity that wrap around int are refused",
          "[topology][hostile]") {
  // ParseTopology checks is_number_integer() and then get<int>(), which
  // truncates a 64-bit value: 4294967300 (2^32 + 4) becomes 4 and passes the
  // 1..16 range check, so the config is accepted as 4+2. The range must be
  // checked on the 64-bit value.
  const std::string sets = R"(, "sets": [["/a", "/b", "/c", "/d", "/e", "/f"]]}]})";
  for (const auto& [k, m] : std::vector<std::pair<std::string, std::string>>{
           {"4294967300", "2"},
           {"4", "4294967298"},
           {"-4294967292", "2"},
           {"18446744069414584324", "2"},  // 2^64 - 2^32 + 4: unsigned, low word 4
       }) {
    CAPTURE(k, m);
    auto r = ParseTopology(
        R"({"pools": [{"name": "hot", "data": )" + k + R"(, "parity": )" + m + sets, "/data");
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("Topology: set sizes must be data + parity", "[topology][hostile]") {
  for (int n : {0, 1, 5, 7, 12, 1000}) {
    CAPTURE(n);
    json doc = ValidDoc();
    doc["pools"][0]["sets"] = json::array({Drives("s", n)});
    ExpectRefused(doc.dump(), "set");
  }
  // One good set and one short one.
  json doc = ValidDoc();
  doc["pools"][0]["sets"].push_back(Drives("t", 5));
  ExpectRefused(doc.dump(), "set");
  // No sets at all.
  doc["pools"][0]["sets"] = json::array();
  ExpectRefused(doc.dump(), "sets");
}

TEST_CASE("Topology: duplicate drive paths and pool names", "[topology][hostile]") {
  SECTION("the same path twice in a set") {
    json doc = ValidDoc();
    doc["pools"][0]["sets"][0][5] = "/d/a1";
    ExpectRefused(doc.dump(), "/d/a1");
  }
  SECTION("the same path in two sets") {
    json doc = ValidDoc();
    json set = Drives("b");
    set[3] = "/d/a4";
    doc["pools"][0]["sets"].push_back(set);
    ExpectRefused(doc.dump(), "twice");
  }
  SECTION("the same path in two pools") {
    json doc = ValidDoc();
    json set = Drives("b", 3);
    set[2] = "/d/a6";
    doc["pools"].push_back(Pool("cold", 2, 1, {set}));
    ExpectRefused(doc.dump(), "twice");
  }
  SECTION("spelled differently: relative and absolute, dots, double slashes") {
    for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
             {"x", "/data/x"},
             {"./x", "x"},
             {"x/../y", "y"},
             {"/d/a/b", "/d//a/b"},
             {"/d/a/b", "/d/a/./b"},
             {"/d/a/b", "/d/a/c/../b"},
         }) {
      CAPTURE(first, second);
      json doc = ValidDoc();
      doc["pools"][0]["sets"][0][0] = first;
      doc["pools"][0]["sets"][0][1] = second;
      ExpectRefused(doc.dump(), "twice");
    }
  }
  SECTION("duplicate pool names") {
    json doc = ValidDoc();
    doc["pools"].push_back(Pool("hot", 2, 1, {Drives("b", 3)}));
    ExpectRefused(doc.dump(), "hot");
  }
  SECTION("bad pool names") {
    for (const char* name : {"", "a/b", "/", "hot/"}) {
      CAPTURE(name);
      json doc = ValidDoc();
      doc["pools"][0]["name"] = name;
      ExpectRefused(doc.dump(), "name");
    }
  }
}

TEST_CASE("Topology: a trailing slash does not make a drive path new",
          "[topology][hostile]") {
  // lexically_normal keeps a trailing separator ("/d/a1/" stays "/d/a1/"),
  // so "/d/a1" and "/d/a1/" count as two drives: one folder would hold two
  // shards of every stripe, and losing it loses both.
  for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
           {"/d/a1", "/d/a1/"},
           {"x", "x/"},
           {"/d/a1", "/d/a1/."},
       }) {
    CAPTURE(first, second);
    json doc = ValidDoc();
    doc["pools"][0]["sets"][0][0] = first;
    doc["pools"][0]["sets"][0][1] = second;
    CHECK_FALSE(ParseTopology(doc.dump(), "/data").ok());
  }
}

TEST_CASE("Topology: a 1 MB document of nested arrays is refused, not a crash",
          "[topology][hostile]") {
  constexpr size_t kDepth = 512 * 1024;  // 1 MiB of brackets
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  ExpectRefused(deep);
  // Unbalanced: all openers.
  ExpectRefused(std::string(1 << 20, '['));
  // The same depth where a pool, a set, a drive and a number are expected.
  ExpectRefused(R"({"pools": )" + deep + "}");
  ExpectRefused(R"({"pools": [{"name": "hot", "data": 4, "parity": 2, "sets": )" + deep + "}]}");
  json doc = ValidDoc();
  std::string text = doc.dump();
  std::string nested = std::string(kDepth, '[') + "\"/d/deep\"" + std::string(kDepth, ']');
  std::string needle = "\"/d/a1\"";
  text.replace(text.find(needle), needle.size(), nested);
  ExpectRefused(text, "drive");
  // Nested objects too.
  std::string objects;
  for (size_t i = 0; i < kDepth / 6; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kDepth / 6, '}');
  ExpectRefused(objects);
  ExpectRefused(R"({"pools": [)" + objects + "]}");
}

TEST_CASE("Topology: a large but valid document parses", "[topology][hostile]") {
  // 2000 sets of 6 drives: well under 1 MB, parsed in one go.
  json sets = json::array();
  for (int s = 0; s < 2000; ++s) sets.push_back(Drives("s" + std::to_string(s) + "-"));
  json doc = {{"pools", json::array({Pool("hot", 4, 2, sets)})}};
  auto t = ParseTopology(doc.dump(), "/data");
  REQUIRE(t.ok());
  CHECK(t->pools[0].sets.size() == 2000);
  CHECK(t->pools[0].sets[1999].drives[5].name == "hot/set2000/drive6");
}

TEST_CASE("Topology: NUL bytes", "[topology][hostile]") {
  const std::string valid = ValidDoc().dump();
  ExpectRefused(std::string("\0", 1));
  ExpectRefused(std::string("\0", 1) + valid);
  ExpectRefused(valid.substr(0, 10) + std::string("\0", 1) + valid.substr(10));
  // A raw NUL inside a string literal is an unescaped control character.
  std::string raw = valid;
  raw.replace(raw.find("/d/a1"), 5, std::string("/d/\0a", 5));
  ExpectRefused(raw);
  std::string name = valid;
  name.replace(name.find("\"hot\""), 5, std::string("\"h\0t\"", 5));
  ExpectRefused(name);
}

TEST_CASE("Topology: a NUL after the document is not the end of the input",
          "[topology][hostile]") {
  // nlohmann's lexer takes a NUL byte for the end of input (meant for C
  // string literals), and ParseTopology passes it the whole string_view: a
  // file holding a config, a NUL and anything at all (another config, a
  // half-written edit) is accepted as its first part.
  const std::string valid = ValidDoc().dump();
  for (const std::string& tail : {std::string("\0", 1), std::string("\0garbage", 8),
                                  std::string("\0", 1) + ValidDoc().dump()}) {
    CHECK_FALSE(ParseTopology(valid + tail, "/data").ok());
  }
}

TEST_CASE("Topology: an escaped NUL inside a drive path is refused",
          "[topology][hostile]") {
  // "\u0000" is valid JSON, so "/d/a\u0000x" reaches the topology as a path
  // with a NUL in it. Every file API stops at the NUL: "/d/a\u0000x" and
  // "/d/a\u0000y" pass the duplicate check yet both open "/d/a".
  json doc = ValidDoc();
  doc["pools"][0]["sets"][0][0] = std::string("/d/a\0x", 6);
  doc["pools"][0]["sets"][0][1] = std::string("/d/a\0y", 6);
  CHECK_FALSE(ParseTopology(doc.dump(), "/data").ok());
  json one = ValidDoc();
  one["pools"][0]["name"] = std::string("h\0t", 3);
  CHECK_FALSE(ParseTopology(one.dump(), "/data").ok());
}

TEST_CASE("Topology: invalid UTF-8", "[topology][hostile]") {
  const std::string valid = ValidDoc().dump();
  for (const std::string& bad : {
           std::string("\xff"), std::string("\xfe\xff"),
           std::string("\xc0\xaf"),          // overlong '/'
           std::string("\xe0\x80\xaf"),      // overlong, three bytes
           std::string("\xed\xa0\x80"),      // a UTF-16 surrogate
           std::string("\xf4\x90\x80\x80"),  // past U+10FFFF
           std::string("\xc3"),              // truncated
           std::string("\x80"),              // a lone continuation byte
       }) {
    CAPTURE(bad);
    std::string in_path = valid;
    in_path.insert(in_path.find("/d/a1") + 3, bad);
    ExpectRefused(in_path);
    std::string in_name = valid;
    in_name.insert(in_name.find("\"hot\"") + 1, bad);
    ExpectRefused(in_name);
    ExpectRefused(bad + valid);
    ExpectRefused(valid + bad);
  }
  // Escaped lone surrogates are not valid text either.
  for (const char* esc : {"\\ud800", "\\udc00", "\\ud800\\u0041"}) {
    CAPTURE(esc);
    std::string text = valid;
    text.insert(text.find("/d/a1") + 3, esc);
    ExpectRefused(text);
  }
}

TEST_CASE("Topology: LoadTopology reads a file and refuses a missing or huge one", "[topology]") {
  testing::TempDir dir;
  const auto file = dir.path() / "strata.json";
  testing::WriteFile(file, ValidDoc().dump(2));
  auto t = LoadTopology(file.string(), "/data");
  REQUIRE(t.ok());
  CHECK(t->pools[0].sets[0].drives.size() == 6);

  CHECK(LoadTopology((dir.path() / "absent.json").string(), "/data").status().code() ==
        Code::kInvalidArgument);
  CHECK(LoadTopology(dir.path().string(), "/data").status().code() == Code::kInvalidArgument);
  CHECK(LoadTopology("", "/data").status().code() == Code::kInvalidArgument);

  // Over 1 MiB, even when it would parse.
  testing::WriteFile(file, std::string((1 << 20) + 1, ' ') + ValidDoc().dump());
  auto huge = LoadTopology(file.string(), "/data");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().code() == Code::kInvalidArgument);

  testing::WriteFile(file, "");
  CHECK(LoadTopology(file.string(), "/data").status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::server
