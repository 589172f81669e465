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

std::vector<std::string> Analysis::warnings() const {
  std::vector<std::string> w;
  for (const auto& h : health)
    if (!h.ok) w.push_back(h.text);
  return w;
}

void print_health(std::ostream& out, const Analysis& a) {
  const auto w = a.warnings();
  out << "health checks" << (w.empty() ? " (all passed)" : " (" + std::to_string(w.size()) + " WARNING" +
                                                            (w.size() > 1 ? "S" : "") + ": read them first)")
      << ":\n";
  for (bool ok : {false, true})
    for (const auto& h : a.health)
      if (h.ok == ok) out << (ok ? "  ok       " : "  WARNING  ") << h.text << "\n";
}

std::string results_json(const Analysis& a) {
  JsonObject o;
  for (const auto& x : a.results) {
    JsonObject e;
    e.add("value", x.r.value).add("error", x.r.error).add("tau_int", x.r.tau_int);
    o.add(x.name, e);
  }
  o.add_bool("complete", a.complete);
  o.add_strings("warnings", a.warnings());
  return o.str();
}

void store_results(const std::string& path, const Analysis& a) {
  const ResultList& results = a.results;
  namespace fs = std::filesystem;
  // The run file may hold hours of samples: edit a copy and rename it over the
  // original, so a killed analyze never damages it.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    fs::copy_file(path, tmp, fs::copy_options::overwrite_existing);  // inside: a failed copy is removed
    H5File f = H5File::open_rw(tmp);
    if (f.exists("/results")) f.remove("/results");
    f.create_group("/results");
    f.set_attr("/results", "analyzed_at", utc_now_iso8601());
    // What the estimates rest on: a later append makes them stale (and removes them).
    f.set_attr("/results", "complete", a.complete);
    f.set_attr("/results", "rows", static_cast<std::int64_t>(a.rows));
    std::string warn;
    for (const auto& w : a.warnings()) warn += (warn.empty() ? "" : "\n") + w;
    f.set_attr("/results", "warnings", warn);
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
    f.sync();
    f.close();
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace rigcs
