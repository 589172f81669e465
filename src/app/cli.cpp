#include <algorithm>
#include <iostream>
#include <new>
#include <sstream>

#include "rigcs/app/command.hpp"
#include "rigcs/core/build_info.hpp"
#include "rigcs/core/error.hpp"

namespace rigcs {
namespace {

const Command* find_command(const std::string& name) {
  for (const auto& c : all_commands())
    if (c.name == name) return &c;
  return nullptr;
}

void print_overview(std::ostream& out) {
  out << "rigcs " << version() << " (" << git_hash() << ")\n"
      << "Multilevel generative samplers and Monte Carlo baselines for lattice spin systems.\n\n"
      << "usage: rigcs <command> [deck.ini] [--section.key=value ...] [flags]\n\ncommands:\n";
  for (const auto& c : all_commands()) out << "  " << c.name << std::string(10 - std::min<std::size_t>(c.name.size(), 9), ' ') << c.summary << "\n";
  out << "  help      'rigcs help <command>' lists a command's keys\n"
      << "  version   print version and git hash\n\n"
      << "flags: --json (machine-readable result), --overwrite (replace existing output),\n"
      << "       --resume (continue from the last checkpoint), --quiet (no echo or progress),\n"
      << "       --fit (train: fit the MLMC-HB couplings by reverse KL)\n";
}

}  // namespace

ParamRegistry full_registry() {
  ParamRegistry reg;
  for (const auto& c : all_commands()) c.declare(reg);
  return reg;
}

void declare_model_keys(ParamRegistry& r) {
  r.add_string("model.kind", "ising",
               "lattice model: ising (H = -J sum_<ij> s_i s_j, weight exp(-beta H)) or phi4 (paper eq. 42: "
               "S = sum_v [-2 kappa sum_mu phi_v phi_{v+mu} + (1 - 2 lambda) phi_v^2 + lambda phi_v^4]); "
               "train and sample are ising only",
               {"ising", "phi4"})
      .add_int("model.N", 16, 2, 4096, "linear lattice size N (periodic N x N torus)")
      .add_real("model.beta", 0.44, 0.0, 1.0e3, "ising: inverse temperature beta", true)
      .add_real("model.J", 1.0, -1.0e3, 1.0e3, "ising: coupling J in H = -J sum_<ij> s_i s_j")
      .add_real("model.kappa", 0.2, -10.0, 10.0,
                "phi4: hopping parameter kappa (with model.lambda = 0, |kappa| < 1/4)")
      .add_real("model.lambda", 0.022, 0.0, 100.0, "phi4: quartic coupling lambda >= 0");
}

void declare_run_keys(ParamRegistry& r, const std::string& default_output) {
  r.add_int("run.seed", 12345, 0, (std::int64_t{1} << 62), "master seed; rank r uses stream (seed, r, purpose)")
      .add_string("run.output", default_output, "HDF5 run file to write")
      .add_bool("run.overwrite", false, "replace an existing run file (same as --overwrite)")
      .add_int("run.threads", 1, 1, 256, "LibTorch intra-op threads per rank");
}

void echo_parameters(const CommandContext& ctx, const std::string& command) {
  if (ctx.quiet || ctx.json || !ctx.comm.is_root()) return;
  ctx.out << "# rigcs " << version() << " (" << git_hash() << ") " << command << " on "
          << ctx.comm.size() << " rank(s)\n# effective parameters:\n";
  std::istringstream in(ctx.params.to_deck_text());
  for (std::string line; std::getline(in, line);) ctx.out << "#   " << line << "\n";
  ctx.out.flush();
}

namespace {

bool is_help(const std::string& a) { return a == "--help" || a == "-h" || a == "help"; }

// LibTorch reports a failed allocation as a c10::Error with a backtrace; what the user
// needs is which setting asked for the memory.
std::string explain(const std::exception& e, const std::string& command) {
  std::string what = e.what();
  const bool oom = dynamic_cast<const std::bad_alloc*>(&e) != nullptr ||
                   what.find("can't allocate memory") != std::string::npos ||
                   what.find("out of memory") != std::string::npos;
  if (!oom) return what;
  const auto nl = what.find('\n');
  std::string first = what.substr(0, nl);
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) first = "cannot allocate memory";
  std::string keys = "model.N";
  if (command == "train") keys = "train.batch / train.stage_batch (the batch per rank) or model.N";
  else if (command == "sample") keys = "sample.chunk (samples per rank at a time) or sample.p_count";
  else if (command == "mcmc") keys = "mcmc.measurements or model.N";
  else if (command == "ais") keys = "ais.steps or model.N";
  return "out of memory (" + first + "): lower " + keys + ", or use more ranks";
}

}  // namespace

