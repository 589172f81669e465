// The Ising model: scalar form against brute-force bond counting, and the batched
// torch form against the scalar one.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/ising_torch.hpp"

using namespace rigcs;

namespace {

SpinConfig random_spins(int n, Rng& rng) {
  SpinConfig s(static_cast<std::size_t>(n) * n);
  for (auto& x : s) x = (rng() >> 63) ? 1 : -1;
  return s;
}

// Bond sum by explicit double loop over the right and down bond of each site.
long long brute_bond_sum(const SpinConfig& s, int n) {
  long long b = 0;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) b += s[i * n + k] * (s[i * n + (k + 1) % n] + s[((i + 1) % n) * n + k]);
  return b;
}

}  // namespace

TEST(IsingModel, EnergyFieldAndMagnetisation) {
  Rng rng(1, 0, StreamId::Test);
  for (int n : {2, 3, 4, 7, 16}) {
    IsingModel model({n, 0.44, 0.7});
    for (int rep = 0; rep < 20; ++rep) {
      SpinConfig s = random_spins(n, rng);
      EXPECT_EQ(model.bond_sum(s), brute_bond_sum(s, n));
      EXPECT_NEAR(model.energy(s), -0.7 * static_cast<double>(brute_bond_sum(s, n)), 1e-12);
      long long m = 0;
      for (auto x : s) m += x;
      EXPECT_EQ(model.magnetisation(s), m);
      // Flipping site v changes H by flip_delta(v).
      const int v = static_cast<int>(rng.below(static_cast<std::uint64_t>(n * n)));
      const double before = model.energy(s), delta = model.flip_delta(s, v);
      s[v] = static_cast<Spin>(-s[v]);
      EXPECT_NEAR(model.energy(s) - before, delta, 1e-12);
    }
  }
  // 2x2: every bond counted twice, so the ordered state has H = -8 J.
  IsingModel two({2, 0.44, 1.0});
  EXPECT_DOUBLE_EQ(two.energy(two.cold_start()), -8.0);
  const auto obs = measure(two, two.cold_start());
  EXPECT_DOUBLE_EQ(obs.abs_m, 1.0);
  EXPECT_DOUBLE_EQ(obs.m2, 1.0);
}

TEST(IsingModel, BatchedTorchFormEqualsScalarForm) {
  Rng rng(2, 0, StreamId::Test);
  for (int n : {2, 3, 4, 8}) {
    IsingModel model({n, 0.44, 1.3});
    const int batch = 17;
    std::vector<float> flat;
    std::vector<double> expect_e, expect_m;
    for (int b = 0; b < batch; ++b) {
      SpinConfig s = random_spins(n, rng);
      flat.insert(flat.end(), s.begin(), s.end());
      expect_e.push_back(model.energy(s));
      expect_m.push_back(static_cast<double>(model.magnetisation(s)));
    }
    auto spins = torch::from_blob(flat.data(), {batch, n, n}, torch::kFloat32).to(torch::kFloat64);
    auto e = ising_energy(spins, 1.3);
    auto m = ising_magnetisation(spins);
    ASSERT_EQ(e.sizes(), (std::vector<std::int64_t>{batch}));
    for (int b = 0; b < batch; ++b) {
      EXPECT_NEAR(e[b].item<double>(), expect_e[static_cast<std::size_t>(b)], 1e-12) << "n=" << n << " b=" << b;
      EXPECT_NEAR(m[b].item<double>(), expect_m[static_cast<std::size_t>(b)], 1e-12);
    }
  }
  EXPECT_THROW(ising_energy(torch::ones({2, 3, 4}), 1.0), std::exception);
}

TEST(IsingModel, RejectsBadParameters) {
  EXPECT_THROW(IsingModel({4, -0.1, 1.0}), std::exception);
  EXPECT_THROW(IsingModel({0, 0.4, 1.0}), std::exception);
  IsingModel model({4, 0.4, 1.0});
  EXPECT_THROW(model.energy(SpinConfig(15, 1)), std::exception);
}
