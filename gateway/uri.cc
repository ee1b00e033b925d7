#include "gateway/uri.h"

namespace strata::gw {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return Status(Code::kInvalidArgument, "truncated percent escape");
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return Status(Code::kInvalidArgument, "malformed percent escape");
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

Result<std::string> UriDecode(std::string_view s) { return Decode(s, /*plus_is_space=*/false); }

Result<std::string> UriDecodeQuery(std::string_view s) { return Decode(s, /*plus_is_space=*/true); }

Result<std::vector<QueryParam>> ParseQuery(std::string_view raw_query) {
  std::vector<QueryParam> params;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view segment = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (segment.empty()) continue;
    QueryParam param;
    size_t eq = segment.find('=');
    param.has_value = eq != std::string_view::npos;
    STRATA_ASSIGN_OR_RETURN(param.name, UriDecodeQuery(segment.substr(0, eq)));
    if (param.has_value) {
      STRATA_ASSIGN_OR_RETURN(param.value, UriDecodeQuery(segment.substr(eq + 1)));
    }
    params.push_back(std::move(param));
  }
  return params;
}

}  // namespace strata::gw
