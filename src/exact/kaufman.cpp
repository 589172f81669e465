#include "rigcs/exact/kaufman.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "rigcs/core/error.hpp"
#include "rigcs/exact/enumeration.hpp"

namespace rigcs {
namespace {

// Extended precision costs nothing here (4N modes) and buys three digits against the
// cancellations between the prefactor and the products at small K.
using Real = long double;
constexpr Real kPi = 3.141592653589793238462643383279502884L;
constexpr Real kLn2 = 0.693147180559945309417232121458176568L;

// A quantity x(K) with its first two K-derivatives.
struct Jet {
  Real v, d1, d2;
};

// ln|g(x)| of one factor g = 2 cosh x or 2 sinh x, and the first two K-derivatives.
struct LogFactor {
  Real log_abs, d1, d2;
};

// ln 2cosh x = |x| + ln(1 + e^{-2|x|}); d/dK = tanh x x'; d2 = sech^2 x x'^2 + tanh x x''.
LogFactor log_2cosh(const Jet& x) {
  const Real a = std::fabs(x.v);
  const Real e = std::exp(-2 * a);
  const Real th = std::copysign((1 - e) / (1 + e), x.v);
  const Real sech2 = 4 * e / ((1 + e) * (1 + e));
  return {a + std::log1p(e), th * x.d1, sech2 * x.d1 * x.d1 + th * x.d2};
}

// ln|2sinh x| = |x| + ln(1 - e^{-2|x|}); d/dK = coth x x'; d2 = -csch^2 x x'^2 + coth x x''.
// Only for |x| bounded away from 0 (the caller treats small x separately).
LogFactor log_2sinh(const Jet& x) {
  const Real a = std::fabs(x.v);
  const Real e = std::exp(-2 * a);
  const Real cth = std::copysign((1 + e) / (1 - e), x.v);
  const Real csch2 = 4 * e / ((1 - e) * (1 - e));
  return {a + std::log1p(-e), cth * x.d1, -csch2 * x.d1 * x.d1 + cth * x.d2};
}

// Sum of log factors: ln|P|, (ln|P|)', (ln|P|)''.
struct LogProduct {
  Real log_abs = 0, d1 = 0, d2 = 0;
  void add(const LogFactor& f) {
    log_abs += f.log_abs;
    d1 += f.d1;
    d2 += f.d2;
  }
};

// One of Kaufman's four products in a form that survives Z_4 = 0 at K = K_c:
// Z_i = e^{scale} * z, Z_i' = e^{scale} * z1, and, given a centre a,
// (Z_i'' - 2 a Z_i' + a^2 Z_i) = e^{scale} * centred(a).
struct Product {
  Real scale = 0, z = 0, z1 = 0;
  // Regular form: Z_i = sign * e^{scale}, log-derivatives p.d1, p.d2.
  bool regular = true;
  LogProduct p;
  // Form with the factor h = 2 sinh x0 split off (x0 near 0): Z_4 = h * R, R > 0.
  Jet x0{0, 0, 0};

