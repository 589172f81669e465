// Gamma method: known autocorrelation times (AR(1)), white noise, derived quantities
// against repetitions, log-mean-exp against the Gaussian closed form, replicas, and
// bad input. Fixed seeds throughout.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"

namespace rigcs {
namespace {

// Stationary AR(1) with unit variance: rho(t) = phi^t, tau_int = (1 + phi) / (2 (1 - phi)).
std::vector<double> ar1(std::size_t n, double phi, std::mt19937_64& gen) {
  std::normal_distribution<double> normal;
  std::vector<double> x(n);
  double v = normal(gen);
  const double c = std::sqrt(1 - phi * phi);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = v;
    v = phi * v + c * normal(gen);
  }
  return x;
}

double tau_ar1(double phi) { return (1 + phi) / (2 * (1 - phi)); }

double naive_error(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  const double n = static_cast<double>(x.size());
  return std::sqrt(ss / (n * (n - 1)));
}

struct Spread {
  double mean = 0, sd = 0;
};
Spread spread(const std::vector<double>& v) {
  Spread s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  return s;
}

// The recipe worked by hand on {1, 2, 3, 4}: Gamma(0) = 5/4, Gamma(1) = 5/12, W = 1
// (g(1) = exp(-1/tau) - tau/2 < 0 with tau = 1.5 / ln 4), C_F = 25/12 * (1 + 3/4).
TEST(GammaMethod, RecipeByHand) {
  const GammaResult r = gamma_method(single_replica({1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(r.value, 2.5);
  EXPECT_EQ(r.window, 1);
  EXPECT_EQ(r.n, 4);
  const double c_f = (1.25 + 2 * 1.25 / 3) * 1.75;
  EXPECT_NEAR(r.error, std::sqrt(c_f / 4), 1e-14);
  EXPECT_NEAR(r.tau_int, (0.5 + 1.0 / 3) * 1.75 / 1.25, 1e-14);
  EXPECT_NEAR(r.tau_int_error, r.tau_int * std::sqrt(6.0 / 4), 1e-14);
}

// (a) AR(1), phi = 0.9: tau_int = 9.5 and sigma = sqrt(2 tau_int / N).
TEST(GammaMethod, Ar1KnownTauInt) {
  std::mt19937_64 gen(20240601);
  const std::size_t n = 1000000;
  const double phi = 0.9, tau = tau_ar1(phi);
  ASSERT_DOUBLE_EQ(tau, 9.5);
  const GammaResult r = gamma_method(single_replica(ar1(n, phi, gen)));
  EXPECT_LT(std::abs(r.tau_int - tau), 4 * r.tau_int_error)
      << "tau_int " << r.tau_int << " +- " << r.tau_int_error << ", W = " << r.window;
  const double exact_sigma = std::sqrt(2 * tau / static_cast<double>(n));
  EXPECT_NEAR(r.error / exact_sigma, 1.0, 0.1);
  EXPECT_LT(std::abs(r.value), 4 * exact_sigma);
  EXPECT_GT(r.window, 10);
  EXPECT_LT(r.window, 200);
}

// (b) White noise: tau_int consistent with 1/2, error equal to the naive one.
TEST(GammaMethod, WhiteNoise) {
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal(1.0, 2.0);
  std::vector<double> x(100000);
  for (double& v : x) v = normal(gen);
  const GammaResult r = gamma_method(single_replica(x));
  EXPECT_LT(std::abs(r.tau_int - 0.5), 4 * r.tau_int_error) << "tau_int " << r.tau_int;
  EXPECT_NEAR(r.error / naive_error(x), 1.0, 0.03);
  EXPECT_LT(std::abs(r.value - 1.0), 4 * r.error);
}

// (c) Ratio of two correlated AR(1) means: Gamma error against the spread over
// independent repetitions and against the linearised exact error.
TEST(GammaMethod, RatioAgainstRepetitions) {
  std::mt19937_64 gen(12345);
  const int reps = 200;
  const std::size_t n = 20000;
  std::vector<double> values, errors;
  for (int k = 0; k < reps; ++k) {
    const std::vector<double> x = ar1(n, 0.9, gen), z = ar1(n, 0.5, gen);
    std::vector<double> num(n), den(n);
    for (std::size_t i = 0; i < n; ++i) {
      num[i] = 3 + x[i];
      den[i] = 2 + 0.5 * x[i] + 0.5 * z[i];
    }
    const GammaResult r = gamma_ratio(single_replica(num), single_replica(den));
    values.push_back(r.value);
    errors.push_back(r.error);
  }
  const Spread v = spread(values), e = spread(errors);
  // Spread of 200 values is known to ~5%.
  EXPECT_NEAR(e.mean / v.sd, 1.0, 0.2) << "gamma " << e.mean << " spread " << v.sd;
  // Linearised: x_i = 0.125 x - 0.375 z at the exact means (3, 2).
  const double exact = std::sqrt((0.125 * 0.125 * 2 * tau_ar1(0.9) + 0.375 * 0.375 * 2 * tau_ar1(0.5)) /
                                 static_cast<double>(n));
  EXPECT_NEAR(e.mean / exact, 1.0, 0.1);
  EXPECT_LT(std::abs(v.mean - 1.5), 4 * v.sd / std::sqrt(reps));
}

// The numerical derivative reproduces the analytic gradient.
TEST(GammaMethod, NumericalDerivativeMatchesAnalytic) {
  std::mt19937_64 gen(99);
  const std::size_t n = 50000;
  const std::vector<double> x = ar1(n, 0.8, gen), z = ar1(n, 0.3, gen);
  std::vector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = 1.5 + 0.2 * x[i];
    b[i] = -0.7 + 0.1 * x[i] + 0.3 * z[i];
  }
  const std::vector<ReplicaSeries> prim{single_replica(a), single_replica(b)};
  const DerivedFn f = [](const std::vector<double>& m) { return m[0] * m[1] + std::sin(m[0]); };
  const DerivedGrad g = [](const std::vector<double>& m) {
    return std::vector<double>{m[1] + std::cos(m[0]), m[0]};
  };
  const GammaResult num = gamma_method(prim, f);
  const GammaResult ana = gamma_method(prim, f, {}, g);
  EXPECT_DOUBLE_EQ(num.value, ana.value);
  EXPECT_NEAR(num.error / ana.error, 1.0, 1e-6);
  EXPECT_EQ(num.window, ana.window);

  const GammaResult ratio_num = gamma_method(
      prim, [](const std::vector<double>& m) { return m[0] / m[1]; });
  const GammaResult ratio_ana = gamma_ratio(prim[0], prim[1]);
  EXPECT_NEAR(ratio_num.error / ratio_ana.error, 1.0, 1e-6);
  EXPECT_DOUBLE_EQ(ratio_num.value, ratio_ana.value);

  // A derived quantity of one primary, f(A) = A, is the primary itself.
  const GammaResult ident = gamma_method(
      std::vector<ReplicaSeries>{prim[0]}, [](const std::vector<double>& m) { return m[0]; });
  const GammaResult prim0 = gamma_method(prim[0]);
  EXPECT_NEAR(ident.error / prim0.error, 1.0, 1e-8);
  EXPECT_NEAR(ident.value, prim0.value, 1e-14);
}

// (d) log mean exp of x ~ N(mu, s^2) -> mu + s^2 / 2; linearised error
// sqrt((exp(s^2) - 1) / N) for independent x.
TEST(GammaMethod, LogMeanExpGaussian) {
  const double mu = 0.3, s = 0.7;
  const double exact_value = mu + s * s / 2;
  std::mt19937_64 gen(4242);
  std::normal_distribution<double> normal(mu, s);
  {
    std::vector<double> x(100000);
    for (double& v : x) v = normal(gen);
    const GammaResult r = gamma_log_mean_exp(single_replica(x));
    const double exact_error = std::sqrt(std::expm1(s * s) / static_cast<double>(x.size()));
    EXPECT_LT(std::abs(r.value - exact_value), 4 * r.error);
    EXPECT_NEAR(r.error / exact_error, 1.0, 0.1);
    // The shift by max x makes large log-weights harmless: exp(1000) overflows.
    std::vector<double> shifted = x;
    for (double& v : shifted) v += 1000;
    const GammaResult rs = gamma_log_mean_exp(single_replica(shifted));
    EXPECT_NEAR(rs.value - 1000, r.value, 1e-9);
    EXPECT_NEAR(rs.error / r.error, 1.0, 1e-9);
  }
  const int reps = 200;
  const std::size_t n = 5000;
  std::vector<double> values, errors;
  for (int k = 0; k < reps; ++k) {
    std::vector<double> x(n);
    for (double& v : x) v = normal(gen);
    const GammaResult r = gamma_log_mean_exp(single_replica(x));
    values.push_back(r.value);
    errors.push_back(r.error);
  }
  const Spread v = spread(values), e = spread(errors);
  EXPECT_NEAR(e.mean / v.sd, 1.0, 0.2) << "gamma " << e.mean << " spread " << v.sd;
  EXPECT_LT(std::abs(v.mean - exact_value), 4 * v.sd / std::sqrt(reps));
}

// (e) Replicas: one series cut into replicas gives nearly the same answer; equal or
// unequal lengths.
TEST(GammaMethod, Replicas) {
  std::mt19937_64 gen(555);
  const std::vector<double> x = ar1(200000, 0.9, gen);
  const GammaResult one = gamma_method(single_replica(x));
  for (int r : {2, 5}) {
    const ReplicaSeries reps = split_replicas(x, r);
    ASSERT_EQ(reps.size(), static_cast<std::size_t>(r));
    const GammaResult many = gamma_method(reps);
    EXPECT_NEAR(many.value, one.value, 1e-12);
    EXPECT_EQ(many.n, one.n);
    EXPECT_NEAR(many.error / one.error, 1.0, 0.05) << r << " replicas";
    EXPECT_LT(std::abs(many.tau_int - one.tau_int), one.tau_int_error) << r << " replicas";
  }
  ReplicaSeries unequal{std::vector<double>(x.begin(), x.begin() + 60000),
                        std::vector<double>(x.begin() + 60000, x.end())};
  const GammaResult u = gamma_method(unequal);
  EXPECT_NEAR(u.value, one.value, 1e-12);
  EXPECT_NEAR(u.error / one.error, 1.0, 0.05);
  // An empty replica (a rank with no samples) changes nothing.
  unequal.emplace_back();
  const GammaResult ue = gamma_method(unequal);
  EXPECT_DOUBLE_EQ(ue.value, u.value);
  EXPECT_DOUBLE_EQ(ue.error, u.error);
}

// The FFT kernel (used past lag 512) against the direct sums, on replicas of awkward
// lengths including 0 and 1; pairs never straddle two replicas.
TEST(GammaMethod, AutocovarianceKernelsAgree) {
  std::mt19937_64 gen(31);
  std::normal_distribution<double> normal;
  ReplicaSeries x;
  for (std::size_t len : {1u, 7u, 100u, 1000u, 0u, 513u}) {
    std::vector<double> rep(len);
    for (double& v : rep) v = normal(gen);
    x.push_back(rep);
  }
  const std::vector<double> d = gamma_autocovariance(x, 700, AutocovKernel::Direct);
  const std::vector<double> f = gamma_autocovariance(x, 700, AutocovKernel::Fft);
  ASSERT_EQ(d.size(), 701u);
  ASSERT_EQ(f.size(), 701u);
  for (std::size_t t = 0; t < d.size(); ++t) EXPECT_NEAR(f[t], d[t], 1e-12 * d[0]) << "t = " << t;
  // Lag 1 by hand: pairs only within replicas.
  double s = 0, pairs = 0;
  for (const auto& rep : x)
    for (std::size_t i = 0; i + 1 < rep.size(); ++i) {
      s += rep[i] * rep[i + 1];
      pairs += 1;
    }
  EXPECT_NEAR(d[1], s / pairs, 1e-14);
  // Beyond the longest replica there are no pairs.
  EXPECT_EQ(gamma_autocovariance(x, 1200, AutocovKernel::Direct)[1100], 0.0);
  EXPECT_EQ(gamma_autocovariance(x, 1200, AutocovKernel::Fft)[1100], 0.0);
}

// A random walk has no finite tau_int: the window must stop at its cap, fast (FFT path).
TEST(GammaMethod, RandomWalkStopsAtCap) {
  std::mt19937_64 gen(8);
  std::normal_distribution<double> normal;
  std::vector<double> x(100000);
  double v = 0;
  for (double& y : x) y = (v += normal(gen));
  const GammaResult r = gamma_method(single_replica(x));
  EXPECT_GT(r.window, 512) << "the FFT path starts past lag 512";
  EXPECT_LE(r.window, 50000);
  EXPECT_GT(r.tau_int, 100);
  EXPECT_TRUE(std::isfinite(r.error));
}

// (f) independent = true: W = 0 and the naive error, even for correlated data.
TEST(GammaMethod, IndependentOption) {
  std::mt19937_64 gen(1);
  const std::vector<double> x = ar1(10000, 0.9, gen);
  GammaOptions opt;
  opt.independent = true;
  const GammaResult r = gamma_method(single_replica(x), opt);
  EXPECT_EQ(r.window, 0);
  EXPECT_DOUBLE_EQ(r.tau_int, 0.5);
  // sqrt(Gamma(0) (1 + 1/N) / N) vs sqrt(Gamma(0) / (N - 1)): equal to O(1/N^2).
  EXPECT_NEAR(r.error / naive_error(x), 1.0, 1e-6);
  EXPECT_NEAR(r.tau_int_error, 0.5 * std::sqrt(2.0 / 10000), 1e-15);
}

TEST(GammaMethod, DegenerateSeries) {
  // Zero variance, even for a value whose N-fold sum rounds.
  const GammaResult c = gamma_method(single_replica(std::vector<double>(1000, 0.1)));
  EXPECT_EQ(c.value, 0.1);
  EXPECT_EQ(c.error, 0.0);
  EXPECT_EQ(c.tau_int, 0.5);
  EXPECT_EQ(c.window, 0);
  // One to three measurements: the value, but the error is undefined (NaN), never 0,
  // and tau_int is not a negative number (issue 10, item 6).
  const GammaResult one = gamma_method(single_replica({3.25}));
  EXPECT_EQ(one.value, 3.25);
  EXPECT_TRUE(std::isnan(one.error));
  EXPECT_TRUE(std::isnan(one.tau_int));
  EXPECT_EQ(one.n, 1);
  for (const std::vector<double>& few : {std::vector<double>{1, 2}, {1, 3, 2}, {5, -5, 5}}) {
    const GammaResult r = gamma_method(single_replica(few));
    EXPECT_TRUE(std::isnan(r.error)) << few.size();
    EXPECT_FALSE(r.tau_int < 0) << few.size();
    EXPECT_TRUE(std::isnan(gamma_log_mean_exp(single_replica(few)).error));
  }
  EXPECT_TRUE(std::isfinite(gamma_method(single_replica({1, 3, 2, 4})).error));
  // Constant log-weights: log mean exp = the constant, exactly, with no error.
  const GammaResult lme = gamma_log_mean_exp(single_replica(std::vector<double>(50, -123.5)));
  EXPECT_EQ(lme.value, -123.5);
  EXPECT_EQ(lme.error, 0.0);
  // Perfect anticorrelation: the variance of the mean is compatible with zero, not NaN.
  std::vector<double> alt(1000);
  for (std::size_t i = 0; i < alt.size(); ++i) alt[i] = (i % 2) ? 1.0 : -1.0;
  const GammaResult a = gamma_method(single_replica(alt));
  EXPECT_TRUE(std::isfinite(a.error));
  EXPECT_LT(a.error, 0.01);
}

template <class F>
void expect_error_mentioning(F&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no rigcs::Error thrown (expected one mentioning '" << needle << "')";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// (g) Bad input.
TEST(GammaMethod, BadInputThrows) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  expect_error_mentioning([&] { gamma_method(single_replica({1, nan, 3})); }, "NaN");
  expect_error_mentioning([&] { gamma_method(ReplicaSeries{{1, 2}, {inf}}); }, "Inf");
  expect_error_mentioning([&] { gamma_log_mean_exp(single_replica({0, nan})); }, "NaN");
  expect_error_mentioning([&] { gamma_method(ReplicaSeries{}); }, "no replicas");
  expect_error_mentioning([&] { gamma_method(ReplicaSeries{{}, {}}); }, "no measurements");
  expect_error_mentioning([&] { gamma_ratio(single_replica({1, 2}), single_replica({1, 2, 3})); },
                          "replica structure");
  expect_error_mentioning([&] { gamma_ratio(single_replica({1, 2}), single_replica({1, -1})); },
                          "denominator");
  GammaOptions bad;
  bad.s_tau = -1;
  expect_error_mentioning([&] { gamma_method(single_replica({1, 2}), bad); }, "s_tau");
  const std::vector<ReplicaSeries> prim{single_replica({1, 2, 3})};
  expect_error_mentioning(
      [&] {
        gamma_method(
            prim, [](const std::vector<double>& m) { return m[0]; }, {},
            [](const std::vector<double>&) { return std::vector<double>{1, 2}; });
      },
      "gradient");
  expect_error_mentioning(
      [&] { gamma_method(prim, [](const std::vector<double>& m) { return std::log(m[0] - 5); }); },
      "not finite");
  expect_error_mentioning([&] { split_replicas({1, 2}, 3); }, "replicas");
}

}  // namespace
}  // namespace rigcs
