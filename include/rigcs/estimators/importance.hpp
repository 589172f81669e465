// Importance-sampling estimators: log Z, free energy, ESS, reweighted observables, and
// the mode-dropping measure EMDM with the two Kullback-Leibler divergences
// (paper section 4, DESIGN.md section 2). Errors by the Gamma method.
#pragma once

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/estimators/sample_set.hpp"

namespace rigcs {

// Samples drawn independently from q (a generative sampler). Names:
//   lnZ         log Z = log mean exp(log w)
//   betaF       beta*F = -log Z
//   F           F = betaF / beta                       (only if beta != 0)
//   ess         ESS per sample = <w>^2 / <w^2>, in (0, 1]
//   E           reweighted <H>, extensive: mean(w H) / mean(w). Uses the energy
//               observable if present, else H = -(-beta*H)/beta (beta != 0).
//   beta_E      beta * <H>
//   abs_m       reweighted <|m|>                        (only if abs_m is present)
//   log_w_mean  <log w>_q = log Z - KL(q||p), the variational lower bound of log Z
// Weights are shifted by the largest log w, so |log w| ~ 1e4 stays finite.
// `opt.independent` is forced to true: draws from q are independent.
ImportanceEstimates estimate_importance(const SampleSet& q_samples, double beta,
                                        GammaOptions opt = {});

// Mode dropping and the two KL divergences (Nicoli et al. 2023, as the authors did it).
// q_samples: independent draws from the model, with their log q.
// p_samples: configurations from the target p (e.g. a Wolff chain) evaluated under the
//            model (log q of those configurations, and their -beta*H). They may be
//            autocorrelated: the Gamma method runs with the window of `p_opt`.
// Names:
//   betaF_q  -log mean_q exp(log w)                 (model samples)
//   betaF_p   log mean_p exp(beta*H + log q)          (target samples)
//   emdm      exp(betaF_p - betaF_q), in [0, 1] up to noise; 1 means no mode dropping
//   kl_qp     KL(q||p) = <beta*H + log q>_q + lnZ_q   (>= 0 for every sample set)
//   kl_pq     KL(p||q) = -<beta*H + log q>_p - lnZ_q
// The q and p sets are independent ensembles: their error contributions add in
// quadrature. For quantities mixing both, tau_int / window are those of the p part
// and n is the total number of samples.
Estimates estimate_mode_dropping(const SampleSet& q_samples, const SampleSet& p_samples,
                                 GammaOptions p_opt = {});

}  // namespace rigcs