  Real centred(Real a) const {
    if (regular) {
      const Real d = p.d1 - a;
      return z * (p.d2 + d * d);
    }
    // (hR)'' - 2a (hR)' + a^2 hR = R [h'' + 2 h' (rho1 - a) + h (sigma + (rho1 - a)^2)]
    // with rho1 = R'/R, sigma = (ln R)''; no 1/x0 appears.
    const Real sh = std::sinh(x0.v), ch = std::cosh(x0.v);
    const Real h = 2 * sh, h1 = 2 * ch * x0.d1;
    const Real h2 = 2 * sh * x0.d1 * x0.d1 + 2 * ch * x0.d2;
    const Real d = p.d1 - a;
    return h2 + 2 * h1 * d + h * (p.d2 + d * d);
  }
};

Product regular_product(const LogProduct& p, Real sign) {
  Product q;
  q.scale = p.log_abs;
  q.z = sign;
  q.z1 = sign * p.d1;
  q.regular = true;
  q.p = p;
  return q;
}

// Below this K the high-temperature series replaces the closed form.
constexpr Real kSeriesBelowK = 1e-3L;

// High-temperature expansion on the N x N torus, N >= 5: Z = 2^V cosh(K)^{2V} G(t),
// t = tanh K, G = sum over even subgraphs of t^(edges) = 1 + V t^4 (plaquettes)
// + 2N t^5 (straight loops around the torus, N = 5) + (2V [1x2 rectangles] + 2N [N = 6])
// t^6 + O(t^7); ln G = G - 1 to O(t^8). At K < 1e-3 the neglected terms are below 1e-18
// of ln Z and below 1e-15 of E.
ExactThermo high_temperature_series(int n, Real k, Real jabs) {
  const Real v = static_cast<Real>(n) * n;
  const Real t = std::tanh(k);
  const Real c5 = n == 5 ? 2 * static_cast<Real>(n) : 0;
  const Real c6 = 2 * v + (n == 6 ? 2 * static_cast<Real>(n) : 0);
  const Real t2 = t * t, t3 = t2 * t, t4 = t3 * t;
  const Real ln_g = v * t4 + c5 * t4 * t + c6 * t4 * t2;
  const Real l1 = 4 * v * t3 + 5 * c5 * t4 + 6 * c6 * t4 * t;  // d ln G / dt
  const Real l2 = 12 * v * t2 + 20 * c5 * t3 + 30 * c6 * t4;   // d2 ln G / dt2
  const Real sech2 = 1 - t2;                                   // dt/dK
  const Real ln_cosh = -0.5L * std::log1p(-t2);
  const Real ln_z = v * kLn2 + 2 * v * ln_cosh + ln_g;
  const Real dlnz = 2 * v * t + sech2 * l1;
  const Real d2lnz = 2 * v * sech2 + sech2 * (-2 * t * l1 + sech2 * l2);
  return {static_cast<double>(ln_z), static_cast<double>(-jabs * dlnz), static_cast<double>(k * k * d2lnz)};
}

}  // namespace

ExactThermo kaufman(int n, double beta, double j) {
  RIGCS_CHECK(n >= 2, "Kaufman: lattice size N must be >= 2, got " << n);
  RIGCS_CHECK(std::isfinite(beta) && beta >= 0, "Kaufman: beta must be finite and >= 0, got " << beta);
  RIGCS_CHECK(std::isfinite(j), "Kaufman: J must be finite, got " << j);
  RIGCS_CHECK(j >= 0 || n % 2 == 0,
              "Kaufman: J < 0 needs even N (odd N frustrates the antiferromagnet), got N = "
                  << n << ", J = " << j);
  // For even N the sublattice flip s -> (-1)^(i+j) s maps J to -J: Z, <H>, Var(H) agree.
  const Real jabs = std::fabs(static_cast<Real>(j));
  const Real k = static_cast<Real>(beta) * jabs;
  const Real v = static_cast<Real>(n) * n;
  if (k == 0) return {static_cast<double>(v * kLn2), 0.0, 0.0};
  // At high temperature the closed form cancels ~V/(2K) against itself (coth 2K in
  // d lnZ/dK): at K = 1e-20 it gave E = -1024 on 16x16, below the ground state.
  if (k < kSeriesBelowK) {
    if (n <= kMaxEnumerationSize) {  // the series below needs N >= 5; tiny tori are enumerated
      const EnumerationResult e = enumerate_ising({n, beta, j});
      return {e.lnZ, e.energy, e.specific_heat};
    }
    return high_temperature_series(n, k, jabs);
  }
  RIGCS_CHECK(k <= 1000, "Kaufman: beta*|J| = " << static_cast<double>(k) << " is beyond the supported 1000");

  // Dual coupling tanh K* = e^{-2K}, i.e. K* = 1/2 ln((1 + e^{-2K}) / (1 - e^{-2K})).
  const Real k_dual = 0.5L * std::log((1 + std::exp(-2 * k)) / -std::expm1(-2 * k));
  const Real sinh2k = std::sinh(2 * k), cosh2k = std::cosh(2 * k);
  // gamma_0 = 2 (K - K*), signed (negative above T_c); dK*/dK = -1 / sinh 2K.
  const Jet g0{2 * (k - k_dual), 2 * (1 + 1 / sinh2k), -4 * cosh2k / (sinh2k * sinh2k)};
  const Real sinh_g0 = std::sinh(g0.v), cosh_g0 = std::cosh(g0.v);
  // cosh gamma_l = cosh gamma_0 + t_l with t_l = 1 - cos(pi l / N) = 2 sin^2(pi l / 2N),
  // because sinh 2K* sinh 2K = 1. With C = cosh gamma_l: C' = sinh g0 g0',
  // gamma' = C' / sinh gamma and gamma'' = [C''(C^2-1) - C C'^2] / (C^2-1)^{3/2}, where
  // C''(C^2-1) - C C'^2 = g0'^2 [t (cosh^2 g0 + 1) + t^2 cosh g0] + sinh g0 g0'' (C^2-1)
  // is free of cancellation.
  const Real sinh_half = std::sinh(k - k_dual);
  const Real u0 = 2 * sinh_half * sinh_half;  // cosh gamma_0 - 1
  const Real half_n = static_cast<Real>(n) / 2;
  auto mode = [&](int l) -> Jet {  // x_l = N gamma_l / 2 with derivatives, l = 1 .. 2N-1
    const Real s = std::sin(kPi * l / (2 * static_cast<Real>(n)));
    const Real t = 2 * s * s;
    const Real u = u0 + t;
    const Real sh = std::sqrt(u) * std::sqrt(u + 2);  // sinh gamma_l
    const Real g = std::log1p(u + sh);
    const Real g1 = sinh_g0 * g0.d1 / sh;
    const Real g2 = g0.d1 * g0.d1 * (t * (cosh_g0 * cosh_g0 + 1) + t * t * cosh_g0) / (sh * sh * sh) +
                    sinh_g0 * g0.d2 / sh;
    return {half_n * g, half_n * g1, half_n * g2};
  };

  LogProduct p1, p2, p3, r4;  // r4: Z_4 without its l = 0 factor
  for (int r = 0; r < n; ++r) {
    const Jet odd = mode(2 * r + 1);
    p1.add(log_2cosh(odd));
    p2.add(log_2sinh(odd));
    if (r > 0) {
      const Jet even = mode(2 * r);
      p3.add(log_2cosh(even));
      r4.add(log_2sinh(even));
    }
  }
  const Jet x0{half_n * g0.v, half_n * g0.d1, half_n * g0.d2};
  p3.add(log_2cosh(x0));

  std::array<Product, 4> prod;
  prod[0] = regular_product(p1, 1);
  prod[1] = regular_product(p2, 1);
  prod[2] = regular_product(p3, 1);
  if (std::fabs(x0.v) >= 1) {
    LogProduct p4 = r4;
    p4.add(log_2sinh(x0));
    prod[3] = regular_product(p4, x0.v > 0 ? 1 : -1);
  } else {
    // Near K_c, Z_4 = 2 sinh(x0) R passes through 0 and its log-derivatives diverge;
    // keep h = 2 sinh x0 as a plain factor and scale by R only.
    Product q;
    q.regular = false;
    q.p = r4;
    q.x0 = x0;
    q.scale = r4.log_abs;
    q.z = 2 * std::sinh(x0.v);
    q.z1 = 2 * std::cosh(x0.v) * x0.d1 + q.z * r4.d1;
    prod[3] = q;
  }

  Real top = prod[0].scale;
  for (const Product& q : prod) top = std::max(top, q.scale);
  Real s0 = 0, s1 = 0;
  for (const Product& q : prod) {
    const Real w = std::exp(q.scale - top);
    s0 += w * q.z;
    s1 += w * q.z1;
  }
  RIGCS_CHECK(s0 > 0, "Kaufman: the sum of the four products is not positive (N = "
                          << n << ", beta = " << beta << ", J = " << j << ")");
  const Real mean1 = s1 / s0;  // (ln S)'
  Real s2 = 0;
  for (const Product& q : prod) s2 += std::exp(q.scale - top) * q.centred(mean1);
  const Real var1 = s2 / s0;  // (ln S)'' = S''/S - (S'/S)^2, centred at S'/S

  // Prefactor 1/2 (2 sinh 2K)^{V/2}: ln 2 sinh 2K = 2K + ln(1 - e^{-4K}).
  const Real log_pref = -kLn2 + v / 2 * (2 * k + std::log(-std::expm1(-4 * k)));
  const Real ln_z = log_pref + top + std::log(s0);
  const Real dlnz_dk = v * cosh2k / sinh2k + mean1;
  const Real d2lnz_dk2 = -2 * v / (sinh2k * sinh2k) + var1;

  ExactThermo out{static_cast<double>(ln_z), static_cast<double>(-jabs * dlnz_dk),
                  static_cast<double>(std::max(Real{0}, k * k * d2lnz_dk2))};
  RIGCS_CHECK(std::isfinite(out.lnZ) && std::isfinite(out.energy) && std::isfinite(out.specific_heat),
              "Kaufman: non-finite result for N = " << n << ", beta = " << beta << ", J = " << j);
  return out;
}

}  // namespace rigcs
