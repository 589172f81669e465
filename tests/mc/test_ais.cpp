// Cluster-AIS: ln Z against Kaufman, within 4 sigma (Gamma method on the
// independent trajectory weights), and the beta ladder.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/mc/ais.hpp"

namespace {

using rigcs::AisParams;
using rigcs::BetaSpacing;
using rigcs::IsingModel;
using rigcs::IsingParams;
using rigcs::McmcAlgorithm;
using rigcs::Rng;

struct LnZCase {
  int n;
  McmcAlgorithm algorithm;
  BetaSpacing spacing;
  int steps;
  int updates_per_beta;  // Wolff clusters are small at small beta: it needs more
  int trajectories;
};

TEST(ClusterAis, LogPartitionFunctionMatchesKaufman) {
  const double beta = 0.44;
  const LnZCase cases[] = {
      {4, McmcAlgorithm::Wolff, BetaSpacing::Geometric, 50, 4, 2000},
      {4, McmcAlgorithm::SwendsenWang, BetaSpacing::Linear, 50, 1, 2000},
      {8, McmcAlgorithm::Wolff, BetaSpacing::Linear, 100, 8, 2000},
      {8, McmcAlgorithm::SwendsenWang, BetaSpacing::Geometric, 100, 1, 1000},
  };
  for (const LnZCase& c : cases) {
    const IsingModel model(IsingParams{c.n, beta, 1.0});
    AisParams p;
    p.steps = c.steps;
    p.spacing = c.spacing;
    p.algorithm = c.algorithm;
    p.updates_per_beta = c.updates_per_beta;
    Rng rng(17, 0, rigcs::StreamId::Ais);
    std::vector<double> log_w;
    for (int t = 0; t < c.trajectories; ++t)
      log_w.push_back(rigcs::run_ais_trajectory(model, p, rng).log_w);

    rigcs::GammaOptions independent;
    independent.independent = true;
    const rigcs::GammaResult g = rigcs::gamma_log_mean_exp(rigcs::single_replica(log_w), independent);
    const double ln_z = model.volume() * std::log(2.0) + g.value;
    const double exact = rigcs::kaufman(c.n, beta, 1.0).lnZ;
    const std::string what = "N=" + std::to_string(c.n) + " " +
                             rigcs::format_mcmc_algorithm(c.algorithm) + " " +
                             rigcs::format_beta_spacing(c.spacing);
    EXPECT_NEAR(rigcs::ais_log_partition_function(log_w, model.volume()), ln_z, 1e-9) << what;
    ASSERT_GT(g.error, 0) << what;
    EXPECT_LT(std::abs(ln_z - exact), 4 * g.error)
        << what << ": ln Z " << ln_z << " +- " << g.error << ", Kaufman " << exact;
  }
}

TEST(ClusterAis, BetaLaddersRiseFromZeroToBeta) {
  for (BetaSpacing s : {BetaSpacing::Linear, BetaSpacing::Geometric}) {
    for (int steps : {1, 2, 10}) {
      const auto b = rigcs::ais_beta_ladder(0.44, steps, s);
      ASSERT_EQ(static_cast<int>(b.size()), steps + 1);
      EXPECT_EQ(b.front(), 0.0);
      EXPECT_EQ(b.back(), 0.44);
      for (int k = 0; k < steps; ++k) EXPECT_LT(b[k], b[k + 1]);
    }
  }
  const auto g = rigcs::ais_beta_ladder(1.0, 4, BetaSpacing::Geometric);
  EXPECT_DOUBLE_EQ(g[1], 0.25);                     // linear first step, beta / K
  EXPECT_NEAR(g[3] / g[2], g[2] / g[1], 1e-12);     // then a constant ratio
}

TEST(ClusterAis, AtInfiniteTemperatureTheWeightIsOne) {
  const IsingModel model(IsingParams{4, 0.0, 1.0});
  Rng rng(1, 0, rigcs::StreamId::Ais);
  const auto t = rigcs::run_ais_trajectory(model, AisParams{}, rng);
  EXPECT_EQ(t.log_w, 0.0);
  EXPECT_NEAR(rigcs::ais_log_partition_function({0.0, 0.0}, 16), 16 * std::log(2.0), 1e-12);
}

TEST(ClusterAis, RejectsBadParameters) {
  const IsingModel model(IsingParams{4, 0.44, 1.0});
  Rng rng(1, 0, rigcs::StreamId::Ais);
  AisParams p;
  p.algorithm = McmcAlgorithm::Metropolis;
  EXPECT_THROW(rigcs::run_ais_trajectory(model, p, rng), rigcs::Error);
  p = AisParams{};
  p.steps = 0;
  EXPECT_THROW(rigcs::run_ais_trajectory(model, p, rng), rigcs::Error);
  EXPECT_THROW(rigcs::parse_beta_spacing("cubic"), rigcs::Error);
  EXPECT_EQ(rigcs::parse_beta_spacing("geometric"), BetaSpacing::Geometric);
  EXPECT_THROW(rigcs::ais_log_partition_function({}, 16), rigcs::Error);
}

}  // namespace
