#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>

#include <torch/torch.h>

#include "samplers/sampler_test_util.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/nn/conditional_cnn.hpp"
#include "rigcs/parallel/communicator.hpp"
#include "rigcs/train/reverse_kl.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/van.hpp"

using rigcs::MlmcHbOptions;
using rigcs::MlmcHbSampler;
using rigcs::RigcsOptions;
using rigcs::RigcsSampler;
using rigcs::SubLevel;

using namespace rigcs::testing;

namespace {

// Random weights, larger than the default initialisation so that the conditionals are
// far from 1/2 and the masks matter.
void randomise(RigcsSampler& q, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
  for (auto& p : q.named_parameters()) {
    if (p.first.rfind("coarse.", 0) == 0) continue;
    p.second.copy_(torch::randn(p.second.sizes(), gen, p.second.options()) * 0.3);
  }
}

RigcsOptions options(int n0, int blocks) {
  RigcsOptions o;
  o.coarsest_size = n0;
  o.blocks = blocks;
  return o;
}

class Rigcs : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(11);
  }
};

}  // namespace

TEST_F(Rigcs, NamesAndStructure) {
  RigcsSampler q(options(2, 2), exact_coarse(2, 0.3));
  EXPECT_EQ(q.kind(), "rigcs");
  EXPECT_EQ(q.lattice_size(), 8);
  EXPECT_TRUE(q.has_net(1, SubLevel::A));
  EXPECT_FALSE(q.has_net(1, SubLevel::B));
  EXPECT_THROW(q.net(1, SubLevel::B), rigcs::Error);
  std::vector<std::string> names;
  for (auto& p : q.named_parameters()) names.push_back(p.first);
  const std::vector<std::string> expect = {
      "coarse.couplings",   "block0.a.conv1.weight", "block0.a.conv1.bias", "block0.a.conv2.weight",
      "block0.a.conv2.bias", "block0.b.conv1.weight", "block0.b.conv1.bias", "block0.b.conv2.weight",
      "block0.b.conv2.bias", "block1.a.conv1.weight", "block1.a.conv1.bias", "block1.a.conv2.weight",
      "block1.a.conv2.bias"};
  EXPECT_EQ(names, expect);
  EXPECT_THROW(RigcsSampler(options(2, 1), exact_coarse(1, 0.3)), rigcs::Error);
  EXPECT_THROW(RigcsSampler(options(2, 0), exact_coarse(2, 0.3)), rigcs::Error);
}

TEST_F(Rigcs, NormalisedOnFourByFour) {
  for (int n0 : {2, 1}) {
    RigcsSampler q(options(n0, n0 == 2 ? 1 : 2), exact_coarse(n0, 0.3));
    randomise(q, 5 + n0);
    EXPECT_NEAR(log_total_probability(q, 4), 0.0, 1e-6) << "N0 = " << n0;
  }
}

TEST_F(Rigcs, FastPathsMatchPlainSiteBySite) {
  // N = 4 (two ways), 8, 16; a PixelCNN coarse model; a 3x3 window (kernels 3, 1).
  struct Case {
    int n0, blocks;
    bool pixelcnn;
    int kernel2;
  };
  for (Case c : {Case{2, 1, false, 5}, Case{1, 2, false, 5}, Case{2, 2, true, 5}, Case{2, 3, false, 5},
                 Case{2, 2, false, 1}}) {
    RigcsOptions o = options(c.n0, c.blocks);
    if (c.kernel2 == 1) {
      o.kernel1 = 3;
      o.kernel2 = 1;
    }
    std::shared_ptr<rigcs::GenerativeSampler> coarse =
        c.pixelcnn ? std::shared_ptr<rigcs::GenerativeSampler>(std::make_shared<rigcs::VanSampler>(2))
                   : exact_coarse(c.n0, 0.3);
    RigcsSampler q(o, coarse);
    randomise(q, 100 + c.blocks);
    const std::int64_t b = 32;
    for (auto path : {rigcs::SamplingPath::Incremental, rigcs::SamplingPath::Groups}) {
      const bool incremental = path == rigcs::SamplingPath::Incremental;
      q.set_sampling_path(path);
      EXPECT_EQ(q.uses_incremental_path(), incremental);
      auto gen = torch::make_generator<torch::CPUGeneratorImpl>(42);
      auto fast = q.sample(b, gen);
      auto gen_plain = torch::make_generator<torch::CPUGeneratorImpl>(42);
      auto plain = q.sample_reference(b, gen_plain);
      ASSERT_EQ(fast.spins.sizes(), (torch::IntArrayRef{b, q.lattice_size(), q.lattice_size()}));
      EXPECT_TRUE(torch::all(fast.spins.abs() == 1).item<bool>());
      EXPECT_TRUE(torch::all(plain.spins.abs() == 1).item<bool>());
      const std::string n = "N = " + std::to_string(q.lattice_size()) + (incremental ? " incremental" : " groups");
      // The incremental path uses the reference's random numbers in the reference's
      // order, so it draws the same configurations.
      if (incremental) {
        EXPECT_TRUE(torch::equal(fast.spins, plain.spins)) << n;
      }
      torch::NoGradGuard no_grad;
      for (const auto* s : {&fast, &plain}) {
        auto lq_fast = q.log_prob(s->spins);
        auto lq_plain = q.log_prob_reference(s->spins);
        const std::string what = n + (s == &fast ? " fast" : " plain");
        EXPECT_LT((lq_fast - lq_plain).abs().max().item<double>(), 1e-5) << what;
        EXPECT_LT((s->log_q - lq_plain).abs().max().item<double>(), 1e-5) << what;
      }
    }
  }
}

