// phi^4 Markov chains and Cluster-AIS: HMC and Metropolis + embedded Wolff against the
// free field's exact <phi^2>, all updates against each other in the interacting theory,
// AIS in kappa against the exact ln Z, the exact reference draw, and the Ising route
// through the model-generic chain. Fixed seeds; bounds are 4 sigma of the Gamma method.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/exact/model_exact.hpp"
#include "rigcs/mc/model_chain.hpp"
#include "rigcs/mc/phi4_updates.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/phi4.hpp"

using namespace rigcs;

namespace {

std::size_t column(const ModelSeries& s, const std::string& name) {
  for (std::size_t i = 0; i < s.names.size(); ++i)
    if (s.names[i] == name) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

GammaResult estimate(const ModelSeries& s, const std::string& name) {
  return gamma_method(single_replica(s.columns[column(s, name)]));
}

Phi4UpdateParams updates(Phi4Algorithm a) {
  Phi4UpdateParams up;
  up.algorithm = a;
  up.metropolis_width = 1.5;
  up.hmc_step = 0.25;
  up.hmc_steps = 6;
  up.wolff_clusters = 2;
  return up;
}

}  // namespace

TEST(Phi4Chain, FreeFieldPhi2MatchesExact) {
  const Phi4Model model({8, 0.2, 0.0});
  const Phi4Exact exact = phi4_free_field(8, 0.2);
  for (Phi4Algorithm a : {Phi4Algorithm::Hmc, Phi4Algorithm::MetropolisWolff}) {
    Rng rng(21, 0, StreamId::Test);
    const ModelSeries s = run_phi4_chain(model, updates(a), {500, 40000, 1}, rng);
    const GammaResult phi2 = estimate(s, "phi2");
    const GammaResult act = estimate(s, "action");
    EXPECT_GT(phi2.error, 0);
    EXPECT_LT(std::abs(phi2.value - exact.phi2), 4 * phi2.error)
        << format_phi4_algorithm(a) << ": " << phi2.value << " +- " << phi2.error << ", exact " << exact.phi2;
    EXPECT_LT(std::abs(act.value - exact.action), 4 * act.error)
        << format_phi4_algorithm(a) << ": S " << act.value << " +- " << act.error << ", exact " << exact.action;
    EXPECT_GT(s.acceptance, 0.3) << format_phi4_algorithm(a);
    EXPECT_LT(s.acceptance, 1.0);
    if (a == Phi4Algorithm::MetropolisWolff) {
      EXPECT_GT(s.mean_cluster_size, 1.0);
    }
  }
}

TEST(Phi4Chain, UpdatesAgreeInTheInteractingTheory) {
  const Phi4Model model({8, 0.19, 0.022});
  std::vector<std::pair<std::string, ModelSeries>> runs;
  std::uint64_t seed = 31;
  for (Phi4Algorithm a : {Phi4Algorithm::Metropolis, Phi4Algorithm::Hmc, Phi4Algorithm::MetropolisWolff,
                          Phi4Algorithm::HmcWolff}) {
    Rng rng(seed++, 0, StreamId::Test);
    runs.emplace_back(format_phi4_algorithm(a), run_phi4_chain(model, updates(a), {1000, 40000, 1}, rng));
  }
  for (const char* obs : {"phi2", "abs_m", "m2", "action"}) {
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (std::size_t j = i + 1; j < runs.size(); ++j) {
        const GammaResult a = estimate(runs[i].second, obs), b = estimate(runs[j].second, obs);
        EXPECT_LT(std::abs(a.value - b.value), 4 * std::hypot(a.error, b.error))
            << obs << ": " << runs[i].first << " " << a.value << " +- " << a.error << " vs " << runs[j].first << " "
            << b.value << " +- " << b.error;
      }
  }
}

TEST(Phi4Chain, ReferenceDrawHasTheSingleSiteMoments) {
  for (double lambda : {0.022, 2.0}) {
    const Phi4Model model({16, 0.0, lambda});
    Rng rng(41, 0, StreamId::Test);
    std::vector<double> x2, x4;
    for (int k = 0; k < 200; ++k)
      for (double x : draw_phi4_reference(model, rng)) {
        x2.push_back(x * x);
        x4.push_back(x * x * x * x);
      }
    GammaOptions indep;
    indep.independent = true;
    const SingleSiteMoments m = phi4_single_site_moments(lambda);
    const GammaResult a = gamma_method(single_replica(x2), indep), b = gamma_method(single_replica(x4), indep);
    EXPECT_LT(std::abs(a.value - m.x2), 4 * a.error) << lambda << ": " << a.value << " +- " << a.error << " vs " << m.x2;
    EXPECT_LT(std::abs(b.value - m.x4), 4 * b.error) << lambda;
  }
}

TEST(Phi4Ais, LogPartitionFunctionInKappaMatchesExact) {
  const Phi4Model model({4, 0.2, 0.0});
  const double exact = phi4_free_field(4, 0.2).lnZ;
  AisParams ap;
  ap.steps = 50;
  ap.updates_per_beta = 1;
  for (Phi4Algorithm a : {Phi4Algorithm::MetropolisWolff, Phi4Algorithm::HmcWolff}) {
    std::vector<double> log_w;
    for (int t = 0; t < 2000; ++t) {
      Rng rng(51, static_cast<std::uint64_t>(t), StreamId::Ais);
      log_w.push_back(run_model_ais_trajectory(model, ap, updates(a), rng).log_w);
    }
    GammaOptions indep;
    indep.independent = true;
    const GammaResult r = gamma_log_mean_exp(single_replica(log_w), indep);
    const double ln_z = model_ais_log_partition_function(model, log_w);
    EXPECT_NEAR(ln_z, r.value + model.log_z0(), 1e-9);
    EXPECT_GT(r.error, 0);
    EXPECT_LT(std::abs(ln_z - exact), 4 * r.error)
        << format_phi4_algorithm(a) << ": " << ln_z << " +- " << r.error << ", exact " << exact;
  }
}

TEST(Phi4Chain, EmbeddedWolffAloneKeepsAbsoluteValues) {
  // A cluster flip changes signs only: |phi| is untouched and the action is even.
  const Phi4Model model({6, 0.3, 0.5});
  Rng rng(61, 0, StreamId::Test);
  FieldConfig phi = draw_phi4_reference(model, rng);
  EmbeddedWolffUpdate wolff(model);
  for (int k = 0; k < 50; ++k) {
    const FieldConfig before = phi;
    const std::int64_t size = wolff.update(phi, rng);
    std::int64_t flipped = 0;
    for (std::size_t v = 0; v < phi.size(); ++v) {
      EXPECT_EQ(std::abs(phi[v]), std::abs(before[v]));
      flipped += phi[v] != before[v];
    }
    EXPECT_EQ(flipped, size);
  }
}

TEST(Phi4Chain, IsingRouteIsTheIsingChain) {
  const IsingModel model({6, 0.44, 1.0});
  ModelUpdateSettings settings;
  settings.ising = McmcAlgorithm::Wolff;
  Rng a(7, 0, StreamId::Test), b(7, 0, StreamId::Test);
  const ModelSeries s = run_model_chain(model, settings, {100, 500, 1}, a);
  SpinConfig state;
  const ChainSeries c = run_chain(model, McmcAlgorithm::Wolff, {100, 500, 1}, b, state);
  EXPECT_EQ(s.names, (std::vector<std::string>{"energy", "m", "abs_m", "m2"}));
  EXPECT_EQ(s.columns[0], c.energy);
  EXPECT_EQ(s.columns[2], c.abs_m);
  EXPECT_EQ(s.final_state, model.to_field(state));
  EXPECT_EQ(s.mean_cluster_size, c.mean_cluster_size);
}

TEST(Phi4Chain, BadSettingsNameTheKey) {
  const Phi4Model model({4, 0.2, 0.1});
  auto message = [&](Phi4UpdateParams up) {
    try {
      Rng rng(1, 0, StreamId::Test);
      run_phi4_chain(model, up, {1, 1, 1}, rng);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  Phi4UpdateParams up;
  up.metropolis_width = 0;
  EXPECT_NE(message(up).find("phi4.metropolis_width"), std::string::npos);
  up = {};
  up.hmc_step = -1;
  EXPECT_NE(message(up).find("phi4.hmc_step"), std::string::npos);
  up = {};
  up.hmc_steps = 0;
  EXPECT_NE(message(up).find("phi4.hmc_steps"), std::string::npos);
  try {
    parse_phi4_algorithm("wolff", "mcmc.algorithm");
    ADD_FAILURE() << "wolff alone accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mcmc.algorithm"), std::string::npos);
  }
}
