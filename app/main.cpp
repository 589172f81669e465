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
  const int rc = rigcs::run_cli(args, *comm, std::cout, std::cerr);
  // A rank that failed alone cannot wait for the others at a collective: abort all.
  if (rc != 0 && comm->size() > 1) comm->abort(rc);
  return rc;
}
