// Run files of the subcommands: the header every file carries, atomic creation, and
// the /model group.
#pragma once

#include <string>

#include "rigcs/app/command.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs {

// Throws if `path` exists and overwrite is false, or if its folder is missing.
void check_output_writable(const std::string& path, bool overwrite);

// A new run file written beside its target and renamed on commit(); its root carries
// the run header (format, schema, version, git hash, deck, seed, ranks, times).
class RunOutput {
 public:
  RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time);
  // overwrite: replace the target whatever --overwrite says (checkpoints of the same run).
  RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time, bool overwrite);
  H5File& file() { return writer_.file(); }
  void commit();

 private:
  const CommandContext& ctx_;
  std::string kind_, start_time_;
  AtomicH5Writer writer_;
};

void write_model_group(H5File& f, const IsingModel& model);

}  // namespace rigcs
