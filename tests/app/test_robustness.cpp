// The rigcs binary under faults, kills and concurrent use (issue 10): a full disk, two
// writers of one file, a collapsed model, partial and stale results, resume rules and
// provenance, SIGTERM and SIGKILL, and the small command-line fixes. These tests run the
// real executable (RIGCS_BINARY), because exit codes, crashes at exit and signals are
// properties of the process, not of a function.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"

namespace fs = std::filesystem;
using namespace rigcs;

namespace {

const std::string kBinary = RIGCS_BINARY;
const std::string kMpiexec = RIGCS_MPIEXEC;

struct Result {
  int rc = -1;
  std::string out;  // stdout and stderr
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command line; rc is the exit status, or 128 + signal.
Result sh(const std::string& cmd) {
  Result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.out += buf;
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// rigcs with arguments (and optional environment assignments before it).
Result run_rigcs(const std::vector<std::string>& args, const std::string& env = "") {
  std::string cmd = env + (env.empty() ? "" : " ") + quote(kBinary);
  for (const auto& a : args) cmd += " " + quote(a);
  return sh(cmd);
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

#define EXPECT_HAS(text, part) EXPECT_TRUE(contains(text, part)) << "expected '" << (part) << "' in:\n" << (text)

// Starts rigcs in the background and returns its pid (output to `log`).
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kBinary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (fs::temp_directory_path() / ("rigcs_robust_" + std::to_string(::getpid()) + "_" + info->name())).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    // A tmpfs left mounted by a failed check must not outlive the test.
    if (fs::exists(at("mnt"))) sh("umount " + quote(at("mnt")) + " 2>/dev/null");
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string at(const std::string& name) const { return dir_ + "/" + name; }
  // A VAN on 4x4, trained for a few steps: enough for file plumbing.
  std::vector<std::string> van(const std::string& out) const {
    return {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4", "--train.steps=4",
            "--train.batch=16", "--train.checkpoint_every=1", "--run.output=" + out, "--quiet"};
  }
  void train_van(const std::string& out) {
    const Result r = run_rigcs(cat({"train"}, van(out)));
    ASSERT_EQ(r.rc, 0) << r.out;
  }
  std::string dir_;
};

const std::vector<std::string> kSampleArgs = {"--sample.count=400", "--sample.chunk=100", "--sample.p_count=40"};

}  // namespace

// --- 1. a full disk ------------------------------------------------------------------

TEST_F(Robustness, FullDiskDuringSampleFailsCleanlyThenResumesBitwise) {
  train_van(at("m.h5"));
  fs::copy_file(at("m.h5"), at("a.h5"));
  fs::copy_file(at("m.h5"), at("b.h5"));
  Result r = run_rigcs(cat(cat({"sample"}, van(at("a.h5"))), kSampleArgs));
  ASSERT_EQ(r.rc, 0) << r.out;
  // The disk "fills" a few rounds in: a clear message and exit 1, no crash at exit.
  r = run_rigcs(cat(cat({"sample"}, van(at("b.h5"))), kSampleArgs), "RIGCS_FAULT_WRITES=70");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "No space left on device");
  std::int64_t rows = 0;
  {
    const H5File f = H5File::open_read(at("b.h5"));
    rows = f.attr_int64("/samples", "rows");
    EXPECT_GT(rows, 0);
    EXPECT_LT(rows, 400);
    EXPECT_EQ(rows % 100, 0);
    EXPECT_EQ(f.attr_string("/samples", "status"), "running");
    // Only counted rows are data; every column holds at least them.
    EXPECT_GE(f.dims("/samples/log_q").at(0), static_cast<std::uint64_t>(rows));
  }
  // An incomplete run is named as such, in the table and in /results.
  r = run_rigcs({"analyze", at("b.h5")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "INCOMPLETE");
  EXPECT_HAS(r.out, std::to_string(rows) + " of 400 samples");
  EXPECT_EQ(H5File::open_read(at("b.h5")).attr_int64("/results", "complete"), 0);
  // ...so that the campaign script does not take them for the final analysis.
  if (const char* src = std::getenv("RIGCS_SOURCE_DIR")) {
    const Result c = sh("RIGCS=" + quote(kBinary) + " bash " + quote(std::string(src) + "/jobs/campaign_step.sh") +
                        " analyze " + quote(at("b.h5")));
    EXPECT_EQ(c.rc, 0) << c.out;
    EXPECT_FALSE(contains(c.out, "already analysed")) << c.out;
  }
  // --resume completes it: the same samples as a run that never stopped, and the
  // partial /results are gone (stale).
  r = run_rigcs(cat(cat({"sample"}, van(at("b.h5"))), cat(kSampleArgs, {"--resume"})));
  ASSERT_EQ(r.rc, 0) << r.out;
  {
    const H5File a = H5File::open_read(at("a.h5")), b = H5File::open_read(at("b.h5"));
    EXPECT_FALSE(b.exists("/results"));
    EXPECT_EQ(a.read_double("/samples/log_q"), b.read_double("/samples/log_q"));
    EXPECT_EQ(a.read_double("/samples/energy"), b.read_double("/samples/energy"));
    EXPECT_EQ(a.read_double("/samples_p/log_q"), b.read_double("/samples_p/log_q"));
    EXPECT_EQ(b.attr_string("/samples", "status"), "complete");
    EXPECT_EQ(b.attr_int64("/samples", "rows"), 400);
    // Provenance: the training, the failed sampling, the resumed one.
    const auto segs = read_run_segments(b);
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_EQ(segs[1].command, "sample");
    EXPECT_EQ(segs[1].status, "running");  // it died on the full disk
    EXPECT_TRUE(segs[2].resumed);
    EXPECT_EQ(segs[2].status, "complete");
  }
  r = run_rigcs({"analyze", at("b.h5")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "run complete: 400 of 400 samples");
  // Resuming a complete set leaves the file byte-identical.
  const std::string before = file_bytes(at("b.h5"));
  r = run_rigcs(cat(cat({"sample"}, van(at("b.h5"))), cat(kSampleArgs, {"--resume"})));
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(file_bytes(at("b.h5")), before);
}

// The same on a real full file system: a 2 MiB tmpfs (needs root; skipped elsewhere).
TEST_F(Robustness, RealFullDiskFailsSampleAndTrainCleanly) {
  const std::string mnt = at("mnt");
  fs::create_directories(mnt);
  if (sh("mount -t tmpfs -o size=2m tmpfs " + quote(mnt)).rc != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  train_van(mnt + "/m.h5");
  Result r = run_rigcs(cat(cat({"sample"}, van(mnt + "/m.h5")),
                           {"--sample.count=300000", "--sample.chunk=5000", "--sample.p_count=0"}));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "No space left on device");
  {
    const H5File f = H5File::open_read(mnt + "/m.h5");
    const auto rows = f.attr_int64("/samples", "rows");
    EXPECT_LT(rows, 300000);
    EXPECT_EQ(rows % 5000, 0);
    EXPECT_EQ(counted_rows(f, "/samples", "log_q", {"log_q", "energy", "abs_m", "minus_beta_H", "replica"}),
              static_cast<std::uint64_t>(rows));
  }
  // analyze still reads it (it cannot store /results on the full disk, and says so).
  r = run_rigcs({"analyze", mnt + "/m.h5"});
  EXPECT_HAS(r.out, "INCOMPLETE");
  EXPECT_HAS(r.out, "could not be stored");
  // Training into the full file system: a message and exit 1, not a segfault at exit,
  // and no half-written file left behind.
  r = run_rigcs(cat({"train"}, van(mnt + "/t.h5")));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "No space left on device");
  EXPECT_FALSE(fs::exists(mnt + "/t.h5"));
  EXPECT_EQ(sh("umount " + quote(mnt)).rc, 0);
}

TEST_F(Robustness, FullDiskDuringAisAndTrainFailsCleanly) {
  const std::vector<std::string> ais = {"ais", "--model.N=4", "--ais.steps=5", "--ais.trajectories=60",
                                        "--ais.chunk=10", "--quiet"};
  Result r = run_rigcs(cat(ais, {"--run.output=" + at("a.h5")}));
  ASSERT_EQ(r.rc, 0) << r.out;
  r = run_rigcs(cat(ais, {"--run.output=" + at("b.h5")}), "RIGCS_FAULT_WRITES=60");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "No space left on device");
  {
    const H5File b = H5File::open_read(at("b.h5"));
    EXPECT_EQ(read_run_header(b).kind, "ais");  // root attributes readable
    const auto rows = b.attr_int64("/ais", "rows");
    EXPECT_LT(rows, 60);
    EXPECT_EQ(rows % 10, 0);
  }
  // Rerun without --resume: it says how to continue instead of only --overwrite.
  r = run_rigcs(cat(ais, {"--run.output=" + at("b.h5")}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "--resume");
  r = run_rigcs(cat(ais, {"--run.output=" + at("b.h5"), "--resume"}));
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(H5File::open_read(at("a.h5")).read_double("/ais/log_w"),
            H5File::open_read(at("b.h5")).read_double("/ais/log_w"));

  // Training: a full disk in a checkpoint keeps the last complete one, exits 1, no
  // segfault; --resume then ends where an uninterrupted run ends.
  train_van(at("t_straight.h5"));
  r = run_rigcs(cat({"train"}, van(at("t.h5"))), "RIGCS_FAULT_WRITES=150");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "No space left on device");
  ASSERT_TRUE(fs::exists(at("t.h5"))) << r.out;
  EXPECT_NE(H5File::open_read(at("t.h5")).attr_string("/train", "status"), "complete");
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_FALSE(contains(e.path().filename().string(), "t.h5.tmp")) << "left behind: " << e.path();
  r = run_rigcs(cat({"train"}, cat(van(at("t.h5")), {"--resume"})));
  ASSERT_EQ(r.rc, 0) << r.out;
  const H5File a = H5File::open_read(at("t_straight.h5")), b = H5File::open_read(at("t.h5"));
  for (const auto& name : a.list("/weights/param"))
    EXPECT_EQ(a.read_double("/weights/param/" + name), b.read_double("/weights/param/" + name)) << name;
}

// --- 2. two writers ------------------------------------------------------------------

TEST_F(Robustness, ASecondWriterOfARunFileIsRefusedNamingTheHolder) {
  const std::string out = at("conc.h5");
  // A long training holds the file...
  const pid_t first = spawn(cat({"train"}, cat(van(out), {"--train.steps=100000", "--run.seed=1"})), at("first.log"));
  // (its first checkpoint: past startup, the signal handler is in place)
  for (int i = 0; i < 500 && !fs::exists(out); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(out + ".lock"));
  // ...so a second one with another seed is refused, naming the first.
  const Result r = run_rigcs(cat({"train"}, cat(van(out), {"--run.seed=2", "--overwrite"})));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "is in use by pid " + std::to_string(first));
  const Result s = run_rigcs(cat(cat({"sample"}, van(out)), kSampleArgs));
  EXPECT_EQ(s.rc, 1) << s.out;
  EXPECT_HAS(s.out, "in use");
  ::kill(first, SIGTERM);  // the first stops cleanly (exit 3) and releases the lock
  EXPECT_EQ(wait_for(first), 3) << file_bytes(at("first.log"));
  EXPECT_FALSE(fs::exists(out + ".lock"));
  const H5File f = H5File::open_read(out);
  EXPECT_EQ(read_run_header(f).seed, 1u);
}

