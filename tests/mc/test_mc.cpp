// Tests of the mc area: local and cluster updates and the chain driver.
// Statistical checks compare chain averages with exact results (enumeration for
// N <= 4, Kaufman for N = 8, 16) within 4 sigma, sigma from the Gamma method.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/exact/enumeration.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/mc/cluster_updates.hpp"
#include "rigcs/mc/local_updates.hpp"

namespace {

using rigcs::ChainParams;
using rigcs::ChainSeries;
using rigcs::IsingModel;
using rigcs::IsingParams;
using rigcs::McmcAlgorithm;
using rigcs::Rng;
using rigcs::SpinConfig;
using rigcs::StreamId;

const McmcAlgorithm kAllAlgorithms[] = {McmcAlgorithm::Metropolis, McmcAlgorithm::HeatBath,
                                        McmcAlgorithm::Wolff, McmcAlgorithm::SwendsenWang};

// Chain lengths that keep each statistical test well under a second of CPU. A Wolff
// update is one cluster, so it gets about V/64 clusters between measurements.
ChainParams chain_params(McmcAlgorithm a, int n) {
  ChainParams p;
  p.thermalization = 2000;
  p.measurements = 40000;
  p.interval = a == McmcAlgorithm::Wolff ? std::max(1, n * n / 64) : 1;
  return p;
}

ChainSeries run(const IsingParams& ip, McmcAlgorithm a, std::uint64_t seed) {
  const IsingModel model(ip);
  Rng rng(seed, 0, StreamId::Test);
  SpinConfig state;
  return rigcs::run_chain(model, a, chain_params(a, ip.n), rng, state);
}

// |estimate - exact| < 4 sigma, with sigma from the Gamma method.
void expect_within_4_sigma(const std::vector<double>& series, double exact, const std::string& what) {
  const rigcs::GammaResult g = rigcs::gamma_method(rigcs::single_replica(series));
  ASSERT_GT(g.error, 0) << what;
  EXPECT_LT(std::abs(g.value - exact), 4 * g.error)
      << what << ": estimate " << g.value << " +- " << g.error << " (tau_int " << g.tau_int
      << "), exact " << exact;
}

std::string label(McmcAlgorithm a, const IsingParams& p) {
  std::ostringstream os;
  os << rigcs::format_mcmc_algorithm(a) << " N=" << p.n << " beta=" << p.beta << " J=" << p.j;
  return os.str();
}

// ----------------------------------------------------------- statistical checks

class ChainAgainstExact
    : public ::testing::TestWithParam<std::tuple<McmcAlgorithm, double>> {};

TEST_P(ChainAgainstExact, EnergyAndMagnetisationOn4x4MatchEnumeration) {
  const auto [a, beta] = GetParam();
  const IsingParams ip{4, beta, 1.0};
  const rigcs::EnumerationResult exact = rigcs::enumerate_ising(ip);
  const ChainSeries s = run(ip, a, 11);
  expect_within_4_sigma(s.energy, exact.energy, label(a, ip) + " <H>");
  expect_within_4_sigma(s.abs_m, exact.abs_m, label(a, ip) + " <|m|>");
  expect_within_4_sigma(s.m2, exact.m2, label(a, ip) + " <m^2>");
}

TEST_P(ChainAgainstExact, EnergyOn8x8And16x16MatchesKaufman) {
  const auto [a, beta] = GetParam();
  for (int n : {8, 16}) {
    const IsingParams ip{n, beta, 1.0};
    const ChainSeries s = run(ip, a, 100 + n);
    expect_within_4_sigma(s.energy, rigcs::kaufman(n, beta, 1.0).energy, label(a, ip) + " <H>");
  }
}

// Odd N (sequential sweeps; the checkerboard is not bipartite there) and the
// antiferromagnet (frustrated on odd N; Wolff's general path), by enumeration.
TEST_P(ChainAgainstExact, OddLatticeAndAntiferromagnetMatchEnumeration) {
  const auto [a, beta] = GetParam();
  for (const IsingParams ip : {IsingParams{3, beta, 1.0}, IsingParams{3, beta, -1.0},
                               IsingParams{4, beta, -1.0}}) {
    const rigcs::EnumerationResult exact = rigcs::enumerate_ising(ip);
    const ChainSeries s = run(ip, a, 7);
    expect_within_4_sigma(s.energy, exact.energy, label(a, ip) + " <H>");
    expect_within_4_sigma(s.abs_m, exact.abs_m, label(a, ip) + " <|m|>");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllAlgorithms, ChainAgainstExact,
    ::testing::Combine(::testing::ValuesIn(kAllAlgorithms), ::testing::Values(0.44, 0.3)),
    [](const ::testing::TestParamInfo<ChainAgainstExact::ParamType>& info) {
      return rigcs::format_mcmc_algorithm(std::get<0>(info.param)) + "_beta" +
             (std::get<1>(info.param) == 0.44 ? "044" : "030");
    });

// The cluster of a random site has mean size V <m^2> (improved estimator): Wolff's
// cluster sizes and SW's sum |C|^2 / V both estimate it.
TEST(ClusterUpdates, MeanClusterSizeIsImprovedEstimatorOfM2) {
  const IsingParams ip{4, 0.44, 1.0};
  const IsingModel model(ip);
  const double exact = model.volume() * rigcs::enumerate_ising(ip).m2;
  Rng rng(5, 0, StreamId::Test);
  SpinConfig s = rigcs::random_configuration(model, rng);
  rigcs::WolffUpdate wolff(model);
  rigcs::SwendsenWangUpdate sw(model);
  std::vector<double> wolff_sizes, sw_sizes;
  for (int k = 0; k < 40000; ++k) wolff_sizes.push_back(static_cast<double>(wolff.update(s, rng)));
  for (int k = 0; k < 40000; ++k) sw_sizes.push_back(sw.update(s, rng).mean_cluster_size);
  expect_within_4_sigma(wolff_sizes, exact, "Wolff cluster size");
  expect_within_4_sigma(sw_sizes, exact, "SW sum |C|^2 / V");
}

// ----------------------------------------------------------- Wolff against a plain reference

// Plain Wolff with an explicit membership array, flipping at the end. It draws in the
// same order as the fast kernel (seed: 4 bonds in direction order; every later site:
// the 3 bonds other than the one it was reached through, directions d+3, d, d+1; one
// raw draw per tested bond), so the two must agree spin for spin.
std::int64_t reference_wolff(const IsingModel& model, SpinConfig& s, Rng& rng) {
  const auto& lat = model.lattice();
  const int v_count = model.volume();
  const std::uint64_t threshold =
      Rng::threshold(1.0 - std::exp(-2.0 * model.beta() * model.coupling()));
  std::vector<bool> in_cluster(static_cast<std::size_t>(v_count), false);
  struct Entry { int site; int reached_in; };
  std::vector<Entry> queue;
  const int seed = static_cast<int>(rng.below(static_cast<std::uint64_t>(v_count)));
  const rigcs::Spin s0 = s[seed];
  in_cluster[seed] = true;
  auto test = [&](int v, int dir) {
    const int w = lat.neighbour(v, dir);
    const std::uint64_t x = rng();
    if (!in_cluster[w] && s[w] == s0 && x < threshold) {
      in_cluster[w] = true;
      queue.push_back({w, dir});
    }
  };
  for (int dir = 0; dir < 4; ++dir) test(seed, dir);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const Entry e = queue[head];
    test(e.site, (e.reached_in + 3) % 4);
    test(e.site, e.reached_in);
    test(e.site, (e.reached_in + 1) % 4);
  }
  for (int v = 0; v < v_count; ++v)
    if (in_cluster[v]) s[v] = static_cast<rigcs::Spin>(-s[v]);
  return static_cast<std::int64_t>(queue.size()) + 1;
}

TEST(WolffUpdate, FastKernelMatchesPlainReference) {
  for (int n : {2, 3, 8, 17}) {
    for (double beta : {0.2, 0.44, 0.8}) {
      const IsingModel model(IsingParams{n, beta, 1.0});
      Rng rng_fast(3, 0, StreamId::Test);
      Rng rng_ref(3, 0, StreamId::Test);
      SpinConfig s_fast = rigcs::random_configuration(model, rng_fast);
      SpinConfig s_ref = rigcs::random_configuration(model, rng_ref);
      rigcs::WolffUpdate wolff(model);
      for (int k = 0; k < 300; ++k) {
        const std::int64_t size_fast = wolff.update(s_fast, rng_fast);
        const std::int64_t size_ref = reference_wolff(model, s_ref, rng_ref);
        ASSERT_EQ(size_fast, size_ref) << "N=" << n << " beta=" << beta << " update " << k;
        ASSERT_EQ(s_fast, s_ref) << "N=" << n << " beta=" << beta << " update " << k;
      }
      EXPECT_EQ(rng_fast.state(), rng_ref.state());
    }
  }
}

// ----------------------------------------------------------- limits

TEST(WolffUpdate, AtInfiniteTemperatureFlipsExactlyOneSpin) {
  for (double j : {1.0, -1.0}) {
    const IsingModel model(IsingParams{8, 0.0, j});
    Rng rng(1, 0, StreamId::Test);
    SpinConfig s = rigcs::random_configuration(model, rng);
    rigcs::WolffUpdate wolff(model);
    for (int k = 0; k < 500; ++k) {
      const SpinConfig before = s;
      ASSERT_EQ(wolff.update(s, rng), 1);
      int changed = 0;
      for (std::size_t v = 0; v < s.size(); ++v) changed += s[v] != before[v];
      ASSERT_EQ(changed, 1);
    }
  }
}

TEST(WolffUpdate, AtLowTemperatureFlipsTheWholeOrderedLattice) {
  // Ferromagnet from the aligned state, antiferromagnet from the Neel state.
  for (double j : {1.0, -1.0}) {
    const IsingModel model(IsingParams{8, 50.0, j});
    SpinConfig s(64);
    for (int v = 0; v < 64; ++v) s[v] = (j < 0 && (v / 8 + v % 8) % 2) ? -1 : 1;
    const SpinConfig start = s;
    Rng rng(2, 0, StreamId::Test);
    rigcs::WolffUpdate wolff(model);
    EXPECT_EQ(wolff.update(s, rng), 64) << "J=" << j;
    for (int v = 0; v < 64; ++v) EXPECT_EQ(s[v], -start[v]);
  }
}

TEST(SwendsenWangUpdate, AtInfiniteTemperatureEverySiteIsItsOwnCluster) {
  const IsingModel model(IsingParams{8, 0.0, 1.0});
  Rng rng(3, 0, StreamId::Test);
  SpinConfig s = rigcs::random_configuration(model, rng);
  rigcs::SwendsenWangUpdate sw(model);
  const auto r = sw.update(s, rng);
  EXPECT_EQ(r.clusters, 64);
  EXPECT_DOUBLE_EQ(r.mean_cluster_size, 1.0);
}

TEST(SwendsenWangUpdate, AtLowTemperatureFlipsTheOneClusterWithProbabilityHalf) {
  const IsingModel model(IsingParams{8, 50.0, 1.0});
  SpinConfig s = model.cold_start();
  Rng rng(4, 0, StreamId::Test);
  rigcs::SwendsenWangUpdate sw(model);
  int flipped = 0;
  const int updates = 1000;
  for (int k = 0; k < updates; ++k) {
    const rigcs::Spin before = s[0];
    const auto r = sw.update(s, rng);
    ASSERT_EQ(r.clusters, 1);
    ASSERT_DOUBLE_EQ(r.mean_cluster_size, 64.0);
    ASSERT_EQ(std::abs(model.magnetisation(s)), 64);
    flipped += s[0] != before;
  }
  // Binomial(1000, 1/2): sigma = 15.8.
  EXPECT_LT(std::abs(flipped - updates / 2), 4 * 15.82);
}

TEST(MetropolisUpdate, AtInfiniteTemperatureAcceptsEveryFlip) {
  for (int n : {4, 5}) {
    const IsingModel model(IsingParams{n, 0.0, 1.0});
    Rng rng(5, 0, StreamId::Test);
    SpinConfig s = rigcs::random_configuration(model, rng);
    const SpinConfig start = s;
    rigcs::MetropolisUpdate metropolis(model);
    EXPECT_EQ(metropolis.update(s, rng), n * n);
    for (int v = 0; v < n * n; ++v) EXPECT_EQ(s[v], -start[v]);
  }
}

TEST(LocalUpdates, AtLowTemperatureTheGroundStateStays) {
  const IsingModel model(IsingParams{6, 50.0, 1.0});
  Rng rng(6, 0, StreamId::Test);
  rigcs::MetropolisUpdate metropolis(model);
  rigcs::HeatBathUpdate heat_bath(model);
  SpinConfig s = model.cold_start();
  for (int k = 0; k < 100; ++k) {
    EXPECT_EQ(metropolis.update(s, rng), 0);
    heat_bath.update(s, rng);
  }
  EXPECT_EQ(s, model.cold_start());
}

TEST(LocalUpdates, SweepOrderIsCheckerboardForEvenNAndRowMajorForOddN) {
  for (int n : {2, 4, 6}) {
    const rigcs::SquareLattice lat(n);
    const auto order = rigcs::sweep_order(lat);
    ASSERT_EQ(static_cast<int>(order.size()), n * n);
    std::vector<int> seen(static_cast<std::size_t>(n * n), 0);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const int v = order[k];
      ++seen[v];
      const int parity = (lat.row(v) + lat.col(v)) % 2;
      EXPECT_EQ(parity, k < order.size() / 2 ? 0 : 1) << "N=" << n << " position " << k;
    }
    for (int c : seen) EXPECT_EQ(c, 1);
  }
  const auto odd = rigcs::sweep_order(rigcs::SquareLattice(5));
  for (int v = 0; v < 25; ++v) EXPECT_EQ(odd[v], v);
}

