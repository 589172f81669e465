#include "rigcs/samplers/van.hpp"

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

VanSampler::VanSampler(int n, const PixelCnnOptions& opt) : n_(n), net_(opt) {
  RIGCS_CHECK(n >= 1, "VAN lattice size must be >= 1, got " << n);
}

SampleBatch VanSampler::sample(std::int64_t batch, torch::Generator& gen) {
  auto drawn = net_->sample(batch, n_, gen);
  return {drawn.first, drawn.second};
}

torch::Tensor VanSampler::log_prob(const torch::Tensor& spins) {
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n_ && spins.size(2) == n_,
              "VAN on " << n_ << "x" << n_ << " got spins of shape " << spins.sizes());
  return net_->log_prob(spins);
}

std::vector<std::pair<std::string, torch::Tensor>> VanSampler::named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : net_->named_parameters(true)) out.emplace_back("van." + item.key(), item.value());
  return out;
}

void VanSampler::to(const torch::Device& device) { net_->to(device); }

}  // namespace rigcs
