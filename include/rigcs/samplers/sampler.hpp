// The generative-sampler interface. Every estimator works on (log q, -beta H)
// pairs, whatever sampler made them; the samplers know nothing of MPI or files.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace rigcs {

struct SampleBatch {
  torch::Tensor spins;  // (B, N, N), float, values +-1
  torch::Tensor log_q;  // (B), float64, log q of each sample as computed while drawing
};

class GenerativeSampler {
 public:
  virtual ~GenerativeSampler() = default;

  virtual std::string kind() const = 0;  // "van", "mlmc_hb", "rigcs"
  virtual int lattice_size() const = 0;  // N

  // Draw a batch without gradients. `gen` is the sampler's random stream.
  virtual SampleBatch sample(std::int64_t batch, torch::Generator& gen) = 0;

  // log q of given spins (B, N, N); carries gradients unless under NoGradGuard.
  virtual torch::Tensor log_prob(const torch::Tensor& spins) = 0;

  // Draw a batch for training: the spins of sample(batch, gen) (the same random
  // numbers in the same order) with a log_q that carries gradients with respect to
  // the parameters, as log_prob(spins) would. This default draws, then calls
  // log_prob; a sampler may compute both in one pass (RiGCS on the CPU does).
  virtual SampleBatch sample_with_grad(std::int64_t batch, torch::Generator& gen);

  // Trainable parameters, named for checkpoints ("coarse.conv0.weight", ...).
  // Names are stable across runs of the same architecture.
  virtual std::vector<std::pair<std::string, torch::Tensor>> named_parameters() = 0;

  // Non-trainable state that a checkpoint must also hold (may be empty).
  virtual std::vector<std::pair<std::string, torch::Tensor>> named_buffers() { return {}; }

  virtual void to(const torch::Device& device) = 0;

  // The device of the parameters (the CPU for a model without any).
  torch::Device device();

  std::vector<torch::Tensor> parameters() {
    std::vector<torch::Tensor> out;
    for (auto& p : named_parameters()) out.push_back(p.second);
    return out;
  }
};

// A random stream for draws on `device`, seeded with `seed`: a CPU generator, or an
// independent copy of the device's default generator (torch draws on a device need
// a generator of that device).
torch::Generator make_generator(const torch::Device& device, std::uint64_t seed);

}  // namespace rigcs
