#include "gateway/s3_xml.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gateway/xml.h"

namespace strata::gw {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

template <typename T>
Code CodeOf(const Result<T>& r) {
  return r.ok() ? Code::kOk : r.status().code();
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string TaggingWithKey(std::string_view raw_key) {
  return "<Tagging><TagSet><Tag><Key>" + std::string(raw_key) +
         "</Key><Value>v</Value></Tag></TagSet></Tagging>";
}

// --- CompleteMultipartUpload ----------------------------------------------------------------

TEST_CASE("CompleteMultipartUpload: the AWS documentation example", "[s3xml]") {
  const char* body = R"(<CompleteMultipartUpload>
  <Part>
    <PartNumber>1</PartNumber>
    <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
  </Part>
  <Part>
    <PartNumber>2</PartNumber>
    <ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <ETag>"acbd18db4cc2f85cedef654fccc4a4d8"</ETag>
  </Part>
</CompleteMultipartUpload>)";
  auto parts = ParseCompleteMultipartUpload(body);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].part_number == 1);
  CHECK((*parts)[0].etag == "a54357aff0632cce46d942af68356b38");
  CHECK((*parts)[1].part_number == 2);
  CHECK((*parts)[2].etag == "acbd18db4cc2f85cedef654fccc4a4d8");
  CHECK((*parts)[2].checksums.empty());
}

