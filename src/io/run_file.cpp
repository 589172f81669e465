#include "rigcs/io/run_file.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "rigcs/core/error.hpp"

namespace rigcs {

std::string utc_now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

void write_run_header(H5File& file, const RunHeader& h) {
  RIGCS_CHECK(!h.kind.empty(), "run header for " << file.path() << ": kind is empty");
  RIGCS_CHECK(h.ranks >= 1, "run header for " << file.path() << ": ranks = " << h.ranks << " is not positive");
  file.set_attr("/", "format", run_file_format);
  file.set_attr("/", "schema_version", run_schema_version);
  file.set_attr("/", "kind", h.kind);
  file.set_attr("/", "program_version", h.program_version);
  file.set_attr("/", "git_hash", h.git_hash);
  file.set_attr("/", "deck", h.deck);
  file.set_attr("/", "seed", h.seed);
  file.set_attr("/", "ranks", h.ranks);
  file.set_attr("/", "start_time", h.start_time);
  file.set_attr("/", "end_time", h.end_time);
}

void write_run_end_time(H5File& file, const std::string& end_time) {
  file.set_attr("/", "end_time", end_time);
}

RunHeader read_run_header(const H5File& file) {
  const std::string& path = file.path();
  std::string format;
  try {
    if (file.has_attr("/", "format")) format = file.attr_string("/", "format");
  } catch (const Error&) {
    format.clear();  // a format attribute that is not a string is foreign too
  }
  RIGCS_CHECK(format == run_file_format,
              "not a rigcs run file: " << path
                                       << (format.empty() ? " (no root attribute 'format')"
                                                          : " (format is '" + format + "', expected '" +
                                                                run_file_format + "')"));
  RunHeader h;
  h.schema_version = file.attr_int64("/", "schema_version");
  RIGCS_CHECK(h.schema_version >= 1,
              "rigcs run file " << path << " has an invalid schema_version " << h.schema_version);
  RIGCS_CHECK(h.schema_version <= run_schema_version,
              "rigcs run file " << path << " has schema version " << h.schema_version
                                << ", but this program (rigcs " << rigcs::version()
                                << ") reads schema versions up to " << run_schema_version
                                << "; use a newer rigcs");
  h.kind = file.attr_string("/", "kind");
  h.program_version = file.attr_string("/", "program_version");
  h.git_hash = file.attr_string("/", "git_hash");
  h.deck = file.attr_string("/", "deck");
  h.seed = file.attr_uint64("/", "seed");
  h.ranks = file.attr_int64("/", "ranks");
  h.start_time = file.attr_string("/", "start_time");
  h.end_time = file.has_attr("/", "end_time") ? file.attr_string("/", "end_time") : std::string();
  return h;
}

RunHeader read_run_header(const std::string& path) {
  const H5File file = H5File::open_read(path);
  return read_run_header(file);
}

namespace {
std::string segment_path(std::size_t index) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "/provenance/%06zu", index);
  return buf;
}
}  // namespace

std::vector<RunSegment> read_run_segments(const H5File& file) {
  std::vector<RunSegment> out;
  if (!file.is_group("/provenance")) return out;
  for (const auto& name : file.list("/provenance")) {  // sorted: zero-padded indices
    const std::string g = "/provenance/" + name;
    RunSegment s;
    s.command = file.attr_string(g, "command");
    s.deck = file.attr_string(g, "deck");
    s.git_hash = file.attr_string(g, "git_hash");
    s.program_version = file.attr_string(g, "program_version");
    s.ranks = file.attr_int64(g, "ranks");
    s.seed = file.attr_uint64(g, "seed");
    s.resumed = file.attr_int64(g, "resumed") != 0;
    s.start_time = file.attr_string(g, "start_time");
    s.end_time = file.attr_string(g, "end_time");
    s.status = file.attr_string(g, "status");
    out.push_back(std::move(s));
  }
  return out;
}

void write_run_segment(H5File& file, std::size_t index, const RunSegment& s) {
  const std::string g = segment_path(index);
  file.create_group(g);
  file.set_attr(g, "command", s.command);
  file.set_attr(g, "deck", s.deck);
  file.set_attr(g, "git_hash", s.git_hash);
  file.set_attr(g, "program_version", s.program_version);
  file.set_attr(g, "ranks", s.ranks);
  file.set_attr(g, "seed", s.seed);
  file.set_attr(g, "resumed", s.resumed);
  file.set_attr(g, "start_time", s.start_time);
  file.set_attr(g, "end_time", s.end_time);
  file.set_attr(g, "status", s.status);
}

std::size_t append_run_segment(H5File& file, const RunSegment& segment) {
  const std::size_t index = file.is_group("/provenance") ? file.list("/provenance").size() : 0;
  write_run_segment(file, index, segment);
  return index;
}

void finish_last_run_segment(H5File& file, const std::string& status) {
  if (!file.is_group("/provenance")) return;
  const std::size_t n = file.list("/provenance").size();
  if (n == 0) return;
  const std::string g = segment_path(n - 1);
  file.set_attr(g, "end_time", utc_now_iso8601());
  file.set_attr(g, "status", status);
}

std::uint64_t counted_rows(const H5File& file, const std::string& group, const std::string& last_column,
                           const std::vector<std::string>& columns) {
  const std::string last = group + "/" + last_column;
  std::uint64_t rows = 0;
  if (file.has_attr(group, "rows")) {
    const std::int64_t r = file.attr_int64(group, "rows");
    RIGCS_CHECK(r >= 0, file.path() << ": " << group << " has a negative row count " << r);
    rows = static_cast<std::uint64_t>(r);
  } else if (file.is_dataset(last)) {
    rows = file.dims(last).at(0);
  }
  for (const auto& c : columns) {
    const std::string path = group + "/" + c;
    if (!file.is_dataset(path)) continue;  // optional columns (spins) may be absent
    const std::uint64_t have = file.dims(path).at(0);
    RIGCS_CHECK(have >= rows, file.path() << ": " << group << " counts " << rows << " complete rows, but " << path
                                          << " holds only " << have << " (the file is damaged)");
  }
  return rows;
}

void commit_rows(H5File& file, const std::string& group, std::uint64_t rows, std::int64_t rounds_done) {
  file.sync();
  file.set_attr(group, "rows", static_cast<std::int64_t>(rows));
  if (rounds_done >= 0) file.set_attr(group, "rounds_done", rounds_done);
  file.sync();
}

void cut_to_rows(H5File& file, const std::string& group, const std::vector<std::string>& columns,
                 std::uint64_t rows) {
  for (const auto& c : columns) {
    const std::string path = group + "/" + c;
    if (!file.is_dataset(path)) continue;
    const std::uint64_t have = file.dims(path).at(0);
    // Appending after a column shorter than the others would misalign every later row.
    RIGCS_CHECK(have >= rows, file.path() << ": " << path << " holds " << have << " rows, but " << rows
                                          << " finished rows are recorded (the file is damaged; start anew with --overwrite)");
    file.truncate_rows(path, rows);
  }
}

}  // namespace rigcs
