// Reverse-KL training of a generative sampler on a lattice model (paper appendix G.4):
// REINFORCE with the batch-mean baseline,
//   loss = mean over the batch of (f - mean f) * log q(s),  f = S(s) + log q(s) detached,
// with S the action (Ising: beta H; any model through ReverseKlOptions::action),
// and Adam. Data parallel: each rank draws its share of the global batch, the
// gradient is summed over ranks in one allreduce and equals the gradient of the loss
// over the global batch; rank 0's initial weights are broadcast at construction.
//
// Random numbers: step k on rank r draws from a torch generator seeded from
// (seed, rank r, step k), so a run resumed from a checkpoint at step k continues
// exactly, at any rank count, with no generator state to carry.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/parallel/communicator.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

struct ReverseKlOptions {
  // The target: S(s) per sample, (B) float64, for configurations (B, N, N). Empty:
  // the Ising action beta H with the coupling j.
  std::function<torch::Tensor(const torch::Tensor&)> action;
  double beta = 0.44;
  double j = 1.0;
  std::int64_t batch = 100;  // global batch, split over ranks
  double lr = 1e-3;          // Adam, default betas (0.9, 0.999), eps 1e-8
  // Cosine decay of the learning rate from lr (step 1) to lr * lr_end_factor (step
  // decay_steps, and after); decay_steps = 0: constant lr. A function of the step
  // count only, so resumed runs continue it exactly.
  std::int64_t decay_steps = 0;
  double lr_end_factor = 1.0;
  // Annealing of the target (Wu, Wang and Zhang 2019, the VAN paper): step k (1-based)
  // trains on the tempered target exp(-a_k S) with a_k = 1 - beta_anneal^k, which
  // starts near 0 (beta = 0: every configuration equally likely) and tends to 1. It
  // keeps a model from collapsing onto the ground states early. 0: no annealing
  // (a_k = 1). A function of the step count only, so resumed runs continue it exactly.
  // The reported mean_f and ESS are always those of the true target S.
  double beta_anneal = 0.0;
  std::uint64_t seed = 0;
};

struct TrainStepStats {
  std::int64_t step = 0;   // steps done after this one (1 after the first)
  double loss = 0;         // REINFORCE surrogate over the global batch
  double mean_f = 0;       // global mean of beta H + log q: an upper bound of beta F
  double anneal = 1;       // the annealing factor a_k the loss used (ReverseKlOptions::beta_anneal)
  double ess = 0;          // batch ESS per sample, (sum w)^2 / (M sum w^2), global
  double entropy = 0;      // -mean log q over the global batch (nats): the model's entropy
  double seconds = 0;      // wall time of the step on this rank
};

// Named tensors of a trainer's state, for checkpoints. Names:
//   "param/<name>"                 every parameter (float32, its shape)
//   "buffer/<name>"                every buffer of the sampler
//   "adam/<name>/exp_avg", "adam/<name>/exp_avg_sq"  (float32, the parameter's shape)
//   "adam/<name>/step"             int64 (1)  (absent before the first step)
//   "trainer/step", "trainer/seed" int64 (1)  (the seed's bits as int64)
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class ReverseKlTrainer {
 public:
  ReverseKlTrainer(GenerativeSampler& model, const ReverseKlOptions& opt, Communicator& comm);
  ~ReverseKlTrainer();
  ReverseKlTrainer(const ReverseKlTrainer&) = delete;
  ReverseKlTrainer& operator=(const ReverseKlTrainer&) = delete;

  // One training step: draw this rank's share, gradient, Adam. Throws rigcs::Error
  // "non-finite loss at step K" (K = 1-based number of the failed step) when the loss
  // or the gradient is not finite; the weights are then left as before the step.
  TrainStepStats step();

  // The gradient part alone, for given spins (this rank's share, (b, N, N)) of a
  // global batch of `global_batch` samples: zeroes the gradients, backpropagates and
  // leaves in every parameter's grad() the gradient of the loss over the global batch
  // (the same on every rank). Does not step the optimizer or the step counter.
  TrainStepStats accumulate_gradient(const torch::Tensor& local_spins, std::int64_t global_batch);

  std::int64_t steps_done() const;
  // The learning rate of step k (1-based), with the decay above.
  double learning_rate(std::int64_t k) const;
  // The annealing factor a_k of step k (1-based): 1 - beta_anneal^k, 1 without annealing.
  double anneal_factor(std::int64_t k) const;
  const ReverseKlOptions& options() const;
  GenerativeSampler& model();

  // Checkpoint state (see NamedTensors). export_state copies; import_state refuses a
  // state whose parameter names or shapes differ from the model, naming the first
  // mismatch, and takes the seed and step counter from the state.
  NamedTensors export_state() const;
  void import_state(const NamedTensors& state);

 private:
  void check_spins(const torch::Tensor& local_spins) const;
  // The gradient from this rank's spins and their log q (carrying gradients).
  TrainStepStats gradient_from(const torch::Tensor& local_spins, const torch::Tensor& log_q,
                               std::int64_t global_batch);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Weights summarised for cross-rank comparison: the double sum of all parameters and
// an FNV-1a hash of their bytes (in named_parameters order).
struct WeightChecksum {
  double sum = 0;
  std::uint64_t hash = 0;
  bool operator==(const WeightChecksum& o) const { return sum == o.sum && hash == o.hash; }
  bool operator!=(const WeightChecksum& o) const { return !(*this == o); }
};
WeightChecksum weight_checksum(GenerativeSampler& model);

// True when every rank holds the same weights (compares checksums over comm).
bool weights_agree(GenerativeSampler& model, Communicator& comm);

}  // namespace rigcs
