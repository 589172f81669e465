// The phi^4 model: the scalar action against a brute-force double loop, the batched
// torch action against the scalar one (also for Ising through the LatticeModel
// interface), the single-site quadrature against closed forms and an independent
// rule, and the refusals of bad parameters.
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/physics/phi4.hpp"
#include "rigcs/physics/phi4_torch.hpp"

using namespace rigcs;

namespace {

FieldConfig random_field(int n, Rng& rng) {
  FieldConfig phi(static_cast<std::size_t>(n) * n);
  for (auto& x : phi) x = 4.0 * rng.uniform() - 2.0;
  return phi;
}

// Eq. 42 written out: right and down neighbour of every site, explicit indices.
double brute_action(const FieldConfig& phi, int n, double kappa, double lambda) {
  double s = 0;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const double x = phi[i * n + k];
      const double hop = x * phi[i * n + (k + 1) % n] + x * phi[((i + 1) % n) * n + k];
      s += -2 * kappa * hop + (1 - 2 * lambda) * x * x + lambda * std::pow(x, 4);
    }
  return s;
}

// Composite Simpson on [-L, L]: an independent rule for the single-site integral.
double simpson(double a, double lambda, double p) {
  const double L = 12;
  const int m = 200000;
  const double h = 2 * L / m;
  double s = 0;
  for (int k = 0; k <= m; ++k) {
    const double x = -L + k * h;
    const double w = (k == 0 || k == m) ? 1 : (k % 2 ? 4 : 2);
    s += w * std::pow(x, p) * std::exp(-a * x * x - lambda * std::pow(x, 4));
  }
  return s * h / 3;
}

}  // namespace

TEST(Phi4Model, ActionMatchesBruteForceAndObservables) {
  Rng rng(3, 0, StreamId::Test);
  for (int n : {2, 3, 4, 7}) {
    Phi4Model model({n, 0.23, 0.7});
    for (int rep = 0; rep < 10; ++rep) {
      const FieldConfig phi = random_field(n, rng);
      const double s = model.action(phi);
      EXPECT_NEAR(s, brute_action(phi, n, 0.23, 0.7), 1e-11 * (1 + std::abs(s)));
      // S(kappa) = S_ref + kappa dS/dkappa (annealing).
      Phi4Model k0({n, 0.0, 0.7});
      EXPECT_NEAR(s, k0.action(phi) + 0.23 * model.annealing_slope(phi), 1e-11 * (1 + std::abs(s)));
      const std::vector<double> obs = model.measure(phi);
      ASSERT_EQ(obs.size(), model.observables().size());
      double sum = 0, sum2 = 0;
      for (double x : phi) { sum += x; sum2 += x * x; }
      const double v = n * n, m = sum / v;
      EXPECT_DOUBLE_EQ(obs[0], s);
      EXPECT_NEAR(obs[1], sum2 / v, 1e-14);
      EXPECT_NEAR(obs[2], m, 1e-14);
      EXPECT_NEAR(obs[3], std::abs(m), 1e-14);
      EXPECT_NEAR(obs[4], m * m, 1e-14);
      EXPECT_NEAR(obs[5], m * m * m * m, 1e-14);
    }
  }
}

TEST(Phi4Model, BatchedActionMatchesScalar) {
  Rng rng(4, 0, StreamId::Test);
  for (int n : {2, 3, 4, 8}) {
    Phi4Model model({n, 0.2, 0.022});
    const int batch = 5;
    auto t = torch::empty({batch, n, n}, torch::kFloat64);
    std::vector<FieldConfig> fields;
    for (int b = 0; b < batch; ++b) {
      fields.push_back(random_field(n, rng));
      for (int v = 0; v < n * n; ++v) t[b][v / n][v % n] = fields.back()[v];
    }
    const auto s = phi4_action(t, 0.2, 0.022);
    const auto s2 = batched_action(model, t);
    for (int b = 0; b < batch; ++b) {
      EXPECT_NEAR(s[b].item<double>(), model.action(fields[b]), 1e-11);
      EXPECT_NEAR(s2[b].item<double>(), model.action(fields[b]), 1e-11);
    }
  }
}

TEST(Phi4Model, IsingThroughTheInterface) {
  Rng rng(5, 0, StreamId::Test);
  const int n = 5;
  IsingModel ising({n, 0.4, 0.9});
  const LatticeModel& model = ising;
  SpinConfig s(n * n);
  for (auto& x : s) x = (rng() >> 63) ? 1 : -1;
  const FieldConfig f = ising.to_field(s);
  EXPECT_NEAR(model.action(f), 0.4 * ising.energy(s), 1e-12);
  auto t = torch::empty({1, n, n}, torch::kFloat64);
  for (int v = 0; v < n * n; ++v) t[0][v / n][v % n] = f[v];
  EXPECT_NEAR(batched_action(model, t)[0].item<double>(), model.action(f), 1e-12);
  const auto obs = model.measure(f);
  const IsingObservables o = measure(ising, s);
  EXPECT_EQ(obs, (std::vector<double>{o.energy, o.m, o.abs_m, o.m2}));
  EXPECT_NEAR(model.log_z0(), n * n * std::log(2.0), 1e-12);
  // The heat-bath conditional against the ratio of the two weights.
  double probs[2];
  ASSERT_TRUE(model.site_conditional(f, 7, probs));
  FieldConfig up = f, down = f;
  up[7] = 1;
  down[7] = -1;
  EXPECT_NEAR(probs[1], 1.0 / (1.0 + std::exp(model.action(up) - model.action(down))), 1e-12);
  Phi4Model phi4({n, 0.2, 0.1});
  EXPECT_FALSE(phi4.site_conditional(f, 7, probs));
}

TEST(Phi4Model, SingleSiteQuadratureMatchesIndependentIntegrals) {
  for (double lambda : {0.0, 0.022, 0.3, 1.0, 3.0}) {
    const double a = 1 - 2 * lambda;
    const SingleSiteMoments m = phi4_single_site_moments(lambda);
    const double z = simpson(a, lambda, 0);
    EXPECT_NEAR(m.log_z1, std::log(z), 1e-10) << lambda;
    EXPECT_NEAR(m.x2, simpson(a, lambda, 2) / z, 1e-10) << lambda;
    EXPECT_NEAR(m.x4, simpson(a, lambda, 4) / z, 1e-10) << lambda;
    if (lambda == 0) {
      EXPECT_NEAR(m.log_z1, 0.5 * std::log(M_PI), 1e-13);
    }
    if (lambda > 0 && a > 0) {
      // int exp(-a x^2 - b x^4) = (1/2) sqrt(a/b) exp(a^2/8b) K_{1/4}(a^2/8b).
      const double y = a * a / (8 * lambda);
      const double closed = 0.5 * std::sqrt(a / lambda) * std::exp(y) * std::cyl_bessel_k(0.25, y);
      EXPECT_NEAR(m.log_z1, std::log(closed), 1e-12) << lambda;
    }
  }
}

TEST(Phi4Model, BadParametersNameTheKey) {
  auto message = [](const Phi4Params& p) {
    try {
      Phi4Model m(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({4, 0.3, 0.0}).find("model.kappa"), std::string::npos);
  EXPECT_NE(message({4, 0.2, -0.1}).find("model.lambda"), std::string::npos);
  EXPECT_NE(message({4, NAN, 0.1}).find("model.kappa"), std::string::npos);
  EXPECT_EQ(message({4, 0.3, 0.01}), "");
}
