// The header every rigcs output file carries as attributes of its root group, so that
// a file says which program, source, input deck and seed made it (doc/hdf5.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// --- provenance: one record per run segment ----------------------------------------
// A run that is resumed is made by several processes (segments), possibly of other
// builds. Each appends a group /provenance/<k> (k = 0, 1, ..., six digits) with the
// attributes below; the root header keeps the first segment's deck and git hash.
struct RunSegment {
  std::string command;     // "train", "sample", "ais", ...
  std::string deck;        // the effective deck of this segment
  std::string git_hash = rigcs::git_hash();
  std::string program_version = rigcs::version();
  std::int64_t ranks = 1;
  std::uint64_t seed = 0;
  bool resumed = false;    // continued an existing run (--resume or after a signal)
  std::string start_time = utc_now_iso8601();
  std::string end_time;    // empty while it runs (or when it was killed)
  std::string status = "running";  // "running", then how the segment ended
};
std::vector<RunSegment> read_run_segments(const H5File& file);
void write_run_segment(H5File& file, std::size_t index, const RunSegment& segment);
// Appends after the existing records; returns the new record's index.
std::size_t append_run_segment(H5File& file, const RunSegment& segment);
// Sets end_time (now) and status of the last record.
void finish_last_run_segment(H5File& file, const std::string& status);

// --- appendable row groups (/samples, /samples_p, /ais) -----------------------------
// Rows are appended column by column; the group's int64 attribute `rows` counts the
// rows whose every column is on disk (it is written after the data is synced). Rows
// past it belong to an append cut short (a kill, a full disk) and are not data.

// The counted rows of `group`. Files of older rigcs versions have no `rows`: there the
// length of `last_column` (appended last) counts. Fails, naming the group, when a
// column of `columns` that exists is shorter than the count (a damaged file).
std::uint64_t counted_rows(const H5File& file, const std::string& group, const std::string& last_column,
                           const std::vector<std::string>& columns);
// Syncs the data appended so far, then records `rows` (and `rounds_done` when >= 0)
// and syncs again, so that the counter never runs ahead of the data.
void commit_rows(H5File& file, const std::string& group, std::uint64_t rows, std::int64_t rounds_done = -1);
// Cuts each existing column of `group` back to `rows` (before a resumed run appends);
// fails, naming it, when a column is shorter than `rows` (a damaged file).
void cut_to_rows(H5File& file, const std::string& group, const std::vector<std::string>& columns,
                 std::uint64_t rows);

}  // namespace rigcs
