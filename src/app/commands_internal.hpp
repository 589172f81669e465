// Factories of the subcommands; each lives in its own cmd_*.cpp.
#pragma once

#include <string>
#include <vector>

#include "rigcs/app/command.hpp"

namespace rigcs {
// Every key of the stored deck equals the current one, except the `ignored` keys
// (settings that do not change the result, such as run.overwrite or run.threads);
// names the first key that differs. For --resume.
void check_same_deck(const Params& current, const std::string& stored_deck_text, const std::string& file,
                     const std::vector<std::string>& ignored);

Command make_exact_command();
Command make_mcmc_command();
Command make_analyze_command();
Command make_train_command();
Command make_sample_command();
Command make_ais_command();
}  // namespace rigcs
