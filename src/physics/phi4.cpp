#include "rigcs/physics/phi4.hpp"

#include <algorithm>
#include <cmath>

#include "rigcs/core/error.hpp"

namespace rigcs {

SingleSiteMoments phi4_single_site_moments(double lambda) {
  RIGCS_CHECK(std::isfinite(lambda) && lambda >= 0, "model.lambda must be finite and >= 0, got " << lambda);
  const double a = 1 - 2 * lambda;
  // The exponent f(x) = -a x^2 - lambda x^4 peaks at 0 (a >= 0) or at x^2 = -a / (2 lambda).
  const double x_peak = a >= 0 ? 0.0 : std::sqrt(-a / (2 * lambda));
  auto f = [&](double x) { const double x2 = x * x; return -x2 * (a + lambda * x2); };
  const double f_max = f(x_peak);
  // Cut where the weight has fallen by e^-80 relative to its peak.
  double cut = x_peak + 1;
  while (f(cut) - f_max > -80) cut *= 1.5;
  // The integrand is even: integrate over [0, cut] and double (trapezoid, end weight
  // 1/2 at x = 0; at the cut it is ~e^-80 and does not matter).
  auto sums = [&](int points, double& s0, double& s2, double& s4) {
    const double h = cut / points;
    s0 = s2 = s4 = 0;
    for (int k = 0; k <= points; ++k) {
      const double x = k * h;
      const double w = std::exp(f(x) - f_max) * (k == 0 ? 0.5 : 1.0);
      s0 += w;
      s2 += w * x * x;
      s4 += w * x * x * x * x;
    }
    s0 *= 2 * h;
    s2 *= 2 * h;
    s4 *= 2 * h;
  };
  double s0 = 0, s2 = 0, s4 = 0;
  sums(256, s0, s2, s4);
  for (int points = 512; points <= (1 << 22); points *= 2) {
    double t0, t2, t4;
    sums(points, t0, t2, t4);
    const bool settled = std::abs(t0 - s0) <= 1e-15 * t0 && std::abs(t2 - s2) <= 1e-15 * t2 &&
                         std::abs(t4 - s4) <= 1e-15 * t4;
    s0 = t0; s2 = t2; s4 = t4;
    if (settled) break;
  }
  return {f_max + std::log(s0), s2 / s0, s4 / s0};
}

Phi4Model::Phi4Model(const Phi4Params& p) : p_(p), lat_(p.n) {
  RIGCS_CHECK(std::isfinite(p.kappa), "model.kappa must be finite, got " << p.kappa);
  RIGCS_CHECK(std::isfinite(p.lambda) && p.lambda >= 0, "model.lambda must be finite and >= 0, got " << p.lambda);
  // Without the quartic term the weight is Gaussian, normalisable only while every
  // eigenvalue 1 - 2 kappa (cos k1 + cos k2) of the quadratic form is positive.
  RIGCS_CHECK(p.lambda > 0 || std::abs(p.kappa) < 0.25,
              "model.kappa = " << p.kappa << " with model.lambda = 0: the free field is normalisable only for "
                                             "|model.kappa| < 1/4; set model.lambda > 0 or lower model.kappa");
  log_z1_ = phi4_single_site_moments(p.lambda).log_z1;
}

double Phi4Model::hopping_sum(const FieldConfig& phi) const {
  RIGCS_CHECK(static_cast<int>(phi.size()) == volume(),
              "configuration has " << phi.size() << " sites, lattice has " << volume());
  double sum = 0;
  const int v_count = volume();
  for (int v = 0; v < v_count; ++v) {
    const std::int32_t* nb = lat_.neighbours(v);
    sum += phi[v] * (phi[nb[SquareLattice::Right]] + phi[nb[SquareLattice::Down]]);
  }
  return sum;
}

double Phi4Model::action(const FieldConfig& phi) const {
  double site = 0;
  for (double x : phi) site += site_action(x);
  return -2.0 * p_.kappa * hopping_sum(phi) + site;
}

std::vector<ObservableInfo> Phi4Model::observables() const {
  return {{"action", "S, extensive"},  {"phi2", "sum phi^2 / V"}, {"m", "m = sum phi / V"},
          {"abs_m", "|m|"},            {"m2", "m^2"},             {"m4", "m^4"}};
}

void Phi4Model::measure(const FieldConfig& phi, double* out) const {
  double sum = 0, sum2 = 0;
  for (double x : phi) {
    sum += x;
    sum2 += x * x;
  }
  const double v = volume();
  const double m = sum / v;
  out[0] = action(phi);
  out[1] = sum2 / v;
  out[2] = m;
  out[3] = std::abs(m);
  out[4] = m * m;
  out[5] = m * m * m * m;
}

std::vector<DerivedObservable> Phi4Model::derived_observables() const {
  return {{"chi", "V (<m^2> - <|m|>^2), connected susceptibility", {"m2", "abs_m"},
           [](const std::vector<double>& a, double v) { return v * (a[0] - a[1] * a[1]); }},
          {"chi_m2", "V <m^2>", {"m2"}, [](const std::vector<double>& a, double v) { return v * a[0]; }},
          {"binder", "U = 1 - <m^4> / (3 <m^2>^2)", {"m4", "m2"},
           [](const std::vector<double>& a, double) { return 1.0 - a[0] / (3.0 * a[1] * a[1]); }}};
}

std::vector<ModelAttribute> Phi4Model::attributes() const {
  return {text("name", name()), integer("N", p_.n), number("kappa", p_.kappa), number("lambda", p_.lambda),
          text("action", "S = sum_v [ -2 kappa sum_{mu = right, down} phi_v phi_{v+mu} + (1 - 2 lambda) phi_v^2 "
                         "+ lambda phi_v^4 ], periodic")};
}

}  // namespace rigcs
