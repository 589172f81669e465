#include "rigcs/mc/cluster_updates.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"

namespace rigcs {

using mc_detail::check_beta;
using mc_detail::check_config;
using mc_detail::neighbour_table;

namespace {

// Probability to activate a satisfied bond, as a threshold on a raw 64-bit draw.
std::uint64_t bond_threshold(double beta, double j) {
  return Rng::threshold(-std::expm1(-2.0 * beta * std::abs(j)));
}

}  // namespace

// ---------------------------------------------------------------- Wolff

WolffUpdate::WolffUpdate(const IsingModel& model)
    : volume_(model.volume()),
      beta_(model.beta()),
      j_(model.coupling()),
      nbr_(neighbour_table(model.lattice())),
      // One slot more than V: the kernel writes the next candidate at the tail
      // before it knows whether it is kept.
      queue_(static_cast<std::size_t>(volume_) + 1) {
  // Queue entries are 4 w + d in 32 bits.
  RIGCS_CHECK(volume_ < (1 << 29), "Wolff update supports V < 2^29 sites, got " << volume_);
  if (volume_ <= 65536) nbr16_.assign(nbr_.begin(), nbr_.end());
  if (j_ < 0) mark_.assign(static_cast<std::size_t>(volume_), 0);
  set_beta(model.beta());
}

void WolffUpdate::set_beta(double beta) {
  check_beta(beta);
  beta_ = beta;
  add_threshold_ = bond_threshold(beta, j_);
}

std::int64_t WolffUpdate::update(SpinConfig& s, Rng& rng) {
  check_config(s, volume_);
  return j_ >= 0 ? update_ferromagnetic(s, rng) : update_general(s, rng);
}

namespace {

// One ferromagnetic Wolff cluster (J >= 0). A cluster holds spins equal to the seed's,
// so a spin flipped on insertion is no longer a candidate: the spin itself marks
// membership. Activation is random with p ~ 0.6 near criticality, so a branch on it
// would mispredict constantly; the loop is branch-free instead: every tested bond
// costs one raw 64-bit draw, the candidate is written at the tail, and kept by
// advancing the tail by 0 or 1. The queue is read first-in first-out, so the next
// site's loads do not wait on the stores just made. A queue entry is 4 w + d, with d
// the direction in which w was reached: its neighbour in direction d + 2 is the site
// it came from, already in the cluster, and is not tested. Index is the neighbour
// table's type: 16 bits when V <= 65536 halves the table (N = 64: 32 KiB, fits L1).
template <typename Index>
std::int64_t grow_and_flip(const Index* nbr, std::int32_t* queue, std::int32_t volume,
                           std::uint64_t threshold, Spin* spin, Rng& rng) {
  // A local generator: stores through int8_t* may alias anything, which would
  // otherwise force the generator state through memory on every draw.
  Rng r = rng;
  constexpr std::uint8_t kFlip = 0xFE;  // for +-1 stored as int8, x ^ 0xFE == -x
  const auto seed = static_cast<std::int32_t>(r.below(static_cast<std::uint64_t>(volume)));
  const Spin s0 = spin[seed];
  spin[seed] = static_cast<Spin>(-s0);
  std::int64_t tail = 0;
  auto test_bond = [&](const Index* nb, int dir) {
    const std::int32_t w = nb[dir];
    const std::uint64_t x = r();
    const auto join = static_cast<std::uint8_t>((spin[w] == s0) & (x < threshold));
    queue[tail] = 4 * w + dir;
    tail += join;
    spin[w] = static_cast<Spin>(static_cast<std::uint8_t>(spin[w]) ^ (kFlip & -join));
  };
  const Index* seed_nb = nbr + 4 * static_cast<std::size_t>(seed);
  for (int dir = 0; dir < 4; ++dir) test_bond(seed_nb, dir);
  for (std::int64_t head = 0; head < tail; ++head) {
    const std::int32_t e = queue[head];
    const Index* nb = nbr + (e & ~3);  // 4 w
    const int d = e & 3;
    test_bond(nb, (d + 3) & 3);
    test_bond(nb, d);
    test_bond(nb, (d + 1) & 3);
  }
  rng = r;
  return tail + 1;
}

}  // namespace

std::int64_t WolffUpdate::update_ferromagnetic(SpinConfig& s, Rng& rng) {
  if (!nbr16_.empty())
    return grow_and_flip(nbr16_.data(), queue_.data(), volume_, add_threshold_, s.data(), rng);
  return grow_and_flip(nbr_.data(), queue_.data(), volume_, add_threshold_, s.data(), rng);
}

// Any J (used for J < 0): membership is kept in a stamped array, because an
// antiferromagnetic cluster on an odd torus can hold neighbours with equal spins.
std::int64_t WolffUpdate::update_general(SpinConfig& s, Rng& rng) {
  if (++generation_ == 0) {
    std::fill(mark_.begin(), mark_.end(), 0u);
    generation_ = 1;
  }
  const std::uint32_t gen = generation_;
  const int sign_j = j_ > 0 ? 1 : -1;
  const auto seed = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(volume_)));
  std::int64_t head = 0;
  std::int64_t tail = 0;
  queue_[tail++] = seed;
  mark_[seed] = gen;
  while (head < tail) {
    const std::int32_t v = queue_[head++];
    for (int d = 0; d < 4; ++d) {
      const std::int32_t w = nbr_[4 * static_cast<std::size_t>(v) + d];
      if (mark_[w] == gen) continue;
      // Bond satisfied in the original configuration (v not flipped yet).
      if (sign_j * s[v] * s[w] > 0 && rng() < add_threshold_) {
        mark_[w] = gen;
        queue_[tail++] = w;
      }
    }
  }
  for (std::int64_t k = 0; k < tail; ++k) s[queue_[k]] = static_cast<Spin>(-s[queue_[k]]);
  return tail;
}

