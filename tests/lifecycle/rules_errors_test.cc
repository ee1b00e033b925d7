// Every way a lifecycle configuration is refused, with S3's error code, and hostile bodies.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lifecycle/rules.h"
#include "tests/lifecycle/helpers.h"

namespace strata::lifecycle {
namespace {

using testing::Doc;
using testing::Parse;

// A rule around `body` with an ID, an empty filter and Enabled, unless `body` brings its own.
std::string R(std::string_view body) {
  return "<Rule><ID>r</ID><Filter/><Status>Enabled</Status>" + std::string(body) + "</Rule>";
}
// A rule with the given filter.
std::string RF(std::string_view filter, std::string_view actions) {
  return "<Rule><ID>r</ID><Filter>" + std::string(filter) + "</Filter><Status>Enabled</Status>" +
         std::string(actions) + "</Rule>";
}
const std::string kExp1 = "<Expiration><Days>1</Days></Expiration>";

struct BadDoc {
  const char* what;
  std::string xml;
  Code code;
  const char* message = "";  // a part of the message the client sees
};

std::vector<BadDoc> BadDocuments() {
  const Code M = Code::kMalformedXML;
  const Code A = Code::kInvalidArgument;
  const Code Q = Code::kInvalidRequest;
  std::string many_rules;
  for (int i = 0; i < 1001; ++i) {
    many_rules += "<Rule><Filter><Prefix>p" + std::to_string(i) +
                  "</Prefix></Filter><Status>Enabled</Status>" + kExp1 + "</Rule>";
  }
  const std::string long_id(256, 'i');
  return {
      // --- the document does not match the schema: MalformedXML
      {"no rules", Doc(""), M},
      {"wrong root", "<Lifecycle><Rule/></Lifecycle>", M},
      {"foreign namespace",
       "<LifecycleConfiguration xmlns=\"urn:x\">" + R(kExp1) + "</LifecycleConfiguration>", M},
      {"unknown element in the root", Doc(R(kExp1) + "<Extra/>"), M},
      {"unknown element in a rule", Doc(R(kExp1 + "<Priority>1</Priority>")), M},
      {"unknown element in a filter", RF("<Suffix>x</Suffix>", kExp1), M},
      {"prefixed element",
       Doc("<s3:Rule xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
           "<ID>r</ID></s3:Rule>"),
       M},
      {"text in a container", Doc(R(kExp1 + "stray text")), M},
      {"element in a value",
       Doc("<Rule><ID><b>r</b></ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>"), M},
      {"Status missing", Doc("<Rule><ID>r</ID><Filter/>" + kExp1 + "</Rule>"), M},
      {"Status invalid", Doc("<Rule><ID>r</ID><Filter/><Status>On</Status>" + kExp1 + "</Rule>"),
       M},
      {"Status lower case",
       Doc("<Rule><ID>r</ID><Filter/><Status>enabled</Status>" + kExp1 + "</Rule>"), M},
      {"neither Filter nor Prefix",
       Doc("<Rule><ID>r</ID><Status>Enabled</Status>" + kExp1 + "</Rule>"), M},
      {"both Filter and Prefix",
       Doc("<Rule><ID>r</ID><Filter/><Prefix>a</Prefix>"
           "<Status>Enabled</Status>" +
           kExp1 + "</Rule>"),
       M},
      {"two IDs",
       Doc("<Rule><ID>a</ID><ID>b</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>"), M},
      {"two Expirations", Doc(R(kExp1 + kExp1)), M},
      {"Filter with Prefix and Tag",
       RF("<Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value>"
          "</Tag>",
          kExp1),
       M},
      {"Filter with two Tags outside And",
       RF("<Tag><Key>a</Key><Value>v</Value></Tag>"
          "<Tag><Key>b</Key><Value>v</Value></Tag>",
          kExp1),
       M},
      {"Filter with And and Prefix", RF("<And><Prefix>a</Prefix></And><Prefix>a</Prefix>", kExp1),
       M},
      {"empty And", RF("<And></And>", kExp1), M},
      {"And inside And", RF("<And><And><Prefix>a</Prefix></And></And>", kExp1), M},
      {"two Prefixes in And", RF("<And><Prefix>a</Prefix><Prefix>b</Prefix></And>", kExp1), M},
      {"Tag without Value", RF("<Tag><Key>k</Key></Tag>", kExp1), M},
      {"Tag without Key", RF("<Tag><Value>v</Value></Tag>", kExp1), M},
      {"empty Expiration", Doc(R("<Expiration></Expiration>")), M},
      {"Expiration Days and Date",
       Doc(R("<Expiration><Days>1</Days>"
             "<Date>2030-01-01T00:00:00Z</Date></Expiration>")),
       M},
      {"ExpiredObjectDeleteMarker with Days",
       Doc(R("<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
             "</ExpiredObjectDeleteMarker></Expiration>")),
       M},
      {"ExpiredObjectDeleteMarker with Date",
       Doc(R("<Expiration><Date>2030-01-01</Date><ExpiredObjectDeleteMarker>true"
             "</ExpiredObjectDeleteMarker></Expiration>")),
       M},
      {"ExpiredObjectDeleteMarker not a boolean",
       Doc(R("<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker>"
             "</Expiration>")),
       M},
      {"Days not a number", Doc(R("<Expiration><Days>ten</Days></Expiration>")), M},
      {"Days empty", Doc(R("<Expiration><Days></Days></Expiration>")), M},
      {"Days fractional", Doc(R("<Expiration><Days>1.5</Days></Expiration>")), M},
      {"Days with an exponent", Doc(R("<Expiration><Days>1e3</Days></Expiration>")), M},
      {"Days in other digits", Doc(R("<Expiration><Days>\xD9\xA1</Days></Expiration>")), M},
      {"Days beyond xsd:int", Doc(R("<Expiration><Days>2147483648</Days></Expiration>")), M},
      {"Days huge", Doc(R("<Expiration><Days>99999999999999999999999999</Days></Expiration>")), M},
      {"Date not a date", Doc(R("<Expiration><Date>20300101</Date></Expiration>")), M},
      {"Date impossible", Doc(R("<Expiration><Date>2030-02-30T00:00:00Z</Date></Expiration>")), M},
      {"Transition without StorageClass", Doc(R("<Transition><Days>1</Days></Transition>")), M},
      {"Transition with empty StorageClass",
       Doc(R("<Transition><Days>1</Days><StorageClass> </StorageClass></Transition>")), M},
      {"Transition without Days or Date",
       Doc(R("<Transition><StorageClass>GLACIER</StorageClass></Transition>")), M},
      {"Transition with Days and Date",
       Doc(R("<Transition><Days>1</Days><Date>2030-01-01</Date>"
             "<StorageClass>GLACIER</StorageClass></Transition>")),
       M},
      {"NoncurrentVersionExpiration without NoncurrentDays",
       Doc(R("<NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
             "</NoncurrentVersionExpiration>")),
       M},
      {"NoncurrentVersionTransition without StorageClass",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
             "</NoncurrentVersionTransition>")),
       M},
      {"NoncurrentVersionTransition without NoncurrentDays",
       Doc(R("<NoncurrentVersionTransition><StorageClass>GLACIER</StorageClass>"
             "</NoncurrentVersionTransition>")),
       M},
      {"AbortIncompleteMultipartUpload without days",
       Doc(R("<AbortIncompleteMultipartUpload></AbortIncompleteMultipartUpload>")), M},
      {"size not a number", RF("<ObjectSizeGreaterThan>big</ObjectSizeGreaterThan>", kExp1), M},
      {"size beyond xsd:long",
       RF("<ObjectSizeLessThan>9223372036854775808</ObjectSizeLessThan>", kExp1), M},

