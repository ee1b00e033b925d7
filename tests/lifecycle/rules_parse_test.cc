// Every element of the lifecycle grammar parses into the right field, and rendering gives
// back a document that parses to the same configuration.

#include <catch2/catch.hpp>

#include "lifecycle/rules.h"
#include "tests/lifecycle/helpers.h"

namespace strata::lifecycle {
namespace {

using testing::Doc;
using testing::MustParse;
using testing::Parse;
using testing::T;

TEST_CASE("A V2 configuration with every element parses into its fields", "[rules]") {
  const Configuration c = MustParse(Doc(R"(
    <Rule>
      <ID>hot-to-cold</ID>
      <Filter><And>
        <Prefix>train/</Prefix>
        <Tag><Key>tier</Key><Value>cold</Value></Tag>
        <Tag><Key>team</Key><Value>vision</Value></Tag>
        <ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan>
        <ObjectSizeLessThan>1099511627776</ObjectSizeLessThan>
      </And></Filter>
      <Status>Enabled</Status>
      <Transition><Days>0</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
      <Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>
      <Expiration><Days>365</Days></Expiration>
      <NoncurrentVersionTransition>
        <NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions>
        <StorageClass>GLACIER_IR</StorageClass>
      </NoncurrentVersionTransition>
      <NoncurrentVersionTransition>
        <NoncurrentDays>0</NoncurrentDays><StorageClass>archive</StorageClass>
      </NoncurrentVersionTransition>
      <NoncurrentVersionExpiration>
        <NoncurrentDays>90</NoncurrentDays><NewerNoncurrentVersions>5</NewerNoncurrentVersions>
      </NoncurrentVersionExpiration>
    </Rule>
    <Rule>
      <ID>uploads</ID>
      <Filter><Prefix>tmp/</Prefix></Filter>
      <Status>Disabled</Status>
      <AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation>
      </AbortIncompleteMultipartUpload>
      <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>
    </Rule>
    <Rule><ID>one-tag</ID><Filter><Tag><Key>k</Key><Value></Value></Tag></Filter>
      <Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>
    <Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter>
      <Status>Enabled</Status>
      <Transition><Date>2029-06-01T00:00:00.000Z</Date><StorageClass>GLACIER</StorageClass>
      </Transition></Rule>
    <Rule><ID>small</ID><Filter><ObjectSizeLessThan>4096</ObjectSizeLessThan></Filter>
      <Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
    <Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>
      <NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>
      </NoncurrentVersionExpiration></Rule>
  )"));
  REQUIRE(c.rules.size() == 6);

  const Rule& r = c.rules[0];
  CHECK(r.id == "hot-to-cold");
  CHECK(r.enabled);
  CHECK_FALSE(r.legacy_prefix);
  CHECK(r.filter.prefix == "train/");
  CHECK(r.filter.tags == TagSet{{"tier", "cold"}, {"team", "vision"}});
  CHECK(r.filter.size_greater_than == 1024u);
  CHECK(r.filter.size_less_than == 1099511627776u);
  REQUIRE(r.transitions.size() == 2);
  CHECK(r.transitions[0] == Transition{0, std::nullopt, "STANDARD_IA"});
  CHECK(r.transitions[1] == Transition{30, std::nullopt, "GLACIER"});
  REQUIRE(r.expiration);
  CHECK(r.expiration->days == 365);
  CHECK_FALSE(r.expiration->date);
  REQUIRE(r.noncurrent_transitions.size() == 2);
  CHECK(r.noncurrent_transitions[0] == NoncurrentTransition{7, 2, "GLACIER_IR"});
  CHECK(r.noncurrent_transitions[1] == NoncurrentTransition{0, std::nullopt, "archive"});
  CHECK(r.noncurrent_expiration == NoncurrentExpiration{90, 5});
  CHECK_FALSE(r.abort_incomplete_multipart_days);

  const Rule& u = c.rules[1];
  CHECK_FALSE(u.enabled);
  CHECK(u.filter == Filter{"tmp/", {}, std::nullopt, std::nullopt});
  CHECK(u.abort_incomplete_multipart_days == 3);
  REQUIRE(u.expiration);
  CHECK(u.expiration->expired_object_delete_marker);
  CHECK_FALSE(u.expiration->days);

  CHECK(c.rules[2].filter.tags == TagSet{{"k", ""}});
  CHECK_FALSE(c.rules[2].filter.prefix);
  CHECK(c.rules[2].expiration->date == T("2030-01-01T00:00:00Z"));
  CHECK(c.rules[3].filter.size_greater_than == 0u);
  CHECK(c.rules[3].transitions[0].date == T("2029-06-01T00:00:00Z"));
  CHECK(c.rules[4].filter.size_less_than == 4096u);
  CHECK(c.rules[5].filter == Filter{});
  CHECK(c.rules[5].noncurrent_expiration == NoncurrentExpiration{1, std::nullopt});
}

TEST_CASE("A V1 configuration keeps its rule-level prefixes", "[rules]") {
  const Configuration c =
      MustParse(Doc("<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status>"
                    "<Expiration><Days>7</Days></Expiration></Rule>"
                    "<Rule><ID>b</ID><Prefix></Prefix><Status>Enabled</Status>"
                    "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
                    "</NoncurrentVersionExpiration></Rule>"));
  REQUIRE(c.rules.size() == 2);
  CHECK(c.rules[0].legacy_prefix);
  CHECK(c.rules[0].filter.prefix == "logs/");
  CHECK(c.rules[1].legacy_prefix);
  CHECK(c.rules[1].filter.prefix == "");
}

TEST_CASE("Rules without an ID are named rule-N with the lowest free N", "[rules]") {
  const std::string rule_body =
      "<Filter><Prefix>p</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration>";
  const Configuration c = MustParse(Doc("<Rule>" + rule_body + "</Rule>" +  //
                                        "<Rule><ID>rule-1</ID>" + rule_body + "</Rule>" +
                                        "<Rule><ID></ID>" + rule_body + "</Rule>"));
  REQUIRE(c.rules.size() == 3);
  CHECK(c.rules[0].id == "rule-2");
  CHECK(c.rules[1].id == "rule-1");
  CHECK(c.rules[2].id == "rule-3");
}

TEST_CASE("What clients send besides the canonical form is understood", "[rules]") {
  SECTION("no namespace, a BOM, comments, CDATA, whitespace and any element order") {
    const Configuration c = MustParse(
        "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- a comment --><LifecycleConfiguration>\n"
        "  <Rule>\n"
        "    <Status> Enabled </Status>\n"
        "    <Expiration><Days> +5 </Days></Expiration>\n"
        "    <Filter><Prefix><![CDATA[a&b/]]></Prefix></Filter>\n"
        "    <ID>x<!-- split -->y</ID>\n"
        "    <?pi ignored?>\n"
        "  </Rule>\n"
        "</LifecycleConfiguration>\n");
    REQUIRE(c.rules.size() == 1);
    CHECK(c.rules[0].id == "xy");
    CHECK(c.rules[0].filter.prefix == "a&b/");
    CHECK(c.rules[0].expiration->days == 5);
  }
  SECTION("the spelling of AWS's own examples") {
    const Configuration c = MustParse(
        "<LifeCycleConfiguration><Rule><ID>a</ID><Filter/><Status>Enabled</Status>"
        "<Expiration><Days>1</Days></Expiration></Rule></LifeCycleConfiguration>");
    CHECK(c.rules.size() == 1);
  }
  SECTION("whitespace-only prefixes and values are kept as they are") {
    const Configuration c = MustParse(
        Doc("<Rule><ID> </ID><Filter><And><Prefix> </Prefix><Tag><Key>k</Key><Value> v </Value>"
            "</Tag></And></Filter><Status>Enabled</Status>"
            "<Expiration><Days>1</Days></Expiration></Rule>"));
    CHECK(c.rules[0].id == " ");
    CHECK(c.rules[0].filter.prefix == " ");
    CHECK(c.rules[0].filter.tags == TagSet{{"k", " v "}});
  }
  SECTION("an And of one predicate is that predicate") {
    const Configuration c =
        MustParse(Doc("<Rule><ID>a</ID><Filter><And><Prefix>p/</Prefix></And></Filter>"
                      "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"));
    CHECK(c.rules[0].filter == Filter{"p/", {}, std::nullopt, std::nullopt});
  }
  SECTION("dates in every form the SDKs write, booleans as xsd:boolean") {
    for (std::string date : {"2031-03-01", "2031-03-01T00:00:00Z", "2031-03-01T00:00:00.000Z",
                             "2031-03-01T00:00:00+00:00", "2031-03-01T01:00:00+01:00"}) {
      INFO(date);
      const Configuration c =
          MustParse(Doc("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Date>" +
                        date + "</Date></Expiration></Rule>"));
      CHECK(c.rules[0].expiration->date == T("2031-03-01T00:00:00Z"));
    }
    for (auto [text, value] :
         {std::pair{"true", true}, {"1", true}, {"false", false}, {"0", false}, {" true ", true}}) {
      INFO(text);
      const Configuration c =
          MustParse(Doc(std::string("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration>"
                                    "<ExpiredObjectDeleteMarker>") +
                        text + "</ExpiredObjectDeleteMarker></Expiration></Rule>"));
      CHECK(c.rules[0].expiration->expired_object_delete_marker == value);
    }
  }
  SECTION("1000 rules are allowed") {
    std::string rules;
    for (int i = 0; i < 1000; ++i) {
      rules += "<Rule><Filter><Prefix>p" + std::to_string(i) +
               "/</Prefix></Filter><Status>Enabled</Status>"
               "<Expiration><Days>1</Days></Expiration></Rule>";
    }
    const Configuration c = MustParse(Doc(rules));
    CHECK(c.rules.size() == 1000);
    CHECK(c.rules[999].id == "rule-1000");
  }
  SECTION("an ID of 255 characters, multi-byte ones counted as one") {
    std::string id;
    for (int i = 0; i < 255; ++i) id += "\xC3\xA9";  // é: 2 bytes, 1 character
    const Configuration c = MustParse(Doc("<Rule><ID>" + id +
                                          "</ID><Filter/><Status>Enabled</Status>"
                                          "<Expiration><Days>1</Days></Expiration></Rule>"));
    CHECK(c.rules[0].id == id);
  }
}

TEST_CASE("An unknown storage class is refused, and an empty predicate knows them all", "[rules]") {
  const std::string doc =
      Doc("<Rule><ID>a</ID><Filter/><Status>Enabled</Status>"
          "<Transition><Days>1</Days><StorageClass>DEEP_FREEZE</StorageClass></Transition></Rule>");
  CHECK(Parse(doc).status().code() == Code::kInvalidStorageClass);
  CHECK(ParseConfiguration(doc, nullptr).ok());
}

// --- Round trips ---------------------------------------------------------------------------

const char* const kRoundTripDocs[] = {
    R"(<Rule><ID>full</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>k1</Key><Value>v1</Value>
       </Tag><Tag><Key>k2</Key><Value></Value></Tag><ObjectSizeGreaterThan>10
       </ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter>
       <Status>Enabled</Status>
       <Transition><Days>1</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
       <Transition><Days>2</Days><StorageClass>GLACIER</StorageClass></Transition>
       <Expiration><Days>3</Days></Expiration>
       <NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>
       <NewerNoncurrentVersions>3</NewerNoncurrentVersions><StorageClass>archive</StorageClass>
       </NoncurrentVersionTransition>
       <NoncurrentVersionExpiration><NoncurrentDays>4</NoncurrentDays>
       <NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>
       </Rule>)",
    R"(<Rule><Filter><Prefix></Prefix></Filter><Status>Disabled</Status>
       <Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>
       <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>
       </AbortIncompleteMultipartUpload></Rule>
       <Rule><Filter/><Status>Enabled</Status>
       <Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass>
       </Transition><Expiration><Date>2031-01-01</Date></Expiration></Rule>)",
    R"(<Rule><ID>tag</ID><Filter><Tag><Key>&lt;&amp;&gt;"'</Key><Value>&#x9;&#xA;&#xD;</Value>
       </Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
       <Rule><ID>size</ID><Filter><ObjectSizeLessThan>1</ObjectSizeLessThan></Filter>
       <Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>)",
    R"(<Rule><ID>v1</ID><Prefix>logs/ünïcødé/😀</Prefix><Status>Enabled</Status>
       <Expiration><Days>30</Days></Expiration></Rule>
       <Rule><ID>v1b</ID><Prefix>data/</Prefix><Status>Enabled</Status>
       <Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>)",
};

