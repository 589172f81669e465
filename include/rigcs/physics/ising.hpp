// The 2D Ising model on a periodic N x N torus:
//   H(s) = -J * sum over the 2 N^2 bonds (v, v+right) and (v, v+down) of s_v s_w,
// weight exp(-beta H). On a 2x2 torus each bond is counted twice (the right and
// left neighbours coincide), which is the convention of Kaufman's formula.
// Scalar form here; the batched torch form is in ising_torch.hpp.
//
// IsingModel is one LatticeModel (S = beta H, a +-1 spin per site); its typed methods
// on SpinConfig are what the update kernels use.
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/lattice/lattice.hpp"
#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

using Spin = std::int8_t;
using SpinConfig = std::vector<Spin>;  // row-major, values +1 / -1

struct IsingParams {
  int n = 16;
  double beta = 0.44;
  double j = 1.0;
};

class IsingModel final : public LatticeModel {
 public:
  explicit IsingModel(const IsingParams& p);

  const IsingParams& params() const { return p_; }
  const SquareLattice& lattice() const override { return lat_; }
  int size() const { return p_.n; }
  int volume() const { return lat_.volume(); }
  double beta() const { return p_.beta; }
  double coupling() const { return p_.j; }

  // Sum of s_v s_w over the 2 V bonds (integer, exact).
  long long bond_sum(const SpinConfig& s) const;
  // H(s) = -J * bond_sum(s).
  double energy(const SpinConfig& s) const { return -p_.j * static_cast<double>(bond_sum(s)); }
  // Sum of the four neighbour spins of site v.
  int local_field(const SpinConfig& s, int v) const;
  // Energy change if site v were flipped: 2 J s_v h_v.
  double flip_delta(const SpinConfig& s, int v) const {
    return 2.0 * p_.j * s[v] * local_field(s, v);
  }
  // Total magnetisation M = sum of spins; m = M / V.
  long long magnetisation(const SpinConfig& s) const;

  SpinConfig cold_start() const { return SpinConfig(static_cast<std::size_t>(volume()), 1); }

  // --- LatticeModel ----------------------------------------------------------------
  // Observables: energy (H), m, abs_m, m2, as in IsingObservables.
  std::string kind() const override { return "ising"; }
  std::string name() const override { return "ising2d"; }
  SiteKind site_kind() const override { return SiteKind::Discrete; }
  std::vector<double> site_values() const override { return {-1.0, 1.0}; }
  double action(const FieldConfig& s) const override;  // beta H
  std::vector<ObservableInfo> observables() const override;
  using LatticeModel::measure;
  void measure(const FieldConfig& s, double* out) const override;
  std::vector<DerivedObservable> derived_observables() const override;
  // Heat bath: P(s_v = +1 | rest) = 1 / (1 + exp(-2 beta J h_v)).
  bool site_conditional(const FieldConfig& s, int v, double* probs) const override;
  std::string annealing_parameter() const override { return "model.beta"; }
  double annealing_target() const override { return p_.beta; }
  double annealing_slope(const FieldConfig& s) const override;  // H(s)
  double log_z0() const override;                                // V ln 2
  std::vector<ModelAttribute> attributes() const override;

  // +-1 as reals and back (the second refuses anything but +-1).
  FieldConfig to_field(const SpinConfig& s) const;
  SpinConfig to_spins(const FieldConfig& s) const;

 private:
  IsingParams p_;
  SquareLattice lat_;
};

// Per-configuration observables measured by every sampler.
struct IsingObservables {
  double energy;    // H (extensive)
  double m;         // M / V
  double abs_m;     // |M| / V
  double m2;        // (M / V)^2
};

IsingObservables measure(const IsingModel& model, const SpinConfig& s);

}  // namespace rigcs
