// The Gamma method as in DESIGN.md section 6 (Wolff 2004; pyerrors conventions).
#include "rigcs/analysis/gamma.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "rigcs/core/error.hpp"

namespace rigcs {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Lags are summed directly, kDirectChunk at a time, up to kDirectLags; a longer window
// switches to the FFT for all remaining lags. One direct lag costs one pass over the data,
// the FFT over a thousand (measured), and most windows are short.
constexpr int kDirectChunk = 32;
constexpr int kDirectLags = 512;

struct Shape {
  std::vector<std::size_t> lengths;  // N_r
  std::int64_t n = 0;                // N
  std::size_t max_length = 0;
};

Shape shape_of(const ReplicaSeries& a, const char* what) {
  Shape s;
  RIGCS_CHECK(!a.empty(), "Gamma method: " << what << " has no replicas");
  for (std::size_t r = 0; r < a.size(); ++r) {
    s.lengths.push_back(a[r].size());
    s.n += static_cast<std::int64_t>(a[r].size());
    s.max_length = std::max(s.max_length, a[r].size());
    for (std::size_t i = 0; i < a[r].size(); ++i) {
      RIGCS_CHECK(std::isfinite(a[r][i]), "Gamma method: " << what << " has a non-finite value ("
                                              << (std::isnan(a[r][i]) ? "NaN" : "Inf")
                                              << ") at replica " << r << ", index " << i);
    }
  }
  RIGCS_CHECK(s.n > 0, "Gamma method: " << what << " has no measurements (all replicas empty)");
  return s;
}

void check_options(const GammaOptions& opt) {
  RIGCS_CHECK(std::isfinite(opt.s_tau) && opt.s_tau > 0,
              "Gamma method: s_tau must be positive, got " << opt.s_tau);
}

// Mean over all replicas; the second pass removes most of the rounding of the first.
double mean_of(const ReplicaSeries& a, std::int64_t n) {
  double sum = 0;
  for (const auto& rep : a)
    for (double v : rep) sum += v;
  const double m = sum / static_cast<double>(n);
  double corr = 0;
  for (const auto& rep : a)
    for (double v : rep) corr += v - m;
  return m + corr / static_cast<double>(n);
}

// Per-measurement standard deviation, sets the numerical-derivative step.
double stddev_of(const ReplicaSeries& a, double mean, std::int64_t n) {
  double ss = 0;
  for (const auto& rep : a)
    for (double v : rep) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(n));
}

// True when every measurement has the same value; that value is then the exact mean.
bool is_constant(const ReplicaSeries& a, double* value) {
  bool seen = false;
  double first = 0;
  for (const auto& rep : a)
    for (double v : rep) {
      if (!seen) {
        first = v;
        seen = true;
      } else if (v != first) {
        return false;
      }
    }
  *value = first;
  return seen;
}

// Radix-2 FFT, in place; a.size() a power of two. Products are written out by hand:
// std::complex's operator* goes through the slow NaN-safe __muldc3 without -ffast-math.
void fft_in_place(std::vector<std::complex<double>>& a, bool inverse) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  // Twiddles of stage len at tw[len/2 + j] = exp(-+2 pi i j / len): contiguous per stage,
  // and each computed directly (no recurrence), so rounding does not grow with n.
  std::vector<double> twr(n), twi(n);
  const double sign = inverse ? 1.0 : -1.0;
  for (std::size_t half = 1; half < n; half <<= 1)
    for (std::size_t j = 0; j < half; ++j) {
      const double phi = sign * kPi * static_cast<double>(j) / static_cast<double>(half);
      twr[half + j] = std::cos(phi);
      twi[half + j] = std::sin(phi);
    }
  double* d = reinterpret_cast<double*>(a.data());  // array-oriented access is guaranteed
  for (std::size_t half = 1; half < n; half <<= 1) {
    const double* wr = twr.data() + half;
    const double* wi = twi.data() + half;
    for (std::size_t i = 0; i < n; i += 2 * half)
      for (std::size_t j = 0; j < half; ++j) {
        double* u = d + 2 * (i + j);
        double* v = d + 2 * (i + j + half);
        const double c = wr[j], s = wi[j];
        const double tr = v[0] * c - v[1] * s, ti = v[0] * s + v[1] * c;
        v[0] = u[0] - tr;
        v[1] = u[1] - ti;
        u[0] += tr;
        u[1] += ti;
      }
  }
  if (inverse)
    for (auto& z : a) z /= static_cast<double>(n);
}

