#include "rigcs/estimators/neural_mcmc.hpp"

#include <cmath>

#include "detail.hpp"
#include "rigcs/core/error.hpp"

namespace rigcs {

namespace detail_est = estimators_detail;

ImhChain independent_metropolis(const std::vector<double>& log_w, Rng& rng) {
  RIGCS_CHECK(!log_w.empty(), "neural MCMC: no proposals");
  for (std::size_t i = 0; i < log_w.size(); ++i)
    RIGCS_CHECK(std::isfinite(log_w[i]), "neural MCMC: log w[" << i << "] is " << log_w[i]);
  ImhChain chain;
  chain.state.resize(log_w.size());
  chain.accepted.resize(log_w.size() - 1);
  std::int64_t current = 0;
  chain.state[0] = 0;
  for (std::size_t t = 1; t < log_w.size(); ++t) {
    // One uniform per step whatever the outcome, so the stream position depends only on t.
    const double u = rng.uniform();
    const double delta = log_w[t] - log_w[static_cast<std::size_t>(current)];
    const bool accept = delta >= 0 || u < std::exp(delta);
    if (accept) current = static_cast<std::int64_t>(t);
    chain.accepted[t - 1] = accept ? 1 : 0;
    chain.state[t] = current;
  }
  return chain;
}

NeuralMcmcResult neural_mcmc(const SampleSet& proposals, double beta, Rng& rng,
                             double obs_s_tau) {
  validate_sample_set(proposals, "neural MCMC");
  RIGCS_CHECK(std::isfinite(beta), "neural MCMC: beta is " << beta);
  RIGCS_CHECK(obs_s_tau > 0, "neural MCMC: S_tau must be positive, got " << obs_s_tau);

  const ReplicaSeries lw = log_weights(proposals);
  detail_est::check_series_finite(lw, "neural MCMC: log w");
  const ReplicaSeries h = detail_est::energy_series(proposals, beta, "neural MCMC");
  const bool with_abs_m = proposals.has_abs_m();
  const ReplicaSeries m =
      with_abs_m ? detail_est::observable_series(proposals, &SampleChunk::abs_m) : ReplicaSeries{};

  NeuralMcmcResult res;
  for (std::size_t r = 0; r < lw.size(); ++r) {
    const ImhChain chain = independent_metropolis(lw[r], rng);
    std::vector<double> e(chain.state.size()), am;
    for (std::size_t t = 0; t < chain.state.size(); ++t)
      e[t] = h[r][static_cast<std::size_t>(chain.state[t])];
    if (with_abs_m) {
      am.resize(chain.state.size());
      for (std::size_t t = 0; t < chain.state.size(); ++t)
        am[t] = m[r][static_cast<std::size_t>(chain.state[t])];
      res.abs_m.push_back(std::move(am));
    }
    res.energy.push_back(std::move(e));
    if (!chain.accepted.empty())
      res.accepted.push_back(std::vector<double>(chain.accepted.begin(), chain.accepted.end()));
  }
  RIGCS_CHECK(!res.accepted.empty(),
              "neural MCMC: every replica has a single proposal; a chain needs at least two");

  GammaOptions plain;
  plain.independent = true;
  res.estimates.set("acceptance", gamma_method(res.accepted, plain));

  GammaOptions obs;
  obs.s_tau = obs_s_tau;
  const GammaResult e = gamma_method(res.energy, obs);
  res.estimates.set("imh_E", e);
  GammaResult be = e;
  be.value *= beta;
  be.error *= std::abs(beta);
  res.estimates.set("imh_beta_E", be);
  if (with_abs_m) res.estimates.set("imh_abs_m", gamma_method(res.abs_m, obs));
  return res;
}

}  // namespace rigcs
