#include "results.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "rigcs/core/error.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/io/h5file.hpp"

namespace rigcs {

void print_results_table(std::ostream& out, const ResultList& results, const std::string& title) {
  out << title << "\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-12s %22s %14s %10s %9s  %s\n", "quantity", "value", "error",
                "tau_int", "N", "");
  out << buf;
  for (const auto& x : results) {
    std::snprintf(buf, sizeof buf, "  %-12s %22.12g %14.4g %10.3g %9lld  %s\n", x.name.c_str(),
                  x.r.value, x.r.error, x.r.tau_int, static_cast<long long>(x.r.n), x.note.c_str());
    out << buf;
  }
}

std::string results_json(const ResultList& results) {
  JsonObject o;
  for (const auto& x : results) {
    JsonObject e;
    e.add("value", x.r.value).add("error", x.r.error).add("tau_int", x.r.tau_int);
    o.add(x.name, e);
  }
  return o.str();
}

void store_results(const std::string& path, const ResultList& results) {
  namespace fs = std::filesystem;
  // The run file may hold hours of samples: edit a copy and rename it over the
  // original, so a killed analyze never damages it.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  fs::copy_file(path, tmp, fs::copy_options::overwrite_existing);
  try {
    H5File f = H5File::open_rw(tmp);
    if (f.exists("/results")) f.remove("/results");
    f.create_group("/results");
    f.set_attr("/results", "analyzed_at", utc_now_iso8601());
    for (const auto& x : results) {
      const std::string g = "/results/" + x.name;
      f.create_group(g);
      f.set_attr(g, "value", x.r.value);
      f.set_attr(g, "error", x.r.error);
      f.set_attr(g, "tau_int", x.r.tau_int);
      f.set_attr(g, "tau_int_error", x.r.tau_int_error);
      f.set_attr(g, "window", static_cast<std::int64_t>(x.r.window));
      f.set_attr(g, "n", x.r.n);
      if (!x.note.empty()) f.set_attr(g, "meaning", x.note);
    }
    f.close();
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace rigcs
