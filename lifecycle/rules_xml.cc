// The XML half of rules.h: the body read against S3's schema into a Configuration (every
// failure here is MalformedXML, bar the size bounds that an unsigned field cannot hold),
// and a Configuration written back out. The semantic checks are rules_validate.cc's.

#include <charconv>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <pugixml.hpp>
#include <set>
#include <string>

#include "common/timefmt.h"
#include "lifecycle/rules.h"
#include "lifecycle/xml_text.h"

namespace strata::lifecycle {
namespace {

using internal::kS3Xmlns;

Status Malformed() { return Status(Code::kMalformedXML); }

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// No xmlns attribute (the parent's namespace, which the root check made S3 or none), or an
// xmlns of the S3 namespace or of none. Prefixed names (<s3:Rule>) never match a slot.
bool InS3Namespace(pugi::xml_node node) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    if (std::strcmp(a.name(), "xmlns") != 0) continue;
    const std::string_view ns = a.value();
    if (!ns.empty() && ns != kS3Xmlns) return false;
  }
  return true;
}

// One child element a container may hold: at most once (`one`) or any number of times.
struct Slot {
  std::string_view name;
  pugi::xml_node* one = nullptr;
  std::vector<pugi::xml_node>* many = nullptr;
};
Slot One(std::string_view name, pugi::xml_node* node) { return Slot{name, node, nullptr}; }
Slot Many(std::string_view name, std::vector<pugi::xml_node>* nodes) {
  return Slot{name, nullptr, nodes};
}

// Sorts the children of a container into its slots. An element without a slot (unknown,
// misspelt, prefixed, or in a foreign namespace), a second one of a single slot, or text
// that is not whitespace make the document not match the schema. S3's schema is a sequence,
// but no SDK depends on the order and several write their own, so any order is taken.
Status Gather(pugi::xml_node parent, std::initializer_list<Slot> slots) {
  for (pugi::xml_node child : parent.children()) {
    switch (child.type()) {
      case pugi::node_element:
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        if (!TrimSpace(child.value()).empty()) return Malformed();
        continue;
      default:
        continue;  // comments and processing instructions
    }
    if (!InS3Namespace(child)) return Malformed();
    const Slot* slot = nullptr;
    for (const Slot& s : slots) {
      if (s.name == child.name()) slot = &s;
    }
    if (slot == nullptr) return Malformed();
    if (slot->one != nullptr) {
      if (*slot->one) return Malformed();
      *slot->one = child;
    } else {
      slot->many->push_back(child);
    }
  }
  return Status::Ok();
}

// The character data of a value element. An element inside one makes it a structure.
Result<std::string> LeafText(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    switch (child.type()) {
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text += child.value();
        break;
      case pugi::node_element:
        return Malformed();
      default:
        break;
    }
  }
  return text;
}

// xsd:int and xsd:long: an optional sign and ASCII digits, surrounding whitespace
// collapsed. A value that does not fit the type does not match the schema either.
template <typename Int>
Result<Int> ParseInteger(pugi::xml_node node) {
  STRATA_ASSIGN_OR_RETURN(std::string raw, LeafText(node));
  std::string_view text = TrimSpace(raw);
  // from_chars refuses the '+' that xsd allows; "+-1" must stay refused.
  if (text.size() > 1 && text[0] == '+' && text[1] >= '0' && text[1] <= '9') {
    text.remove_prefix(1);
  }
  Int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return Malformed();
  return value;
}

Result<bool> ParseBool(pugi::xml_node node) {
  STRATA_ASSIGN_OR_RETURN(std::string raw, LeafText(node));
  const std::string_view text = TrimSpace(raw);
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return Malformed();
}

// An ISO 8601 timestamp as the SDKs send it (2025-01-01T00:00:00Z, with fractions or a
// +hh:mm offset), or a bare date (2025-01-01, taken as its midnight UTC). Whether it is a
// midnight is a semantic question, answered by ValidateConfiguration.
Result<SysTime> ParseDate(pugi::xml_node node) {
  STRATA_ASSIGN_OR_RETURN(std::string raw, LeafText(node));
  std::string text(TrimSpace(raw));
  if (text.size() == 10) text += "T00:00:00Z";
  std::optional<SysTime> t = ParseIso8601(text);
  if (!t) return Malformed();
  return *t;
}

