// End-to-end checks of sequential training with model transfer: RiGCS trained stage by
// stage at beta = 0.44, sampled and analysed, reaches ESS >= 0.9 on fresh samples and an
// unbiased ln Z (|lnZ - Kaufman| < 4 sigma, sigma from the Gamma method). Fixed seeds.
//   - issue 4: 2x2 to 8x8 with the quick-start schedule, about 15 s on 2 ranks;
//   - issue 9: 2x2 to 16x16 on the incremental gradient path (the CPU default) with the
//     schedule of bench/decks/ess_16.ini, about a minute on 2 ranks.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "cli_test_util.hpp"
#include "rigcs/exact/kaufman.hpp"

using namespace rigcs;
using namespace rigcs::testing;

namespace {

// Train, sample 20000 and analyse the deck on the world communicator; checks on rank 0.
void expect_sequential_training_unbiased(int n, const std::vector<std::string>& schedule) {
  torch::set_num_threads(1);
  Cli cli;
  const std::string tag = "rigcs" + std::to_string(n);
  const std::string dir = shared_temp_dir(*cli.comm, tag);
  std::vector<std::string> deck = {"--model.N=" + std::to_string(n), "--model.beta=0.44", "--sampler.kind=rigcs",
                                   "--multilevel.N0=2", "--run.output=" + dir + "/" + tag + ".h5", "--quiet"};
  deck.insert(deck.end(), schedule.begin(), schedule.end());
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), deck.begin(), deck.end());
    return a;
  };
  ASSERT_EQ(cli.run(with({"train"})), 0) << cli.err.str();
  ASSERT_EQ(cli.run(with({"sample", "--sample.count=20000", "--sample.chunk=5000", "--sample.p_count=0"})), 0)
      << cli.err.str();
  ASSERT_EQ(cli.run({"analyze", dir + "/" + tag + ".h5", "--json"}), 0) << cli.err.str();
  if (!cli.comm->is_root()) return;
  const std::string j = cli.out.str();
  const double exact = kaufman(n, 0.44, 1.0).lnZ;
  const double lnz = json_field(j, "lnZ", "value"), err = json_field(j, "lnZ", "error");
  const double ess = json_field(j, "ess", "value");
  std::printf("RiGCS %dx%d sequential: ESS %.4f, lnZ %.5f +- %.5f (exact %.5f)\n", n, n, ess, lnz, err, exact);
  EXPECT_GE(ess, 0.9);
  EXPECT_GT(err, 0);
  EXPECT_LT(std::abs(lnz - exact), 4 * err);
}

}  // namespace

TEST(RigcsSequential, EightByEightReachesEssAndKaufman) {
  expect_sequential_training_unbiased(
      8, {"--train.stage_steps=150,150,250", "--train.stage_batch=256,256,256", "--train.lr=0.003", "--run.seed=2024"});
}

TEST(RigcsSequential, SixteenBySixteenOnTheIncrementalGradient) {
  expect_sequential_training_unbiased(16, {"--train.stage_steps=100,100,200,1400", "--train.stage_batch=256,256,256,256",
                                           "--train.stage_lr=0.003,0.003,0.003,0.0025", "--run.seed=16"});
}
