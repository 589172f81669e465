#include "rigcs/samplers/sampler.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/torch.h>

namespace rigcs {

SampleBatch GenerativeSampler::sample_with_grad(std::int64_t batch, torch::Generator& gen) {
  SampleBatch drawn;
  {
    torch::NoGradGuard no_grad;
    drawn = sample(batch, gen);
  }
  drawn.log_q = log_prob(drawn.spins);
  return drawn;
}

torch::Device GenerativeSampler::device() {
  for (auto& p : named_parameters()) return p.second.device();
  return torch::Device(torch::kCPU);
}

torch::Generator make_generator(const torch::Device& device, std::uint64_t seed) {
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
  torch::Generator g = at::globalContext().defaultGenerator(device).clone();
  g.set_current_seed(seed);
  return g;
}

}  // namespace rigcs