TEST_CASE("Parse(Render(c)) == c for parsed configurations", "[rules][roundtrip]") {
  const char* rules = GENERATE(from_range(std::begin(kRoundTripDocs), std::end(kRoundTripDocs)));
  const Configuration c = MustParse(Doc(rules));
  const std::string rendered = RenderConfiguration(c);
  INFO(rendered);
  CHECK(
      rendered.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                           "2006-03-01/\">"));
  const Configuration again = MustParse(rendered);
  CHECK(again == c);
  CHECK(RenderConfiguration(again) == rendered);  // a fixed point
}

TEST_CASE("Parse(Render(c)) == c for configurations built in code", "[rules][roundtrip]") {
  Rule odd;
  odd.id = "tabs\tnew\nlines\r\ncr & <angle> \"quotes\" 'apos' ]]> \x7F";
  odd.filter.prefix = std::string("\r\n \t&lt;") + "\xF0\x9F\x98\x80";
  odd.filter.tags = {{"a", "\t"}, {"b\nc", ""}};
  odd.expiration = Expiration{std::nullopt, T("2040-02-29T00:00:00Z"), false};
  odd.transitions = {Transition{std::nullopt, T("2039-01-01T00:00:00Z"), "GLACIER"}};

  Rule all_defaults;
  all_defaults.id = "x";
  all_defaults.abort_incomplete_multipart_days = 1;

  Rule sizes;
  sizes.id = "sizes";
  sizes.enabled = false;
  sizes.filter.size_greater_than = 0;
  sizes.filter.size_less_than = kMaxFilterObjectSize;
  sizes.noncurrent_transitions = {{0, 1, "STANDARD_IA"}, {5, std::nullopt, "archive"}};
  sizes.noncurrent_expiration = NoncurrentExpiration{6, 1};

  const Configuration c{{odd, all_defaults, sizes}};
  REQUIRE(ValidateConfiguration(c, testing::KnownClass).ok());
  const std::string rendered = RenderConfiguration(c);
  INFO(rendered);
  CHECK(MustParse(rendered) == c);
}

}  // namespace
}  // namespace strata::lifecycle