// --- 3. a collapsed model ------------------------------------------------------------

TEST_F(Robustness, CollapsedTrainingStopsAndAnalyzeWarns) {
  const std::vector<std::string> hot = {"--model.N=4", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4",
                                        "--train.steps=150", "--train.batch=32", "--train.lr=10", "--quiet"};
  Result r = run_rigcs(cat({"train", "--run.output=" + at("c.h5")}, hot));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "collapsed");
  EXPECT_HAS(r.out, "train.collapse_entropy");
  EXPECT_EQ(H5File::open_read(at("c.h5")).attr_string("/train", "status"), "collapsed");
  r = run_rigcs(cat(cat({"sample", "--run.output=" + at("c.h5")}, hot), kSampleArgs));
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "collapsed");
  // Switched off, the training runs on; analyze then says what went wrong.
  const std::vector<std::string> off = cat(hot, {"--run.output=" + at("d.h5"), "--train.collapse_entropy=0"});
  r = run_rigcs(cat({"train"}, off));
  ASSERT_EQ(r.rc, 0) << r.out;
  ASSERT_EQ(run_rigcs(cat(cat({"sample"}, off), kSampleArgs)).rc, 0);
  r = run_rigcs({"analyze", at("d.h5")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "health checks");
  EXPECT_HAS(r.out, "WARNING  EMDM");
  r = run_rigcs({"analyze", at("d.h5"), "--json"});
  EXPECT_HAS(r.out, "\"warnings\": [\"EMDM");
}