TEST(Updates, RejectBadInput) {
  const IsingModel model(IsingParams{4, 0.44, 1.0});
  Rng rng(7, 0, StreamId::Test);
  SpinConfig wrong(15, 1);
  rigcs::MetropolisUpdate metropolis(model);
  rigcs::HeatBathUpdate heat_bath(model);
  rigcs::WolffUpdate wolff(model);
  rigcs::SwendsenWangUpdate sw(model);
  EXPECT_THROW(metropolis.update(wrong, rng), rigcs::Error);
  EXPECT_THROW(heat_bath.update(wrong, rng), rigcs::Error);
  EXPECT_THROW(wolff.update(wrong, rng), rigcs::Error);
  EXPECT_THROW(sw.update(wrong, rng), rigcs::Error);
  EXPECT_THROW(wolff.set_beta(-1.0), rigcs::Error);
  EXPECT_THROW(metropolis.set_beta(std::nan("")), rigcs::Error);
}

// ----------------------------------------------------------- chain driver

TEST(RunChain, SameSeedSameSeriesAndOtherSeedOtherSeries) {
  const IsingParams ip{8, 0.44, 1.0};
  const IsingModel model(ip);
  const ChainParams p{100, 200, 2};
  for (McmcAlgorithm a : kAllAlgorithms) {
    SpinConfig s1, s2, s3;
    Rng r1(42, 0, StreamId::Mcmc), r2(42, 0, StreamId::Mcmc), r3(43, 0, StreamId::Mcmc);
    const ChainSeries c1 = rigcs::run_chain(model, a, p, r1, s1);
    const ChainSeries c2 = rigcs::run_chain(model, a, p, r2, s2);
    const ChainSeries c3 = rigcs::run_chain(model, a, p, r3, s3);
    EXPECT_EQ(c1.energy, c2.energy) << rigcs::format_mcmc_algorithm(a);
    EXPECT_EQ(c1.m, c2.m);
    EXPECT_EQ(s1, s2);
    EXPECT_EQ(r1.state(), r2.state());
    EXPECT_NE(c1.m, c3.m) << rigcs::format_mcmc_algorithm(a);
  }
}

