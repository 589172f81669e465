#include "rigcs/mc/phi4_updates.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "rigcs/mc/local_updates.hpp"

namespace rigcs {

using mc_detail::neighbour_table;

namespace {
void check_field(const FieldConfig& phi, int volume) {
  RIGCS_CHECK(static_cast<int>(phi.size()) == volume,
              "configuration has " << phi.size() << " sites, lattice has " << volume);
}
}  // namespace

double standard_normal(Rng& rng) {
  const double u1 = 1.0 - rng.uniform();  // (0, 1]: log is finite
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// ---------------------------------------------------------------- Metropolis

Phi4MetropolisUpdate::Phi4MetropolisUpdate(const Phi4Model& model, double width)
    : volume_(model.volume()), kappa_(model.kappa()), lambda_(model.lambda()), width_(width),
      order_(sweep_order(model.lattice())), nbr_(neighbour_table(model.lattice())) {
  RIGCS_CHECK(std::isfinite(width) && width > 0, "phi4.metropolis_width must be > 0, got " << width);
}

std::int64_t Phi4MetropolisUpdate::update(FieldConfig& phi, Rng& rng) const {
  check_field(phi, volume_);
  const double a = 1 - 2 * lambda_;
  const double b = lambda_;
  std::int64_t accepted = 0;
  for (const std::int32_t v : order_) {
    const std::int32_t* nb = &nbr_[4 * static_cast<std::size_t>(v)];
    const double h = phi[nb[0]] + phi[nb[1]] + phi[nb[2]] + phi[nb[3]];
    const double x = phi[v];
    const double y = x + width_ * (2.0 * rng.uniform() - 1.0);
    const double x2 = x * x, y2 = y * y;
    const double ds = -2.0 * kappa_ * (y - x) * h + a * (y2 - x2) + b * (y2 * y2 - x2 * x2);
    if (ds <= 0 || rng.uniform() < std::exp(-ds)) {
      phi[v] = y;
      ++accepted;
    }
  }
  return accepted;
}

// ---------------------------------------------------------------- HMC

HybridMonteCarlo::HybridMonteCarlo(const Phi4Model& model, double step, int steps)
    : volume_(model.volume()), kappa_(model.kappa()), lambda_(model.lambda()), step_(step), steps_(steps),
      nbr_(neighbour_table(model.lattice())),
      p_(static_cast<std::size_t>(volume_)), f_(static_cast<std::size_t>(volume_)),
      trial_(static_cast<std::size_t>(volume_)) {
  RIGCS_CHECK(std::isfinite(step) && step > 0, "phi4.hmc_step must be > 0, got " << step);
  RIGCS_CHECK(steps >= 1, "phi4.hmc_steps must be >= 1, got " << steps);
}

double HybridMonteCarlo::action(const FieldConfig& phi) const {
  double hop = 0, site = 0;
  for (int v = 0; v < volume_; ++v) {
    const std::int32_t* nb = &nbr_[4 * static_cast<std::size_t>(v)];
    const double x = phi[v], x2 = x * x;
    hop += x * (phi[nb[SquareLattice::Right]] + phi[nb[SquareLattice::Down]]);
    site += x2 * ((1 - 2 * lambda_) + lambda_ * x2);
  }
  return -2.0 * kappa_ * hop + site;
}

void HybridMonteCarlo::force(const FieldConfig& phi, std::vector<double>& f) const {
  // dS/dphi_v = -2 kappa h_v + 2 (1 - 2 lambda) phi_v + 4 lambda phi_v^3, with h_v the
  // sum of the four neighbours (every bond of v appears once in h_v, twice on 2x2).
  for (int v = 0; v < volume_; ++v) {
    const std::int32_t* nb = &nbr_[4 * static_cast<std::size_t>(v)];
    const double h = phi[nb[0]] + phi[nb[1]] + phi[nb[2]] + phi[nb[3]];
    const double x = phi[v];
    f[v] = 2.0 * kappa_ * h - 2.0 * (1 - 2 * lambda_) * x - 4.0 * lambda_ * x * x * x;
  }
}

bool HybridMonteCarlo::update(FieldConfig& phi, Rng& rng) {
  check_field(phi, volume_);
  double kinetic0 = 0;
  for (auto& p : p_) {
    p = standard_normal(rng);
    kinetic0 += 0.5 * p * p;
  }
  const double h0 = kinetic0 + action(phi);
  trial_ = phi;
  force(trial_, f_);
  for (int s = 0; s < steps_; ++s) {
    for (int v = 0; v < volume_; ++v) {
      p_[v] += 0.5 * step_ * f_[v];
      trial_[v] += step_ * p_[v];
    }
    force(trial_, f_);
    for (int v = 0; v < volume_; ++v) p_[v] += 0.5 * step_ * f_[v];
  }
  double kinetic1 = 0;
  for (double p : p_) kinetic1 += 0.5 * p * p;
  delta_h_ = kinetic1 + action(trial_) - h0;
  // A diverged trajectory (dH = NaN or +inf) is rejected.
  const bool accept = delta_h_ <= 0 || rng.uniform() < std::exp(-delta_h_);
  if (accept) phi.swap(trial_);
  return accept;
}

// ---------------------------------------------------------------- embedded Wolff

EmbeddedWolffUpdate::EmbeddedWolffUpdate(const Phi4Model& model)
    : volume_(model.volume()), kappa_(model.kappa()), nbr_(neighbour_table(model.lattice())),
      queue_(static_cast<std::size_t>(volume_)), mark_(static_cast<std::size_t>(volume_), 0) {}

std::int64_t EmbeddedWolffUpdate::update(FieldConfig& phi, Rng& rng) {
  check_field(phi, volume_);
  if (++generation_ == 0) {
    std::fill(mark_.begin(), mark_.end(), 0u);
    generation_ = 1;
  }
  const std::uint32_t gen = generation_;
  const auto seed = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(volume_)));
  std::int64_t head = 0, tail = 0;
  queue_[tail++] = seed;
  mark_[seed] = gen;
  // Bonds are tested on the unflipped field; the cluster is flipped at the end.
  while (head < tail) {
    const std::int32_t x = queue_[head++];
    const double fx = 4.0 * kappa_ * phi[x];
    for (int d = 0; d < 4; ++d) {
      const std::int32_t y = nbr_[4 * static_cast<std::size_t>(x) + d];
      if (mark_[y] == gen) continue;
      const double e = fx * phi[y];  // 4 kappa phi_x phi_y
      if (e > 0 && rng.uniform() < -std::expm1(-e)) {
        mark_[y] = gen;
        queue_[tail++] = y;
      }
    }
  }
  for (std::int64_t k = 0; k < tail; ++k) phi[queue_[k]] = -phi[queue_[k]];
  return tail;
}

}  // namespace rigcs
