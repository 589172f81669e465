// MPI backend of Communicator. mpi.h stays in the .cpp so that only this file
// and the executable see MPI.
#pragma once

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

// Communicator over MPI_COMM_WORLD.
std::unique_ptr<Communicator> make_world_communicator();

}  // namespace rigcs