TEST(RunChain, BookkeepingAndProgress) {
  const IsingModel model(IsingParams{8, 0.44, 1.0});
  const ChainParams p{50, 300, 3};
  for (McmcAlgorithm a : kAllAlgorithms) {
    Rng rng(9, 0, StreamId::Mcmc);
    SpinConfig state;
    std::int64_t last_done = -1, last_total = -1;
    int calls = 0;
    const ChainSeries c = rigcs::run_chain(model, a, p, rng, state,
                                           [&](std::int64_t done, std::int64_t total) {
                                             EXPECT_GE(done, last_done);
                                             last_done = done;
                                             last_total = total;
                                             ++calls;
                                           });
    const std::string name = rigcs::format_mcmc_algorithm(a);
    EXPECT_EQ(c.updates, 50 + 300 * 3) << name;
    EXPECT_EQ(last_done, c.updates) << name;
    EXPECT_EQ(last_total, c.updates) << name;
    EXPECT_GE(calls, 2) << name;
    ASSERT_EQ(c.energy.size(), 300u);
    ASSERT_EQ(c.m.size(), 300u);
    ASSERT_EQ(c.abs_m.size(), 300u);
    ASSERT_EQ(c.m2.size(), 300u);
    EXPECT_EQ(state.size(), 64u);
    // The last measurement is of the returned state.
    EXPECT_DOUBLE_EQ(c.energy.back(), model.energy(state));
    for (std::size_t k = 0; k < c.m.size(); ++k) {
      EXPECT_DOUBLE_EQ(c.abs_m[k], std::abs(c.m[k]));
      EXPECT_DOUBLE_EQ(c.m2[k], c.m[k] * c.m[k]);
    }
    if (a == McmcAlgorithm::Metropolis) {
      EXPECT_GT(c.acceptance, 0.0);
      EXPECT_LT(c.acceptance, 1.0);
    } else {
      EXPECT_EQ(c.acceptance, 0.0) << name;
    }
    if (a == McmcAlgorithm::Wolff || a == McmcAlgorithm::SwendsenWang) {
      EXPECT_GE(c.mean_cluster_size, 1.0) << name;
      EXPECT_LE(c.mean_cluster_size, 64.0) << name;
    } else {
      EXPECT_EQ(c.mean_cluster_size, 0.0) << name;
    }
  }
}

