// Progress lines for long loops: done/total, rate, ETA and a free-form tail
// (loss, ESS, ...). Printed at most every `interval` seconds, and at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace rigcs {

class Progress {
 public:
  Progress(std::string label, std::int64_t total, std::string unit, bool enabled,
           double interval_seconds = 2.0);
  // Report `done` of total; prints when the interval has passed or done == total.
  void update(std::int64_t done, const std::string& extra = "");
  double elapsed_seconds() const;

 private:
  std::string label_, unit_;
  std::int64_t total_;
  bool enabled_;
  double interval_;
  std::int64_t start_done_ = -1;
  std::chrono::steady_clock::time_point start_, last_;
};

// "1h02m03s" style durations.
std::string format_duration(double seconds);

}  // namespace rigcs