// Unnormalised sums S(t) = sum_r sum_i x_{r,i} x_{r,i+t} for t in [t_lo, t_hi]. Four lags
// per pass over the data: four independent accumulators instead of one dependency chain.
void lag_sums_direct(const ReplicaSeries& x, int t_lo, int t_hi, std::vector<double>& sums) {
  std::fill(sums.begin() + t_lo, sums.begin() + t_hi + 1, 0.0);
  for (const auto& rep : x) {
    const std::size_t len = rep.size();
    const double* p = rep.data();
    std::size_t t = static_cast<std::size_t>(t_lo);
    const std::size_t hi = static_cast<std::size_t>(t_hi);
    for (; t + 3 <= hi; t += 4) {
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      const std::size_t all4 = len > t + 3 ? len - t - 3 : 0;  // i where all four pairs exist
      for (std::size_t i = 0; i < all4; ++i) {
        const double xi = p[i];
        s0 += xi * p[i + t];
        s1 += xi * p[i + t + 1];
        s2 += xi * p[i + t + 2];
        s3 += xi * p[i + t + 3];
      }
      for (std::size_t i = all4; i + t < len; ++i) s0 += p[i] * p[i + t];
      for (std::size_t i = all4; i + t + 1 < len; ++i) s1 += p[i] * p[i + t + 1];
      for (std::size_t i = all4; i + t + 2 < len; ++i) s2 += p[i] * p[i + t + 2];
      sums[t] += s0;
      sums[t + 1] += s1;
      sums[t + 2] += s2;
      sums[t + 3] += s3;
    }
    for (; t <= hi; ++t) {
      double s0 = 0;
      for (std::size_t i = 0; i + t < len; ++i) s0 += p[i] * p[i + t];
      sums[t] += s0;
    }
  }
}

// Same sums by FFT, written for t in [t_lo, t_max] only (lags below keep their direct sums).
void lag_sums_fft(const ReplicaSeries& x, int t_lo, int t_max, std::vector<double>& sums) {
  std::fill(sums.begin() + t_lo, sums.begin() + t_max + 1, 0.0);
  for (const auto& rep : x) {
    if (rep.empty()) continue;
    // Zero padding to >= 2 N_r makes the circular correlation the linear one.
    std::size_t m = 1;
    while (m < 2 * rep.size()) m <<= 1;
    std::vector<std::complex<double>> a(m);
    for (std::size_t i = 0; i < rep.size(); ++i) a[i] = rep[i];
    fft_in_place(a, false);
    for (auto& z : a) z = std::norm(z);
    fft_in_place(a, true);
    const std::size_t top = std::min<std::size_t>(static_cast<std::size_t>(t_max), rep.size() - 1);
    for (std::size_t t = static_cast<std::size_t>(t_lo); t <= top; ++t) sums[t] += a[t].real();
  }
}

double pair_count(const std::vector<std::size_t>& lengths, int t) {
  double c = 0;
  for (std::size_t len : lengths)
    if (len > static_cast<std::size_t>(t)) c += static_cast<double>(len - static_cast<std::size_t>(t));
  return c;
}