TEST_F(Robustness, HealthChecksNameSmallEssShortSeriesAndFewSamples) {
  train_van(at("m.h5"));
  // One sample: neural MCMC cannot run and the errors are undefined, but the other
  // estimates are still reported (issue 10, item 6).
  Result r = run_rigcs(cat(cat({"sample"}, van(at("m.h5"))), {"--sample.count=1", "--sample.p_count=0"}));
  ASSERT_EQ(r.rc, 0) << r.out;
  r = run_rigcs({"analyze", at("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "lnZ");
  EXPECT_HAS(r.out, "neural MCMC skipped");
  EXPECT_HAS(r.out, "no error bar for");
  EXPECT_HAS(r.out, "WARNING  ESS: only");
  // A short MCMC series with a long autocorrelation: the window check fires.
  r = run_rigcs({"mcmc", "--model.N=16", "--mcmc.algorithm=heatbath", "--mcmc.thermalization=0", "--mcmc.measurements=40",
             "--run.output=" + at("mc.h5"), "--quiet"});
  ASSERT_EQ(r.rc, 0) << r.out;
  r = run_rigcs({"analyze", at("mc.h5")});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "WARNING  tau_int window too close");
}

// --- 7. resume rules, provenance, signals -------------------------------------------

TEST_F(Robustness, ResumeRefusesAnotherSeedAndRecordsSegments) {
  const std::string out = at("m.h5");
  Result r = run_rigcs(cat({"train"}, cat(van(out), {"--train.steps=6", "--train.job_steps=3"})));
  ASSERT_EQ(r.rc, 3) << r.out;
  const std::string deck_before = read_run_header(out).deck;
  r = run_rigcs(cat({"train"}, cat(van(out), {"--train.steps=6", "--resume", "--run.seed=99"})));
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "run.seed");
  r = run_rigcs(cat({"train"}, cat(van(out), {"--train.steps=6", "--resume", "--run.threads=1"})));
  ASSERT_EQ(r.rc, 0) << r.out;
  {
  const H5File f = H5File::open_read(out);  // closed before rigcs writes it again
  EXPECT_EQ(read_run_header(f).deck, deck_before);  // the root keeps the first segment's deck
  const auto segs = read_run_segments(f);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].status, "interrupted");
  EXPECT_FALSE(segs[0].resumed);
  EXPECT_EQ(segs[1].status, "complete");
  EXPECT_TRUE(segs[1].resumed);
  EXPECT_EQ(segs[1].ranks, 1);
  EXPECT_FALSE(segs[1].git_hash.empty());
  EXPECT_FALSE(segs[1].end_time.empty());
  }
  // sample --resume with another seed is refused too.
  ASSERT_EQ(run_rigcs(cat(cat({"sample"}, cat(van(out), {"--train.steps=6"})), kSampleArgs), "RIGCS_FAULT_WRITES=40").rc, 1);
  r = run_rigcs(cat(cat({"sample"}, cat(van(out), {"--train.steps=6", "--resume", "--run.seed=7"})), kSampleArgs));
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "run.seed");
}

