// Structured logs: one line per event on stderr, logfmt style
//
//   ts=2026-12-01T03:47:43.123Z level=info msg="drive offline" drive=hot/drive3
//
// Values are quoted (with \" \\ \n escapes) when they hold spaces, quotes,
// '=' or control bytes, or are empty. A line is written with one write(2),
// so lines from several threads never interleave. Request-scoped lines carry
// the request's id as a field (request_id=...), passed by the caller: no
// thread-local context (a coroutine may be the only one on its thread).
//
// Never pass secrets, signatures or signing keys as fields.
//
// Thread safety: everything is thread-safe.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace strata::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <std::integral T>
  Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  std::string_view key;
  std::string value;
};

// Lines below this level are dropped (default kInfo; STRATA_LOG_LEVEL=debug
// at start-up lowers it, read by main only).
void SetMinLevel(Level level);
bool Enabled(Level level);

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kError, msg, f); }

// The formatted line without the trailing newline (tests; Write uses it).
std::string Format(std::string_view ts, Level level, std::string_view msg,
                   std::initializer_list<Field> fields);

}  // namespace strata::log
