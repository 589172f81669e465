// Factories of the subcommands; each lives in its own cmd_*.cpp.
#pragma once

#include "rigcs/app/command.hpp"

namespace rigcs {
Command make_exact_command();
Command make_mcmc_command();
Command make_analyze_command();
Command make_train_command();
Command make_sample_command();
Command make_ais_command();
}  // namespace rigcs
