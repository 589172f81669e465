// phi^4 through the command line on 1 and 2 MPI ranks: exact, mcmc + analyze (the
// free field's <phi^2> within 4 sigma; the derived chi and Binder cumulant), ais in
// kappa, the VAN and RiGCS with Gaussian-mixture heads through train, sample and analyze,
// and the refusals that name the key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "rigcs/exact/model_exact.hpp"
#include "rigcs/io/h5file.hpp"
#include "cli_test_util.hpp"

using namespace rigcs;
using namespace rigcs::testing;

TEST(Phi4Cli, ExactJson) {
  Cli cli;
  ASSERT_EQ(cli.run({"exact", "--model.kind=phi4", "--model.N=4", "--model.kappa=0.2", "--model.lambda=0", "--json"}), 0)
      << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    const Phi4Exact e = phi4_free_field(4, 0.2);
    EXPECT_NEAR(json_number(j, "lnZ"), e.lnZ, 1e-10);
    EXPECT_NEAR(json_number(j, "betaF"), -e.lnZ, 1e-10);
    EXPECT_NEAR(json_number(j, "phi2"), e.phi2, 1e-10);
  }
  ASSERT_EQ(cli.run({"exact", "--model.kind=phi4", "--model.N=4", "--model.kappa=0", "--model.lambda=0.5", "--json"}), 0);
  if (cli.comm->is_root()) {
    EXPECT_NEAR(json_number(cli.out.str(), "lnZ"), phi4_decoupled(4, 0.5).lnZ, 1e-10);
  }
  EXPECT_EQ(cli.run({"exact", "--model.kind=phi4", "--model.kappa=0.2", "--model.lambda=0.022"}), 1);
  EXPECT_NE(cli.err.str().find("model.lambda = 0"), std::string::npos) << cli.err.str();
}

TEST(Phi4Cli, McmcThenAnalyze) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "phi4");
  const std::string out = dir + "/run.h5";
  ASSERT_EQ(cli.run({"mcmc", "--model.kind=phi4", "--model.N=6", "--model.kappa=0.2", "--model.lambda=0",
                     "--mcmc.algorithm=hmc+wolff", "--phi4.hmc_step=0.25", "--phi4.hmc_steps=6",
                     "--mcmc.thermalization=200", "--mcmc.measurements=20000", "--run.seed=5",
                     "--run.output=" + out, "--quiet"}),
            0)
      << cli.err.str();
  cli.comm->barrier();
  ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    const Phi4Exact e = phi4_free_field(6, 0.2);
    EXPECT_GT(expect_within_4_sigma(j, "phi2", e.phi2), 0);
    expect_within_4_sigma(j, "chi_m2", 36 * e.m2);
    // Gaussian m: U = 1 - 3 <m^2>^2 / (3 <m^2>^2) = 0.
    expect_within_4_sigma(j, "binder", 0.0);
    EXPECT_TRUE(std::isfinite(json_field(j, "chi", "error")));
    H5File f = H5File::open_read(out);
    EXPECT_EQ(f.attr_string("/model", "name"), "phi4_2d");
    EXPECT_DOUBLE_EQ(f.attr_double("/model", "kappa"), 0.2);
    EXPECT_EQ(f.attr_string("/mcmc", "algorithm"), "hmc+wolff");
    EXPECT_EQ(f.dims("/mcmc/final_field"), (H5Dims{static_cast<std::uint64_t>(cli.comm->size()), 6, 6}));
    EXPECT_EQ(f.dims("/mcmc/phi2"), (H5Dims{static_cast<std::uint64_t>(cli.comm->size()), 20000}));
  }
  cli.comm->barrier();
}

TEST(Phi4Cli, AisInKappa) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "phi4ais");
  const std::string out = dir + "/ais.h5";
  ASSERT_EQ(cli.run({"ais", "--model.kind=phi4", "--model.N=4", "--model.kappa=0.2", "--model.lambda=0",
                     "--ais.steps=40", "--ais.trajectories=1000", "--ais.chunk=250", "--run.seed=3",
                     "--run.output=" + out, "--quiet"}),
            0)
      << cli.err.str();
  cli.comm->barrier();
  ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    EXPECT_GT(expect_within_4_sigma(j, "lnZ", phi4_free_field(4, 0.2).lnZ), 0);
    H5File f = H5File::open_read(out);
    EXPECT_EQ(f.attr_string("/ais", "annealed"), "model.kappa");
    EXPECT_EQ(f.dims("/ais/kappa_ladder"), (H5Dims{41}));
  }
  cli.comm->barrier();
}

