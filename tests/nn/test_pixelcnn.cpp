// PixelCNN: exact normalisation, the autoregressive property, and the fast (cached,
// per-layer incremental) sampler against the plain one that re-runs the whole net per site.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/nn/pixelcnn.hpp"

namespace {

using rigcs::PixelCnn;
using rigcs::PixelCnnOptions;

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

// All 2^(n n) configurations, (2^(n n), n, n), +-1.
torch::Tensor all_states(int n) {
  const int v = n * n;
  const std::int64_t m = std::int64_t{1} << v;
  auto s = torch::empty({m, n, n}, torch::kFloat32);
  auto a = s.accessor<float, 3>();
  for (std::int64_t k = 0; k < m; ++k)
    for (int i = 0; i < v; ++i) a[k][i / n][i % n] = ((k >> i) & 1) ? 1.0f : -1.0f;
  return s;
}

PixelCnnOptions small(int depth, int width, int h, bool z2) {
  PixelCnnOptions o;
  o.depth = depth;
  o.width = width;
  o.half_kernel = h;
  o.z2 = z2;
  return o;
}

// Plain reference: the whole net on the whole lattice for every site, drawing the
// same random numbers in the same order as PixelCnnImpl::sample.
std::pair<torch::Tensor, torch::Tensor> plain_sample(PixelCnn& net, std::int64_t b, int n,
                                                     torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  auto spins = torch::zeros({b, n, n});
  auto log_q = torch::zeros({b}, torch::kFloat64);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      auto p = net->plus_probability(net->logits(spins)).select(1, i).select(1, j);
      auto u = torch::rand({b}, gen, torch::kFloat64);
      auto up = u < p;
      spins.select(1, i).select(1, j).copy_(torch::where(up, 1.0, -1.0));
      log_q += torch::where(up, torch::log(p), torch::log1p(-p));
    }
  if (net->options().z2) {
    auto lf = net->log_prob_raw(-spins);
    log_q = torch::logsumexp(torch::stack({log_q, lf}), 0) - std::log(2.0);
    auto flip = torch::randint(0, 2, {b}, gen, torch::kFloat64) * 2.0 - 1.0;
    spins.mul_(flip.to(torch::kFloat32).view({b, 1, 1}));
  }
  return {spins, log_q};
}

void expect_normalised(int n, const PixelCnnOptions& o) {
  torch::manual_seed(11);
  PixelCnn net(o);
  torch::NoGradGuard no_grad;
  auto lq = net->log_prob(all_states(n));
  ASSERT_EQ(lq.scalar_type(), torch::kFloat64);
  const double total = torch::exp(lq).sum().item<double>();
  EXPECT_NEAR(total, 1.0, 1e-6) << "n=" << n << " z2=" << o.z2;
}

TEST(PixelCnn, NormalisedOn2x2And3x3) {
  for (bool z2 : {false, true}) {
    expect_normalised(2, PixelCnnOptions{3, 16, 6, 1e-7, true, z2});  // published coarsest net
    expect_normalised(3, small(3, 8, 2, z2));
    expect_normalised(3, small(2, 4, 1, z2));  // receptive field smaller than the lattice
  }
}

TEST(PixelCnn, NormalisedWithSaturatedOutputs) {
  // Huge weights push sigmoid to 0 or 1; the epsilon keeps log q finite and normalised.
  torch::manual_seed(3);
  PixelCnn net(small(2, 4, 1, false));
  {
    torch::NoGradGuard g;
    for (auto& p : net->parameters()) p.mul_(200.0);
  }
  torch::NoGradGuard no_grad;
  auto lq = net->log_prob(all_states(3));
  EXPECT_TRUE(torch::isfinite(lq).all().item<bool>());
  EXPECT_NEAR(torch::exp(lq).sum().item<double>(), 1.0, 1e-6);
}

TEST(PixelCnn, OutputDependsOnlyOnEarlierSites) {
  torch::manual_seed(5);
  PixelCnn net(small(3, 6, 2, false));
  torch::NoGradGuard no_grad;
  const int n = 5;
  auto gen = at::detail::createCPUGenerator(17);
  auto s = torch::randint(0, 2, {4, n, n}, gen, torch::kFloat32) * 2 - 1;
  auto base = net->logits(s);
  for (int v = 0; v < n * n; ++v) {
    auto t = s.clone();
    t.select(1, v / n).select(1, v % n).mul_(-1);
    auto changed = (net->logits(t) - base).abs().flatten(1).amax(0);  // (n n)
    for (int w = 0; w <= v; ++w) EXPECT_EQ(changed[w].item<float>(), 0.0f) << "site " << w << " sees " << v;
    // The right neighbour is in the first (exclusive) kernel, so it must see v.
    if (v % n + 1 < n) {
      EXPECT_GT(changed[v + 1].item<float>(), 0.0f) << "next site ignores " << v;
    }
  }
}

