// InstrumentedDrive over a real LocalDrive (every operation lands under its
// op label, results pass through unchanged, "not found" is no error) and
// over a fault-injecting drive (each failing step is counted under its op).
// The figures are read the way Prometheus reads them: from Registry::Render.

#include "server/instrumented_drive.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "server/drive.h"
#include "tests/server/drive_test_util.h"

// fault_drive.h (the gateway tests' fault-injecting decorator, reused here)
// names Task unqualified inside strata::gw, where gateway/object_layer.h
// would have brought it; give it the alias without pulling in the gateway.
namespace strata::gw {
using server::Task;
}  // namespace strata::gw

#include "tests/gateway/fault_drive.h"  // NOLINT: after the alias it needs

namespace strata::server {
namespace {

using namespace testing;  // NOLINT: test helpers only

constexpr const char* kPool = "test";
constexpr const char* kDrive = "test/drive1";

// Every sample line of a rendered registry: "name{labels}" -> value.
std::map<std::string, double> Samples(const metrics::Registry& registry) {
  std::map<std::string, double> out;
  std::istringstream in(registry.Render());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

std::string Series(const std::string& name, const std::string& op,
                   const std::string& drive = kDrive) {
  return name + "{pool=\"" + kPool + "\",drive=\"" + drive + "\",op=\"" + op + "\"}";
}

double Count(const metrics::Registry& r, const std::string& op, const std::string& drive = kDrive) {
  auto samples = Samples(r);
  auto it = samples.find(Series("strata_drive_op_duration_seconds_count", op, drive));
  REQUIRE(it != samples.end());
  return it->second;
}

double Errors(const metrics::Registry& r, const std::string& op,
              const std::string& drive = kDrive) {
  auto samples = Samples(r);
  auto it = samples.find(Series("strata_drive_errors_total", op, drive));
  REQUIRE(it != samples.end());
  return it->second;
}

// The fixture keeps owning the real drive (and waits for its deferred work
// at the end); the decorator only borrows it.
std::shared_ptr<Drive> Borrow(Drive& drive) {
  return std::shared_ptr<Drive>(&drive, [](Drive*) {});
}

const char* kOps[] = {"create_shard", "append", "commit",     "read_shard",
                      "read_inline",  "apply",  "index_read", "list"};

TEST_CASE("InstrumentedDrive: every series exists at zero before the first call",
          "[instrumented_drive]") {
  metrics::Registry registry;
  DriveProbe probe(registry, kPool, kDrive);
  auto samples = Samples(registry);
  for (const char* op : kOps) {
    CHECK(samples.at(Series("strata_drive_op_duration_seconds_count", op)) == 0);
    CHECK(samples.at(Series("strata_drive_errors_total", op)) == 0);
  }
  // Nothing under a name this probe does not own.
  for (const auto& [series, value] : samples) {
    CHECK((series.rfind("strata_drive_op_duration_seconds", 0) == 0 ||
           series.rfind("strata_drive_errors_total", 0) == 0));
  }
}

TEST_CASE("InstrumentedDrive: each operation of a real drive is timed under its op",
          "[instrumented_drive]") {
  DriveFixture f;
  metrics::Registry registry;
  auto drive =
      InstrumentDrive(Borrow(f.drive()), std::make_shared<DriveProbe>(registry, kPool, kDrive));
  CHECK(drive->name() == kDrive);
  CHECK(drive->online());

  // A shard file: create, two appends, commit, then a read of it.
  const std::string data = Bytes(100000, 7);
  const std::string id = NewDataId();
  auto writer = f.Run(drive->CreateShard(id));
  REQUIRE(writer.ok());
  REQUIRE(f.Run((*writer)->Append(AsBytes(std::string_view(data).substr(0, 4096)))).ok());
  REQUIRE(f.Run((*writer)->Append(AsBytes(std::string_view(data).substr(4096)))).ok());
  REQUIRE(f.Run((*writer)->Commit()).ok());
  writer->reset();
  std::string back(data.size(), '\0');
  auto n = f.Run(drive->ReadShard(
      id, 0, MutableByteSpan(reinterpret_cast<std::byte*>(back.data()), back.size())));
  REQUIRE(n.ok());
  CHECK(*n == data.size());
  CHECK(back == data);  // the decorator hands the bytes through untouched

  // The index: a transaction, point reads, an inline read and scans.
  auto record = MakeVersion(id, data.size());
  REQUIRE(f.Run(drive->Apply(PutVersionTxn("k", record))).ok());
  auto versions = f.Run(drive->GetVersions(kBucket, "k", 1));
  REQUIRE(versions.ok());
  REQUIRE(versions->size() == 1);
  CHECK(versions->front().version_id == record.version_id);
  CHECK(f.Run(drive->GetVersion(kBucket, "k", record.version_id)).ok());
  auto inline_record = MakeVersion("");
  REQUIRE(f.Run(drive->Apply(PutVersionTxn("small", inline_record, "inline bytes"))).ok());
  CHECK(f.Run(drive->GetInline(kBucket, "small", inline_record.version_id)).value() ==
        "inline bytes");
  auto page = f.Run(drive->ListLatest(List("")));
  REQUIRE(page.ok());
  CHECK(Keys(*page) == std::vector<std::string>{"k", "small"});
  CHECK(f.Run(drive->ListBuckets()).ok());

  CHECK(Count(registry, "create_shard") == 1);
  CHECK(Count(registry, "append") == 2);
  CHECK(Count(registry, "commit") == 1);
  CHECK(Count(registry, "read_shard") == 1);
  CHECK(Count(registry, "apply") == 2);
  CHECK(Count(registry, "index_read") == 2);
  CHECK(Count(registry, "read_inline") == 1);
  CHECK(Count(registry, "list") == 2);
  for (const char* op : kOps) CHECK(Errors(registry, op) == 0);
  // Real time passed, and each histogram is whole: +Inf == count.
  auto samples = Samples(registry);
  CHECK(samples.at(Series("strata_drive_op_duration_seconds_sum", "commit")) > 0);
  CHECK(samples.at("strata_drive_op_duration_seconds_bucket{pool=\"test\",drive=\"test/drive1\","
                   "op=\"append\",le=\"+Inf\"}") == 2);

  SECTION("not found is an answer, not a drive error") {
    auto missing = f.Run(drive->GetVersion(kBucket, "k", MakeVersion("").version_id));
    CHECK(missing.status().code() == Code::kNotFound);
    auto bucket = f.Run(drive->GetBucket("no-such-bucket"));
    CHECK_FALSE(bucket.ok());
    std::string buf(16, '\0');
    auto gone = f.Run(drive->ReadShard(
        NewDataId(), 0, MutableByteSpan(reinterpret_cast<std::byte*>(buf.data()), buf.size())));
    CHECK(gone.status().code() == Code::kNotFound);
    CHECK(Count(registry, "index_read") == 4);
    CHECK(Count(registry, "read_shard") == 2);
    CHECK(Errors(registry, "index_read") == 0);
    CHECK(Errors(registry, "read_shard") == 0);
  }
}

TEST_CASE("InstrumentedDrive: failures are counted per op and passed through",
          "[instrumented_drive]") {
  DriveFixture f;
  auto faulty = std::make_shared<gw::FaultDrive>(Borrow(f.drive()));
  metrics::Registry registry;
  auto drive = InstrumentDrive(faulty, std::make_shared<DriveProbe>(registry, kPool, kDrive));
  gw::DriveFaults& faults = faulty->faults();

  SECTION("create_shard") {
    faults.fail_create_shard = true;
    CHECK(f.Run(drive->CreateShard(NewDataId())).status().code() == Code::kIoError);
    CHECK(Errors(registry, "create_shard") == 1);
    CHECK(Count(registry, "create_shard") == 1);
  }
  SECTION("append and commit, through the wrapped writer") {
    auto writer = f.Run(drive->CreateShard(NewDataId()));
    REQUIRE(writer.ok());
    faults.fail_append = true;
    CHECK(f.Run((*writer)->Append(AsBytes(std::string_view("abc")))).code() == Code::kIoError);
    faults.fail_append = false;
    CHECK(f.Run((*writer)->Append(AsBytes(std::string_view("abc")))).ok());
    faults.fail_commit = true;
    CHECK(f.Run((*writer)->Commit()).code() == Code::kIoError);
    CHECK(Errors(registry, "append") == 1);
    CHECK(Count(registry, "append") == 2);
    CHECK(Errors(registry, "commit") == 1);
    CHECK(Errors(registry, "create_shard") == 0);
  }
  SECTION("read_shard and read_inline") {
    faults.fail_reads = true;
    std::string buf(16, '\0');
    auto r = f.Run(drive->ReadShard(
        NewDataId(), 0, MutableByteSpan(reinterpret_cast<std::byte*>(buf.data()), buf.size())));
    CHECK(r.status().code() == Code::kIoError);
    CHECK(f.Run(drive->GetInline(kBucket, "k", "v")).status().code() == Code::kIoError);
    CHECK(Errors(registry, "read_shard") == 1);
    CHECK(Errors(registry, "read_inline") == 1);
  }
  SECTION("apply") {
    faults.fail_apply = true;
    CHECK(f.Run(drive->Apply(PutVersionTxn("k", MakeVersion("")))).code() == Code::kIoError);
    CHECK(Errors(registry, "apply") == 1);
    // Nothing reached the real drive.
    CHECK(f.Run(f.drive().GetVersions(kBucket, "k", 0)).value().empty());
  }
  SECTION("an offline drive fails index reads and scans") {
    faults.offline = true;
    CHECK_FALSE(drive->online());
    CHECK(f.Run(drive->GetVersions(kBucket, "k", 0)).status().code() == Code::kUnavailable);
    CHECK(f.Run(drive->GetBucket("b")).status().code() == Code::kUnavailable);
    CHECK(f.Run(drive->ListLatest(List(""))).status().code() == Code::kUnavailable);
    CHECK(f.Run(drive->ListConfig("user")).status().code() == Code::kUnavailable);
    CHECK(Errors(registry, "index_read") == 2);
    CHECK(Errors(registry, "list") == 2);
    CHECK(Errors(registry, "apply") == 0);
  }
}

TEST_CASE("DriveProbe: drives share the families and keep their own series",
          "[instrumented_drive]") {
  metrics::Registry registry;
  DriveProbe one(registry, kPool, "test/drive1");
  DriveProbe two(registry, kPool, "test/drive2");
  using std::chrono::microseconds;
  // 3 ms lands in the 5 ms bucket, not in the 2.5 ms one.
  one.Record(DriveOp::kCommit, microseconds(3000), Status());
  two.Record(DriveOp::kCommit, microseconds(10), Status(Code::kIoError, "disk gone"));
  two.Record(DriveOp::kCommit, microseconds(10), Status(Code::kAccessDenied, "locked"));

  const std::string text = registry.Render();
  auto occurrences = [&text](const std::string& s) {
    size_t n = 0;
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 1)) ++n;
    return n;
  };
  CHECK(occurrences("# TYPE strata_drive_op_duration_seconds histogram\n") == 1);
  CHECK(occurrences("# TYPE strata_drive_errors_total counter\n") == 1);

