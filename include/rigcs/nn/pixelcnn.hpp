// Masked-convolution PixelCNN over an N x N lattice (Wu et al. 2019 VAN; paper
// appendix G.1), raster (row-major) order, zero padding. For Ising spins the output is
// P(s_v = +1 | s_<v) per site (a Bernoulli head). For a real field (phi^4, appendix
// H.4; mixture_components > 0) it is a Gaussian mixture per site, and the input has a
// second channel, 1 on the lattice: after zero padding it tells a site whose field is 0
// from a site off the lattice. Used as the plain VAN and as the coarsest level of RiGCS.
//
// The network is not periodic in its conditioning (zero padding), which is fine: an
// autoregressive product of normalised conditionals is exactly normalised anyway.
#pragma once

#include <cstdint>
#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "rigcs/nn/gaussian_mixture.hpp"

namespace rigcs {

struct PixelCnnOptions {
  int depth = 3;         // masked convolutions (first exclusive of the centre)
  int width = 16;        // channels
  int half_kernel = 6;   // kernel (2 h + 1) x (2 h + 1)
  double epsilon = 1e-7; // P(+1) is kept in [eps, 1 - eps] so log q stays finite
  bool residual = true;  // middle layers as residual blocks (1x1 conv, PReLU, masked conv)
  bool z2 = true;        // symmetrise under the global flip s -> -s
  bool bias = true;
  // 0: Ising spins, Bernoulli head. H > 0: a real field with an H-component
  // Gaussian-mixture head (nn/gaussian_mixture.hpp) whose widths are >= mixture_min_width.
  int mixture_components = 0;
  double mixture_min_width = 1e-3;
};

class PixelCnnImpl : public torch::nn::Module {
 public:
  explicit PixelCnnImpl(const PixelCnnOptions& opt = {});

  const PixelCnnOptions& options() const { return opt_; }

  // Rows above a site that can influence it: depth * half_kernel.
  int receptive_rows() const { return opt_.depth * opt_.half_kernel; }

  bool real_field() const { return opt_.mixture_components > 0; }
  GaussianMixtureHead mixture_head() const { return {opt_.mixture_components, opt_.mixture_min_width}; }

  // Pre-sigmoid outputs, (B, H, W) float, for spins (B, H, W). Not symmetrised.
  // Bernoulli head only.
  torch::Tensor logits(const torch::Tensor& spins);

  // Mixture parameters (B, H, W, 3 components) for a field (B, H, W). Mixture head only.
  torch::Tensor mixture_params(const torch::Tensor& field);

  // P(s = +1) per site in float64, eps + (1 - 2 eps) * sigmoid(logit): the two
  // outcomes sum to 1 exactly, so q stays normalised with the epsilon.
  torch::Tensor plus_probability(const torch::Tensor& logits) const;

  // Sum over sites of log q(s_v | s_<v), (B) float64, from P(+1) (B, N, N).
  static torch::Tensor log_prob_from(const torch::Tensor& spins, const torch::Tensor& p_plus);

  // Unsymmetrised log q of spins or a field (B, N, N): one forward pass.
  torch::Tensor log_prob_raw(const torch::Tensor& spins);

  // log q (B) float64 of spins (B, N, N), symmetrised when options().z2:
  // logsumexp(log q(s), log q(-s)) - log 2. Carries gradients.
  torch::Tensor log_prob(const torch::Tensor& spins);

  // Draws (B, n, n) float spins (or field values) and their log q (float64, as log_prob
  // would give), without gradients. Site by site in raster order with cached per-layer
  // values: each site computes every layer once, at that site only, from the cached
  // causal windows. Random numbers: per site in raster order, one float64 uniform per
  // sample (mixture head: GaussianMixtureHead::sample's uniforms and normals), then (if
  // z2) one flip bit per sample, all from `gen`.
  std::pair<torch::Tensor, torch::Tensor> sample(std::int64_t batch, int n,
                                                 torch::Generator& gen);

 private:
  // The output map (B, outputs, H, W) of the stacked masked convolutions for an input
  // map (B, in_channels, H, W).
  torch::Tensor trunk(torch::Tensor x);
  // The input map of a field (B, H, W): the field and the on-lattice channel.
  torch::Tensor field_input(const torch::Tensor& field) const;
  torch::Tensor masked_conv(const torch::nn::Conv2dImpl& conv, const torch::Tensor& mask,
                            const torch::Tensor& x) const;

  PixelCnnOptions opt_;
  torch::nn::ModuleList masked_convs_{nullptr};  // depth masked convolutions
  torch::nn::ModuleList res_convs_{nullptr};     // 1x1 convs of the residual blocks
  torch::nn::ModuleList prelus_{nullptr};        // one before each masked conv > 0, one at the end
  torch::nn::Conv2d out_conv_{nullptr};          // 1x1, width -> 1
  torch::Tensor mask_exclusive_;
  torch::Tensor mask_inclusive_;
};
TORCH_MODULE(PixelCnn);

}  // namespace rigcs
