// The rigcs executable: MPI up, then the command line interface of the library.
// An error on any rank ends every rank with a non-zero exit code.
#include <iostream>
#include <string>
#include <vector>

#include "rigcs/app/command.hpp"
#include "rigcs/core/allocator.hpp"
#include "rigcs/parallel/mpi_communicator.hpp"

int main(int argc, char** argv) {
  rigcs::keep_freed_memory_for_reuse();
  rigcs::MpiEnvironment mpi(&argc, &argv);
  auto comm = rigcs::make_world_communicator();
  const std::vector<std::string> args(argv + 1, argv + argc);
  // run_cli aborts the job itself when a rank failed alone; any code it returns (0, 1
  // for an error every rank reached, 3 for a stop by a signal) is the same on every
  // rank, so all ranks finalise MPI and exit with it (mpirun then reports it).
  const int rc = rigcs::run_cli(args, *comm, std::cout, std::cerr);
  comm.reset();
  return rc;
}
