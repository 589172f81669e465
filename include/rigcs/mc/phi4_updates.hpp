// Markov chain updates for the phi^4 theory (physics/phi4.hpp): local Metropolis,
// Hybrid Monte Carlo, and the embedded-Ising cluster update of Brower and Tamayo
// (PRL 62, 1087 (1989)). Each leaves exp(-S) invariant at the kappa it is set to
// (set_kappa: annealing); they copy what they need from the model.
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/physics/phi4.hpp"

namespace rigcs {

// One sweep of single-site Metropolis steps phi_v -> phi_v + width * (2u - 1), in the
// order of sweep_order (checkerboard for even N).
class Phi4MetropolisUpdate {
 public:
  Phi4MetropolisUpdate(const Phi4Model& model, double width);
  void set_kappa(double kappa) { kappa_ = kappa; }
  // Returns the number of accepted proposals (at most V).
  std::int64_t update(FieldConfig& phi, Rng& rng) const;

 private:
  int volume_;
  double kappa_, lambda_, width_;
  std::vector<std::int32_t> order_, nbr_;
};

// Hybrid Monte Carlo (Duane et al. 1987): Gaussian momenta, `steps` leapfrog steps of
// size `step`, then a Metropolis accept/reject on exp(-dH). Exact for any step size
// (the leapfrog map is reversible and volume preserving); the step only sets the
// acceptance.
class HybridMonteCarlo {
 public:
  HybridMonteCarlo(const Phi4Model& model, double step, int steps);
  void set_kappa(double kappa) { kappa_ = kappa; }
  // One trajectory; returns whether it was accepted. last_delta_h() is its dH.
  bool update(FieldConfig& phi, Rng& rng);
  double last_delta_h() const { return delta_h_; }

 private:
  double action(const FieldConfig& phi) const;
  void force(const FieldConfig& phi, std::vector<double>& f) const;  // -dS/dphi
  int volume_;
  double kappa_, lambda_, step_;
  int steps_;
  std::vector<std::int32_t> nbr_;
  std::vector<double> p_, f_, trial_;
  double delta_h_ = 0;
};

// Flips the sign of one cluster of the embedded Ising spins sign(phi). Flipping phi_x
// alone changes the bond term -2 kappa phi_x phi_y by 4 kappa phi_x phi_y, so the bond is
// activated with p = 1 - exp(min(0, -4 kappa phi_x phi_y)) (Swendsen-Wang for the
// embedded spins with couplings 2 kappa |phi_x phi_y|); the single-site terms are even in
// phi and do not change. Not ergodic alone (|phi| never changes): mix it with the local
// or the HMC update.
class EmbeddedWolffUpdate {
 public:
  explicit EmbeddedWolffUpdate(const Phi4Model& model);
  void set_kappa(double kappa) { kappa_ = kappa; }
  // Grows one cluster from a uniformly drawn seed site, flips it, returns its size.
  std::int64_t update(FieldConfig& phi, Rng& rng);

 private:
  int volume_;
  double kappa_;
  std::vector<std::int32_t> nbr_, queue_;
  std::vector<std::uint32_t> mark_;
  std::uint32_t generation_ = 0;
};

// A standard normal deviate (Box-Muller; one of the pair is dropped, for simplicity).
double standard_normal(Rng& rng);

}  // namespace rigcs
