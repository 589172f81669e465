// `rigcs sample`: draws sample.count configurations from the trained model of the run
// file, split over the ranks, and appends them chunk by chunk to /samples of that file
// (rank 0 gathers and writes), so a killed job keeps every finished chunk and
// --resume continues after it. Optionally evaluates a Wolff chain (samples from p)
// under the model for EMDM and KL(p||q); for phi^4 a Metropolis + embedded-Wolff chain.
#include <torch/torch.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <ostream>

#include "commands_internal.hpp"
#include "lattice_models.hpp"
#include "model_factory.hpp"
#include "run_output.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/mc/cluster_updates.hpp"
#include "rigcs/mc/model_chain.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/physics/phi4.hpp"
#include "rigcs/physics/phi4_torch.hpp"

namespace rigcs {
namespace {

std::vector<double> to_vector(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Per-sample quantities of a batch of spins (B, N, N). For a real field (phi^4) the
// same columns with beta = 1: energy = S (the action), minus_beta_H = -S, abs_m = |m|;
// and phi2 = sum phi^2 / V, m2 = m^2, m4 = m^4, field (float32) in place of spins.
struct Evaluated {
  std::vector<double> log_q, minus_beta_H, energy, abs_m;
  std::vector<std::int8_t> spins;
  std::vector<double> phi2, m2, m4;
  std::vector<double> field;  // written as float32
};

Evaluated evaluate_field(const Phi4Model& model, const torch::Tensor& phi_any, const torch::Tensor& log_q, bool keep) {
  Evaluated e;
  auto phi = phi_any.to(torch::kCPU, torch::kFloat64);
  auto action = phi4_action(phi, model.kappa(), model.lambda());
  e.energy = to_vector(action);
  e.minus_beta_H = to_vector(-action);
  auto m = phi.flatten(1).mean(1);
  e.abs_m = to_vector(m.abs());
  e.m2 = to_vector(m * m);
  e.m4 = to_vector(m.pow(4));
  e.phi2 = to_vector((phi * phi).flatten(1).mean(1));
  e.log_q = to_vector(log_q);
  if (keep) {
    auto f32 = phi_any.to(torch::kCPU, torch::kFloat32).to(torch::kFloat64).contiguous();
    e.field.assign(f32.data_ptr<double>(), f32.data_ptr<double>() + f32.numel());
  }
  return e;
}

Evaluated evaluate(const torch::Tensor& spins_any, const torch::Tensor& log_q, double beta, double j, bool keep_spins) {
  Evaluated e;
  auto spins = spins_any.to(torch::kCPU, torch::kFloat64);
  const double v = static_cast<double>(spins.size(1) * spins.size(2));
  e.energy = to_vector(ising_energy(spins, j));
  e.minus_beta_H.resize(e.energy.size());
  for (std::size_t i = 0; i < e.energy.size(); ++i) e.minus_beta_H[i] = -beta * e.energy[i];
  e.abs_m = to_vector(ising_magnetisation(spins).abs() / v);
  e.log_q = to_vector(log_q);
  if (keep_spins) {
    auto s8 = spins.to(torch::kInt8).contiguous();
    e.spins.assign(s8.data_ptr<std::int8_t>(), s8.data_ptr<std::int8_t>() + s8.numel());
  }
  return e;
}

// Gathers a chunk to rank 0 and appends it under `group`; `replica` column = rank.
void append_gathered(Communicator& comm, H5File* f, const std::string& group, const Evaluated& e, int n,
                     bool spins, bool field_model) {
  // Every rank takes part in every gather, also with nothing drawn: the columns are
  // chosen by the model, not by what this rank holds.
  if (field_model) {
    auto gather_cat = [&](const std::vector<double>& x) {
      std::vector<double> all;
      for (auto& part : comm.gatherv(x, 0)) all.insert(all.end(), part.begin(), part.end());
      return all;
    };
    auto phi2 = gather_cat(e.phi2), m2 = gather_cat(e.m2), m4 = gather_cat(e.m4);
    std::vector<float> all_field;
    if (spins)
      for (auto& part : comm.gatherv(e.field, 0)) all_field.insert(all_field.end(), part.begin(), part.end());  // to float32
    if (comm.is_root() && !phi2.empty()) {
      if (spins) f->append(group + "/field", all_field, {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(n)});
      f->append(group + "/phi2", phi2);
      f->append(group + "/m2", m2);
      f->append(group + "/m4", m4);
    }
    spins = false;
  }
  auto log_q = comm.gatherv(e.log_q, 0);
  auto mbh = comm.gatherv(e.minus_beta_H, 0);
  auto energy = comm.gatherv(e.energy, 0);
  auto abs_m = comm.gatherv(e.abs_m, 0);
  std::vector<std::vector<std::int8_t>> sp;
  if (spins) sp = comm.gatherv(e.spins, 0);
  if (!comm.is_root()) return;
  std::vector<double> lq, b, en, am;
  std::vector<std::int64_t> rep;
  std::vector<std::int8_t> all_spins;
  for (std::size_t r = 0; r < log_q.size(); ++r) {
    lq.insert(lq.end(), log_q[r].begin(), log_q[r].end());
    b.insert(b.end(), mbh[r].begin(), mbh[r].end());
    en.insert(en.end(), energy[r].begin(), energy[r].end());
    am.insert(am.end(), abs_m[r].begin(), abs_m[r].end());
    rep.insert(rep.end(), log_q[r].size(), static_cast<std::int64_t>(r));
    if (spins) all_spins.insert(all_spins.end(), sp[r].begin(), sp[r].end());
  }
  if (lq.empty()) return;
  if (spins) f->append(group + "/spins", all_spins, {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(n)});
  f->append(group + "/energy", en);
  f->append(group + "/abs_m", am);
  f->append(group + "/minus_beta_H", b);
  f->append(group + "/replica", rep);
  // log_q last: its length is the number of complete samples.
  f->append(group + "/log_q", lq);
}

// (field, phi2, m2 and m4 are phi^4's; absent columns are skipped.)
const std::vector<std::string> kSampleColumns = {"spins", "field", "phi2", "m2", "m4", "energy", "abs_m",
                                                 "minus_beta_H", "replica", "log_q"};

// The stream of (seed, rank, round), on the model's device (draws on a device need a
// generator of that device).
torch::Generator generator_for(std::uint64_t seed, int rank, StreamId stream, std::int64_t round,
                               const torch::Device& device) {
  Rng r(seed, static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(stream) * 1000003ULL +
                                                    static_cast<std::uint64_t>(round));
  return make_generator(device, r());
}

namespace fs = std::filesystem;

// sample.model: the run file `path` starts as a copy of the model's run file, made by
// rank 0 beside the target and renamed into place, so that the model file itself is
// only ever read and a killed copy leaves no half file. Later runs with --resume use
// the copy they find.
void start_from_model(CommandContext& ctx, const std::string& model, const std::string& path) {
  Communicator& comm = ctx.comm;
  RIGCS_CHECK(fs::exists(model), "sample.model = " << model << ": no such file (relative paths are taken from "
                                                    << fs::current_path().string() << ")");
  // (run.output naming the model itself is refused before the output lock is taken.)
  std::error_code ec;
  {
    const RunHeader h = read_run_header(model);
    RIGCS_CHECK(h.kind == "train", "sample.model = " << model << " is a '" << h.kind
                                                     << "' run file; it must be written by rigcs train");
    check_compatible_deck(ctx.params, h.deck, model);
  }
  bool copy = !fs::exists(path);
  comm.barrier();  // every rank has looked before rank 0 creates the copy
  if (!copy) {
    RIGCS_CHECK(ctx.resume || ctx.overwrite, path << " already exists; pass --resume to complete its sample set "
                                                      "or --overwrite to start again from " << model);
    if (ctx.overwrite && !ctx.resume) copy = true;
  }
  if (copy && comm.is_root()) {
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    fs::copy_file(model, tmp, fs::copy_options::overwrite_existing, ec);
    RIGCS_CHECK(!ec, "cannot copy sample.model " << model << " to " << tmp << ": " << ec.message());
    fs::permissions(tmp, fs::perms::owner_write, fs::perm_options::add, ec);  // shipped files may be read-only
    {
      H5File f = H5File::open_rw(tmp);
      for (const char* g : {"/samples", "/samples_p", "/results"})
        if (f.exists(g)) f.remove(g);
      f.set_attr("/train", "model_source", model);
      f.close();
    }
    fs::rename(tmp, path, ec);
    RIGCS_CHECK(!ec, "cannot rename " << tmp << " to " << path << ": " << ec.message());
  }
  comm.barrier();  // every rank sees the copy
}

}  // namespace

Command make_sample_command() {
  Command c;
  c.name = "sample";
  c.summary = "draw samples from the trained model of a run file and append them to it";
  c.usage = "rigcs sample [deck.ini] [--sample.count=M] [--resume | --overwrite]";
  c.declare = [](ParamRegistry& r) {
    declare_model_keys(r);
    declare_run_keys(r, "model.h5");
    declare_sampler_keys(r);
    declare_sample_keys(r);
    declare_phi4_update_keys(r);
  };
  c.run = [](CommandContext& ctx) {
    const Params& p = ctx.params;
    Communicator& comm = ctx.comm;
    require_generative_model(p, "sample");
    const std::unique_ptr<LatticeModel> lattice_model = make_lattice_model(p);
    const auto* phi4 = dynamic_cast<const Phi4Model*>(lattice_model.get());
    apply_thread_setting(p);
    const std::string path = p.get_string("run.output");
    const TrainingPlan plan = make_training_plan(p);
    const double beta = p.get_real("model.beta"), j = p.get_real("model.J");
    const auto seed = static_cast<std::uint64_t>(p.get_int("run.seed"));
    const std::int64_t count = p.get_int("sample.count");
    const std::int64_t chunk = p.get_int("sample.chunk");
    const bool keep_spins = p.get_bool("sample.save_spins");
    const torch::Device device = select_device(p);

    const std::string model_file = p.get_string("sample.model");
    const bool from_model = !model_file.empty();
    {
      std::error_code ec;
      RIGCS_CHECK(!(from_model && fs::exists(path) && fs::equivalent(model_file, path, ec)),
                  "sample.model and run.output name the same file ("
                      << path << "); the model file is only read: give another run.output");
    }
    const auto lock = lock_output(ctx, path, "sample");
    std::unique_ptr<GenerativeSampler> model = make_model(p, plan, plan.stages() - 1);
    if (from_model) start_from_model(ctx, model_file, path);
    std::int64_t rounds_done = 0;
    bool already_complete = false;
    {
      H5File f = H5File::open_read(path);
      const RunHeader h = read_run_header(f);
      RIGCS_CHECK(h.kind == "train", path << " is a '" << h.kind << "' run file; rigcs sample needs one written by rigcs train");
      check_compatible_deck(p, h.deck, path);
      const std::string tstatus = f.is_group("/train") && f.has_attr("/train", "status") ? f.attr_string("/train", "status") : "missing";
      RIGCS_CHECK(tstatus != "collapsed", path << ": the training collapsed (a model of a few configurations); "
                                                  "train anew with a lower train.lr and --overwrite");
      RIGCS_CHECK(tstatus == "complete",
                  path << ": training is not complete (status '" << tstatus << "'); finish it with 'rigcs train <deck> --resume'");
      load_model_weights(f, "/weights", *model);
      if (f.is_group("/samples")) {
        if (ctx.resume) {
          RIGCS_CHECK(f.attr_int64("/samples", "count") == count && f.attr_int64("/samples", "ranks") == comm.size() &&
                          f.attr_int64("/samples", "chunk") == chunk,
                      path << ": --resume needs the same sample.count, sample.chunk and rank count as the run it continues");
          RIGCS_CHECK(!f.has_attr("/samples", "seed") || f.attr_int64("/samples", "seed") == static_cast<std::int64_t>(seed),
                      path << ": the sample set was drawn with run.seed = " << f.attr_int64("/samples", "seed")
                           << ", but now run.seed = " << seed << ": resuming needs the same seed (or start anew with --overwrite)");
          if (f.has_attr("/samples", "deck")) {
            const Params before = full_registry().parse_text(f.attr_string("/samples", "deck"), "stored in " + path, {});
            RIGCS_CHECK(before.get_bool("sample.save_spins") == keep_spins,
                        path << ": the sample set was drawn with sample.save_spins = " << before.text("sample.save_spins")
                             << "; resuming needs the same (or start anew with --overwrite)");
          }
          rounds_done = f.attr_int64("/samples", "rounds_done");
          already_complete = f.attr_string("/samples", "status") == "complete";
        } else {
          RIGCS_CHECK(ctx.overwrite, path << " already holds a sample set; pass --resume to complete it or --overwrite to replace it");
        }
      }
    }
    if (already_complete) {
      // Nothing to draw: the file is left exactly as it is.
      if (comm.is_root() && !ctx.quiet && !ctx.json)
        ctx.out << "the sample set in " << path << " is already complete (" << count << " samples); nothing to do\n";
      if (comm.is_root() && ctx.json)
        ctx.out << JsonObject().add("output", path).add("samples", static_cast<long long>(count)).add("appended", 0LL).str() << "\n";
      return 0;
    }
    comm.barrier();  // every rank has read the file before rank 0 edits it
    model->to(device);
    echo_parameters(ctx, "sample");

    const std::int64_t rounds = work_rounds(count, chunk, comm.size());
    std::unique_ptr<H5File> f;
    if (comm.is_root()) {
      f = std::make_unique<H5File>(H5File::open_rw(path));
      // Estimates of the old rows are stale once rows are added.
      if (f->exists("/results")) f->remove("/results");
      if (rounds_done == 0) {
        for (const char* g : {"/samples", "/samples_p"})
          if (f->exists(g)) f->remove(g);
        f->create_group("/samples");
        f->set_attr("/samples", "count", count);
        f->set_attr("/samples", "chunk", chunk);
        f->set_attr("/samples", "ranks", static_cast<std::int64_t>(comm.size()));
        f->set_attr("/samples", "seed", static_cast<std::int64_t>(seed));
        // The root attributes keep the training deck; this is the deck of the sampling.
        f->set_attr("/samples", "deck", p.to_deck_text());
        if (from_model) f->set_attr("/samples", "model", model_file);
        f->set_attr("/samples", "status", "running");
        f->set_attr("/samples", "meaning",
                    phi4 ? "independent draws from the model q: log_q, minus_beta_H = -S (the action), energy = S, "
                           "abs_m = |sum phi|/V, phi2 = sum phi^2/V, m2 = m^2, m4 = m^4 (m = sum phi/V), replica = "
                           "MPI rank that drew it; rows in drawing order per replica"
                         : "independent draws from the model q: log_q, minus_beta_H = -beta*H, energy = H, "
                           "abs_m = |M|/V, replica = MPI rank that drew it; rows in drawing order per replica");
        commit_rows(*f, "/samples", 0, 0);
      } else {
        // Rows past the last finished round were cut short: drop them before appending.
        const auto rows = static_cast<std::uint64_t>(work_done_after(count, chunk, comm.size(), rounds_done));
        counted_rows(*f, "/samples", "log_q", kSampleColumns);  // refuses a damaged file
        cut_to_rows(*f, "/samples", kSampleColumns, rows);
        if (f->exists("/samples_p")) f->remove("/samples_p");  // drawn in one go after the last round
        commit_rows(*f, "/samples", rows, rounds_done);
      }
      append_run_segment(*f, ctx, "sample");
    }
    const WorkShare share = split_work(count, comm.rank(), comm.size());
    Progress progress("sample", rounds, "chunks", comm.is_root() && !ctx.quiet && !ctx.json, 2.0);
    double draw_seconds = 0;
    std::int64_t drawn = 0;
    for (std::int64_t round = rounds_done; round < rounds; ++round) {
      const std::int64_t n = std::max<std::int64_t>(0, std::min(chunk, share.count() - round * chunk));
      Evaluated e;
      if (n > 0) {
        torch::NoGradGuard ng;
        auto gen = generator_for(seed, comm.rank(), StreamId::Sampling, round, device);
        const auto t0 = std::chrono::steady_clock::now();
        SampleBatch b = model->sample(n, gen);
        draw_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        drawn += n;
        e = phi4 ? evaluate_field(*phi4, b.spins, b.log_q, keep_spins) : evaluate(b.spins, b.log_q, beta, j, keep_spins);
      }
      append_gathered(comm, f.get(), "/samples", e, plan.n, keep_spins, phi4 != nullptr);
      // The round counts once every column of it is on disk.
      if (f) commit_rows(*f, "/samples", static_cast<std::uint64_t>(work_done_after(count, chunk, comm.size(), round + 1)), round + 1);
      progress.update(round + 1);
    }
    // Sampling speed: seconds per 100 samples on one rank (slowest rank).
    const double per100 = comm.max(drawn > 0 ? 100.0 * draw_seconds / static_cast<double>(drawn) : 0.0);

    // Samples from p for EMDM and KL(p||q): a Wolff chain per rank, evaluated under q.
    const std::int64_t p_count = p.get_int("sample.p_count");
    if (p_count > 0) {
      const WorkShare ps = split_work(p_count, comm.rank(), comm.size());
      IsingModel ising({plan.n, beta, j});
      Rng rng(seed, static_cast<std::uint64_t>(comm.rank()), StreamId::Mcmc);
      const std::int64_t interval = p.get_int("sample.p_interval");
      std::vector<float> configs;
      if (phi4) {
        // Metropolis sweeps with embedded-Wolff clusters (the phi4.* keys), 1000 updates
        // of thermalisation as for Ising.
        Phi4UpdateParams up;
        up.algorithm = Phi4Algorithm::MetropolisWolff;
        up.metropolis_width = p.get_real("phi4.metropolis_width");
        up.wolff_clusters = static_cast<int>(p.get_int("phi4.wolff_clusters"));
        for (const auto& phi : phi4_chain_configurations(*phi4, up, ChainParams{1000, ps.count(), interval}, rng))
          configs.insert(configs.end(), phi.begin(), phi.end());
      } else {
        // The spins themselves are needed (run_chain keeps only observables).
        SpinConfig s = random_configuration(ising, rng);
        WolffUpdate wolff(ising);
        for (int t = 0; t < 1000; ++t) wolff.update(s, rng);  // thermalisation
        configs.reserve(static_cast<std::size_t>(ps.count()) * s.size());
        for (std::int64_t k = 0; k < ps.count(); ++k) {
          for (std::int64_t t = 0; t < interval; ++t) wolff.update(s, rng);
          configs.insert(configs.end(), s.begin(), s.end());
        }
      }
      Evaluated e;
      if (ps.count() > 0) {
        torch::NoGradGuard ng;
        auto spins = torch::from_blob(configs.data(), {ps.count(), plan.n, plan.n}, torch::kFloat32).clone();
        std::vector<torch::Tensor> lq;
        for (std::int64_t b0 = 0; b0 < ps.count(); b0 += chunk)
          lq.push_back(model->log_prob(spins.slice(0, b0, std::min(ps.count(), b0 + chunk)).to(device)).to(torch::kCPU));
        e = phi4 ? evaluate_field(*phi4, spins, torch::cat(lq), false) : evaluate(spins, torch::cat(lq), beta, j, false);
      }
      if (f) {
        f->create_group("/samples_p");
        f->set_attr("/samples_p", "meaning",
                    phi4 ? "configurations of a Metropolis + embedded-Wolff chain per rank (samples from p, "
                           "autocorrelated) evaluated under the model"
                         : "configurations of a Wolff chain per rank (samples from p, autocorrelated) evaluated under the model");
        f->set_attr("/samples_p", "interval", interval);
      }
      append_gathered(comm, f.get(), "/samples_p", e, plan.n, false, phi4 != nullptr);
      if (f) {
        commit_rows(*f, "/samples_p", static_cast<std::uint64_t>(p_count));
        f->set_attr("/samples_p", "status", "complete");
      }
    }
    if (f) {
      f->set_attr("/samples", "seconds_per_100", per100);
      f->set_attr("/samples", "status", "complete");
      finish_run_segment(*f, "complete");
      f->sync();
      f->close();
    }
    const std::int64_t appended = count - work_done_after(count, chunk, comm.size(), rounds_done);
    if (comm.is_root() && ctx.json)
      ctx.out << JsonObject().add("output", path).add("samples", static_cast<long long>(count)).add("appended", static_cast<long long>(appended))
                     .add("seconds_per_100", per100).str() << "\n";
    if (comm.is_root() && !ctx.quiet && !ctx.json)
      ctx.out << "appended " << appended << " samples to " << path << " (" << per100
              << " s per 100 samples per rank)\nnext: rigcs analyze " << path << "\n";
    return 0;
  };
  return c;
}

}  // namespace rigcs
