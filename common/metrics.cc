#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace strata::metrics {

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10,    30,     60};
  return kBuckets;
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // First bound >= v (Prometheus buckets are "less than or equal").
  const size_t i = std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::Cumulative() const {
  std::vector<uint64_t> out(bounds_->size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

template <typename Child>
Family<Child>::Family(std::string name, std::string help, Kind kind,
                      std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      kind_(kind),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <typename Child>
Child& Family<Child>::With(const Labels& values) {
  Labels key = values;
  key.resize(label_names_.size());
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) return *it->second;
  if constexpr (std::is_same_v<Child, Histogram>) {
    children_.emplace_back(&bounds_);
  } else {
    children_.emplace_back();
  }
  Child* child = &children_.back();
  index_.emplace(std::move(key), child);
  return *child;
}

template <typename Child>
Child& Family<Child>::With(std::initializer_list<std::string_view> values) {
  Labels labels;
  for (auto v : values) labels.emplace_back(v);
  return With(labels);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AppendNumber(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    *out += buf;
  } else {
    // The shortest of 15 or 17 digits that reads back as the same double.
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
    *out += buf;
  }
}

// {a="x",b="y"} plus an optional extra pair (le for buckets); nothing when empty.
void AppendLabels(std::string* out, const std::vector<std::string>& names, const Labels& values,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  *out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) *out += ',';
    first = false;
    *out += names[i];
    *out += "=\"";
    *out += EscapeLabelValue(i < values.size() ? values[i] : std::string());
    *out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) *out += ',';
    *out += extra_name;
    *out += "=\"";
    *out += extra_value;
    *out += '"';
  }
  *out += '}';
}

void AppendHeader(std::string* out, const std::string& name, const std::string& help, Kind kind) {
  *out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  *out += "# TYPE " + name + " ";
  *out += KindName(kind);
  *out += '\n';
}

}  // namespace

struct Registry::Entry {
  std::string name;
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>>
      family;
  // Collector families.
  std::string help;
  Kind kind = Kind::kGauge;
  std::vector<std::string> label_names;
  std::function<std::vector<Sample>()> collect;
};

Registry::Registry() = default;
Registry::~Registry() = default;

namespace {

template <typename Child, typename Entries>
Family<Child>* Find(Entries& entries, const std::string& name) {
  for (auto& e : entries) {
    if (e->name != name) continue;
    if (auto* f = std::get_if<std::unique_ptr<Family<Child>>>(&e->family)) return f->get();
  }
  return nullptr;
}

}  // namespace

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (auto* f = Find<Counter>(entries_, name)) return *f;
  auto e = std::make_unique<Entry>();
  e->name = name;
  auto* family = new Family<Counter>(std::move(name), std::move(help), Kind::kCounter,
                                     std::move(label_names), {});
  e->family = std::unique_ptr<Family<Counter>>(family);
  entries_.push_back(std::move(e));
  return *family;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (auto* f = Find<Gauge>(entries_, name)) return *f;
  auto e = std::make_unique<Entry>();
  e->name = name;
  auto* family = new Family<Gauge>(std::move(name), std::move(help), Kind::kGauge,
                                   std::move(label_names), {});
  e->family = std::unique_ptr<Family<Gauge>>(family);
  entries_.push_back(std::move(e));
  return *family;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  if (auto* f = Find<Histogram>(entries_, name)) return *f;
  auto e = std::make_unique<Entry>();
  e->name = name;
  auto* family = new Family<Histogram>(std::move(name), std::move(help), Kind::kHistogram,
                                       std::move(label_names), std::move(bounds));
  e->family = std::unique_ptr<Family<Histogram>>(family);
  entries_.push_back(std::move(e));
  return *family;
}

void Registry::AddCollector(std::string name, std::string help, Kind kind,
                            std::vector<std::string> label_names,
                            std::function<std::vector<Sample>()> collect) {
  auto e = std::make_unique<Entry>();
  e->name = std::move(name);
  e->help = std::move(help);
  e->kind = kind;
  e->label_names = std::move(label_names);
  e->collect = std::move(collect);
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(e));
}

std::string Registry::Render() const {
  std::vector<const Entry*> entries;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) entries.push_back(e.get());
  }
  std::string out;
  for (const Entry* e : entries) {
    if (e->collect) {
      AppendHeader(&out, e->name, e->help, e->kind);
      for (const Sample& s : e->collect()) {
        out += e->name;
        AppendLabels(&out, e->label_names, s.labels);
        out += ' ';
        AppendNumber(&out, s.value);
        out += '\n';
      }
      continue;
    }
    std::visit(
        [&](const auto& family) {
          using F = std::decay_t<decltype(*family)>;
          auto& f = const_cast<F&>(*family);
          AppendHeader(&out, f.name_, f.help_, f.kind_);
          std::lock_guard lock(f.mu_);
          for (const auto& [labels, child] : f.index_) {
            if constexpr (std::is_same_v<F, Family<Histogram>>) {
              const auto cumulative = child->Cumulative();
              for (size_t i = 0; i < cumulative.size(); ++i) {
                std::string le;
                if (i < f.bounds_.size()) {
                  AppendNumber(&le, f.bounds_[i]);
                } else {
                  le = "+Inf";
                }
                out += f.name_ + "_bucket";
                AppendLabels(&out, f.label_names_, labels, "le", le);
                out += ' ' + std::to_string(cumulative[i]) + '\n';
              }
              out += f.name_ + "_sum";
              AppendLabels(&out, f.label_names_, labels);
              out += ' ';
              AppendNumber(&out, child->sum());
              out += '\n';
              out += f.name_ + "_count";
              AppendLabels(&out, f.label_names_, labels);
              out += ' ' + std::to_string(cumulative.back()) + '\n';
            } else {
              out += f.name_;
              AppendLabels(&out, f.label_names_, labels);
              out += ' ';
              AppendNumber(&out, static_cast<double>(child->value()));
              out += '\n';
            }
          }
        },
        e->family);
  }
  return out;
}

}  // namespace strata::metrics
