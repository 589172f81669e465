// Single-spin Markov chain updates for the Ising model: Metropolis and heat bath.
// A sweep visits every site once in checkerboard order (all i+j even sites, then
// all odd ones). On an odd N torus the checkerboard is not bipartite, so there the
// sweep is sequential in row-major order. Either order leaves exp(-beta H) stationary.
//
// The classes copy what they need from the model (neighbour table, beta, J), so they
// do not keep a reference to it; set_beta() changes the temperature (annealing).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs {

// Sites in the order one sweep visits them: even then odd sublattice for even N,
// row-major for odd N.
std::vector<std::int32_t> sweep_order(const SquareLattice& lattice);

// What a sweep of single-site updates needs of the model; shared by both updates.
struct LocalSweepTables {
  explicit LocalSweepTables(const IsingModel& model);
  int volume;
  double j;
  std::vector<std::int32_t> order;  // sweep_order
  std::vector<std::int32_t> nbr;    // 4 neighbours per site
};

class MetropolisUpdate {
 public:
  explicit MetropolisUpdate(const IsingModel& model);

  void set_beta(double beta);
  double beta() const { return beta_; }

  // One sweep; returns the number of accepted flips (at most V).
  std::int64_t update(SpinConfig& s, Rng& rng) const;

 private:
  LocalSweepTables sweep_;
  double beta_;
  // Acceptance min(1, exp(-beta dE)) with dE = 2 J s h, indexed by (s h + 4) / 2, as a
  // threshold on a raw 64-bit draw; always_[k] marks dE <= 0 (accepted without a draw).
  std::array<std::uint64_t, 5> accept_{};
  std::array<bool, 5> always_{};
};

class HeatBathUpdate {
 public:
  explicit HeatBathUpdate(const IsingModel& model);

  void set_beta(double beta);
  double beta() const { return beta_; }

  // One sweep: every site is redrawn from P(s = +1 | h) = 1 / (1 + exp(-2 beta J h)).
  void update(SpinConfig& s, Rng& rng) const;

 private:
  LocalSweepTables sweep_;
  double beta_;
  // P(s = +1) indexed by (h + 4) / 2, as a threshold on a raw 64-bit draw.
  std::array<std::uint64_t, 5> up_{};
};

}  // namespace rigcs
