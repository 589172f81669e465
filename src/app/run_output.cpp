#include "run_output.hpp"

#include <filesystem>

#include "rigcs/core/error.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/io/run_file.hpp"

namespace rigcs {

void check_output_writable(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  RIGCS_CHECK(!path.empty(), "run.output is empty: name the HDF5 file to write");
  RIGCS_CHECK(overwrite || !fs::exists(path),
              "output file '" << path << "' exists; pass --overwrite (or run.overwrite = true) to replace it");
  const fs::path dir = fs::path(path).parent_path();
  RIGCS_CHECK(dir.empty() || fs::is_directory(dir),
              "folder '" << dir.string() << "' of run.output does not exist");
}

RunOutput::RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time)
    : ctx_(ctx), kind_(kind), start_time_(start_time),
      writer_(ctx.params.get_string("run.output"), ctx.overwrite) {}

RunOutput::RunOutput(const CommandContext& ctx, const std::string& kind, const std::string& start_time,
                     bool overwrite)
    : ctx_(ctx), kind_(kind), start_time_(start_time),
      writer_(ctx.params.get_string("run.output"), overwrite) {}

void RunOutput::commit() {
  RunHeader h;
  h.kind = kind_;
  h.deck = ctx_.params.to_deck_text();
  h.seed = ctx_.params.has("run.seed") ? static_cast<std::uint64_t>(ctx_.params.get_int("run.seed")) : 0;
  h.ranks = ctx_.comm.size();
  h.start_time = start_time_;
  h.end_time = utc_now_iso8601();
  write_run_header(writer_.file(), h);
  writer_.commit();
}

void write_model_group(H5File& f, const IsingModel& model) {
  f.create_group("/model");
  f.set_attr("/model", "name", "ising2d");
  f.set_attr("/model", "N", static_cast<std::int64_t>(model.size()));
  f.set_attr("/model", "beta", model.beta());
  f.set_attr("/model", "J", model.coupling());
  f.set_attr("/model", "hamiltonian", "H = -J sum over the 2 N^2 nearest-neighbour bonds of s_i s_j, periodic");
}

}  // namespace rigcs
