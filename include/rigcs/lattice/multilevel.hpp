// The multilevel site partition of MLMC-HB and RiGCS (paper section 2.1, appendix
// D, G.3; DESIGN.md section 3). The fine lattice is N = N0 * 2^B. One block doubles
// the lattice n -> 2n: the n x n configuration sits at the (even, even) sites of the
// 2n x 2n lattice ("coarse" sites), level a is the (odd, odd) sites and level b the
// (i+j odd) sites. Within a level the sites are listed in row-major order, which is
// the order in which autoregressive models draw them.
//
// All site indices of a block are row-major indices of that block's 2n x 2n lattice.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace rigcs {

// What a site of a block's fine lattice is: known from the coarser lattice, or drawn
// at level a or level b of this block.
enum class SubLevel : int { Coarse = 0, A = 1, B = 2 };

struct MultilevelBlock {
  int coarse_size = 0;  // n
  int fine_size = 0;    // 2n

  // Fine sites (2i, 2j), listed in row-major order of the coarse lattice, so that
  // coarse_sites[c] holds coarse site c.
  std::vector<std::int32_t> coarse_sites;
  std::vector<std::int32_t> level_a_sites;  // (odd, odd), row-major
  std::vector<std::int32_t> level_b_sites;  // (i + j odd), row-major

  // Level a: the 4 diagonal coarse neighbours (i-1,j-1), (i-1,j+1), (i+1,j-1),
  // (i+1,j+1), periodic. Level b: the 4 nearest neighbours right, down, left, up
  // (coarse or level a). On small tori a neighbour may appear more than once.
  std::vector<std::array<std::int32_t, 4>> level_a_neighbours;
  std::vector<std::array<std::int32_t, 4>> level_b_neighbours;

  // For every fine site: its sublevel, and its position within that sublevel's list.
  std::vector<SubLevel> sublevel_of_site;
  std::vector<std::int32_t> order_in_sublevel;

  const std::vector<std::int32_t>& sites(SubLevel s) const;
  const std::vector<std::array<std::int32_t, 4>>& neighbours(SubLevel s) const;  // A or B
  int site(int i, int j) const;  // periodic row-major index on the fine lattice
};

class MultilevelPartition {
 public:
  // coarsest_size = N0 >= 1, blocks = B >= 0.
  MultilevelPartition(int coarsest_size, int blocks);

  int coarsest_size() const { return n0_; }  // N0
  int blocks() const { return static_cast<int>(blocks_.size()); }  // B
  int size() const { return n0_ << blocks(); }  // N
  int levels() const { return 2 * blocks(); }    // L of the paper

  const MultilevelBlock& block(int k) const;

  // Level index l in 1..L of the paper for (block k, sublevel): a -> 2k+1, b -> 2k+2.
  // The coarsest lattice is level 0.
  static int level_index(int block, SubLevel s) { return 2 * block + static_cast<int>(s); }

  // Block k's fine lattice is the finest lattice at stride 2^(B-1-k) (its (0,0)
  // corner included); the coarsest lattice is at stride 2^B.
  int stride(int block) const;
  int coarsest_stride() const { return 1 << blocks(); }

 private:
  int n0_;
  std::vector<MultilevelBlock> blocks_;
};

}  // namespace rigcs
