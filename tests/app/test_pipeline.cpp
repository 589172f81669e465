// train -> sample -> analyze, and ais -> analyze, end to end on 1 and 2 MPI ranks, on
// tiny lattices: estimates against the exact values, kill-and-resume, and refusals.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "cli_test_util.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/mc/ais.hpp"
#include "rigcs/train/checkpoint.hpp"

using namespace rigcs;
using namespace rigcs::testing;

namespace {

const double kLnZ4 = 15.50472654;  // exact ln Z, 4x4, beta = 0.44 (DESIGN.md)

// |lnZ - exact| < 4 sigma with sigma from the Gamma method.
void expect_lnz_unbiased(const std::string& json, double exact, const std::string& what) {
  const double v = json_field(json, "lnZ", "value"), e = json_field(json, "lnZ", "error");
  EXPECT_GT(e, 0) << what;
  EXPECT_LT(std::abs(v - exact), 4 * e) << what << ": lnZ = " << v << " +- " << e << ", exact " << exact;
  EXPECT_NEAR(json_field(json, "betaF", "value"), -v, 1e-12 * std::abs(v));
}

}  // namespace

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  Cli cli;
};

TEST_F(Pipeline, VanTrainSampleAnalyze) {
  const std::string dir = shared_temp_dir(*cli.comm, "van");
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=2",
                                         "--van.width=8", "--run.output=" + dir + "/van.h5", "--quiet"};
  // Trained well enough that the weights are not heavy-tailed: with a poor model
  // (ESS ~ 0.3) the log-mean-exp of a few thousand weights is biased low by more
  // than its error bar, which is a property of importance sampling, not a bug.
  ASSERT_EQ(cli.run(args({"train"}, args(deck, {"--train.steps=250", "--train.batch=256", "--train.lr=0.01"}))), 0)
      << cli.err.str();
  // No samples yet: analyze says what to do (on every rank).
  EXPECT_EQ(cli.run({"analyze", dir + "/van.h5"}), 1);
  EXPECT_NE(cli.err.str().find("no sample set"), std::string::npos) << cli.err.str();
  ASSERT_EQ(cli.run(args({"sample"}, args(deck, {"--sample.count=6000", "--sample.chunk=1000", "--sample.p_count=600"}))), 0)
      << cli.err.str();
  // A second sample run neither appends nor replaces without being asked.
  EXPECT_NE(cli.run(args({"sample"}, deck)), 0);
  EXPECT_NE(cli.err.str().find("already holds a sample set"), std::string::npos) << cli.err.str();
  ASSERT_EQ(cli.run({"analyze", dir + "/van.h5", "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    expect_lnz_unbiased(j, kLnZ4, "van");
    const double ess = json_field(j, "ess", "value");
    EXPECT_GT(ess, 0.8);
    EXPECT_LE(ess, 1.0 + 4 * json_field(j, "ess", "error"));
    for (const char* k : {"E", "abs_m", "log_w_mean", "emdm", "kl_qp", "kl_pq", "acceptance", "imh_E", "imh_abs_m"})
      EXPECT_TRUE(std::isfinite(json_field(j, k, "value"))) << k;
    // Neural MCMC with the trained model as proposal: <H> within 4 sigma of exact.
    const double exact_e = kaufman(4, 0.44, 1.0).energy;
    EXPECT_LT(std::abs(json_field(j, "imh_E", "value") - exact_e), 4 * json_field(j, "imh_E", "error"))
        << "imh_E " << json_field(j, "imh_E", "value") << " exact " << exact_e;
    EXPECT_GT(json_field(j, "acceptance", "value"), 0.5);
    // Variational bound: <log w> <= log Z.
    EXPECT_LT(json_field(j, "log_w_mean", "value"), kLnZ4 + 4 * json_field(j, "log_w_mean", "error"));
    H5File f = H5File::open_read(dir + "/van.h5");
    EXPECT_EQ(f.dims("/samples/log_q"), H5Dims{6000});
    EXPECT_EQ(f.attr_string("/samples", "status"), "complete");
  }
  cli.comm->barrier();
  // A deck for another lattice is refused, naming the key.
  EXPECT_NE(cli.run(args({"sample"}, {"--model.N=8", "--sampler.kind=van", "--van.half_kernel=2", "--van.width=8",
                                      "--run.output=" + dir + "/van.h5", "--resume"})),
            0);
  EXPECT_NE(cli.err.str().find("model.N"), std::string::npos) << cli.err.str();
}

// train.beta_anneal: the annealed VAN trains through the CLI to an unbiased lnZ, the
// deck in the run file records the rate, and a rate outside [0, 1) is refused by key.
TEST_F(Pipeline, AnnealedVanTrainsToTheExactLnZ) {
  const std::string dir = shared_temp_dir(*cli.comm, "van_anneal");
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=2",
                                         "--van.width=8", "--run.output=" + dir + "/van.h5", "--quiet"};
  EXPECT_EQ(cli.run(args({"train"}, args(deck, {"--train.beta_anneal=1"}))), 1);
  EXPECT_NE(cli.err.str().find("train.beta_anneal"), std::string::npos) << cli.err.str();
  ASSERT_EQ(cli.run(args({"train"}, args(deck, {"--train.steps=250", "--train.batch=256", "--train.lr=0.01",
                                                "--train.beta_anneal=0.97"}))),
            0)
      << cli.err.str();
  ASSERT_EQ(cli.run(args({"sample"}, args(deck, {"--sample.count=6000", "--sample.chunk=1000", "--sample.p_count=0"}))),
            0)
      << cli.err.str();
  ASSERT_EQ(cli.run({"analyze", dir + "/van.h5", "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    const std::string j = cli.out.str();
    expect_lnz_unbiased(j, kLnZ4, "annealed van");
    EXPECT_GT(json_field(j, "ess", "value"), 0.8);
    H5File f = H5File::open_read(dir + "/van.h5");
    EXPECT_NE(f.attr_string("/", "deck").find("beta_anneal = 0.97"), std::string::npos) << f.attr_string("/", "deck");
  }
  cli.comm->barrier();
}

TEST_F(Pipeline, KilledTrainingResumesBitwise) {
  const std::string dir = shared_temp_dir(*cli.comm, "resume");
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=rigcs", "--multilevel.N0=1", "--van.half_kernel=1",
                                         "--van.width=4", "--rigcs.channels=4", "--train.stage_batch=32,32,32",
                                         "--train.checkpoint_every=3", "--quiet"};
  ASSERT_EQ(cli.run(args({"train", "--run.output=" + dir + "/straight.h5", "--train.stage_steps=4,6,6"}, deck)), 0)
      << cli.err.str();
  // The same run stopped in stage 1 after 7 steps in all (as SIGTERM or a job's step
  // budget stops it: checkpoint, status "interrupted", exit code 3), then run again:
  // it resumes by itself.
  ASSERT_EQ(cli.run(args({"train", "--run.output=" + dir + "/cut.h5", "--train.stage_steps=4,6,6", "--train.job_steps=7"}, deck)), 3)
      << cli.err.str();
  if (cli.comm->is_root()) {
    H5File f = H5File::open_read(dir + "/cut.h5");
    EXPECT_EQ(f.attr_string("/train", "status"), "interrupted");
    EXPECT_EQ(f.attr_int64("/train", "stage"), 1);
    EXPECT_EQ(f.attr_int64("/train", "stage_step"), 3);
  }
  cli.comm->barrier();
  ASSERT_EQ(cli.run(args({"train", "--run.output=" + dir + "/cut.h5", "--train.stage_steps=4,6,6"}, deck)), 0)
      << cli.err.str();
  if (!cli.comm->is_root()) return;
  H5File a = H5File::open_read(dir + "/straight.h5"), b = H5File::open_read(dir + "/cut.h5");
  int compared = 0;
  for (const auto& name : a.list("/weights/param")) {
    EXPECT_EQ(a.read_double("/weights/param/" + name), b.read_double("/weights/param/" + name)) << name;
    ++compared;
  }
  EXPECT_GT(compared, 3);
}

TEST_F(Pipeline, BadCheckpointsAreRefused) {
  const std::string dir = shared_temp_dir(*cli.comm, "badckpt");
  const std::string out = dir + "/m.h5";
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4",
                                         "--train.steps=2", "--train.batch=8", "--run.output=" + out, "--quiet"};
  ASSERT_EQ(cli.run(args({"train"}, deck)), 0) << cli.err.str();
  // Another architecture: refused, naming the key.
  EXPECT_NE(cli.run(args(args({"train"}, deck), {"--resume", "--van.width=8"})), 0);
  EXPECT_NE(cli.err.str().find("van.width"), std::string::npos) << cli.err.str();
  // Existing output without --resume or --overwrite: refused, file kept.
  EXPECT_NE(cli.run(args({"train"}, deck)), 0);
  EXPECT_NE(cli.err.str().find("--overwrite"), std::string::npos) << cli.err.str();
  cli.comm->barrier();
  if (cli.comm->is_root()) fs::resize_file(out, fs::file_size(out) / 2);
  cli.comm->barrier();
  EXPECT_NE(cli.run(args({"train", "--resume"}, deck)), 0);
  EXPECT_NE(cli.err.str().find("m.h5"), std::string::npos) << cli.err.str();
}