Result<std::string> ParseStorageClass(pugi::xml_node node) {
  STRATA_ASSIGN_OR_RETURN(std::string raw, LeafText(node));
  const std::string_view text = TrimSpace(raw);
  if (text.empty()) return Malformed();
  return std::string(text);
}

// ObjectSizeGreaterThan / ObjectSizeLessThan are xsd:long; a negative one is a value S3
// refuses by range (InvalidRequest), which an unsigned field cannot carry to the validator.
Result<uint64_t> ParseSize(pugi::xml_node node, std::string_view name) {
  STRATA_ASSIGN_OR_RETURN(int64_t size, ParseInteger<int64_t>(node));
  if (size < 0) {
    const std::string_view low = name == "ObjectSizeLessThan" ? "1" : "0";
    return Status(Code::kInvalidRequest, "'" + std::string(name) + "' should be between " +
                                             std::string(low) + " and " +
                                             std::to_string(kMaxFilterObjectSize) + ".");
  }
  return static_cast<uint64_t>(size);
}

Status ReadTag(pugi::xml_node node, TagSet* tags) {
  pugi::xml_node key, value;
  STRATA_TRY(Gather(node, {One("Key", &key), One("Value", &value)}));
  if (!key || !value) return Malformed();
  STRATA_ASSIGN_OR_RETURN(std::string k, LeafText(key));
  STRATA_ASSIGN_OR_RETURN(std::string v, LeafText(value));
  tags->emplace_back(std::move(k), std::move(v));
  return Status::Ok();
}

// The predicates of a Filter or of its And: they share their element names.
struct Predicates {
  pugi::xml_node prefix, greater, less;
  std::vector<pugi::xml_node> tags;
};

Status ReadPredicates(const Predicates& p, Filter* filter) {
  if (p.prefix) {
    STRATA_ASSIGN_OR_RETURN(filter->prefix, LeafText(p.prefix));
  }
  for (pugi::xml_node tag : p.tags) STRATA_TRY(ReadTag(tag, &filter->tags));
  if (p.greater) {
    STRATA_ASSIGN_OR_RETURN(filter->size_greater_than,
                            ParseSize(p.greater, "ObjectSizeGreaterThan"));
  }
  if (p.less) {
    STRATA_ASSIGN_OR_RETURN(filter->size_less_than, ParseSize(p.less, "ObjectSizeLessThan"));
  }
  return Status::Ok();
}

// <Filter> holds at most one predicate or one <And>; <And> holds at least one predicate
// and any number of tags. (AWS describes And as "two or more predicates"; an And of one is
// taken, as it means exactly that one predicate.)
Status ReadFilter(pugi::xml_node node, Filter* filter) {
  Predicates direct;
  pugi::xml_node tag, and_node;
  STRATA_TRY(Gather(node, {One("Prefix", &direct.prefix), One("Tag", &tag),
                           One("ObjectSizeGreaterThan", &direct.greater),
                           One("ObjectSizeLessThan", &direct.less), One("And", &and_node)}));
  if (tag) direct.tags.push_back(tag);
  const int count = !!direct.prefix + !!tag + !!direct.greater + !!direct.less + !!and_node;
  if (count > 1) return Malformed();
  if (!and_node) return ReadPredicates(direct, filter);
  Predicates inner;
  STRATA_TRY(Gather(and_node, {One("Prefix", &inner.prefix), Many("Tag", &inner.tags),
                               One("ObjectSizeGreaterThan", &inner.greater),
                               One("ObjectSizeLessThan", &inner.less)}));
  if (!inner.prefix && inner.tags.empty() && !inner.greater && !inner.less) return Malformed();
  return ReadPredicates(inner, filter);
}