TEST(RunChain, RejectsBadParameters) {
  const IsingModel model(IsingParams{4, 0.44, 1.0});
  Rng rng(1, 0, StreamId::Mcmc);
  SpinConfig state;
  EXPECT_THROW(rigcs::run_chain(model, McmcAlgorithm::Wolff, ChainParams{10, 10, 0}, rng, state),
               rigcs::Error);
  EXPECT_THROW(rigcs::run_chain(model, McmcAlgorithm::Wolff, ChainParams{-1, 10, 1}, rng, state),
               rigcs::Error);
  EXPECT_THROW(rigcs::run_chain(model, McmcAlgorithm::Wolff, ChainParams{0, -5, 1}, rng, state),
               rigcs::Error);
}

TEST(McmcAlgorithm, ParsesAndFormatsNames) {
  for (McmcAlgorithm a : kAllAlgorithms)
    EXPECT_EQ(rigcs::parse_mcmc_algorithm(rigcs::format_mcmc_algorithm(a)), a);
  EXPECT_EQ(rigcs::parse_mcmc_algorithm("sw"), McmcAlgorithm::SwendsenWang);
  try {
    rigcs::parse_mcmc_algorithm("glauber");
    FAIL() << "expected rigcs::Error";
  } catch (const rigcs::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("glauber"), std::string::npos) << msg;
    EXPECT_NE(msg.find("metropolis, heatbath, wolff, sw"), std::string::npos) << msg;
  }
}

}  // namespace
