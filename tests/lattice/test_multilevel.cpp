#include <gtest/gtest.h>

#include <set>
#include <string>

#include "rigcs/core/error.hpp"
#include "rigcs/lattice/multilevel.hpp"

using rigcs::MultilevelBlock;
using rigcs::MultilevelPartition;
using rigcs::SubLevel;

TEST(MultilevelPartition, SizesAndLevels) {
  MultilevelPartition p(2, 3);
  EXPECT_EQ(p.size(), 16);
  EXPECT_EQ(p.levels(), 6);
  EXPECT_EQ(p.block(0).coarse_size, 2);
  EXPECT_EQ(p.block(2).fine_size, 16);
  EXPECT_EQ(p.stride(0), 4);
  EXPECT_EQ(p.stride(2), 1);
  EXPECT_EQ(p.coarsest_stride(), 8);
  EXPECT_EQ(MultilevelPartition::level_index(0, SubLevel::A), 1);
  EXPECT_EQ(MultilevelPartition::level_index(2, SubLevel::B), 6);
  MultilevelPartition p0(3, 0);
  EXPECT_EQ(p0.size(), 3);
  EXPECT_EQ(p0.levels(), 0);
  EXPECT_THROW(MultilevelPartition(0, 1), rigcs::Error);
  EXPECT_THROW(p.block(3), rigcs::Error);
}

TEST(MultilevelPartition, EverySiteInExactlyOneLevel) {
  for (int n0 : {1, 2, 3}) {
    MultilevelPartition p(n0, 3);
    for (int k = 0; k < p.blocks(); ++k) {
      const MultilevelBlock& b = p.block(k);
      const int m = b.fine_size;
      std::vector<int> count(static_cast<std::size_t>(m) * m, 0);
      for (SubLevel s : {SubLevel::Coarse, SubLevel::A, SubLevel::B}) {
        int prev = -1;
        for (std::size_t t = 0; t < b.sites(s).size(); ++t) {
          const int v = b.sites(s)[t];
          ++count[v];
          EXPECT_GT(v, prev) << "row-major order";
          prev = v;
          EXPECT_EQ(b.sublevel_of_site[v], s);
          EXPECT_EQ(b.order_in_sublevel[v], static_cast<int>(t));
        }
      }
      for (int c : count) EXPECT_EQ(c, 1);
      EXPECT_EQ(b.coarse_sites.size(), static_cast<std::size_t>(b.coarse_size * b.coarse_size));
      EXPECT_EQ(b.level_a_sites.size(), b.coarse_sites.size());
      EXPECT_EQ(b.level_b_sites.size(), 2 * b.coarse_sites.size());
      // Coarse site c is the coarse lattice's row-major site c at (2i, 2j).
      for (int c = 0; c < b.coarse_size * b.coarse_size; ++c) {
        EXPECT_EQ(b.coarse_sites[c], b.site(2 * (c / b.coarse_size), 2 * (c % b.coarse_size)));
      }
    }
  }
}

TEST(MultilevelPartition, PictureTwoByTwoToFourByFour) {
  // DESIGN.md section 3: C b C b / b a b a / C b C b / b a b a.
  MultilevelPartition p(2, 1);
  const MultilevelBlock& b = p.block(0);
  const std::string picture = "CbCbbabaCbCbbaba";
  for (int v = 0; v < 16; ++v) {
    const char expect = picture[v] == 'C' ? 'C' : picture[v];
    const SubLevel s = b.sublevel_of_site[v];
    const char got = s == SubLevel::Coarse ? 'C' : s == SubLevel::A ? 'a' : 'b';
    EXPECT_EQ(got, expect) << "site " << v;
  }
  EXPECT_EQ(b.level_a_sites, (std::vector<std::int32_t>{5, 7, 13, 15}));  // (1,1) (1,3) (3,1) (3,3)
  EXPECT_EQ(b.level_b_sites, (std::vector<std::int32_t>{1, 3, 4, 6, 9, 11, 12, 14}));
  EXPECT_EQ(b.coarse_sites, (std::vector<std::int32_t>{0, 2, 8, 10}));
}

TEST(MultilevelPartition, NeighboursKnownWhenDrawn) {
  for (int n0 : {1, 2}) {
    MultilevelPartition p(n0, 3);
    for (int k = 0; k < p.blocks(); ++k) {
      const MultilevelBlock& b = p.block(k);
      const int m = b.fine_size;
      for (std::size_t t = 0; t < b.level_a_sites.size(); ++t) {
        const int v = b.level_a_sites[t];
        const int i = v / m, j = v % m;
        const auto& nb = b.level_a_neighbours[t];
        EXPECT_EQ(nb[0], b.site(i - 1, j - 1));
        EXPECT_EQ(nb[3], b.site(i + 1, j + 1));
        for (int u : nb) EXPECT_EQ(b.sublevel_of_site[u], SubLevel::Coarse);
      }
      for (std::size_t t = 0; t < b.level_b_sites.size(); ++t) {
        const int v = b.level_b_sites[t];
        const int i = v / m, j = v % m;
        const auto& nb = b.level_b_neighbours[t];
        EXPECT_EQ(nb[0], b.site(i, j + 1));
        EXPECT_EQ(nb[1], b.site(i + 1, j));
        EXPECT_EQ(nb[2], b.site(i, j - 1));
        EXPECT_EQ(nb[3], b.site(i - 1, j));
        for (int u : nb) EXPECT_NE(b.sublevel_of_site[u], SubLevel::B);
      }
    }
  }
  // 2x2 fine lattice (N0 = 1): level a's four diagonal neighbours are all site (0,0).
  const MultilevelPartition tiny_partition(1, 1);
  const MultilevelBlock& tiny = tiny_partition.block(0);
  EXPECT_EQ(tiny.level_a_neighbours[0], (std::array<std::int32_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(tiny.level_b_neighbours[0], (std::array<std::int32_t, 4>{0, 3, 0, 3}));  // (0,1)
}