TEST_CASE("CompleteMultipartUpload: boto3 body with xmlns, escaped quotes, checksums", "[s3xml]") {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag>"
      "<ChecksumCRC32>i9CQdQ==</ChecksumCRC32>"
      "<ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256>"
      "<PartNumber>2</PartNumber></Part>"
      "<Part><ETag>noquotes</ETag><PartNumber>1</PartNumber>"
      "<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME></Part>"
      "</CompleteMultipartUpload>";
  auto parts = ParseCompleteMultipartUpload(body);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  // Order is the handler's to judge (InvalidPartOrder), so it is kept as sent.
  CHECK((*parts)[0].part_number == 2);
  CHECK((*parts)[0].etag == "7778aef83f66abc1fa1e8477f296d394");
  CHECK((*parts)[0].checksums ==
        Pairs{{"CRC32", "i9CQdQ=="}, {"SHA256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}});
  CHECK((*parts)[1].part_number == 1);
  CHECK((*parts)[1].etag == "noquotes");
  CHECK((*parts)[1].checksums == Pairs{{"CRC64NVME", "AAAAAAAAAAA="}});
}

TEST_CASE("CompleteMultipartUpload: structural errors", "[s3xml]") {
  auto parse = [](std::string parts) {
    return CodeOf(ParseCompleteMultipartUpload("<CompleteMultipartUpload>" + parts +
                                               "</CompleteMultipartUpload>"));
  };
  CHECK(parse("") == Code::kMalformedXML);
  CHECK(parse("<Other/>") == Code::kMalformedXML);
  CHECK(parse("<Part><ETag>x</ETag></Part>") == Code::kMalformedXML);
  CHECK(parse("<Part><PartNumber>1</PartNumber></Part>") == Code::kMalformedXML);
  CHECK(parse("<Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>x</ETag></Part>") ==
        Code::kMalformedXML);
  CHECK(parse("<Part><PartNumber>1</PartNumber><ETag>x</ETag><ETag>y</ETag></Part>") ==
        Code::kMalformedXML);
  CHECK(parse("<Part><PartNumber>1</PartNumber><ETag>x<b/></ETag></Part>") == Code::kMalformedXML);
  CHECK(parse("<Part><PartNumber>1</PartNumber><ETag>x</ETag>"
              "<ChecksumCRC32>a</ChecksumCRC32><ChecksumCRC32>b</ChecksumCRC32></Part>") ==
        Code::kMalformedXML);
  for (const char* bad : {"abc", "", " ", "1.5", "1e3", "0x10", "99999999999999999999", "--1"}) {
    INFO(bad);
    CHECK(parse(std::string("<Part><PartNumber>") + bad + "</PartNumber><ETag>x</ETag></Part>") ==
          Code::kMalformedXML);
  }
  CHECK(CodeOf(ParseCompleteMultipartUpload("<Part><PartNumber>1</PartNumber><ETag>x</ETag>"
                                            "</Part>")) == Code::kMalformedXML);  // wrong root
}

TEST_CASE("CompleteMultipartUpload: part numbers outside 1..10000", "[s3xml]") {
  auto parse = [](std::string number) {
    return ParseCompleteMultipartUpload("<CompleteMultipartUpload><Part><PartNumber>" + number +
                                        "</PartNumber><ETag>x</ETag></Part>"
                                        "</CompleteMultipartUpload>");
  };
  CHECK(CodeOf(parse("0")) == Code::kInvalidArgument);
  CHECK(CodeOf(parse("-1")) == Code::kInvalidArgument);
  CHECK(CodeOf(parse("10001")) == Code::kInvalidArgument);
  CHECK(CodeOf(parse("2147483648")) == Code::kInvalidArgument);
  auto max = parse(" 10000\n");
  REQUIRE(max.ok());
  CHECK((*max)[0].part_number == 10000);
  auto plus = parse("+7");
  REQUIRE(plus.ok());
  CHECK((*plus)[0].part_number == 7);
}

TEST_CASE("CompleteMultipartUpload: at most 10000 parts", "[s3xml]") {
  const std::string part = "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>";
  auto ok = ParseCompleteMultipartUpload("<CompleteMultipartUpload>" + Repeat(part, 10000) +
                                         "</CompleteMultipartUpload>");
  REQUIRE(ok.ok());
  CHECK(ok->size() == 10000);
  CHECK(CodeOf(ParseCompleteMultipartUpload("<CompleteMultipartUpload>" + Repeat(part, 10001) +
                                            "</CompleteMultipartUpload>")) == Code::kMalformedXML);
}

// --- DeleteObjects ---------------------------------------------------------------------------

TEST_CASE("DeleteObjects: the AWS documentation examples", "[s3xml]") {
  const char* simple = R"(<Delete>
  <Object>
    <Key>sample1.txt</Key>
  </Object>
  <Object>
    <Key>sample2.txt</Key>
  </Object>
</Delete>)";
  auto req = ParseDeleteObjects(simple);
  REQUIRE(req.ok());
  CHECK_FALSE(req->quiet);
  REQUIRE(req->objects.size() == 2);
  CHECK(req->objects[0].key == "sample1.txt");
  CHECK(req->objects[0].version_id.empty());
  CHECK(req->objects[1].key == "sample2.txt");

  const char* versioned = R"(<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Quiet>true</Quiet>
  <Object>
    <Key>SampleDocument.txt</Key>
    <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>
  </Object>
</Delete>)";
  req = ParseDeleteObjects(versioned);
  REQUIRE(req.ok());
  CHECK(req->quiet);
  REQUIRE(req->objects.size() == 1);
  CHECK(req->objects[0].key == "SampleDocument.txt");
  CHECK(req->objects[0].version_id == "OYcLXagmS.WaD..oyH4KRguB95_YhLs7");
}

TEST_CASE("DeleteObjects: key text is kept exactly", "[s3xml]") {
  auto key_of = [](std::string raw) -> std::string {
    auto req = ParseDeleteObjects("<Delete><Object><Key>" + raw + "</Key></Object></Delete>");
    REQUIRE(req.ok());
    return req->objects[0].key;
  };
  CHECK(key_of(" ") == " ");  // whitespace-only keys exist
  CHECK(key_of("  a b  ") == "  a b  ");
  CHECK(key_of("a&amp;b&lt;c&gt;&quot;&apos;") == "a&b<c>\"'");
  CHECK(key_of("&#x41;&#66;&#x1F600;") == "AB\xF0\x9F\x98\x80");
  CHECK(key_of("<![CDATA[<raw & text>]]>") == "<raw & text>");
  CHECK(key_of("a<!-- comment -->b") == "ab");
  CHECK(key_of("cr&#xD;lf&#xA;") == "cr\rlf\n");
  CHECK(key_of("a\r\nb") == "a\nb");  // XML end-of-line normalization, as every parser does
  CHECK(key_of("日本語/ü") == "日本語/ü");
  CHECK(key_of("") == "");  // an empty key is the handler's per-key error
}

TEST_CASE("DeleteObjects: Quiet values", "[s3xml]") {
  auto quiet = [](std::string value) {
    return ParseDeleteObjects("<Delete><Quiet>" + value +
                              "</Quiet><Object><Key>k</Key></Object></Delete>");
  };
  for (const char* yes : {"true", "True", "TRUE", "1", " true\n"}) CHECK(quiet(yes)->quiet);
  for (const char* no : {"false", "False", "0"}) CHECK_FALSE(quiet(no)->quiet);
  for (const char* bad : {"yes", "", "t", "truee", "2"}) {
    INFO(bad);
    CHECK(CodeOf(quiet(bad)) == Code::kMalformedXML);
  }
  CHECK(CodeOf(ParseDeleteObjects("<Delete><Quiet>true</Quiet><Quiet>true</Quiet>"
                                  "<Object><Key>k</Key></Object></Delete>")) ==
        Code::kMalformedXML);
}

TEST_CASE("DeleteObjects: structure and the 1000-object limit", "[s3xml]") {
  CHECK(CodeOf(ParseDeleteObjects("<Delete></Delete>")) == Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects("<Delete><Quiet>true</Quiet></Delete>")) == Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects("<Delete><Object><VersionId>v</VersionId></Object></Delete>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects("<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects("<Delete><Object><Key><Key>a</Key></Key></Object></Delete>")) ==
        Code::kMalformedXML);
  // Unknown elements (newer SDK fields) are ignored.
  auto extra = ParseDeleteObjects(
      "<Delete><Object><Key>a</Key><ETag>e</ETag><Size>3</Size></Object><Future/></Delete>");
  REQUIRE(extra.ok());
  CHECK(extra->objects.size() == 1);

  const std::string object = "<Object><Key>some/key/name</Key></Object>";
  auto thousand = ParseDeleteObjects("<Delete>" + Repeat(object, 1000) + "</Delete>");
  REQUIRE(thousand.ok());
  CHECK(thousand->objects.size() == 1000);
  CHECK(CodeOf(ParseDeleteObjects("<Delete>" + Repeat(object, 1001) + "</Delete>")) ==
        Code::kMalformedXML);
}

