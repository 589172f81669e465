// Exact samplers for tiny Ising lattices, without torch: the exact Boltzmann
// distribution by enumeration, and independent-spin models with known log q.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/estimators/sample_set.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs::test {

// Every state of an n x n lattice (n*n <= 20): state k has spin +1 at site v iff bit v is set.
struct IsingEnumeration {
  IsingModel model;
  std::vector<double> energy;  // H
  std::vector<double> abs_m;   // |M| / V
  std::vector<double> log_p;   // exact log Boltzmann probability
  std::vector<double> cdf;     // for drawing from p
  double ln_z = 0;
  double mean_energy = 0;
  double mean_abs_m = 0;

  explicit IsingEnumeration(const IsingParams& params) : model(params) {
    const int v = model.volume();
    const std::size_t states = std::size_t{1} << v;
    energy.resize(states);
    abs_m.resize(states);
    log_p.resize(states);
    double max_lw = -INFINITY;
    for (std::size_t k = 0; k < states; ++k) {
      const SpinConfig s = config(k);
      const IsingObservables o = measure(model, s);
      energy[k] = o.energy;
      abs_m[k] = o.abs_m;
      max_lw = std::max(max_lw, -params.beta * o.energy);
    }
    double sum = 0;
    for (std::size_t k = 0; k < states; ++k) sum += std::exp(-params.beta * energy[k] - max_lw);
    ln_z = max_lw + std::log(sum);
    cdf.resize(states);
    double acc = 0;
    for (std::size_t k = 0; k < states; ++k) {
      log_p[k] = -params.beta * energy[k] - ln_z;
      const double p = std::exp(log_p[k]);
      acc += p;
      cdf[k] = acc;
      mean_energy += p * energy[k];
      mean_abs_m += p * abs_m[k];
    }
  }

  SpinConfig config(std::size_t k) const {
    SpinConfig s(static_cast<std::size_t>(model.volume()));
    for (std::size_t v = 0; v < s.size(); ++v) s[v] = (k >> v) & 1 ? 1 : -1;
    return s;
  }
  std::size_t index(const SpinConfig& s) const {
    std::size_t k = 0;
    for (std::size_t v = 0; v < s.size(); ++v)
      if (s[v] > 0) k |= std::size_t{1} << v;
    return k;
  }
  std::size_t draw(Rng& rng) const {
    const double u = rng.uniform() * cdf.back();
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), cdf.size() - 1);
  }
  double minus_beta_h(std::size_t k) const { return -model.beta() * energy[k]; }
};

// Independent spins with P(s_v = +1) = p_up at every site.
struct IndependentSpins {
  int volume;
  double p_up;

  double log_q(std::size_t k) const {
    double lq = 0;
    for (int v = 0; v < volume; ++v) lq += std::log((k >> v) & 1 ? p_up : 1 - p_up);
    return lq;
  }
  std::size_t draw(Rng& rng) const {
    std::size_t k = 0;
    for (int v = 0; v < volume; ++v)
      if (rng.uniform() < p_up) k |= std::size_t{1} << v;
    return k;
  }
};

// Z2-symmetric mixture of two product distributions: a global sign +-1 with
// probability 1/2, then each spin equal to it with probability p_aligned. Covers both
// ordered modes of the Ising model, so importance weights stay tame.
struct SymmetricProductSpins {
  int volume;
  double p_aligned;

  double log_q(std::size_t k) const {
    double up = 0, down = 0;
    for (int v = 0; v < volume; ++v) {
      const bool plus = (k >> v) & 1;
      up += std::log(plus ? p_aligned : 1 - p_aligned);
      down += std::log(plus ? 1 - p_aligned : p_aligned);
    }
    const double m = std::max(up, down);
    return m + std::log(0.5 * std::exp(up - m) + 0.5 * std::exp(down - m));
  }
  std::size_t draw(Rng& rng) const {
    const bool sign_up = rng.uniform() < 0.5;
    std::size_t k = 0;
    for (int v = 0; v < volume; ++v)
      if ((rng.uniform() < p_aligned) == sign_up) k |= std::size_t{1} << v;
    return k;
  }
};

// Appends state k, evaluated with log q, to a chunk.
inline void push_state(SampleChunk& c, const IsingEnumeration& ex, std::size_t k, double log_q) {
  c.log_q.push_back(log_q);
  c.minus_beta_H.push_back(ex.minus_beta_h(k));
  c.energy.push_back(ex.energy[k]);
  c.abs_m.push_back(ex.abs_m[k]);
}

}  // namespace rigcs::test
