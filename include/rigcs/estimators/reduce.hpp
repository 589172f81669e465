// Estimates over samples spread across ranks.
//
// Two routes:
// - global_* reduce log-sum-exp values across ranks (never sums of raw weights, which
//   overflow): cheap, no errors; for progress output and training monitors;
// - gather_sample_set / estimate_importance_global gather all samples to the root and
//   run the full Gamma analysis with one replica per rank.
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/estimators/importance.hpp"
#include "rigcs/estimators/sample_set.hpp"
#include "rigcs/parallel/communicator.hpp"

namespace rigcs {

struct GlobalWeightSummary {
  double ln_z = 0;       // log mean exp(log w) over all ranks
  double ess = 0;        // (sum w)^2 / (M sum w^2) over all ranks
  double log_w_max = 0;  // largest log w on any rank
  std::int64_t n = 0;    // total number of samples M
};

// Collective: every rank calls it with its own log w (possibly empty) and gets the
// global values. Throws rigcs::Error on every rank if no rank has samples, and on the
// rank whose log w is not finite (the others then wait: call it on validated data).
GlobalWeightSummary reduce_log_weights(Communicator& comm, const std::vector<double>& local_log_w);
double global_log_z(Communicator& comm, const std::vector<double>& local_log_w);
double global_ess(Communicator& comm, const std::vector<double>& local_log_w);

// log w = -beta*H - log q of one chunk (validated; an empty chunk gives an empty vector).
std::vector<double> chunk_log_weights(const SampleChunk& chunk);

// Collective: the chunks of all ranks, one replica per rank, on `root` (an empty set
// elsewhere).
SampleSet gather_sample_set(Communicator& comm, const SampleChunk& local, int root = 0);

// Collective: gathers to rank 0, runs estimate_importance there and broadcasts the
// results to every rank. An error on the root is rethrown on every rank.
ImportanceEstimates estimate_importance_global(Communicator& comm, const SampleChunk& local,
                                               double beta);

// Collective: copies root's estimates to every rank.
void broadcast_estimates(Communicator& comm, Estimates& est, int root = 0);

}  // namespace rigcs
