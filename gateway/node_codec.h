// The internal API's wire format for Drive calls: CBOR documents (through
// nlohmann/json), with records carried as their own binary encoding
// (metadata/records.h), so the wire inherits the records' compatibility
// rules and keys travel as raw bytes (CBOR strings are not checked for
// UTF-8; S3 keys are not trusted to be valid UTF-8 either).
//
//   request   {"op": "get_versions", "bucket": ..., "key": ..., "limit": n}
//   answer    {"code": 0, "result": ...}  or  {"code": <strata::Code>, "message": "..."}
//
// Decoders never trust their input: a missing field, a wrong type or a
// record that does not decode is kCorruption, never a crash.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "server/drive.h"

namespace strata::gw::node {

using Json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

Json EncodeTxn(const server::DriveTxn& txn);
Result<server::DriveTxn> DecodeTxn(const Json& j);

Json EncodeListRequest(const server::ListRequest& r);
Result<server::ListRequest> DecodeListRequest(const Json& j);
Json EncodeListPage(const server::ListPage& page);
Result<server::ListPage> DecodeListPage(const Json& j);

// Records and lists of records.
template <typename Record>
Json EncodeRecords(const std::vector<Record>& records);
Result<std::vector<meta::VersionRecord>> DecodeVersions(const Json& j);
Result<std::vector<meta::BucketRecord>> DecodeBuckets(const Json& j);
Result<std::vector<meta::UploadRecord>> DecodeUploads(const Json& j);
Result<std::vector<meta::PartRecord>> DecodeParts(const Json& j);
Result<std::vector<meta::ConfigRecord>> DecodeConfigs(const Json& j);
Json EncodeRecord(const meta::VersionRecord& r);
Json EncodeRecord(const meta::BucketRecord& r);
Json EncodeRecord(const meta::UploadRecord& r);
Result<meta::VersionRecord> DecodeVersion(const Json& j);
Result<meta::BucketRecord> DecodeBucket(const Json& j);
Result<meta::UploadRecord> DecodeUpload(const Json& j);

Json EncodeUsage(const server::DriveUsage& u);
Result<server::DriveUsage> DecodeUsage(const Json& j);
Json EncodeIndexStats(const server::IndexStats& s);
Result<server::IndexStats> DecodeIndexStats(const Json& j);

// An answer document for `status` (with `result` when OK), and its reading.
Json Answer(const Status& status, Json result = nullptr);
Result<Json> ReadAnswer(const Json& j);

// Typed field access that reports a missing or mistyped field as kCorruption.
Result<std::string> Str(const Json& j, const char* field);
Result<uint64_t> U64(const Json& j, const char* field);
Result<bool> Bool(const Json& j, const char* field);
Result<std::string> Blob(const Json& j, const char* field);  // a CBOR byte string
Json BlobOf(std::string_view bytes);

}  // namespace strata::gw::node
