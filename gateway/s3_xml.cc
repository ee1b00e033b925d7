#include "gateway/s3_xml.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <pugixml.hpp>

#include "gateway/xml.h"

namespace strata::gw {
namespace {

constexpr size_t kMaxParts = 10000;

Status Malformed() { return Status(Code::kMalformedXML); }

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

bool IsXmlCodePoint(uint32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  return cp <= 0xD7FF || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// The name between '&' and ';': one of the five predefined entities, or a character
// reference to a character XML allows. Without a DTD no other entity can exist.
bool IsValidReference(std::string_view name) {
  if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
    return true;
  }
  if (name.size() < 2 || name[0] != '#') return false;
  int base = 10;
  name.remove_prefix(1);
  if (name[0] == 'x') {
    base = 16;
    name.remove_prefix(1);
  }
  if (name.empty() || name.size() > 8) return false;  // also keeps from_chars from overflowing
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), cp, base);
  return ec == std::errc() && end == name.data() + name.size() && IsXmlCodePoint(cp);
}

// Checks, over the raw body, what pugixml accepts but XML 1.0 without a DTD does not: any
// <!...> declaration (DOCTYPE, ENTITY, ...), a '<' inside an attribute value, references to
// undeclared entities, character references to non-characters, and text or CDATA outside
// the root element (pugixml drops it silently). Comments and processing instructions are
// skipped unchecked.
bool IsLexicallySound(std::string_view s) {
  auto skip_past = [&](size_t* i, std::string_view end) {
    const size_t at = s.find(end, *i);
    if (at == std::string_view::npos) return false;
    *i = at + end.size();
    return true;
  };
  auto check_reference = [&](size_t* i) {  // s[*i] == '&'
    const size_t semi = s.find(';', *i);
    if (semi == std::string_view::npos || !IsValidReference(s.substr(*i + 1, semi - *i - 1))) {
      return false;
    }
    *i = semi + 1;
    return true;
  };
  size_t depth = 0;  // open elements; pugixml checks that tags pair up
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      if (depth == 0 || !check_reference(&i)) return false;
      continue;
    }
    if (c != '<') {
      if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
      ++i;
      continue;
    }
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("<!--")) {
      i += 4;
      if (!skip_past(&i, "-->")) return false;
    } else if (rest.starts_with("<![CDATA[")) {
      if (depth == 0) return false;
      i += 9;
      if (!skip_past(&i, "]]>")) return false;
    } else if (rest.starts_with("<!")) {
      return false;  // DOCTYPE, ENTITY, ELEMENT...: no DTD in an S3 body
    } else if (rest.starts_with("<?")) {
      i += 2;
      if (!skip_past(&i, "?>")) return false;
    } else {  // a start or end tag: walk to its '>' minding quoted attribute values
      const bool end_tag = rest.starts_with("</");
      ++i;
      char quote = 0;
      while (true) {
        if (i >= s.size()) return false;
        const char t = s[i];
        if (quote != 0) {
          if (t == quote) {
            quote = 0;
          } else if (t == '<') {
            return false;
          } else if (t == '&') {
            if (!check_reference(&i)) return false;
            continue;
          }
        } else if (t == '"' || t == '\'') {
          quote = t;
        } else if (t == '>') {
          if (end_tag) {
            if (depth == 0) return false;
            --depth;
          } else if (s[i - 1] != '/') {  // not an empty-element tag <a/>
            ++depth;
          }
          ++i;
          break;
        } else if (t == '<') {
          return false;
        }
        ++i;
      }
    }
  }
  return true;
}

// No xmlns attribute (the parent's namespace, which the root check made S3 or none), or
// xmlns set to the S3 namespace or to none.
bool InS3Namespace(pugi::xml_node node) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    if (std::strcmp(a.name(), "xmlns") != 0) continue;
    const std::string_view ns = a.value();
    if (!ns.empty() && ns != kS3Xmlns) return false;
  }
  return true;
}

bool Is(pugi::xml_node node, std::string_view name) {
  return node.type() == pugi::node_element && name == node.name() && InS3Namespace(node);
}

// The only child element of `parent` called `name`: an empty node when there is none,
// MalformedXML when it is repeated.
Result<pugi::xml_node> UniqueChild(pugi::xml_node parent, std::string_view name) {
  pugi::xml_node found;
  for (pugi::xml_node child : parent.children()) {
    if (!Is(child, name)) continue;
    if (found) return Malformed();
    found = child;
  }
  return found;
}

// The character data of a value element (text and CDATA, concatenated). An element inside
// a value makes it a structure: MalformedXML.
Result<std::string> LeafText(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text += child.value();
        break;
      case pugi::node_element:
        return Malformed();
      default:
        break;  // comments and processing instructions carry no value
    }
  }
  return text;
}

// LeafText of the unique child `name`; "" with *present false when there is none.
Result<std::string> ChildText(pugi::xml_node parent, std::string_view name, bool* present) {
  STRATA_ASSIGN_OR_RETURN(pugi::xml_node child, UniqueChild(parent, name));
  *present = static_cast<bool>(child);
  if (!child) return std::string();
  return LeafText(child);
}

