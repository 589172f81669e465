// Health of a training run: detects a model that has collapsed onto a few
// configurations. Such a model has a batch ESS of 1 and a zero REINFORCE gradient (all
// f equal), so it never recovers and looks perfect by the loss; only its entropy
// -<log q> gives it away: p, symmetric under a global spin flip, has an entropy of at
// least ln 2, and far more away from the ordered phase.
#pragma once

#include <cstdint>
#include <string>

#include "rigcs/train/reverse_kl.hpp"

namespace rigcs {

class CollapseDetector {
 public:
  // threshold: entropy (nats) below which a batch counts as collapsed; <= 0 switches the
  // detector off. patience: consecutive collapsed batches before it fires.
  explicit CollapseDetector(double threshold, int patience = 5) : threshold_(threshold), patience_(patience) {}
  // Feeds one step; true when the model has collapsed (fires once per streak).
  bool update(const TrainStepStats& s);
  bool enabled() const { return threshold_ > 0; }
  // "batch entropy -<log q> = 0.0012 nats < 1 for 5 steps in a row"
  std::string describe() const;

 private:
  double threshold_;
  int patience_;
  int streak_ = 0;
  double last_entropy_ = 0;
};

}  // namespace rigcs
