#include "rigcs/physics/ising.hpp"

#include <cmath>

#include "rigcs/core/error.hpp"

namespace rigcs {

IsingModel::IsingModel(const IsingParams& p) : p_(p), lat_(p.n) {
  RIGCS_CHECK(std::isfinite(p.beta) && p.beta >= 0, "beta must be finite and >= 0, got " << p.beta);
  RIGCS_CHECK(std::isfinite(p.j), "J must be finite, got " << p.j);
}

long long IsingModel::bond_sum(const SpinConfig& s) const {
  RIGCS_CHECK(static_cast<int>(s.size()) == volume(),
              "configuration has " << s.size() << " sites, lattice has " << volume());
  long long sum = 0;
  const int v_count = volume();
  for (int v = 0; v < v_count; ++v) {
    const std::int32_t* nb = lat_.neighbours(v);
    sum += s[v] * (s[nb[SquareLattice::Right]] + s[nb[SquareLattice::Down]]);
  }
  return sum;
}

int IsingModel::local_field(const SpinConfig& s, int v) const {
  const std::int32_t* nb = lat_.neighbours(v);
  return s[nb[0]] + s[nb[1]] + s[nb[2]] + s[nb[3]];
}

long long IsingModel::magnetisation(const SpinConfig& s) const {
  long long m = 0;
  for (Spin x : s) m += x;
  return m;
}

IsingObservables measure(const IsingModel& model, const SpinConfig& s) {
  const double v = model.volume();
  const double m = static_cast<double>(model.magnetisation(s)) / v;
  return {model.energy(s), m, std::abs(m), m * m};
}

}  // namespace rigcs
