// Estimators checked against exact enumeration of 3x3 and 4x4 Ising lattices at
// beta = 0.44, with exact samplers (no torch): the Boltzmann distribution itself,
// independent-spin models, and a local Metropolis chain for autocorrelated p samples.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "estimators/ising_samplers.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/estimators/importance.hpp"
#include "rigcs/estimators/neural_mcmc.hpp"
#include "rigcs/estimators/reduce.hpp"
#include "rigcs/parallel/communicator.hpp"

namespace rigcs {
namespace {

using test::IndependentSpins;
using test::IsingEnumeration;
using test::push_state;
using test::SymmetricProductSpins;

constexpr double kBeta = 0.44;

const IsingEnumeration& exact3() {
  static const IsingEnumeration ex(IsingParams{3, kBeta, 1.0});
  return ex;
}
const IsingEnumeration& exact4() {
  static const IsingEnumeration ex(IsingParams{4, kBeta, 1.0});
  return ex;
}

// |estimate - exact| < 4 sigma, with a nonzero sigma.
void expect_within_4_sigma(const GammaResult& r, double exact, const std::string& what) {
  EXPECT_GT(r.error, 0) << what;
  EXPECT_LT(std::abs(r.value - exact), 4 * r.error)
      << what << ": " << r.value << " +- " << r.error << ", exact " << exact;
}

SampleChunk exact_samples(const IsingEnumeration& ex, Rng& rng, int m) {
  SampleChunk c;
  for (int i = 0; i < m; ++i) {
    const std::size_t k = ex.draw(rng);
    push_state(c, ex, k, ex.log_p[k]);  // q = p exactly
  }
  return c;
}

template <class Model>
SampleChunk independent_samples(const IsingEnumeration& ex, const Model& q, Rng& rng, int m) {
  SampleChunk c;
  for (int i = 0; i < m; ++i) {
    const std::size_t k = q.draw(rng);
    push_state(c, ex, k, q.log_q(k));
  }
  return c;
}

// Single-spin Metropolis chain from p, one measurement per sweep, evaluated under q:
// autocorrelated p samples such as a Wolff chain provides.
template <class Model>
SampleChunk metropolis_p_samples(const IsingEnumeration& ex, const Model& q, Rng& rng, int sweeps) {
  const IsingModel& model = ex.model;
  SpinConfig s = model.cold_start();
  SampleChunk c;
  for (int sweep = 0; sweep < sweeps + 100; ++sweep) {
    for (int v = 0; v < model.volume(); ++v) {
      const double d = model.flip_delta(s, v);
      if (d <= 0 || rng.uniform() < std::exp(-kBeta * d)) s[v] = static_cast<Spin>(-s[v]);
    }
    if (sweep < 100) continue;  // thermalisation
    const std::size_t k = ex.index(s);
    push_state(c, ex, k, q.log_q(k));
  }
  return c;
}

template <class F>
void expect_error_mentioning(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no rigcs::Error thrown (expected one mentioning '" << fragment << "')";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << fragment << "'";
  }
}

TEST(Enumeration, MatchesPublishedLogZ) {
  // DESIGN.md: -log Z = -15.50472654 at N = 4, beta = 0.44.
  EXPECT_NEAR(exact4().ln_z, 15.50472654, 1e-8);
}

// (a) q = p exactly: every weight equals Z.
TEST(ImportanceSampling, ExactSamplerHasUnitEssAndExactLogZ) {
  const auto& ex = exact3();
  Rng rng(11, 0, StreamId::Test);
  const SampleSet set({exact_samples(ex, rng, 20000)});
  const ImportanceEstimates est = estimate_importance(set, kBeta);

  EXPECT_NEAR(est.at("ess").value, 1.0, 1e-12);
  EXPECT_LT(est.at("ess").error, 1e-10);
  EXPECT_NEAR(est.at("lnZ").value, ex.ln_z, 1e-10);
  EXPECT_LT(est.at("lnZ").error, 1e-10);
  EXPECT_NEAR(est.at("betaF").value, -ex.ln_z, 1e-10);
  EXPECT_NEAR(est.at("F").value, -ex.ln_z / kBeta, 1e-9);
  EXPECT_NEAR(est.at("log_w_mean").value, ex.ln_z, 1e-10);
  EXPECT_EQ(est.at("lnZ").n, 20000);
  expect_within_4_sigma(est.at("E"), ex.mean_energy, "E");
  expect_within_4_sigma(est.at("abs_m"), ex.mean_abs_m, "abs_m");
  EXPECT_NEAR(est.at("beta_E").value, kBeta * est.at("E").value, 1e-12);
}

// (b) uniform q: log q = -V log 2.
void check_uniform_proposal(const IsingEnumeration& ex, std::uint64_t seed, int m) {
  const IndependentSpins q{ex.model.volume(), 0.5};
  Rng rng(seed, 0, StreamId::Test);
  // Two replicas, as from two ranks.
  const SampleSet set({independent_samples(ex, q, rng, m / 2), independent_samples(ex, q, rng, m / 2)});
  const ImportanceEstimates est = estimate_importance(set, kBeta);
  const std::string n = "N=" + std::to_string(ex.model.size()) + " ";
  expect_within_4_sigma(est.at("lnZ"), ex.ln_z, n + "lnZ");
  expect_within_4_sigma(est.at("betaF"), -ex.ln_z, n + "betaF");
  expect_within_4_sigma(est.at("E"), ex.mean_energy, n + "E");
  expect_within_4_sigma(est.at("abs_m"), ex.mean_abs_m, n + "abs_m");
  // Uniform q gives a nontrivial ESS; <log w> is a lower bound of log Z.
  EXPECT_GT(est.at("ess").value, 0.0);
  EXPECT_LT(est.at("ess").value, 1.0);
  EXPECT_GT(est.at("ess").error, 0.0);
  EXPECT_LT(est.at("log_w_mean").value, est.at("lnZ").value);
  EXPECT_DOUBLE_EQ(est.at("lnZ").tau_int, 0.5);  // independent samples
}

TEST(ImportanceSampling, UniformProposal3x3MatchesExact) { check_uniform_proposal(exact3(), 21, 40000); }
TEST(ImportanceSampling, UniformProposal4x4MatchesExact) { check_uniform_proposal(exact4(), 22, 100000); }

TEST(ImportanceSampling, EssMatchesDirectFormula) {
  // (sum w)^2 / (M sum w^2) computed naively for moderate weights.
  SampleChunk c;
  const double lw[] = {0.1, -0.7, 1.3, 0.0, -2.0};
  for (double x : lw) {
    c.log_q.push_back(-x);
    c.minus_beta_H.push_back(0.0);
  }
  double s1 = 0, s2 = 0;
  for (double x : lw) {
    s1 += std::exp(x);
    s2 += std::exp(2 * x);
  }
  const ImportanceEstimates est = estimate_importance(SampleSet({c}), kBeta);
  EXPECT_NEAR(est.at("ess").value, s1 * s1 / (5 * s2), 1e-14);
  EXPECT_NEAR(est.at("lnZ").value, std::log(s1 / 5), 1e-14);
}

// (c) EMDM and the KL divergences.
TEST(ModeDropping, VanishesWhenModelIsExact) {
  const auto& ex = exact3();
  Rng rng(31, 0, StreamId::Test);
  const SampleSet q_set({exact_samples(ex, rng, 5000)});
  const SampleSet p_set({exact_samples(ex, rng, 5000)});
  const Estimates est = estimate_mode_dropping(q_set, p_set);
  EXPECT_NEAR(est.at("emdm").value, 1.0, 1e-10);
  EXPECT_NEAR(est.at("kl_qp").value, 0.0, 1e-10);
  EXPECT_NEAR(est.at("kl_pq").value, 0.0, 1e-10);
  EXPECT_NEAR(est.at("betaF_q").value, -ex.ln_z, 1e-10);
  EXPECT_NEAR(est.at("betaF_p").value, -ex.ln_z, 1e-10);
  EXPECT_LT(est.at("emdm").error, 1e-10);
  EXPECT_EQ(est.at("emdm").n, 10000);
}

TEST(ModeDropping, BiasedModelMatchesExactDivergences) {
  const auto& ex = exact3();
  const SymmetricProductSpins q{ex.model.volume(), 0.85};
  double kl_qp = 0, kl_pq = 0;
  for (std::size_t k = 0; k < ex.log_p.size(); ++k) {
    const double lq = q.log_q(k);
    kl_qp += std::exp(lq) * (lq - ex.log_p[k]);
    kl_pq += std::exp(ex.log_p[k]) * (ex.log_p[k] - lq);
  }
  ASSERT_GT(kl_qp, 0.5);  // the model is visibly wrong
  ASSERT_GT(kl_pq, 0.5);

  Rng rng(41, 0, StreamId::Test);
  const SampleSet q_set({independent_samples(ex, q, rng, 20000)});
  const SampleSet p_set({metropolis_p_samples(ex, q, rng, 20000)});
  const Estimates est = estimate_mode_dropping(q_set, p_set);

  expect_within_4_sigma(est.at("kl_qp"), kl_qp, "KL(q||p)");
  expect_within_4_sigma(est.at("kl_pq"), kl_pq, "KL(p||q)");
  EXPECT_GE(est.at("kl_qp").value, -4 * est.at("kl_qp").error);
  // q > 0 everywhere and well sampled: no mode is dropped.
  expect_within_4_sigma(est.at("emdm"), 1.0, "EMDM");
  expect_within_4_sigma(est.at("betaF_p"), -ex.ln_z, "betaF_p");
  expect_within_4_sigma(est.at("betaF_q"), -ex.ln_z, "betaF_q");
  // The Metropolis chain is autocorrelated: the Gamma method found it.
  EXPECT_GT(est.at("betaF_p").window, 0);
}

TEST(ModeDropping, DetectsADroppedMode) {
  // q = p on the M > 0 half, and a mass of only 1e-6 on the M < 0 half (M is odd on 3x3):
  // the model draws see half of p, so EMDM = 1/2, and KL(p||q) is large.
  const auto& ex = exact3();
  const double eps = 1e-6;
  auto log_q = [&](std::size_t k) {
    const bool up = ex.model.magnetisation(ex.config(k)) > 0;
    return ex.log_p[k] + std::log(2 * (up ? 1 - eps : eps));
  };
  Rng rng(45, 0, StreamId::Test);
  SampleChunk qc;
  for (int i = 0; i < 5000; ++i) {
    std::size_t k = ex.draw(rng);
    const bool up = ex.model.magnetisation(ex.config(k)) > 0;
    const bool want_up = rng.uniform() >= eps;
    if (up != want_up) k = ~k & (ex.cdf.size() - 1);  // global flip
    push_state(qc, ex, k, log_q(k));
  }
  SampleChunk pc;
  for (int i = 0; i < 5000; ++i) {
    const std::size_t k = ex.draw(rng);
    push_state(pc, ex, k, log_q(k));
  }
  const Estimates est = estimate_mode_dropping(SampleSet({qc}), SampleSet({pc}));
  expect_within_4_sigma(est.at("emdm"), 0.5 / (1 - eps), "EMDM");
  EXPECT_GT(est.at("kl_pq").value - 4 * est.at("kl_pq").error, 5.0);
}

// (d) neural MCMC.
TEST(NeuralMcmc, UniformProposalReproducesExactObservables) {
  const auto& ex = exact3();
  const IndependentSpins q{ex.model.volume(), 0.5};
  Rng draw(51, 0, StreamId::Test);
  const SampleSet proposals({independent_samples(ex, q, draw, 100000)});
  Rng rng(51, 0, StreamId::NeuralMcmc);
  const NeuralMcmcResult res = neural_mcmc(proposals, kBeta, rng);

  expect_within_4_sigma(res.estimates.at("imh_E"), ex.mean_energy, "imh_E");
  expect_within_4_sigma(res.estimates.at("imh_abs_m"), ex.mean_abs_m, "imh_abs_m");
  EXPECT_NEAR(res.estimates.at("imh_beta_E").value, kBeta * res.estimates.at("imh_E").value, 1e-12);
  const GammaResult& acc = res.estimates.at("acceptance");
  EXPECT_GT(acc.value, 0.05);
  EXPECT_LT(acc.value, 0.95);
  EXPECT_GT(acc.error, 0);
  EXPECT_EQ(acc.n, 99999);
  EXPECT_GT(res.estimates.at("imh_E").tau_int, 0.5);  // rejections correlate the chain
  ASSERT_EQ(res.energy.size(), 1u);
  EXPECT_EQ(res.energy[0].size(), 100000u);
}

TEST(NeuralMcmc, ExactProposalAcceptsEverything) {
  const auto& ex = exact3();
  Rng draw(61, 0, StreamId::Test);
  const SampleSet proposals({exact_samples(ex, draw, 5000), exact_samples(ex, draw, 3000)});
  Rng rng(61, 0, StreamId::NeuralMcmc);
  const NeuralMcmcResult res = neural_mcmc(proposals, kBeta, rng);
  EXPECT_DOUBLE_EQ(res.estimates.at("acceptance").value, 1.0);
  EXPECT_EQ(res.estimates.at("acceptance").n, 4999 + 2999);
  // Every proposal accepted: the chain is the proposal sequence itself.
  EXPECT_EQ(res.energy[1], proposals.replicas[1].energy);
}

TEST(NeuralMcmc, AcceptanceRuleAndDeterminism) {
  // Uphill (larger w) always accepted; a drop of 50 in log w essentially never.
  Rng rng(71, 0, StreamId::NeuralMcmc);
  const ImhChain up = independent_metropolis({0.0, 0.5, 0.6, 3.0}, rng);
  EXPECT_EQ(up.state, (std::vector<std::int64_t>{0, 1, 2, 3}));
  const ImhChain down = independent_metropolis({0.0, -50.0, -60.0, 1.0}, rng);
  EXPECT_EQ(down.state, (std::vector<std::int64_t>{0, 0, 0, 3}));
  EXPECT_EQ(down.accepted, (std::vector<std::uint8_t>{0, 0, 1}));

  // Same rng state, same chain; acceptance of a drop of log 2 is near 1/2.
  std::vector<double> lw;
  for (int i = 0; i < 20000; ++i) lw.push_back(i % 2 == 0 ? 0.0 : -std::log(2.0));
  Rng a(72, 0, StreamId::NeuralMcmc), b(72, 0, StreamId::NeuralMcmc);
  const ImhChain ca = independent_metropolis(lw, a), cb = independent_metropolis(lw, b);
  EXPECT_EQ(ca.state, cb.state);
  EXPECT_EQ(a.state(), b.state());
}

// (e) overflow safety.
TEST(ImportanceSampling, HugeLogWeightsStayFinite) {
  for (double centre : {1e4, -1e4}) {
    SampleChunk c;
    Rng rng(81, 0, StreamId::Test);
    for (int i = 0; i < 1000; ++i) {
      c.log_q.push_back(-centre + rng.uniform());
      c.minus_beta_H.push_back(-kBeta * (rng.uniform() - 0.5));
    }
    const ImportanceEstimates est = estimate_importance(SampleSet({c}), kBeta);
    for (const auto& kv : est.values) {
      EXPECT_TRUE(std::isfinite(kv.second.value)) << kv.first << " at log w ~ " << centre;
      EXPECT_TRUE(std::isfinite(kv.second.error)) << kv.first << " at log w ~ " << centre;
    }
    EXPECT_NEAR(est.at("lnZ").value, centre, 2.0);
    EXPECT_GT(est.at("ess").value, 0.5);

    SerialCommunicator comm;
    const GlobalWeightSummary g = reduce_log_weights(comm, chunk_log_weights(c));
    EXPECT_NEAR(g.ln_z, est.at("lnZ").value, 1e-9);
    EXPECT_NEAR(g.ess, est.at("ess").value, 1e-12);
  }
  // Both extremes in one set: the small weights simply vanish next to the large ones.
  SampleChunk mixed;
  mixed.log_q = {-1e4, 1e4, -1e4 + 1, 1e4 + 1};
  mixed.minus_beta_H = {0, 0, 0, 0};
  const ImportanceEstimates est = estimate_importance(SampleSet({mixed}), kBeta);
  const double expected = 1e4 + std::log((1 + std::exp(-1.0)) / 4);
  EXPECT_NEAR(est.at("lnZ").value, expected, 1e-9);
  const double ess = std::pow(1 + std::exp(-1.0), 2) / (4 * (1 + std::exp(-2.0)));
  EXPECT_NEAR(est.at("ess").value, ess, 1e-12);
  NeuralMcmcResult r;
  Rng rng(82, 0, StreamId::NeuralMcmc);
  EXPECT_NO_THROW(r = neural_mcmc(SampleSet({mixed}), kBeta, rng));
}

// (f) bad input.
TEST(Estimators, RejectBadInputWithClearMessages) {
  expect_error_mentioning([] { estimate_importance(SampleSet{}, kBeta); }, "empty");
  expect_error_mentioning([] { estimate_importance(SampleSet({SampleChunk{}}), kBeta); }, "empty");

  SampleChunk good;
  good.log_q = {-1.0, -2.0, -3.0};
  good.minus_beta_H = {0.5, 0.1, 0.2};

  SampleChunk short_h = good;
  short_h.minus_beta_H.pop_back();
  expect_error_mentioning([&] { estimate_importance(SampleSet({good, short_h}), kBeta); },
                          "replica 1 has 3 log_q but 2 minus_beta_H");

  SampleChunk nan_q = good;
  nan_q.log_q[1] = std::nan("");
  expect_error_mentioning([&] { estimate_importance(SampleSet({nan_q}), kBeta); }, "log_q[1]");
  SampleChunk inf_q = good;
  inf_q.log_q[2] = -INFINITY;
  expect_error_mentioning([&] { estimate_importance(SampleSet({inf_q}), kBeta); }, "log_q[2]");

  SampleChunk bad_e = good;
  bad_e.energy = {1.0, 2.0};
  expect_error_mentioning([&] { estimate_importance(SampleSet({bad_e}), kBeta); }, "energy");
  SampleChunk with_e = good;
  with_e.energy = {1.0, 2.0, 3.0};
  expect_error_mentioning([&] { estimate_importance(SampleSet({with_e, good}), kBeta); },
                          "replica 1 has 3 samples but 0 energy");
  SampleChunk nan_m = good;
  nan_m.abs_m = {0.1, std::nan(""), 0.3};
  expect_error_mentioning([&] { estimate_importance(SampleSet({nan_m}), kBeta); }, "abs_m[1]");

  expect_error_mentioning([&] { estimate_importance(SampleSet({good}), std::nan("")); }, "beta");
  expect_error_mentioning([&] { estimate_mode_dropping(SampleSet({good}), SampleSet{}); },
                          "target samples");

  Rng rng(91, 0, StreamId::NeuralMcmc);
  SampleChunk one;
  one.log_q = {0.0};
  one.minus_beta_H = {0.0};
  expect_error_mentioning([&] { neural_mcmc(SampleSet({one}), kBeta, rng); }, "at least two");
  expect_error_mentioning([&] { neural_mcmc(SampleSet({good}), 0.0, rng); }, "beta = 0");
  expect_error_mentioning([&] { independent_metropolis({}, rng); }, "no proposals");

  const ImportanceEstimates est = estimate_importance(SampleSet({good}), kBeta);
  expect_error_mentioning([&] { est.at("free_energy"); }, "no estimate named 'free_energy'");
  EXPECT_FALSE(est.has("abs_m"));  // not measured, not reported

  SerialCommunicator comm;
  expect_error_mentioning([&] { reduce_log_weights(comm, {}); }, "no rank has samples");
  expect_error_mentioning([&] { reduce_log_weights(comm, {0.0, NAN}); }, "log w[1]");
}

// Reductions on one rank agree with the full analysis, and empty replicas are harmless.
TEST(Reductions, SerialReductionsMatchFullAnalysis) {
  const auto& ex = exact3();
  const IndependentSpins q{ex.model.volume(), 0.5};
  Rng rng(101, 0, StreamId::Test);
  const SampleChunk chunk = independent_samples(ex, q, rng, 5000);
  const ImportanceEstimates full = estimate_importance(SampleSet({chunk}), kBeta);

  SerialCommunicator comm;
  const std::vector<double> lw = chunk_log_weights(chunk);
  EXPECT_NEAR(global_log_z(comm, lw), full.at("lnZ").value, 1e-12);
  EXPECT_NEAR(global_ess(comm, lw), full.at("ess").value, 1e-12);
  EXPECT_EQ(reduce_log_weights(comm, lw).n, 5000);

  const SampleSet gathered = gather_sample_set(comm, chunk);
  ASSERT_EQ(gathered.replicas.size(), 1u);
  EXPECT_EQ(gathered.replicas[0].energy, chunk.energy);

  const ImportanceEstimates global = estimate_importance_global(comm, chunk, kBeta);
  ASSERT_EQ(global.values.size(), full.values.size());
  for (const auto& kv : full.values) {
    EXPECT_EQ(global.at(kv.first).value, kv.second.value) << kv.first;
    EXPECT_EQ(global.at(kv.first).error, kv.second.error) << kv.first;
  }

  // An empty replica (a rank that drew nothing) changes nothing.
  const ImportanceEstimates with_empty = estimate_importance(SampleSet({chunk, SampleChunk{}}), kBeta);
  EXPECT_DOUBLE_EQ(with_empty.at("lnZ").value, full.at("lnZ").value);
  EXPECT_DOUBLE_EQ(with_empty.at("lnZ").error, full.at("lnZ").error);
}

}  // namespace
}  // namespace rigcs
