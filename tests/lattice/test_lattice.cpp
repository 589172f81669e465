#include <gtest/gtest.h>

#include <set>

#include "rigcs/lattice/lattice.hpp"

using rigcs::SquareLattice;

TEST(SquareLattice, NeighboursArePeriodicAndSymmetric) {
  for (int n : {1, 2, 3, 5, 8}) {
    SquareLattice lat(n);
    for (int v = 0; v < lat.volume(); ++v) {
      EXPECT_EQ(lat.neighbour(lat.neighbour(v, SquareLattice::Right), SquareLattice::Left), v);
      EXPECT_EQ(lat.neighbour(lat.neighbour(v, SquareLattice::Down), SquareLattice::Up), v);
    }
    EXPECT_EQ(lat.neighbour(lat.site(0, n - 1), SquareLattice::Right), lat.site(0, 0));
    EXPECT_EQ(lat.neighbour(lat.site(n - 1, 2 % n), SquareLattice::Down), lat.site(0, 2 % n));
  }
}

TEST(SquareLattice, RejectsEmptyLattice) { EXPECT_THROW(SquareLattice(0), std::exception); }
