#include "rigcs/mc/model_chain.hpp"

#include <algorithm>
#include <cmath>

#include "rigcs/core/error.hpp"
#include "rigcs/mc/phi4_updates.hpp"
#include "rigcs/physics/ising.hpp"
#include "rigcs/physics/phi4.hpp"

namespace rigcs {

Phi4Algorithm parse_phi4_algorithm(const std::string& name, const std::string& key) {
  if (name == "metropolis") return Phi4Algorithm::Metropolis;
  if (name == "hmc") return Phi4Algorithm::Hmc;
  if (name == "metropolis+wolff") return Phi4Algorithm::MetropolisWolff;
  if (name == "hmc+wolff") return Phi4Algorithm::HmcWolff;
  RIGCS_FAIL(key << " = '" << name << "' is not a phi^4 update; allowed with model.kind = phi4: "
                    "metropolis, hmc, metropolis+wolff, hmc+wolff (the embedded Wolff update alone is not ergodic)");
}

std::string format_phi4_algorithm(Phi4Algorithm a) {
  switch (a) {
    case Phi4Algorithm::Metropolis: return "metropolis";
    case Phi4Algorithm::Hmc: return "hmc";
    case Phi4Algorithm::MetropolisWolff: return "metropolis+wolff";
    case Phi4Algorithm::HmcWolff: return "hmc+wolff";
  }
  RIGCS_FAIL("invalid Phi4Algorithm value " << static_cast<int>(a));
}

FieldConfig draw_phi4_reference(const Phi4Model& model, Rng& rng) {
  // w(x) = exp(-a x^2 - lambda x^4). Proposal: a Gaussian exp(-c x^2), c = a when a > 0
  // (then w / g = exp(-lambda x^4) <= 1), else c = sqrt(lambda) > a, where
  // w / g = exp((c - a) x^2 - lambda x^4) <= exp((c - a)^2 / (4 lambda)).
  const double a = 1 - 2 * model.lambda();
  const double lam = model.lambda();
  const double c = a > 0 ? a : std::sqrt(lam);
  const double sigma = std::sqrt(0.5 / c);
  const double log_bound = a > 0 ? 0.0 : (c - a) * (c - a) / (4 * lam);
  FieldConfig phi(static_cast<std::size_t>(model.volume()));
  for (auto& x : phi) {
    for (;;) {
      const double y = sigma * standard_normal(rng);
      const double y2 = y * y;
      const double log_ratio = (c - a) * y2 - lam * y2 * y2 - log_bound;
      if (log_ratio >= 0 || rng.uniform() < std::exp(log_ratio)) {
        x = y;
        break;
      }
    }
  }
  return phi;
}

namespace {

// One phi^4 update of the chosen kind with its bookkeeping.
class Phi4Stepper {
 public:
  Phi4Stepper(const Phi4Model& model, const Phi4UpdateParams& up)
      : up_(up), volume_(model.volume()), metropolis_(model, up.metropolis_width),
        hmc_(model, up.hmc_step, up.hmc_steps), wolff_(model) {
    RIGCS_CHECK(up.wolff_clusters >= 1, "phi4.wolff_clusters must be >= 1, got " << up.wolff_clusters);
  }
  void set_kappa(double kappa) {
    metropolis_.set_kappa(kappa);
    hmc_.set_kappa(kappa);
    wolff_.set_kappa(kappa);
  }
  void step(FieldConfig& phi, Rng& rng) {
    const bool local = up_.algorithm == Phi4Algorithm::Metropolis || up_.algorithm == Phi4Algorithm::MetropolisWolff;
    if (local) {
      accepted_ += static_cast<double>(metropolis_.update(phi, rng));
      proposed_ += volume_;
    } else {
      accepted_ += hmc_.update(phi, rng) ? 1 : 0;
      proposed_ += 1;
    }
    if (up_.algorithm == Phi4Algorithm::MetropolisWolff || up_.algorithm == Phi4Algorithm::HmcWolff) {
      for (int c = 0; c < up_.wolff_clusters; ++c) {
        cluster_sites_ += static_cast<double>(wolff_.update(phi, rng));
        clusters_ += 1;
      }
    }
  }
  void reset_stats() { accepted_ = proposed_ = cluster_sites_ = clusters_ = 0; }
  double acceptance() const { return proposed_ > 0 ? accepted_ / proposed_ : 0; }
  double mean_cluster_size() const { return clusters_ > 0 ? cluster_sites_ / clusters_ : 0; }