int run_cli(const std::vector<std::string>& args_in, Communicator& comm, std::ostream& out,
            std::ostream& err) {
  const bool root = comm.is_root();
  std::string command_name;
  std::vector<std::string> args = args_in;
  // `rigcs <command> --help` is `rigcs help <command>`.
  if (args.size() >= 2 && find_command(args[0]) != nullptr &&
      std::any_of(args.begin() + 1, args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; }))
    args = {"help", args[0]};
  try {
    if (args.empty() || is_help(args[0])) {
      if (args.size() >= 2) {
        const Command* c = find_command(args[1]);
        RIGCS_CHECK(c, "unknown command '" << args[1] << "'; 'rigcs help' lists the commands");
        ParamRegistry reg;
        c->declare(reg);
        if (root) out << "usage: " << c->usage << "\n" << c->summary << "\n\nkeys:" << reg.help_text();
      } else if (root) {
        print_overview(out);
      }
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "version" || args[0] == "--version") {
      if (root) out << "rigcs " << version() << " (" << git_hash() << ")\n";
      return 0;
    }
    const Command* cmd = find_command(args[0]);
    RIGCS_CHECK(cmd, "unknown command '" << args[0] << "'; 'rigcs help' lists the commands");

    // One deck serves every command of a job (train, sample, analyze), so decks are
    // checked against the keys of all commands; a command reads the ones it needs. The
    // command's own declarations come last, so its defaults win (run.output of mcmc is
    // mcmc.h5, as `rigcs help mcmc` says, not another command's).
    ParamRegistry reg = full_registry();
    cmd->declare(reg);

    std::vector<std::string> positional, overrides;
    bool json = false, overwrite = false, quiet = false, resume = false, fit = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--json") json = true;
      else if (a == "--overwrite") overwrite = true;
      else if (a == "--quiet") quiet = true;
      else if (a == "--resume") resume = true;
      else if (a == "--fit") fit = true;
      else if (a.rfind("--", 0) == 0) {
        std::string ov = a.substr(2);
        // "--model.N 8": a known key without '=' takes the next word as its value
        // (otherwise "8" would be read as the deck).
        if (ov.find('=') == std::string::npos && reg.has(ov) && i + 1 < args.size() &&
            args[i + 1].rfind("--", 0) != 0)
          ov += "=" + args[++i];
        overrides.push_back(ov);
      } else {
        positional.push_back(a);
      }
    }
    // `analyze` takes a run file; every other command takes an optional deck.
    std::string deck;
    if (cmd->name != "analyze" && !positional.empty()) {
      deck = positional.front();
      positional.erase(positional.begin());
      RIGCS_CHECK(positional.empty(), "unexpected argument '" << positional.front() << "'; usage: " << cmd->usage);
    }
    CommandContext ctx{comm, reg.parse(deck, overrides), positional, json, overwrite, quiet, resume, out};
    if (fit) ctx.params.set("train.fit", "true");
    if (ctx.params.has("run.overwrite") && overwrite) ctx.params.set("run.overwrite", "true");
    if (ctx.params.has("run.overwrite")) ctx.overwrite = ctx.params.get_bool("run.overwrite");
    command_name = cmd->name;
    const int rc = cmd->run(ctx);
    // Rank 0 writes the files: when a command returns on any rank, they are in place,
    // so the next command sees the same files on every rank. (Not on failure: a rank
    // that failed alone must not wait here.) rc 3 (stopped by a signal) is collective.
    if (rc == 0) comm.barrier();
    return rc;
  } catch (const std::exception& e) {
    const std::string msg = explain(e, command_name);
    // Most failures are reached by every rank (a bad key; an error rank 0 broadcast):
    // then one line from rank 0, and every rank exits normally. A rank that failed
    // alone says so itself and ends the job, since the others wait for it forever.
    if (comm.agree_on_failure(5.0)) {
      if (root) err << "rigcs: error: " << msg << std::endl;
      return 1;
    }
    err << "rigcs: error on rank " << comm.rank() << " of " << comm.size() << ": " << msg << std::endl;
    comm.abort(1);
    return 1;  // not reached
  }
}

}  // namespace rigcs