Result<std::string> RequiredChildText(pugi::xml_node parent, std::string_view name) {
  bool present = false;
  STRATA_ASSIGN_OR_RETURN(std::string text, ChildText(parent, name, &present));
  if (!present) return Malformed();
  return text;
}

// A parsed body whose root element has been checked. Holds the pugixml document, so the
// root node stays valid as long as this lives.
class Body {
 public:
  static Status Load(std::string_view xml, size_t max_bytes, std::string_view root_name,
                     Body* body) {
    if (xml.size() > max_bytes) {
      return Status(Code::kMaxMessageLengthExceeded, "Your request was too big.");
    }
    if (xml.starts_with(kUtf8Bom)) xml.remove_prefix(kUtf8Bom.size());
    if (TrimSpace(xml).empty() || !IsXmlText(xml) || !IsLexicallySound(xml)) return Malformed();
    // ws_pcdata keeps whitespace-only values: " " is a valid key.
    const pugi::xml_parse_result parsed = body->doc_.load_buffer(
        xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata, pugi::encoding_utf8);
    if (!parsed) return Malformed();
    for (pugi::xml_node node : body->doc_.children()) {
      switch (node.type()) {
        case pugi::node_element:
          if (body->root_) return Malformed();  // a second root
          body->root_ = node;
          break;
        case pugi::node_pcdata:
          if (!TrimSpace(node.value()).empty()) return Malformed();
          break;
        case pugi::node_cdata:
        case pugi::node_doctype:
          return Malformed();
        default:
          break;
      }
    }
    if (!body->root_ || !Is(body->root_, root_name)) return Malformed();
    return Status::Ok();
  }

  pugi::xml_node root() const { return root_; }

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

// xsd:boolean, plus the capitalised spellings some SDKs send.
Result<bool> ParseBool(std::string_view text) {
  text = TrimSpace(text);
  if (text == "true" || text == "True" || text == "TRUE" || text == "1") return true;
  if (text == "false" || text == "False" || text == "FALSE" || text == "0") return false;
  return Malformed();
}

Result<int> ParsePartNumber(std::string_view text) {
  text = TrimSpace(text);
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);  // xsd:int allows a sign
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return Malformed();
  if (n < 1) return Status(Code::kInvalidArgument, "PartNumber must be >= 1");
  if (n > static_cast<int64_t>(kMaxParts)) {
    return Status(Code::kInvalidArgument,
                  "Part number must be an integer between 1 and 10000, inclusive");
  }
  return static_cast<int>(n);
}

Result<CompletedPart> ParsePart(pugi::xml_node part) {
  CompletedPart out;
  STRATA_ASSIGN_OR_RETURN(std::string number, RequiredChildText(part, "PartNumber"));
  STRATA_ASSIGN_OR_RETURN(out.part_number, ParsePartNumber(number));
  STRATA_ASSIGN_OR_RETURN(out.etag, RequiredChildText(part, "ETag"));
  if (out.etag.size() >= 2 && out.etag.front() == '"' && out.etag.back() == '"') {
    out.etag = out.etag.substr(1, out.etag.size() - 2);
  }
  constexpr std::string_view kChecksum = "Checksum";
  for (pugi::xml_node child : part.children()) {
    const std::string_view name = child.name();
    if (child.type() != pugi::node_element || !name.starts_with(kChecksum) ||
        name.size() == kChecksum.size() || !InS3Namespace(child)) {
      continue;
    }
    std::string algorithm(name.substr(kChecksum.size()));
    for (const auto& [seen, value] : out.checksums) {
      if (seen == algorithm) return Malformed();
    }
    STRATA_ASSIGN_OR_RETURN(std::string value, LeafText(child));
    out.checksums.emplace_back(std::move(algorithm), std::move(value));
  }
  return out;
}

}  // namespace

Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view xml,
                                                                size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "CompleteMultipartUpload", &body));
  std::vector<CompletedPart> parts;
  for (pugi::xml_node child : body.root().children()) {
    if (!Is(child, "Part")) continue;
    // More than kMaxParts parts cannot all have distinct numbers in 1..kMaxParts.
    if (parts.size() == kMaxParts) return Malformed();
    STRATA_ASSIGN_OR_RETURN(CompletedPart part, ParsePart(child));
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return Malformed();
  return parts;
}

