#include "rigcs/train/health.hpp"

#include <cmath>
#include <cstdio>

namespace rigcs {

bool CollapseDetector::update(const TrainStepStats& s) {
  if (!enabled()) return false;
  last_entropy_ = s.entropy;
  if (std::isfinite(s.entropy) && s.entropy < threshold_) {
    ++streak_;
  } else {
    streak_ = 0;
  }
  return streak_ == patience_;
}

std::string CollapseDetector::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "batch entropy -<log q> = %.4g nats < %.4g for %d steps in a row", last_entropy_,
                threshold_, patience_);
  return buf;
}

}  // namespace rigcs