TEST_CASE("DeleteObjects: 1000 maximal keys fit the default limit", "[s3xml]") {
  const std::string key = Repeat("&quot;", 1024);  // 1024 bytes, each escaped
  const std::string object =
      "<Object><Key>" + key + "</Key><VersionId>" + Repeat("v", 64) + "</VersionId></Object>";
  auto req = ParseDeleteObjects("<Delete>" + Repeat(object, 1000) + "</Delete>");
  REQUIRE(req.ok());
  CHECK(req->objects[999].key == std::string(1024, '"'));
}

// --- Bodies every parser refuses ----------------------------------------------------------------

TEST_CASE("Malformed and truncated bodies", "[s3xml]") {
  const std::string good = "<Delete><Object><Key>k</Key></Object></Delete>";
  REQUIRE(ParseDeleteObjects(good).ok());
  // Every proper prefix of a good body is truncated, hence malformed.
  for (size_t n = 0; n < good.size(); ++n) {
    INFO(good.substr(0, n));
    CHECK(CodeOf(ParseDeleteObjects(good.substr(0, n))) == Code::kMalformedXML);
  }
  for (const char* bad : {
           "",
           "   \n",
           "not xml",
           "<Delete>",
           "<Delete><Object><Key>k</Object></Key></Delete>",
           "<Delete><Object><Key>k</Key></Object></Delete><Delete/>",  // two roots
           "<Delete><Object><Key>k</Key></Object></Delete>trailing",   // text after the root
           "junk<Delete><Object><Key>k</Key></Object></Delete>",       // text before it
           "&amp;<Delete><Object><Key>k</Key></Object></Delete>",      // a reference before it
           "<Delete/>x",                                               // after an empty root
           "<Delete><Object><Key>k</Key></Object></delete>",           // case matters
           "<delete><Object><Key>k</Key></Object></delete>",           // wrong root
           "<Tagging><TagSet/></Tagging>",                             // another body
           "<s3:Delete xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Object>"
           "<s3:Key>k</s3:Key></s3:Object></s3:Delete>",  // prefixed names
           "<Delete xmlns=\"urn:other\"><Object><Key>k</Key></Object></Delete>",
           "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" xmlns=\"urn:other\">"
           "<Object><Key>k</Key></Object></Delete>",
           "<Delete a=\"x<y\"><Object><Key>k</Key></Object></Delete>",  // '<' in an attribute
           "<Delete a=\"&bogus;\"><Object><Key>k</Key></Object></Delete>",
           "<Delete a=\"unterminated><Object><Key>k</Key></Object></Delete>",
           "<Delete><Object><Key>k</Key></Object><!-- open comment </Delete>",
           "<Delete><Object><Key><![CDATA[k</Key></Object></Delete>",
           "<Delete><Object><Key>k</Key></Object><? open pi </Delete>",
           "<![CDATA[x]]><Delete><Object><Key>k</Key></Object></Delete>",
       }) {
    INFO(bad);
    CHECK(CodeOf(ParseDeleteObjects(bad)) == Code::kMalformedXML);
  }
}

