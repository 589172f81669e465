// Cluster annealed importance sampling (Neal 2001) in beta for the Ising model.
// A trajectory starts from a uniform configuration, exact at beta = 0 where
// Z_0 = 2^V, and walks up a ladder 0 = beta_0 < ... < beta_K = beta; before the move
// to beta_{k+1} its log weight gains -(beta_{k+1} - beta_k) H(s), and then
// `updates_per_beta` cluster updates at beta_{k+1} leave exp(-beta_{k+1} H) invariant.
// With M trajectories, ln Z = V ln 2 + ln mean(w), and <O> = sum w O / sum w.
#pragma once

#include <string>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs {

enum class BetaSpacing { Linear, Geometric };

// "linear", "geometric"; throws rigcs::Error naming the allowed values.
BetaSpacing parse_beta_spacing(const std::string& name);
std::string format_beta_spacing(BetaSpacing s);

struct AisParams {
  int steps = 100;                                   // K, the number of beta increments
  BetaSpacing spacing = BetaSpacing::Linear;
  McmcAlgorithm algorithm = McmcAlgorithm::Wolff;    // Wolff or SwendsenWang
  int updates_per_beta = 1;                          // cluster updates after each increment
};

struct AisTrajectory {
  double log_w;   // log importance weight relative to the uniform start (Z_0 = 2^V excluded)
  double energy;  // H of the final configuration
  double abs_m;   // |M| / V of the final configuration
  double m2;      // (M / V)^2 of the final configuration
};

// beta_0 = 0, ..., beta_K = beta. Linear: beta_k = k beta / K. Geometric: a linear
// first step to beta / K (a geometric ladder cannot start at 0), then a constant
// ratio up to beta.
std::vector<double> ais_beta_ladder(double beta, int steps, BetaSpacing spacing);

// One trajectory at the model's beta and J.
AisTrajectory run_ais_trajectory(const IsingModel& model, const AisParams& params, Rng& rng);

// ln Z = V ln 2 + logsumexp(log w) - ln M, from the trajectories' log weights.
double ais_log_partition_function(const std::vector<double>& log_w, int volume);

}  // namespace rigcs
