// The incremental gradient path of RiGCS (GradientPath::Incremental: log q and its
// gradient computed in the sampler's sweep, samplers/incremental_level.hpp) against
// autograd through the nets: the batched window pass (GradientPath::Patches) at every
// size, and the plain whole-lattice net per site (log_prob_reference) where it is cheap.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/nn/conditional_cnn.hpp"
#include "rigcs/parallel/communicator.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/reverse_kl.hpp"

using rigcs::GradientPath;
using rigcs::RigcsOptions;
using rigcs::RigcsSampler;

namespace {

struct Case {
  int n;  // lattice size, N0 = 2
  int kernel1, kernel2, channels, threads;
  std::string name() const {
    return "N=" + std::to_string(n) + " k=(" + std::to_string(kernel1) + "," + std::to_string(kernel2) +
           ") C=" + std::to_string(channels) + " threads=" + std::to_string(threads);
  }
};

std::unique_ptr<RigcsSampler> make_model(const Case& c, std::uint64_t seed) {
  RigcsOptions o;
  o.coarsest_size = 2;
  o.blocks = 0;
  while ((2 << o.blocks) < c.n) ++o.blocks;
  o.kernel1 = c.kernel1;
  o.kernel2 = c.kernel2;
  o.channels = c.channels;
  torch::manual_seed(seed);
  auto q = std::make_unique<RigcsSampler>(o, std::make_shared<rigcs::VanSampler>(2));
  // Random weights, larger than the default initialisation, so that the conditionals
  // are far from 1/2, LeakyReLU sees both signs, and the masks matter.
  torch::NoGradGuard no_grad;
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
  for (auto& p : q->named_parameters())
    if (p.first.rfind("coarse.", 0) != 0) p.second.copy_(torch::randn(p.second.sizes(), gen) * 0.3);
  return q;
}

// The conditional nets in float64 (the coarse model stays as it is).
void to_float64(RigcsSampler& q) {
  for (int k = 0; k < q.partition().blocks(); ++k)
    for (auto level : {rigcs::SubLevel::A, rigcs::SubLevel::B})
      if (q.has_net(k, level)) q.net(k, level)->to(torch::kFloat64);
}

struct Result {
  torch::Tensor log_q;
  std::vector<torch::Tensor> grads;
};

// log q of the spins and the gradient of sum_b c_b log q_b, c random (a loss like the
// trainer's, whose per-sample weights differ).
Result evaluate(RigcsSampler& q, const torch::Tensor& spins, const torch::Tensor& c, bool reference = false) {
  for (auto& p : q.parameters()) p.mutable_grad() = torch::Tensor();
  Result r;
  auto lq = reference ? q.log_prob_reference(spins) : q.log_prob(spins);
  (lq * c).sum().backward();
  r.log_q = lq.detach();
  for (auto& p : q.parameters())
    r.grads.push_back(p.grad().defined() ? p.grad().to(torch::kFloat64) : torch::zeros_like(p, torch::kFloat64));
  return r;
}

// max |a - b| / max scale.
double rel_diff(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& scale) {
  const double sc = scale.abs().max().item<double>();
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>() / (sc > 0 ? sc : 1.0);
}
double rel_diff(const torch::Tensor& a, const torch::Tensor& b) { return rel_diff(a, b, b); }

// The scale of each gradient entry as a sum over samples: sum_b |c_b| |d log q_b / dp|.
// The weights c_b have both signs (as the trainer's do), so the gradient itself may
// cancel to far below its terms; float rounding is relative to the terms.
std::vector<torch::Tensor> gradient_scale(RigcsSampler& q, const torch::Tensor& spins, const torch::Tensor& c) {
  std::vector<torch::Tensor> scale;
  for (std::int64_t b = 0; b < spins.size(0); ++b) {
    auto one = torch::zeros_like(c);
    one[b] = 1.0;
    auto r = evaluate(q, spins, one);
    if (scale.empty()) scale.resize(r.grads.size());
    for (std::size_t i = 0; i < r.grads.size(); ++i) {
      auto t = r.grads[i].abs() * std::abs(c[b].item<double>());
      scale[i] = scale[i].defined() ? scale[i] + t : t;
    }
  }
  return scale;
}

void expect_same(RigcsSampler& q, const Result& fast, const Result& ref, const std::string& what,
                 const std::vector<torch::Tensor>& scale = {}) {
  EXPECT_LT(rel_diff(fast.log_q, ref.log_q), 1e-5) << what << ": log q";
  auto names = q.named_parameters();
  ASSERT_EQ(fast.grads.size(), ref.grads.size());
  for (std::size_t i = 0; i < fast.grads.size(); ++i) {
    ASSERT_GT(ref.grads[i].abs().max().item<double>(), 0.0) << what << ": " << names[i].first << " has no gradient";
    const auto& sc = scale.empty() ? ref.grads[i] : scale[i];
    EXPECT_LT(rel_diff(fast.grads[i], ref.grads[i], sc), 1e-5) << what << ": " << names[i].first;
  }
}

class RigcsGradient : public ::testing::Test {
 protected:
  void TearDown() override { torch::set_num_threads(1); }
};

}  // namespace

