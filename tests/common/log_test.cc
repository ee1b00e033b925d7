// Log lines are logfmt: values that could split a line or a field are
// quoted and escaped, so one event is always one parseable line.
#include "common/log.h"

#include <catch2/catch.hpp>

namespace strata::log {
namespace {

TEST_CASE("log lines quote and escape what needs it", "[log]") {
  std::string line = Format("2026-12-01T00:00:00.000Z", Level::kWarn, "drive offline",
                            {{"drive", "hot/drive1"},
                             {"error", "open: \"x\" failed\nnext"},
                             {"empty", ""},
                             {"n", 42},
                             {"eq", "a=b"},
                             {"ctl", std::string_view("\x01", 1)}});
  CHECK(line ==
        "ts=2026-12-01T00:00:00.000Z level=warn msg=\"drive offline\" drive=hot/drive1 "
        "error=\"open: \\\"x\\\" failed\\nnext\" empty=\"\" n=42 eq=\"a=b\" ctl=\"\\x01\"");
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("levels below the minimum are dropped", "[log]") {
  SetMinLevel(Level::kWarn);
  CHECK_FALSE(Enabled(Level::kInfo));
  CHECK(Enabled(Level::kError));
  SetMinLevel(Level::kInfo);
  CHECK(Enabled(Level::kInfo));
  CHECK_FALSE(Enabled(Level::kDebug));
}

}  // namespace
}  // namespace strata::log
