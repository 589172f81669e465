// Exact results of a LatticeModel where they exist, under the names `rigcs exact --json`
// prints: Ising (Kaufman, any N and beta) and two limits of phi^4.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

// phi^4 exact values (extensive S; phi2 = <sum phi^2 / V>; m2 = <m^2>).
struct Phi4Exact {
  double lnZ;
  double action;  // <S>
  double phi2;
  double m2;
};

// lambda = 0, |kappa| < 1/4: the Gaussian integral of exp(-phi^T A phi) with
// A = 1 - kappa (sum of the four shifts), whose eigenvalues on the torus are
// a_k = 1 - 2 kappa (cos k1 + cos k2), k = 2 pi (n1, n2) / N:
//   ln Z = (V/2) ln pi - (1/2) sum_k ln a_k,  <phi_v^2> = (1/2V) sum_k 1/a_k,
//   <S> = V/2,  <m^2> = 1 / (2 V a_0).
Phi4Exact phi4_free_field(int n, double kappa);

// kappa = 0: independent sites, ln Z = V ln z1 (single-site quadrature).
Phi4Exact phi4_decoupled(int n, double lambda);

// (name, value) pairs; empty when no exact result is known for these parameters.
std::vector<std::pair<std::string, double>> exact_results(const LatticeModel& model);

}  // namespace rigcs
