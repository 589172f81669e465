// The Gaussian-mixture head and the PixelCNN with it (phi^4; paper appendix H.4):
// normalisation by quadrature, draws against the density, exact log q while sampling,
// and the autoregressive property of the real-field PixelCNN.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/nn/gaussian_mixture.hpp"
#include "rigcs/nn/pixelcnn.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

TEST(GaussianMixtureHead, NormalisedByQuadrature) {
  torch::manual_seed(11);
  for (int h : {1, 3, 5}) {
    rigcs::GaussianMixtureHead head{h, 1e-3};
    // Random parameters, widths from ~0.05 to ~3 (raw in [-3, 3]).
    auto params = torch::rand({6, 3 * h}, torch::kFloat64) * 6.0 - 3.0;
    // Trapezoid rule on [-40, 40], step 1e-3: the smallest width is resolved by ~50
    // points, and the tails beyond 40 are below exp(-100).
    const int m = 80001;
    auto x = torch::linspace(-40.0, 40.0, m, torch::kFloat64);
    for (int r = 0; r < params.size(0); ++r) {
      auto p = params[r].unsqueeze(0).expand({m, 3 * h});
      auto q = torch::exp(head.log_density(p, x));
      const double dx = 80.0 / (m - 1);
      const double integral = (q.sum().item<double>() - 0.5 * (q[0].item<double>() + q[m - 1].item<double>())) * dx;
      EXPECT_NEAR(integral, 1.0, 1e-6) << "components " << h << ", row " << r;
    }
  }
}

TEST(GaussianMixtureHead, DrawsFollowTheDensity) {
  // Mean and second moment of 200000 draws against the mixture's, within 4 sigma.
  rigcs::GaussianMixtureHead head{3, 1e-3};
  auto row = torch::tensor({0.3, -0.5, 1.0, -2.0, 0.5, 3.0, -1.0, 0.0, 0.7}, torch::kFloat64);
  const int b = 200000;
  auto params = row.unsqueeze(0).expand({b, 9});
  auto gen = at::detail::createCPUGenerator(5);
  auto x = head.sample(params, gen);
  torch::Tensor lw, mu, sigma;
  head.split(row.unsqueeze(0), lw, mu, sigma);
  auto w = torch::exp(lw);
  const double mean = (w * mu).sum().item<double>();
  const double second = (w * (mu * mu + sigma * sigma)).sum().item<double>();
  const double fourth = (w * (mu.pow(4) + 6 * mu.pow(2) * sigma.pow(2) + 3 * sigma.pow(4))).sum().item<double>();
  const double var = second - mean * mean;
  EXPECT_LT(std::abs(x.mean().item<double>() - mean), 4 * std::sqrt(var / b));
  EXPECT_LT(std::abs((x * x).mean().item<double>() - second), 4 * std::sqrt((fourth - second * second) / b));
  EXPECT_THROW(head.log_density(torch::zeros({2, 8}), torch::zeros({2})), rigcs::Error);
}

rigcs::PixelCnnOptions field_net(bool z2) {
  rigcs::PixelCnnOptions o;
  o.depth = 3;
  o.width = 8;
  o.half_kernel = 2;
  o.z2 = z2;
  o.mixture_components = 3;
  return o;
}

TEST(PixelCnnMixture, SampledLogQEqualsLogProb) {
  for (bool z2 : {false, true}) {
    torch::manual_seed(12);
    rigcs::PixelCnn net(field_net(z2));
    for (int n : {1, 3, 5}) {
      auto gen = at::detail::createCPUGenerator(3);
      auto drawn = net->sample(16, n, gen);
      EXPECT_EQ(drawn.first.sizes(), (std::vector<std::int64_t>{16, n, n}));
      EXPECT_EQ(drawn.first.scalar_type(), torch::kFloat32);
      // Real values, not spins.
      EXPECT_GT((drawn.first.abs() - 1).abs().min().item<double>(), 0.0);
      auto lq = net->log_prob(drawn.first);
      EXPECT_LT(((lq.detach() - drawn.second).abs() / drawn.second.abs().clamp_min(1.0)).max().item<double>(), 1e-5)
          << "N = " << n << ", z2 " << z2;
      auto gen2 = at::detail::createCPUGenerator(3);
      EXPECT_TRUE(torch::equal(net->sample(16, n, gen2).first, drawn.first));
    }
  }
}

TEST(PixelCnnMixture, AutoregressiveAndZeroIsNotOffLattice) {
  torch::manual_seed(13);
  auto o = field_net(false);
  o.half_kernel = 3;  // 7x7: on 4x4 every site is in the window of the next one
  rigcs::PixelCnn net(o);
  const int n = 4;
  auto field = torch::randn({1, n, n});
  auto base = net->mixture_params(field).detach();
  // Changing site v changes no conditional of a site at or before v in raster order.
  for (int v = 0; v < n * n; ++v) {
    auto f2 = field.clone();
    f2[0][v / n][v % n] += 1.5;
    auto changed = (net->mixture_params(f2).detach() - base).abs().sum(-1).flatten();
    for (int u = 0; u <= v; ++u) EXPECT_EQ(changed[u].item<double>(), 0.0) << "site " << u << " after changing " << v;
    if (v + 1 < n * n) {
      EXPECT_GT(changed[v + 1].item<double>(), 0.0) << "site " << v + 1 << " does not see " << v;
    }
  }
  // A field of zeros is not the empty past: the second site sees that the first is on
  // the lattice (the on-lattice channel), so its conditional differs from the first's.
  auto zeros = net->mixture_params(torch::zeros({1, 1, 2})).detach();
  EXPECT_GT((zeros[0][0][0] - zeros[0][0][1]).abs().sum().item<double>(), 0.0);
  EXPECT_THROW(net->logits(field), rigcs::Error);
}

}  // namespace
