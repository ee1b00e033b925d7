// A small streaming XML writer for S3 response bodies.
//
// S3 responses are flat, known documents (ListBucketResult, Error, ...), so the writer is a
// string builder with a stack of open element names: no DOM, no library. Text and attribute
// values are escaped so that any input, including invalid UTF-8 and control characters,
// yields a well-formed XML 1.0 document:
//
//   & < > " '                  -> &amp; &lt; &gt; &quot; &apos;
//   TAB LF CR                  -> &#x9; &#xA; &#xD;   (survive parsers' newline normalization)
//   DEL, U+0080..U+009F        -> &#x7F; ... &#x9F;   (legal but invisible; kept visible)
//   other C0 controls, U+FFFE, U+FFFF, bytes that are not valid UTF-8 (overlong, surrogate,
//   truncated, > U+10FFFF)     -> U+FFFD
//
// XML 1.0 cannot carry the characters of the last row at all, not even as references, so a
// key holding them is shown lossily; clients that store such keys ask for encoding-type=url
// and the handler URL-encodes before writing (the caller's business, as in S3).
//
// Element names are trusted constants from the handlers and are not escaped.
//
// Ownership and thread safety: an XmlWriter owns its buffer; use one per response, from one
// thread. The free functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::gw {

inline constexpr std::string_view kS3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlWriter {
 public:
  // Writes <?xml version="1.0" encoding="UTF-8"?> and a newline.
  XmlWriter();

  // <name> or <name xmlns="...">; stays open until Close() or Finish().
  XmlWriter& Open(std::string_view name, std::string_view xmlns = {});
  // Closes the innermost open element. Closing with nothing open is a bug (asserts in debug
  // builds, ignored otherwise).
  XmlWriter& Close();

  // <name>escaped text</name>; empty text gives <name></name>, as S3 writes it.
  XmlWriter& Element(std::string_view name, std::string_view text);
  // Without this overload a string literal would convert to bool, not to string_view.
  XmlWriter& Element(std::string_view name, const char* text) {
    return Element(name, std::string_view(text));
  }
  XmlWriter& Element(std::string_view name, uint64_t value);
  XmlWriter& Element(std::string_view name, bool value);  // "true" / "false"

  // Closes every element still open and returns the document. Call once, last.
  std::string Finish();

 private:
  std::string out_;
  std::vector<std::string> open_;  // names of the open elements, outermost first
};

// Appends `text` to `out` escaped as above (for text and for double-quoted attributes).
void AppendXmlEscaped(std::string* out, std::string_view text);

// True when `text` is valid UTF-8 and every character is one XML 1.0 allows (Char
// production): what a request body must be before a parser sees it.
bool IsXmlText(std::string_view text);

}  // namespace strata::gw
