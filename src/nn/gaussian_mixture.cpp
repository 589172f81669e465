#include "rigcs/nn/gaussian_mixture.hpp"

#include <cmath>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

void GaussianMixtureHead::split(const torch::Tensor& params, torch::Tensor& log_weights, torch::Tensor& means,
                                torch::Tensor& widths) const {
  const int h = components;
  RIGCS_CHECK(h >= 1, "Gaussian-mixture head needs >= 1 component, got " << h);
  RIGCS_CHECK(params.dim() >= 1 && params.size(-1) == 3 * h,
              "Gaussian-mixture head with " << h << " components expects (..., " << 3 * h << ") parameters, got "
                                            << params.sizes());
  auto p = params.to(torch::kFloat64);
  log_weights = torch::log_softmax(p.narrow(-1, 0, h), -1);
  means = p.narrow(-1, h, h);
  widths = min_width + torch::nn::functional::softplus(p.narrow(-1, 2 * h, h));
}

torch::Tensor GaussianMixtureHead::log_density(const torch::Tensor& params, const torch::Tensor& x) const {
  torch::Tensor lw, mu, sigma;
  split(params, lw, mu, sigma);
  auto z = (x.to(torch::kFloat64).unsqueeze(-1) - mu) / sigma;
  const double half_log_2pi = 0.5 * std::log(2.0 * M_PI);
  return torch::logsumexp(lw - 0.5 * z * z - torch::log(sigma) - half_log_2pi, -1);
}

torch::Tensor GaussianMixtureHead::sample(const torch::Tensor& params, torch::Generator& gen) const {
  torch::NoGradGuard no_grad;
  torch::Tensor lw, mu, sigma;
  split(params, lw, mu, sigma);
  const auto opt = lw.options();
  auto shape = lw.sizes().vec();
  shape.pop_back();
  auto u = torch::rand(shape, gen, opt);
  auto z = torch::randn(shape, gen, opt);
  // Component k: the first whose cumulative weight exceeds u (the last when rounding
  // leaves the total just below u).
  auto cdf = torch::cumsum(torch::exp(lw), -1);
  auto k = (cdf < u.unsqueeze(-1)).sum(-1).clamp_max(components - 1).unsqueeze(-1);
  return mu.gather(-1, k).squeeze(-1) + sigma.gather(-1, k).squeeze(-1) * z;
}

}  // namespace rigcs
