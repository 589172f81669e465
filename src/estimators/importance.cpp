#include "rigcs/estimators/importance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rigcs/core/error.hpp"
#include "detail.hpp"

namespace rigcs {

namespace detail_est = estimators_detail;

namespace {

GammaResult scaled(GammaResult r, double c) {
  r.value *= c;
  r.error *= std::abs(c);
  return r;
}

// A quantity c_q * (q part) + c_p * (p part) of two independent ensembles: the error
// contributions add in quadrature; the autocorrelation is the p chain's.
GammaResult combine_ensembles(double value, const GammaResult& q_part, double c_q,
                              const GammaResult& p_part, double c_p) {
  GammaResult r = p_part;
  r.value = value;
  r.error = std::hypot(c_q * q_part.error, c_p * p_part.error);
  r.n = q_part.n + p_part.n;
  return r;
}

}  // namespace

ImportanceEstimates estimate_importance(const SampleSet& q_samples, double beta,
                                        GammaOptions opt) {
  validate_sample_set(q_samples, "importance sampling");
  RIGCS_CHECK(std::isfinite(beta), "importance sampling: beta is " << beta);
  opt.independent = true;  // draws from q are independent

  const ReplicaSeries lw = log_weights(q_samples);
  detail_est::check_series_finite(lw, "importance sampling: log w");
  // Shifted weights a = w / w_max lie in (0, 1]: nothing overflows, and ratios of means
  // of a equal ratios of means of w.
  const double shift = detail_est::series_max(lw);
  const ReplicaSeries a = detail_est::map(lw, [shift](double x) { return std::exp(x - shift); });

  ImportanceEstimates est;
  const GammaResult ln_z = gamma_log_mean_exp(lw, opt);
  est.set("lnZ", ln_z);
  est.set("betaF", scaled(ln_z, -1.0));
  if (beta != 0) est.set("F", scaled(ln_z, -1.0 / beta));

  // ESS = <a>^2 / <a^2>: a derived quantity of two primaries.
  const ReplicaSeries a2 = detail_est::map(a, [](double x) { return x * x; });
  est.set("ess", gamma_method(
                     {a, a2}, [](const std::vector<double>& m) { return m[0] * m[0] / m[1]; },
                     opt,
                     [](const std::vector<double>& m) {
                       return std::vector<double>{2 * m[0] / m[1], -m[0] * m[0] / (m[1] * m[1])};
                     }));

  if (q_samples.has_energy() || beta != 0) {
    const ReplicaSeries h = detail_est::energy_series(q_samples, beta, "importance sampling");
    const GammaResult e = gamma_ratio(detail_est::product(a, h), a, opt);
    est.set("E", e);
    est.set("beta_E", scaled(e, beta));
  }
  if (q_samples.has_abs_m()) {
    const ReplicaSeries m = detail_est::observable_series(q_samples, &SampleChunk::abs_m);
    est.set("abs_m", gamma_ratio(detail_est::product(a, m), a, opt));
  }
  est.set("log_w_mean", gamma_method(lw, opt));
  return est;
}

Estimates estimate_mode_dropping(const SampleSet& q_samples, const SampleSet& p_samples,
                                 GammaOptions p_opt) {
  validate_sample_set(q_samples, "mode dropping (model samples)");
  validate_sample_set(p_samples, "mode dropping (target samples)");
  GammaOptions q_opt = p_opt;
  q_opt.independent = true;

  const ReplicaSeries lw_q = log_weights(q_samples);
  const ReplicaSeries lw_p = log_weights(p_samples);
  detail_est::check_series_finite(lw_q, "mode dropping: log w of the model samples");
  detail_est::check_series_finite(lw_p, "mode dropping: log w of the target samples");

  Estimates est;
  const GammaResult ln_z_q = gamma_log_mean_exp(lw_q, q_opt);
  const GammaResult beta_f_q = scaled(ln_z_q, -1.0);
  // beta*H + log q = -log w.
  const ReplicaSeries minus_lw_p = detail_est::map(lw_p, [](double x) { return -x; });
  const GammaResult beta_f_p = gamma_log_mean_exp(minus_lw_p, p_opt);
  est.set("betaF_q", beta_f_q);
  est.set("betaF_p", beta_f_p);

  // EMDM = exp(betaF_p - betaF_q); d EMDM = EMDM * d(betaF_p - betaF_q).
  const double emdm = std::exp(beta_f_p.value - beta_f_q.value);
  est.set("emdm", combine_ensembles(emdm, beta_f_q, -emdm, beta_f_p, emdm));

  // KL(q||p) = lnZ_q - <log w>_q from the same samples: one derived quantity of the
  // primaries log w and w / w_max, so their correlation enters the error.
  const double shift = detail_est::series_max(lw_q);
  const ReplicaSeries a_q = detail_est::map(lw_q, [shift](double x) { return std::exp(x - shift); });
  est.set("kl_qp", gamma_method(
                       {lw_q, a_q},
                       [shift](const std::vector<double>& m) {
                         return -m[0] + std::log(m[1]) + shift;
                       },
                       q_opt,
                       [](const std::vector<double>& m) {
                         return std::vector<double>{-1.0, 1.0 / m[1]};
                       }));

  // KL(p||q) = <log w>_p - lnZ_q.
  const GammaResult lw_mean_p = gamma_method(lw_p, p_opt);
  est.set("kl_pq", combine_ensembles(lw_mean_p.value - ln_z_q.value, ln_z_q, -1.0, lw_mean_p, 1.0));
  return est;
}

}  // namespace rigcs