Result<DeleteRequest> ParseDeleteObjects(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "Delete", &body));
  DeleteRequest out;
  bool has_quiet = false;
  STRATA_ASSIGN_OR_RETURN(std::string quiet, ChildText(body.root(), "Quiet", &has_quiet));
  if (has_quiet) {
    STRATA_ASSIGN_OR_RETURN(out.quiet, ParseBool(quiet));
  }
  for (pugi::xml_node child : body.root().children()) {
    if (!Is(child, "Object")) continue;
    if (out.objects.size() == kMaxDeleteObjects) return Malformed();
    ObjectIdentifier id;
    STRATA_ASSIGN_OR_RETURN(id.key, RequiredChildText(child, "Key"));
    bool has_version = false;
    STRATA_ASSIGN_OR_RETURN(id.version_id, ChildText(child, "VersionId", &has_version));
    out.objects.push_back(std::move(id));
  }
  if (out.objects.empty()) return Malformed();
  return out;
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "CreateBucketConfiguration", &body));
  bool present = false;
  STRATA_ASSIGN_OR_RETURN(std::string location,
                          ChildText(body.root(), "LocationConstraint", &present));
  return std::string(TrimSpace(location));
}

Result<VersioningConfig> ParseVersioningConfiguration(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "VersioningConfiguration", &body));
  VersioningConfig out;
  bool present = false;
  STRATA_ASSIGN_OR_RETURN(std::string status, ChildText(body.root(), "Status", &present));
  if (present) {
    const std::string_view s = TrimSpace(status);
    if (s == "Enabled") {
      out.status = VersioningStatus::kEnabled;
    } else if (s == "Suspended") {
      out.status = VersioningStatus::kSuspended;
    } else {
      return Malformed();
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::string mfa, ChildText(body.root(), "MfaDelete", &present));
  if (present) {
    const std::string_view m = TrimSpace(mfa);
    if (m == "Enabled") {
      out.mfa_delete_enabled = true;
    } else if (m != "Disabled") {
      return Malformed();
    }
  }
  return out;
}

Result<TagSet> ParseTagging(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "Tagging", &body));
  STRATA_ASSIGN_OR_RETURN(pugi::xml_node tag_set, UniqueChild(body.root(), "TagSet"));
  if (!tag_set) return Malformed();
  TagSet tags;
  for (pugi::xml_node child : tag_set.children()) {
    if (!Is(child, "Tag")) continue;
    STRATA_ASSIGN_OR_RETURN(std::string key, RequiredChildText(child, "Key"));
    STRATA_ASSIGN_OR_RETURN(std::string value, RequiredChildText(child, "Value"));
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}

namespace {

bool IsLockMode(std::string_view m) { return m == "GOVERNANCE" || m == "COMPLIANCE"; }

// A positive decimal integer that fits in 32 bits; nullopt otherwise.
std::optional<uint32_t> PositiveInt(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

}  // namespace

Result<ObjectLockConfig> ParseObjectLockConfiguration(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "ObjectLockConfiguration", &body));
  ObjectLockConfig out;
  bool present = false;
  STRATA_ASSIGN_OR_RETURN(std::string enabled,
                          ChildText(body.root(), "ObjectLockEnabled", &present));
  if (present) {
    if (TrimSpace(enabled) != "Enabled") return Malformed();
    out.enabled = true;
  }
  STRATA_ASSIGN_OR_RETURN(pugi::xml_node rule, UniqueChild(body.root(), "Rule"));
  if (!rule) return out;
  STRATA_ASSIGN_OR_RETURN(pugi::xml_node retention, UniqueChild(rule, "DefaultRetention"));
  if (!retention) return Malformed();
  STRATA_ASSIGN_OR_RETURN(std::string mode, RequiredChildText(retention, "Mode"));
  if (!IsLockMode(TrimSpace(mode))) return Malformed();
  out.default_mode = std::string(TrimSpace(mode));
  bool has_days = false, has_years = false;
  STRATA_ASSIGN_OR_RETURN(std::string days, ChildText(retention, "Days", &has_days));
  STRATA_ASSIGN_OR_RETURN(std::string years, ChildText(retention, "Years", &has_years));
  if (has_days == has_years) return Malformed();  // exactly one of them
  auto period = PositiveInt(TrimSpace(has_days ? days : years));
  if (!period) {
    return Status(Code::kInvalidArgument, "Default retention period must be a positive integer value.");
  }
  (has_days ? out.default_days : out.default_years) = *period;
  return out;
}

Result<RetentionConfig> ParseRetention(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "Retention", &body));
  RetentionConfig out;
  bool has_mode = false, has_date = false;
  STRATA_ASSIGN_OR_RETURN(std::string mode, ChildText(body.root(), "Mode", &has_mode));
  STRATA_ASSIGN_OR_RETURN(std::string date, ChildText(body.root(), "RetainUntilDate", &has_date));
  if (has_mode) {
    if (!IsLockMode(TrimSpace(mode))) return Malformed();
    out.mode = std::string(TrimSpace(mode));
  }
  if (has_date) out.retain_until_date = std::string(TrimSpace(date));
  return out;
}

Result<bool> ParseLegalHold(std::string_view xml, size_t max_bytes) {
  Body body;
  STRATA_TRY(Body::Load(xml, max_bytes, "LegalHold", &body));
  STRATA_ASSIGN_OR_RETURN(std::string status, RequiredChildText(body.root(), "Status"));
  const std::string_view s = TrimSpace(status);
  if (s == "ON") return true;
  if (s == "OFF") return false;
  return Malformed();
}

}  // namespace strata::gw
