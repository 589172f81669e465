// `rigcs analyze run.h5`: Gamma-method analysis of whatever the run file holds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>

#include "commands_internal.hpp"
#include "lattice_models.hpp"
#include "results.hpp"
#include "run_output.hpp"
#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/estimators/importance.hpp"
#include "rigcs/estimators/neural_mcmc.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"

namespace rigcs {
namespace {

// --- health checks -----------------------------------------------------------------

std::string fmt(double x, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

const NamedResult* find(const ResultList& res, const std::string& name) {
  for (const auto& x : res)
    if (x.name == name) return &x;
  return nullptr;
}

void check(Analysis& a, bool ok, const std::string& text) { a.health.push_back({ok, text}); }

void check_completeness(Analysis& a, std::uint64_t rows, std::int64_t requested, const std::string& status,
                        const std::string& what) {
  a.rows = rows;
  a.completeness = std::to_string(rows) + " of " + std::to_string(requested) + " " + what;
  a.complete = status == "complete" && static_cast<std::int64_t>(rows) >= requested;
  if (a.complete)
    check(a, true, "run complete: " + a.completeness);
  else
    check(a, false, "INCOMPLETE run: " + a.completeness + " (status '" + status +
                        "'); the estimates rest on the finished rows only; continue it with --resume");
}

// Importance-sampling weights: an ESS of a few samples makes the error bars meaningless.
void check_ess(Analysis& a) {
  const NamedResult* ess = find(a.results, "ess");
  if (ess == nullptr) return;
  const double effective = ess->r.value * static_cast<double>(ess->r.n);
  if (effective < 100)
    check(a, false, "ESS: only " + fmt(effective, 3) + " effective samples (ESS per sample " + fmt(ess->r.value) +
                        "): the error bars of the reweighted estimates are not trustworthy");
  else
    check(a, true, "ESS: " + fmt(effective, 6) + " effective samples (" + fmt(ess->r.value) + " per sample)");
}

// EMDM = exp(betaF_p - betaF_q) < 1 when q misses regions of p: biased estimates.
void check_emdm(Analysis& a) {
  const NamedResult* e = find(a.results, "emdm");
  if (e == nullptr) {
    check(a, true, "EMDM: not measured (sample.p_count = 0), mode dropping not checked");
    return;
  }
  if (!(e->r.value >= 0.9))
    check(a, false, "EMDM = " + fmt(e->r.value) +
                        " is well below 1: the model drops modes of p, so the estimates are biased "
                        "beyond their error bars");
  else
    check(a, true, "EMDM = " + fmt(e->r.value) + ": no sign of mode dropping");
}

// The automatic window must stay well inside the series (Wolff 2004: N >> tau_int), or
// tau_int and the error are guesses: W above a twentieth of the series is flagged.
void check_windows(Analysis& a) {
  std::vector<std::string> bad;
  for (const auto& x : a.results) {
    const std::int64_t len = x.series_length > 0 ? x.series_length : x.r.n;
    if (x.r.window > 0 && 20 * static_cast<std::int64_t>(x.r.window) > len)
      bad.push_back(x.name + " (W = " + std::to_string(x.r.window) + " of " + std::to_string(len) + ")");
  }
  if (bad.empty()) {
    check(a, true, "tau_int windows are well inside the series");
    return;
  }
  std::string list;
  for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
  check(a, false, "tau_int window too close to the series length for " + list +
                      ": the series is too short for its autocorrelation; the errors are underestimated");
}

void check_undefined_errors(Analysis& a) {
  std::string list;
  for (const auto& x : a.results)
    if (std::isnan(x.r.error)) list += (list.empty() ? "" : ", ") + x.name;
  if (!list.empty())
    check(a, false, "no error bar for " + list + ": fewer than " + std::to_string(kGammaMinMeasurements) +
                        " measurements");
}

// --- analyses ------------------------------------------------------------------------

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

// A model other than Ising: every observable of the model, then its derived quantities
// (Gamma-method error propagation through the means of their inputs).
Analysis analyze_model_mcmc(const H5File& f, const LatticeModel& model, const GammaOptions& opt) {
  Analysis a;
  ResultList& res = a.results;
  const double v = model.volume();
  std::vector<std::string> names;
  std::vector<ReplicaSeries> series;
  std::int64_t len = 0;
  std::size_t replicas = 0;
  for (const auto& o : model.observables()) {
    const std::string path = "/mcmc/" + o.name;
    RIGCS_CHECK(f.exists(path), f.path() << " has no " << path << ", an observable of " << model.name());
    series.push_back(read_replicas(f, path));
    names.push_back(o.name);
    replicas = series.back().size();
    len = static_cast<std::int64_t>(series.back().empty() ? 0 : series.back().front().size());
    res.push_back({o.name, gamma_method(series.back(), opt), o.meaning, len});
    if (o.name == "action") {
      GammaResult per_site = res.back().r;
      per_site.value /= v;
      per_site.error /= v;
      res.push_back({"action_per_site", per_site, "<S>/V", len});
    }
  }
  for (const auto& d : model.derived_observables()) {
    std::vector<ReplicaSeries> inputs;
    for (const auto& in : d.inputs) {
      const auto it = std::find(names.begin(), names.end(), in);
      RIGCS_CHECK(it != names.end(), "internal: derived " << d.name << " needs observable " << in);
      inputs.push_back(series[static_cast<std::size_t>(it - names.begin())]);
    }
    const auto fn = d.f;
    res.push_back({d.name, gamma_method(inputs, [fn, v](const std::vector<double>& m) { return fn(m, v); }, opt),
                   d.meaning, len});
  }
  a.rows = static_cast<std::uint64_t>(res.front().r.n);
  a.completeness = std::to_string(replicas) + " chain(s) x " + std::to_string(len) + " measurements";
  check(a, true, "run complete: " + a.completeness);
  check_windows(a);
  check_undefined_errors(a);
  return a;
}

Analysis analyze_mcmc(const H5File& f, const GammaOptions& opt) {
  RIGCS_CHECK(f.is_group("/mcmc"), f.path() << " has no /mcmc group: not an MCMC run, or an incomplete file");
  const std::unique_ptr<LatticeModel> model = read_lattice_model(f);
  if (model->kind() != "ising") return analyze_model_mcmc(f, *model, opt);
  const double v = std::pow(static_cast<double>(f.attr_int64("/model", "N")), 2);
  Analysis a;
  ResultList& res = a.results;
  const ReplicaSeries energy = read_replicas(f, "/mcmc/energy");
  const auto len = static_cast<std::int64_t>(energy.empty() ? 0 : energy.front().size());
  res.push_back({"E", gamma_method(energy, opt), "<H>, extensive", len});
  GammaResult e_site = res.back().r;
  e_site.value /= v;
  e_site.error /= v;
  res.push_back({"E_per_site", e_site, "<H>/V", len});
  res.push_back({"abs_m", gamma_method(read_replicas(f, "/mcmc/abs_m"), opt), "<|M|>/V", len});
  res.push_back({"m2", gamma_method(read_replicas(f, "/mcmc/m2"), opt), "<(M/V)^2>", len});
  // MCMC files appear atomically, complete.
  a.rows = static_cast<std::uint64_t>(res.front().r.n);
  a.completeness = std::to_string(energy.size()) + " chain(s) x " + std::to_string(len) + " measurements";
  check(a, true, "run complete: " + a.completeness);
  check_windows(a);
  check_undefined_errors(a);
  return a;
}

const std::vector<std::string> kSampleColumns = {"log_q", "minus_beta_H", "energy", "abs_m", "replica"};

// A sample group (/samples, /samples_p) split into replicas by its `replica` column.
// Only the counted rows are data: rows past the counter belong to an append cut short.
// `extra` columns (phi^4: phi2, m2, m4), when asked for, come split the same way, one
// ReplicaSeries each, replica r aligned with set.replicas[r].
SampleSet read_sample_set(const H5File& f, const std::string& group, std::uint64_t* rows_out = nullptr,
                          const std::vector<std::string>& extra = {}, std::vector<ReplicaSeries>* extra_out = nullptr) {
  const std::uint64_t n = counted_rows(f, group, "log_q", kSampleColumns);
  auto cut = [&](std::vector<double> x) { x.resize(n); return x; };
  const auto log_q = cut(f.read_double(group + "/log_q"));
  const auto mbh = cut(f.read_double(group + "/minus_beta_H"));
  const auto energy = cut(f.read_double(group + "/energy"));
  const auto abs_m = cut(f.read_double(group + "/abs_m"));
  std::vector<std::vector<double>> columns;
  for (const auto& c : extra) {
    RIGCS_CHECK(f.exists(group + "/" + c), f.path() << " has no " << group << "/" << c);
    columns.push_back(cut(f.read_double(group + "/" + c)));
  }
  if (extra_out != nullptr) extra_out->assign(extra.size(), {});
  auto rep = f.read_int64(group + "/replica");
  SampleSet set;
  for (std::size_t i = 0; i < n; ++i) {
    RIGCS_CHECK(rep[i] >= 0 && rep[i] < 65536, f.path() << ": " << group << "/replica[" << i << "] = " << rep[i]
                                                       << " is not a rank (the file is damaged)");
    const auto r = static_cast<std::size_t>(rep[i]);
    if (set.replicas.size() <= r) set.replicas.resize(r + 1);
    auto& c = set.replicas[r];
    c.log_q.push_back(log_q[i]);
    c.minus_beta_H.push_back(mbh[i]);
    c.energy.push_back(energy[i]);
    c.abs_m.push_back(abs_m[i]);
    if (extra_out != nullptr)
      for (std::size_t k = 0; k < columns.size(); ++k) {
        auto& series = (*extra_out)[k];
        if (series.size() <= r) series.resize(r + 1);
        series[r].push_back(columns[k][i]);
      }
  }
  if (extra_out != nullptr)
    for (auto& series : *extra_out) series.resize(set.replicas.size());
  if (rows_out != nullptr) *rows_out = n;
  return set;
}

void add(ResultList& res, const Estimates& est, const std::string& name, const std::string& note,
         std::int64_t series_length = 0) {
  if (est.has(name)) res.push_back({name, est.at(name), note, series_length});
}

// The columns of a real-field sample set beyond the fixed ones (read_sample_set's extra).
const std::vector<std::string> kFieldColumns = {"phi2", "m2", "m4"};

// Reweighted observables of a real-field sample set beyond abs_m (phi^4: phi2, m2) and
// the model's derived quantities (susceptibilities, Binder cumulant), each a ratio of
// means <w O>_q / <w>_q with Gamma-method errors over the independent draws. `columns`
// are the kFieldColumns of `q`, split by replica alike.
void add_reweighted_field_observables(const SampleSet& q, const std::vector<ReplicaSeries>& columns,
                                      const LatticeModel& model, GammaOptions opt, ResultList& res) {
  opt.independent = true;
  double shift = -std::numeric_limits<double>::infinity();
  for (const auto& c : q.replicas)
    for (std::size_t i = 0; i < c.size(); ++i) shift = std::max(shift, c.minus_beta_H[i] - c.log_q[i]);
  // Series 0: w; series 1 + k: w * column k, then w * abs_m (a fixed column);
  // replicas that drew nothing are dropped.
  std::vector<std::string> names = kFieldColumns;
  names.push_back("abs_m");
  std::vector<ReplicaSeries> series(1 + names.size());
  for (std::size_t r = 0; r < q.replicas.size(); ++r) {
    const auto& c = q.replicas[r];
    if (c.size() == 0) continue;
    for (auto& s : series) s.emplace_back();
    for (std::size_t i = 0; i < c.size(); ++i) {
      const double w = std::exp(c.minus_beta_H[i] - c.log_q[i] - shift);
      series[0].back().push_back(w);
      for (std::size_t k = 0; k < columns.size(); ++k) series[1 + k].back().push_back(w * columns[k][r][i]);
      series[names.size()].back().push_back(w * c.abs_m[i]);
    }
  }
  auto column_index = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    RIGCS_CHECK(it != names.end(), "internal: no sample column " << name);
    return static_cast<std::size_t>(it - names.begin());
  };
  const auto len = q.size();
  for (const auto& o : model.observables()) {
    if (o.name != "phi2" && o.name != "m2") continue;
    const std::size_t k = column_index(o.name);
    res.push_back({o.name, gamma_method({series[0], series[1 + k]}, [](const std::vector<double>& m) { return m[1] / m[0]; }, opt),
                   o.meaning + ", reweighted", len});
  }
  const double v = model.volume();
  for (const auto& d : model.derived_observables()) {
    std::vector<ReplicaSeries> inputs = {series[0]};
    for (const auto& in : d.inputs) inputs.push_back(series[1 + column_index(in)]);
    const auto fn = d.f;
    res.push_back({d.name,
                   gamma_method(inputs,
                                [fn, v](const std::vector<double>& m) {
                                  std::vector<double> means(m.size() - 1);
                                  for (std::size_t k = 1; k < m.size(); ++k) means[k - 1] = m[k] / m[0];
                                  return fn(means, v);
                                },
                                opt),
                   d.meaning + ", reweighted", len});
  }
}

Analysis analyze_samples(const H5File& f, const RunHeader& h, const GammaOptions& opt) {
  const std::uint64_t seed = h.seed;
  RIGCS_CHECK(f.is_group("/samples") && f.exists("/samples/log_q"),
              f.path() << " holds a trained model but no sample set: run 'rigcs sample' with the same deck first");
  const std::unique_ptr<LatticeModel> model = read_lattice_model(f);
  const bool ising = model->kind() == "ising";
  // A real field (phi^4) has no beta: its columns hold S with beta = 1 (cmd_sample).
  const double beta = ising ? f.attr_double("/model", "beta") : 1.0;
  std::uint64_t rows = 0;
  std::vector<ReplicaSeries> field_columns;
  const SampleSet q = ising ? read_sample_set(f, "/samples", &rows)
                            : read_sample_set(f, "/samples", &rows, kFieldColumns, &field_columns);
  RIGCS_CHECK(rows > 0, f.path() << ": the sample set holds no complete sample yet; continue it with "
                                    "'rigcs sample <deck> --resume'");
  Analysis a;
  ResultList& res = a.results;
  const Estimates is = estimate_importance(q, beta, opt);
  add(res, is, "lnZ", "log Z (importance sampling)");
  add(res, is, "betaF", "beta F = -log Z");
  if (ising) add(res, is, "F", "F = betaF / beta");
  add(res, is, "ess", "effective sample size per sample");
  if (ising) {
    add(res, is, "E", "<H> reweighted, extensive");
    add(res, is, "beta_E", "beta <H>");
    add(res, is, "abs_m", "<|M|>/V reweighted");
  } else {
    if (is.has("E")) res.push_back({"action", is.at("E"), "<S> reweighted"});
    add(res, is, "abs_m", "<|m|> reweighted");
    add_reweighted_field_observables(q, field_columns, *model, opt, res);
  }
  add(res, is, "log_w_mean", "<log w>_q, variational lower bound of log Z");
  bool have_p = false;
  if (f.is_group("/samples_p") && f.exists("/samples_p/log_q")) {
    GammaOptions p_opt = opt;
    p_opt.independent = false;
    std::uint64_t p_rows = 0;
    const SampleSet p = read_sample_set(f, "/samples_p", &p_rows);
    if (p_rows > 0) {
      have_p = true;
      std::int64_t shortest = 0;
      for (const auto& c : p.replicas)
        if (!c.log_q.empty() && (shortest == 0 || static_cast<std::int64_t>(c.log_q.size()) < shortest))
          shortest = static_cast<std::int64_t>(c.log_q.size());
      const Estimates md = estimate_mode_dropping(q, p, p_opt);
      add(res, md, "emdm", "exp(betaF_p - betaF_q): 1 = no mode dropping", shortest);
      add(res, md, "kl_qp", "KL(q||p)", shortest);
      add(res, md, "kl_pq", "KL(p||q)", shortest);
    }
  }
  // Neural MCMC needs a chain of a few proposals; a failure of it must not cost the
  // other estimates.
  std::string imh_failure;
  try {
    Rng rng(seed, 0, StreamId::NeuralMcmc);
    const NeuralMcmcResult imh = neural_mcmc(q, beta, rng);
    add(res, imh.estimates, "acceptance", "neural MCMC acceptance rate");
    if (ising) {
      add(res, imh.estimates, "imh_E", "<H> by neural MCMC (independent Metropolis-Hastings)");
      add(res, imh.estimates, "imh_abs_m", "<|M|>/V by neural MCMC");
    } else {
      if (imh.estimates.has("imh_E")) res.push_back({"imh_action", imh.estimates.at("imh_E"), "<S> by neural MCMC"});
      add(res, imh.estimates, "imh_abs_m", "<|m|> by neural MCMC");
    }
  } catch (const std::exception& e) {
    imh_failure = e.what();
  }

  const std::string status = f.has_attr("/samples", "status") ? f.attr_string("/samples", "status") : "unknown";
  const std::int64_t requested = f.has_attr("/samples", "count") ? f.attr_int64("/samples", "count")
                                                                 : static_cast<std::int64_t>(rows);
  check_completeness(a, rows, requested, status, "samples");
  // A model that collapsed onto one configuration or one pair s, -s has an entropy of 0
  // or ln 2, where p has more (away from the deep ordered phase): the training's own
  // threshold train.collapse_entropy (0: not checked) decides, as it did in training.
  const double threshold = full_registry().parse_text(h.deck, "stored in " + f.path(), {}).get_real("train.collapse_entropy");
  double mean_minus_log_q = 0;
  std::int64_t m = 0;
  for (const auto& c : q.replicas)
    for (double lq : c.log_q) {
      mean_minus_log_q -= lq;
      ++m;
    }
  mean_minus_log_q /= static_cast<double>(std::max<std::int64_t>(m, 1));
  if (mean_minus_log_q < threshold)
    check(a, false, "collapsed model: the entropy estimate -<log q> = " + fmt(mean_minus_log_q) + " nats is below " +
                        fmt(threshold) + " (train.collapse_entropy): the samples repeat one or two configurations, "
                        "and every estimate, error bars included, is meaningless");
  check_ess(a);
  if (have_p) check_emdm(a);
  else check(a, true, "EMDM: not measured (no samples from p), mode dropping not checked");
  check_windows(a);
  check_undefined_errors(a);
  if (!imh_failure.empty()) check(a, false, "neural MCMC skipped: " + imh_failure);
  return a;
}

Analysis analyze_ais(const H5File& f, const GammaOptions& opt) {
  RIGCS_CHECK(f.exists("/ais/log_w"), f.path() << " holds no finished AIS trajectory yet");
  const std::unique_ptr<LatticeModel> model = read_lattice_model(f);
  const bool ising = model->kind() == "ising";
  // S of the final configurations: H for Ising (reweighted with beta), the action for phi^4.
  const std::string energy_column = ising ? "energy" : "action";
  const std::uint64_t n = counted_rows(f, "/ais", "log_w", {"log_w", energy_column, "abs_m"});
  RIGCS_CHECK(n > 0, f.path() << " holds no finished AIS trajectory yet");
  auto cut = [&](std::vector<double> x) { x.resize(n); return x; };
  const auto log_w = cut(f.read_double("/ais/log_w"));
  const double log_z0 = f.attr_double("/ais", "log_Z0");
  // AIS as importance sampling: the start is uniform (log q = -V ln 2) and the
  // trajectory weight plays the role of -beta H, so log w = log_w + V ln 2.
  SampleChunk c;
  c.log_q.assign(n, -log_z0);
  c.minus_beta_H = log_w;
  c.energy = cut(f.read_double("/ais/" + energy_column));
  c.abs_m = cut(f.read_double("/ais/abs_m"));
  // phi^4 has no beta: with beta = 1, "E" is the reweighted action and F = betaF.
  const Estimates est = estimate_importance(SampleSet({c}), ising ? f.attr_double("/model", "beta") : 1.0, opt);
  Analysis a;
  ResultList& res = a.results;
  add(res, est, "lnZ", "log Z (Cluster-AIS)");
  add(res, est, "betaF", "beta F = -log Z");
  if (ising) add(res, est, "F", "F = betaF / beta");
  add(res, est, "ess", "ESS of the trajectory weights, per trajectory");
  if (ising) {
    add(res, est, "E", "<H> reweighted final configurations");
  } else if (est.has("E")) {
    res.push_back({"action", est.at("E"), "<S> reweighted final configurations"});
  }
  add(res, est, "abs_m", ising ? "<|M|>/V reweighted final configurations" : "<|m|> reweighted final configurations");
  const std::string status = f.has_attr("/ais", "status") ? f.attr_string("/ais", "status") : "unknown";
  const std::int64_t requested =
      f.has_attr("/ais", "trajectories") ? f.attr_int64("/ais", "trajectories") : static_cast<std::int64_t>(n);
  check_completeness(a, n, requested, status, "trajectories");
  check_ess(a);
  check_windows(a);
  check_undefined_errors(a);
  return a;
}

void analyze_file(CommandContext& ctx, const std::string& path) {
    GammaOptions opt;
    opt.s_tau = ctx.params.get_real("analysis.s_tau");
    Analysis a;
    std::string kind;
    {
      H5File f = H5File::open_read(path);
      const RunHeader h = read_run_header(f);
      kind = h.kind;
      if (kind == "mcmc") a = analyze_mcmc(f, opt);
      else if (kind == "train") a = analyze_samples(f, h, opt);
      else if (kind == "ais") a = analyze_ais(f, opt);
      else RIGCS_FAIL(path << " is a '" << kind << "' run file, which analyze cannot read yet");
    }
    // Printed first: a file that cannot take /results (a full disk) still shows them.
    if (ctx.json) {
      ctx.out << results_json(a) << "\n";
    } else {
      print_results_table(ctx.out, a.results,
                          "results of " + path + " (" + kind + (a.complete ? "" : ", INCOMPLETE: " + a.completeness) + ")");
      print_health(ctx.out, a);
    }
    ctx.out.flush();
    if (ctx.params.get_bool("analysis.store")) {
      // A run that still writes the file would lose its appends to our rename.
      OutputLock lock(path, "analyze");
      try {
        store_results(path, a);
      } catch (const std::exception& e) {
        RIGCS_FAIL("the results above could not be stored under /results of " << path << ": " << e.what()
                                                                               << " (the run file is unchanged; "
                                                                                  "--analysis.store=false skips storing)");
      }
    }
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
