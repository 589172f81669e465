// RiGCS for a real field (phi^4, paper appendix H.4): exact log q while sampling, the
// batched log_prob against the plain whole-lattice reference, the autoregressive order
// of the levels, and model transfer (theta_2 -> theta_2 and theta_4).
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/samplers/rigcs_field.hpp"
#include "rigcs/samplers/van.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

std::shared_ptr<rigcs::VanSampler> coarse_model(int n0) {
  rigcs::PixelCnnOptions o;
  o.depth = 2;
  o.width = 8;
  o.half_kernel = 2;
  o.mixture_components = 3;
  return std::make_shared<rigcs::VanSampler>(n0, o);
}

rigcs::RigcsFieldOptions options(int blocks, int k1, int k2) {
  rigcs::RigcsFieldOptions o;
  o.coarsest_size = 2;
  o.blocks = blocks;
  o.channels = 6;
  o.kernel1 = k1;
  o.kernel2 = k2;
  return o;
}

double max_relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / b.abs().clamp_min(1.0)).max().item<double>();
}

TEST(RigcsField, SampledLogQEqualsLogProbAndReference) {
  for (auto [blocks, k1, k2] : {std::tuple{1, 3, 3}, std::tuple{2, 5, 5}, std::tuple{2, 5, 3}, std::tuple{3, 3, 3}}) {
    torch::manual_seed(20 + blocks + k1);
    rigcs::RigcsFieldSampler model(options(blocks, k1, k2), coarse_model(2));
    const int n = 2 << blocks;
    ASSERT_EQ(model.lattice_size(), n);
    auto gen = at::detail::createCPUGenerator(9);
    auto drawn = model.sample(12, gen);
    ASSERT_EQ(drawn.spins.sizes(), (std::vector<std::int64_t>{12, n, n}));
    EXPECT_FALSE(drawn.log_q.requires_grad());
    auto lq = model.log_prob(drawn.spins);
    EXPECT_TRUE(lq.requires_grad());
    EXPECT_LT(max_relative(lq.detach(), drawn.log_q), 1e-5) << "N = " << n << " k = " << k1 << "," << k2;
    EXPECT_LT(max_relative(model.log_prob_reference(drawn.spins), lq.detach()), 1e-5) << "N = " << n;
    // Any field, not only the model's own draws.
    auto other = torch::randn({5, n, n});
    EXPECT_LT(max_relative(model.log_prob_reference(other), model.log_prob(other).detach()), 1e-5);
    auto gen2 = at::detail::createCPUGenerator(9);
    EXPECT_TRUE(torch::equal(model.sample(12, gen2).spins, drawn.spins));
  }
}

TEST(RigcsField, EachSiteSeesOnlyWhatWasDrawnBeforeIt) {
  torch::manual_seed(31);
  rigcs::RigcsFieldSampler model(options(2, 3, 3), coarse_model(2));
  const int n = 8;
  auto field = torch::randn({1, n, n});
  const auto& blk = model.partition().block(1);  // the finest block: stride 1
  for (rigcs::SubLevel level : {rigcs::SubLevel::A, rigcs::SubLevel::B}) {
    auto base = model.level_params(field, 1, level).detach();
    const auto& sites = blk.sites(level);
    for (std::size_t p = 0; p < sites.size(); ++p) {
      // Change the site itself: no conditional of its level up to and including its own moves.
      auto f2 = field.clone();
      f2.view({-1})[sites[p]] += 2.0;
      auto changed = (model.level_params(f2, 1, level).detach() - base).abs().sum(-1).flatten();
      for (std::size_t u = 0; u <= p; ++u)
        EXPECT_EQ(changed[static_cast<std::int64_t>(u)].item<double>(), 0.0) << "level site " << u << " after " << p;
      // ... and the next site of the level, a neighbour in its 5x5 window, does move.
      if (p == 0) {
        EXPECT_GT(changed[1].item<double>(), 0.0);
      }
    }
  }
  // Level b sees level a: changing an a site moves some b conditional.
  auto f3 = field.clone();
  f3.view({-1})[blk.level_a_sites[0]] += 2.0;
  EXPECT_GT((model.level_params(f3, 1, rigcs::SubLevel::B) - model.level_params(field, 1, rigcs::SubLevel::B)).abs().sum().item<double>(),
            0.0);
  // A field of another size is refused.
  EXPECT_THROW(model.log_prob(torch::zeros({1, 4, 4})), rigcs::Error);
}

TEST(RigcsField, TransferCopiesEveryNetAndTheLastBlockOnward) {
  torch::manual_seed(32);
  rigcs::RigcsFieldSampler small(options(1, 3, 3), coarse_model(2));
  auto big = small.grow();
  ASSERT_EQ(big->lattice_size(), 8);
  std::map<std::string, torch::Tensor> s, b;
  for (auto& [k, t] : small.named_parameters()) s[k] = t;
  for (auto& [k, t] : big->named_parameters()) b[k] = t;
  for (auto& [k, t] : s) {
    ASSERT_TRUE(b.count(k)) << k;
    EXPECT_TRUE(torch::equal(t, b[k])) << k;
  }
  for (const char* lv : {"a", "b"})
    for (const char* w : {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"})
      EXPECT_TRUE(torch::equal(b[std::string("block1.") + lv + "." + w], s[std::string("block0.") + lv + "." + w]))
          << lv << " " << w;
  EXPECT_EQ(b.size(), s.size() + 8);
  // Nets of another shape are refused.
  rigcs::RigcsFieldSampler other(options(2, 5, 5), coarse_model(2));
  EXPECT_THROW(other.transfer_from(small), rigcs::Error);
}

}  // namespace
