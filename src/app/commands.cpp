#include <algorithm>

#include "commands_internal.hpp"
#include "rigcs/core/error.hpp"

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

void check_same_deck(const Params& current, const std::string& stored_deck_text, const std::string& file,
                     const std::vector<std::string>& ignored) {
  const ParamRegistry registry = full_registry();
  const Params stored = registry.parse_text(stored_deck_text, "stored in " + file, {});
  for (const auto& spec : registry.specs()) {
    if (std::find(ignored.begin(), ignored.end(), spec.key) != ignored.end()) continue;
    RIGCS_CHECK(stored.text(spec.key) == current.text(spec.key),
                file << " was written with " << spec.key << " = " << stored.text(spec.key) << ", but now "
                     << spec.key << " = " << current.text(spec.key)
                     << ": resuming needs the same settings (or start anew with --overwrite)");
  }
}

}  // namespace rigcs
