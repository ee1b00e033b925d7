// strata-bench: an S3 load generator (see Usage() in options.cc).
// Exit status: 0 ok, 1 when setup failed or every request failed, 2 on bad arguments.
#include <iostream>
#include <string_view>
#include <vector>

#include "tools/bench/options.h"
#include "tools/bench/run.h"

int main(int argc, char** argv) {
  using namespace strata::bench;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  strata::Result<Options> options = ParseArgs(args);
  if (!options.ok()) {
    if (options.status().code() == strata::Code::kAborted) {
      std::cout << Usage();
      return 0;
    }
    std::cerr << "strata-bench: " << options.status().message() << "\n"
              << "run 'strata-bench --help' for the usage\n";
    return 2;
  }
  if (options->workload == Workload::kPresign) {
    strata::Result<std::string> url = PresignUrl(*options);
    if (!url.ok()) {
      std::cerr << "strata-bench: " << url.status().message() << "\n";
      return url.status().code() == strata::Code::kInvalidArgument ? 2 : 1;
    }
    std::cout << *url << "\n";
    return 0;
  }
  strata::Result<Report> report = RunBenchmark(*options);
  if (!report.ok()) {
    std::cerr << "strata-bench: " << report.status().message() << "\n";
    return report.status().code() == strata::Code::kInvalidArgument ? 2 : 1;
  }
  std::cout << (options->json ? FormatJson(*report) + "\n" : FormatText(*report));
  if (report->ops == 0 || report->errors == report->ops) {
    std::cerr << "strata-bench: every request failed";
    if (report->first_error) std::cerr << "; first: " << DescribeError(*report->first_error);
    std::cerr << "\n";
    return 1;
  }
  return 0;
}
