#include "rigcs/mc/local_updates.hpp"

#include <cmath>

#include "common.hpp"

namespace rigcs {

using mc_detail::check_beta;
using mc_detail::check_config;
using mc_detail::neighbour_table;

std::vector<std::int32_t> sweep_order(const SquareLattice& lattice) {
  const int n = lattice.size();
  std::vector<std::int32_t> order;
  order.reserve(static_cast<std::size_t>(lattice.volume()));
  if (n % 2 != 0) {
    // Odd N: i+j parity is not a proper colouring across the periodic seam.
    for (int v = 0; v < lattice.volume(); ++v) order.push_back(v);
    return order;
  }
  for (int parity = 0; parity < 2; ++parity)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if ((i + j) % 2 == parity) order.push_back(lattice.site(i, j));
  return order;
}

LocalSweepTables::LocalSweepTables(const IsingModel& model)
    : volume(model.volume()),
      j(model.coupling()),
      order(sweep_order(model.lattice())),
      nbr(neighbour_table(model.lattice())) {}

// ---------------------------------------------------------------- Metropolis

MetropolisUpdate::MetropolisUpdate(const IsingModel& model) : sweep_(model), beta_(model.beta()) {
  set_beta(model.beta());
}

void MetropolisUpdate::set_beta(double beta) {
  check_beta(beta);
  beta_ = beta;
  for (int k = 0; k < 5; ++k) {
    const double delta_e = 2.0 * sweep_.j * (2 * k - 4);  // 2 J s h with s h = 2k - 4
    always_[k] = delta_e <= 0;
    accept_[k] = always_[k] ? Rng::max() : Rng::threshold(std::exp(-beta * delta_e));
  }
}

std::int64_t MetropolisUpdate::update(SpinConfig& s, Rng& rng) const {
  check_config(s, sweep_.volume);
  // Local copies: stores through int8_t* may alias anything, which would otherwise
  // force the generator state and tables through memory on every site.
  Rng r = rng;
  Spin* spin = s.data();
  const std::int32_t* nbr = sweep_.nbr.data();
  const auto accept = accept_;
  const auto always = always_;
  std::int64_t accepted = 0;
  for (const std::int32_t v : sweep_.order) {
    const std::int32_t* nb = nbr + 4 * static_cast<std::size_t>(v);
    const int sh = spin[v] * (spin[nb[0]] + spin[nb[1]] + spin[nb[2]] + spin[nb[3]]);
    const int k = (sh + 4) >> 1;
    if (always[k] || r() < accept[k]) {
      spin[v] = static_cast<Spin>(-spin[v]);
      ++accepted;
    }
  }
  rng = r;
  return accepted;
}

// ---------------------------------------------------------------- heat bath

HeatBathUpdate::HeatBathUpdate(const IsingModel& model) : sweep_(model), beta_(model.beta()) {
  set_beta(model.beta());
}

void HeatBathUpdate::set_beta(double beta) {
  check_beta(beta);
  beta_ = beta;
  for (int k = 0; k < 5; ++k) {
    const int h = 2 * k - 4;
    up_[k] = Rng::threshold(1.0 / (1.0 + std::exp(-2.0 * beta * sweep_.j * h)));
  }
}

void HeatBathUpdate::update(SpinConfig& s, Rng& rng) const {
  check_config(s, sweep_.volume);
  Rng r = rng;
  Spin* spin = s.data();
  const std::int32_t* nbr = sweep_.nbr.data();
  const auto up = up_;
  for (const std::int32_t v : sweep_.order) {
    const std::int32_t* nb = nbr + 4 * static_cast<std::size_t>(v);
    const int h = spin[nb[0]] + spin[nb[1]] + spin[nb[2]] + spin[nb[3]];
    spin[v] = r() < up[(h + 4) >> 1] ? Spin{1} : Spin{-1};
  }
  rng = r;
}

}  // namespace rigcs
