// Cross-rank estimators: log-sum-exp reductions agree with the gathered Gamma analysis,
// and every rank ends with the same results. Registered at 1 and 2 ranks.
#include <gtest/gtest.h>

#include <cmath>

#include "estimators/ising_samplers.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/estimators/reduce.hpp"
#include "rigcs/parallel/mpi_communicator.hpp"

namespace rigcs {
namespace {

TEST(EstimatorsMpi, ReductionsAgreeWithGatheredAnalysis) {
  auto comm = make_world_communicator();
  const test::IsingEnumeration ex(IsingParams{3, 0.44, 1.0});
  const test::IndependentSpins q{9, 0.5};
  Rng rng(7, static_cast<std::uint64_t>(comm->rank()), StreamId::Test);
  // Ranks draw different amounts, as after an uneven split.
  SampleChunk local;
  const int m = 3000 + 1000 * comm->rank();
  for (int i = 0; i < m; ++i) {
    const std::size_t k = q.draw(rng);
    test::push_state(local, ex, k, q.log_q(k));
  }

  const GlobalWeightSummary g = reduce_log_weights(*comm, chunk_log_weights(local));
  std::int64_t expected_n = 0;
  for (int r = 0; r < comm->size(); ++r) expected_n += 3000 + 1000 * r;
  EXPECT_EQ(g.n, expected_n);

  const SampleSet gathered = gather_sample_set(*comm, local);
  if (comm->is_root()) {
    EXPECT_EQ(gathered.replicas.size(), static_cast<std::size_t>(comm->size()));
    EXPECT_EQ(gathered.size(), expected_n);
  } else {
    EXPECT_EQ(gathered.size(), 0);
  }

  const ImportanceEstimates est = estimate_importance_global(*comm, local, 0.44);
  EXPECT_NEAR(est.at("lnZ").value, g.ln_z, 1e-12);
  EXPECT_NEAR(est.at("ess").value, g.ess, 1e-12);
  EXPECT_EQ(est.at("lnZ").n, expected_n);
  EXPECT_LT(std::abs(est.at("lnZ").value - ex.ln_z), 4 * est.at("lnZ").error);
  // Identical on every rank.
  const double v = est.at("E").value;
  EXPECT_EQ(comm->max(v), comm->min(v));
  const double e = est.at("E").error;
  EXPECT_EQ(comm->max(e), comm->min(e));

  // A rank without samples takes part in the reductions and changes nothing.
  SampleChunk maybe_empty = comm->rank() == 0 ? local : SampleChunk{};
  const GlobalWeightSummary g0 = reduce_log_weights(*comm, chunk_log_weights(maybe_empty));
  EXPECT_EQ(g0.n, 3000);
  const ImportanceEstimates e0 = estimate_importance_global(*comm, maybe_empty, 0.44);
  EXPECT_NEAR(e0.at("lnZ").value, g0.ln_z, 1e-12);
  EXPECT_EQ(e0.at("lnZ").n, 3000);
}

TEST(EstimatorsMpi, RootErrorReachesEveryRank) {
  auto comm = make_world_communicator();
  SampleChunk local;  // nobody has samples
  EXPECT_THROW(estimate_importance_global(*comm, local, 0.44), Error);
  EXPECT_THROW(reduce_log_weights(*comm, chunk_log_weights(local)), Error);
}

}  // namespace
}  // namespace rigcs
