// MPI backend of Communicator. mpi.h stays in the .cpp so that only this file
// and the executable see MPI.
#pragma once

#include <cstddef>
#include <memory>

#include "rigcs/parallel/communicator.hpp"

namespace rigcs {

// Owns MPI_Init / MPI_Finalize for the process (a no-op if MPI is already up).
class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
};

// Communicator over MPI_COMM_WORLD. Element counts are 64-bit: messages of more than
// 2^31 - 1 elements (MPI's int counts) are sent in pieces.
std::unique_ptr<Communicator> make_world_communicator();

// Test hook: the largest element count of one MPI call (default and maximum 2^31 - 1), so
// that tests exercise the splitting of large messages with small ones.
void set_max_mpi_count(std::size_t n);

}  // namespace rigcs
