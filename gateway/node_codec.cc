#include "gateway/node_codec.h"

#include "metadata/records.h"

namespace strata::gw::node {
namespace {

Status Bad(std::string what) { return Status(Code::kCorruption, "internal API: " + what); }

Json Pairs(const meta::StringPairs& pairs) {
  Json out = Json::array();
  for (const auto& [k, v] : pairs) out.push_back(Json::array({k, v}));
  return out;
}

Result<meta::StringPairs> ReadPairs(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_array()) return Bad(std::string("no ") + field);
  meta::StringPairs out;
  for (const auto& p : j[field]) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      return Bad(std::string("bad pair in ") + field);
    }
    out.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  }
  return out;
}

Json Time(SysTime t) { return ToMicros(t); }

Result<SysTime> ReadTime(const Json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_number_integer()) return Bad(std::string("no ") + field);
  return FromMicros(j[field].get<int64_t>());
}

const Json& Array(const Json& j, const char* field) {
  static const Json kEmpty = Json::array();
  if (!j.is_object() || !j.contains(field) || !j[field].is_array()) return kEmpty;
  return j[field];
}

template <typename Record, typename Decode>
Result<std::vector<Record>> DecodeList(const Json& j, Decode decode) {
  if (!j.is_array()) return Bad("expected a list of records");
  std::vector<Record> out;
  out.reserve(j.size());
  for (const auto& item : j) {
    if (!item.is_binary()) return Bad("a record is not a byte string");
    const auto& b = item.get_binary();
    STRATA_ASSIGN_OR_RETURN(Record r,
                            decode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
    out.push_back(std::move(r));
  }
  return out;
}

template <typename Record, typename Decode>
Result<Record> DecodeOne(const Json& j, Decode decode) {
  if (!j.is_binary()) return Bad("a record is not a byte string");
  const auto& b = j.get_binary();
  return decode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

}  // namespace

Json BlobOf(std::string_view bytes) {
  return Json::binary(Bytes(reinterpret_cast<const uint8_t*>(bytes.data()),
                            reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size()));
}

Result<std::string> Str(const Json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    return Bad(std::string("no string ") + field);
  }
  return j[field].get<std::string>();
}

Result<uint64_t> U64(const Json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_number_unsigned()) {
    return Bad(std::string("no number ") + field);
  }
  return j[field].get<uint64_t>();
}

Result<bool> Bool(const Json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_boolean()) {
    return Bad(std::string("no boolean ") + field);
  }
  return j[field].get<bool>();
}

Result<std::string> Blob(const Json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_binary()) {
    return Bad(std::string("no bytes ") + field);
  }
  const auto& b = j[field].get_binary();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Json EncodeRecord(const meta::VersionRecord& r) { return BlobOf(meta::Encode(r)); }
Json EncodeRecord(const meta::BucketRecord& r) { return BlobOf(meta::Encode(r)); }
Json EncodeRecord(const meta::UploadRecord& r) { return BlobOf(meta::Encode(r)); }

template <typename Record>
Json EncodeRecords(const std::vector<Record>& records) {
  Json out = Json::array();
  for (const auto& r : records) out.push_back(BlobOf(meta::Encode(r)));
  return out;
}
template Json EncodeRecords(const std::vector<meta::VersionRecord>&);
template Json EncodeRecords(const std::vector<meta::BucketRecord>&);
template Json EncodeRecords(const std::vector<meta::UploadRecord>&);
template Json EncodeRecords(const std::vector<meta::PartRecord>&);
template Json EncodeRecords(const std::vector<meta::ConfigRecord>&);

Result<std::vector<meta::VersionRecord>> DecodeVersions(const Json& j) {
  return DecodeList<meta::VersionRecord>(j, meta::DecodeVersion);
}
Result<std::vector<meta::BucketRecord>> DecodeBuckets(const Json& j) {
  return DecodeList<meta::BucketRecord>(j, meta::DecodeBucket);
}
Result<std::vector<meta::UploadRecord>> DecodeUploads(const Json& j) {
  return DecodeList<meta::UploadRecord>(j, meta::DecodeUpload);
}
Result<std::vector<meta::PartRecord>> DecodeParts(const Json& j) {
  return DecodeList<meta::PartRecord>(j, meta::DecodePart);
}
Result<std::vector<meta::ConfigRecord>> DecodeConfigs(const Json& j) {
  return DecodeList<meta::ConfigRecord>(j, meta::DecodeConfig);
}
Result<meta::VersionRecord> DecodeVersion(const Json& j) {
  return DecodeOne<meta::VersionRecord>(j, meta::DecodeVersion);
}
Result<meta::BucketRecord> DecodeBucket(const Json& j) {
  return DecodeOne<meta::BucketRecord>(j, meta::DecodeBucket);
}
Result<meta::UploadRecord> DecodeUpload(const Json& j) {
  return DecodeOne<meta::UploadRecord>(j, meta::DecodeUpload);
}

