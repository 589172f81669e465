#include "rigcs/core/progress.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace rigcs {

Progress::Progress(std::string label, std::int64_t total, std::string unit, bool enabled,
                   double interval_seconds)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), enabled_(enabled),
      interval_(interval_seconds), start_(std::chrono::steady_clock::now()), last_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::int64_t done, const std::string& extra) {
  if (!enabled_) return;
  if (start_done_ < 0) start_done_ = done;  // a resumed run starts part-way
  const auto now = std::chrono::steady_clock::now();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (done < total_ && since_last < interval_) return;
  last_ = now;
  const double t = elapsed_seconds();
  const double rate = t > 0 ? static_cast<double>(done - start_done_) / t : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "[%s] %lld/%lld (%5.1f%%)  %.3g %s/s  elapsed %s  ETA %s",
                label_.c_str(), static_cast<long long>(done), static_cast<long long>(total_),
                total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
                rate, unit_.c_str(), format_duration(t).c_str(), format_duration(eta).c_str());
  std::cout << buf << (extra.empty() ? "" : "  ") << extra << std::endl;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = static_cast<long long>(std::llround(seconds));
  char buf[64];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, (s / 60) % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

}  // namespace rigcs
