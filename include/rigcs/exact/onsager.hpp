// Onsager's infinite-volume solution of the 2D Ising model (square lattice,
// H = -J sum_<vw> s_v s_w, two bonds per site), per site. Requires J > 0, beta >= 0.
#pragma once

namespace rigcs {

// beta_c = ln(1 + sqrt 2) / (2 J).
double critical_beta(double j = 1.0);

// lim ln Z / V = -beta f.
double onsager_ln_z_per_site(double beta, double j = 1.0);

// lim <H> / V = -J coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k)], k = 2 sinh 2K / cosh^2 2K.
// Absolute error ~1e-15 J, also right at beta_c (where it equals -sqrt 2 J).
double onsager_energy_per_site(double beta, double j = 1.0);

// Spontaneous magnetisation (1 - sinh(2K)^-4)^(1/8) for beta > beta_c, else 0.
double onsager_spontaneous_magnetisation(double beta, double j = 1.0);

}  // namespace rigcs