TEST_F(Rigcs, IncrementalSamplingIndependentOfThreadCount) {
  RigcsSampler q(options(2, 3), std::make_shared<rigcs::VanSampler>(2));
  randomise(q, 5);
  auto draw = [&](int threads) {
    torch::set_num_threads(threads);
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(3);
    return q.sample(24, gen);
  };
  auto one = draw(1);
  auto two = draw(2);
  torch::set_num_threads(1);
  EXPECT_TRUE(torch::equal(one.spins, two.spins));
  EXPECT_TRUE(torch::equal(one.log_q, two.log_q));
  // The baseline kernel (no AVX2) draws the same configurations, up to rounding in log q.
  setenv("RIGCS_NO_AVX2", "1", 1);
  auto generic = draw(1);
  unsetenv("RIGCS_NO_AVX2");
  EXPECT_TRUE(torch::equal(one.spins, generic.spins));
  EXPECT_LT((one.log_q - generic.log_q).abs().max().item<double>(), 1e-5);
}

TEST_F(Rigcs, FastLogProbGradientMatchesPlain) {
  RigcsSampler q(options(2, 2), std::make_shared<rigcs::VanSampler>(2));
  randomise(q, 9);
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(8);
  auto s = q.sample(16, gen).spins;
  auto grads = [&](bool fast) {
    for (auto& p : q.parameters()) p.mutable_grad() = torch::Tensor();
    (fast ? q.log_prob(s) : q.log_prob_reference(s)).sum().backward();
    std::vector<torch::Tensor> g;
    for (auto& p : q.parameters()) g.push_back(p.grad().clone());
    return g;
  };
  auto g_fast = grads(true);
  auto g_plain = grads(false);
  ASSERT_EQ(g_fast.size(), g_plain.size());
  for (std::size_t i = 0; i < g_fast.size(); ++i) {
    EXPECT_TRUE(torch::allclose(g_fast[i], g_plain[i], 1e-4, 1e-4)) << q.named_parameters()[i].first;
  }
}

TEST_F(Rigcs, DepthSchedule) {
  // With the published 9x9 periodic window every site of a level sees the one drawn
  // just before it (the row-major predecessor is across the periodic edge for the
  // first site of a row), so the exact schedule is the full sequence.
  RigcsSampler q(options(2, 3), exact_coarse(2, 0.3));
  auto steps = q.sampling_steps();  // block0 a, b, block1 a, b, block2 a, b
  EXPECT_EQ(steps, (std::vector<int>{4, 8, 16, 32, 64, 1}));
  // A 3x3 window sees no other level-a site (they are 2 apart): level a in one step;
  // level b sites see their diagonal level-b neighbours.
  RigcsOptions o = options(2, 3);
  o.kernel1 = 3;
  o.kernel2 = 1;
  RigcsSampler small_window(o, exact_coarse(2, 0.3));
  auto s3 = small_window.sampling_steps();
  EXPECT_EQ(s3[0], 1);
  EXPECT_EQ(s3[2], 1);
  EXPECT_EQ(s3[4], 1);
  EXPECT_LT(s3[3], 32);
  EXPECT_EQ(s3[5], 1);
}