Result<Expiration> ReadExpiration(pugi::xml_node node) {
  pugi::xml_node days, date, marker;
  STRATA_TRY(Gather(
      node, {One("Days", &days), One("Date", &date), One("ExpiredObjectDeleteMarker", &marker)}));
  // Exactly one of the three: S3 answers MalformedXML for Days with Date, and for
  // ExpiredObjectDeleteMarker with either (aws-cli issue 8239).
  if (!!days + !!date + !!marker != 1) return Malformed();
  Expiration out;
  if (days) {
    STRATA_ASSIGN_OR_RETURN(out.days, ParseInteger<int>(days));
  } else if (date) {
    STRATA_ASSIGN_OR_RETURN(out.date, ParseDate(date));
  } else {
    STRATA_ASSIGN_OR_RETURN(out.expired_object_delete_marker, ParseBool(marker));
  }
  return out;
}

Result<Transition> ReadTransition(pugi::xml_node node) {
  pugi::xml_node days, date, storage_class;
  STRATA_TRY(
      Gather(node, {One("Days", &days), One("Date", &date), One("StorageClass", &storage_class)}));
  if (!!days == !!date || !storage_class) return Malformed();
  Transition out;
  if (days) {
    STRATA_ASSIGN_OR_RETURN(out.days, ParseInteger<int>(days));
  } else {
    STRATA_ASSIGN_OR_RETURN(out.date, ParseDate(date));
  }
  STRATA_ASSIGN_OR_RETURN(out.storage_class, ParseStorageClass(storage_class));
  return out;
}

// NoncurrentDays is required in both noncurrent actions, even beside
// NewerNoncurrentVersions.
Result<NoncurrentExpiration> ReadNoncurrentExpiration(pugi::xml_node node) {
  pugi::xml_node days, newer;
  STRATA_TRY(Gather(node, {One("NoncurrentDays", &days), One("NewerNoncurrentVersions", &newer)}));
  if (!days) return Malformed();
  NoncurrentExpiration out;
  STRATA_ASSIGN_OR_RETURN(out.noncurrent_days, ParseInteger<int>(days));
  if (newer) {
    STRATA_ASSIGN_OR_RETURN(out.newer_noncurrent_versions, ParseInteger<int>(newer));
  }
  return out;
}

Result<NoncurrentTransition> ReadNoncurrentTransition(pugi::xml_node node) {
  pugi::xml_node days, newer, storage_class;
  STRATA_TRY(Gather(node, {One("NoncurrentDays", &days), One("NewerNoncurrentVersions", &newer),
                           One("StorageClass", &storage_class)}));
  if (!days || !storage_class) return Malformed();
  NoncurrentTransition out;
  STRATA_ASSIGN_OR_RETURN(out.noncurrent_days, ParseInteger<int>(days));
  if (newer) {
    STRATA_ASSIGN_OR_RETURN(out.newer_noncurrent_versions, ParseInteger<int>(newer));
  }
  STRATA_ASSIGN_OR_RETURN(out.storage_class, ParseStorageClass(storage_class));
  return out;
}

