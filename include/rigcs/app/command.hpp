// Subcommands of the rigcs executable. Each declares its keys once and runs on a
// Communicator, so the same code runs serially (tests) and under mpirun.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "rigcs/app/params.hpp"
#include "rigcs/parallel/communicator.hpp"

namespace rigcs {

struct CommandContext {
  Communicator& comm;
  Params params;
  std::vector<std::string> positional;  // e.g. the run file of `analyze`
  bool json = false;       // --json: machine-readable result on stdout
  bool overwrite = false;  // --overwrite: replace existing output
  bool quiet = false;      // --quiet: no parameter echo or progress
  bool resume = false;     // --resume: continue from the last checkpoint
  std::ostream& out;       // results (rank 0 only writes)
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;                        // e.g. "rigcs mcmc [deck.ini] [--key=value ...]"
  std::function<void(ParamRegistry&)> declare;
  std::function<int(CommandContext&)> run;
};

// All subcommands, in the order `rigcs help` lists them.
const std::vector<Command>& all_commands();

// The keys of all commands: what a deck may contain.
ParamRegistry full_registry();

// Keys shared by every command that simulates a model.
void declare_model_keys(ParamRegistry& r);
void declare_run_keys(ParamRegistry& r, const std::string& default_output);

// Full CLI: rigcs <command> [deck] [--key=value ...] [--json] [--overwrite] ...
// Returns the process exit code; throws nothing (errors are printed to err).
int run_cli(const std::vector<std::string>& args, Communicator& comm, std::ostream& out,
            std::ostream& err);

// Print the effective parameters (rank 0, unless quiet or json).
void echo_parameters(const CommandContext& ctx, const std::string& command);

// Sets LibTorch's intra-op threads from run.threads (commands that use torch).
void apply_thread_setting(const Params& p);

}  // namespace rigcs