TEST_F(Rigcs, ModelTransferCopiesTheBlockBelow) {
  auto same = [](rigcs::ConditionalCnn& a, rigcs::ConditionalCnn& b) {
    auto pb = b->named_parameters();
    for (auto& p : a->named_parameters())
      if (!torch::equal(p.value(), pb[p.key()])) return false;
    return true;
  };
  auto coarse2 = std::make_shared<rigcs::VanSampler>(2);
  RigcsSampler q4(options(2, 1), coarse2);
  randomise(q4, 1);
  // 4 -> 8: the old heat-bath level b has no block below: left at random.
  auto q8 = q4.grow(std::make_shared<rigcs::VanSampler>(2));
  EXPECT_EQ(q8->lattice_size(), 8);
  EXPECT_TRUE(same(q8->net(0, SubLevel::A), q4.net(0, SubLevel::A)));
  EXPECT_TRUE(same(q8->net(1, SubLevel::A), q4.net(0, SubLevel::A)));
  EXPECT_FALSE(same(q8->net(0, SubLevel::B), q4.net(0, SubLevel::A)));
  auto c4 = q4.coarse().named_parameters();
  auto c8 = q8->coarse().named_parameters();
  ASSERT_EQ(c4.size(), c8.size());
  EXPECT_NE(q8->coarse_ptr(), q4.coarse_ptr());
  for (std::size_t i = 0; i < c4.size(); ++i) EXPECT_TRUE(torch::equal(c4[i].second, c8[i].second));
  randomise(*q8, 2);
  // 8 -> 16: level b of the old last block from level b of the block below; new
  // level a from the old last level a. Coarse model shared.
  auto q16 = q8->grow();
  EXPECT_EQ(q16->coarse_ptr(), q8->coarse_ptr());
  EXPECT_TRUE(same(q16->net(0, SubLevel::A), q8->net(0, SubLevel::A)));
  EXPECT_TRUE(same(q16->net(0, SubLevel::B), q8->net(0, SubLevel::B)));
  EXPECT_TRUE(same(q16->net(1, SubLevel::A), q8->net(1, SubLevel::A)));
  EXPECT_TRUE(same(q16->net(1, SubLevel::B), q8->net(0, SubLevel::B)));
  EXPECT_TRUE(same(q16->net(2, SubLevel::A), q8->net(1, SubLevel::A)));
  // Copies, not shared tensors.
  {
    torch::NoGradGuard no_grad;
    q16->net(2, SubLevel::A)->conv1->weight.add_(1.0);
  }
  EXPECT_FALSE(same(q16->net(2, SubLevel::A), q8->net(1, SubLevel::A)));
  RigcsSampler q16b(options(2, 3), q8->coarse_ptr());
  EXPECT_THROW(q16b.transfer_from(q4), rigcs::Error);
}

TEST_F(Rigcs, ReverseKlTrainingThenGrowth) {
  // 4x4 at beta = 0.44 with the PixelCNN coarse model: reverse KL lowers <beta H + log q>,
  // which stays above -log Z = -15.50472654 (KL >= 0; 4 sigma of the batch mean).
  RigcsSampler q(options(2, 1), std::make_shared<rigcs::VanSampler>(2));
  rigcs::SerialCommunicator comm;
  rigcs::ReverseKlOptions opt;
  opt.batch = 128;
  opt.lr = 1e-2;
  opt.seed = 5;
  rigcs::ReverseKlTrainer trainer(q, opt, comm);
  double first = 0, last = 0;
  const int steps = 30;
  for (int k = 0; k < steps; ++k) {
    auto st = trainer.step();
    ASSERT_TRUE(std::isfinite(st.loss));
    if (k < 10) first += st.mean_f / 10;
    if (k >= steps - 10) last += st.mean_f / 10;
  }
  EXPECT_LT(last, first - 0.1) << "first " << first << " last " << last;
  EXPECT_GT(last, -15.50472654 - 0.5);
  // The next stage starts from the trained model and draws valid samples at once.
  auto q8 = q.grow();
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(1);
  auto b = q8->sample(64, gen);
  torch::NoGradGuard no_grad;
  EXPECT_LT((b.log_q - q8->log_prob(b.spins)).abs().max().item<double>(), 1e-5);
  std::printf("4x4 training: mean f %.4f -> %.4f (exact -log Z = -15.5047)\n", first, last);
}
