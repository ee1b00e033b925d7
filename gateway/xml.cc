#include "gateway/xml.h"

#include <cassert>
#include <charconv>
#include <utility>

namespace strata::gw {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the well-formed UTF-8 sequence at text[i] (Unicode table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF) and its code point; 0 when the bytes there are not one.
size_t DecodeUtf8(std::string_view text, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
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
    return 0;  // continuation byte, C0/C1 overlong lead, F5..FF
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

// The Char production of XML 1.0 (surrogates never get here: DecodeUtf8 refuses them).
bool IsXmlChar(char32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

void AppendCharRef(std::string* out, char32_t cp) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<uint32_t>(cp), 16);
  assert(ec == std::errc());
  out->append("&#x");
  for (char* p = buf; p != end; ++p) out->push_back(*p >= 'a' ? static_cast<char>(*p - 32) : *p);
  out->push_back(';');
}

}  // namespace

void AppendXmlEscaped(std::string* out, std::string_view text) {
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  size_t i = 0;
  auto flush = [&] { out->append(text.substr(run, i - run)); };
  while (i < text.size()) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'') {
      ++i;
      continue;
    }
    flush();
    char32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out->append(kReplacement);
      i += 1;  // resynchronize on the next byte
    } else if (!IsXmlChar(cp)) {
      out->append(kReplacement);
      i += len;
    } else {
      switch (cp) {
        case '&':
          out->append("&amp;");
          break;
        case '<':
          out->append("&lt;");
          break;
        case '>':
          out->append("&gt;");
          break;
        case '"':
          out->append("&quot;");
          break;
        case '\'':
          out->append("&apos;");
          break;
        default:
          if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            AppendCharRef(out, cp);
          } else {
            out->append(text.substr(i, len));
          }
      }
      i += len;
    }
    run = i;
  }
  flush();
}

bool IsXmlText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0 || !IsXmlChar(cp)) return false;
    i += len;
  }
  return true;
}

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

XmlWriter& XmlWriter::Open(std::string_view name, std::string_view xmlns) {
  assert(!name.empty());
  out_.push_back('<');
  out_.append(name);
  if (!xmlns.empty()) {
    out_.append(" xmlns=\"");
    AppendXmlEscaped(&out_, xmlns);
    out_.push_back('"');
  }
  out_.push_back('>');
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::Close() {
  assert(!open_.empty() && "XmlWriter::Close with no open element");
  if (open_.empty()) return *this;
  out_.append("</");
  out_.append(open_.back());
  out_.push_back('>');
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  assert(!name.empty());
  out_.push_back('<');
  out_.append(name);
  out_.push_back('>');
  AppendXmlEscaped(&out_, text);
  out_.append("</");
  out_.append(name);
  out_.push_back('>');
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  assert(ec == std::errc());
  return Element(name, std::string_view(buf, static_cast<size_t>(end - buf)));
}

XmlWriter& XmlWriter::Element(std::string_view name, bool value) {
  return Element(name, value ? std::string_view("true") : std::string_view("false"));
}

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

}  // namespace strata::gw
