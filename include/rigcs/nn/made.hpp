// MADE (Germain et al. 2015): a dense autoregressive net over D binary sites drawn in a
// fixed order, conditioned on C spins that every output may see. Masked dense layers
// with PReLU, a logit per site; P(s_t = +1 | cond, s_<t) = eps + (1 - 2 eps) sigmoid(logit).
// The nets of HAN (samplers/han.hpp): the boundary net (C = 0) and one net per level
// that draws the cross of a square from the square's border.
//
// Degrees: the conditioning inputs have degree 0, site t (0-based) has degree t + 1;
// hidden unit h of every layer has degree m(h) = floor(h D / W) in [0, D - 1]
// (contiguous, non-decreasing, every degree present since W >= D). A hidden unit
// sees inputs of degree <= m, a deeper unit sees units of degree <= its own, and
// output t sees last-layer units of degree <= t: output t depends on cond and s_<t only.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace rigcs {

struct MadeOptions {
  int conditioning = 0;  // C: spins visible to every output (a square's border)
  int sites = 1;         // D: sites drawn autoregressively
  int width = 2;         // hidden units per layer: width * (C + D), the net's input count
  int depth = 2;         // hidden layers
  double epsilon = 1e-7; // P(+1) is kept in [eps, 1 - eps] so log q stays finite
};

class MadeImpl : public torch::nn::Module {
 public:
  explicit MadeImpl(const MadeOptions& opt);

  const MadeOptions& options() const { return opt_; }
  int hidden() const { return hidden_; }
  // Hidden units of degree m are [group_begin(m), group_begin(m + 1)), m in [0, D].
  std::int64_t group_begin(int m) const { return group_begin_[static_cast<std::size_t>(m)]; }

  // Logits (B, D) in the net's dtype for conditioning (B, C) and sites (B, D), both +-1
  // (the net's dtype is used; C = 0 takes an empty or undefined cond). One full pass.
  torch::Tensor logits(const torch::Tensor& cond, const torch::Tensor& sites);

  // P(s = +1) in float64 from logits.
  torch::Tensor plus_probability(const torch::Tensor& logits) const;

  // Sum over the D sites of log q(s_t | cond, s_<t), (B) float64. Carries gradients.
  torch::Tensor log_prob(const torch::Tensor& cond, const torch::Tensor& sites);

  // Draws sites (B, D) (net dtype, +-1) given cond, and their log q (B) float64,
  // without gradients. Random numbers: one float64 uniform per row per site, in site
  // order, from `gen`; s_t = +1 iff u < P(+1).
  // Incremental: the first layer's pre-activations are cached and drawing s_t adds
  // s_t times column t of the masked W1 to the units that see it (O(width)); deeper
  // units of degree t are computed once, when their inputs are final, so the whole
  // draw costs about one MADE pass instead of D.
  std::pair<torch::Tensor, torch::Tensor> sample(const torch::Tensor& cond, std::int64_t batch,
                                                 torch::Generator& gen);

  // The reference: the same draw with a full MADE pass per site (same random numbers,
  // same configurations up to rounding of the logits).
  std::pair<torch::Tensor, torch::Tensor> sample_plain(const torch::Tensor& cond, std::int64_t batch,
                                                       torch::Generator& gen);

  // The masked weight of layer l (0 = first, depth = output), for tests.
  torch::Tensor masked_weight(int layer) const;

 private:
  torch::Tensor first_preactivation(const torch::Tensor& cond, std::int64_t batch) const;
  void check_cond(const torch::Tensor& cond, std::int64_t batch) const;

  MadeOptions opt_;
  std::int64_t hidden_ = 0;
  std::vector<std::int64_t> group_begin_;  // D + 1 entries
  std::vector<torch::Tensor> weights_;     // depth + 1 weights (out, in), registered
  std::vector<torch::Tensor> biases_;      // depth + 1 biases
  std::vector<torch::Tensor> alphas_;      // depth PReLU slopes (W)
  std::vector<torch::Tensor> masks_;       // depth + 1 masks (out, in), float, not parameters
};
TORCH_MODULE(Made);

}  // namespace rigcs