TEST_F(Pipeline, MultilevelSamplersAreUnbiased) {
  const std::string dir = shared_temp_dir(*cli.comm, "multi");
  for (const std::string kind : {"mlmc_hb", "rigcs"}) {
    const std::string out = dir + "/" + kind + ".h5";
    std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=" + kind, "--van.half_kernel=1",
                                     "--van.width=4", "--rigcs.channels=4", "--train.batch=64",
                                     "--train.lr=0.01", "--run.output=" + out, "--quiet"};
    if (kind == "rigcs") deck.push_back("--train.stage_steps=40,40");
    ASSERT_EQ(cli.run(args({"train"}, deck)), 0) << kind << ": " << cli.err.str();
    ASSERT_EQ(cli.run(args({"sample", "--sample.count=8000", "--sample.chunk=2000", "--sample.p_count=0"}, deck)), 0)
        << kind << ": " << cli.err.str();
    ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
    if (cli.comm->is_root()) expect_lnz_unbiased(cli.out.str(), kLnZ4, kind);
  }
}

TEST_F(Pipeline, ClusterAisIsUnbiasedAndIndependentOfRankCount) {
  const std::string dir = shared_temp_dir(*cli.comm, "ais");
  const std::string out = dir + "/ais.h5";
  ASSERT_EQ(cli.run({"ais", "--model.N=4", "--ais.steps=50", "--ais.trajectories=300", "--ais.chunk=40",
                     "--run.seed=9", "--run.output=" + out, "--quiet"}),
            0)
      << cli.err.str();
  ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
  if (!cli.comm->is_root()) return;
  expect_lnz_unbiased(cli.out.str(), kLnZ4, "ais");
  // Trajectory t draws from stream (seed, t): the file holds the same log weights on
  // any rank count, only in another order.
  IsingModel model({4, 0.44, 1.0});
  AisParams ap;
  ap.steps = 50;
  std::vector<double> expect;
  for (int t = 0; t < 300; ++t) {
    Rng rng(9, static_cast<std::uint64_t>(t), StreamId::Ais);
    expect.push_back(run_ais_trajectory(model, ap, rng).log_w);
  }
  H5File f = H5File::open_read(out);
  const auto log_w = f.read_double("/ais/log_w");
  const auto index = f.read_int64("/ais/index");
  ASSERT_EQ(log_w.size(), 300u);
  for (std::size_t i = 0; i < log_w.size(); ++i) EXPECT_EQ(log_w[i], expect[static_cast<std::size_t>(index[i])]);
}