// Steps 3-5 of the recipe on projected fluctuations x (value left to the caller).
GammaResult analyse_fluctuations(const ReplicaSeries& x, const Shape& shape,
                                 const GammaOptions& opt) {
  GammaResult res;
  res.n = shape.n;
  const double n = static_cast<double>(shape.n);
  // Below kGammaMinMeasurements neither the variance nor a window can be estimated:
  // the error is undefined (NaN), not 0 (a zero error bar reads as exact).
  if (shape.n < kGammaMinMeasurements) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    res.error = res.tau_int = res.tau_int_error = nan;
    return res;
  }
  // Cap: beyond half the longest replica, Gamma(t) rests on too few pairs to mean anything.
  const int w_max = static_cast<int>(shape.max_length / 2);

  std::vector<double> sums(static_cast<std::size_t>(w_max) + 1, 0.0);
  lag_sums_direct(x, 0, 0, sums);
  const double gamma0 = sums[0] / n;
  if (!(gamma0 > 0)) return res;  // zero variance (or N = 1): error 0, tau_int 0.5

  auto gamma = [&](int t) { return sums[static_cast<std::size_t>(t)] / pair_count(shape.lengths, t); };

  int window = 0;
  double tau_w = 0.5;  // tau_int(W)
  if (!opt.independent && w_max > 0) {
    int computed = 0;  // lags with sums filled in
    double tau_int = 0.5;
    window = w_max;  // no sign change: take the largest window allowed
    for (int w = 1; w <= w_max; ++w) {
      if (w > computed) {
        if (computed < kDirectLags) {
          const int hi = std::min(w_max, computed + kDirectChunk);
          lag_sums_direct(x, computed + 1, hi, sums);
          computed = hi;
        } else {
          lag_sums_fft(x, computed + 1, w_max, sums);
          computed = w_max;
        }
      }
      tau_int += gamma(w) / gamma0;
      // tau(W) as in Wolff eq. (51); a tiny tau when tau_int(W) <= 1/2 stops at once.
      const double tau = tau_int <= 0.5
                             ? std::numeric_limits<double>::min()
                             : opt.s_tau / std::log((2 * tau_int + 1) / (2 * tau_int - 1));
      const double g = std::exp(-w / tau) - tau / std::sqrt(w * n);
      if (g < 0) {
        window = w;
        tau_w = tau_int;
        break;
      }
      tau_w = tau_int;
    }
  }

  double c_f = gamma0;
  for (int t = 1; t <= window; ++t) c_f += 2 * gamma(t);
  const double bias = 1 + (2.0 * window + 1) / n;
  // Strongly anticorrelated data can push the truncated sum below zero; the variance
  // of the mean is then compatible with zero.
  c_f = std::max(0.0, c_f * bias);

  res.window = window;
  res.error = std::sqrt(c_f / n);
  // Bias-corrected tau_int as pyerrors reports it (hep-lat/0306017 eq. 49): 0.5 at W = 0.
  res.tau_int = tau_w * bias / (1 + 1 / n);
  res.tau_int_error = res.tau_int * std::sqrt((4.0 * window + 2) / n);
  return res;
}

}  // namespace

ReplicaSeries split_replicas(const std::vector<double>& x, int n_replicas) {
  RIGCS_CHECK(n_replicas >= 1, "split_replicas: need at least one replica, got " << n_replicas);
  RIGCS_CHECK(x.size() >= static_cast<std::size_t>(n_replicas),
              "split_replicas: " << x.size() << " measurements cannot fill " << n_replicas
                                 << " replicas");
  ReplicaSeries out;
  const std::size_t r = static_cast<std::size_t>(n_replicas);
  for (std::size_t k = 0; k < r; ++k) {
    const std::size_t lo = x.size() * k / r, hi = x.size() * (k + 1) / r;
    out.emplace_back(x.begin() + static_cast<std::ptrdiff_t>(lo),
                     x.begin() + static_cast<std::ptrdiff_t>(hi));
  }
  return out;
}

std::vector<double> gamma_autocovariance(const ReplicaSeries& x, int t_max, AutocovKernel kernel) {
  RIGCS_CHECK(t_max >= 0, "gamma_autocovariance: t_max must be >= 0, got " << t_max);
  const Shape shape = shape_of(x, "series");
  std::vector<double> sums(static_cast<std::size_t>(t_max) + 1, 0.0);
  if (kernel == AutocovKernel::Direct)
    lag_sums_direct(x, 0, t_max, sums);
  else
    lag_sums_fft(x, 0, t_max, sums);
  for (int t = 0; t <= t_max; ++t) {
    const double c = pair_count(shape.lengths, t);
    sums[static_cast<std::size_t>(t)] = c > 0 ? sums[static_cast<std::size_t>(t)] / c : 0.0;
  }
  return sums;
}

GammaResult gamma_method(const ReplicaSeries& a, const GammaOptions& opt) {
  check_options(opt);
  const Shape shape = shape_of(a, "primary observable");
  double mean = 0;
  if (!is_constant(a, &mean)) mean = mean_of(a, shape.n);
  ReplicaSeries x = a;
  for (auto& rep : x)
    for (double& v : rep) v -= mean;
  GammaResult res = analyse_fluctuations(x, shape, opt);
  res.value = mean;
  return res;
}