 private:
  Phi4UpdateParams up_;
  int volume_;
  Phi4MetropolisUpdate metropolis_;
  HybridMonteCarlo hmc_;
  EmbeddedWolffUpdate wolff_;
  double accepted_ = 0, proposed_ = 0, cluster_sites_ = 0, clusters_ = 0;
};

void check_chain_params(const ChainParams& params) {
  RIGCS_CHECK(params.thermalization >= 0, "chain thermalization must be >= 0, got " << params.thermalization);
  RIGCS_CHECK(params.measurements >= 0, "chain measurements must be >= 0, got " << params.measurements);
  RIGCS_CHECK(params.interval >= 1, "chain interval must be >= 1, got " << params.interval);
}

std::vector<std::string> names_of(const LatticeModel& model) {
  std::vector<std::string> n;
  for (const auto& o : model.observables()) n.push_back(o.name);
  return n;
}

}  // namespace

std::vector<FieldConfig> phi4_chain_configurations(const Phi4Model& model, const Phi4UpdateParams& up,
                                                   const ChainParams& params, Rng& rng) {
  check_chain_params(params);
  Phi4Stepper stepper(model, up);
  FieldConfig phi = draw_phi4_reference(model, rng);
  for (std::int64_t t = 0; t < params.thermalization; ++t) stepper.step(phi, rng);
  std::vector<FieldConfig> out;
  out.reserve(static_cast<std::size_t>(params.measurements));
  for (std::int64_t k = 0; k < params.measurements; ++k) {
    for (std::int64_t t = 0; t < params.interval; ++t) stepper.step(phi, rng);
    out.push_back(phi);
  }
  return out;
}

ModelSeries run_phi4_chain(const Phi4Model& model, const Phi4UpdateParams& up, const ChainParams& params,
                           Rng& rng, const std::function<void(std::int64_t, std::int64_t)>& progress) {
  check_chain_params(params);
  Phi4Stepper stepper(model, up);
  FieldConfig phi = draw_phi4_reference(model, rng);
  const std::int64_t total = params.thermalization + params.measurements * params.interval;
  const std::int64_t report_every = std::max<std::int64_t>(1, total / 1000);
  std::int64_t done = 0, next_report = 0;
  auto report = [&](bool force) {
    if (progress && (force || done >= next_report)) {
      progress(done, total);
      next_report = done + report_every;
    }
  };
  report(true);
  for (std::int64_t t = 0; t < params.thermalization; ++t) {
    stepper.step(phi, rng);
    ++done;
    report(false);
  }
  stepper.reset_stats();
  ModelSeries out;
  out.names = names_of(model);
  out.columns.assign(out.names.size(), {});
  for (auto& c : out.columns) c.reserve(static_cast<std::size_t>(params.measurements));
  std::vector<double> obs(out.names.size());
  for (std::int64_t k = 0; k < params.measurements; ++k) {
    for (std::int64_t t = 0; t < params.interval; ++t) {
      stepper.step(phi, rng);
      ++done;
    }
    model.measure(phi, obs.data());
    for (std::size_t i = 0; i < obs.size(); ++i) out.columns[i].push_back(obs[i]);
    report(false);
  }
  out.updates = done;
  out.acceptance = stepper.acceptance();
  out.mean_cluster_size = stepper.mean_cluster_size();
  out.final_state = std::move(phi);
  report(true);
  return out;
}

ModelSeries run_model_chain(const LatticeModel& model, const ModelUpdateSettings& settings,
                            const ChainParams& params, Rng& rng,
                            const std::function<void(std::int64_t, std::int64_t)>& progress) {
  if (const auto* phi4 = dynamic_cast<const Phi4Model*>(&model))
    return run_phi4_chain(*phi4, settings.phi4, params, rng, progress);
  const auto* ising = dynamic_cast<const IsingModel*>(&model);
  RIGCS_CHECK(ising, "no Markov chain for model '" << model.name() << "'");
  // The Ising kernels as they are: one call for the whole chain.
  SpinConfig state;
  ChainSeries s = run_chain(*ising, settings.ising, params, rng, state, progress);
  ModelSeries out;
  out.names = names_of(model);  // energy, m, abs_m, m2
  out.columns = {std::move(s.energy), std::move(s.m), std::move(s.abs_m), std::move(s.m2)};
  out.final_state = ising->to_field(state);
  out.updates = s.updates;
  out.acceptance = s.acceptance;
  out.mean_cluster_size = s.mean_cluster_size;
  return out;
}

std::vector<std::string> ais_observables(const LatticeModel& model) {
  if (dynamic_cast<const IsingModel*>(&model)) return {"energy", "abs_m", "m2"};
  return names_of(model);
}

ModelAisTrajectory run_model_ais_trajectory(const LatticeModel& model, const AisParams& params,
                                            const Phi4UpdateParams& phi4_up, Rng& rng) {
  if (const auto* ising = dynamic_cast<const IsingModel*>(&model)) {
    const AisTrajectory t = run_ais_trajectory(*ising, params, rng);
    return {t.log_w, {t.energy, t.abs_m, t.m2}};
  }
  const auto* phi4 = dynamic_cast<const Phi4Model*>(&model);
  RIGCS_CHECK(phi4, "no Cluster-AIS for model '" << model.name() << "'");
  RIGCS_CHECK(params.updates_per_beta >= 0, "ais.updates must be >= 0, got " << params.updates_per_beta);
  // The ladder in |kappa| (a geometric ladder needs a positive end), signed after.
  const double target = phi4->kappa();
  std::vector<double> ladder = ais_beta_ladder(std::abs(target), params.steps, params.spacing);
  if (target < 0)
    for (auto& k : ladder) k = -k;
  Phi4Stepper stepper(*phi4, phi4_up);
  FieldConfig phi = draw_phi4_reference(*phi4, rng);  // exact at kappa = 0
  double log_w = 0;
  for (int k = 0; k < params.steps; ++k) {
    // S(phi; kappa) = S_ref + kappa * dS/dkappa: the weight ratio of the next step.
    log_w -= (ladder[k + 1] - ladder[k]) * phi4->annealing_slope(phi);
    stepper.set_kappa(ladder[k + 1]);
    for (int u = 0; u < params.updates_per_beta; ++u) stepper.step(phi, rng);
  }
  return {log_w, phi4->measure(phi)};
}

double model_ais_log_partition_function(const LatticeModel& model, const std::vector<double>& log_w) {
  // ais_log_partition_function adds V ln 2; take it back and add the model's log Z0.
  return ais_log_partition_function(log_w, model.volume()) - model.volume() * std::log(2.0) + model.log_z0();
}

}  // namespace rigcs
