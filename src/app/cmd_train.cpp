// `rigcs train`: reverse-KL training of a generative sampler, data parallel over the
// MPI ranks, with sequential stages for rigcs (model transfer), checkpoints into the
// HDF5 run file, resume (--resume, or automatically after SIGTERM), and a clean stop
// on non-finite losses that keeps the last good checkpoint.
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "commands_internal.hpp"
#include "model_factory.hpp"
#include "run_output.hpp"
#include "lattice_models.hpp"
#include "rigcs/physics/phi4_torch.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/progress.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/train/checkpoint.hpp"
#include "rigcs/train/health.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace rigcs {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

struct History {
  std::vector<double> step, stage, loss, mean_f, ess, time, entropy;
  void add(const TrainStepStats& s, int stg, double t) {
    step.push_back(static_cast<double>(s.step));
    stage.push_back(stg);
    loss.push_back(s.loss);
    mean_f.push_back(s.mean_f);
    ess.push_back(s.ess);
    time.push_back(t);
    entropy.push_back(s.entropy);
  }
  void read(const H5File& f) {
    if (!f.is_group("/train/history")) return;
    step = f.read_double("/train/history/step");
    stage = f.read_double("/train/history/stage");
    loss = f.read_double("/train/history/loss");
    mean_f = f.read_double("/train/history/mean_f");
    ess = f.read_double("/train/history/ess");
    time = f.read_double("/train/history/time");
    // Files of older versions have no entropy column.
    entropy = f.is_dataset("/train/history/entropy") ? f.read_double("/train/history/entropy")
                                                    : std::vector<double>(step.size(), std::nan(""));
  }
  void write(H5File& f) const {
    f.create_group("/train/history");
    f.set_attr("/train/history", "meaning",
               "one row per training step: step within its stage, stage, REINFORCE loss, "
               "mean of beta*H + log q (upper bound of beta*F), batch ESS per sample, wall time since the start (s), "
               "batch entropy -<log q> (nats)");
    f.write("/train/history/step", step);
    f.write("/train/history/stage", stage);
    f.write("/train/history/loss", loss);
    f.write("/train/history/mean_f", mean_f);
    f.write("/train/history/ess", ess);
    f.write("/train/history/time", time);
    f.write("/train/history/entropy", entropy);
  }
};

struct ResumePoint {
  int stage = 0;
  std::string group;  // checkpoint group; empty: fresh start
  double elapsed = 0;
  History history;
  bool resumed = false;
  RunHeader header;                  // of the file resumed: the root keeps it
  std::vector<RunSegment> segments;  // its provenance records
};

}  // namespace

