#include "rigcs/lattice/lattice.hpp"

#include "rigcs/core/error.hpp"

namespace rigcs {

SquareLattice::SquareLattice(int n) : n_(n) {
  RIGCS_CHECK(n >= 1, "lattice size N must be >= 1, got " << n);
  nbr_.resize(4 * static_cast<std::size_t>(n) * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const int v = i * n + j;
      nbr_[4 * v + Right] = site(i, j + 1);
      nbr_[4 * v + Down] = site(i + 1, j);
      nbr_[4 * v + Left] = site(i, j - 1);
      nbr_[4 * v + Up] = site(i - 1, j);
    }
  }
}

}  // namespace rigcs