TEST_F(Pipeline, ResumeIsSafeOnFreshAndCompleteRuns) {
  const std::string dir = shared_temp_dir(*cli.comm, "resume_safe");
  const std::string out = dir + "/m.h5";
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4",
                                         "--train.steps=2", "--train.batch=8", "--run.output=" + out, "--quiet"};
  // A requeued batch job passes --resume from its first start on: no file yet starts one.
  ASSERT_EQ(cli.run(args({"train", "--resume"}, deck)), 0) << cli.err.str();
  ASSERT_EQ(cli.run(args({"sample", "--sample.count=64", "--sample.chunk=32", "--sample.p_count=0"}, deck)), 0)
      << cli.err.str();
  // --resume on a complete training does nothing: the sample set stays.
  ASSERT_EQ(cli.run(args({"train", "--resume"}, deck)), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    H5File f = H5File::open_read(out);
    EXPECT_EQ(f.dims("/samples/log_q"), H5Dims{64});
    EXPECT_NE(f.attr_string("/samples", "deck").find("count = 64"), std::string::npos);
  }
  cli.comm->barrier();
  // An AIS run started with --overwrite resumes without it (run.overwrite does not
  // change the result); a changed setting is refused by name.
  const std::string ais = dir + "/ais.h5";
  const std::vector<std::string> ais_deck = {"ais", "--model.N=4", "--ais.steps=5", "--ais.trajectories=8",
                                             "--ais.chunk=4", "--run.output=" + ais, "--quiet"};
  ASSERT_EQ(cli.run(args(ais_deck, {"--overwrite"})), 0) << cli.err.str();
  EXPECT_EQ(cli.run(args(ais_deck, {"--resume"})), 0) << cli.err.str();
  EXPECT_NE(cli.run(args(ais_deck, {"--resume", "--ais.steps=6"})), 0);
  EXPECT_NE(cli.err.str().find("ais.steps"), std::string::npos) << cli.err.str();
}

