// `rigcs analyze run.h5`: Gamma-method analysis of whatever the run file holds.
#include <cmath>
#include <ostream>

#include "commands_internal.hpp"
#include "results.hpp"
#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/estimators/importance.hpp"
#include "rigcs/estimators/neural_mcmc.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"

namespace rigcs {
namespace {

ReplicaSeries read_replicas(const H5File& f, const std::string& path) {
  const H5Dims d = f.dims(path);
  RIGCS_CHECK(d.size() == 2, "dataset " << path << " in " << f.path() << " should be 2-D (replicas, measurements)");
  const std::vector<double> flat = f.read_double(path);
  ReplicaSeries out(d[0]);
  for (std::size_t r = 0; r < d[0]; ++r)
    out[r].assign(flat.begin() + static_cast<std::ptrdiff_t>(r * d[1]),
                  flat.begin() + static_cast<std::ptrdiff_t>((r + 1) * d[1]));
  return out;
}

ResultList analyze_mcmc(const H5File& f, const GammaOptions& opt) {
  RIGCS_CHECK(f.is_group("/mcmc"), f.path() << " has no /mcmc group: not an MCMC run, or an incomplete file");
  const double v = std::pow(static_cast<double>(f.attr_int64("/model", "N")), 2);
  ResultList res;
  const ReplicaSeries energy = read_replicas(f, "/mcmc/energy");
  res.push_back({"E", gamma_method(energy, opt), "<H>, extensive"});
  GammaResult e_site = res.back().r;
  e_site.value /= v;
  e_site.error /= v;
  res.push_back({"E_per_site", e_site, "<H>/V"});
  res.push_back({"abs_m", gamma_method(read_replicas(f, "/mcmc/abs_m"), opt), "<|M|>/V"});
  res.push_back({"m2", gamma_method(read_replicas(f, "/mcmc/m2"), opt), "<(M/V)^2>"});
  return res;
}

// A sample group (/samples, /samples_p) split into replicas by its `replica` column.
// Rows past the length of log_q (written last) belong to an append cut short.
SampleSet read_sample_set(const H5File& f, const std::string& group) {
  const auto log_q = f.read_double(group + "/log_q");
  const std::size_t n = log_q.size();
  auto cut = [&](std::vector<double> x) { x.resize(std::min(x.size(), n)); return x; };
  const auto mbh = cut(f.read_double(group + "/minus_beta_H"));
  const auto energy = cut(f.read_double(group + "/energy"));
  const auto abs_m = cut(f.read_double(group + "/abs_m"));
  auto rep = f.read_int64(group + "/replica");
  RIGCS_CHECK(mbh.size() == n && energy.size() == n && abs_m.size() >= n && rep.size() >= n,
              f.path() << ": " << group << " is incomplete (datasets of different lengths)");
  SampleSet set;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(rep[i]);
    if (set.replicas.size() <= r) set.replicas.resize(r + 1);
    auto& c = set.replicas[r];
    c.log_q.push_back(log_q[i]);
    c.minus_beta_H.push_back(mbh[i]);
    c.energy.push_back(energy[i]);
    c.abs_m.push_back(abs_m[i]);
  }
  return set;
}

void add(ResultList& res, const Estimates& est, const std::string& name, const std::string& note) {
  if (est.has(name)) res.push_back({name, est.at(name), note});
}

ResultList analyze_samples(const H5File& f, std::uint64_t seed, const GammaOptions& opt) {
  RIGCS_CHECK(f.is_group("/samples") && f.exists("/samples/log_q"),
              f.path() << " holds a trained model but no sample set: run 'rigcs sample' with the same deck first");
  const double beta = f.attr_double("/model", "beta");
  const SampleSet q = read_sample_set(f, "/samples");
  ResultList res;
  const Estimates is = estimate_importance(q, beta, opt);
  add(res, is, "lnZ", "log Z (importance sampling)");
  add(res, is, "betaF", "beta F = -log Z");
  add(res, is, "F", "F = betaF / beta");
  add(res, is, "ess", "effective sample size per sample");
  add(res, is, "E", "<H> reweighted, extensive");
  add(res, is, "beta_E", "beta <H>");
  add(res, is, "abs_m", "<|M|>/V reweighted");
  add(res, is, "log_w_mean", "<log w>_q, variational lower bound of log Z");
  if (f.is_group("/samples_p") && f.exists("/samples_p/log_q")) {
    GammaOptions p_opt = opt;
    p_opt.independent = false;
    const Estimates md = estimate_mode_dropping(q, read_sample_set(f, "/samples_p"), p_opt);
    add(res, md, "emdm", "exp(betaF_p - betaF_q): 1 = no mode dropping");
    add(res, md, "kl_qp", "KL(q||p)");
    add(res, md, "kl_pq", "KL(p||q)");
  }
  Rng rng(seed, 0, StreamId::NeuralMcmc);
  const NeuralMcmcResult imh = neural_mcmc(q, beta, rng);
  add(res, imh.estimates, "acceptance", "neural MCMC acceptance rate");
  add(res, imh.estimates, "imh_E", "<H> by neural MCMC (independent Metropolis-Hastings)");
  add(res, imh.estimates, "imh_abs_m", "<|M|>/V by neural MCMC");
  return res;
}

ResultList analyze_ais(const H5File& f, const GammaOptions& opt) {
  RIGCS_CHECK(f.exists("/ais/log_w"), f.path() << " holds no finished AIS trajectory yet");
  const auto log_w = f.read_double("/ais/log_w");
  const std::size_t n = log_w.size();
  auto cut = [&](std::vector<double> x) { x.resize(n); return x; };
  const double log_z0 = f.attr_double("/ais", "log_Z0");
  // AIS as importance sampling: the start is uniform (log q = -V ln 2) and the
  // trajectory weight plays the role of -beta H, so log w = log_w + V ln 2.
  SampleChunk c;
  c.log_q.assign(n, -log_z0);
  c.minus_beta_H = log_w;
  c.energy = cut(f.read_double("/ais/energy"));
  c.abs_m = cut(f.read_double("/ais/abs_m"));
  const Estimates est = estimate_importance(SampleSet({c}), f.attr_double("/model", "beta"), opt);
  ResultList res;
  add(res, est, "lnZ", "log Z (Cluster-AIS)");
  add(res, est, "betaF", "beta F = -log Z");
  add(res, est, "F", "F = betaF / beta");
  add(res, est, "ess", "ESS of the trajectory weights, per trajectory");
  add(res, est, "E", "<H> reweighted final configurations");
  add(res, est, "abs_m", "<|M|>/V reweighted final configurations");
  return res;
}

void analyze_file(CommandContext& ctx, const std::string& path) {
    GammaOptions opt;
    opt.s_tau = ctx.params.get_real("analysis.s_tau");
    ResultList res;
    std::string kind;
    {
      H5File f = H5File::open_read(path);
      const RunHeader h = read_run_header(f);
      kind = h.kind;
      if (kind == "mcmc") res = analyze_mcmc(f, opt);
      else if (kind == "train") res = analyze_samples(f, h.seed, opt);
      else if (kind == "ais") res = analyze_ais(f, opt);
      else RIGCS_FAIL(path << " is a '" << kind << "' run file, which analyze cannot read yet");
    }
    if (ctx.params.get_bool("analysis.store")) store_results(path, res);
    if (ctx.json) ctx.out << results_json(res) << "\n";
    else print_results_table(ctx.out, res, "results of " + path + " (" + kind + ")");
}

}  // namespace

Command make_analyze_command() {
  Command c;
  c.name = "analyze";
  c.summary = "estimates with Gamma-method errors from a run file; stores them under /results";
  c.usage = "rigcs analyze run.h5 [--analysis.s_tau=1.5] [--json]";
  c.declare = [](ParamRegistry& r) {
    r.add_real("analysis.s_tau", 1.5, 0.0, 100.0, "S of the automatic window of the Gamma method (Wolff 2004)", true)
        .add_bool("analysis.store", true, "write the results into /results of the run file");
  };
  c.run = [](CommandContext& ctx) {
    RIGCS_CHECK(ctx.positional.size() == 1, "usage: rigcs analyze run.h5 (one run file)");
    const std::string path = ctx.positional.front();
    // Analysis is cheap: rank 0 alone does it, and tells the others how it went, so
    // that every rank returns the same way.
    std::string failure;
    if (ctx.comm.is_root()) {
      try {
        analyze_file(ctx, path);
      } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "analysis failed";
      }
    }
    ctx.comm.broadcast(failure, 0);
    RIGCS_CHECK(failure.empty(), failure);
    return 0;
  };
  return c;
}

}  // namespace rigcs
