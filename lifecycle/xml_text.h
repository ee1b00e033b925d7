// Internal to lifecycle/: the byte-level checks a hostile XML body must pass before pugixml
// sees it, and the escaping of text written back out.
//
// lifecycle/ must not depend on gateway/, so these mirror gateway/xml.h and the checks in
// gateway/s3_xml.cc; the rules are XML 1.0's, so the two cannot drift apart in meaning.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace strata::lifecycle::internal {

inline constexpr std::string_view kS3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above
// U+10FFFF) and every character is one XML 1.0 allows.
bool IsXmlText(std::string_view text);

// True when the body holds nothing that pugixml would accept but an S3 body must not: any
// <!...> declaration (DOCTYPE, ENTITY), a reference to anything but the five predefined
// entities or a character XML allows, text or CDATA outside the root element, a '<' inside
// an attribute value. Walks the bytes once, without recursion.
bool IsLexicallySound(std::string_view text);

// Appends `text` escaped for element content: & < > " ' as entities; TAB, LF, CR as
// character references (so parsers' newline normalisation cannot change them); characters
// XML cannot carry at all (other C0 controls, U+FFFE/U+FFFF, invalid UTF-8) as U+FFFD.
// Nothing that IsXmlText accepts is altered, so parsed text always reads back the same.
void AppendEscaped(std::string* out, std::string_view text);

}  // namespace strata::lifecycle::internal
