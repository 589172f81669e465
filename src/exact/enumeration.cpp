#include "rigcs/exact/enumeration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "rigcs/core/error.hpp"

namespace rigcs {

void for_each_configuration(int n, const std::function<void(const SpinConfig&)>& f) {
  RIGCS_CHECK(n >= 2 && n <= kMaxEnumerationSize,
              "enumeration: lattice size must be in [2, " << kMaxEnumerationSize << "], got " << n);
  const int v_count = n * n;
  const std::uint64_t count = std::uint64_t{1} << v_count;
  SpinConfig s(static_cast<std::size_t>(v_count), 1);
  for (std::uint64_t c = 0; c < count; ++c) {
    for (int v = 0; v < v_count; ++v) s[v] = ((c >> v) & 1U) ? Spin{-1} : Spin{1};
    f(s);
  }
}

EnumerationResult enumerate_ising(const IsingParams& p) {
  const IsingModel model(p);  // validates beta and J
  RIGCS_CHECK(p.n >= 2 && p.n <= kMaxEnumerationSize,
              "enumerate_ising: lattice size must be in [2, " << kMaxEnumerationSize << "], got " << p.n);
  const int v_count = model.volume();
  // Density of states g(b, M): bond sum b in [-2V, 2V], magnetisation M in [-V, V].
  const int nb = 4 * v_count + 1, nm = 2 * v_count + 1;
  std::vector<long long> dos(static_cast<std::size_t>(nb) * nm, 0);
  for_each_configuration(p.n, [&](const SpinConfig& s) {
    const long long b = model.bond_sum(s);
    const long long m = model.magnetisation(s);
    ++dos[static_cast<std::size_t>(b + 2 * v_count) * nm + static_cast<std::size_t>(m + v_count)];
  });

  // Boltzmann weight exp(-beta H) = exp(beta J b); log-sum-exp about the largest term.
  const double k = p.beta * p.j;
  double top = -std::numeric_limits<double>::infinity();
  for (int ib = 0; ib < nb; ++ib)
    for (int im = 0; im < nm; ++im)
      if (dos[static_cast<std::size_t>(ib) * nm + im] > 0) top = std::max(top, k * (ib - 2 * v_count));
  std::vector<double> w(dos.size(), 0.0);  // unnormalised weights relative to top
  double z = 0;
  for (int ib = 0; ib < nb; ++ib)
    for (int im = 0; im < nm; ++im) {
      const std::size_t idx = static_cast<std::size_t>(ib) * nm + im;
      if (dos[idx] == 0) continue;
      w[idx] = static_cast<double>(dos[idx]) * std::exp(k * (ib - 2 * v_count) - top);
      z += w[idx];
    }

  double mean_b = 0, abs_m = 0, m2 = 0;
  for (int ib = 0; ib < nb; ++ib)
    for (int im = 0; im < nm; ++im) {
      const double pw = w[static_cast<std::size_t>(ib) * nm + im] / z;
      const double m = static_cast<double>(im - v_count) / v_count;
      mean_b += pw * (ib - 2 * v_count);
      abs_m += pw * std::abs(m);
      m2 += pw * m * m;
    }
  // At high temperature mean_b is O(k V) from terms O(V) that cancel (sum g b = 0 by the
  // spin-flip symmetry of each bond): sum g b (e^{kb} - 1) with expm1 keeps every digit.
  if (std::abs(k) * 2 * v_count < 1) {
    double num = 0, den = 0;
    for (int ib = 0; ib < nb; ++ib)
      for (int im = 0; im < nm; ++im) {
        const double g = static_cast<double>(dos[static_cast<std::size_t>(ib) * nm + im]);
        const double b = ib - 2 * v_count;
        num += g * b * std::expm1(k * b);
        den += g * std::exp(k * b);
      }
    mean_b = num / den;
  }
  double var_b = 0;  // second pass about the mean: no cancellation at low temperature
  for (int ib = 0; ib < nb; ++ib)
    for (int im = 0; im < nm; ++im) {
      const double d = (ib - 2 * v_count) - mean_b;
      var_b += w[static_cast<std::size_t>(ib) * nm + im] / z * d * d;
    }

  EnumerationResult r;
  r.lnZ = top + std::log(z);
  r.energy = -p.j * mean_b;
  r.specific_heat = k * k * var_b;
  r.abs_m = abs_m;
  r.m2 = m2;
  return r;
}

}  // namespace rigcs