Result<Rule> ReadRule(pugi::xml_node node) {
  pugi::xml_node id, prefix, filter, status, expiration, noncurrent_expiration, abort;
  std::vector<pugi::xml_node> transitions, noncurrent_transitions;
  STRATA_TRY(Gather(
      node, {One("ID", &id), One("Prefix", &prefix), One("Filter", &filter), One("Status", &status),
             One("Expiration", &expiration), Many("Transition", &transitions),
             One("NoncurrentVersionExpiration", &noncurrent_expiration),
             Many("NoncurrentVersionTransition", &noncurrent_transitions),
             One("AbortIncompleteMultipartUpload", &abort)}));
  Rule rule;
  if (id) {
    STRATA_ASSIGN_OR_RETURN(rule.id, LeafText(id));
  }
  if (!status) return Malformed();
  STRATA_ASSIGN_OR_RETURN(std::string status_text, LeafText(status));
  const std::string_view s = TrimSpace(status_text);
  if (s != "Enabled" && s != "Disabled") return Malformed();
  rule.enabled = s == "Enabled";
  // A rule names its objects by a Filter or by the deprecated rule-level Prefix: exactly one.
  if (!!prefix == !!filter) return Malformed();
  if (prefix) {
    rule.legacy_prefix = true;
    STRATA_ASSIGN_OR_RETURN(rule.filter.prefix, LeafText(prefix));
  } else {
    STRATA_TRY(ReadFilter(filter, &rule.filter));
  }
  if (expiration) {
    STRATA_ASSIGN_OR_RETURN(rule.expiration, ReadExpiration(expiration));
  }
  for (pugi::xml_node t : transitions) {
    STRATA_ASSIGN_OR_RETURN(Transition transition, ReadTransition(t));
    rule.transitions.push_back(std::move(transition));
  }
  if (noncurrent_expiration) {
    STRATA_ASSIGN_OR_RETURN(rule.noncurrent_expiration,
                            ReadNoncurrentExpiration(noncurrent_expiration));
  }
  for (pugi::xml_node t : noncurrent_transitions) {
    STRATA_ASSIGN_OR_RETURN(NoncurrentTransition transition, ReadNoncurrentTransition(t));
    rule.noncurrent_transitions.push_back(std::move(transition));
  }
  if (abort) {
    pugi::xml_node days;
    STRATA_TRY(Gather(abort, {One("DaysAfterInitiation", &days)}));
    if (!days) return Malformed();
    STRATA_ASSIGN_OR_RETURN(rule.abort_incomplete_multipart_days, ParseInteger<int>(days));
  }
  return rule;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The body as a document, checked as a whole before any element is looked at. The root
// name is matched regardless of case: AWS's own examples spell it LifeCycleConfiguration.
Result<Configuration> ReadConfiguration(std::string_view xml, size_t max_bytes) {
  if (xml.size() > max_bytes) {
    return Status(Code::kMaxMessageLengthExceeded, "Your request was too big.");
  }
  if (xml.starts_with(kUtf8Bom)) xml.remove_prefix(kUtf8Bom.size());
  if (TrimSpace(xml).empty() || !internal::IsXmlText(xml) || !internal::IsLexicallySound(xml)) {
    return Malformed();
  }
  pugi::xml_document doc;
  // ws_pcdata keeps whitespace-only values: " " is a valid prefix.
  const pugi::xml_parse_result parsed = doc.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata, pugi::encoding_utf8);
  if (!parsed) return Malformed();
  pugi::xml_node root;
  for (pugi::xml_node node : doc.children()) {
    if (node.type() == pugi::node_element) {
      if (root) return Malformed();
      root = node;
    } else if (node.type() == pugi::node_doctype || node.type() == pugi::node_cdata ||
               (node.type() == pugi::node_pcdata && !TrimSpace(node.value()).empty())) {
      return Malformed();
    }
  }
  if (!root || !EqualsIgnoringCase(root.name(), "LifecycleConfiguration") || !InS3Namespace(root)) {
    return Malformed();
  }
  std::vector<pugi::xml_node> rule_nodes;
  STRATA_TRY(Gather(root, {Many("Rule", &rule_nodes)}));
  Configuration config;
  config.rules.reserve(rule_nodes.size());
  for (pugi::xml_node node : rule_nodes) {
    STRATA_ASSIGN_OR_RETURN(Rule rule, ReadRule(node));
    config.rules.push_back(std::move(rule));
  }
  return config;
}

// S3 names a rule sent without an ID itself. "rule-N" with the lowest N not taken keeps
// the function pure and the names stable across identical PUTs.
void NameRules(Configuration* config) {
  std::set<std::string, std::less<>> taken;
  for (const Rule& rule : config->rules) {
    if (!rule.id.empty()) taken.insert(rule.id);
  }
  size_t n = 1;
  for (Rule& rule : config->rules) {
    if (!rule.id.empty()) continue;
    while (taken.contains("rule-" + std::to_string(n))) ++n;
    rule.id = "rule-" + std::to_string(n);
    taken.insert(rule.id);
  }
}

// --- Rendering ----------------------------------------------------------------------------

