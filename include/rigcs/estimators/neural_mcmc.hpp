// Neural MCMC: independent Metropolis-Hastings with the model q as the proposal
// (Nicoli et al. 2020). A proposal s' replaces the current state s with probability
// min(1, w(s')/w(s)), w = exp(-beta*H - log q). The chain is exact for p whatever q is
// (if q > 0 wherever p > 0); a poor q shows up as rejections and a long tau_int.
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/estimators/sample_set.hpp"

namespace rigcs {

// One chain over a sequence of proposals. state[t] is the index of the proposal the
// chain sits on after step t (state[0] = 0: the chain starts on the first proposal);
// accepted[t - 1] tells whether step t (t >= 1) accepted its proposal.
struct ImhChain {
  std::vector<std::int64_t> state;
  std::vector<std::uint8_t> accepted;
};

// Draws exactly one uniform from `rng` per step t >= 1, so the chain is a deterministic
// function of (log_w, rng state). log_w must be finite.
ImhChain independent_metropolis(const std::vector<double>& log_w, Rng& rng);

struct NeuralMcmcResult {
  // Chain series of the observables, one per non-empty replica of the proposals.
  ReplicaSeries energy;    // H of the chain state (extensive)
  ReplicaSeries abs_m;     // |m| of the chain state (empty if not measured)
  ReplicaSeries accepted;  // 1 / 0 per step t >= 1
  // acceptance  fraction of accepted proposals, plain mean with its naive error
  // imh_E       <H> over the chain, Gamma method with S = obs_s_tau
  // imh_beta_E  beta * <H>
  // imh_abs_m   <|m|> over the chain                  (only if abs_m is present)
  Estimates estimates;
};

// Each replica of `proposals` (draws from q in the order drawn) is one chain; replicas
// are run in order with the same `rng`. H comes from the energy observable if present,
// else from -beta*H (beta != 0). obs_s_tau = 2 as the authors used for observables.
NeuralMcmcResult neural_mcmc(const SampleSet& proposals, double beta, Rng& rng,
                             double obs_s_tau = 2.0);

}  // namespace rigcs
