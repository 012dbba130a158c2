// metrics::Registry: Prometheus metrics kept in memory and rendered in the
// text exposition format (version 0.0.4), what GET /metrics serves.
//
// prometheus-cpp is not packaged for Debian 12, and the part emsync needs
// (counters, gauges, histograms with labels, one serializer) is small, so it
// lives here.
//
//   Registry registry;
//   auto& runs = registry.counter("emsync_sync_runs_total", "Runs by status.",
//                                 {"activation", "status"});
//   runs.with({"crm", "succeeded"}).add();
//   std::string text = registry.render();
//
// Conventions (prometheus.io naming practices): base units, counters end in
// `_total`, label values bounded (never an email). A series exists from the
// first with() for its labels, so callers create every series they can know
// in advance at zero; a family without labels has its one series from the
// start.
//
// Thread-safety: everything may be called from any thread. Updating a
// series is lock-free (counters, gauges) or takes the series' own mutex
// (histograms); references returned by with() stay valid until remove().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace emsync::metrics {

// A value that only goes up (a restart resets it to 0).
class Counter {
 public:
  void add(double amount = 1.0);
  double value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> m_value{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double value) { m_value.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> m_value{0.0};
};

// Observations counted in cumulative buckets (upper bounds, ascending; +Inf
// is implied), with their sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> m_upper_bounds;
  mutable std::mutex m_mutex;
  std::vector<std::uint64_t> m_counts;  // per bucket, not cumulative; last is +Inf
  double m_sum = 0.0;
};

enum class Type { counter, gauge, histogram };

// The series of one metric name, one per combination of label values.
template <class Metric>
class Family {
 public:
  // The series with these label values (in the order of the family's label
  // names), created at zero on first use.
  Metric& with(const std::vector<std::string>& label_values);
  // Drops every series whose label `label` is `value` (e.g. a deleted
  // activation's).
  void remove(std::string_view label, std::string_view value);

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> upper_bounds);
  std::unique_ptr<Metric> make() const;

  const std::string m_name;
  const std::string m_help;
  const std::vector<std::string> m_label_names;
  const std::vector<double> m_upper_bounds;  // histograms only
  mutable std::mutex m_mutex;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> m_series;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a family. Names and label names must be valid Prometheus names
  // and a name may be registered once (a programming error otherwise: throws
  // std::logic_error).
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> upper_bounds,
                               std::vector<std::string> label_names = {});

  // Every family in registration order, series sorted by label values.
  std::string render() const;

 private:
  struct Entry;
  template <class Metric>
  Family<Metric>& make_family(Type type, const std::string& name, const std::string& help,
                              std::vector<std::string> label_names,
                              std::vector<double> upper_bounds);
  void add(std::unique_ptr<Entry> entry);

  mutable std::mutex m_mutex;
  std::vector<std::unique_ptr<Entry>> m_entries;
};

}  // namespace emsync::metrics