// Trains, samples and analyses `deck` (the 4x4 or 8x8 free field, lambda = 0, kappa = 0.2)
// and checks ln Z, <S>, <phi^2> and <m^2> of the reweighted samples against the Fourier
// sums within 4 sigma, EMDM against 1, and the ESS.
void expect_free_field_pipeline(const std::string& name, int n, const std::vector<std::string>& sampler_keys,
                                int samples, double min_ess) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, name);
  const std::string file = dir + "/" + name + ".h5";
  std::vector<std::string> deck = {"--model.kind=phi4", "--model.N=" + std::to_string(n), "--model.kappa=0.2",
                                   "--model.lambda=0", "--run.seed=21", "--sample.count=" + std::to_string(samples),
                                   "--sample.chunk=5000", "--sample.p_count=2000", "--run.output=" + file, "--quiet"};
  deck.insert(deck.end(), sampler_keys.begin(), sampler_keys.end());
  auto with = [&](const std::string& command) {
    std::vector<std::string> a = {command};
    a.insert(a.end(), deck.begin(), deck.end());
    return a;
  };
  ASSERT_EQ(cli.run(with("train")), 0) << cli.err.str();
  ASSERT_EQ(cli.run(with("sample")), 0) << cli.err.str();
  cli.comm->barrier();
  ASSERT_EQ(cli.run({"analyze", file, "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    const Phi4Exact e = phi4_free_field(n, 0.2);
    auto within = [&](const std::string& q, double exact) {
      EXPECT_GT(expect_within_4_sigma(j, q, exact, name + ": "), 0) << q;
    };
    within("lnZ", e.lnZ);
    within("action", e.action);
    within("phi2", e.phi2);
    within("m2", e.m2);
    within("emdm", 1.0);
    EXPECT_GT(json_field(j, "ess", "value"), min_ess);
    H5File f = H5File::open_read(file);
    EXPECT_EQ(f.attr_string("/model", "name"), "phi4_2d");
    EXPECT_EQ(f.dims("/samples/phi2"), (H5Dims{static_cast<std::uint64_t>(samples)}));
    EXPECT_EQ(f.dims("/samples_p/log_q"), (H5Dims{2000}));
    // sample.save_spins keeps the configurations of a field as float32 'field'.
    const bool saved = std::find(sampler_keys.begin(), sampler_keys.end(), "--sample.save_spins=true") != sampler_keys.end();
    EXPECT_EQ(f.exists("/samples/field"), saved);
    if (saved) {
      EXPECT_EQ(f.dims("/samples/field"), (H5Dims{static_cast<std::uint64_t>(samples), static_cast<std::uint64_t>(n),
                                                 static_cast<std::uint64_t>(n)}));
    }
    EXPECT_FALSE(f.exists("/samples/spins"));
  }
  cli.comm->barrier();
}

TEST(Phi4Cli, VanTrainSampleAnalyzeFreeField) {
  expect_free_field_pipeline("phi4van", 4,
                             {"--sampler.kind=van", "--van.depth=2", "--van.width=16", "--van.half_kernel=3",
                              "--train.steps=300", "--train.batch=256", "--train.lr=0.005", "--sample.save_spins=true"},
                             20000, 0.9);
}

TEST(Phi4Cli, RigcsSequentialTrainingFreeField) {
  // N = 2 (PixelCNN), 4, 8 with model transfer; every level a net with a mixture head.
  expect_free_field_pipeline("phi4rigcs", 8,
                             {"--sampler.kind=rigcs", "--van.depth=2", "--van.width=8", "--van.half_kernel=2",
                              "--rigcs.channels=8", "--rigcs.kernel1=3", "--rigcs.kernel2=3",
                              "--train.stage_steps=100,150,250", "--train.stage_batch=256,256,256",
                              "--train.stage_lr=0.005,0.005,0.005"},
                             10000, 0.9);
}

TEST(Phi4Cli, BadKeysAreNamed) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "phi4bad");
  const std::string out = "--run.output=" + dir + "/x.h5";
  auto expect_error = [&](const std::vector<std::string>& args, const std::string& needle) {
    EXPECT_EQ(cli.run(args), 1) << args[0];
    EXPECT_NE(cli.err.str().find(needle), std::string::npos) << cli.err.str();
  };
  expect_error({"mcmc", "--model.kind=phi4", "--model.kappa=0.3", "--model.lambda=0", out}, "model.kappa");
  expect_error({"mcmc", "--model.kind=phi4", "--model.lambda=-1", out}, "model.lambda");
  expect_error({"mcmc", "--model.kind=potts", out}, "model.kind");
  expect_error({"mcmc", "--model.kind=phi4", "--mcmc.algorithm=wolff", out}, "mcmc.algorithm");
  expect_error({"mcmc", "--model.kind=phi4", "--mcmc.algorithm=heatbath", out}, "mcmc.algorithm");
  expect_error({"mcmc", "--model.kind=phi4", "--model.beta=0.3", out}, "model.beta");
  expect_error({"mcmc", "--model.kappa=0.3", out}, "model.kappa");
  expect_error({"mcmc", "--mcmc.algorithm=hmc", out}, "mcmc.algorithm");
  expect_error({"ais", "--model.kind=phi4", "--ais.algorithm=sw", out}, "ais.algorithm");
  expect_error({"mcmc", "--model.kind=phi4", "--phi4.hmc_step=0", out}, "phi4.hmc_step");
  expect_error({"train", "--model.kind=phi4", "--sampler.kind=mlmc_hb", out}, "model.kind");
  expect_error({"train", "--model.kind=phi4", "--sampler.kind=han", out}, "sampler.kind");
  expect_error({"sample", "--model.kind=phi4", "--sampler.kind=han", out}, "model.kind");
  expect_error({"train", "--model.kind=phi4", "--rigcs.conditional=transformer", out}, "rigcs.conditional");
}
