// Parsers for the XML request bodies of S3 (DeleteObjects, CompleteMultipartUpload,
// CreateBucket, PutBucketVersioning, Put*Tagging) into small value types.
//
// Every parser first checks the body as a whole and then its shape:
//   - larger than max_bytes                               -> kMaxMessageLengthExceeded
//   - not UTF-8 text of XML 1.0 characters (a UTF-8 BOM is allowed), not well-formed, a
//     DOCTYPE or any other <!...> declaration, a reference to an entity other than the five
//     predefined ones or a character reference to a non-XML character, more than one root,
//     a root of the wrong name or in a foreign namespace  -> kMalformedXML
//   - a required element missing, a value element repeated or holding elements, a value
//     out of its vocabulary                               -> kMalformedXML
// Elements may be in the S3 namespace (kS3Xmlns, what boto3 and the SDKs send) or in none;
// prefixed names (<s3:Delete>) are not recognised. Unknown elements are ignored, so newer
// SDK fields do not break older servers. Entities are never expanded, so "billion laughs"
// bodies cost nothing but their own bytes (and are refused for their DOCTYPE anyway).
// Semantic checks that need state or limits (part order, tag count, key length) belong to
// the handlers.
//
// Thread safety: pure functions. pugixml stays inside s3_xml.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace strata::gw {

// Limit for configuration bodies (versioning, tagging, CreateBucket...).
inline constexpr size_t kMaxXmlBody = 1 << 20;  // 1 MiB
// Limit for the two list bodies: 1000 keys of 1024 bytes, each fully escaped, still fit, as
// do 10000 parts with every checksum.
inline constexpr size_t kMaxListXmlBody = 8 << 20;  // 8 MiB

// --- CompleteMultipartUpload -------------------------------------------------------------
// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"..."</ETag>
//   <ChecksumCRC32>...</ChecksumCRC32>...</Part>...</CompleteMultipartUpload>
struct CompletedPart {
  int part_number = 0;
  std::string etag;  // as sent, one pair of surrounding quotes stripped
  // {"CRC32", "base64"} for every <ChecksumXXX> element, in document order; the handler
  // validates the algorithm names and values.
  std::vector<std::pair<std::string, std::string>> checksums;
};
// No parts or more than 10000 -> kMalformedXML; PartNumber or ETag missing, PartNumber not an
// integer -> kMalformedXML; PartNumber outside 1..10000 -> kInvalidArgument (as AWS). Order and
// duplicates are NOT checked here: the handler answers InvalidPartOrder.
Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view xml,
                                                                size_t max_bytes = kMaxListXmlBody);

// --- DeleteObjects -------------------------------------------------------------------------
// <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
struct ObjectIdentifier {
  std::string key;         // may be empty: the handler reports it per key
  std::string version_id;  // empty when not given
};
struct DeleteRequest {
  bool quiet = false;
  std::vector<ObjectIdentifier> objects;
};
inline constexpr size_t kMaxDeleteObjects = 1000;
// No objects or more than kMaxDeleteObjects, an Object without Key, Quiet other than
// true/false/1/0 -> kMalformedXML.
Result<DeleteRequest> ParseDeleteObjects(std::string_view xml, size_t max_bytes = kMaxListXmlBody);

// --- CreateBucket --------------------------------------------------------------------------
// <CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>...
// The LocationConstraint, empty when absent or empty. An empty body is the caller's case.
Result<std::string> ParseCreateBucketConfiguration(std::string_view xml,
                                                   size_t max_bytes = kMaxXmlBody);

// --- PutBucketVersioning -------------------------------------------------------------------
// <VersioningConfiguration><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>...
enum class VersioningStatus { kUnset, kEnabled, kSuspended };
struct VersioningConfig {
  VersioningStatus status = VersioningStatus::kUnset;  // kUnset: no <Status> element
  bool mfa_delete_enabled = false;
};
// Status other than Enabled/Suspended, MfaDelete other than Enabled/Disabled -> kMalformedXML.
Result<VersioningConfig> ParseVersioningConfiguration(std::string_view xml,
                                                      size_t max_bytes = kMaxXmlBody);

// --- Put(Bucket|Object)Tagging -------------------------------------------------------------
// <Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>...</TagSet></Tagging>
using TagSet = std::vector<std::pair<std::string, std::string>>;
// In document order, duplicates kept. No TagSet, a Tag without Key or Value -> kMalformedXML.
// Count, lengths, characters and duplicate keys are the caller's (InvalidTag).
Result<TagSet> ParseTagging(std::string_view xml, size_t max_bytes = kMaxXmlBody);

// Object lock. Modes are "GOVERNANCE" / "COMPLIANCE"; anything else is MalformedXML.
struct ObjectLockConfig {
  bool enabled = false;        // <ObjectLockEnabled>Enabled</ObjectLockEnabled>
  std::string default_mode;    // empty: no default retention rule
  uint32_t default_days = 0;   // exactly one of days / years when default_mode is set
  uint32_t default_years = 0;
};
// MalformedXML for a Rule without exactly one of Days / Years, or a bad mode;
// InvalidArgument for a period that is not a positive integer.
Result<ObjectLockConfig> ParseObjectLockConfiguration(std::string_view xml,
                                                      size_t max_bytes = kMaxXmlBody);

struct RetentionConfig {
  std::string mode;               // empty when the document has no <Mode>
  std::string retain_until_date;  // ISO 8601 as sent; the handler parses it
};
Result<RetentionConfig> ParseRetention(std::string_view xml, size_t max_bytes = kMaxXmlBody);

// <LegalHold><Status>ON|OFF</Status></LegalHold>: true for ON.
Result<bool> ParseLegalHold(std::string_view xml, size_t max_bytes = kMaxXmlBody);

}  // namespace strata::gw