TEST_CASE("Entity references: only the predefined five and XML characters", "[s3xml]") {
  for (const char* key : {"&foo;",
                          "a&b",
                          "&amp",
                          "&;",
                          "&#;",
                          "&#x;",
                          "&#0;",
                          "&#x1;",
                          "&#x8;",
                          "&#xD800;",
                          "&#xDFFF;",
                          "&#xFFFE;",
                          "&#x110000;",
                          "&#99999999999;",
                          "&#x-41;",
                          "&#-65;",
                          "&# 65;",
                          "&#X41;",
                          "&#x0000000041;",
                          "&AMP;"}) {
    INFO(key);
    CHECK(CodeOf(ParseTagging(TaggingWithKey(key))) == Code::kMalformedXML);
  }
  auto ok = ParseTagging(TaggingWithKey("&#9;&#x20;&#xD7FF;&#xE000;&#x10FFFF;"));
  REQUIRE(ok.ok());
  CHECK((*ok)[0].first == "\t \xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF");
}

TEST_CASE("DOCTYPE, entity expansion and external entities are refused", "[s3xml]") {
  const std::string laughs =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
      "]>\n";
  CHECK(CodeOf(ParseTagging(laughs + TaggingWithKey("&lol9;"))) == Code::kMalformedXML);
  // The same reference without its DOCTYPE is an undeclared entity.
  CHECK(CodeOf(ParseTagging(TaggingWithKey("&lol9;"))) == Code::kMalformedXML);
  // A harmless-looking DOCTYPE is refused as well.
  CHECK(CodeOf(ParseTagging("<!DOCTYPE Tagging>" + TaggingWithKey("k"))) == Code::kMalformedXML);
  // External entity (XXE).
  const std::string xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>";
  CHECK(CodeOf(ParseTagging(xxe + TaggingWithKey("&x;"))) == Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects(xxe + "<Delete><Object><Key>&x;</Key></Object></Delete>")) ==
        Code::kMalformedXML);
  // A DOCTYPE hidden inside the root is no better.
  CHECK(CodeOf(ParseTagging("<Tagging><!DOCTYPE x><TagSet/></Tagging>")) == Code::kMalformedXML);
  // Inside a comment it is just text.
  CHECK(ParseTagging("<!-- <!DOCTYPE x> &foo; --><Tagging><TagSet/></Tagging>").ok());
}

TEST_CASE("Encoding: UTF-8 only, XML characters only", "[s3xml]") {
  CHECK(ParseTagging("\xEF\xBB\xBF<Tagging><TagSet/></Tagging>").ok());  // UTF-8 BOM
  CHECK(CodeOf(ParseTagging(std::string_view("\xFF\xFE<\0T\0", 6))) == Code::kMalformedXML);
  CHECK(CodeOf(ParseTagging(TaggingWithKey("bad\xC0\xAF"))) == Code::kMalformedXML);
  CHECK(CodeOf(ParseTagging(TaggingWithKey("bad\xED\xA0\x80"))) == Code::kMalformedXML);
  CHECK(CodeOf(ParseTagging(TaggingWithKey("ctl\x01"))) == Code::kMalformedXML);
  CHECK(CodeOf(ParseTagging(TaggingWithKey(std::string("nul\0", 4)))) == Code::kMalformedXML);
}

TEST_CASE("Body size limits", "[s3xml]") {
  const std::string small = "<Tagging><TagSet/></Tagging>";
  CHECK(ParseTagging(small, small.size()).ok());
  auto over = ParseTagging(small, small.size() - 1);
  CHECK(CodeOf(over) == Code::kMaxMessageLengthExceeded);

  // A value-padded body just over the default limit, and one just under it.
  const std::string frame = TaggingWithKey("");
  const std::string at_limit = TaggingWithKey(std::string(kMaxXmlBody - frame.size(), 'k'));
  REQUIRE(at_limit.size() == kMaxXmlBody);
  CHECK(ParseTagging(at_limit).ok());
  CHECK(CodeOf(ParseTagging(at_limit + " ")) == Code::kMaxMessageLengthExceeded);
  CHECK(CodeOf(ParseVersioningConfiguration(std::string(kMaxXmlBody + 1, ' '))) ==
        Code::kMaxMessageLengthExceeded);
  CHECK(CodeOf(ParseDeleteObjects(std::string(kMaxListXmlBody + 1, ' '))) ==
        Code::kMaxMessageLengthExceeded);
}

