// MPI counts are 64-bit (issue 10, item 8): messages longer than MPI's int counts are
// split. The limit is lowered to a few elements so that small messages take the same
// paths as messages of more than 2^31 elements would.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rigcs/parallel/mpi_communicator.hpp"

using namespace rigcs;

TEST(MpiCounts, LargeMessagesAreSplitAndArriveWhole) {
  auto comm = make_world_communicator();
  const int r = comm->rank(), p = comm->size();
  for (std::size_t limit : {std::size_t{3}, std::size_t{1} << 30}) {
    set_max_mpi_count(limit);
    std::vector<double> x(10);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i) + r;
    comm->allreduce_sum(x.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], p * static_cast<double>(i) + p * (p - 1) / 2.0) << limit;
    std::vector<std::int64_t> b(11, r == 0 ? 42 : -1);
    comm->broadcast(b.data(), b.size(), 0);
    for (auto v : b) EXPECT_EQ(v, 42);
    std::string s = r == 0 ? std::string(17, 'q') : std::string();
    comm->broadcast(s, 0);
    EXPECT_EQ(s, std::string(17, 'q'));
    // Ranks of unequal shares; the total is above the limit.
    std::vector<std::int8_t> mine(static_cast<std::size_t>(5 + 2 * r), static_cast<std::int8_t>(r + 1));
    const auto all = comm->gatherv(mine, 0);
    if (r == 0) {
      ASSERT_EQ(all.size(), static_cast<std::size_t>(p));
      for (int k = 0; k < p; ++k) EXPECT_EQ(all[k], std::vector<std::int8_t>(5 + 2 * k, static_cast<std::int8_t>(k + 1)));
    }
    const auto d = comm->gatherv(std::vector<double>(static_cast<std::size_t>(r), 0.5), 0);
    if (r == 0) {
      for (int k = 0; k < p; ++k) EXPECT_EQ(d[k].size(), static_cast<std::size_t>(k));
    }
  }
  set_max_mpi_count(static_cast<std::size_t>(-1));
}