  auto samples = Samples(registry);
  const std::string commit1 = "{pool=\"test\",drive=\"test/drive1\",op=\"commit\",le=";
  CHECK(samples.at("strata_drive_op_duration_seconds_bucket" + commit1 + "\"0.0025\"}") == 0);
  CHECK(samples.at("strata_drive_op_duration_seconds_bucket" + commit1 + "\"0.005\"}") == 1);
  CHECK(samples.at("strata_drive_op_duration_seconds_bucket" + commit1 + "\"+Inf\"}") == 1);
  CHECK(samples.at(Series("strata_drive_op_duration_seconds_sum", "commit")) == Approx(0.003));
  CHECK(Count(registry, "commit", "test/drive2") == 2);
  CHECK(Errors(registry, "commit", "test/drive1") == 0);
  CHECK(Errors(registry, "commit", "test/drive2") == 1);  // AccessDenied is an answer
}

TEST_CASE("IsDriveFailure: failures versus answers", "[instrumented_drive]") {
  for (Code c : {Code::kIoError, Code::kCorruption, Code::kInternal, Code::kUnavailable,
                 Code::kTimeout, Code::kAborted}) {
    CHECK(IsDriveFailure(Status(c)));
  }
  for (Code c : {Code::kOk, Code::kNotFound, Code::kAccessDenied, Code::kNoSuchBucket,
                 Code::kInvalidArgument, Code::kNoSuchUpload}) {
    CHECK_FALSE(IsDriveFailure(Status(c)));
  }
}

}  // namespace
}  // namespace strata::server
