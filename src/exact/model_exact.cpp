#include "rigcs/exact/model_exact.hpp"

#include <cmath>

#include "rigcs/core/error.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/phi4.hpp"

namespace rigcs {

Phi4Exact phi4_free_field(int n, double kappa) {
  RIGCS_CHECK(n >= 2, "lattice size must be >= 2, got " << n);
  RIGCS_CHECK(std::abs(kappa) < 0.25, "the free field needs |model.kappa| < 1/4, got " << kappa);
  const double v = static_cast<double>(n) * n;
  double sum_log = 0, sum_inv = 0;
  std::vector<double> c(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) c[k] = std::cos(2.0 * M_PI * k / n);
  for (int k1 = 0; k1 < n; ++k1)
    for (int k2 = 0; k2 < n; ++k2) {
      const double a = 1.0 - 2.0 * kappa * (c[k1] + c[k2]);
      sum_log += std::log(a);
      sum_inv += 1.0 / a;
    }
  return {0.5 * v * std::log(M_PI) - 0.5 * sum_log, 0.5 * v, sum_inv / (2.0 * v),
          1.0 / (2.0 * v * (1.0 - 4.0 * kappa))};
}

Phi4Exact phi4_decoupled(int n, double lambda) {
  RIGCS_CHECK(n >= 2, "lattice size must be >= 2, got " << n);
  const SingleSiteMoments s = phi4_single_site_moments(lambda);
  const double v = static_cast<double>(n) * n;
  return {v * s.log_z1, v * ((1 - 2 * lambda) * s.x2 + lambda * s.x4), s.x2, s.x2 / v};
}

std::vector<std::pair<std::string, double>> exact_results(const LatticeModel& model) {
  const double v = model.volume();
  if (const auto* ising = dynamic_cast<const IsingModel*>(&model)) {
    const ExactThermo t = kaufman(ising->size(), ising->beta(), ising->coupling());
    return {{"lnZ", t.lnZ},          {"betaF", -t.lnZ},           {"f_per_site", -t.lnZ / (ising->beta() * v)},
            {"E", t.energy},         {"e_per_site", t.energy / v}, {"C", t.specific_heat},
            {"c_per_site", t.specific_heat / v}};
  }
  if (const auto* phi4 = dynamic_cast<const Phi4Model*>(&model)) {
    Phi4Exact e{};
    if (phi4->kappa() == 0) e = phi4_decoupled(phi4->size(), phi4->lambda());
    else if (phi4->lambda() == 0) e = phi4_free_field(phi4->size(), phi4->kappa());
    else return {};
    return {{"lnZ", e.lnZ},     {"betaF", -e.lnZ},          {"f_per_site", -e.lnZ / v},
            {"S", e.action},    {"s_per_site", e.action / v}, {"phi2", e.phi2},
            {"m2", e.m2},       {"chi_m2", v * e.m2}};
  }
  return {};
}

}  // namespace rigcs
