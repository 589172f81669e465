// Markov chains and Cluster-AIS for any LatticeModel, with the model's observables as
// named columns. The Ising model runs the kernels of chain.hpp and ais.hpp unchanged
// (one call per chain or trajectory); phi^4 runs the updates of phi4_updates.hpp. A new
// model adds its branch here and its kernels beside.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/mc/ais.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/physics/lattice_model.hpp"

namespace rigcs {

class Phi4Model;

// phi^4 updates: one "update" is one local sweep or one HMC trajectory, followed by
// `wolff_clusters` embedded-Wolff clusters in the +wolff variants.
enum class Phi4Algorithm { Metropolis, Hmc, MetropolisWolff, HmcWolff };

// "metropolis", "hmc", "metropolis+wolff", "hmc+wolff"; throws naming `key` and the
// allowed values.
Phi4Algorithm parse_phi4_algorithm(const std::string& name, const std::string& key);
std::string format_phi4_algorithm(Phi4Algorithm a);

struct Phi4UpdateParams {
  Phi4Algorithm algorithm = Phi4Algorithm::MetropolisWolff;
  double metropolis_width = 1.0;
  double hmc_step = 0.1;
  int hmc_steps = 10;
  int wolff_clusters = 1;
};

// The update settings of either model; the one that does not apply is ignored.
struct ModelUpdateSettings {
  McmcAlgorithm ising = McmcAlgorithm::Wolff;
  Phi4UpdateParams phi4;
};

struct ModelSeries {
  std::vector<std::string> names;            // model.observables(), in order
  std::vector<std::vector<double>> columns;  // one series per observable
  FieldConfig final_state;
  std::int64_t updates = 0;
  double acceptance = 0;         // Metropolis: per proposal; HMC: per trajectory; else 0
  double mean_cluster_size = 0;  // Wolff / SW / embedded Wolff (per cluster); else 0
};

ModelSeries run_model_chain(const LatticeModel& model, const ModelUpdateSettings& settings,
                            const ChainParams& params, Rng& rng,
                            const std::function<void(std::int64_t, std::int64_t)>& progress = {});

// The phi^4 chain alone: starts from a draw of the kappa = 0 theory.
ModelSeries run_phi4_chain(const Phi4Model& model, const Phi4UpdateParams& up, const ChainParams& params,
                           Rng& rng, const std::function<void(std::int64_t, std::int64_t)>& progress = {});

// Configurations of a phi^4 chain (samples from p, autocorrelated), for evaluating a
// generative model on them (EMDM): from a draw of the kappa = 0 theory, `thermalization`
// updates, then one configuration every `interval` updates, `count` in all.
std::vector<FieldConfig> phi4_chain_configurations(const Phi4Model& model, const Phi4UpdateParams& up,
                                                   const ChainParams& params, Rng& rng);

// An exact draw from the kappa = 0 theory, site by site (rejection sampling).
FieldConfig draw_phi4_reference(const Phi4Model& model, Rng& rng);

// --- Cluster-AIS in the annealing parameter of the model (beta, kappa) ----------------
struct ModelAisTrajectory {
  double log_w;                  // relative to Z0 (model.log_z0() excluded)
  std::vector<double> observables;  // of the final configuration, ais_observables(model) order
};

// The AIS columns besides log_w: Ising energy, abs_m, m2 (as before); phi^4 all its
// observables.
std::vector<std::string> ais_observables(const LatticeModel& model);

// Ising: AisParams.algorithm (wolff, sw) as in ais.hpp. phi^4: `phi4` updates, applied
// `updates_per_beta` times at each kappa of the ladder 0 = kappa_0 < ... < kappa_K.
ModelAisTrajectory run_model_ais_trajectory(const LatticeModel& model, const AisParams& params,
                                            const Phi4UpdateParams& phi4, Rng& rng);

// ln Z = log Z0 + logsumexp(log w) - ln M.
double model_ais_log_partition_function(const LatticeModel& model, const std::vector<double>& log_w);

}  // namespace rigcs
