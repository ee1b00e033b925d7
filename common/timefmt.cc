#include "common/timefmt.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace strata {
namespace {

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm ToTm(SysTime t) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (ToMicros(t) < 0 && ToMicros(t) % 1000000) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<SysTime> Make(int y, int mo, int d, int h, int mi, int s, int64_t micros = 0) {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  static constexpr int kDim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDim[mo - 1]) return std::nullopt;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s;
  return FromMicros(secs * 1000000 + micros);
}

bool Num(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int MonthIndex(std::string_view m) {
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i + 1;
  }
  return 0;
}

}  // namespace

std::string FormatAmzDate(SysTime t) {
  std::tm tm = ToTm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<SysTime> ParseAmzDate(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!Num(s, 0, 4, &y) || !Num(s, 4, 2, &mo) || !Num(s, 6, 2, &d) || !Num(s, 9, 2, &h) ||
      !Num(s, 11, 2, &mi) || !Num(s, 13, 2, &sec)) {
    return std::nullopt;
  }
  return Make(y, mo, d, h, mi, sec);
}

std::string FormatIso8601(SysTime t) {
  std::tm tm = ToTm(t);
  int64_t us = ToMicros(t) % 1000000;
  if (us < 0) us += 1000000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(us / 1000));
  return buf;
}

std::optional<SysTime> ParseIso8601(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (!Num(s, 0, 4, &y) || !Num(s, 5, 2, &mo) || !Num(s, 8, 2, &d) || !Num(s, 11, 2, &h) ||
      !Num(s, 14, 2, &mi) || !Num(s, 17, 2, &sec)) {
    return std::nullopt;
  }
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 6; ++k) micros *= 10;
  }
  int64_t offset_secs = 0;
  std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!Num(zone, 1, 2, &oh) || !Num(zone, 4, 2, &om)) return std::nullopt;
    offset_secs = (oh * 3600 + om * 60) * (zone[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  auto t = Make(y, mo, d, h, mi, sec, micros);
  if (!t) return std::nullopt;
  return FromMicros(ToMicros(*t) - offset_secs * 1000000);
}

std::string FormatHttpDate(SysTime t) {
  std::tm tm = ToTm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<SysTime> ParseHttpDate(std::string_view s) {
  int y, d, h, mi, sec;
  // RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
    int mo = MonthIndex(s.substr(8, 3));
    if (!mo || !Num(s, 5, 2, &d) || !Num(s, 12, 4, &y) || !Num(s, 17, 2, &h) ||
        !Num(s, 20, 2, &mi) || !Num(s, 23, 2, &sec) || s[19] != ':' || s[22] != ':') {
      return std::nullopt;
    }
    return Make(y, mo, d, h, mi, sec);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (auto comma = s.find(", "); comma != std::string_view::npos && comma >= 6 &&
                                 s.size() == comma + 24 && s.substr(s.size() - 4) == " GMT") {
    std::string_view r = s.substr(comma + 2);
    int mo = MonthIndex(r.substr(3, 3));
    int yy;
    if (!mo || !Num(r, 0, 2, &d) || !Num(r, 7, 2, &yy) || !Num(r, 10, 2, &h) ||
        !Num(r, 13, 2, &mi) || !Num(r, 16, 2, &sec)) {
      return std::nullopt;
    }
    return Make(yy < 70 ? 2000 + yy : 1900 + yy, mo, d, h, mi, sec);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ') {
    int mo = MonthIndex(s.substr(4, 3));
    std::string_view day = s.substr(8, 2);
    if (day[0] == ' ') day.remove_prefix(1);
    if (!mo || std::from_chars(day.data(), day.data() + day.size(), d).ec != std::errc() ||
        !Num(s, 11, 2, &h) || !Num(s, 14, 2, &mi) || !Num(s, 17, 2, &sec) || !Num(s, 20, 4, &y)) {
      return std::nullopt;
    }
    return Make(y, mo, d, h, mi, sec);
  }
  return std::nullopt;
}

}  // namespace strata
