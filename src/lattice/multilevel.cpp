#include "rigcs/lattice/multilevel.hpp"

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

MultilevelBlock make_block(int n) {
  MultilevelBlock b;
  b.coarse_size = n;
  b.fine_size = 2 * n;
  const int m = 2 * n;
  b.sublevel_of_site.resize(static_cast<std::size_t>(m) * m);
  b.order_in_sublevel.resize(static_cast<std::size_t>(m) * m);
  // Row-major scan of the fine lattice lists every sublevel in row-major order;
  // coarse sites come out in coarse row-major order too.
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < m; ++j) {
      const int v = i * m + j;
      if (i % 2 == 0 && j % 2 == 0) {
        b.sublevel_of_site[v] = SubLevel::Coarse;
        b.order_in_sublevel[v] = static_cast<std::int32_t>(b.coarse_sites.size());
        b.coarse_sites.push_back(v);
      } else if (i % 2 == 1 && j % 2 == 1) {
        b.sublevel_of_site[v] = SubLevel::A;
        b.order_in_sublevel[v] = static_cast<std::int32_t>(b.level_a_sites.size());
        b.level_a_sites.push_back(v);
        b.level_a_neighbours.push_back({b.site(i - 1, j - 1), b.site(i - 1, j + 1),
                                        b.site(i + 1, j - 1), b.site(i + 1, j + 1)});
      } else {
        b.sublevel_of_site[v] = SubLevel::B;
        b.order_in_sublevel[v] = static_cast<std::int32_t>(b.level_b_sites.size());
        b.level_b_sites.push_back(v);
        b.level_b_neighbours.push_back(
            {b.site(i, j + 1), b.site(i + 1, j), b.site(i, j - 1), b.site(i - 1, j)});
      }
    }
  }
  return b;
}

}  // namespace

int MultilevelBlock::site(int i, int j) const {
  const int m = fine_size;
  return (((i % m) + m) % m) * m + (((j % m) + m) % m);
}

const std::vector<std::int32_t>& MultilevelBlock::sites(SubLevel s) const {
  switch (s) {
    case SubLevel::Coarse: return coarse_sites;
    case SubLevel::A: return level_a_sites;
    case SubLevel::B: return level_b_sites;
  }
  RIGCS_FAIL("unknown sublevel " << static_cast<int>(s));
}

const std::vector<std::array<std::int32_t, 4>>& MultilevelBlock::neighbours(SubLevel s) const {
  RIGCS_CHECK(s != SubLevel::Coarse, "coarse sites have no heat-bath neighbour list");
  return s == SubLevel::A ? level_a_neighbours : level_b_neighbours;
}

MultilevelPartition::MultilevelPartition(int coarsest_size, int blocks) : n0_(coarsest_size) {
  RIGCS_CHECK(coarsest_size >= 1, "coarsest lattice size N0 must be >= 1, got " << coarsest_size);
  RIGCS_CHECK(blocks >= 0 && blocks <= 20, "number of blocks B must be in [0, 20], got " << blocks);
  int n = coarsest_size;
  for (int k = 0; k < blocks; ++k, n *= 2) blocks_.push_back(make_block(n));
}

const MultilevelBlock& MultilevelPartition::block(int k) const {
  RIGCS_CHECK(k >= 0 && k < blocks(), "block index " << k << " out of range [0, " << blocks() << ")");
  return blocks_[static_cast<std::size_t>(k)];
}

int MultilevelPartition::stride(int block) const {
  RIGCS_CHECK(block >= 0 && block < blocks(),
              "block index " << block << " out of range [0, " << blocks() << ")");
  return 1 << (blocks() - 1 - block);
}

}  // namespace rigcs
