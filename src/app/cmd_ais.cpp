// `rigcs ais`: Cluster-AIS free energy (paper section 4.1, Neal 2001). Trajectories are
// farmed over the ranks; trajectory t draws from stream (seed, t), so the estimate does
// not depend on the rank count. Finished trajectories are appended to /ais chunk by
// chunk: a killed job keeps them and --resume completes it.
#include <cmath>
#include <filesystem>
#include <ostream>

#include "commands_internal.hpp"
#include "run_output.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/mc/ais.hpp"
#include "rigcs/mc/model_chain.hpp"

namespace rigcs {
namespace {
// The columns of /ais: the model's AIS observables, then index and log_w (appended last).
std::vector<std::string> ais_columns(const LatticeModel& model) {
  std::vector<std::string> c = ais_observables(model);
  c.push_back("index");
  c.push_back("log_w");
  return c;
}
}  // namespace

Command make_ais_command() {
  Command c;
  c.name = "ais";
  c.summary = "Cluster-AIS: annealed importance sampling in beta (phi^4: in kappa) with cluster updates (free energy)";
  c.usage = "rigcs ais [deck.ini] [--ais.trajectories=M ...] [--resume | --overwrite]";
  c.declare = [](ParamRegistry& r) {
    declare_model_keys(r);
    declare_run_keys(r, "ais.h5");
    declare_phi4_update_keys(r);
    r.add_int("ais.steps", 100, 1, 100000000, "number of beta increments from 0 to model.beta (phi4: of kappa to model.kappa)")
        .add_string("ais.spacing", "linear", "beta ladder: linear, or geometric after a first linear step",
                    {"linear", "geometric"})
        .add_string("ais.algorithm", "wolff",
                    "update at each intermediate beta. ising: wolff, sw. phi4 (default there metropolis+wolff): "
                    "metropolis, hmc, metropolis+wolff, hmc+wolff, as mcmc.algorithm",
                    {"wolff", "sw", "metropolis", "hmc", "metropolis+wolff", "hmc+wolff"})
        .add_int("ais.updates", 1, 1, 1000000, "updates (Wolff clusters, SW sweeps; phi4: mcmc-style updates) per beta")
        .add_int("ais.trajectories", 1000, 1, std::int64_t{1} << 40, "independent trajectories, farmed over the ranks")
        .add_int("ais.chunk", 100, 1, 100000000, "trajectories per rank between appends to the run file");
  };
  c.run = [](CommandContext& ctx) {
    const Params& p = ctx.params;
    Communicator& comm = ctx.comm;
    const std::string path = p.get_string("run.output");
    const std::unique_ptr<LatticeModel> model_ptr = make_lattice_model(p);
    const LatticeModel& model = *model_ptr;
    const bool ising = model.kind() == "ising";
    const std::vector<std::string> columns = ais_columns(model);
    AisParams ap;
    ap.steps = static_cast<int>(p.get_int("ais.steps"));
    ap.spacing = parse_beta_spacing(p.get_string("ais.spacing"));
    Phi4UpdateParams phi4_up;
    std::string algorithm_name;
    if (ising) {
      const std::string a = p.get_string("ais.algorithm");
      RIGCS_CHECK(a == "wolff" || a == "sw", "ais.algorithm = '" << a << "' is not an Ising cluster update; allowed "
                                                 "with model.kind = ising: wolff, sw");
      ap.algorithm = parse_mcmc_algorithm(a);
      algorithm_name = format_mcmc_algorithm(ap.algorithm);
    } else {
      phi4_up = phi4_update_params(p, "ais.algorithm");
      algorithm_name = format_phi4_algorithm(phi4_up.algorithm);
    }
    ap.updates_per_beta = static_cast<int>(p.get_int("ais.updates"));
    const std::int64_t total = p.get_int("ais.trajectories");
    const std::int64_t chunk = p.get_int("ais.chunk");
    const auto seed = static_cast<std::uint64_t>(p.get_int("run.seed"));

    const auto lock = lock_output(ctx, path, "ais");
    std::int64_t rounds_done = 0;
    bool already_complete = false;
    // Requeued batch jobs pass --resume every time, the first time included.
    if (ctx.resume && !std::filesystem::exists(path)) {
      if (comm.is_root() && !ctx.json && !ctx.quiet)
        ctx.out << "--resume: no run file " << path << " yet; starting a new run\n";
      ctx.resume = false;
    }
    if (ctx.resume) {
      H5File f = H5File::open_read(path);
      const RunHeader h = read_run_header(f);
      RIGCS_CHECK(h.kind == "ais", path << " is a '" << h.kind << "' run file, not a Cluster-AIS run");
      check_same_deck(p, h.deck, path, {"run.overwrite", "run.threads", "run.device"});
      RIGCS_CHECK(h.ranks == comm.size(), path << " was written on " << h.ranks << " ranks; resume on as many");
      rounds_done = f.attr_int64("/ais", "rounds_done");
      already_complete = f.attr_string("/ais", "status") == "complete";
    } else {
      if (!ctx.overwrite && std::filesystem::is_regular_file(path)) {
        // A killed run is continued by --resume; --overwrite would throw its work away.
        std::string unfinished;
        try {
          H5File f = H5File::open_read(path);
          if (read_run_header(f).kind == "ais" && f.attr_string("/ais", "status") != "complete")
            unfinished = std::to_string(counted_rows(f, "/ais", "log_w", {})) + " of " +
                         std::to_string(f.attr_int64("/ais", "trajectories")) + " trajectories";
        } catch (const std::exception&) {
          // not a readable AIS file: the generic message below
        }
        RIGCS_CHECK(unfinished.empty(), "output file '" << path << "' holds an unfinished AIS run (" << unfinished
                                                        << "); pass --resume to continue it, or --overwrite to start anew");
      }
      check_output_writable(path, ctx.overwrite);
    }
    if (already_complete) {
      // Nothing to add: the file is left exactly as it is.
      if (comm.is_root() && !ctx.quiet && !ctx.json)
        ctx.out << "the AIS run in " << path << " is already complete (" << total << " trajectories); nothing to do\n";
      if (comm.is_root() && ctx.json)
        ctx.out << JsonObject().add("output", path).add("trajectories", static_cast<long long>(total))
                       .add("appended", 0LL).str() << "\n";
      return 0;
    }
    echo_parameters(ctx, "ais");
    comm.barrier();

    std::unique_ptr<H5File> f;
    if (comm.is_root()) {
      if (!ctx.resume) {
        // The header and an empty /ais appear atomically; trajectories are appended after.
        RunOutput out(ctx, "ais", utc_now_iso8601());
        write_model_group(out.file(), model);
        H5File& g = out.file();
        g.create_group("/ais");
        g.set_attr("/ais", "steps", static_cast<std::int64_t>(ap.steps));
        g.set_attr("/ais", "spacing", format_beta_spacing(ap.spacing));
        g.set_attr("/ais", "algorithm", algorithm_name);
        g.set_attr("/ais", "annealed", model.annealing_parameter());
        g.set_attr("/ais", "updates", static_cast<std::int64_t>(ap.updates_per_beta));
        g.set_attr("/ais", "trajectories", total);
        g.set_attr("/ais", "rounds_done", std::int64_t{0});
        g.set_attr("/ais", "status", "running");
        g.set_attr("/ais", "log_Z0", model.log_z0());
        std::string obs;
        for (const auto& c : ais_observables(model)) obs += (obs.empty() ? "" : ",") + c;
        g.set_attr("/ais", "observables", obs);
        g.set_attr("/ais", "meaning",
                   ising ? "one row per finished trajectory: log_w (relative to Z_0 = 2^V), the final configuration's "
                           "energy H, abs_m, m2, and its index t (random stream (seed, t))"
                         : "one row per finished trajectory: log_w (relative to Z_0 = z1^V, the kappa = 0 theory), "
                           "the final configuration's observables (attribute observables), and its index t "
                           "(random stream (seed, t))");
        if (ising) {
          g.write("/ais/beta_ladder", ais_beta_ladder(model.annealing_target(), ap.steps, ap.spacing));
        } else {
          const double k = model.annealing_target();
          std::vector<double> ladder = ais_beta_ladder(std::abs(k), ap.steps, ap.spacing);
          if (k < 0)
            for (auto& x : ladder) x = -x;
          g.write("/ais/kappa_ladder", ladder);
        }
        g.set_attr("/ais", "rows", std::int64_t{0});
        out.commit("running");
        f = std::make_unique<H5File>(H5File::open_rw(path));
      } else {
        f = std::make_unique<H5File>(H5File::open_rw(path));
        // Estimates of the old rows are stale once rows are added; rows past the last
        // finished round were cut short.
        if (f->exists("/results")) f->remove("/results");
        const auto rows = static_cast<std::uint64_t>(work_done_after(total, chunk, comm.size(), rounds_done));
        counted_rows(*f, "/ais", "log_w", columns);  // refuses a damaged file
        cut_to_rows(*f, "/ais", columns, rows);
        commit_rows(*f, "/ais", rows, rounds_done);
        append_run_segment(*f, ctx, "ais");
      }
    }
    const WorkShare share = split_work(total, comm.rank(), comm.size());
    const std::int64_t rounds = work_rounds(total, chunk, comm.size());
    Progress progress("ais", rounds, "chunks", comm.is_root() && !ctx.quiet && !ctx.json, 2.0);
    for (std::int64_t round = rounds_done; round < rounds; ++round) {
      const std::size_t n_obs = columns.size() - 2;
      std::vector<std::vector<double>> obs(n_obs);
      std::vector<double> log_w, index;
      const std::int64_t b = share.begin + round * chunk;
      const std::int64_t e = std::min(share.end, b + chunk);
      for (std::int64_t t = b; t < e; ++t) {
        Rng rng(seed, static_cast<std::uint64_t>(t), StreamId::Ais);
        const ModelAisTrajectory tr = run_model_ais_trajectory(model, ap, phi4_up, rng);
        log_w.push_back(tr.log_w);
        for (std::size_t i = 0; i < n_obs; ++i) obs[i].push_back(tr.observables[i]);
        index.push_back(static_cast<double>(t));
      }
      auto cat = [&](const std::vector<double>& x) {
        std::vector<double> out;
        for (const auto& r : comm.gatherv(x, 0)) out.insert(out.end(), r.begin(), r.end());
        return out;
      };
      std::vector<std::vector<double>> g_obs;
      for (const auto& o : obs) g_obs.push_back(cat(o));
      auto gw = cat(log_w), gi = cat(index);
      if (f) {
        if (!gw.empty()) {
          std::vector<std::int64_t> idx(gi.begin(), gi.end());
          for (std::size_t i = 0; i < n_obs; ++i) f->append("/ais/" + columns[i], g_obs[i]);
          f->append("/ais/index", idx);
          f->append("/ais/log_w", gw);  // last: its length counts complete rows
        }
        // The round counts once every column of it is on disk.
        commit_rows(*f, "/ais", static_cast<std::uint64_t>(work_done_after(total, chunk, comm.size(), round + 1)),
                    round + 1);
      }
      progress.update(round + 1);
    }
    if (f) {
      f->set_attr("/ais", "status", "complete");
      write_run_end_time(*f);
      finish_run_segment(*f, "complete");
      f->sync();
      f->close();
    }
    if (comm.is_root() && ctx.json)
      ctx.out << JsonObject().add("output", path).add("trajectories", static_cast<long long>(total))
                     .add("appended", static_cast<long long>(total - work_done_after(total, chunk, comm.size(), rounds_done)))
                     .str() << "\n";
    if (comm.is_root() && !ctx.quiet && !ctx.json)
      ctx.out << "wrote " << total << " AIS trajectories to " << path << "\nnext: rigcs analyze " << path << "\n";
    return 0;
  };
  return c;
}

}  // namespace rigcs