TEST_F(RigcsGradient, IncrementalEqualsAutogradThroughPatches) {
  // Every kernel with every width at N = 4 and 8, each kernel once at N = 16 and 32
  // (widths rotating), on 1 and 2 threads alternately.
  std::vector<Case> cases;
  const int kernels[3][2] = {{5, 5}, {3, 3}, {7, 5}};
  const int widths[3] = {4, 16, 32};
  int i = 0;
  for (int n : {4, 8})
    for (const auto& k : kernels)
      for (int channels : widths) cases.push_back({n, k[0], k[1], channels, 1 + (i++ % 2)});
  for (int n : {16, 32})
    for (int j = 0; j < 3; ++j) cases.push_back({n, kernels[j][0], kernels[j][1], widths[(j + n / 16) % 3], 1 + (i++ % 2)});
  std::uint64_t seed = 100;
  for (const auto& c : cases) {
    torch::set_num_threads(c.threads);
    auto q = make_model(c, ++seed);
    const std::int64_t batch = c.n <= 8 ? 8 : 3;
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
    auto spins = q->sample(batch, gen).spins;
    auto weights = torch::randn({batch}, gen, torch::kDouble);
    q->set_gradient_path(GradientPath::Incremental);
    const Result fast = evaluate(*q, spins, weights);
    // The reference: autograd through the patch pass with the nets in float64, so that
    // its own rounding does not count against the fast path.
    auto ref = make_model(c, seed);
    to_float64(*ref);
    ref->set_gradient_path(GradientPath::Patches);
    const auto scale = gradient_scale(*ref, spins, weights);
    expect_same(*q, fast, evaluate(*ref, spins, weights), c.name() + " vs patches", scale);
    if (c.n <= 8)
      expect_same(*q, fast, evaluate(*ref, spins, weights, true), c.name() + " vs plain", scale);
  }
}

TEST_F(RigcsGradient, PathChoice) {
  auto q = make_model({8, 5, 5, 16, 1}, 1);
  EXPECT_TRUE(q->uses_incremental_gradient());  // CPU, default
  q->set_gradient_path(GradientPath::Patches);
  EXPECT_FALSE(q->uses_incremental_gradient());
  // Without gradients the incremental log q equals the patch pass too, also over more
  // samples than one chunk (4096) of the incremental path.
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(2);
  auto s = q->sample(4200, gen);
  torch::NoGradGuard no_grad;
  auto lq_patch = q->log_prob(s.spins);
  q->set_gradient_path(GradientPath::Incremental);
  auto lq_fast = q->log_prob(s.spins);
  EXPECT_FALSE(lq_fast.requires_grad());
  EXPECT_LT((lq_fast - lq_patch).abs().max().item<double>(), 1e-5);
  EXPECT_LT((lq_fast - s.log_q).abs().max().item<double>(), 1e-5);
}

TEST_F(RigcsGradient, SampleWithGradDrawsTheSameAndDifferentiates) {
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    auto q = make_model({16, 5, 5, 16, threads}, 7);
    auto gen_a = torch::make_generator<torch::CPUGeneratorImpl>(3);
    auto drawn = q->sample_with_grad(12, gen_a);
    auto gen_b = torch::make_generator<torch::CPUGeneratorImpl>(3);
    rigcs::SampleBatch plain;
    {
      torch::NoGradGuard no_grad;
      plain = q->sample(12, gen_b);
    }
    // Same random numbers in the same order: the same configurations and log q.
    EXPECT_TRUE(torch::equal(drawn.spins, plain.spins)) << threads;
    EXPECT_TRUE(torch::equal(drawn.log_q.detach(), plain.log_q)) << threads;
    ASSERT_TRUE(drawn.log_q.requires_grad());
    auto weights = torch::randn({12}, torch::kDouble);
    for (auto& p : q->parameters()) p.mutable_grad() = torch::Tensor();
    (drawn.log_q * weights).sum().backward();
    Result fused;
    fused.log_q = drawn.log_q.detach();
    for (auto& p : q->parameters()) fused.grads.push_back(p.grad().clone());
    q->set_gradient_path(GradientPath::Patches);
    expect_same(*q, fused, evaluate(*q, drawn.spins, weights), "sample_with_grad, threads " + std::to_string(threads));
  }
}

TEST_F(RigcsGradient, TrainingStepsAgreeWithThePatchPath) {
  // One trainer step from the same weights and seed on both paths: the same samples,
  // so the Adam updates agree to rounding.
  auto run = [](GradientPath path) {
    auto q = make_model({8, 5, 5, 16, 1}, 21);
    q->set_gradient_path(path);
    rigcs::SerialCommunicator comm;
    rigcs::ReverseKlOptions opt;
    opt.batch = 64;
    opt.seed = 4;
    rigcs::ReverseKlTrainer trainer(*q, opt, comm);
    auto st = trainer.step();
    std::vector<torch::Tensor> grads;
    for (auto& p : q->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(st, grads);
  };
  auto [st_fast, g_fast] = run(GradientPath::Incremental);
  auto [st_ref, g_ref] = run(GradientPath::Patches);
  EXPECT_NEAR(st_fast.mean_f, st_ref.mean_f, 1e-5 * std::abs(st_ref.mean_f));
  EXPECT_NEAR(st_fast.ess, st_ref.ess, 1e-5);
  ASSERT_EQ(g_fast.size(), g_ref.size());
  for (std::size_t i = 0; i < g_fast.size(); ++i) EXPECT_LT(rel_diff(g_fast[i], g_ref[i]), 1e-4) << i;
}
