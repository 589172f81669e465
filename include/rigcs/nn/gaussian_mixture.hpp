// A Gaussian-mixture head for real-valued sites (phi^4; paper appendix H.4): a net
// outputs 3 H numbers per site, read as H mixture logits, H means and H raw widths,
//   q(x) = sum_k softmax(logits)_k N(x; mu_k, sigma_k),  sigma_k = min_width + softplus(raw_k).
// The density is normalised for every output, so an autoregressive product of such
// conditionals keeps log q exact. The floor min_width keeps log q finite.
#pragma once

#include <torch/types.h>

namespace rigcs {

struct GaussianMixtureHead {
  int components = 3;       // H
  double min_width = 1e-3;  // sigma >= min_width

  int outputs() const { return 3 * components; }

  // params (..., 3H) in the net's dtype, x (...): log q(x), float64, shape (...).
  torch::Tensor log_density(const torch::Tensor& params, const torch::Tensor& x) const;

  // One draw per row of params (..., 3H): the component by inverse CDF from one
  // uniform, then mu + sigma * z with one standard normal, both float64 from `gen`
  // (uniforms first, then normals, each in row order). Returns float64 (...).
  torch::Tensor sample(const torch::Tensor& params, torch::Generator& gen) const;

  // The mixture's parts, float64 (..., H): log weights, means, widths.
  void split(const torch::Tensor& params, torch::Tensor& log_weights, torch::Tensor& means,
             torch::Tensor& widths) const;
};

}  // namespace rigcs
