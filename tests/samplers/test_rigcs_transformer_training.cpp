// RiGCS with transformer conditionals through the command-line pipeline on 1 and 2
// ranks (issue 13): a short 4x4 training at beta = 0.44 (stage 0 the PixelCNN on 2x2,
// stage 1 the transformer conditional, of the default lattice context), sampled and
// analysed: lnZ within 4 sigma (Gamma method) of Kaufman's exact value. Resuming with
// the CNN conditionals or the other transformer context is refused, naming the key.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "app/cli_test_util.hpp"
#include "rigcs/exact/kaufman.hpp"

using namespace rigcs;
using namespace rigcs::testing;

TEST(RigcsTransformerPipeline, FourByFourReachesKaufman) {
  torch::set_num_threads(1);
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "rigcs_tf");
  const std::string out = dir + "/tf.h5";
  // A small transformer keeps the test short; the paper's size is the default.
  const std::vector<std::string> deck = {
      "--model.N=4",          "--model.beta=0.44",           "--sampler.kind=rigcs",
      "--multilevel.N0=2",    "--rigcs.conditional=transformer", "--rigcs.transformer_depth=2",
      "--rigcs.transformer_heads=2", "--rigcs.transformer_width=16", "--rigcs.transformer_ff=64",
      "--van.width=8",        "--run.seed=13",               "--run.output=" + out,
      "--quiet"};
  ASSERT_EQ(cli.run(args({"train"}, args(deck, {"--train.stage_steps=100,100", "--train.batch=256",
                                                "--train.lr=0.003", "--train.checkpoint_every=50"}))),
            0)
      << cli.err.str();
  ASSERT_EQ(cli.run(args({"sample"}, args(deck, {"--sample.count=20000", "--sample.chunk=5000", "--sample.p_count=0"}))), 0)
      << cli.err.str();
  ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    const double exact = kaufman(4, 0.44, 1.0).lnZ;
    const double v = json_field(j, "lnZ", "value"), e = json_field(j, "lnZ", "error");
    const double ess = json_field(j, "ess", "value");
    EXPECT_GT(e, 0);
    EXPECT_LT(std::abs(v - exact), 4 * e) << "lnZ = " << v << " +- " << e << ", Kaufman " << exact;
    // Trained, not just unbiased: a model at initialisation is far lower.
    EXPECT_GE(ess, 0.5) << "ess " << ess;
    std::printf("RiGCS transformer 4x4: lnZ = %.6f +- %.6f (Kaufman %.6f), ESS = %.4f +- %.4f\n", v, e, exact, ess,
                json_field(j, "ess", "error"));
  }
  cli.comm->barrier();
  EXPECT_NE(cli.run(args(args({"sample"}, deck), {"--rigcs.conditional=cnn", "--resume"})), 0);
  EXPECT_NE(cli.err.str().find("rigcs.conditional"), std::string::npos) << cli.err.str();
  EXPECT_NE(cli.run(args(args({"sample"}, deck), {"--rigcs.transformer_context=window", "--resume"})), 0);
  EXPECT_NE(cli.err.str().find("rigcs.transformer_context"), std::string::npos) << cli.err.str();
  EXPECT_NE(cli.run(args(args({"sample"}, deck), {"--rigcs.transformer_ff=32", "--resume"})), 0);
  EXPECT_NE(cli.err.str().find("rigcs.transformer_ff"), std::string::npos) << cli.err.str();
}
