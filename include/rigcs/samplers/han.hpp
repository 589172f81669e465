// HAN: hierarchical autoregressive networks (Białas, Korcyl, Stebel 2022; the RiGCS
// paper's appendix G.2 baseline), written from the published description.
//
// Periodic L x L lattice, L = 2^k, rows r and columns c:
//   - level 0, the boundary: row 0 then column 0 (2L - 1 sites), drawn by a MADE;
//   - levels j = 1 .. k-1: the lattice is cut into 4^(j-1) squares of side
//     s = L / 2^(j-1) (corners at multiples of s). In each square a cross is drawn:
//     the vertical bar at the middle column (interior rows, top to bottom), then the
//     left and right arms of the middle row (left to right), 2s - 3 sites, by a MADE
//     conditioned on the square's border (its 4s perimeter sites, periodic: the
//     Markov blanket of the interior). One net per level, shared by its squares,
//     which are drawn in parallel as one batch;
//   - level k: the sites with r and c odd, whose 4 neighbours are all drawn: the exact
//     heat bath P(s = +1) = sigmoid(2 beta J h).
// Closed form: (r, c) is on level 0 if r = 0 or c = 0, else on k - max(v2(r), v2(c)).
// log q is exact (a product of normalised conditionals), in float64. Optionally Z2
// symmetrised, q(s) = (q'(s) + q'(-s)) / 2, with a random global flip.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/nn/made.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

struct HanOptions {
  int size = 8;             // L = 2^k, >= 2
  double beta = 0.44;
  double j = 1.0;
  int width = 4;            // cross nets: hidden units per layer per input spin (MadeOptions::width)
  int depth = 1;            // cross nets: hidden layers
  int boundary_width = 4;   // level-0 net
  int boundary_depth = 1;
  bool z2 = true;           // symmetrise under the global flip
  double epsilon = 1e-7;
};

// The sites of each level, as flat indices r * L + c, in drawing order.
struct HanGeometry {
  struct Cross {
    int side = 0;     // s
    int squares = 0;  // 4^(j-1)
    int sites = 0;    // 2s - 3 per square
    int border = 0;   // 4s per square
    std::vector<std::int64_t> cross_sites;   // squares * sites, square by square
    std::vector<std::int64_t> border_sites;  // squares * border, square by square
  };
  int size = 0;
  int k = 0;
  std::vector<std::int64_t> boundary;          // level 0: 2L - 1
  std::vector<Cross> crosses;                  // levels 1 .. k-1
  std::vector<std::int64_t> last;              // level k
  std::vector<std::array<std::int64_t, 4>> last_neighbours;

  explicit HanGeometry(int size);
  // The level of site (r, c) by the closed form (0 .. k).
  static int level_of(int size, int r, int c);
};

class HanSampler : public GenerativeSampler {
 public:
  explicit HanSampler(const HanOptions& options);
  ~HanSampler() override;

  std::string kind() const override { return "han"; }
  int lattice_size() const override { return options_.size; }
  const HanOptions& options() const { return options_; }
  const HanGeometry& geometry() const { return geometry_; }

  // Cached incremental draw (MadeImpl::sample). Random numbers from `gen`, in order:
  // a float64 uniform per sample per boundary site; per cross level, per cross site a
  // float64 uniform per (sample, square) (samples outer, squares inner); the last
  // level's (B, P) uniforms at once; with z2, a flip bit per sample.
  SampleBatch sample(std::int64_t batch, torch::Generator& gen) override;
  // The reference: the same draw with a full MADE pass per site (same random numbers).
  SampleBatch sample_plain(std::int64_t batch, torch::Generator& gen);
  // One MADE pass per level (all squares as one batch), and the heat bath.
  torch::Tensor log_prob(const torch::Tensor& spins) override;
  // Names "han.boundary.<p>", "han.level<j>.<p>" (w0, b0, a0, ..., wout, bout).
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() override;
  void to(const torch::Device& device) override;

  Made& boundary_net() { return boundary_; }
  Made& level_net(int j) { return levels_.at(static_cast<std::size_t>(j - 1)); }

  // Unsymmetrised log q of spins (B, N, N).
  torch::Tensor log_prob_raw(const torch::Tensor& spins);

 private:
  SampleBatch draw(std::int64_t batch, torch::Generator& gen, bool incremental);
  struct Index;
  HanOptions options_;
  HanGeometry geometry_;
  Made boundary_{nullptr};
  std::vector<Made> levels_;
  std::unique_ptr<Index> index_;
};

}  // namespace rigcs