Json EncodeTxn(const server::DriveTxn& t) {
  Json j = Json::object();
  for (const auto& op : t.put_versions) {
    j["put_versions"].push_back({{"bucket", op.bucket},
                                 {"key", op.key},
                                 {"record", EncodeRecord(op.record)},
                                 {"inline", BlobOf(op.inline_shard)}});
  }
  for (const auto& op : t.delete_versions) {
    j["delete_versions"].push_back({{"bucket", op.bucket},
                                    {"key", op.key},
                                    {"record", EncodeRecord(op.record)},
                                    {"bypass", op.bypass_governance}});
  }
  for (const auto& op : t.put_buckets) j["put_buckets"].push_back(EncodeRecord(op.record));
  for (const auto& op : t.delete_buckets) j["delete_buckets"].push_back(op.name);
  for (const auto& op : t.put_uploads) j["put_uploads"].push_back(EncodeRecord(op.record));
  for (const auto& op : t.delete_uploads) {
    j["delete_uploads"].push_back(
        {{"bucket", op.bucket}, {"key", op.key}, {"upload_id", op.upload_id}});
  }
  for (const auto& op : t.put_parts) {
    j["put_parts"].push_back(
        {{"upload_id", op.upload_id}, {"record", BlobOf(meta::Encode(op.record))}});
  }
  for (const auto& op : t.delete_parts) {
    j["delete_parts"].push_back({{"upload_id", op.upload_id},
                                 {"part", op.part_number},
                                 {"data_id", op.data_id},
                                 {"keep", op.keep_data}});
  }
  for (const auto& op : t.set_tags) {
    j["set_tags"].push_back({{"bucket", op.bucket},
                             {"key", op.key},
                             {"version_id", BlobOf(op.version_id)},
                             {"tags", Pairs(op.tags)},
                             {"updated", Time(op.updated)}});
  }
  for (const auto& op : t.set_retentions) {
    j["set_retentions"].push_back({{"bucket", op.bucket},
                                   {"key", op.key},
                                   {"version_id", BlobOf(op.version_id)},
                                   {"mode", op.mode},
                                   {"until", Time(op.until)},
                                   {"bypass", op.bypass_governance},
                                   {"updated", Time(op.updated)}});
  }
  for (const auto& op : t.set_legal_holds) {
    j["set_legal_holds"].push_back({{"bucket", op.bucket},
                                    {"key", op.key},
                                    {"version_id", BlobOf(op.version_id)},
                                    {"on", op.on},
                                    {"updated", Time(op.updated)}});
  }
  for (const auto& op : t.update_buckets) {
    Json config = Json::array();
    for (const auto& [name, value] : op.config) {
      config.push_back(Json::array({name, value ? Json(*value) : Json(nullptr)}));
    }
    Json u = {{"name", op.name},
              {"lock", op.enable_object_lock},
              {"config", std::move(config)},
              {"updated", Time(op.updated)}};
    if (op.versioning) u["versioning"] = *op.versioning;
    j["update_buckets"].push_back(std::move(u));
  }
  for (const auto& op : t.put_configs) {
    j["put_configs"].push_back(BlobOf(meta::Encode(op.record)));
  }
  for (const auto& op : t.set_locations) {
    j["set_locations"].push_back({{"bucket", op.bucket},
                                  {"key", op.key},
                                  {"version_id", BlobOf(op.version_id)},
                                  {"expect_location", op.expect_location},
                                  {"expect_data_ids", op.expect_data_ids},
                                  {"location", op.location},
                                  {"location_key", op.location_key},
                                  {"storage_class", op.storage_class},
                                  {"updated", Time(op.updated)}});
  }
  for (const auto& id : t.remove_shards) j["remove_shards"].push_back(id);
  return j;
}

