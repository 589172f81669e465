// Exact enumeration of all 2^(N^2) configurations of a tiny torus (N <= 4).
// Used to check Kaufman's formula and the normalisation of generative samplers.
#pragma once

#include <functional>

#include "rigcs/physics/ising.hpp"

namespace rigcs {

// Largest linear size that is enumerated (2^16 configurations).
constexpr int kMaxEnumerationSize = 4;

struct EnumerationResult {
  double lnZ;            // ln Z
  double energy;         // <H>
  double specific_heat;  // beta^2 Var(H)
  double abs_m;          // <|M|> / V
  double m2;             // <M^2> / V^2
};

// Exact Boltzmann averages for IsingParams{n <= 4, beta >= 0, any J}. The states are
// histogrammed by (bond sum, M), which are integers, so the sums are exact counts
// weighted by a log-sum-exp; Var(H) is taken about the mean (two passes).
EnumerationResult enumerate_ising(const IsingParams& p);

// Calls f once for each of the 2^(n^2) configurations of the n x n lattice, 2 <= n <= 4.
// Configuration number c has spin s_v = +1 if bit v of c is 0, -1 if it is 1
// (row-major v, as in SpinConfig); they are visited in increasing c.
void for_each_configuration(int n, const std::function<void(const SpinConfig&)>& f);

}  // namespace rigcs
