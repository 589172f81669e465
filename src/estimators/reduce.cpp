#include "rigcs/estimators/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

double local_logsumexp(const std::vector<double>& x, double scale) {
  double m = -std::numeric_limits<double>::infinity();
  for (double v : x) m = std::max(m, scale * v);
  if (!std::isfinite(m)) return m;  // empty: log 0 = -inf
  double s = 0;
  for (double v : x) s += std::exp(scale * v - m);
  return m + std::log(s);
}

}  // namespace

std::vector<double> chunk_log_weights(const SampleChunk& chunk) {
  // A rank may have drawn nothing: an empty chunk gives no weights, not an error.
  if (chunk.size() == 0 && chunk.minus_beta_H.empty()) return {};
  validate_sample_set(SampleSet({chunk}), "log weights");
  std::vector<double> lw(chunk.size());
  for (std::size_t i = 0; i < lw.size(); ++i) lw[i] = chunk.minus_beta_H[i] - chunk.log_q[i];
  return lw;
}

GlobalWeightSummary reduce_log_weights(Communicator& comm, const std::vector<double>& local_log_w) {
  for (std::size_t i = 0; i < local_log_w.size(); ++i)
    RIGCS_CHECK(std::isfinite(local_log_w[i]), "global weight reduction: log w[" << i
                                                   << "] on rank " << comm.rank() << " is "
                                                   << local_log_w[i]);
  GlobalWeightSummary s;
  s.n = comm.sum(static_cast<std::int64_t>(local_log_w.size()));
  RIGCS_CHECK(s.n > 0, "global weight reduction: no rank has samples");
  const double lse1 = logsumexp_allreduce(comm, local_logsumexp(local_log_w, 1.0));
  const double lse2 = logsumexp_allreduce(comm, local_logsumexp(local_log_w, 2.0));
  const double log_n = std::log(static_cast<double>(s.n));
  s.ln_z = lse1 - log_n;
  // ESS = (sum w)^2 / (M sum w^2), in logs.
  s.ess = std::exp(2 * lse1 - lse2 - log_n);
  double m = -std::numeric_limits<double>::infinity();
  for (double v : local_log_w) m = std::max(m, v);
  s.log_w_max = comm.max(m);
  return s;
}

double global_log_z(Communicator& comm, const std::vector<double>& local_log_w) {
  return reduce_log_weights(comm, local_log_w).ln_z;
}

double global_ess(Communicator& comm, const std::vector<double>& local_log_w) {
  return reduce_log_weights(comm, local_log_w).ess;
}

SampleSet gather_sample_set(Communicator& comm, const SampleChunk& local, int root) {
  auto log_q = comm.gatherv(local.log_q, root);
  auto mbh = comm.gatherv(local.minus_beta_H, root);
  auto energy = comm.gatherv(local.energy, root);
  auto abs_m = comm.gatherv(local.abs_m, root);
  SampleSet set;
  if (comm.rank() != root) return set;
  set.replicas.resize(log_q.size());
  for (std::size_t r = 0; r < log_q.size(); ++r) {
    set.replicas[r].log_q = std::move(log_q[r]);
    set.replicas[r].minus_beta_H = std::move(mbh[r]);
    set.replicas[r].energy = std::move(energy[r]);
    set.replicas[r].abs_m = std::move(abs_m[r]);
  }
  return set;
}

void broadcast_estimates(Communicator& comm, Estimates& est, int root) {
  // Names travel as one newline-separated string, numbers as one flat array.
  std::string names;
  std::vector<double> numbers;
  if (comm.rank() == root) {
    for (const auto& kv : est.values) {
      names += kv.first + "\n";
      const GammaResult& g = kv.second;
      numbers.insert(numbers.end(), {g.value, g.error, g.tau_int, g.tau_int_error,
                                     static_cast<double>(g.window), static_cast<double>(g.n)});
    }
  }
  comm.broadcast(names, root);
  std::int64_t count = static_cast<std::int64_t>(numbers.size());
  comm.broadcast(&count, 1, root);
  numbers.resize(static_cast<std::size_t>(count));
  if (count > 0) comm.broadcast(numbers.data(), numbers.size(), root);
  if (comm.rank() == root) return;
  est.values.clear();
  std::istringstream is(names);
  std::string name;
  std::size_t k = 0;
  while (std::getline(is, name)) {
    RIGCS_CHECK(k + 6 <= numbers.size(), "broadcast_estimates: names and values disagree");
    GammaResult g;
    g.value = numbers[k];
    g.error = numbers[k + 1];
    g.tau_int = numbers[k + 2];
    g.tau_int_error = numbers[k + 3];
    g.window = static_cast<int>(numbers[k + 4]);
    g.n = static_cast<std::int64_t>(numbers[k + 5]);
    est.values[name] = g;
    k += 6;
  }
}

ImportanceEstimates estimate_importance_global(Communicator& comm, const SampleChunk& local,
                                               double beta) {
  const SampleSet set = gather_sample_set(comm, local, 0);
  ImportanceEstimates est;
  std::string error;
  if (comm.is_root()) {
    try {
      est = estimate_importance(set, beta);
    } catch (const Error& e) {
      error = e.what();
    }
  }
  // Every rank learns of the root's error, so none waits in the broadcast below.
  comm.broadcast(error, 0);
  RIGCS_CHECK(error.empty(), error);
  broadcast_estimates(comm, est, 0);
  return est;
}

}  // namespace rigcs
