#include "commands_internal.hpp"

namespace rigcs {

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = {
      make_exact_command(),
      make_mcmc_command(),
      make_ais_command(),
      make_train_command(),
      make_sample_command(),
      make_analyze_command(),
  };
  return commands;
}

}  // namespace rigcs
