// RiGCS for a real field (phi^4, paper appendix H.4): exact log q while sampling, the
// batched log_prob against the plain whole-lattice reference, the autoregressive order
// of the levels, and model transfer (theta_2 -> theta_2 and theta_4).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

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

class RigcsFieldPaths : public ::testing::TestWithParam<rigcs::FieldPath> {};

TEST_P(RigcsFieldPaths, SampledLogQEqualsLogProbAndReference) {
  for (auto [blocks, k1, k2] : {std::tuple{1, 3, 3}, std::tuple{2, 5, 5}, std::tuple{2, 5, 3}, std::tuple{3, 3, 3}}) {
    torch::manual_seed(20 + blocks + k1);
    rigcs::RigcsFieldSampler model(options(blocks, k1, k2), coarse_model(2));
    model.set_path(GetParam());
    EXPECT_EQ(model.uses_incremental(), GetParam() == rigcs::FieldPath::Incremental);
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

INSTANTIATE_TEST_SUITE_P(Both, RigcsFieldPaths,
                         ::testing::Values(rigcs::FieldPath::Incremental, rigcs::FieldPath::Patches),
                         [](const auto& info) {
                           return std::string(info.param == rigcs::FieldPath::Incremental ? "Incremental" : "Patches");
                         });

// The gradient of sum_b c_b log q(x_b) with respect to every parameter, through `path`.
std::map<std::string, torch::Tensor> gradient(rigcs::RigcsFieldSampler& model, rigcs::FieldPath path,
                                              const torch::Tensor& field, const torch::Tensor& c) {
  model.set_path(path);
  for (auto& [k, t] : model.named_parameters()) t.mutable_grad() = torch::Tensor();
  (model.log_prob(field) * c).sum().backward();
  std::map<std::string, torch::Tensor> out;
  for (auto& [k, t] : model.named_parameters()) out[k] = t.grad().clone();
  return out;
}

TEST(RigcsField, IncrementalGradientEqualsAutogradThroughThePatches) {
  // 6 channels run the kernel's any-width loops, 16 its compiled width.
  for (auto [blocks, k1, k2, channels] : {std::tuple{2, 5, 5, 6}, std::tuple{2, 3, 5, 16}, std::tuple{3, 3, 3, 16}}) {
    torch::manual_seed(40 + blocks + channels);
    auto o = options(blocks, k1, k2);
    o.channels = channels;
    rigcs::RigcsFieldSampler model(o, coarse_model(2));
    const int n = model.lattice_size();
    auto gen = at::detail::createCPUGenerator(5);
    model.set_path(rigcs::FieldPath::Incremental);
    auto drawn = model.sample(6, gen).spins;
    auto field = torch::cat({drawn, 1.5 * torch::randn({3, n, n})});
    auto c = torch::randn({field.size(0)}, torch::kFloat64);
    auto inc = gradient(model, rigcs::FieldPath::Incremental, field, c);
    auto ref = gradient(model, rigcs::FieldPath::Patches, field, c);
    ASSERT_EQ(inc.size(), ref.size());
    for (auto& [k, g] : ref) {
      const double scale = g.abs().max().item<double>() + 1e-3;
      EXPECT_LT((inc[k] - g).abs().max().item<double>() / scale, 1e-4) << k << " N = " << n << " C = " << channels;
    }
    // sample_with_grad: log q as drawn, and the gradient of the drawn fields' log q.
    model.set_path(rigcs::FieldPath::Incremental);
    auto gen2 = at::detail::createCPUGenerator(6);
    for (auto& [k, t] : model.named_parameters()) t.mutable_grad() = torch::Tensor();
    auto with_grad = model.sample_with_grad(6, gen2);
    ASSERT_TRUE(with_grad.log_q.requires_grad());
    auto c6 = torch::randn({6}, torch::kFloat64);
    (with_grad.log_q * c6).sum().backward();
    std::map<std::string, torch::Tensor> swg;
    for (auto& [k, t] : model.named_parameters()) swg[k] = t.grad().clone();
    auto gen3 = at::detail::createCPUGenerator(6);
    auto plain = model.sample(6, gen3);
    EXPECT_TRUE(torch::equal(plain.spins, with_grad.spins));
    EXPECT_LT(max_relative(with_grad.log_q.detach(), plain.log_q), 1e-12);
    auto ref2 = gradient(model, rigcs::FieldPath::Patches, plain.spins, c6);
    for (auto& [k, g] : ref2) {
      const double scale = g.abs().max().item<double>() + 1e-3;
      EXPECT_LT((swg[k] - g).abs().max().item<double>() / scale, 1e-4) << k << " N = " << n;
    }
  }
}

TEST(RigcsField, BaselineKernelAgreesWithAvx2) {
  // The 4-float baseline kernel (RIGCS_NO_AVX2) and the AVX2 one sum in other orders:
  // log q and its gradient agree up to float rounding (both equal on a CPU without AVX2).
  for (int channels : {6, 16}) {
    torch::manual_seed(60 + channels);
    auto o = options(2, 5, 3);
    o.channels = channels;
    rigcs::RigcsFieldSampler model(o, coarse_model(2));
    const int n = model.lattice_size();
    auto field = 1.5 * torch::randn({5, n, n});
    auto c = torch::randn({5}, torch::kFloat64);
    auto lq_fast = model.log_prob(field).detach();
    auto g_fast = gradient(model, rigcs::FieldPath::Incremental, field, c);
    setenv("RIGCS_NO_AVX2", "1", 1);
    auto lq_base = model.log_prob(field).detach();
    auto g_base = gradient(model, rigcs::FieldPath::Incremental, field, c);
    unsetenv("RIGCS_NO_AVX2");
    EXPECT_LT(max_relative(lq_base, lq_fast), 1e-5) << "C = " << channels;
    for (auto& [k, g] : g_fast) {
      const double scale = g.abs().max().item<double>() + 1e-3;
      EXPECT_LT((g_base[k] - g).abs().max().item<double>() / scale, 1e-4) << k << " C = " << channels;
    }
  }
}

TEST(RigcsField, IncrementalPathRefusesWhatItCannotRun) {
  auto o = options(1, 3, 3);
  o.mixture_components = 17;
  rigcs::RigcsFieldSampler model(o, coarse_model(2));
  EXPECT_FALSE(model.uses_incremental());  // Automatic falls back to the patches
  model.set_path(rigcs::FieldPath::Incremental);
  try {
    model.uses_incremental();
    FAIL() << "17 components accepted";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mixture components"), std::string::npos) << e.what();
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
