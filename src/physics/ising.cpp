#include "rigcs/physics/ising.hpp"

#include <cmath>
#include <string>

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

double IsingModel::action(const FieldConfig& s) const { return p_.beta * annealing_slope(s); }

double IsingModel::annealing_slope(const FieldConfig& s) const { return energy(to_spins(s)); }

double IsingModel::log_z0() const { return volume() * std::log(2.0); }

std::vector<ObservableInfo> IsingModel::observables() const {
  return {{"energy", "H, extensive"}, {"m", "M / V"}, {"abs_m", "|M| / V"}, {"m2", "(M / V)^2"}};
}

void IsingModel::measure(const FieldConfig& s, double* out) const {
  const IsingObservables o = rigcs::measure(*this, to_spins(s));
  out[0] = o.energy;
  out[1] = o.m;
  out[2] = o.abs_m;
  out[3] = o.m2;
}

std::vector<DerivedObservable> IsingModel::derived_observables() const {
  return {{"chi", "V (<m^2> - <|m|>^2)", {"m2", "abs_m"},
           [](const std::vector<double>& a, double v) { return v * (a[0] - a[1] * a[1]); }}};
}

bool IsingModel::site_conditional(const FieldConfig& s, int v, double* probs) const {
  RIGCS_CHECK(static_cast<int>(s.size()) == volume(),
              "configuration has " << s.size() << " sites, lattice has " << volume());
  const std::int32_t* nb = lat_.neighbours(v);
  const double h = s[nb[0]] + s[nb[1]] + s[nb[2]] + s[nb[3]];
  probs[1] = 1.0 / (1.0 + std::exp(-2.0 * p_.beta * p_.j * h));
  probs[0] = 1.0 - probs[1];
  return true;
}

std::vector<ModelAttribute> IsingModel::attributes() const {
  return {text("name", name()), integer("N", p_.n), number("beta", p_.beta), number("J", p_.j),
          text("hamiltonian", "H = -J sum over the 2 N^2 nearest-neighbour bonds of s_i s_j, periodic")};
}

FieldConfig IsingModel::to_field(const SpinConfig& s) const { return FieldConfig(s.begin(), s.end()); }

SpinConfig IsingModel::to_spins(const FieldConfig& s) const {
  RIGCS_CHECK(static_cast<int>(s.size()) == volume(),
              "configuration has " << s.size() << " sites, lattice has " << volume());
  SpinConfig out(s.size());
  for (std::size_t v = 0; v < s.size(); ++v) {
    RIGCS_CHECK(s[v] == 1.0 || s[v] == -1.0, "Ising site " << v << " holds " << s[v] << ", not +-1");
    out[v] = s[v] > 0 ? Spin{1} : Spin{-1};
  }
  return out;
}

IsingObservables measure(const IsingModel& model, const SpinConfig& s) {
  const double v = model.volume();
  const double m = static_cast<double>(model.magnetisation(s)) / v;
  return {model.energy(s), m, std::abs(m), m * m};
}

}  // namespace rigcs
