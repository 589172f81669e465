// Helpers shared by the sampler tests: every configuration of a small lattice, the total
// probability a sampler gives them, and an exact heat-bath model for the coarsest level.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs::testing {

// All 2^(n*n) configurations with indices [begin, end), as (B, n, n) floats.
inline torch::Tensor enumerate_states(int n, std::int64_t begin, std::int64_t end) {
  auto idx = torch::arange(begin, end, torch::kLong).unsqueeze(1);
  auto bits = torch::arange(n * n, torch::kLong).unsqueeze(0);
  return (torch::bitwise_and(torch::bitwise_right_shift(idx, bits), 1).to(torch::kFloat) * 2 - 1)
      .reshape({end - begin, n, n});
}

// log of the sum of q over all states of the n x n lattice.
inline double log_total_probability(GenerativeSampler& q, int n) {
  torch::NoGradGuard no_grad;
  const std::int64_t states = std::int64_t{1} << (n * n);
  const std::int64_t chunk = 8192;
  std::vector<torch::Tensor> parts;
  for (std::int64_t b = 0; b < states; b += chunk) {
    parts.push_back(q.log_prob(enumerate_states(n, b, std::min(states, b + chunk))).to(torch::kDouble));
  }
  return torch::logsumexp(torch::cat(parts), 0).item<double>();
}

// An exactly normalised coarsest level: the MLMC heat bath at coupling k0 on n0 x n0.
inline std::shared_ptr<GenerativeSampler> exact_coarse(int n0, double k0) {
  return std::make_shared<MlmcHbSampler>(MlmcHbOptions{n0, 0, k0, 1.0});
}

}  // namespace rigcs::testing
