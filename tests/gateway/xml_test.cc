#include "gateway/xml.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "gateway/s3_xml.h"

namespace strata::gw {
namespace {

constexpr std::string_view kDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string Escaped(std::string_view text) {
  std::string out;
  AppendXmlEscaped(&out, text);
  return out;
}

std::string Doc(std::string_view body) { return std::string(kDecl) + std::string(body); }

TEST_CASE("XmlWriter writes the declaration, nesting and the namespace", "[xml]") {
  XmlWriter xml;
  xml.Open("ListBucketResult", kS3Xmlns)
      .Element("Name", "bucket")
      .Element("MaxKeys", uint64_t{1000})
      .Element("IsTruncated", false)
      .Open("Contents")
      .Element("Key", "a/b.txt")
      .Element("Size", uint64_t{0})
      .Close()
      .Open("CommonPrefixes")
      .Element("Prefix", "")
      .Close();
  CHECK(xml.Finish() ==
        Doc("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Name>bucket</Name><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            "<Contents><Key>a/b.txt</Key><Size>0</Size></Contents>"
            "<CommonPrefixes><Prefix></Prefix></CommonPrefixes></ListBucketResult>"));
}

TEST_CASE("XmlWriter: Finish closes what is open, innermost first", "[xml]") {
  XmlWriter xml;
  xml.Open("A").Open("B").Open("C");
  CHECK(xml.Finish() == Doc("<A><B><C></C></B></A>"));

  XmlWriter empty;
  CHECK(empty.Finish() == kDecl);
}

TEST_CASE("XmlWriter: values of every overload", "[xml]") {
  XmlWriter xml;
  xml.Open("R")
      .Element("Max", std::numeric_limits<uint64_t>::max())
      .Element("T", true)
      .Element("F", false)
      .Element("Literal", "not a bool")  // must not pick the bool overload
      .Element("View", std::string_view("v"))
      .Element("Str", std::string("s"));
  CHECK(xml.Finish() == Doc("<R><Max>18446744073709551615</Max><T>true</T><F>false</F>"
                            "<Literal>not a bool</Literal><View>v</View><Str>s</Str></R>"));
}

TEST_CASE("Escaping of the five markup characters", "[xml]") {
  CHECK(Escaped("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  CHECK(Escaped("&amp;") == "&amp;amp;");  // no double-unescaping shortcut
  CHECK(Escaped("]]>") == "]]&gt;");
  CHECK(Escaped("") == "");
  CHECK(Escaped("plain/key-1_2.txt") == "plain/key-1_2.txt");

  XmlWriter xml;
  xml.Open("Root", "urn:\"quoted\"&<x>");
  CHECK(xml.Finish() == Doc("<Root xmlns=\"urn:&quot;quoted&quot;&amp;&lt;x&gt;\"></Root>"));
}

TEST_CASE("Escaping of control characters", "[xml]") {
  // Whitespace controls survive as references (a raw CR would be normalized away).
  CHECK(Escaped("a\tb\nc\rd") == "a&#x9;b&#xA;c&#xD;d");
  // XML 1.0 cannot carry other C0 controls at all: replaced.
  CHECK(Escaped(std::string("\0", 1)) == "\xEF\xBF\xBD");
  CHECK(Escaped("\x01\x08\x0B\x0C\x1F") ==
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
        "\xEF\xBF\xBD");
  // DEL and C1 controls are legal characters, written visibly.
  CHECK(Escaped("\x7F") == "&#x7F;");
  CHECK(Escaped("\xC2\x80\xC2\x85\xC2\x9F") == "&#x80;&#x85;&#x9F;");
  CHECK(Escaped("\xC2\xA0") == "\xC2\xA0");  // U+00A0 is not a control
}

TEST_CASE("Valid UTF-8 passes through, invalid UTF-8 becomes U+FFFD", "[xml]") {
  CHECK(Escaped("日本語/ü") == "日本語/ü");
  CHECK(Escaped("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // U+1F600
  CHECK(Escaped("\xF4\x8F\xBF\xBD") == "\xF4\x8F\xBF\xBD");  // U+10FFFD
  CHECK(Escaped("\xEF\xBF\xBD") == "\xEF\xBF\xBD");          // U+FFFD itself

  const std::string r = "\xEF\xBF\xBD";
  CHECK(Escaped("\xFF") == r);                          // never valid
  CHECK(Escaped("\x80") == r);                          // lone continuation byte
  CHECK(Escaped("\xC0\xAF") == r + r);                  // overlong '/'
  CHECK(Escaped("\xE0\x80\xAF") == r + r + r);          // overlong, 3 bytes
  CHECK(Escaped("\xED\xA0\x80") == r + r + r);          // UTF-16 surrogate
  CHECK(Escaped("\xF4\x90\x80\x80") == r + r + r + r);  // above U+10FFFF
  CHECK(Escaped("a\xE2\x82") == "a" + r + r);           // truncated at the end
  CHECK(Escaped("\xE2\x82<") == r + r + "&lt;");        // truncated before markup
  CHECK(Escaped("\xEF\xBF\xBE") == r);                  // U+FFFE, not an XML character
  CHECK(Escaped("\xEF\xBF\xBF") == r);                  // U+FFFF
}

TEST_CASE("IsXmlText accepts XML characters only", "[xml]") {
  CHECK(IsXmlText(""));
  CHECK(IsXmlText("plain \t\r\n text"));
  CHECK(IsXmlText("日本語 \xF0\x9F\x98\x80 \x7F \xC2\x85"));
  CHECK_FALSE(IsXmlText(std::string("a\0b", 3)));
  CHECK_FALSE(IsXmlText("\x01"));
  CHECK_FALSE(IsXmlText("\xFF\xFE<a/>"));  // a UTF-16 BOM
  CHECK_FALSE(IsXmlText("\xC0\xAF"));
  CHECK_FALSE(IsXmlText("\xED\xA0\x80"));
  CHECK_FALSE(IsXmlText("\xEF\xBF\xBE"));
  CHECK_FALSE(IsXmlText("abc\xE2\x82"));
}

// Writer output must read back through the strict request parser: byte-exact when the text
// was valid XML text, and well-formed whatever the bytes were.
TEST_CASE("Writer output round-trips through the parser, whatever the bytes", "[xml]") {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> len_dist(0, 40);
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  const std::string interesting[] = {
      "&",     "<",   ">", "\"", "'", "\r", "\n", "\t", "]]>", "\xC3\xA9", "\xF0\x9F\x98\x80",
      "&amp;", "\x7F"};
  int exact = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string value;
    const int len = len_dist(rng);
    for (int i = 0; i < len; ++i) {
      if (pick(rng) < 3) {
        value += interesting[static_cast<size_t>(byte_dist(rng)) % std::size(interesting)];
      } else {
        value.push_back(static_cast<char>(byte_dist(rng)));
      }
    }
    XmlWriter xml;
    xml.Open("Tagging", kS3Xmlns)
        .Open("TagSet")
        .Open("Tag")
        .Element("Key", "k")
        .Element("Value", value);
    const std::string doc = xml.Finish();
    INFO("round " << round);
    REQUIRE(IsXmlText(doc));
    Result<TagSet> tags = ParseTagging(doc);
    REQUIRE(tags.ok());
    REQUIRE(tags->size() == 1);
    CHECK(IsXmlText((*tags)[0].second));
    if (IsXmlText(value)) {
      CHECK((*tags)[0].second == value);
      ++exact;
    }
  }
  CHECK(exact > 100);  // the generator does produce valid texts
}

}  // namespace
}  // namespace strata::gw
