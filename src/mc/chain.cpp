#include "rigcs/mc/chain.hpp"

#include <algorithm>

#include "rigcs/core/error.hpp"
#include "rigcs/mc/cluster_updates.hpp"
#include "rigcs/mc/local_updates.hpp"

namespace rigcs {

McmcAlgorithm parse_mcmc_algorithm(const std::string& name) {
  if (name == "metropolis") return McmcAlgorithm::Metropolis;
  if (name == "heatbath") return McmcAlgorithm::HeatBath;
  if (name == "wolff") return McmcAlgorithm::Wolff;
  if (name == "sw") return McmcAlgorithm::SwendsenWang;
  RIGCS_FAIL("unknown MCMC algorithm '" << name
                                        << "'; allowed: metropolis, heatbath, wolff, sw");
}

std::string format_mcmc_algorithm(McmcAlgorithm a) {
  switch (a) {
    case McmcAlgorithm::Metropolis: return "metropolis";
    case McmcAlgorithm::HeatBath: return "heatbath";
    case McmcAlgorithm::Wolff: return "wolff";
    case McmcAlgorithm::SwendsenWang: return "sw";
  }
  RIGCS_FAIL("invalid McmcAlgorithm value " << static_cast<int>(a));
}

SpinConfig random_configuration(const IsingModel& model, Rng& rng) {
  SpinConfig s(static_cast<std::size_t>(model.volume()));
  for (auto& x : s) x = (rng() >> 63) ? Spin{1} : Spin{-1};
  return s;
}

namespace {

// One update of the chosen algorithm with its bookkeeping, behind one call.
class ChainStepper {
 public:
  ChainStepper(const IsingModel& model, McmcAlgorithm a) : algorithm_(a) {
    switch (a) {
      case McmcAlgorithm::Metropolis: metropolis_.emplace_back(model); break;
      case McmcAlgorithm::HeatBath: heat_bath_.emplace_back(model); break;
      case McmcAlgorithm::Wolff: wolff_.emplace_back(model); break;
      case McmcAlgorithm::SwendsenWang: sw_.emplace_back(model); break;
    }
  }

  // Returns accepted flips (Metropolis) or cluster size (Wolff, SW: sum |C|^2 / V).
  double step(SpinConfig& s, Rng& rng) {
    switch (algorithm_) {
      case McmcAlgorithm::Metropolis: return static_cast<double>(metropolis_[0].update(s, rng));
      case McmcAlgorithm::HeatBath: heat_bath_[0].update(s, rng); return 0;
      case McmcAlgorithm::Wolff: return static_cast<double>(wolff_[0].update(s, rng));
      case McmcAlgorithm::SwendsenWang: return sw_[0].update(s, rng).mean_cluster_size;
    }
    return 0;
  }

 private:
  McmcAlgorithm algorithm_;
  std::vector<MetropolisUpdate> metropolis_;
  std::vector<HeatBathUpdate> heat_bath_;
  std::vector<WolffUpdate> wolff_;
  std::vector<SwendsenWangUpdate> sw_;
};

}  // namespace

ChainSeries run_chain(const IsingModel& model, McmcAlgorithm algorithm, const ChainParams& params,
                      Rng& rng, SpinConfig& state,
                      const std::function<void(std::int64_t, std::int64_t)>& progress) {
  RIGCS_CHECK(params.thermalization >= 0,
              "chain thermalization must be >= 0, got " << params.thermalization);
  RIGCS_CHECK(params.measurements >= 0,
              "chain measurements must be >= 0, got " << params.measurements);
  RIGCS_CHECK(params.interval >= 1, "chain interval must be >= 1, got " << params.interval);

  ChainStepper stepper(model, algorithm);
  state = random_configuration(model, rng);

  const std::int64_t total = params.thermalization + params.measurements * params.interval;
  // At most about a thousand progress calls per chain.
  const std::int64_t report_every = std::max<std::int64_t>(1, total / 1000);
  std::int64_t done = 0;
  std::int64_t next_report = 0;
  auto report = [&](bool force) {
    if (!progress) return;
    if (force || done >= next_report) {
      progress(done, total);
      next_report = done + report_every;
    }
  };
  report(true);

  for (std::int64_t t = 0; t < params.thermalization; ++t) {
    stepper.step(state, rng);
    ++done;
    report(false);
  }

  ChainSeries out;
  const auto m_count = static_cast<std::size_t>(params.measurements);
  out.energy.reserve(m_count);
  out.m.reserve(m_count);
  out.abs_m.reserve(m_count);
  out.m2.reserve(m_count);
  double stat_sum = 0;
  for (std::int64_t k = 0; k < params.measurements; ++k) {
    for (std::int64_t t = 0; t < params.interval; ++t) {
      stat_sum += stepper.step(state, rng);
      ++done;
    }
    const IsingObservables obs = measure(model, state);
    out.energy.push_back(obs.energy);
    out.m.push_back(obs.m);
    out.abs_m.push_back(obs.abs_m);
    out.m2.push_back(obs.m2);
    report(false);
  }
  out.updates = done;

  const double production = static_cast<double>(params.measurements * params.interval);
  if (production > 0) {
    if (algorithm == McmcAlgorithm::Metropolis)
      out.acceptance = stat_sum / (production * model.volume());
    if (algorithm == McmcAlgorithm::Wolff || algorithm == McmcAlgorithm::SwendsenWang)
      out.mean_cluster_size = stat_sum / production;
  }
  report(true);
  return out;
}

}  // namespace rigcs
