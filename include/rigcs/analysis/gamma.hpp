// The Gamma method (U. Wolff, "Monte Carlo errors with less errors", 2004), as in
// pyerrors: projected fluctuations, automatic window, tau_int with its error, and
// linear error propagation to derived quantities. Replicas (ranks, runs) are
// separate series: autocorrelations are summed within each replica only.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace rigcs {

// One primary observable: one time series per replica.
using ReplicaSeries = std::vector<std::vector<double>>;

struct GammaOptions {
  double s_tau = 1.5;        // S of the automatic window (Wolff 2004); pyerrors default
  bool independent = false;  // W = 0: the naive error, for independent samples
};

struct GammaResult {
  double value = 0;          // f(means)
  double error = 0;          // sigma_F, bias-corrected
  double tau_int = 0.5;      // integrated autocorrelation time (0.5: uncorrelated)
  double tau_int_error = 0;  // tau_int * sqrt((4W + 2) / N)
  int window = 0;            // W chosen
  std::int64_t n = 0;        // total number of measurements N
};

// A derived quantity F = f(A_1 .. A_k) of the means of k primaries.
using DerivedFn = std::function<double(const std::vector<double>&)>;
// Optional analytic gradient df/dA_alpha at the means; empty -> central difference with
// step eps^(1/3) * (standard deviation of primary alpha), floored at sqrt(eps) |A_alpha|.
using DerivedGrad = std::function<std::vector<double>(const std::vector<double>&)>;

// Fewest measurements with a defined error. With fewer (1 to 3), a result carries the
// value only: error, tau_int and tau_int_error are NaN ("undefined").
inline constexpr std::int64_t kGammaMinMeasurements = 4;

// Primary observable.
GammaResult gamma_method(const ReplicaSeries& a, const GammaOptions& opt = {});

// Derived quantity. All primaries must have the same replica structure.
GammaResult gamma_method(const std::vector<ReplicaSeries>& primaries, const DerivedFn& f,
                         const GammaOptions& opt = {}, const DerivedGrad& grad = {});

// log(mean(exp(x))) with its error, stable for large |x| (shifted by max x).
GammaResult gamma_log_mean_exp(const ReplicaSeries& x, const GammaOptions& opt = {});

// mean(num) / mean(den).
GammaResult gamma_ratio(const ReplicaSeries& num, const ReplicaSeries& den,
                        const GammaOptions& opt = {});

// Wrap one series as a single-replica ReplicaSeries.
inline ReplicaSeries single_replica(std::vector<double> x) { return ReplicaSeries{std::move(x)}; }

// Split one series into `n_replicas` contiguous replicas of (nearly) equal length.
ReplicaSeries split_replicas(const std::vector<double>& x, int n_replicas);

// Autocovariance of fluctuations x (mean already removed), summed within replicas:
// Gamma(t) = sum_r sum_i x_{r,i} x_{r,i+t} / (number of such pairs), t = 0..t_max.
// The pair count equals N - R t while every replica is longer than t. Lags with no pairs
// give 0. Exposed so that the two kernels can be checked against each other.
enum class AutocovKernel { Direct, Fft };
std::vector<double> gamma_autocovariance(const ReplicaSeries& x, int t_max,
                                         AutocovKernel kernel = AutocovKernel::Fft);

}  // namespace rigcs