      // --- semantic errors
      {"more than 1000 rules", Doc(many_rules), Q, "allowed limit of 1000 rules"},
      {"ID of 256 characters",
       Doc("<Rule><ID>" + long_id +
           "</ID><Filter/>"
           "<Status>Enabled</Status>" +
           kExp1 + "</Rule>"),
       A, "ID length should not exceed allowed limit of 255"},
      {"duplicate IDs", Doc(R(kExp1) + R(kExp1)), A, "Rule ID must be unique"},
      {"no action", Doc(R("")), Q, "At least one action"},
      {"Expiration Days 0", Doc(R("<Expiration><Days>0</Days></Expiration>")), A,
       "'Days' for Expiration action must be a positive integer"},
      {"Expiration Days negative", Doc(R("<Expiration><Days>-1</Days></Expiration>")), A,
       "'Days' for Expiration action must be a positive integer"},
      {"Expiration Date not midnight",
       Doc(R("<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>")), A,
       "'Date' must be at midnight GMT"},
      {"Expiration Date midnight elsewhere",
       Doc(R("<Expiration><Date>2030-01-01T00:00:00+02:00</Date></Expiration>")), A,
       "'Date' must be at midnight GMT"},
      {"Expiration Date a millisecond off",
       Doc(R("<Expiration><Date>2030-01-01T00:00:00.001Z</Date></Expiration>")), A,
       "'Date' must be at midnight GMT"},
      {"Transition Days negative",
       Doc(R("<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass></Transition>")), A,
       "'Days' for Transition action must be a nonnegative integer"},
      {"Transition Date not midnight",
       Doc(R("<Transition><Date>2030-01-01T00:00:01Z</Date><StorageClass>GLACIER</StorageClass>"
             "</Transition>")),
       A, "'Date' must be at midnight GMT"},
      {"Transition to an unknown class",
       Doc(R("<Transition><Days>1</Days><StorageClass>REDUCED_REDUNDANCY</StorageClass>"
             "</Transition>")),
       Code::kInvalidStorageClass, "storage class"},
      {"NoncurrentVersionTransition to an unknown class",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
             "<StorageClass>STANDARD</StorageClass></NoncurrentVersionTransition>")),
       Code::kInvalidStorageClass, "storage class"},
      {"two Transitions to one class",
       Doc(R("<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
             "<Transition><Days>2</Days><StorageClass>GLACIER</StorageClass></Transition>")),
       Q, "'StorageClass' must be different for 'Transition'"},
      {"two NoncurrentVersionTransitions to one class",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
             "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
             "<NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays>"
             "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")),
       Q, "'StorageClass' must be different for 'NoncurrentVersionTransition'"},
      {"Days and Date mixed across Expiration and Transition",
       Doc(R("<Transition><Date>2030-01-01</Date><StorageClass>GLACIER</StorageClass>"
             "</Transition><Expiration><Days>400</Days></Expiration>")),
       Q, "Found mixed 'Date' and 'Days'"},
      {"Days and Date mixed across Transitions",
       Doc(R("<Transition><Date>2030-01-01</Date><StorageClass>GLACIER</StorageClass>"
             "</Transition><Transition><Days>4</Days><StorageClass>archive</StorageClass>"
             "</Transition>")),
       Q, "Found mixed 'Date' and 'Days'"},
      {"Expiration Days not after Transition Days",
       Doc(R("<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>"
             "<Expiration><Days>30</Days></Expiration>")),
       A, "'Days' in the Expiration action for filter '(prefix=)' must be greater"},
      {"Expiration Date not after Transition Date",
       Doc(R("<Transition><Date>2030-01-02</Date><StorageClass>GLACIER</StorageClass>"
             "</Transition><Expiration><Date>2030-01-01</Date></Expiration>")),
       A, "'Date' in the Expiration action"},
      {"NoncurrentDays of the expiration not after the transition's",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays>"
             "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
             "<NoncurrentVersionExpiration><NoncurrentDays>10</NoncurrentDays>"
             "</NoncurrentVersionExpiration>")),
       A, "'NoncurrentDays' in the NoncurrentVersionExpiration action"},
      {"NoncurrentDays 0 in NoncurrentVersionExpiration",
       Doc(R("<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
             "</NoncurrentVersionExpiration>")),
       A, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive"},
      {"NoncurrentDays negative in NoncurrentVersionTransition",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>-1</NoncurrentDays>"
             "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")),
       A, "'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative"},
      {"NewerNoncurrentVersions 0",
       Doc(R("<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
             "<NewerNoncurrentVersions>0</NewerNoncurrentVersions>"
             "</NoncurrentVersionExpiration>")),
       A, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive"},
      {"NewerNoncurrentVersions 101",
       Doc(R("<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
             "<NewerNoncurrentVersions>101</NewerNoncurrentVersions>"
             "</NoncurrentVersionExpiration>")),
       A,
       "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must not be greater than "
       "100"},
      {"NewerNoncurrentVersions 101 in a transition",
       Doc(R("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
             "<NewerNoncurrentVersions>101</NewerNoncurrentVersions>"
             "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")),
       A, "'NewerNoncurrentVersions' for NoncurrentVersionTransition"},
      {"DaysAfterInitiation 0",
       Doc(R("<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>"
             "</AbortIncompleteMultipartUpload>")),
       A, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload"},
      {"AbortIncompleteMultipartUpload with a tag filter",
       RF("<Tag><Key>k</Key><Value>v</Value></Tag>",
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"),
       Q, "AbortIncompleteMultipartUpload cannot be specified with Tags."},
      {"AbortIncompleteMultipartUpload with tags in And",
       RF("<And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>",
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"),
       Q, "AbortIncompleteMultipartUpload cannot be specified with Tags."},
      {"AbortIncompleteMultipartUpload with a size filter",
       RF("<ObjectSizeGreaterThan>1</ObjectSizeGreaterThan>",
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"),
       Q, "AbortIncompleteMultipartUpload cannot be specified with Object Size."},
      {"ExpiredObjectDeleteMarker with a tag filter",
       RF("<Tag><Key>k</Key><Value>v</Value></Tag>",
          "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
          "</Expiration>"),
       Q, "ExpiredObjectDeleteMarker cannot be specified with Tags."},
      {"ExpiredObjectDeleteMarker with a size filter",
       RF("<ObjectSizeLessThan>10</ObjectSizeLessThan>",
          "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
          "</Expiration>"),
       Q, "ExpiredObjectDeleteMarker cannot be specified with Object Size."},
      {"duplicate tag keys",
       RF("<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag>"
          "</And>",
          kExp1),
       Q, "Duplicate Tag Keys"},
      {"more than 10 tags",
       RF(
           "<And>" +
               [] {
                 std::string tags;
                 for (int i = 0; i < 11; ++i) {
                   tags += "<Tag><Key>k" + std::to_string(i) + "</Key><Value>v</Value></Tag>";
                 }
                 return tags;
               }() +
               "</And>",
           kExp1),
       A, "at most 10 tags"},
      {"empty tag key", RF("<Tag><Key></Key><Value>v</Value></Tag>", kExp1), Code::kInvalidTag,
       "TagKey"},
      {"tag key of 129 characters",
       RF("<Tag><Key>" + std::string(129, 'k') + "</Key><Value>v</Value></Tag>", kExp1),
       Code::kInvalidTag, "TagKey"},
      {"tag value of 257 characters",
       RF("<Tag><Key>k</Key><Value>" + std::string(257, 'v') + "</Value></Tag>", kExp1),
       Code::kInvalidTag, "TagValue"},
      {"prefix longer than a key", RF("<Prefix>" + std::string(1025, 'p') + "</Prefix>", kExp1), A,
       "1024 bytes"},
      {"negative ObjectSizeGreaterThan",
       RF("<ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan>", kExp1), Q,
       "'ObjectSizeGreaterThan' should be between 0 and 1099511627776000."},
      {"negative ObjectSizeLessThan", RF("<ObjectSizeLessThan>-5</ObjectSizeLessThan>", kExp1), Q,
       "'ObjectSizeLessThan' should be between 1 and 1099511627776000."},
      {"ObjectSizeLessThan 0", RF("<ObjectSizeLessThan>0</ObjectSizeLessThan>", kExp1), Q,
       "'ObjectSizeLessThan' should be between 1"},
      {"ObjectSizeGreaterThan above the bound",
       RF("<ObjectSizeGreaterThan>1099511627776001</ObjectSizeGreaterThan>", kExp1), Q,
       "'ObjectSizeGreaterThan' should be between 0"},
      {"size bounds not ordered",
       RF("<And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>"
          "<ObjectSizeLessThan>10</ObjectSizeLessThan></And>",
          kExp1),
       Q, "has to be a value greater than 'ObjectSizeGreaterThan'"},
      {"rule-level Prefix after a Filter rule",
       Doc(R(kExp1) + "<Rule><ID>b</ID><Prefix>a</Prefix><Status>Enabled</Status>" + kExp1 +
           "</Rule>"),
       Q, "Base level prefix cannot be used in Lifecycle V2"},
      {"Filter after a rule-level Prefix rule",
       Doc("<Rule><ID>b</ID><Prefix>a</Prefix><Status>Enabled</Status>" + kExp1 + "</Rule>" +
           R(kExp1)),
       Q, "Filter element can only be used in Lifecycle V2."},
      {"NewerNoncurrentVersions in V1",
       Doc("<Rule><ID>b</ID><Prefix>a</Prefix><Status>Enabled</Status>"
           "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
           "<NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
           "</Rule>"),
       Q, "NewerNoncurrentVersions element can only be used in Lifecycle V2."},
      {"overlapping V1 prefixes for one action",
       Doc("<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status>" + kExp1 +
           "</Rule>"
           "<Rule><ID>b</ID><Prefix>logs/old/</Prefix><Status>Disabled</Status>" +
           kExp1 + "</Rule>"),
       Q, "Found overlapping prefixes 'logs/' and 'logs/old/' for same action type 'Expiration'"},
  };
}

TEST_CASE("Each invalid configuration is refused with S3's error code", "[rules][errors]") {
  for (const BadDoc& bad : BadDocuments()) {
    INFO(bad.what);
    // RF(...) gives a bare rule.
    const std::string xml = bad.xml.starts_with("<Rule>") ? Doc(bad.xml) : bad.xml;
    const Result<Configuration> r = Parse(xml);
    CHECK_FALSE(r.ok());
    if (r.ok()) continue;  // and go on with the other documents
    CHECK(CodeName(r.status().code()) == CodeName(bad.code));
    // Semantic errors tell the client what is wrong (which also shows that each document
    // fails for the intended reason); schema errors use the error table's standard text.
    if (bad.code == Code::kMalformedXML) {
      CHECK(r.status().message().empty());
    } else {
      CHECK(*bad.message != '\0');
      CHECK_THAT(std::string(r.status().message()), Catch::Contains(bad.message));
    }
  }
}

TEST_CASE("Near misses of the errors above are accepted", "[rules][errors]") {
  const std::vector<std::string> good = {
      // Transition Days 0 is allowed, Expiration Days must only exceed the transitions'.
      Doc(R("<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>"
            "<Expiration><Days>1</Days></Expiration>")),
      // A colder class first and a warmer one later: the order is not checked.
      Doc(R("<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
            "<Transition><Days>2</Days><StorageClass>STANDARD_IA</StorageClass></Transition>")),
      // ExpiredObjectDeleteMarker beside a prefix, and false beside nothing.
      RF("<Prefix>a</Prefix>",
         "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"),
      // NewerNoncurrentVersions at its bounds; duplicate tag values under distinct keys.
      RF("<And><Tag><Key>a</Key><Value>v</Value></Tag><Tag><Key>b</Key><Value>v</Value></Tag>"
         "</And>",
         "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
         "<NewerNoncurrentVersions>100</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
         "<NoncurrentVersionTransition><NoncurrentDays>0</NoncurrentDays>"
         "<NewerNoncurrentVersions>1</NewerNoncurrentVersions><StorageClass>GLACIER"
         "</StorageClass></NoncurrentVersionTransition>"),
      // V1 prefixes may overlap across different actions, and not overlap within one.
      Doc("<Rule><ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status>" + kExp1 +
          "</Rule>"
          "<Rule><ID>b</ID><Prefix>logs/old/</Prefix><Status>Enabled</Status>"
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload></Rule>"
          "<Rule><ID>c</ID><Prefix>logs0</Prefix><Status>Enabled</Status>" +
          kExp1 + "</Rule>"),
      // Overlapping V2 filters are fine: the evaluator resolves conflicts.
      RF("<Prefix>a</Prefix>", kExp1) + RF("<Prefix>a</Prefix>", kExp1),
      // Size bounds at their extremes.
      RF("<And><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan><ObjectSizeLessThan>"
         "1099511627776000</ObjectSizeLessThan></And>",
         kExp1),
      // Days at the top of xsd:int.
      Doc(R("<Expiration><Days>2147483647</Days></Expiration>")),
  };
  for (std::string xml : good) {
    if (!xml.starts_with("<Lifecycle")) xml = Doc(xml);
    // RF(...) + RF(...) has two rules with ID r: rename the second.
    if (const size_t second = xml.find("<ID>r</ID>", xml.find("<ID>r</ID>") + 1);
        second != std::string::npos) {
      xml.replace(second, 10, "<ID>s</ID>");
    }
    INFO(xml);
    const Result<Configuration> r = Parse(xml);
    INFO(r.status().ToString());
    CHECK(r.ok());
  }
}

// --- Hostile bodies --------------------------------------------------------------------------

TEST_CASE("Hostile XML is refused before it costs anything", "[rules][hostile]") {
  const std::string rule = R(kExp1);
  struct Hostile {
    const char* what;
    std::string xml;
  };
  std::string nested_unknown = "<LifecycleConfiguration>";
  for (int i = 0; i < 10000; ++i) nested_unknown += "<Rule>";
  for (int i = 0; i < 10000; ++i) nested_unknown += "</Rule>";
  nested_unknown += "</LifecycleConfiguration>";
  std::string nested_and =
      "<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status>"
      "<Filter>";
  for (int i = 0; i < 10000; ++i) nested_and += "<And>";
  for (int i = 0; i < 10000; ++i) nested_and += "</And>";
  nested_and += "</Filter>" + kExp1 + "</Rule></LifecycleConfiguration>";
  std::string deep_value = "<LifecycleConfiguration><Rule><ID>";
  for (int i = 0; i < 10000; ++i) deep_value += "<x>";
  for (int i = 0; i < 10000; ++i) deep_value += "</x>";
  deep_value += "</ID></Rule></LifecycleConfiguration>";

  const std::vector<Hostile> hostile = {
      {"billion laughs",
       "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
       "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>" +
           Doc("<Rule><ID>&lol2;</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"external entity",
       "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
       "<LifecycleConfiguration><Rule><ID>&x;</ID><Filter/><Status>Enabled</Status>" +
           kExp1 + "</Rule></LifecycleConfiguration>"},
      {"undeclared entity",
       Doc("<Rule><ID>&x;</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"character reference to NUL",
       Doc("<Rule><ID>&#0;</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"character reference to a surrogate",
       Doc("<Rule><ID>&#xD800;</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"huge character reference",
       Doc("<Rule><ID>&#x1111111111;</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"10k nested unknown elements", nested_unknown},
      {"10k nested And", nested_and},
      {"10k nested elements in a value", deep_value},
      {"invalid UTF-8",
       Doc("<Rule><ID>\xFF</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"overlong UTF-8",
       Doc("<Rule><ID>\xC0\xAF</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"UTF-8 surrogate",
       Doc("<Rule><ID>\xED\xA0\x80</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"truncated UTF-8", Doc(rule) + "\xE2\x82"},
      {"NUL byte", Doc("<Rule><ID>a" + std::string(1, '\0') +
                       "b</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"control character",
       Doc("<Rule><ID>\x01</ID><Filter/><Status>Enabled</Status>" + kExp1 + "</Rule>")},
      {"UTF-16", std::string("\xFF\xFE<\0L\0", 6)},
      {"empty body", ""},
      {"whitespace only", " \n\t "},
      {"not XML", "{\"Rules\": []}"},
      {"unclosed root", "<LifecycleConfiguration>" + rule},
      {"mismatched tags", "<LifecycleConfiguration>" + rule + "</Lifecycle>"},
      {"two roots", Doc(rule) + Doc(rule)},
      {"text after the root", Doc(rule) + "trailing"},
      {"CDATA after the root", Doc(rule) + "<![CDATA[x]]>"},
      {"'<' in an attribute",
       "<LifecycleConfiguration a=\"<\">" + rule + "</LifecycleConfiguration>"},
      {"unterminated comment", Doc(rule) + "<!--"},
  };
  for (const Hostile& h : hostile) {
    INFO(h.what);
    const Result<Configuration> r = Parse(h.xml);
    CHECK_FALSE(r.ok());
    if (r.ok()) continue;
    CHECK(CodeName(r.status().code()) == CodeName(Code::kMalformedXML));
  }
}

TEST_CASE("Bodies over the limit are refused unread", "[rules][hostile]") {
  const std::string doc = Doc(R(kExp1));
  CHECK(ParseConfiguration(doc, testing::KnownClass, doc.size()).ok());
  CHECK(ParseConfiguration(doc, testing::KnownClass, doc.size() - 1).status().code() ==
        Code::kMaxMessageLengthExceeded);
  // The default limit, 1 MiB: a body one byte over it, even a valid one, is refused.
  std::string big = Doc(R(kExp1) + "<!--" + std::string(kMaxConfigurationBytes, ' ') + "-->");
  CHECK(Parse(big).status().code() == Code::kMaxMessageLengthExceeded);
  std::string fits = Doc(R(kExp1));
  fits.insert(fits.size(), kMaxConfigurationBytes - fits.size(), ' ');
  CHECK(Parse(fits).ok());
}

TEST_CASE("Huge and negative numbers never wrap around", "[rules][hostile]") {
  // Days at INT_MAX parse; their due time saturates (evaluator_test covers that).
  auto days = [](std::string_view n) {
    return Parse(Doc(R("<Expiration><Days>" + std::string(n) + "</Days></Expiration>")));
  };
  CHECK(days("2147483647").ok());
  CHECK(days("-2147483648").status().code() == Code::kInvalidArgument);
  CHECK(days("-2147483649").status().code() == Code::kMalformedXML);
  CHECK(days("4294967297").status().code() == Code::kMalformedXML);  // 2^32 + 1, not 1
  CHECK(days("+-1").status().code() == Code::kMalformedXML);
  CHECK(days("--1").status().code() == Code::kMalformedXML);
  CHECK(days("0x10").status().code() == Code::kMalformedXML);
  CHECK(days("00000000000000000000000000000001").ok());  // leading zeros are still 1
  auto size = [](std::string_view n) {
    return Parse(
        Doc(RF("<ObjectSizeGreaterThan>" + std::string(n) + "</ObjectSizeGreaterThan>", kExp1)));
  };
  CHECK(size("0").ok());
  CHECK(size("18446744073709551617").status().code() == Code::kMalformedXML);  // 2^64 + 1
  CHECK(size("-9223372036854775808").status().code() == Code::kInvalidRequest);
  CHECK(size("9223372036854775807").status().code() == Code::kInvalidRequest);
}

}  // namespace
}  // namespace strata::lifecycle