TEST_CASE("Deep nesting neither crashes nor passes", "[s3xml]") {
  const size_t depth = 150000;  // ~1 MiB of markup
  const std::string open = Repeat("<a>", depth);
  const std::string close = Repeat("</a>", depth);
  CHECK(CodeOf(ParseTagging("<Tagging>" + open + close + "</Tagging>", kMaxListXmlBody)) ==
        Code::kMalformedXML);  // no TagSet
  CHECK(CodeOf(ParseTagging("<Tagging><TagSet><Tag><Key>" + open + close +
                                "</Key><Value/></Tag></TagSet></Tagging>",
                            kMaxListXmlBody)) == Code::kMalformedXML);  // a structured key
  CHECK(CodeOf(ParseTagging("<Tagging>" + open, kMaxListXmlBody)) == Code::kMalformedXML);
  CHECK(CodeOf(ParseDeleteObjects(open + close)) == Code::kMalformedXML);
}

// --- CreateBucket, versioning, tagging ----------------------------------------------------------

TEST_CASE("CreateBucketConfiguration", "[s3xml]") {
  auto loc = ParseCreateBucketConfiguration(
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  REQUIRE(loc.ok());
  CHECK(*loc == "eu-west-1");
  loc = ParseCreateBucketConfiguration(R"(<CreateBucketConfiguration>
  <LocationConstraint>
    us-west-2
  </LocationConstraint>
</CreateBucketConfiguration>)");
  REQUIRE(loc.ok());
  CHECK(*loc == "us-west-2");
  loc = ParseCreateBucketConfiguration("<CreateBucketConfiguration/>");
  REQUIRE(loc.ok());
  CHECK(loc->empty());
  loc = ParseCreateBucketConfiguration(
      "<CreateBucketConfiguration><LocationConstraint></LocationConstraint>"
      "<Bucket><Type>Directory</Type></Bucket></CreateBucketConfiguration>");
  REQUIRE(loc.ok());
  CHECK(loc->empty());
  CHECK(CodeOf(ParseCreateBucketConfiguration(
            "<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
            "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(ParseCreateBucketConfiguration("<LocationConstraint>a</LocationConstraint>")) ==
        Code::kMalformedXML);
}

TEST_CASE("VersioningConfiguration", "[s3xml]") {
  auto parse = [](std::string inner) {
    return ParseVersioningConfiguration(
        "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + inner +
        "</VersioningConfiguration>");
  };
  auto enabled = parse("<Status>Enabled</Status>");
  REQUIRE(enabled.ok());
  CHECK(enabled->status == VersioningStatus::kEnabled);
  CHECK_FALSE(enabled->mfa_delete_enabled);

  auto suspended = parse("<MfaDelete>Disabled</MfaDelete><Status>Suspended</Status>");
  REQUIRE(suspended.ok());
  CHECK(suspended->status == VersioningStatus::kSuspended);
  CHECK_FALSE(suspended->mfa_delete_enabled);

  auto mfa = parse("<Status>Enabled</Status><MfaDelete>Enabled</MfaDelete>");
  REQUIRE(mfa.ok());
  CHECK(mfa->mfa_delete_enabled);

  auto unset = parse("");
  REQUIRE(unset.ok());
  CHECK(unset->status == VersioningStatus::kUnset);

  for (const char* bad : {"<Status>enabled</Status>", "<Status>Disabled</Status>",
                          "<Status></Status>", "<Status>Enabled</Status><Status>Enabled</Status>",
                          "<MfaDelete>On</MfaDelete>", "<Status><Enabled/></Status>"}) {
    INFO(bad);
    CHECK(CodeOf(parse(bad)) == Code::kMalformedXML);
  }
}

TEST_CASE("Tagging: the AWS documentation example and edge cases", "[s3xml]") {
  const char* body = R"(<Tagging>
  <TagSet>
    <Tag>
      <Key>Project</Key>
      <Value>Project One</Value>
    </Tag>
    <Tag>
      <Key>User</Key>
      <Value>jsmith</Value>
    </Tag>
  </TagSet>
</Tagging>)";
  auto tags = ParseTagging(body);
  REQUIRE(tags.ok());
  CHECK(*tags == TagSet{{"Project", "Project One"}, {"User", "jsmith"}});

  // boto3: namespace, empty value; duplicates are kept for the handler's InvalidTag.
  tags = ParseTagging(
      "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
      "<Tag><Key>a</Key><Value></Value></Tag><Tag><Key>a</Key><Value>é</Value></Tag>"
      "</TagSet></Tagging>");
  REQUIRE(tags.ok());
  CHECK(*tags == TagSet{{"a", ""}, {"a", "é"}});

  tags = ParseTagging("<Tagging><TagSet/></Tagging>");
  REQUIRE(tags.ok());
  CHECK(tags->empty());

  for (const char* bad : {
           "<Tagging/>",
           "<Tagging><TagSet/><TagSet/></Tagging>",
           "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
           "<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>",
           "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value><Value>c</Value></Tag></TagSet>"
           "</Tagging>",
           // A TagSet in another namespace is not the S3 TagSet.
           "<Tagging><TagSet xmlns=\"urn:other\"><Tag><Key>a</Key><Value>b</Value></Tag>"
           "</TagSet></Tagging>",
       }) {
    INFO(bad);
    CHECK(CodeOf(ParseTagging(bad)) == Code::kMalformedXML);
  }
}

}  // namespace
}  // namespace strata::gw

