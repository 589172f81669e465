// `rigcs mcmc`: P independent Markov chains (one per MPI rank, the replicas of the
// Gamma method) written into one HDF5 run file by rank 0. Any LatticeModel: its
// observables are the /mcmc time series.
#include <cstring>
#include <ostream>

#include "commands_internal.hpp"
#include "run_output.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/mc/model_chain.hpp"

namespace rigcs {

void declare_mcmc_keys(ParamRegistry& r) {
  r.add_string("mcmc.algorithm", "wolff",
               "update. ising: metropolis and heatbath (checkerboard sweeps), wolff (one cluster), sw "
               "(Swendsen-Wang sweep). phi4 (default there metropolis+wolff): metropolis (local sweep), hmc "
               "(one trajectory), metropolis+wolff, hmc+wolff (each followed by phi4.wolff_clusters "
               "embedded-Ising Wolff clusters)",
               {"metropolis", "heatbath", "wolff", "sw", "hmc", "metropolis+wolff", "hmc+wolff"})
      .add_int("mcmc.thermalization", 1000, 0, std::int64_t{1} << 40, "updates discarded before measuring")
      .add_int("mcmc.measurements", 10000, 1, std::int64_t{1} << 34, "measurements per rank (chain)")
      .add_int("mcmc.interval", 1, 1, std::int64_t{1} << 30, "updates between measurements");
}

Command make_mcmc_command() {
  Command c;
  c.name = "mcmc";
  c.summary = "Markov chain Monte Carlo baselines (Metropolis, heat bath, Wolff, Swendsen-Wang; phi^4: HMC, embedded Wolff)";
  c.usage = "rigcs mcmc [deck.ini] [--key=value ...] [--overwrite]   (one chain per MPI rank)";
  c.declare = [](ParamRegistry& r) {
    declare_model_keys(r);
    declare_run_keys(r, "mcmc.h5");
    declare_mcmc_keys(r);
    declare_phi4_update_keys(r);
  };
  c.run = [](CommandContext& ctx) {
    const auto& p = ctx.params;
    Communicator& comm = ctx.comm;
    const std::string start_time = utc_now_iso8601();
    const std::string output = p.get_string("run.output");
    // Refuse before hours of work, not after.
    const auto lock = lock_output(ctx, output, "mcmc");
    check_output_writable(output, ctx.overwrite);
    echo_parameters(ctx, "mcmc");

    const std::unique_ptr<LatticeModel> model = make_lattice_model(p);
    ModelUpdateSettings settings;
    std::string algorithm_name;
    if (model->kind() == "ising") {
      const std::string a = p.get_string("mcmc.algorithm");
      RIGCS_CHECK(a == "metropolis" || a == "heatbath" || a == "wolff" || a == "sw",
                  "mcmc.algorithm = '" << a << "' is not an Ising update; allowed with model.kind = ising: "
                                          "metropolis, heatbath, wolff, sw");
      settings.ising = parse_mcmc_algorithm(a);
      algorithm_name = format_mcmc_algorithm(settings.ising);
    } else {
      settings.phi4 = phi4_update_params(p, "mcmc.algorithm");
      algorithm_name = format_phi4_algorithm(settings.phi4.algorithm);
    }
    ChainParams cp{p.get_int("mcmc.thermalization"), p.get_int("mcmc.measurements"), p.get_int("mcmc.interval")};
    const auto seed = static_cast<std::uint64_t>(p.get_int("run.seed"));
    Rng rng(seed, static_cast<std::uint64_t>(comm.rank()), StreamId::Mcmc);

    Progress progress("mcmc", cp.thermalization + cp.measurements * cp.interval, "updates",
                      comm.is_root() && !ctx.quiet && !ctx.json, 5.0);
    ModelSeries s = run_model_chain(*model, settings, cp, rng,
                                    [&](std::int64_t done, std::int64_t total) { progress.update(done); });

    // Gather every replica to rank 0, which writes the one run file.
    std::vector<std::vector<std::vector<double>>> columns;
    for (const auto& c : s.columns) columns.push_back(comm.gatherv(c, 0));
    auto stats = comm.gatherv(std::vector<double>{s.mean_cluster_size, s.acceptance,
                                                  static_cast<double>(s.updates)}, 0);
    const bool spins = model->site_kind() == SiteKind::Discrete;
    std::vector<std::vector<std::int8_t>> final_spins;
    std::vector<std::vector<double>> final_field;
    if (spins) {
      std::vector<std::int8_t> x(s.final_state.size());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(s.final_state[i]);
      final_spins = comm.gatherv(x, 0);
    } else {
      final_field = comm.gatherv(s.final_state, 0);
    }
    const auto& st = rng.state();
    // The 256-bit generator states travel as bytes.
    std::vector<std::vector<std::int8_t>> state_bytes = comm.gatherv(
        std::vector<std::int8_t>(reinterpret_cast<const std::int8_t*>(st.data()),
                                 reinterpret_cast<const std::int8_t*>(st.data()) + sizeof(st)), 0);
    if (!comm.is_root()) return 0;

    const std::size_t R = stats.size();
    const std::size_t T = static_cast<std::size_t>(cp.measurements);
    auto flatten = [&](const std::vector<std::vector<double>>& x) {
      std::vector<double> out;
      out.reserve(R * T);
      for (const auto& r : x) out.insert(out.end(), r.begin(), r.end());
      return out;
    };
    RunOutput out(ctx, "mcmc", start_time);
    H5File& f = out.file();
    write_model_group(f, *model);
    f.create_group("/mcmc");
    f.set_attr("/mcmc", "algorithm", algorithm_name);
    f.set_attr("/mcmc", "thermalization", cp.thermalization);
    f.set_attr("/mcmc", "measurements", cp.measurements);
    f.set_attr("/mcmc", "interval", cp.interval);
    f.set_attr("/mcmc", "replicas", static_cast<std::int64_t>(R));
    f.set_attr("/mcmc", "layout", "time series are (replicas, measurements); replica r = MPI rank r");
    if (model->kind() == "phi4") {
      const Phi4UpdateParams& up = settings.phi4;
      f.set_attr("/mcmc", "metropolis_width", up.metropolis_width);
      f.set_attr("/mcmc", "hmc_step", up.hmc_step);
      f.set_attr("/mcmc", "hmc_steps", static_cast<std::int64_t>(up.hmc_steps));
      f.set_attr("/mcmc", "wolff_clusters", static_cast<std::int64_t>(up.wolff_clusters));
    }
    std::string names;
    for (std::size_t i = 0; i < s.names.size(); ++i) {
      f.write("/mcmc/" + s.names[i], flatten(columns[i]), {R, T});
      names += (i ? "," : "") + s.names[i];
    }
    f.set_attr("/mcmc", "observables", names);
    std::vector<double> cluster, acc, updates;
    for (const auto& x : stats) { cluster.push_back(x[0]); acc.push_back(x[1]); updates.push_back(x[2]); }
    f.write("/mcmc/mean_cluster_size", cluster);
    f.write("/mcmc/acceptance", acc);
    f.write("/mcmc/updates", updates);
    const auto n = static_cast<std::uint64_t>(model->size());
    if (spins) {
      std::vector<std::int8_t> all;
      for (const auto& x : final_spins) all.insert(all.end(), x.begin(), x.end());
      f.write("/mcmc/final_spins", all, {R, n, n});
    } else {
      std::vector<double> all;
      for (const auto& x : final_field) all.insert(all.end(), x.begin(), x.end());
      f.write("/mcmc/final_field", all, {R, n, n});
    }
    // Random streams: (seed, rank, stream id) per replica and the final generator state.
    std::vector<std::int64_t> streams, states;
    for (std::size_t r = 0; r < R; ++r) {
      streams.insert(streams.end(), {static_cast<std::int64_t>(seed), static_cast<std::int64_t>(r),
                                     static_cast<std::int64_t>(StreamId::Mcmc)});
      std::int64_t w[4];
      std::memcpy(w, state_bytes[r].data(), sizeof w);
      states.insert(states.end(), w, w + 4);
    }
    f.write("/mcmc/rng_streams", streams, {R, 3});
    f.write("/mcmc/rng_final_state", states, {R, 4});
    out.commit();
    if (ctx.json)
      ctx.out << JsonObject().add("output", output).add("replicas", static_cast<long long>(R))
                     .add("measurements", static_cast<long long>(T)).str() << "\n";
    if (!ctx.json && !ctx.quiet)
      ctx.out << "wrote " << R << " chain(s) x " << T << " measurements to " << output
              << "\nnext: rigcs analyze " << output << "\n";
    return 0;
  };
  return c;
}

}  // namespace rigcs
