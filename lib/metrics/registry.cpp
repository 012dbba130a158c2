#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace emsync::metrics {

namespace {

void atomic_add(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':';
  });
}

// A sample value as Prometheus parses it: shortest round-trip, +Inf, NaN.
std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

// Label values escape backslash, double quote and newline; help texts
// backslash and newline.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (le for buckets); "" when empty.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "{" : ",") + names[i] + "=\"" + escape(values[i], true) + "\"";
  }
  if (!extra_name.empty()) {
    out += (out.empty() ? "{" : ",") + std::string(extra_name) + "=\"" + std::string(extra_value) +
           "\"";
  }
  return out.empty() ? out : out + "}";
}

const char* type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Counter::add(double amount) {
  if (amount > 0) {
    atomic_add(m_value, amount);
  }
}

void Gauge::add(double amount) { atomic_add(m_value, amount); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : m_upper_bounds(std::move(upper_bounds)), m_counts(m_upper_bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(m_upper_bounds.begin(), m_upper_bounds.end(), value) -
      m_upper_bounds.begin());
  const std::lock_guard lock(m_mutex);
  ++m_counts[bucket];
  m_sum += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.upper_bounds = m_upper_bounds;
  const std::lock_guard lock(m_mutex);
  std::uint64_t running = 0;
  for (std::uint64_t count : m_counts) {
    running += count;
    out.cumulative_counts.push_back(running);
  }
  out.sum = m_sum;
  out.count = running;
  return out;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> upper_bounds)
    : m_name(std::move(name)),
      m_help(std::move(help)),
      m_label_names(std::move(label_names)),
      m_upper_bounds(std::move(upper_bounds)) {
  if (m_label_names.empty()) {
    m_series.emplace(std::vector<std::string>{}, make());
  }
}

template <class Metric>
std::unique_ptr<Metric> Family<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(m_upper_bounds);
  } else {
    return std::make_unique<Metric>();
  }
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  if (label_values.size() != m_label_names.size()) {
    throw std::logic_error("metric " + m_name + " takes " + std::to_string(m_label_names.size()) +
                           " label values, got " + std::to_string(label_values.size()));
  }
  const std::lock_guard lock(m_mutex);
  auto& slot = m_series[label_values];
  if (!slot) {
    slot = make();
  }
  return *slot;
}

template <class Metric>
void Family<Metric>::remove(std::string_view label, std::string_view value) {
  const auto it = std::find(m_label_names.begin(), m_label_names.end(), label);
  if (it == m_label_names.end()) {
    return;
  }
  const auto index = static_cast<std::size_t>(it - m_label_names.begin());
  const std::lock_guard lock(m_mutex);
  std::erase_if(m_series, [&](const auto& series) { return series.first[index] == value; });
}

struct Registry::Entry {
  Type type;
  std::string name;
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>>
      family;

  template <class Metric>
  static std::string render(const Family<Metric>& family, Type type) {
    std::string out = "# HELP " + family.m_name + " " + escape(family.m_help, false) + "\n" +
                      "# TYPE " + family.m_name + " " + type_name(type) + "\n";
    const std::lock_guard lock(family.m_mutex);
    for (const auto& [values, series] : family.m_series) {
      if constexpr (std::is_same_v<Metric, Histogram>) {
        const auto shot = series->snapshot();
        for (std::size_t i = 0; i <= shot.upper_bounds.size(); ++i) {
          const std::string le =
              i < shot.upper_bounds.size() ? format_value(shot.upper_bounds[i]) : "+Inf";
          out += family.m_name + "_bucket" + label_text(family.m_label_names, values, "le", le) +
                 " " + std::to_string(shot.cumulative_counts[i]) + "\n";
        }
        const std::string labels = label_text(family.m_label_names, values);
        out += family.m_name + "_sum" + labels + " " + format_value(shot.sum) + "\n";
        out += family.m_name + "_count" + labels + " " + std::to_string(shot.count) + "\n";
      } else {
        out += family.m_name + label_text(family.m_label_names, values) + " " +
               format_value(series->value()) + "\n";
      }
    }
    return out;
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::add(std::unique_ptr<Entry> entry) {
  const std::lock_guard lock(m_mutex);
  m_entries.push_back(std::move(entry));
}

namespace {

void check_names(const std::string& name, const std::vector<std::string>& label_names) {
  if (!is_valid_name(name)) {
    throw std::logic_error("invalid metric name '" + name + "'");
  }
  for (const auto& label : label_names) {
    if (!is_valid_name(label) || label.find(':') != std::string::npos || label == "le") {
      throw std::logic_error("invalid label name '" + label + "' for " + name);
    }
  }
}

}  // namespace

template <class Metric>
Family<Metric>& Registry::make_family(Type type, const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds) {
  check_names(name, label_names);
  {
    const std::lock_guard lock(m_mutex);
    for (const auto& entry : m_entries) {
      if (entry->name == name) {
        throw std::logic_error("metric " + name + " registered twice");
      }
    }
  }
  auto family = std::unique_ptr<Family<Metric>>(
      new Family<Metric>(name, help, std::move(label_names), std::move(upper_bounds)));
  auto& ref = *family;
  add(std::make_unique<Entry>(Entry{type, name, std::move(family)}));
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  return make_family<Counter>(Type::counter, name, help, std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  return make_family<Gauge>(Type::gauge, name, help, std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> upper_bounds,
                                       std::vector<std::string> label_names) {
  if (!std::is_sorted(upper_bounds.begin(), upper_bounds.end())) {
    throw std::logic_error("histogram " + name + ": bucket bounds must ascend");
  }
  return make_family<Histogram>(Type::histogram, name, help, std::move(label_names),
                                std::move(upper_bounds));
}

std::string Registry::render() const {
  const std::lock_guard lock(m_mutex);
  std::string out;
  for (const auto& entry : m_entries) {
    out += std::visit([&](const auto& family) { return Entry::render(*family, entry->type); },
                      entry->family);
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace emsync::metrics