Result<server::DriveTxn> DecodeTxn(const Json& j) {
  if (!j.is_object()) return Bad("a transaction is not an object");
  server::DriveTxn t;
  for (const auto& op : Array(j, "put_versions")) {
    server::DriveTxn::PutVersion p;
    STRATA_ASSIGN_OR_RETURN(p.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(p.key, Str(op, "key"));
    if (!op.contains("record")) return Bad("no record");
    STRATA_ASSIGN_OR_RETURN(p.record, DecodeVersion(op["record"]));
    STRATA_ASSIGN_OR_RETURN(p.inline_shard, Blob(op, "inline"));
    t.put_versions.push_back(std::move(p));
  }
  for (const auto& op : Array(j, "delete_versions")) {
    server::DriveTxn::DeleteVersion d;
    STRATA_ASSIGN_OR_RETURN(d.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(d.key, Str(op, "key"));
    if (!op.contains("record")) return Bad("no record");
    STRATA_ASSIGN_OR_RETURN(d.record, DecodeVersion(op["record"]));
    STRATA_ASSIGN_OR_RETURN(d.bypass_governance, Bool(op, "bypass"));
    t.delete_versions.push_back(std::move(d));
  }
  for (const auto& r : Array(j, "put_buckets")) {
    STRATA_ASSIGN_OR_RETURN(auto record, DecodeBucket(r));
    t.put_buckets.push_back({std::move(record)});
  }
  for (const auto& n : Array(j, "delete_buckets")) {
    if (!n.is_string()) return Bad("bad bucket name");
    t.delete_buckets.push_back({n.get<std::string>()});
  }
  for (const auto& r : Array(j, "put_uploads")) {
    STRATA_ASSIGN_OR_RETURN(auto record, DecodeUpload(r));
    t.put_uploads.push_back({std::move(record)});
  }
  for (const auto& op : Array(j, "delete_uploads")) {
    server::DriveTxn::DeleteUpload d;
    STRATA_ASSIGN_OR_RETURN(d.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(d.key, Str(op, "key"));
    STRATA_ASSIGN_OR_RETURN(d.upload_id, Str(op, "upload_id"));
    t.delete_uploads.push_back(std::move(d));
  }
  for (const auto& op : Array(j, "put_parts")) {
    server::DriveTxn::PutPart p;
    STRATA_ASSIGN_OR_RETURN(p.upload_id, Str(op, "upload_id"));
    STRATA_ASSIGN_OR_RETURN(std::string bytes, Blob(op, "record"));
    STRATA_ASSIGN_OR_RETURN(p.record, meta::DecodePart(bytes));
    t.put_parts.push_back(std::move(p));
  }
  for (const auto& op : Array(j, "delete_parts")) {
    server::DriveTxn::DeletePart d;
    STRATA_ASSIGN_OR_RETURN(d.upload_id, Str(op, "upload_id"));
    STRATA_ASSIGN_OR_RETURN(uint64_t part, U64(op, "part"));
    if (part > UINT32_MAX) return Bad("part number out of range");
    d.part_number = static_cast<uint32_t>(part);
    STRATA_ASSIGN_OR_RETURN(d.data_id, Str(op, "data_id"));
    STRATA_ASSIGN_OR_RETURN(d.keep_data, Bool(op, "keep"));
    t.delete_parts.push_back(std::move(d));
  }
  for (const auto& op : Array(j, "set_tags")) {
    server::DriveTxn::SetTags s;
    STRATA_ASSIGN_OR_RETURN(s.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(s.key, Str(op, "key"));
    STRATA_ASSIGN_OR_RETURN(s.version_id, Blob(op, "version_id"));
    STRATA_ASSIGN_OR_RETURN(s.tags, ReadPairs(op, "tags"));
    STRATA_ASSIGN_OR_RETURN(s.updated, ReadTime(op, "updated"));
    t.set_tags.push_back(std::move(s));
  }
  for (const auto& op : Array(j, "set_retentions")) {
    server::DriveTxn::SetRetention s;
    STRATA_ASSIGN_OR_RETURN(s.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(s.key, Str(op, "key"));
    STRATA_ASSIGN_OR_RETURN(s.version_id, Blob(op, "version_id"));
    STRATA_ASSIGN_OR_RETURN(s.mode, Str(op, "mode"));
    STRATA_ASSIGN_OR_RETURN(s.until, ReadTime(op, "until"));
    STRATA_ASSIGN_OR_RETURN(s.bypass_governance, Bool(op, "bypass"));
    STRATA_ASSIGN_OR_RETURN(s.updated, ReadTime(op, "updated"));
    t.set_retentions.push_back(std::move(s));
  }
  for (const auto& op : Array(j, "set_legal_holds")) {
    server::DriveTxn::SetLegalHold s;
    STRATA_ASSIGN_OR_RETURN(s.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(s.key, Str(op, "key"));
    STRATA_ASSIGN_OR_RETURN(s.version_id, Blob(op, "version_id"));
    STRATA_ASSIGN_OR_RETURN(s.on, Bool(op, "on"));
    STRATA_ASSIGN_OR_RETURN(s.updated, ReadTime(op, "updated"));
    t.set_legal_holds.push_back(std::move(s));
  }
  for (const auto& op : Array(j, "update_buckets")) {
    server::DriveTxn::UpdateBucket u;
    STRATA_ASSIGN_OR_RETURN(u.name, Str(op, "name"));
    STRATA_ASSIGN_OR_RETURN(u.enable_object_lock, Bool(op, "lock"));
    STRATA_ASSIGN_OR_RETURN(u.updated, ReadTime(op, "updated"));
    if (op.contains("versioning")) {
      STRATA_ASSIGN_OR_RETURN(std::string v, Str(op, "versioning"));
      u.versioning = std::move(v);
    }
    for (const auto& entry : Array(op, "config")) {
      if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() ||
          !(entry[1].is_string() || entry[1].is_null())) {
        return Bad("bad bucket config entry");
      }
      u.config.emplace_back(entry[0].get<std::string>(),
                            entry[1].is_null() ? std::nullopt
                                               : std::optional<std::string>(entry[1].get<std::string>()));
    }
    t.update_buckets.push_back(std::move(u));
  }
  for (const auto& r : Array(j, "put_configs")) {
    if (!r.is_binary()) return Bad("bad config record");
    const auto& b = r.get_binary();
    STRATA_ASSIGN_OR_RETURN(
        auto record,
        meta::DecodeConfig(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
    t.put_configs.push_back({std::move(record)});
  }
  for (const auto& op : Array(j, "set_locations")) {
    server::DriveTxn::SetLocation s;
    STRATA_ASSIGN_OR_RETURN(s.bucket, Str(op, "bucket"));
    STRATA_ASSIGN_OR_RETURN(s.key, Str(op, "key"));
    STRATA_ASSIGN_OR_RETURN(s.version_id, Blob(op, "version_id"));
    STRATA_ASSIGN_OR_RETURN(s.expect_location, Str(op, "expect_location"));
    for (const auto& id : Array(op, "expect_data_ids")) {
      if (!id.is_string()) return Bad("bad data id");
      s.expect_data_ids.push_back(id.get<std::string>());
    }
    STRATA_ASSIGN_OR_RETURN(s.location, Str(op, "location"));
    STRATA_ASSIGN_OR_RETURN(s.location_key, Str(op, "location_key"));
    STRATA_ASSIGN_OR_RETURN(s.storage_class, Str(op, "storage_class"));
    STRATA_ASSIGN_OR_RETURN(s.updated, ReadTime(op, "updated"));
    t.set_locations.push_back(std::move(s));
  }
  for (const auto& id : Array(j, "remove_shards")) {
    if (!id.is_string()) return Bad("bad data id");
    t.remove_shards.push_back(id.get<std::string>());
  }
  return t;
}

Json EncodeListRequest(const server::ListRequest& r) {
  return {{"bucket", r.bucket},
          {"prefix", r.prefix},
          {"delimiter", r.delimiter},
          {"start_after", r.start_after},
          {"start_version", BlobOf(r.start_version)},
          {"max", static_cast<uint64_t>(r.max_entries)}};
}

Result<server::ListRequest> DecodeListRequest(const Json& j) {
  server::ListRequest r;
  STRATA_ASSIGN_OR_RETURN(r.bucket, Str(j, "bucket"));
  STRATA_ASSIGN_OR_RETURN(r.prefix, Str(j, "prefix"));
  STRATA_ASSIGN_OR_RETURN(r.delimiter, Str(j, "delimiter"));
  STRATA_ASSIGN_OR_RETURN(r.start_after, Str(j, "start_after"));
  STRATA_ASSIGN_OR_RETURN(r.start_version, Blob(j, "start_version"));
  STRATA_ASSIGN_OR_RETURN(uint64_t max, U64(j, "max"));
  r.max_entries = static_cast<size_t>(std::min<uint64_t>(max, 100000));
  return r;
}

Json EncodeListPage(const server::ListPage& page) {
  Json entries = Json::array();
  for (const auto& e : page.entries) {
    entries.push_back({{"key", e.key},
                       {"prefix", e.is_prefix},
                       {"record", e.is_prefix ? BlobOf("") : EncodeRecord(e.record)}});
  }
  return {{"entries", std::move(entries)}, {"truncated", page.truncated}};
}

Result<server::ListPage> DecodeListPage(const Json& j) {
  server::ListPage page;
  STRATA_ASSIGN_OR_RETURN(page.truncated, Bool(j, "truncated"));
  for (const auto& e : Array(j, "entries")) {
    server::ListEntry entry;
    STRATA_ASSIGN_OR_RETURN(entry.key, Str(e, "key"));
    STRATA_ASSIGN_OR_RETURN(entry.is_prefix, Bool(e, "prefix"));
    if (!entry.is_prefix) {
      if (!e.contains("record")) return Bad("no record");
      STRATA_ASSIGN_OR_RETURN(entry.record, DecodeVersion(e["record"]));
    }
    page.entries.push_back(std::move(entry));
  }
  return page;
}

Json EncodeUsage(const server::DriveUsage& u) {
  return {{"capacity", u.capacity_bytes}, {"free", u.free_bytes}};
}

Result<server::DriveUsage> DecodeUsage(const Json& j) {
  server::DriveUsage u;
  STRATA_ASSIGN_OR_RETURN(u.capacity_bytes, U64(j, "capacity"));
  STRATA_ASSIGN_OR_RETURN(u.free_bytes, U64(j, "free"));
  return u;
}

Json EncodeIndexStats(const server::IndexStats& s) {
  return {{"batches", s.commit_batches},          {"groups", s.commit_groups},
          {"stall", s.stall_micros},              {"cread", s.compaction_read_bytes},
          {"cwrite", s.compaction_write_bytes},   {"pending", s.pending_compaction_bytes},
          {"sst", s.sst_bytes},                   {"memtable", s.memtable_bytes},
          {"cache", s.block_cache_bytes},         {"keys", s.estimated_keys}};
}

Result<server::IndexStats> DecodeIndexStats(const Json& j) {
  server::IndexStats s;
  STRATA_ASSIGN_OR_RETURN(s.commit_batches, U64(j, "batches"));
  STRATA_ASSIGN_OR_RETURN(s.commit_groups, U64(j, "groups"));
  STRATA_ASSIGN_OR_RETURN(s.stall_micros, U64(j, "stall"));
  STRATA_ASSIGN_OR_RETURN(s.compaction_read_bytes, U64(j, "cread"));
  STRATA_ASSIGN_OR_RETURN(s.compaction_write_bytes, U64(j, "cwrite"));
  STRATA_ASSIGN_OR_RETURN(s.pending_compaction_bytes, U64(j, "pending"));
  STRATA_ASSIGN_OR_RETURN(s.sst_bytes, U64(j, "sst"));
  STRATA_ASSIGN_OR_RETURN(s.memtable_bytes, U64(j, "memtable"));
  STRATA_ASSIGN_OR_RETURN(s.block_cache_bytes, U64(j, "cache"));
  STRATA_ASSIGN_OR_RETURN(s.estimated_keys, U64(j, "keys"));
  return s;
}

Json Answer(const Status& status, Json result) {
  if (status.ok()) return {{"code", 0}, {"result", std::move(result)}};
  return {{"code", static_cast<unsigned>(status.code())}, {"message", std::string(status.message())}};
}

Result<Json> ReadAnswer(const Json& j) {
  if (!j.is_object() || !j.contains("code") || !j["code"].is_number_unsigned()) {
    return Bad("an answer without a code");
  }
  const uint64_t code = j["code"].get<uint64_t>();
  if (code == 0) {
    if (!j.contains("result")) return Bad("an answer without a result");
    return j["result"];
  }
  if (code >= static_cast<uint64_t>(Code::kLast)) return Bad("an unknown error code");
  std::string message = j.contains("message") && j["message"].is_string()
                            ? j["message"].get<std::string>()
                            : std::string();
  return Status(static_cast<Code>(code), message);
}

}  // namespace strata::gw::node
