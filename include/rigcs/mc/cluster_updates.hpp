// Cluster updates for the Ising model (Wolff 1989; Swendsen and Wang 1987; paper
// appendix B). A bond (v, w) is "satisfied" when J s_v s_w > 0; satisfied bonds are
// activated with probability p = 1 - exp(-2 beta |J|) and clusters of activated bonds
// are flipped. Both are exact for any J and beta >= 0.
//
// The classes copy what they need from the model, keep their work arrays between
// calls (no allocation per update), and can be re-tempered with set_beta().
#pragma once

#include <cstdint>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs {

class WolffUpdate {
 public:
  explicit WolffUpdate(const IsingModel& model);

  void set_beta(double beta);
  double beta() const { return beta_; }

  // Grows one cluster from a uniformly drawn seed site, flips it, and returns its size.
  std::int64_t update(SpinConfig& s, Rng& rng);

 private:
  std::int64_t update_ferromagnetic(SpinConfig& s, Rng& rng);
  std::int64_t update_general(SpinConfig& s, Rng& rng);

  int volume_;
  double beta_;
  double j_;
  std::uint64_t add_threshold_ = 0;    // Rng::threshold(1 - exp(-2 beta |J|))
  std::vector<std::int32_t> nbr_;      // 4 neighbours per site
  std::vector<std::uint16_t> nbr16_;   // the same in 16 bits when V <= 65536 (cache)
  std::vector<std::int32_t> queue_;    // cluster sites in order of insertion
  std::vector<std::uint32_t> mark_;    // J < 0 only: generation stamp of membership
  std::uint32_t generation_ = 0;
};

class SwendsenWangUpdate {
 public:
  explicit SwendsenWangUpdate(const IsingModel& model);

  void set_beta(double beta);
  double beta() const { return beta_; }

  struct Result {
    std::int64_t clusters;        // number of clusters (isolated sites included)
    double mean_cluster_size;     // sum over clusters of |C|^2 / V: size of the cluster
                                  // that holds a random site, as Wolff's cluster size
  };

  // Activates bonds, labels clusters by union-find, flips each with probability 1/2.
  Result update(SpinConfig& s, Rng& rng);

 private:
  std::int32_t find(std::int32_t v);
  void unite(std::int32_t a, std::int32_t b);

  int volume_;
  double beta_;
  double j_;
  std::uint64_t add_threshold_ = 0;
  std::vector<std::int32_t> nbr_;
  std::vector<std::int32_t> parent_;
  std::vector<std::int32_t> size_;
  std::vector<std::uint8_t> flip_;
};

}  // namespace rigcs
