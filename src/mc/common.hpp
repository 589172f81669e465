// Helpers shared by the update kernels of the mc area (private to src/mc).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "rigcs/core/error.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs::mc_detail {

inline void check_beta(double beta) {
  RIGCS_CHECK(std::isfinite(beta) && beta >= 0, "beta must be finite and >= 0, got " << beta);
}

inline void check_config(const SpinConfig& s, int volume) {
  RIGCS_CHECK(static_cast<int>(s.size()) == volume,
              "configuration has " << s.size() << " sites, lattice has " << volume);
}

// Copy of the lattice's neighbour table (right, down, left, up per site), so the
// kernels do not depend on the model's lifetime.
inline std::vector<std::int32_t> neighbour_table(const SquareLattice& lat) {
  const std::int32_t* first = lat.neighbours(0);
  return std::vector<std::int32_t>(first, first + 4 * static_cast<std::size_t>(lat.volume()));
}

}  // namespace rigcs::mc_detail
