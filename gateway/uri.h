// Percent-encoding as S3 and SigV4 define it, and query-string parsing.
//
// UriEncode follows the SigV4 rules: the unreserved characters A-Z a-z 0-9
// '-' '.' '_' '~' are kept, every other byte becomes %XX with upper-case hex
// ('/' is kept only when encode_slash is false, as in a canonical path).
// Decoding is strict: a '%' not followed by two hex digits is an error, never
// passed through, so two parsers can not disagree about what a name means.
//
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace strata::gw {

std::string UriEncode(std::string_view s, bool encode_slash);

// Decodes %XX escapes; '+' stays '+' (the rule for S3 paths).
// A malformed escape -> kInvalidArgument.
Result<std::string> UriDecode(std::string_view s);

// As UriDecode, but '+' decodes to ' ' (the rule for query components, which
// S3 follows: a literal '+' in a query value must be sent as %2B).
Result<std::string> UriDecodeQuery(std::string_view s);

struct QueryParam {
  std::string name;        // decoded
  std::string value;       // decoded; empty when !has_value
  bool has_value = false;  // "?uploads" has none, "?prefix=" has an empty one
};

// Splits a raw query (the part after '?', without it) on '&' and decodes each
// name and value with UriDecodeQuery. Order and repeated names are kept;
// empty segments ("a&&b") are skipped.
Result<std::vector<QueryParam>> ParseQuery(std::string_view raw_query);

}  // namespace strata::gw
