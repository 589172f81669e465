#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "samplers/sampler_test_util.hpp"
#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"

using rigcs::MlmcHbOptions;
using rigcs::MlmcHbSampler;

using namespace rigcs::testing;

namespace {

class MlmcHb : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

}  // namespace

TEST_F(MlmcHb, RgCouplingsFollowRecursion) {
  auto k = MlmcHbSampler::rg_couplings(0.44, 4);
  ASSERT_EQ(k.size(), 5u);
  EXPECT_DOUBLE_EQ(k[4], 0.44);
  for (int l = 4; l >= 1; --l) EXPECT_NEAR(k[l - 1], 0.375 * std::log(std::cosh(4 * k[l])), 1e-14);
  MlmcHbSampler q(MlmcHbOptions{2, 2, 0.44, 1.0});
  EXPECT_EQ(q.couplings(), k);
  EXPECT_EQ(q.kind(), "mlmc_hb");
  EXPECT_EQ(q.lattice_size(), 8);
  EXPECT_THROW(q.set_couplings({0.1, 0.2}), rigcs::Error);
  EXPECT_THROW(MlmcHbSampler(MlmcHbOptions{5, 1, 0.44, 1.0}), rigcs::Error);
}

TEST_F(MlmcHb, CoarsestTwoByTwoIsExactBoltzmann) {
  // B = 0: q is the Boltzmann distribution of the 2x2 torus with doubled bonds.
  MlmcHbSampler q(MlmcHbOptions{2, 0, 0.44, 1.0});
  q.set_couplings({0.3});
  auto s = enumerate_states(2, 0, 16);
  auto log_w = 0.3 * (-rigcs::ising_energy(s.to(torch::kDouble), 1.0));
  auto exact = log_w - torch::logsumexp(log_w, 0);
  EXPECT_TRUE(torch::allclose(q.log_prob(s).detach(), exact, 1e-12, 1e-12));
  // All-up has 8 satisfied bonds.
  EXPECT_NEAR(-rigcs::ising_energy(s.slice(0, 15, 16), 1.0).item<double>(), 8.0, 0);
  // N0 = 1: a single spin, uniform.
  MlmcHbSampler one(MlmcHbOptions{1, 0, 0.44, 1.0});
  EXPECT_NEAR(one.log_prob(enumerate_states(1, 0, 2)).exp().sum().item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(one.log_prob(enumerate_states(1, 0, 1)).item<double>(), std::log(0.5), 1e-12);
}

TEST_F(MlmcHb, NormalisedOnFourByFour) {
  for (int n0 : {2, 1}) {
    const int blocks = n0 == 2 ? 1 : 2;
    MlmcHbSampler q(MlmcHbOptions{n0, blocks, 0.44, 1.0});
    EXPECT_NEAR(log_total_probability(q, 4), 0.0, 1e-6) << "N0 = " << n0;
    // Couplings away from the RG values: still normalised.
    std::vector<double> k = q.couplings();
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = 0.1 + 0.2 * static_cast<double>(i);
    q.set_couplings(k);
    EXPECT_NEAR(log_total_probability(q, 4), 0.0, 1e-6) << "N0 = " << n0;
  }
}

TEST_F(MlmcHb, SampledLogQMatchesLogProb) {
  MlmcHbSampler q(MlmcHbOptions{2, 2, 0.44, 1.0});
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(1234);
  auto batch = q.sample(500, gen);
  ASSERT_EQ(batch.spins.sizes(), (torch::IntArrayRef{500, 8, 8}));
  EXPECT_TRUE(torch::all(batch.spins.abs() == 1).item<bool>());
  EXPECT_TRUE(torch::allclose(batch.log_q, q.log_prob(batch.spins).detach(), 1e-10, 1e-10));
}

TEST_F(MlmcHb, LogProbDifferentiableInCouplings) {
  MlmcHbSampler q(MlmcHbOptions{2, 1, 0.44, 1.0});
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(7);
  auto batch = q.sample(64, gen);
  auto lq = q.log_prob(batch.spins).sum();
  lq.backward();
  auto grad = q.named_parameters()[0].second.grad();
  ASSERT_TRUE(grad.defined());
  // Central difference in each coupling.
  auto k = q.couplings();
  for (std::size_t i = 0; i < k.size(); ++i) {
    const double h = 1e-6;
    auto kp = k, km = k;
    kp[i] += h;
    km[i] -= h;
    q.set_couplings(kp);
    const double fp = q.log_prob(batch.spins).sum().item<double>();
    q.set_couplings(km);
    const double fm = q.log_prob(batch.spins).sum().item<double>();
    EXPECT_NEAR(grad[static_cast<std::int64_t>(i)].item<double>(), (fp - fm) / (2 * h), 1e-4) << i;
  }
}

TEST_F(MlmcHb, ImportanceSampledLogZOnEightByEight) {
  // Exact -log Z = -60.07630753 at beta = 0.44 (DESIGN.md section 2).
  const double exact_log_z = 60.07630753;
  const double beta = 0.44;
  MlmcHbSampler q(MlmcHbOptions{2, 2, beta, 1.0});
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(20240601);
  std::vector<double> log_w;
  for (int chunk = 0; chunk < 8; ++chunk) {
    auto b = q.sample(5000, gen);
    auto lw = -beta * rigcs::ising_energy(b.spins.to(torch::kDouble), 1.0) - b.log_q;
    lw = lw.contiguous();
    log_w.insert(log_w.end(), lw.data_ptr<double>(), lw.data_ptr<double>() + lw.numel());
  }
  rigcs::GammaOptions opt;
  opt.independent = true;
  auto r = rigcs::gamma_log_mean_exp(rigcs::single_replica(log_w), opt);
  EXPECT_GT(r.error, 0);
  EXPECT_LT(r.error, 0.05);
  EXPECT_LT(std::abs(r.value - exact_log_z), 4 * r.error)
      << "log Z = " << r.value << " +- " << r.error << ", exact " << exact_log_z;
  std::printf("MLMC-HB 8x8: log Z = %.6f +- %.6f (exact %.8f)\n", r.value, r.error, exact_log_z);
}
