// Named results of `rigcs analyze`: printed as a table or JSON, and stored under
// /results of the run file.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/analysis/gamma.hpp"

namespace rigcs {

struct NamedResult {
  std::string name;
  GammaResult r;
  std::string note;  // one-line meaning, for the table
};
using ResultList = std::vector<NamedResult>;

void print_results_table(std::ostream& out, const ResultList& results, const std::string& title);
// {"E": {"value": .., "error": .., "tau_int": ..}, ...}
std::string results_json(const ResultList& results);
// Rewrites /results of `path` atomically (copy beside, edit, rename).
void store_results(const std::string& path, const ResultList& results);

}  // namespace rigcs
