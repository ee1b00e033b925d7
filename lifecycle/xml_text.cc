#include "lifecycle/xml_text.h"

#include <charconv>
#include <cstdint>

namespace strata::lifecycle::internal {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at text[i] and its code point, or 0 when the
// bytes there are not one (Unicode table 3-7).
size_t DecodeUtf8(std::string_view text, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - i < len) return 0;
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  char32_t value = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  *cp = value;
  return len;
}

// XML 1.0's Char production.
bool IsXmlChar(char32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

// The name between '&' and ';' of a reference an S3 body may hold: a predefined entity or
// a character reference to a character XML allows. Without a DTD nothing else exists.
bool IsValidReference(std::string_view name) {
  if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
    return true;
  }
  if (name.size() < 2 || name[0] != '#') return false;
  name.remove_prefix(1);
  int base = 10;
  if (name[0] == 'x') {
    base = 16;
    name.remove_prefix(1);
  }
  if (name.empty() || name.size() > 8) return false;  // also keeps from_chars in range
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), cp, base);
  return ec == std::errc() && end == name.data() + name.size() && IsXmlChar(cp);
}

// The entity or character reference that stands for an ASCII character in element
// content, or "" when the character stands for itself. TAB, LF and CR are references
// because a parser normalises literal line ends (CR LF -> LF) and attribute whitespace.
std::string_view EscapeOf(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    case '\t':
      return "&#x9;";
    case '\n':
      return "&#xA;";
    case '\r':
      return "&#xD;";
    default:
      return {};
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool IsXmlText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0 || !IsXmlChar(cp)) return false;
    i += len;
  }
  return true;
}

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
  size_t depth = 0;  // open elements; pugixml itself checks that tags pair up
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      if (depth == 0 || !check_reference(&i)) return false;
      continue;
    }
    if (c != '<') {
      if (depth == 0 && !IsSpace(c)) return false;
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
    } else {  // a start or end tag: find its '>' minding quoted attribute values
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

void AppendEscaped(std::string* out, std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (const std::string_view escape = EscapeOf(c); !escape.empty()) {
      out->append(escape);
      ++i;
      continue;
    }
    if (u >= 0x20 && u < 0x80) {
      out->push_back(c);
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out->append(kReplacement);
      ++i;  // resynchronise on the next byte
    } else {
      if (IsXmlChar(cp)) {
        out->append(text.substr(i, len));
      } else {
        out->append(kReplacement);
      }
      i += len;
    }
  }
}

}  // namespace strata::lifecycle::internal
