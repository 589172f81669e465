// Wolff cluster updates: spins flipped per second on one core.
//
// Sample run:  bench_wolff            (N = 64 and 128, beta = 0.44, J = 1)
//              bench_wolff 2.0        (seconds per timed repetition; default 1)
//
// Each lattice is thermalised with 10^4 clusters, then timed in 5 repetitions; the
// median rate is reported with the spread. Rates are per second of this thread's CPU
// time (so that other jobs on a shared machine do not count); the wall-clock rate is
// printed beside it.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "rigcs/core/rng.hpp"
#include "rigcs/mc/chain.hpp"
#include "rigcs/mc/cluster_updates.hpp"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Rate {
  double flips_per_s;       // per CPU second
  double wall_flips_per_s;  // per wall-clock second
  double clusters_per_s;
  double mean_cluster;
};

Rate time_block(rigcs::WolffUpdate& wolff, rigcs::SpinConfig& s, rigcs::Rng& rng, double seconds) {
  using clock = std::chrono::steady_clock;
  std::int64_t flips = 0;
  std::int64_t clusters = 0;
  const auto wall_start = clock::now();
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 1000; ++k) flips += wolff.update(s, rng);
    clusters += 1000;
    elapsed = thread_cpu_seconds() - start;
  }
  const double wall = std::chrono::duration<double>(clock::now() - wall_start).count();
  return {flips / elapsed, flips / wall, clusters / elapsed, static_cast<double>(flips) / clusters};
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (!(seconds > 0)) {
    std::fprintf(stderr, "usage: bench_wolff [seconds per repetition > 0]\n");
    return 1;
  }
  const double beta = 0.44;
  std::printf("Wolff cluster updates, beta = %.2f, J = 1, one core, %.1f s x 5 repetitions\n",
              beta, seconds);
  std::printf("%6s %14s %20s %14s %14s %14s\n", "N", "flips/cpu-s", "(min .. max)",
              "flips/wall-s", "clusters/cpu-s", "mean cluster");
  for (int n : {64, 128}) {
    const rigcs::IsingModel model(rigcs::IsingParams{n, beta, 1.0});
    rigcs::Rng rng(2024, 0, rigcs::StreamId::Mcmc);
    rigcs::WolffUpdate wolff(model);
    rigcs::SpinConfig s = rigcs::random_configuration(model, rng);
    for (int k = 0; k < 10000; ++k) wolff.update(s, rng);
    std::vector<Rate> reps;
    for (int r = 0; r < 5; ++r) reps.push_back(time_block(wolff, s, rng, seconds));
    std::sort(reps.begin(), reps.end(),
              [](const Rate& a, const Rate& b) { return a.flips_per_s < b.flips_per_s; });
    const Rate& med = reps[2];
    std::printf("%6d %14.3e   %.2e .. %.2e %14.3e %14.3e %14.1f\n", n, med.flips_per_s,
                reps.front().flips_per_s, reps.back().flips_per_s, med.wall_flips_per_s,
                med.clusters_per_s, med.mean_cluster);
  }
  return 0;
}