namespace strata::gw {
namespace {

TEST_CASE("ObjectLockConfiguration: the AWS shapes and what is refused", "[s3xml][lock]") {
  auto days = ParseObjectLockConfiguration(
      "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
      "<Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule>"
      "</ObjectLockConfiguration>");
  REQUIRE(days.ok());
  CHECK(days->enabled);
  CHECK(days->default_mode == "COMPLIANCE");
  CHECK(days->default_days == 30);
  CHECK(days->default_years == 0);
  auto bare = ParseObjectLockConfiguration(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
      "</ObjectLockConfiguration>");
  REQUIRE(bare.ok());
  CHECK(bare->default_mode.empty());
  auto rule = [](std::string inner) {
    return ParseObjectLockConfiguration(
        "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>" + inner +
        "</Rule></ObjectLockConfiguration>");
  };
  CHECK(rule("<DefaultRetention><Mode>GOVERNANCE</Mode><Years>2</Years></DefaultRetention>")
            ->default_years == 2);
  CHECK(CodeOf(rule("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"
                    "</DefaultRetention>")) == Code::kMalformedXML);
  CHECK(CodeOf(rule("<DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(rule("<DefaultRetention><Mode>FOREVER</Mode><Days>1</Days></DefaultRetention>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(rule("<DefaultRetention><Days>1</Days></DefaultRetention>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(rule("")) == Code::kMalformedXML);
  for (const char* bad : {"0", "-1", "1.5", "x", "99999999999", ""}) {
    INFO(bad);
    CHECK(CodeOf(rule(std::string("<DefaultRetention><Mode>GOVERNANCE</Mode><Days>") + bad +
                      "</Days></DefaultRetention>")) == Code::kInvalidArgument);
  }
  CHECK(CodeOf(ParseObjectLockConfiguration(
            "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
            "</ObjectLockConfiguration>")) == Code::kMalformedXML);
  CHECK(CodeOf(ParseObjectLockConfiguration("<Other/>")) == Code::kMalformedXML);
  CHECK(CodeOf(ParseObjectLockConfiguration(std::string(2 << 20, ' '))) != Code::kOk);
}

TEST_CASE("Retention and LegalHold documents", "[s3xml][lock]") {
  auto r = ParseRetention(
      "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z"
      "</RetainUntilDate></Retention>");
  REQUIRE(r.ok());
  CHECK(r->mode == "GOVERNANCE");
  CHECK(r->retain_until_date == "2030-01-01T00:00:00Z");
  CHECK(ParseRetention("<Retention/>")->mode.empty());
  CHECK(CodeOf(ParseRetention("<Retention><Mode>governance</Mode></Retention>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(ParseRetention("<Retention><Mode>GOVERNANCE</Mode><Mode>COMPLIANCE</Mode>"
                              "</Retention>")) == Code::kMalformedXML);
  CHECK(ParseLegalHold("<LegalHold><Status>ON</Status></LegalHold>").value());
  CHECK_FALSE(ParseLegalHold("<LegalHold><Status>OFF</Status></LegalHold>").value());
  CHECK(CodeOf(ParseLegalHold("<LegalHold><Status>on</Status></LegalHold>")) ==
        Code::kMalformedXML);
  CHECK(CodeOf(ParseLegalHold("<LegalHold/>")) == Code::kMalformedXML);
  CHECK(CodeOf(ParseLegalHold("<LegalHold><Status>ON</Status>")) == Code::kMalformedXML);
}

}  // namespace
}  // namespace strata::gw