Command make_train_command() {
  Command c;
  c.name = "train";
  c.summary = "train a generative sampler (van, mlmc_hb, rigcs) by reverse KL; checkpoints in the run file";
  c.usage = "rigcs train [deck.ini] [--key=value ...] [--resume] [--overwrite] [--fit]";
  c.declare = [](ParamRegistry& r) {
    declare_model_keys(r);
    declare_run_keys(r, "model.h5");
    declare_sampler_keys(r);
    declare_train_keys(r);
    declare_sample_keys(r);
  };
  c.run = [](CommandContext& ctx) {
    Params& p = ctx.params;
    Communicator& comm = ctx.comm;
    require_generative_model(p, "train");
    // The target; also refuses a key of the other model kind set in the deck.
    const std::unique_ptr<LatticeModel> lattice_model = make_lattice_model(p);
    apply_thread_setting(p);
    const std::string output = p.get_string("run.output");
    const std::string start_time = utc_now_iso8601();
    const TrainingPlan plan = make_training_plan(p);
    const torch::Device device = select_device(p);

    // One writer per run file: a second train on the same output is refused by name.
    const auto lock = lock_output(ctx, output, "train");
    // Where to start: fresh, --resume, or automatically after a run stopped by a signal.
    ResumePoint resume;
    namespace fs = std::filesystem;
    if (fs::exists(output)) {
      H5File f = H5File::open_read(output);
      const RunHeader h = read_run_header(f);
      const bool interrupted = f.is_group("/train") && f.has_attr("/train", "status") &&
                               f.attr_string("/train", "status") == "interrupted";
      if (ctx.resume || (interrupted && !ctx.overwrite)) {
        RIGCS_CHECK(h.kind == "train", output << " is a '" << h.kind << "' run file, not a training run");
        check_compatible_deck(p, h.deck, output);
        // Another seed or rank count would continue another run under this one's name.
        const Params stored = full_registry().parse_text(h.deck, "stored in " + output, {});
        RIGCS_CHECK(stored.get_int("run.seed") == p.get_int("run.seed"),
                    output << " was written with run.seed = " << stored.get_int("run.seed") << ", but now run.seed = "
                           << p.get_int("run.seed") << ": resuming needs the same seed (or start anew with --overwrite)");
        RIGCS_CHECK(h.ranks == comm.size(), output << " was written on " << h.ranks << " ranks, but this run has "
                                                   << comm.size() << ": resume on as many (or start anew with --overwrite)");
        const std::string status = f.attr_string("/train", "status");
        if (status == "complete") {
          // Nothing to train; rewriting the file would drop its samples and results.
          if (comm.is_root() && !ctx.json)
            ctx.out << "training in " << output << " is already complete; nothing to do"
                    << " (--overwrite trains anew)\n";
          return 0;
        }
        resume.stage = static_cast<int>(f.attr_int64("/train", "stage"));
        resume.group = "/weights";
        resume.elapsed = f.attr_double("/train", "elapsed_seconds");
        resume.history.read(f);
        resume.resumed = true;
        resume.header = h;
        resume.segments = read_run_segments(f);
        if (comm.is_root() && !ctx.json)
          ctx.out << "resuming " << output << " at stage " << resume.stage << ", step "
                  << f.attr_int64("/train", "stage_step") << (interrupted ? " (it was stopped by a signal)" : "") << "\n";
      } else if (!ctx.overwrite) {
        // A run killed by SIGKILL (no checkpoint of status "interrupted") is continued
        // by --resume; --overwrite would throw its work away.
        const std::string st = f.is_group("/train") && f.has_attr("/train", "status") ? f.attr_string("/train", "status") : "";
        RIGCS_CHECK(st != "collapsed", "output file '" << output << "' holds a training that collapsed; "
                                                       "train anew with --overwrite and a lower train.lr");
        const bool unfinished = !st.empty() && st != "complete";
        RIGCS_CHECK(!unfinished, "output file '" << output << "' holds an unfinished training (status '"
                                                 << f.attr_string("/train", "status")
                                                 << "'); pass --resume to continue it, or --overwrite to start anew");
        check_output_writable(output, ctx.overwrite);
      }
    } else {
      // Requeued batch jobs pass --resume every time, the first time included.
      if (ctx.resume && comm.is_root() && !ctx.json)
        ctx.out << "--resume: no run file " << output << " yet; starting a new run\n";
      check_output_writable(output, true);
    }
    // A fresh rigcs training may grow from a trained smaller model (train.init_model).
    std::unique_ptr<GenerativeSampler> model;
    std::string init_model = p.get_string("train.init_model");
    if (!init_model.empty() && !resume.resumed) {
      RIGCS_CHECK(fs::exists(init_model), "train.init_model = '" << init_model << "': no such file");
      const H5File f = H5File::open_read(init_model);
      model = start_from_smaller_model(p, plan, f, resume.stage, resume.elapsed);
      resume.history.read(f);
      if (comm.is_root() && !ctx.json)
        ctx.out << "starting from " << init_model << " (N = " << model->lattice_size() << ", "
                << resume.elapsed << " s of training): stage " << resume.stage << " of " << plan.stages() - 1 << "\n";
    } else if (!init_model.empty() && comm.is_root() && !ctx.json) {
      ctx.out << "train.init_model is ignored: the run resumes from its own checkpoint\n";
    }
    echo_parameters(ctx, "train");

    g_stop_signal = 0;
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return resume.elapsed + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    History history = resume.history;
    const std::int64_t every = p.get_int("train.checkpoint_every");
    const std::int64_t job_steps = p.get_int("train.job_steps");
    std::int64_t steps_this_job = 0;

    // Provenance: the records of the segments before this one, then this one's.
    std::vector<RunSegment> segments = resume.segments;
    segments.push_back(this_run_segment(ctx, "train", resume.resumed));
    segments.back().start_time = start_time;
    CollapseDetector collapse(p.get_real("train.collapse_entropy"));

    for (int stage = resume.stage; stage < plan.stages(); ++stage) {
      if (!model) {
        model = make_model(p, plan, stage);
      } else {
        model = grow_model(p, *model, stage);
      }
      model->to(device);
      ReverseKlOptions opt;
      opt.beta = p.get_real("model.beta");
      opt.j = p.get_real("model.J");
      // Ising keeps its own fast form of beta H; other models give their action.
      if (lattice_model->kind() != "ising") {
        const LatticeModel* target = lattice_model.get();
        opt.action = [target](const torch::Tensor& s) { return batched_action(*target, s); };
      }
      opt.batch = plan.batch[static_cast<std::size_t>(stage)];
      opt.lr = plan.lr[static_cast<std::size_t>(stage)];
      opt.decay_steps = plan.steps[static_cast<std::size_t>(stage)];
      opt.lr_end_factor = plan.lr_end;
      opt.beta_anneal = p.get_real("train.beta_anneal");
      opt.seed = static_cast<std::uint64_t>(p.get_int("run.seed")) + 7919ULL * static_cast<std::uint64_t>(stage);
      ReverseKlTrainer trainer(*model, opt, comm);
      if (!resume.group.empty() && stage == resume.stage) {
        H5File f = H5File::open_read(output);
        load_checkpoint(f, resume.group, trainer);
      }
      const std::int64_t steps = plan.steps[static_cast<std::size_t>(stage)];
      const int n = plan.stage_size(stage);
      char label[64];
      std::snprintf(label, sizeof label, "train stage %d/%d N=%d", stage, plan.stages() - 1, n);
      Progress progress(label, steps, "steps", comm.is_root() && !ctx.quiet && !ctx.json, 2.0);

      auto checkpoint = [&](const std::string& status) {
        RIGCS_CHECK(weights_agree(*model, comm),
                    "weights differ between ranks at stage " << stage << " step " << trainer.steps_done());
        if (!comm.is_root()) return;
        RunOutput out(ctx, "train", start_time, /*overwrite=*/true);
        if (resume.resumed) out.keep_header(resume.header);
        segments.back().status = status;
        segments.back().end_time = utc_now_iso8601();
        out.set_segments(segments);
        H5File& f = out.file();
        write_model_group(f, *lattice_model);
        f.create_group("/sampler");
        f.set_attr("/sampler", "kind", plan.kind);
        f.set_attr("/sampler", "N", static_cast<std::int64_t>(model->lattice_size()));
        f.set_attr("/sampler", "parameters", static_cast<std::int64_t>(model->parameters().size()));
        save_checkpoint(f, "/weights", trainer);
        f.create_group("/train");
        f.set_attr("/train", "status", status);
        f.set_attr("/train", "stage", static_cast<std::int64_t>(stage));
        f.set_attr("/train", "stages", static_cast<std::int64_t>(plan.stages()));
        f.set_attr("/train", "stage_step", trainer.steps_done());
        f.set_attr("/train", "stage_lattice_size", static_cast<std::int64_t>(n));
        f.set_attr("/train", "elapsed_seconds", elapsed());
        f.set_attr("/train", "schedule", plan.describe());
        if (!init_model.empty()) f.set_attr("/train", "init_model", init_model);
        history.write(f);
        out.commit();
      };

      progress.update(trainer.steps_done());
      while (trainer.steps_done() < steps) {
        TrainStepStats s;
        try {
          s = trainer.step();
        } catch (const Error& e) {
          RIGCS_FAIL(e.what() << " of stage " << stage << " (N=" << n << "); the last good checkpoint in "
                              << output << " is kept (lower train.lr or raise train.batch)");
        }
        history.add(s, stage, elapsed());
        // Every rank sees the same global statistics, so all stop together.
        if (collapse.update(s)) {
          checkpoint("collapsed");
          RIGCS_FAIL("the model collapsed at stage " << stage << " (N=" << n << ") step " << trainer.steps_done()
                                                     << ": " << collapse.describe()
                                                     << "; it draws a few configurations over and over, and its "
                                                        "estimates would be meaningless. Lower train.lr (now "
                                                     << opt.lr << ") or anneal the target (train.beta_anneal, e.g. 0.998), and "
                                                        "start anew with --overwrite; "
                                                        "train.collapse_entropy = 0 switches this check off. "
                                                        "The collapsed model is kept in "
                                                     << output);
        }
        char extra[160];
        const int len = std::snprintf(extra, sizeof extra, "loss %+.4e  mean f %.6f  ESS %.4f", s.loss, s.mean_f, s.ess);
        if (opt.beta_anneal > 0 && len > 0 && static_cast<std::size_t>(len) < sizeof extra)
          std::snprintf(extra + len, sizeof extra - static_cast<std::size_t>(len), "  anneal %.4f", s.anneal);
        progress.update(trainer.steps_done(), extra);
        // A signal on any rank stops all of them at the same step; so does the step
        // budget of this job (walltime-limited queues).
        ++steps_this_job;
        std::int64_t stop = g_stop_signal != 0 ? 1 : 0;
        comm.allreduce_sum(&stop, 1);
        const bool budget = job_steps > 0 && steps_this_job >= job_steps && trainer.steps_done() < steps;
        if (stop || budget) {
          checkpoint("interrupted");
          if (comm.is_root())
            ctx.out << "stopped by " << (stop ? "a signal" : "train.job_steps") << " at stage " << stage << " step "
                    << trainer.steps_done() << "; checkpoint written to " << output
                    << "; run the same command again to resume\n";
          std::signal(SIGTERM, SIG_DFL);
          std::signal(SIGINT, SIG_DFL);
          return 3;
        }
        if (trainer.steps_done() % every == 0 && trainer.steps_done() < steps) checkpoint("running");
      }
      const bool last = stage + 1 == plan.stages();
      checkpoint(last ? "complete" : "running");
      resume.group.clear();
    }
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGINT, SIG_DFL);
    if (comm.is_root() && ctx.json) {
      JsonObject o;
      o.add("output", output).add("status", "complete").add("steps", static_cast<long long>(history.step.size()));
      if (!history.ess.empty()) o.add("ess", history.ess.back()).add("mean_f", history.mean_f.back());
      ctx.out << o.str() << "\n";
    }
    if (comm.is_root() && !ctx.json && !ctx.quiet) {
      ctx.out << "training complete: " << output;
      if (!history.ess.empty())
        ctx.out << ", last batch ESS " << history.ess.back() << ", mean f " << history.mean_f.back();
      ctx.out << "\nnext: rigcs sample <deck> --run.output=" << output << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace rigcs