// The net's logits with every kernel applied in full (no cropping of taps that only
// see the zero padding), spelled out for depth 3 with one residual block.
torch::Tensor full_kernel_logits(PixelCnn& net, const torch::Tensor& spins) {
  auto params = net->named_parameters();
  const int h = net->options().half_kernel;
  const int k = 2 * h + 1;
  auto mask = [&](bool inclusive) {
    auto m = torch::zeros({k, k});
    for (int r = 0; r < k; ++r)
      for (int c = 0; c < k; ++c)
        if (r < h || (r == h && (c < h || (inclusive && c == h)))) m[r][c] = 1.0;
    return m;
  };
  auto conv = [&](const torch::Tensor& x, const std::string& name, const torch::Tensor& m, int pad) {
    auto w = params[name + ".weight"];
    return torch::conv2d(x, m.defined() ? w * m : w, params[name + ".bias"], 1, pad);
  };
  auto prelu = [&](const torch::Tensor& x, int i) { return torch::prelu(x, params["prelu." + std::to_string(i) + ".weight"]); };
  auto x = conv(spins.unsqueeze(1), "masked.0", mask(false), h);
  x = x + conv(prelu(conv(x, "res.0", {}, 0), 0), "masked.1", mask(true), h);
  x = conv(prelu(x, 1), "masked.2", mask(true), h);
  return conv(prelu(x, 2), "out", {}, 0).squeeze(1);
}

TEST(PixelCnn, CroppedKernelsAreExact) {
  // On lattices smaller than the kernel the net crops the taps that only see padding.
  torch::manual_seed(13);
  PixelCnn net(PixelCnnOptions{3, 8, 6, 1e-7, true, false});
  torch::NoGradGuard no_grad;
  for (int n : {1, 2, 3, 5, 8, 14}) {
    auto s = torch::randint(0, 2, {4, n, n}).to(torch::kFloat32) * 2 - 1;
    EXPECT_LT((net->logits(s) - full_kernel_logits(net, s)).abs().max().item<double>(), 1e-5) << "n=" << n;
  }
}

TEST(PixelCnn, ZTwoSymmetric) {
  torch::manual_seed(7);
  PixelCnn net(small(3, 8, 2, true));
  torch::NoGradGuard no_grad;
  auto s = all_states(3);
  EXPECT_TRUE(torch::allclose(net->log_prob(s), net->log_prob(-s), 0, 1e-12));
}

void expect_fast_equals_plain(int n, const PixelCnnOptions& o, std::int64_t b) {
  torch::manual_seed(23);
  PixelCnn net(o);
  auto g1 = at::detail::createCPUGenerator(99);
  auto g2 = at::detail::createCPUGenerator(99);
  auto fast = net->sample(b, n, g1);
  auto plain = plain_sample(net, b, n, g2);
  EXPECT_TRUE(torch::equal(fast.first, plain.first)) << "n=" << n << " rows=" << net->receptive_rows();
  EXPECT_LT((fast.second - plain.second).abs().max().item<double>(), 1e-6);
}

TEST(PixelCnn, FastSamplingEqualsPlain) {
  expect_fast_equals_plain(4, PixelCnnOptions{3, 16, 6, 1e-7, true, true}, 16);
  expect_fast_equals_plain(7, small(3, 6, 1, false), 16);  // rows cropped: 3 < 7
  expect_fast_equals_plain(8, small(2, 4, 2, true), 16);
  expect_fast_equals_plain(6, PixelCnnOptions{4, 5, 1, 1e-7, false, false}, 8);  // no residual
  expect_fast_equals_plain(9, PixelCnnOptions{3, 16, 3, 1e-7, true, false}, 8);  // window wraps rows
  expect_fast_equals_plain(5, PixelCnnOptions{1, 3, 2, 1e-7, true, true}, 8);  // depth 1
}

TEST(PixelCnn, SampledLogQEqualsLogProb) {
  for (bool z2 : {false, true}) {
    torch::manual_seed(29);
    PixelCnn net(small(3, 8, 2, z2));
    auto gen = at::detail::createCPUGenerator(5);
    auto drawn = net->sample(64, 6, gen);
    EXPECT_EQ(drawn.first.sizes(), (std::vector<std::int64_t>{64, 6, 6}));
    EXPECT_TRUE((drawn.first.abs() == 1).all().item<bool>());
    EXPECT_EQ(drawn.second.scalar_type(), torch::kFloat64);
    torch::NoGradGuard no_grad;
    EXPECT_LT((net->log_prob(drawn.first) - drawn.second).abs().max().item<double>(), 1e-5);
  }
}

TEST(PixelCnn, SamplesFollowQ) {
  // On 2x2 the empirical frequencies of the 16 states match q (chi-square-like bound).
  torch::manual_seed(31);
  PixelCnn net(small(2, 4, 1, false));
  auto gen = at::detail::createCPUGenerator(8);
  const std::int64_t m = 20000;
  auto s = net->sample(m, 2, gen).first;
  auto idx = ((s.flatten(1) > 0).to(torch::kInt64) * torch::tensor({1, 2, 4, 8})).sum(1);
  auto counts = torch::bincount(idx, {}, 16).to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  auto states = all_states(2);
  auto q = torch::exp(net->log_prob(states));
  for (int k = 0; k < 16; ++k) {
    const double p = q[k].item<double>();
    const double sigma = std::sqrt(m * p * (1 - p));
    EXPECT_LT(std::abs(counts[k].item<double>() - m * p), 4.5 * sigma + 1) << "state " << k;
  }
}

TEST(PixelCnn, BadOptionsThrow) {
  PixelCnnOptions o;
  o.depth = 0;
  EXPECT_THROW(PixelCnn{o}, std::exception);
  o = PixelCnnOptions{};
  o.half_kernel = 0;
  EXPECT_THROW(PixelCnn{o}, std::exception);
}

}  // namespace