TEST_F(Robustness, SigkillThenRerunSuggestsResume) {
  const std::string out = at("m.h5");
  const pid_t pid = spawn(cat({"train"}, cat(van(out), {"--train.steps=100000"})), at("log"));
  for (int i = 0; i < 500 && !fs::exists(out); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_for(pid), 128 + SIGKILL);
  ASSERT_TRUE(fs::exists(out));
  const Result r = run_rigcs(cat({"train"}, cat(van(out), {"--train.steps=100000"})));
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "pass --resume to continue it");
}

// A random SIGKILL during train, sample and ais, then resume: bitwise the result of a
// run that was never killed.
TEST_F(Robustness, RandomSigkillThenResumeIsBitwiseEqual) {
  std::mt19937 gen(static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> delay_ms(300, 1500);
  auto kill_then_resume = [&](const std::vector<std::string>& args, const std::string& what) {
    const int ms = delay_ms(gen);
    const pid_t pid = spawn(args, at(what + ".log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ::kill(pid, SIGKILL);
    wait_for(pid);
    Result r;
    for (int attempt = 0; attempt < 3; ++attempt) {
      r = run_rigcs(cat(args, {"--resume"}));
      if (r.rc == 0) break;
    }
    ASSERT_EQ(r.rc, 0) << what << " killed after " << ms << " ms: " << r.out;
  };
  const std::vector<std::string> train = {"train", "--model.N=4", "--sampler.kind=van", "--van.half_kernel=1",
                                          "--van.width=4", "--train.steps=150", "--train.batch=64",
                                          "--train.checkpoint_every=7", "--quiet"};
  ASSERT_EQ(run_rigcs(cat(train, {"--run.output=" + at("t_a.h5")})).rc, 0);
  kill_then_resume(cat(train, {"--run.output=" + at("t_b.h5")}), "train");
  {
    const H5File a = H5File::open_read(at("t_a.h5")), b = H5File::open_read(at("t_b.h5"));
    for (const auto& name : a.list("/weights/param"))
      EXPECT_EQ(a.read_double("/weights/param/" + name), b.read_double("/weights/param/" + name)) << name;
  }
  const std::vector<std::string> sample = {"sample", "--model.N=4", "--sampler.kind=van", "--van.half_kernel=1",
                                           "--van.width=4", "--sample.count=60000", "--sample.chunk=2000",
                                           "--sample.p_count=0", "--quiet"};
  fs::copy_file(at("t_a.h5"), at("s_a.h5"));
  fs::copy_file(at("t_a.h5"), at("s_b.h5"));
  ASSERT_EQ(run_rigcs(cat(sample, {"--run.output=" + at("s_a.h5")})).rc, 0);
  kill_then_resume(cat(sample, {"--run.output=" + at("s_b.h5")}), "sample");
  EXPECT_EQ(H5File::open_read(at("s_a.h5")).read_double("/samples/log_q"),
            H5File::open_read(at("s_b.h5")).read_double("/samples/log_q"));
  const std::vector<std::string> ais = {"ais", "--model.N=6", "--ais.steps=100", "--ais.trajectories=1500",
                                        "--ais.chunk=50", "--quiet"};
  ASSERT_EQ(run_rigcs(cat(ais, {"--run.output=" + at("a_a.h5")})).rc, 0);
  kill_then_resume(cat(ais, {"--run.output=" + at("a_b.h5")}), "ais");
  EXPECT_EQ(H5File::open_read(at("a_a.h5")).read_double("/ais/log_w"),
            H5File::open_read(at("a_b.h5")).read_double("/ais/log_w"));
}

TEST_F(Robustness, SigtermOnTwoRanksExitsThreeOnEveryRank) {
  const std::string out = at("m.h5");
  const std::string cmd = quote(kMpiexec) + " -np 2 --allow-run-as-root --oversubscribe " + quote(kBinary) +
                          " train --model.N=4 --sampler.kind=van --van.half_kernel=1 --van.width=4"
                          " --train.steps=100000 --train.batch=16 --quiet --run.output=" + quote(out) +
                          " & mp=$!; for i in $(seq 400); do [ -f " + quote(out) +
                          " ] && break; sleep 0.05; done; sleep 0.5; pkill -TERM -P $mp; wait $mp";
  const Result r = sh(cmd);
  EXPECT_EQ(r.rc, 3) << r.out;
  EXPECT_FALSE(contains(r.out, "MPI_ABORT")) << r.out;
  EXPECT_EQ(H5File::open_read(out).attr_string("/train", "status"), "interrupted");
  // Resuming on another rank count would continue another run: refused by name.
  const Result one = run_rigcs({"train", "--model.N=4", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4",
                                "--train.steps=100000", "--train.batch=16", "--quiet", "--run.output=" + out, "--resume"});
  EXPECT_EQ(one.rc, 1);
  EXPECT_HAS(one.out, "written on 2 ranks");
}

TEST_F(Robustness, AnErrorOnTwoRanksIsPrintedOnce) {
  const Result r = sh(quote(kMpiexec) + " -np 2 --allow-run-as-root --oversubscribe " + quote(kBinary) +
                      " mcmc --model.N=1");
  EXPECT_NE(r.rc, 0);
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = r.out.find("rigcs: error", pos)) != std::string::npos; ++pos) ++n;
  EXPECT_EQ(n, 1u) << r.out;
  EXPECT_FALSE(contains(r.out, "MPI_ABORT")) << r.out;
}

// --- 9. the smaller ones -------------------------------------------------------------

TEST_F(Robustness, CommandLineDetails) {
  // `rigcs train --help` is help, not a refusal.
  Result r = run_rigcs({"train", "--help"});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "train.lr");
  // "--model.N 8" (no '=') is the key and its value, not a deck named 8.
  r = run_rigcs({"exact", "--model.N", "8", "--json"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "\"lnZ\": 60.0763075");  // 8x8 at beta 0.44
  // A deck that is a directory is refused; a byte-order mark is not an invisible error.
  r = run_rigcs({"exact", dir_});
  EXPECT_EQ(r.rc, 1);
  EXPECT_HAS(r.out, "is a directory");
  std::ofstream(at("bom.ini")) << "\xEF\xBB\xBF[model]\nN = 4\n";
  r = run_rigcs({"exact", at("bom.ini"), "--json"});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "15.504726");
  // mcmc and ais write the files `rigcs help` names; --json prints a summary.
  r = sh("cd " + quote(dir_) + " && " + quote(kBinary) + " mcmc --model.N=4 --mcmc.measurements=20 --json");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "\"output\": \"mcmc.h5\"");
  EXPECT_TRUE(fs::exists(at("mcmc.h5")));
  r = sh("cd " + quote(dir_) + " && " + quote(kBinary) + " ais --model.N=4 --ais.steps=3 --ais.trajectories=4 --json");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "\"output\": \"ais.h5\"");
  EXPECT_TRUE(fs::exists(at("ais.h5")));
  r = run_rigcs(cat({"train"}, cat(van(at("m.h5")), {"--json"})));
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "\"status\": \"complete\"");
  r = run_rigcs(cat(cat({"sample"}, cat(van(at("m.h5")), {"--json"})), kSampleArgs));
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_HAS(r.out, "\"appended\": 400");
  // An impossible allocation names the key to lower, without a LibTorch backtrace.
  r = run_rigcs({"train", "--model.N=64", "--sampler.kind=van", "--van.half_kernel=1", "--van.width=4",
                 "--train.batch=100000000", "--train.steps=1", "--run.output=" + at("oom.h5"), "--quiet"});
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_HAS(r.out, "out of memory");
  EXPECT_HAS(r.out, "train.batch");
  EXPECT_FALSE(contains(r.out, "frame #")) << r.out;
}
