#include "rigcs/mc/ais.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/mc/cluster_updates.hpp"

namespace rigcs {

BetaSpacing parse_beta_spacing(const std::string& name) {
  if (name == "linear") return BetaSpacing::Linear;
  if (name == "geometric") return BetaSpacing::Geometric;
  RIGCS_FAIL("unknown beta spacing '" << name << "'; allowed: linear, geometric");
}

std::string format_beta_spacing(BetaSpacing s) {
  switch (s) {
    case BetaSpacing::Linear: return "linear";
    case BetaSpacing::Geometric: return "geometric";
  }
  RIGCS_FAIL("invalid BetaSpacing value " << static_cast<int>(s));
}

std::vector<double> ais_beta_ladder(double beta, int steps, BetaSpacing spacing) {
  mc_detail::check_beta(beta);
  RIGCS_CHECK(steps >= 1, "AIS needs at least 1 beta step, got " << steps);
  std::vector<double> b(static_cast<std::size_t>(steps) + 1);
  b[0] = 0;
  if (spacing == BetaSpacing::Linear || beta == 0 || steps == 1) {
    for (int k = 1; k <= steps; ++k) b[k] = beta * k / steps;
  } else {
    const double first = beta / steps;
    const double log_ratio = std::log(beta / first) / (steps - 1);
    for (int k = 1; k <= steps; ++k) b[k] = first * std::exp(log_ratio * (k - 1));
  }
  b[steps] = beta;  // exact end point, whatever the rounding
  return b;
}

namespace {

// The cluster update of the chosen kind, re-tempered along the ladder.
class AnnealedClusterUpdate {
 public:
  AnnealedClusterUpdate(const IsingModel& model, McmcAlgorithm a) : algorithm_(a) {
    if (a == McmcAlgorithm::Wolff) wolff_.emplace_back(model);
    else sw_.emplace_back(model);
  }
  void set_beta(double beta) {
    if (algorithm_ == McmcAlgorithm::Wolff) wolff_[0].set_beta(beta);
    else sw_[0].set_beta(beta);
  }
  void update(SpinConfig& s, Rng& rng) {
    if (algorithm_ == McmcAlgorithm::Wolff) wolff_[0].update(s, rng);
    else sw_[0].update(s, rng);
  }

 private:
  McmcAlgorithm algorithm_;
  std::vector<WolffUpdate> wolff_;
  std::vector<SwendsenWangUpdate> sw_;
};

}  // namespace

AisTrajectory run_ais_trajectory(const IsingModel& model, const AisParams& params, Rng& rng) {
  RIGCS_CHECK(params.algorithm == McmcAlgorithm::Wolff ||
                  params.algorithm == McmcAlgorithm::SwendsenWang,
              "AIS transitions must be cluster updates (wolff or sw), got '"
                  << format_mcmc_algorithm(params.algorithm) << "'");
  RIGCS_CHECK(params.updates_per_beta >= 0,
              "AIS updates_per_beta must be >= 0, got " << params.updates_per_beta);
  const std::vector<double> ladder = ais_beta_ladder(model.beta(), params.steps, params.spacing);

  AnnealedClusterUpdate transition(model, params.algorithm);
  SpinConfig s = random_configuration(model, rng);  // exact sample at beta = 0
  double log_w = 0;
  for (int k = 0; k < params.steps; ++k) {
    log_w -= (ladder[k + 1] - ladder[k]) * model.energy(s);
    transition.set_beta(ladder[k + 1]);
    for (int u = 0; u < params.updates_per_beta; ++u) transition.update(s, rng);
  }
  const IsingObservables obs = measure(model, s);
  return {log_w, obs.energy, obs.abs_m, obs.m2};
}

double ais_log_partition_function(const std::vector<double>& log_w, int volume) {
  RIGCS_CHECK(!log_w.empty(), "AIS log Z needs at least one trajectory");
  const double top = *std::max_element(log_w.begin(), log_w.end());
  RIGCS_CHECK(std::isfinite(top), "AIS log weights must be finite, max is " << top);
  double sum = 0;
  for (double x : log_w) sum += std::exp(x - top);
  return volume * std::log(2.0) + top + std::log(sum) - std::log(static_cast<double>(log_w.size()));
}

}  // namespace rigcs
