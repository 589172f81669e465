// The 2D lattice phi^4 theory on a periodic N x N torus (paper eq. 42, appendix H.4):
//   S(phi) = sum_v [ -2 kappa sum_{mu = right, down} phi_v phi_{v+mu}
//                    + (1 - 2 lambda) phi_v^2 + lambda phi_v^4 ],
// weight exp(-S). kappa is the hopping parameter, lambda >= 0 the quartic coupling.
// At lambda = 0 it is a free (Gaussian) field, normalisable for |kappa| < 1/4. As for
// Ising, on a 2x2 torus each bond is counted twice. Scalar form here; the batched torch
// form is in phi4_torch.hpp.
#pragma once

#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

struct Phi4Params {
  int n = 16;
  double kappa = 0.2;
  double lambda = 0.022;
};

// Moments of the single-site weight w(x) = exp(-(1 - 2 lambda) x^2 - lambda x^4), the
// kappa = 0 theory: ln z1 = ln int w, and <x^2>, <x^4> under w / z1. By the trapezoid
// rule on a grid refined until it settles (spectrally accurate for this smooth, fast
// decaying integrand): relative accuracy ~1e-14.
struct SingleSiteMoments {
  double log_z1;
  double x2;
  double x4;
};
SingleSiteMoments phi4_single_site_moments(double lambda);

class Phi4Model final : public LatticeModel {
 public:
  // Throws naming model.kappa / model.lambda when the weight is not normalisable.
  explicit Phi4Model(const Phi4Params& p);

  const Phi4Params& params() const { return p_; }
  double kappa() const { return p_.kappa; }
  double lambda() const { return p_.lambda; }

  // sum_v sum_{mu = right, down} phi_v phi_{v+mu} (the 2 V bonds).
  double hopping_sum(const FieldConfig& phi) const;
  // The single-site part (1 - 2 lambda) x^2 + lambda x^4.
  double site_action(double x) const { const double x2 = x * x; return x2 * ((1 - 2 * p_.lambda) + p_.lambda * x2); }

  // --- LatticeModel ----------------------------------------------------------------
  // Observables: action (S), phi2 (sum phi^2 / V), m (sum phi / V), abs_m, m2, m4.
  // Derived: chi = V (<m^2> - <|m|>^2), chi_m2 = V <m^2>, binder U = 1 - <m^4> / (3 <m^2>^2).
  std::string kind() const override { return "phi4"; }
  std::string name() const override { return "phi4_2d"; }
  const SquareLattice& lattice() const override { return lat_; }
  SiteKind site_kind() const override { return SiteKind::Real; }
  std::vector<double> site_values() const override { return {}; }
  double action(const FieldConfig& phi) const override;
  std::vector<ObservableInfo> observables() const override;
  using LatticeModel::measure;
  void measure(const FieldConfig& phi, double* out) const override;
  std::vector<DerivedObservable> derived_observables() const override;
  // Annealing in kappa: the reference is the product of single-site weights.
  std::string annealing_parameter() const override { return "model.kappa"; }
  double annealing_target() const override { return p_.kappa; }
  double annealing_slope(const FieldConfig& phi) const override { return -2.0 * hopping_sum(phi); }
  double log_z0() const override { return volume() * log_z1_; }
  std::vector<ModelAttribute> attributes() const override;

 private:
  Phi4Params p_;
  SquareLattice lat_;
  double log_z1_;
};

}  // namespace rigcs