GammaResult gamma_method(const std::vector<ReplicaSeries>& primaries, const DerivedFn& f,
                         const GammaOptions& opt, const DerivedGrad& grad) {
  check_options(opt);
  RIGCS_CHECK(!primaries.empty(), "Gamma method: derived quantity needs at least one primary");
  RIGCS_CHECK(static_cast<bool>(f), "Gamma method: derived quantity has no function");
  const std::size_t k = primaries.size();
  const Shape shape = shape_of(primaries[0], "primary 0");
  for (std::size_t al = 1; al < k; ++al) {
    const std::string what = "primary " + std::to_string(al);
    const Shape s = shape_of(primaries[al], what.c_str());
    RIGCS_CHECK(s.lengths == shape.lengths,
                "Gamma method: primary " << al << " has a different replica structure ("
                                         << s.lengths.size() << " replicas, N = " << s.n
                                         << ") than primary 0 (" << shape.lengths.size()
                                         << " replicas, N = " << shape.n << ")");
  }

  // Step 1: means, and df/dA at the means.
  std::vector<double> means(k), sds(k);
  std::vector<bool> constant(k);
  for (std::size_t al = 0; al < k; ++al) {
    constant[al] = is_constant(primaries[al], &means[al]);
    if (!constant[al]) means[al] = mean_of(primaries[al], shape.n);
    sds[al] = stddev_of(primaries[al], means[al], shape.n);
  }
  const double value = f(means);
  RIGCS_CHECK(std::isfinite(value), "Gamma method: derived function is not finite at the means");

  std::vector<double> df;
  if (grad) {
    df = grad(means);
    RIGCS_CHECK(df.size() == k, "Gamma method: gradient has " << df.size() << " entries for "
                                                              << k << " primaries");
  } else {
    // Central difference with a step scaled to the primary's fluctuations: eps^(1/3) * sd
    // balances truncation and rounding; it is floored at sqrt(eps) |A| so that A +- h stays
    // distinct from A. A primary without fluctuations contributes nothing: derivative unused.
    df.assign(k, 0.0);
    const double eps = std::numeric_limits<double>::epsilon();
    for (std::size_t al = 0; al < k; ++al) {
      if (constant[al] || sds[al] == 0) continue;
      double h = std::max(std::cbrt(eps) * sds[al], std::sqrt(eps) * std::abs(means[al]));
      std::vector<double> p = means, m = means;
      p[al] = means[al] + h;
      m[al] = means[al] - h;
      h = 0.5 * (p[al] - m[al]);  // the step actually taken, after rounding
      const double fp = f(p), fm = f(m);
      RIGCS_CHECK(std::isfinite(fp) && std::isfinite(fm),
                  "Gamma method: derived function is not finite near the means (primary " << al
                                                                                          << ")");
      df[al] = (fp - fm) / (2 * h);
    }
  }
  for (std::size_t al = 0; al < k; ++al)
    RIGCS_CHECK(std::isfinite(df[al]),
                "Gamma method: derivative with respect to primary " << al << " is not finite");

  // Step 2: projected fluctuations.
  ReplicaSeries x(shape.lengths.size());
  for (std::size_t r = 0; r < x.size(); ++r) {
    x[r].assign(shape.lengths[r], 0.0);
    for (std::size_t al = 0; al < k; ++al) {
      if (df[al] == 0 || constant[al]) continue;
      const auto& rep = primaries[al][r];
      for (std::size_t i = 0; i < rep.size(); ++i) x[r][i] += df[al] * (rep[i] - means[al]);
    }
  }
  GammaResult res = analyse_fluctuations(x, shape, opt);
  res.value = value;
  return res;
}

GammaResult gamma_log_mean_exp(const ReplicaSeries& x, const GammaOptions& opt) {
  shape_of(x, "log-mean-exp input");
  double xmax = -std::numeric_limits<double>::infinity();
  for (const auto& rep : x)
    for (double v : rep) xmax = std::max(xmax, v);
  // a_i = exp(x_i - max x) lies in (0, 1]: no overflow, and the largest term is exactly 1.
  ReplicaSeries a = x;
  for (auto& rep : a)
    for (double& v : rep) v = std::exp(v - xmax);
  const DerivedFn f = [xmax](const std::vector<double>& m) { return std::log(m[0]) + xmax; };
  const DerivedGrad g = [](const std::vector<double>& m) { return std::vector<double>{1 / m[0]}; };
  return gamma_method(std::vector<ReplicaSeries>{std::move(a)}, f, opt, g);
}

GammaResult gamma_ratio(const ReplicaSeries& num, const ReplicaSeries& den,
                        const GammaOptions& opt) {
  const DerivedFn f = [](const std::vector<double>& m) {
    RIGCS_CHECK(m[1] != 0, "gamma_ratio: the mean of the denominator is zero");
    return m[0] / m[1];
  };
  const DerivedGrad g = [](const std::vector<double>& m) {
    return std::vector<double>{1 / m[1], -m[0] / (m[1] * m[1])};
  };
  return gamma_method(std::vector<ReplicaSeries>{num, den}, f, opt, g);
}

}  // namespace rigcs