namespace {
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_F(Pipeline, SampleModelLeavesTheModelFileUntouched) {
  // A shipped-style model: a finished training run file, made read-only.
  const std::string dir = shared_temp_dir(*cli.comm, "sample_model");
  const std::string model = dir + "/shipped.h5";
  const std::vector<std::string> deck = {"--model.N=4", "--sampler.kind=rigcs", "--van.half_kernel=1", "--van.width=4",
                                         "--rigcs.channels=4", "--train.stage_steps=3,3", "--train.batch=16", "--quiet"};
  ASSERT_EQ(cli.run(args({"train", "--run.output=" + model}, deck)), 0) << cli.err.str();
  if (cli.comm->is_root()) fs::permissions(model, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  cli.comm->barrier();
  const std::string before = file_bytes(model);
  const auto mtime = fs::last_write_time(model);
  const std::string mine = dir + "/mine.h5";
  const std::vector<std::string> sample = {"sample", "--sample.model=" + model, "--sample.count=64",
                                           "--sample.chunk=32", "--sample.p_count=0"};
  ASSERT_EQ(cli.run(args(args(sample, deck), {"--run.output=" + mine})), 0) << cli.err.str();
  EXPECT_EQ(file_bytes(model), before);
  EXPECT_EQ(fs::last_write_time(model), mtime);
  if (cli.comm->is_root()) {
    H5File f = H5File::open_read(mine);
    EXPECT_EQ(f.dims("/samples/log_q"), H5Dims{64});
    EXPECT_EQ(f.attr_string("/samples", "model"), model);
    EXPECT_EQ(f.attr_string("/samples", "status"), "complete");
  }
  cli.comm->barrier();
  ASSERT_EQ(cli.run({"analyze", mine, "--json"}), 0) << cli.err.str();
  if (cli.comm->is_root()) {
    EXPECT_GT(json_field(cli.out.str(), "ess", "value"), 0.0);
  }
  // Again into the same output: refused without --resume or --overwrite; --resume on the
  // complete set is accepted; never written: the model itself as the output.
  // (Error text is printed by rank 0.)
  const bool root = cli.comm->is_root();
  EXPECT_NE(cli.run(args(args(sample, deck), {"--run.output=" + mine})), 0);
  if (root) {
    EXPECT_NE(cli.err.str().find("--resume"), std::string::npos) << cli.err.str();
  }
  EXPECT_NE(cli.run(args(args(sample, deck), {"--run.output=" + model, "--overwrite"})), 0);
  if (root) {
    EXPECT_NE(cli.err.str().find("same file"), std::string::npos) << cli.err.str();
  }
  // A deck of another architecture is refused by key.
  EXPECT_NE(cli.run(args(args(sample, deck), {"--run.output=" + dir + "/other.h5", "--rigcs.channels=8"})), 0);
  if (root) {
    EXPECT_NE(cli.err.str().find("rigcs.channels"), std::string::npos) << cli.err.str();
  }
  EXPECT_EQ(file_bytes(model), before);
}

TEST_F(Pipeline, InitModelGrowsATrainedSmallerModel) {
  // A trained 4x4 rigcs model, then an 8x8 training started from it (train.init_model):
  // it trains only the stage N = 8, carries the history over, and never writes the
  // smaller model's file. With 0 steps in that stage every weight of the 4x4 model must
  // arrive unchanged.
  const std::string dir = shared_temp_dir(*cli.comm, "init_model");
  const std::string small = dir + "/small.h5";
  const std::vector<std::string> arch = {"--sampler.kind=rigcs", "--van.half_kernel=1", "--van.width=4",
                                         "--rigcs.channels=4", "--train.batch=16", "--quiet"};
  ASSERT_EQ(cli.run(args(args({"train", "--model.N=4", "--train.stage_steps=3,3", "--run.output=" + small}, arch), {})),
            0)
      << cli.err.str();
  const std::string before = file_bytes(small);
  const std::string big = dir + "/big.h5";
  const std::string moved = dir + "/moved.h5";
  const std::vector<std::string> grow = {"train", "--model.N=8", "--train.stage_steps=3,3,4",
                                         "--train.init_model=" + small};
  ASSERT_EQ(cli.run(args(args(grow, arch), {"--run.output=" + big})), 0) << cli.err.str();
  ASSERT_EQ(cli.run(args(args({"train", "--model.N=8", "--train.stage_steps=3,3,0", "--train.init_model=" + small}, arch),
                         {"--run.output=" + moved})),
            0)
      << cli.err.str();
  EXPECT_EQ(file_bytes(small), before);
  if (cli.comm->is_root()) {
    H5File s = H5File::open_read(small);
    H5File b = H5File::open_read(big);
    EXPECT_EQ(b.attr_string("/train", "status"), "complete");
    EXPECT_EQ(b.attr_string("/train", "init_model"), small);
    EXPECT_EQ(b.attr_int64("/sampler", "N"), 8);
    const auto hs = s.read_double("/train/history/stage");
    const auto hb = b.read_double("/train/history/stage");
    ASSERT_EQ(hb.size(), hs.size() + 4);  // 3 + 3 rows carried over, 4 of the new stage
    for (std::size_t i = 0; i < hs.size(); ++i) EXPECT_EQ(hb[i], hs[i]);
    for (std::size_t i = hs.size(); i < hb.size(); ++i) EXPECT_EQ(hb[i], 2.0);
    EXPECT_GE(b.attr_double("/train", "elapsed_seconds"), s.attr_double("/train", "elapsed_seconds"));
    const NamedTensors ws = read_checkpoint(s, "/weights");
    H5File m = H5File::open_read(moved);
    const NamedTensors wb = read_checkpoint(m, "/weights");
    int compared = 0;
    for (const auto& [name, t] : ws) {
      if (name.rfind("param/", 0) != 0) continue;
      for (const auto& [name_b, tb] : wb)
        if (name_b == name) {
          EXPECT_TRUE(torch::equal(t, tb)) << name;
          ++compared;
        }
    }
    EXPECT_GT(compared, 4);
  }
  cli.comm->barrier();
  // Another architecture, or a model that is not smaller, is refused by name.
  const bool root = cli.comm->is_root();
  EXPECT_NE(cli.run(args(args(grow, arch), {"--run.output=" + dir + "/other.h5", "--rigcs.channels=8"})), 0);
  if (root) {
    EXPECT_NE(cli.err.str().find("rigcs.channels"), std::string::npos) << cli.err.str();
  }
  EXPECT_NE(cli.run(args(args({"train", "--model.N=4", "--train.stage_steps=3,3", "--train.init_model=" + small,
                               "--run.output=" + dir + "/same.h5"},
                              arch),
                         {})),
            0);
  if (root) {
    EXPECT_NE(cli.err.str().find("stage below"), std::string::npos) << cli.err.str();
  }
  EXPECT_EQ(file_bytes(small), before);
}
