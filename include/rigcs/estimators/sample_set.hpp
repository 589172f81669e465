// Sample sets and named estimates shared by all estimators.
//
// Every estimator works on (log q, -beta*H) pairs, whatever sampler made them: a
// generative model, MLMC-HB, or a Markov chain whose configurations were evaluated
// under a model. The log importance weight of a sample is
//   log w = -beta*H(s) - log q(s).
// A sample set is split into replicas (one per MPI rank, run or file chunk); the Gamma
// method sums autocorrelations within each replica only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rigcs/analysis/gamma.hpp"

namespace rigcs {

// The samples of one replica. Observables are optional: leave them empty when not
// measured; if given, they must have one entry per sample.
struct SampleChunk {
  std::vector<double> log_q;         // log q(s) of the distribution that proposed s
  std::vector<double> minus_beta_H;  // -beta * H(s)
  std::vector<double> energy;        // H(s), extensive (optional)
  std::vector<double> abs_m;         // |M| / V (optional)

  std::size_t size() const { return log_q.size(); }
};

struct SampleSet {
  std::vector<SampleChunk> replicas;

  SampleSet() = default;
  explicit SampleSet(std::vector<SampleChunk> r) : replicas(std::move(r)) {}

  // Total number of samples over all replicas.
  std::int64_t size() const;
  // Whether the optional observables are present (in every non-empty replica).
  bool has_energy() const;
  bool has_abs_m() const;
};

// Throws rigcs::Error naming `what`, the replica and the index when the set is empty,
// array lengths disagree, an observable is given for some replicas only, or a value is
// not finite (NaN, or log q = -inf, which a sampler can never produce for its own draw).
void validate_sample_set(const SampleSet& set, const std::string& what);

// log w = -beta*H - log q, one series per non-empty replica (empty replicas, e.g. of a
// rank that drew nothing, are dropped). Call validate_sample_set first.
ReplicaSeries log_weights(const SampleSet& set);

// Named results, each a GammaResult {value, error, tau_int, tau_int_error, window, n}.
struct Estimates {
  std::map<std::string, GammaResult> values;

  bool has(const std::string& name) const { return values.count(name) != 0; }
  // Throws rigcs::Error naming the missing estimate.
  const GammaResult& at(const std::string& name) const;
  void set(const std::string& name, const GammaResult& r) { values[name] = r; }
};

using ImportanceEstimates = Estimates;

}  // namespace rigcs
