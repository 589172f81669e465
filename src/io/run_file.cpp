#include "rigcs/io/run_file.hpp"

#include <chrono>
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

}  // namespace rigcs
