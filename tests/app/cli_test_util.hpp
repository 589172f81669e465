// Helpers of the command-line tests: run the CLI in-process on the world communicator.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "rigcs/app/command.hpp"
#include "rigcs/parallel/mpi_communicator.hpp"

namespace rigcs::testing {

namespace fs = std::filesystem;


struct Cli {
  std::unique_ptr<Communicator> comm = make_world_communicator();
  std::ostringstream out, err;
  int run(const std::vector<std::string>& args) {
    out.str("");
    err.str("");
    const int rc = run_cli(args, *comm, out, err);
    // An error every rank reached is printed once, by rank 0: give every rank that
    // text, so that each can check the message the user sees.
    std::string e = err.str();
    comm->broadcast(e, 0);
    err.str(e);
    return rc;
  }
};

// The words of a command line, `a` then `more`.
inline std::vector<std::string> args(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// A folder shared by all ranks (rank 0 names it).
inline std::string shared_temp_dir(Communicator& comm, const std::string& tag) {
  std::string dir;
  if (comm.is_root()) {
    dir = (fs::temp_directory_path() / ("rigcs_cli_" + tag + "_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  comm.broadcast(dir, 0);
  return dir;
}

inline double json_number(const std::string& json, const std::string& key) {
  const std::string pat = "\"" + key + "\": ";
  const auto pos = json.find(pat);
  EXPECT_NE(pos, std::string::npos) << key << " not in " << json;
  if (pos == std::string::npos) return NAN;
  return std::strtod(json.c_str() + pos + pat.size(), nullptr);
}

// {"E": {"value": x, "error": y, "tau_int": z}} -> field of E
inline double json_field(const std::string& json, const std::string& key, const std::string& field) {
  const auto pos = json.find("\"" + key + "\": {");
  EXPECT_NE(pos, std::string::npos) << key << " not in " << json;
  if (pos == std::string::npos) return NAN;
  return json_number(json.substr(pos), field);
}

// Expects the estimate `key` of an `analyze --json` output within 4 of its errors of
// `exact`; returns the error.
inline double expect_within_4_sigma(const std::string& json, const std::string& key, double exact,
                                    const std::string& what = "") {
  const double x = json_field(json, key, "value"), dx = json_field(json, key, "error");
  EXPECT_LT(std::abs(x - exact), 4 * dx) << what << key << " = " << x << " +- " << dx << ", exact " << exact;
  return dx;
}

}  // namespace rigcs::testing
