// Named results of `rigcs analyze`: printed as a table or JSON, and stored under
// /results of the run file.
#pragma once

#include <cstdint>
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
  // Length of the shortest time series behind the estimate (0: the n of r), for the
  // health check of the Gamma method's window.
  std::int64_t series_length = 0;
};
using ResultList = std::vector<NamedResult>;

// One line of the health checks at the end of `rigcs analyze`.
struct HealthCheck {
  bool ok = true;
  std::string text;
};

// What `rigcs analyze` found in a run file.
struct Analysis {
  ResultList results;
  std::vector<HealthCheck> health;
  bool complete = true;       // the run produced every row it was asked for
  std::uint64_t rows = 0;     // rows (samples, trajectories, measurements) analysed
  std::string completeness;   // "6000 of 6000 samples"
  std::vector<std::string> warnings() const;
};

void print_results_table(std::ostream& out, const ResultList& results, const std::string& title);
// The health checks, warnings first, so that a physicist reads them before the table.
void print_health(std::ostream& out, const Analysis& a);
// {"E": {"value": .., "error": .., "tau_int": ..}, ..., "complete": true, "warnings": [..]}
std::string results_json(const Analysis& a);
// Rewrites /results of `path` atomically (copy beside, edit, rename).
void store_results(const std::string& path, const Analysis& a);

}  // namespace rigcs
