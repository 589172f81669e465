// main() for tests registered under mpirun: MPI up, output of non-root ranks quiet.
#include <gtest/gtest.h>

#include "rigcs/parallel/mpi_communicator.hpp"

int main(int argc, char** argv) {
  rigcs::MpiEnvironment env(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  auto comm = rigcs::make_world_communicator();
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  // Every rank must pass: a failure on any rank fails the test.
  std::int64_t fail = rc != 0 ? 1 : 0;
  comm->allreduce_sum(&fail, 1);
  return fail != 0 ? 1 : 0;
}