// ---------------------------------------------------------------- Swendsen-Wang

SwendsenWangUpdate::SwendsenWangUpdate(const IsingModel& model)
    : volume_(model.volume()),
      beta_(model.beta()),
      j_(model.coupling()),
      nbr_(neighbour_table(model.lattice())),
      parent_(static_cast<std::size_t>(volume_)),
      size_(static_cast<std::size_t>(volume_)),
      flip_(static_cast<std::size_t>(volume_)) {
  set_beta(model.beta());
}

void SwendsenWangUpdate::set_beta(double beta) {
  check_beta(beta);
  beta_ = beta;
  add_threshold_ = bond_threshold(beta, j_);
}

std::int32_t SwendsenWangUpdate::find(std::int32_t v) {
  // Path halving: every visited node points to its grandparent afterwards.
  while (parent_[v] != v) {
    parent_[v] = parent_[parent_[v]];
    v = parent_[v];
  }
  return v;
}

void SwendsenWangUpdate::unite(std::int32_t a, std::int32_t b) {
  a = find(a);
  b = find(b);
  if (a == b) return;
  if (size_[a] < size_[b]) std::swap(a, b);
  parent_[b] = a;
  size_[a] += size_[b];
}

SwendsenWangUpdate::Result SwendsenWangUpdate::update(SpinConfig& s, Rng& rng) {
  check_config(s, volume_);
  const int sign_j = j_ > 0 ? 1 : (j_ < 0 ? -1 : 0);
  for (std::int32_t v = 0; v < volume_; ++v) {
    parent_[v] = v;
    size_[v] = 1;
  }
  // The 2V bonds of the Hamiltonian: right and down of every site.
  for (std::int32_t v = 0; v < volume_; ++v) {
    for (int d = 0; d < 2; ++d) {
      const std::int32_t w = nbr_[4 * static_cast<std::size_t>(v) + d];
      if (sign_j * s[v] * s[w] > 0 && rng() < add_threshold_) unite(v, w);
    }
  }
  Result res{0, 0.0};
  double sum_sq = 0;
  for (std::int32_t v = 0; v < volume_; ++v) {
    if (parent_[v] == v) {
      ++res.clusters;
      sum_sq += static_cast<double>(size_[v]) * size_[v];
      flip_[v] = static_cast<std::uint8_t>(rng() >> 63);
    }
  }
  for (std::int32_t v = 0; v < volume_; ++v)
    if (flip_[find(v)]) s[v] = static_cast<Spin>(-s[v]);
  res.mean_cluster_size = sum_sq / volume_;
  return res;
}

}  // namespace rigcs
