// The 2D Ising model on a periodic N x N torus:
//   H(s) = -J * sum over the 2 N^2 bonds (v, v+right) and (v, v+down) of s_v s_w,
// weight exp(-beta H). On a 2x2 torus each bond is counted twice (the right and
// left neighbours coincide), which is the convention of Kaufman's formula.
// Scalar form here; the batched torch form is in ising_torch.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/lattice/lattice.hpp"

namespace rigcs {

using Spin = std::int8_t;
using SpinConfig = std::vector<Spin>;  // row-major, values +1 / -1

struct IsingParams {
  int n = 16;
  double beta = 0.44;
  double j = 1.0;
};

class IsingModel {
 public:
  explicit IsingModel(const IsingParams& p);

  const IsingParams& params() const { return p_; }
  const SquareLattice& lattice() const { return lat_; }
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
