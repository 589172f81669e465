// Kaufman's exact solution of the 2D Ising model on a finite N x N torus
// (B. Kaufman, Phys. Rev. 76, 1232 (1949)), in the convention of physics/ising.hpp:
//   Z = sum_s exp(beta J sum_bonds s_v s_w),  2 N^2 bonds, periodic.
// Z = 1/2 (2 sinh 2K)^{V/2} (Z_1 + Z_2 + Z_3 + Z_4), K = beta J, evaluated in logs with
// the sign of Z_4 carried explicitly, so it stays finite for any N and any K.
#pragma once

namespace rigcs {

// Extensive thermodynamics of one lattice.
struct ExactThermo {
  double lnZ;            // ln Z
  double energy;         // <H>
  double specific_heat;  // beta^2 Var(H) = beta^2 d^2 lnZ / d beta^2
};

// Exact ln Z, <H>, beta^2 Var(H) for the N x N torus, N >= 2, beta >= 0.
// The derivatives are analytic (no finite differences). J may be negative only for even N
// (the sublattice gauge flip maps J to -J); for odd N the antiferromagnet is frustrated
// and Kaufman's formula does not apply. Supports beta |J| <= 1000.
// Accuracy (long double inside, checked against 60-digit arithmetic): ln Z to ~1e-16
// relative everywhere. <H> and C to ~1e-15 relative for 1e-3 <= beta|J| <= 2.5, any N;
// below that both lose ~1e-20 / (beta J)^2 relative to a cancellation between the
// prefactor and the products; above it C (exponentially small, ~ V e^{-8K}) keeps an
// absolute error ~1e-19 V, so its relative error passes 1e-12 near beta|J| = 3.
// C is clamped at 0 against that rounding noise.
ExactThermo kaufman(int n, double beta, double j = 1.0);

}  // namespace rigcs
