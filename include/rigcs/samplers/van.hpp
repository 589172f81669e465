// VAN: the masked-conv PixelCNN on the full N x N lattice (paper appendix G.1), as a
// GenerativeSampler. The plain baseline, and the coarsest level of RiGCS uses the same net.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/nn/pixelcnn.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

class VanSampler : public GenerativeSampler {
 public:
  VanSampler(int n, const PixelCnnOptions& opt = {});

  std::string kind() const override { return "van"; }
  int lattice_size() const override { return n_; }

  SampleBatch sample(std::int64_t batch, torch::Generator& gen) override;
  torch::Tensor log_prob(const torch::Tensor& spins) override;
  // Names are "van.<module path>", e.g. "van.masked.0.weight".
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() override;
  void to(const torch::Device& device) override;

  PixelCnn& net() { return net_; }

 private:
  int n_;
  PixelCnn net_;
};

}  // namespace rigcs
