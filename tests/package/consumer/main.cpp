// consumer N BETA SEED MEASUREMENTS: Kaufman's exact solution and a Wolff chain on the
// N x N torus, through the public headers of an installed rigcs, printed as one JSON
// object (tests/package/test_package.sh compares it with `rigcs exact --json`). No torch
// header is included, so this compiles in a second or two.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/build_info.hpp"
#include "rigcs/core/json.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/mc/chain.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: consumer N BETA SEED MEASUREMENTS\n";
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const double beta = std::atof(argv[2]);
  const std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const std::int64_t measurements = std::atoll(argv[4]);

  const rigcs::ExactThermo exact = rigcs::kaufman(n, beta);

  rigcs::IsingParams params;
  params.n = n;
  params.beta = beta;
  const rigcs::IsingModel model(params);
  rigcs::ChainParams chain;
  chain.thermalization = 1000;
  chain.measurements = measurements;
  rigcs::Rng rng(seed, 0, rigcs::StreamId::Mcmc);
  rigcs::SpinConfig state;
  const rigcs::ChainSeries series =
      rigcs::run_chain(model, rigcs::McmcAlgorithm::Wolff, chain, rng, state);
  const rigcs::GammaResult e = rigcs::gamma_method(rigcs::single_replica(series.energy));

  rigcs::JsonObject out;
  out.add("version", std::string("rigcs ") + rigcs::version() + " (" + rigcs::git_hash() + ")")
      .add("lnZ", exact.lnZ)
      .add("E", exact.energy)
      .add("C", exact.specific_heat)
      .add("wolff_E", e.value)
      .add("wolff_E_error", e.error)
      .add("wolff_n", static_cast<long long>(e.n));
  std::cout << out.str() << "\n";
  return 0;
}
