// Markov chain driver: thermalise, then measure every `interval` updates.
// One "update" is a sweep for Metropolis, heat bath and Swendsen-Wang, and one
// cluster for Wolff.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising.hpp"

namespace rigcs {

enum class McmcAlgorithm { Metropolis, HeatBath, Wolff, SwendsenWang };

// "metropolis", "heatbath", "wolff", "sw"; throws rigcs::Error naming the allowed values.
McmcAlgorithm parse_mcmc_algorithm(const std::string& name);
std::string format_mcmc_algorithm(McmcAlgorithm a);

struct ChainParams {
  std::int64_t thermalization = 1000;  // updates discarded at the start
  std::int64_t measurements = 10000;   // number of measurements
  std::int64_t interval = 1;           // updates between measurements
};

struct ChainSeries {
  std::vector<double> energy;  // H (extensive)
  std::vector<double> m;       // M / V
  std::vector<double> abs_m;   // |M| / V
  std::vector<double> m2;      // (M / V)^2
  std::int64_t updates = 0;    // all updates done, thermalisation included
  // Over the measurement phase. Wolff: mean cluster size; Swendsen-Wang: mean of
  // sum |C|^2 / V (the same quantity, the size of the cluster of a random site); else 0.
  double mean_cluster_size = 0;
  double acceptance = 0;       // Metropolis: accepted flips / proposed, measurement phase; else 0
};

// Uniformly random (infinite-temperature) configuration.
SpinConfig random_configuration(const IsingModel& model, Rng& rng);

// Runs one chain from a random start drawn from rng; `state` holds the final
// configuration on return. progress(done, total) is called now and then (total =
// thermalization + measurements * interval updates).
ChainSeries run_chain(const IsingModel& model, McmcAlgorithm algorithm, const ChainParams& params,
                      Rng& rng, SpinConfig& state,
                      const std::function<void(std::int64_t done, std::int64_t total)>& progress = {});

}  // namespace rigcs