class Writer {
 public:
  void Open(std::string_view name) { out_.append("<").append(name).append(">"); }
  void Close(std::string_view name) { out_.append("</").append(name).append(">"); }
  void Text(std::string_view name, std::string_view text) {
    Open(name);
    internal::AppendEscaped(&out_, text);
    Close(name);
  }
  void Number(std::string_view name, int64_t value) { Text(name, std::to_string(value)); }
  void Raw(std::string_view s) { out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void RenderFilter(const Filter& f, Writer* w) {
  const size_t predicates = (f.prefix ? 1 : 0) + f.tags.size() + (f.size_greater_than ? 1 : 0) +
                            (f.size_less_than ? 1 : 0);
  w->Open("Filter");
  if (predicates > 1) w->Open("And");
  if (f.prefix) w->Text("Prefix", *f.prefix);
  for (const auto& [key, value] : f.tags) {
    w->Open("Tag");
    w->Text("Key", key);
    w->Text("Value", value);
    w->Close("Tag");
  }
  if (f.size_greater_than) w->Text("ObjectSizeGreaterThan", std::to_string(*f.size_greater_than));
  if (f.size_less_than) w->Text("ObjectSizeLessThan", std::to_string(*f.size_less_than));
  if (predicates > 1) w->Close("And");
  w->Close("Filter");
}

void RenderRule(const Rule& rule, Writer* w) {
  w->Open("Rule");
  w->Text("ID", rule.id);
  if (rule.legacy_prefix) {
    w->Text("Prefix", rule.filter.prefix.value_or(""));
  } else {
    RenderFilter(rule.filter, w);
  }
  w->Text("Status", rule.enabled ? "Enabled" : "Disabled");
  for (const Transition& t : rule.transitions) {
    w->Open("Transition");
    if (t.days) w->Number("Days", *t.days);
    if (t.date) w->Text("Date", FormatIso8601(*t.date));
    w->Text("StorageClass", t.storage_class);
    w->Close("Transition");
  }
  if (const auto& e = rule.expiration) {
    w->Open("Expiration");
    if (e->days) w->Number("Days", *e->days);
    if (e->date) w->Text("Date", FormatIso8601(*e->date));
    if (!e->days && !e->date) {
      w->Text("ExpiredObjectDeleteMarker", e->expired_object_delete_marker ? "true" : "false");
    }
    w->Close("Expiration");
  }
  for (const NoncurrentTransition& t : rule.noncurrent_transitions) {
    w->Open("NoncurrentVersionTransition");
    w->Number("NoncurrentDays", t.noncurrent_days);
    if (t.newer_noncurrent_versions) {
      w->Number("NewerNoncurrentVersions", *t.newer_noncurrent_versions);
    }
    w->Text("StorageClass", t.storage_class);
    w->Close("NoncurrentVersionTransition");
  }
  if (const auto& n = rule.noncurrent_expiration) {
    w->Open("NoncurrentVersionExpiration");
    w->Number("NoncurrentDays", n->noncurrent_days);
    if (n->newer_noncurrent_versions) {
      w->Number("NewerNoncurrentVersions", *n->newer_noncurrent_versions);
    }
    w->Close("NoncurrentVersionExpiration");
  }
  if (rule.abort_incomplete_multipart_days) {
    w->Open("AbortIncompleteMultipartUpload");
    w->Number("DaysAfterInitiation", *rule.abort_incomplete_multipart_days);
    w->Close("AbortIncompleteMultipartUpload");
  }
  w->Close("Rule");
}

}  // namespace

Result<Configuration> ParseConfiguration(std::string_view xml,
                                         const StorageClassPredicate& known_storage_class,
                                         size_t max_bytes) {
  STRATA_ASSIGN_OR_RETURN(Configuration config, ReadConfiguration(xml, max_bytes));
  STRATA_TRY(ValidateConfiguration(config, known_storage_class));
  NameRules(&config);
  return config;
}

std::string RenderConfiguration(const Configuration& config) {
  Writer w;
  w.Raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LifecycleConfiguration xmlns=\"");
  w.Raw(kS3Xmlns);
  w.Raw("\">");
  for (const Rule& rule : config.rules) RenderRule(rule, &w);
  w.Raw("</LifecycleConfiguration>");
  return w.Take();
}

}  // namespace strata::lifecycle
