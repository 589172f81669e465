// MLMC-HB (Schmidt 1983; paper section 2.1 and appendix D; DESIGN.md section 5):
// ancestral sampling over the multilevel partition with nearest-neighbour heat baths.
//   - coarsest N0 x N0 lattice: exact Boltzmann weight exp(K_0 * bond sum), the bond
//     sum over the 2 N0^2 right and down bonds (each bond twice on 2x2, as in
//     ising.hpp), by enumerating its 2^(N0^2) states (N0 <= 4);
//   - level l = 2k+1 (a of block k): heat bath over the 4 diagonal coarse neighbours,
//     P(s = +1) = sigmoid(2 K_l h);
//   - level l = 2k+2 (b of block k): heat bath over the 4 nearest neighbours.
// Couplings K_0 .. K_L default to the RG recursion K_{l-1} = (3/8) log cosh(4 K_l),
// K_L = beta J, so that level L is the exact heat bath of the target. Every factor is
// a normalised Bernoulli (or the exact coarse distribution), so log q is exact. The
// couplings are one trainable parameter ("couplings", float64, shape (L+1)): log_prob
// is differentiable in them, so reverse KL can fit them.
#pragma once

#include <memory>
#include <vector>

#include "rigcs/lattice/multilevel.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

struct MlmcHbOptions {
  int coarsest_size = 2;  // N0, 1..4
  int blocks = 1;         // B; N = N0 * 2^B
  double beta = 0.44;
  double j = 1.0;
};

class MlmcHbSampler : public GenerativeSampler {
 public:
  explicit MlmcHbSampler(const MlmcHbOptions& options);
  ~MlmcHbSampler() override;

  // The RG couplings K_0 .. K_levels with K_levels = beta_j (appendix D, Eq. 37).
  static std::vector<double> rg_couplings(double beta_j, int levels);

  std::string kind() const override { return "mlmc_hb"; }
  int lattice_size() const override { return partition_.size(); }
  const MultilevelPartition& partition() const { return partition_; }
  const MlmcHbOptions& options() const { return options_; }

  // K_0 (coarsest lattice), K_1 .. K_L (levels); size L + 1.
  std::vector<double> couplings() const;
  void set_couplings(const std::vector<double>& k);

  SampleBatch sample(std::int64_t batch, torch::Generator& gen) override;
  torch::Tensor log_prob(const torch::Tensor& spins) override;
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() override;
  void to(const torch::Device& device) override;

 private:
  struct Tables;
  MlmcHbOptions options_;
  MultilevelPartition partition_;
  std::unique_ptr<Tables> tables_;
};

}  // namespace rigcs
