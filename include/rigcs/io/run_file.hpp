// The header every rigcs output file carries as attributes of its root group, so that
// a file says which program, source, input deck and seed made it (doc/hdf5.md).
#pragma once

#include <cstdint>
#include <string>

#include "rigcs/core/build_info.hpp"
#include "rigcs/io/h5file.hpp"

namespace rigcs {

// Root attribute `format` of every run file.
inline constexpr const char* run_file_format = "rigcs-run";
// Layout version written by this program; readers refuse files with a newer one.
inline constexpr std::int64_t run_schema_version = 1;

// Current time in ISO 8601 UTC, to the second: "2024-05-01T12:34:56Z".
std::string utc_now_iso8601();

struct RunHeader {
  std::string kind;        // the command that wrote the file: "mcmc", "train", "ais", ...
  std::string deck;        // the full effective deck (defaults and overrides applied), INI text
  std::uint64_t seed = 0;  // master seed of the random streams
  std::int64_t ranks = 1;  // MPI ranks of the run
  std::string start_time = utc_now_iso8601();
  std::string end_time;  // empty while the run is going; see write_run_end_time
  std::string program_version = rigcs::version();
  std::string git_hash = rigcs::git_hash();
  // On read: the version the file was written with. write_run_header always writes
  // run_schema_version, since it is this program that lays out the file.
  std::int64_t schema_version = run_schema_version;
};

// Writes the header as root attributes (replacing any there).
void write_run_header(H5File& file, const RunHeader& header);
// Sets the root attribute end_time (a file without one was left by a killed run).
void write_run_end_time(H5File& file, const std::string& end_time = utc_now_iso8601());
// Reads and checks the header: a file without the rigcs format tag, or written with a
// newer schema version than this program knows, is refused with a rigcs::Error.
RunHeader read_run_header(const H5File& file);
// Opens path read-only and reads its header.
RunHeader read_run_header(const std::string& path);

}  // namespace rigcs
