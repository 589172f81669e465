// Run files of the subcommands: the header every file carries, atomic creation, and
// the /model group.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rigcs/app/command.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"
#include "lattice_models.hpp"

namespace rigcs {

// An exclusive lock on a run file: flock() on "<output>.lock" beside it, which names its
// holder (pid, host, command, start time). A second rigcs process that wants to write
// the same file is refused with that name instead of silently losing its work or the
// other's. The lock dies with its process (a killed job leaves no stale lock); the
// file is removed on release.
class OutputLock {
 public:
  OutputLock(const std::string& output, const std::string& command);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  const std::string& lock_path() const { return lock_path_; }

 private:
  int fd_ = -1;
  std::string lock_path_;
};

// Collective: rank 0 takes the lock of `output`; when that fails, every rank throws the
// same error. Other ranks get an empty pointer.
std::unique_ptr<OutputLock> lock_output(const CommandContext& ctx, const std::string& output,
                                        const std::string& command);

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
  // A resumed run: the root header keeps the first segment's deck, git hash, seed and
  // start time (only end_time changes); each segment has its own /provenance record.
  void keep_header(const RunHeader& original) { original_ = original; has_original_ = true; }
  // The /provenance records to write; without this call, one record for this process.
  void set_segments(std::vector<RunSegment> segments) { segments_ = std::move(segments); }
  // segment_status: how this process's record ends when none were set ("complete";
  // "running" for files that grow after the commit).
  void commit(const std::string& segment_status = "complete");

 private:
  const CommandContext& ctx_;
  std::string kind_, start_time_;
  AtomicH5Writer writer_;
  RunHeader original_;
  bool has_original_ = false;
  std::vector<RunSegment> segments_;
};

// The provenance record of this process (doc/hdf5.md, /provenance).
RunSegment this_run_segment(const CommandContext& ctx, const std::string& command, bool resumed);
// Appends this process's record to a file it continues or fills (sample, ais).
void append_run_segment(H5File& f, const CommandContext& ctx, const std::string& command);
// Closes the last record: end time now, and how it ended ("complete", ...).
void finish_run_segment(H5File& f, const std::string& status);

}  // namespace rigcs
