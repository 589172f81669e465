// HDF5 files: round trips, appendable datasets, atomic writes, run headers, and the
// errors a user sees for missing, foreign, truncated and non-HDF5 files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "rigcs/core/build_info.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"

namespace fs = std::filesystem;

namespace rigcs {
namespace {

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("rigcs_test_io_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (fs::exists(dir_ / "mnt", ec))  // a tmpfs left mounted by a failed check
      if (std::system(("umount '" + (dir_ / "mnt").string() + "' 2>/dev/null").c_str()) != 0) {}
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// Runs f and returns the rigcs::Error message it throws (fails the test if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected rigcs::Error, got std::exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected rigcs::Error, nothing was thrown";
  return {};
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

// --- datasets --------------------------------------------------------------------------

TEST_F(IoTest, RoundTripOfEveryTypeAndShape) {
  const std::string p = path("types.h5");
  const std::vector<double> d{1.5, -2.25, 1e-300, std::numeric_limits<double>::max(), 0.0, 3.0};
  const std::vector<float> f{1.5f, -2.5f, 3.25f, 0.125f};
  const std::vector<std::int64_t> i{0, -1, std::numeric_limits<std::int64_t>::max(),
                                    std::numeric_limits<std::int64_t>::min()};
  std::vector<std::int8_t> s(2 * 3 * 3);
  for (std::size_t k = 0; k < s.size(); ++k) s[k] = (k % 3 == 0) ? 1 : -1;
  {
    H5File file = H5File::create(p);
    file.write("/a/d", d);
    file.write("a/d2", d, {2, 3});
    file.write("/b/c/f", f, {2, 2});
    file.write("/i", i);
    file.write("/samples/spins", s, {2, 3, 3});
    file.write("/empty", std::vector<double>{});
    file.write("/rng/mcmc", std::vector<std::uint64_t>{0, 1, 18446744073709551615ULL, 42});
    file.write("/rng/torch", std::vector<std::uint8_t>{0, 255, 7});
  }
  const H5File file = H5File::open_read(p);
  EXPECT_EQ(file.read_double("/a/d"), d);
  EXPECT_EQ(file.read_double("/a/d2"), d);
  EXPECT_EQ(file.read_float("/b/c/f"), f);
  EXPECT_EQ(file.read_int64("/i"), i);
  EXPECT_EQ(file.read_int8("/samples/spins"), s);
  EXPECT_TRUE(file.read_double("/empty").empty());
  EXPECT_EQ(file.read_uint64("/rng/mcmc"), (std::vector<std::uint64_t>{0, 1, 18446744073709551615ULL, 42}));
  EXPECT_EQ(file.read_uint8("/rng/torch"), (std::vector<std::uint8_t>{0, 255, 7}));
  EXPECT_EQ(file.dims("/a/d"), (H5Dims{6}));
  EXPECT_EQ(file.dims("/a/d2"), (H5Dims{2, 3}));
  EXPECT_EQ(file.dims("/samples/spins"), (H5Dims{2, 3, 3}));
  EXPECT_EQ(file.dims("/empty"), (H5Dims{0}));
  // Conversion within a type class: float32 and int8 widen exactly.
  EXPECT_EQ(file.read_double("/b/c/f"), (std::vector<double>{1.5, -2.5, 3.25, 0.125}));
  EXPECT_EQ(file.read_int64("/samples/spins")[1], -1);
}

TEST_F(IoTest, GroupsAreCreatedOnDemandAndListed) {
  H5File file = H5File::create(path("groups.h5"));
  file.write("/mcmc/energy", std::vector<double>{1.0});
  file.write("/mcmc/m", std::vector<double>{1.0});
  file.create_group("/results/log_z");
  file.create_group("/results");  // existing: no-op
  EXPECT_TRUE(file.exists("/mcmc"));
  EXPECT_TRUE(file.exists("mcmc/energy"));
  EXPECT_TRUE(file.exists("/"));
  EXPECT_FALSE(file.exists("/mcmc/abs_m"));
  EXPECT_FALSE(file.exists("/mcmc/energy/x"));  // below a dataset
  EXPECT_FALSE(file.exists("/nothing/here"));
  EXPECT_TRUE(file.is_group("/mcmc"));
  EXPECT_FALSE(file.is_group("/mcmc/energy"));
  EXPECT_TRUE(file.is_dataset("/mcmc/energy"));
  EXPECT_EQ(file.list("/"), (std::vector<std::string>{"mcmc", "results"}));
  EXPECT_EQ(file.list("/mcmc"), (std::vector<std::string>{"energy", "m"}));
  EXPECT_EQ(file.list("/results"), (std::vector<std::string>{"log_z"}));
  file.remove("/mcmc/m");
  EXPECT_FALSE(file.exists("/mcmc/m"));
  EXPECT_CONTAINS(error_of([&] { file.list("/nope"); }), "/nope");
  EXPECT_CONTAINS(error_of([&] { file.create_group("/mcmc/energy"); }), "dataset");
}

TEST_F(IoTest, WriteRefusesExistingDatasetAndReplaceRewritesIt) {
  const std::string p = path("replace.h5");
  H5File file = H5File::create(p);
  file.write("/weights/conv", std::vector<float>{1, 2, 3, 4}, {2, 2});
  const std::string msg = error_of([&] { file.write("/weights/conv", std::vector<float>{5, 6, 7, 8}, {2, 2}); });
  EXPECT_CONTAINS(msg, "/weights/conv");
  EXPECT_CONTAINS(msg, p);
  EXPECT_CONTAINS(msg, "replace");
  // Same shape and type: in place.
  file.replace("/weights/conv", std::vector<float>{5, 6, 7, 8}, {2, 2});
  EXPECT_EQ(file.read_float("/weights/conv"), (std::vector<float>{5, 6, 7, 8}));
  // New shape and type: recreated.
  file.replace("/weights/conv", std::vector<double>{1, 2, 3}, {3});
  EXPECT_EQ(file.read_double("/weights/conv"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(file.dims("/weights/conv"), (H5Dims{3}));
  // replace of a new dataset is a plain write.
  file.replace("/weights/new", std::vector<std::int64_t>{7});
  EXPECT_EQ(file.read_int64("/weights/new"), (std::vector<std::int64_t>{7}));
}

TEST_F(IoTest, DatasetErrorsNameFileAndDataset) {
  const std::string p = path("errors.h5");
  H5File file = H5File::create(p);
  file.write("/x", std::vector<double>{1.0, 2.0});
  std::string msg = error_of([&] { file.read_double("/missing"); });
  EXPECT_CONTAINS(msg, "/missing");
  EXPECT_CONTAINS(msg, p);
  msg = error_of([&] { file.read_int64("/x"); });  // float data as integers
  EXPECT_CONTAINS(msg, "/x");
  EXPECT_CONTAINS(msg, "float64");
  EXPECT_CONTAINS(msg, p);
  msg = error_of([&] { file.write("/y", std::vector<double>{1, 2, 3}, {2, 2}); });
  EXPECT_CONTAINS(msg, "/y");
  EXPECT_CONTAINS(msg, "(2, 2)");
  EXPECT_CONTAINS(error_of([&] { file.read_double("/"); }), "group");
  file.close();
  EXPECT_FALSE(file.is_open());
  EXPECT_CONTAINS(error_of([&] { file.read_double("/x"); }), "no file is open");

  H5File ro = H5File::open_read(p);
  msg = error_of([&] { ro.write("/z", std::vector<double>{1.0}); });
  EXPECT_CONTAINS(msg, "read-only");
  EXPECT_CONTAINS(msg, p);
}

TEST_F(IoTest, CreateRefusesExistingFileAndOpenRwAddsData) {
  const std::string p = path("exists.h5");
  { H5File::create(p).write("/a", std::vector<double>{1.0}); }
  EXPECT_CONTAINS(error_of([&] { H5File::create(p); }), p);
  {
    H5File file = H5File::open_rw(p);
    file.write("/b", std::vector<double>{2.0});
  }
  const H5File file = H5File::open_read(p);
  EXPECT_EQ(file.read_double("/a"), (std::vector<double>{1.0}));
  EXPECT_EQ(file.read_double("/b"), (std::vector<double>{2.0}));
}

TEST_F(IoTest, FilesMoveAndClose) {
  const std::string p = path("move.h5");
  H5File a = H5File::create(p);
  a.write("/v", std::vector<double>{3.0});
  H5File b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): moved-from is closed
  EXPECT_TRUE(b.is_open());
  H5File c;
  c = std::move(b);
  EXPECT_EQ(c.read_double("/v"), (std::vector<double>{3.0}));
  EXPECT_EQ(c.path(), p);
  c = H5File();  // closes
  EXPECT_EQ(H5File::open_read(p).read_double("/v"), (std::vector<double>{3.0}));
}

// --- attributes ------------------------------------------------------------------------

TEST_F(IoTest, AttributesRoundTripAndReplace) {
  const std::string p = path("attrs.h5");
  const std::string deck = std::string(100000, 'x') + "\n[mcmc]\nbeta = 0.44\n";
  {
    H5File file = H5File::create(p);
    file.write("/results/log_z/samples", std::vector<double>{1.0});
    file.create_group("/model");
    file.set_attr("/", "format", "rigcs-run");
    file.set_attr("/", "deck", deck);  // longer than the 64 KiB object-header limit
    file.set_attr("/", "empty", std::string());
    file.set_attr("/", "beta", 0.44);
    file.set_attr("/", "n", 16);
    file.set_attr("/", "big", std::int64_t{-(1LL << 60)});
    file.set_attr("/", "seed", std::uint64_t{18446744073709551615ULL});
    file.set_attr("/results/log_z", "value", -123.456);
    file.set_attr("/results/log_z", "n", std::size_t{1000000});
    file.set_attr("/results/log_z/samples", "unit", "nats");
    file.set_attr("/model", "shape", std::vector<double>{16, 16});
    file.set_attr("/model", "none", std::vector<double>{});
    file.set_attr("/model", "symmetrise", true);
    file.set_attr("/model", "half", 0.5f);
    file.set_attr("/", "beta", 0.5);  // replaces
    file.set_attr("/", "n", "sixteen");  // replaces with another type
  }
  const H5File file = H5File::open_read(p);
  EXPECT_EQ(file.attr_string("/", "format"), "rigcs-run");
  EXPECT_EQ(file.attr_string("/", "deck"), deck);
  EXPECT_EQ(file.attr_string("/", "empty"), "");
  EXPECT_EQ(file.attr_double("/", "beta"), 0.5);
  EXPECT_EQ(file.attr_string("/", "n"), "sixteen");
  EXPECT_EQ(file.attr_int64("/", "big"), -(1LL << 60));
  EXPECT_EQ(file.attr_double("/", "big"), -std::ldexp(1.0, 60));
  EXPECT_EQ(file.attr_uint64("/", "seed"), 18446744073709551615ULL);
  EXPECT_EQ(file.attr_double("/results/log_z", "value"), -123.456);
  EXPECT_EQ(file.attr_int64("/results/log_z", "n"), 1000000);
  EXPECT_EQ(file.attr_uint64("/results/log_z", "n"), 1000000u);
  EXPECT_EQ(file.attr_string("/results/log_z/samples", "unit"), "nats");
  EXPECT_EQ(file.attr_doubles("/model", "shape"), (std::vector<double>{16, 16}));
  EXPECT_TRUE(file.attr_doubles("/model", "none").empty());
  EXPECT_EQ(file.attr_int64("/model", "symmetrise"), 1);
  EXPECT_EQ(file.attr_double("/model", "half"), 0.5);
  EXPECT_TRUE(file.has_attr("/", "deck"));
  EXPECT_FALSE(file.has_attr("/", "nope"));
  EXPECT_FALSE(file.has_attr("/no/such/group", "deck"));
  EXPECT_EQ(file.attr_names("/"),
            (std::vector<std::string>{"beta", "big", "deck", "empty", "format", "n", "seed"}));

  // Errors name the attribute, the object and the file.
  std::string msg = error_of([&] { file.attr_double("/results/log_z", "error"); });
  EXPECT_CONTAINS(msg, "'error'");
  EXPECT_CONTAINS(msg, "/results/log_z");
  EXPECT_CONTAINS(msg, p);
  msg = error_of([&] { file.attr_int64("/", "seed"); });  // too large for int64
  EXPECT_CONTAINS(msg, "seed");
  EXPECT_CONTAINS(error_of([&] { file.attr_uint64("/", "big"); }), "big");  // negative
  EXPECT_CONTAINS(error_of([&] { file.attr_int64("/", "beta"); }), "float64");
  EXPECT_CONTAINS(error_of([&] { file.attr_string("/", "beta"); }), "not a string");
  EXPECT_CONTAINS(error_of([&] { file.attr_double("/", "format"); }), "string");
  EXPECT_CONTAINS(error_of([&] { file.attr_double("/model", "shape"); }), "2 values");
  EXPECT_CONTAINS(error_of([&] { file.attr_string("/nowhere", "x"); }), "/nowhere");
}

// --- appendable datasets ---------------------------------------------------------------

TEST_F(IoTest, AppendInChunksThenReadBack) {
  const std::string p = path("append.h5");
  const int n = 4;
  std::vector<double> energy;
  std::vector<std::int8_t> spins;
  std::vector<std::int64_t> steps;
  {
    H5File file = H5File::create(p);
    // Batches of different sizes, including empty ones, and more rows than one chunk.
    for (int batch : {3, 0, 1, 7, 5000}) {
      std::vector<double> e(batch);
      std::vector<std::int8_t> s(static_cast<std::size_t>(batch) * n * n);
      std::vector<std::int64_t> t(batch);
      for (int b = 0; b < batch; ++b) {
        e[b] = -2.0 * static_cast<double>(energy.size() + b);
        t[b] = static_cast<std::int64_t>(steps.size() + b);
      }
      for (std::size_t k = 0; k < s.size(); ++k) s[k] = ((k * 7 + spins.size()) % 5 < 2) ? 1 : -1;
      file.append("/samples/minus_beta_H", e);
      file.append_int8("/samples/spins", s, {n, n});
      file.append("/train/history/step", t);
      energy.insert(energy.end(), e.begin(), e.end());
      spins.insert(spins.end(), s.begin(), s.end());
      steps.insert(steps.end(), t.begin(), t.end());
    }
  }
  {  // Reopened later, the datasets keep growing.
    H5File file = H5File::open_rw(p);
    const std::vector<double> e{0.5, 0.25};
    file.append("/samples/minus_beta_H", e);
    energy.insert(energy.end(), e.begin(), e.end());
    file.append("/mcmc/m", std::vector<float>{1, 2, 3, 4, 5, 6}, {3});
    file.append("/mcmc/m", std::vector<float>{7, 8, 9}, {3});
  }
  const H5File file = H5File::open_read(p);
  EXPECT_EQ(file.read_double("/samples/minus_beta_H"), energy);
  EXPECT_EQ(file.read_int8("/samples/spins"), spins);
  EXPECT_EQ(file.read_int64("/train/history/step"), steps);
  EXPECT_EQ(file.dims("/samples/spins"), (H5Dims{5011, n, n}));
  EXPECT_EQ(file.dims("/samples/minus_beta_H"), (H5Dims{5013}));
  EXPECT_EQ(file.dims("/mcmc/m"), (H5Dims{3, 3}));
  EXPECT_EQ(file.read_float("/mcmc/m"), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(IoTest, AppendChecksShapesAndTypes) {
  const std::string p = path("append_errors.h5");
  H5File file = H5File::create(p);
  file.append_int8("/spins", std::vector<std::int8_t>(32, 1), {4, 4});
  std::string msg = error_of([&] { file.append_int8("/spins", std::vector<std::int8_t>(18, 1), {3, 3}); });
  EXPECT_CONTAINS(msg, "/spins");
  EXPECT_CONTAINS(msg, "(4, 4)");
  EXPECT_CONTAINS(msg, p);
  msg = error_of([&] { file.append_int8("/spins", std::vector<std::int8_t>(17, 1), {4, 4}); });
  EXPECT_CONTAINS(msg, "17");
  EXPECT_CONTAINS(error_of([&] { file.append("/spins", std::vector<double>(16, 1.0), {4, 4}); }), "int8");
  file.write("/fixed", std::vector<double>{1, 2});
  EXPECT_CONTAINS(error_of([&] { file.append("/fixed", std::vector<double>{3}); }), "append");
  // An empty first append creates the dataset with its row shape.
  file.append("/log_q", std::vector<double>{}, {});
  EXPECT_EQ(file.dims("/log_q"), (H5Dims{0}));
}

// A job killed halfway keeps every complete append.
TEST_F(IoTest, AppendSurvivesAKilledWriter) {
  const std::string p = path("killed.h5");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      H5File file = H5File::create(p);
      for (int batch = 0; batch < 3; ++batch) {
        file.append("/samples/log_q", std::vector<double>(10, -1.0 * batch));
        file.append_int8("/samples/spins", std::vector<std::int8_t>(10 * 4, 1), {2, 2});
      }
      std::raise(SIGKILL);  // no close, no destructors
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  const H5File file = H5File::open_read(p);
  const std::vector<double> log_q = file.read_double("/samples/log_q");
  ASSERT_EQ(log_q.size(), 30u);
  EXPECT_EQ(log_q[29], -2.0);
  EXPECT_EQ(file.dims("/samples/spins"), (H5Dims{30, 2, 2}));
}

// --- full disks (issue 10, item 1) -----------------------------------------------------

// Appends rounds of a two-column row group the way rigcs sample does: columns, then
// the counter. Returns the number of rounds that committed before an exception.
int append_rounds(H5File& f, int rounds) {
  int done = 0;
  try {
    for (int r = 0; r < rounds; ++r) {
      f.append("/g/a", std::vector<double>(10, r));
      f.append("/g/last", std::vector<double>(10, r));
      commit_rows(f, "/g", static_cast<std::uint64_t>(10 * (r + 1)), r + 1);
      ++done;
    }
  } catch (const Error&) {
  }
  return done;
}

TEST_F(IoTest, InjectedWriteFaultLeavesAConsistentShorterFile) {
  const std::string p = path("full.h5");
  {
    H5File f = H5File::create(p);
    f.create_group("/g");
    commit_rows(f, "/g", 0, 0);
    // The disk fills in the third round (8 writes a round: 2 per append with its flush,
    // 4 for the counter): one column of it is on disk, the other not.
    inject_write_fault(2 * 8 + 2);
    EXPECT_EQ(append_rounds(f, 5), 2);
    const std::string msg = error_of([&] { f.append("/g/a", std::vector<double>(1, 0.0)); });
    EXPECT_CONTAINS(msg, "No space left on device");
    EXPECT_CONTAINS(msg, "/g/a");
    inject_write_fault(-1);
  }  // closing is not a crash
  H5File f = H5File::open_rw(p);
  // The reader trusts the counter, not the longest column.
  EXPECT_EQ(counted_rows(f, "/g", "last", {"a", "last"}), 20u);
  EXPECT_EQ(f.attr_int64("/g", "rounds_done"), 2);
  EXPECT_EQ(f.dims("/g/a"), H5Dims{30});
  // A resumed run cuts the columns back to the counted rows, then appends on.
  cut_to_rows(f, "/g", {"a", "last"}, 20);
  EXPECT_EQ(f.dims("/g/a"), H5Dims{20});
  EXPECT_EQ(f.dims("/g/last"), H5Dims{20});
  f.append("/g/a", std::vector<double>(10, 7.0));
  EXPECT_EQ(f.read_double("/g/a")[20], 7.0);
  // A counter ahead of a column is a damaged file, named as such.
  f.set_attr("/g", "rows", std::int64_t{100});
  EXPECT_CONTAINS(error_of([&] { counted_rows(f, "/g", "last", {"a", "last"}); }), "damaged");
  // So is a column shorter than the rows a resume would continue after.
  EXPECT_CONTAINS(error_of([&] { cut_to_rows(f, "/g", {"a", "last"}, 25); }), "damaged");
}

TEST_F(IoTest, FilesWithoutARowCounterCountTheLastColumn) {
  const std::string p = path("old.h5");
  H5File f = H5File::create(p);
  f.append("/g/a", std::vector<double>(12, 1.0));
  f.append("/g/last", std::vector<double>(8, 1.0));
  EXPECT_EQ(counted_rows(f, "/g", "last", {"a", "last"}), 8u);
}

// A real full file system: a 2 MiB tmpfs (needs root and mount; skipped elsewhere).
TEST_F(IoTest, RealFullDiskFailsCleanlyBeforeHdf5Writes) {
  const fs::path mnt = dir_ / "mnt";
  fs::create_directories(mnt);
  const std::string cmd = "mount -t tmpfs -o size=2m tmpfs '" + mnt.string() + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string p = (mnt / "full.h5").string();
  int done = 0;
  std::string msg;
  {
    H5File f = H5File::create(p);
    f.create_group("/g");
    try {
      for (int r = 0; r < 100; ++r) {
        f.append("/g/a", std::vector<double>(20000, r));
        f.append("/g/last", std::vector<double>(20000, r));
        commit_rows(f, "/g", static_cast<std::uint64_t>(20000 * (r + 1)), r + 1);
        ++done;
      }
    } catch (const Error& e) {
      msg = e.what();
    }
  }
  EXPECT_CONTAINS(msg, "No space left on device");
  EXPECT_LT(done, 100);
  {
    const H5File f = H5File::open_read(p);
    const std::uint64_t rows = counted_rows(f, "/g", "last", {"a", "last"});
    EXPECT_EQ(rows, static_cast<std::uint64_t>(20000 * done));
    if (rows > 0) {
      EXPECT_EQ(f.read_double("/g/last")[rows - 1], done - 1.0);
    }
  }
  EXPECT_EQ(std::system(("umount '" + mnt.string() + "'").c_str()), 0);
}

// --- atomic writes ---------------------------------------------------------------------

TEST_F(IoTest, AtomicWriterShowsTheFileOnlyAfterCommit) {
  const std::string target = path("run.h5");
  {
    AtomicH5Writer w(target);
    w.file().write("/x", std::vector<double>{1.0, 2.0});
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(fs::exists(w.temp_path()));
    EXPECT_EQ(w.temp_path().rfind(target + ".tmp.", 0), 0u);
    w.commit();
    EXPECT_TRUE(w.committed());
    EXPECT_FALSE(fs::exists(w.temp_path()));
    EXPECT_TRUE(fs::exists(target));
  }
  EXPECT_EQ(H5File::open_read(target).read_double("/x"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(IoTest, AtomicWriterRemovesTheTempFileOnFailure) {
  const std::string target = path("failed.h5");
  std::string temp;
  try {
    AtomicH5Writer w(target);
    temp = w.temp_path();
    w.file().write("/x", std::vector<double>{1.0});
    throw Error("the run failed");
  } catch (const Error&) {
  }
  EXPECT_FALSE(temp.empty());
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(IoTest, AtomicWriterRefusesExistingTargetUnlessOverwrite) {
  const std::string target = path("old.h5");
  {
    AtomicH5Writer w(target);
    w.file().write("/x", std::vector<double>{1.0});
    w.commit();
  }
  const std::string msg = error_of([&] { AtomicH5Writer w(target); });
  EXPECT_CONTAINS(msg, target);
  EXPECT_CONTAINS(msg, "--overwrite");
  EXPECT_EQ(H5File::open_read(target).read_double("/x"), (std::vector<double>{1.0}));
  {  // Abandoned overwrite: the old file stays as it was.
    AtomicH5Writer w(target, /*overwrite=*/true);
    w.file().write("/x", std::vector<double>{2.0});
  }
  EXPECT_EQ(H5File::open_read(target).read_double("/x"), (std::vector<double>{1.0}));
  {
    AtomicH5Writer w(target, /*overwrite=*/true);
    w.file().write("/x", std::vector<double>{3.0});
    w.commit();
  }
  EXPECT_EQ(H5File::open_read(target).read_double("/x"), (std::vector<double>{3.0}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

// --- run header and damaged files ------------------------------------------------------

RunHeader example_header() {
  RunHeader h;
  h.kind = "mcmc";
  h.deck = "[lattice]\nn = 16\n[mcmc]\nbeta = 0.44\nalgorithm = wolff\n";
  h.seed = 12345678901234ULL;
  h.ranks = 4;
  h.start_time = "2024-05-01T12:34:56Z";
  return h;
}

TEST_F(IoTest, RunHeaderRoundTrip) {
  const std::string p = path("header.h5");
  {
    H5File file = H5File::create(p);
    write_run_header(file, example_header());
    file.append("/mcmc/energy", std::vector<double>{-1.0, -2.0});
  }
  RunHeader h = read_run_header(p);
  EXPECT_EQ(h.kind, "mcmc");
  EXPECT_EQ(h.deck, example_header().deck);
  EXPECT_EQ(h.seed, 12345678901234ULL);
  EXPECT_EQ(h.ranks, 4);
  EXPECT_EQ(h.start_time, "2024-05-01T12:34:56Z");
  EXPECT_EQ(h.end_time, "");  // run not finished
  EXPECT_EQ(h.program_version, std::string(rigcs::version()));
  EXPECT_EQ(h.git_hash, std::string(rigcs::git_hash()));
  EXPECT_EQ(h.schema_version, run_schema_version);
  {
    H5File file = H5File::open_rw(p);
    write_run_end_time(file, "2024-05-01T13:00:00Z");
  }
  h = read_run_header(p);
  EXPECT_EQ(h.end_time, "2024-05-01T13:00:00Z");
  const H5File file = H5File::open_read(p);
  EXPECT_EQ(file.attr_string("/", "format"), "rigcs-run");
  EXPECT_EQ(file.attr_int64("/", "schema_version"), 1);
}

TEST_F(IoTest, UtcTimeIsIso8601) {
  const std::string t = utc_now_iso8601();
  EXPECT_TRUE(std::regex_match(t, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << t;
  EXPECT_EQ(RunHeader().start_time.size(), t.size());
}

TEST_F(IoTest, ForeignHdf5FileIsRefused) {
  const std::string p = path("foreign.h5");
  {
    H5File file = H5File::create(p);
    file.write("/data", std::vector<double>{1.0});
    file.set_attr("/", "creator", "someone else");
  }
  EXPECT_CONTAINS(error_of([&] { read_run_header(p); }), "not a rigcs run file: " + p);
  {  // a format tag of another program
    H5File file = H5File::open_rw(p);
    file.set_attr("/", "format", "triqs");
  }
  const std::string msg = error_of([&] { read_run_header(p); });
  EXPECT_CONTAINS(msg, "not a rigcs run file: " + p);
  EXPECT_CONTAINS(msg, "triqs");
}

TEST_F(IoTest, NewerSchemaVersionIsRefused) {
  const std::string p = path("future.h5");
  {
    H5File file = H5File::create(p);
    write_run_header(file, example_header());
    file.set_attr("/", "schema_version", run_schema_version + 1);
  }
  const std::string msg = error_of([&] { read_run_header(p); });
  EXPECT_CONTAINS(msg, p);
  EXPECT_CONTAINS(msg, "schema version " + std::to_string(run_schema_version + 1));
  EXPECT_CONTAINS(msg, "up to " + std::to_string(run_schema_version));
}

TEST_F(IoTest, TruncatedFileIsRefusedClearly) {
  const std::string p = path("truncated.h5");
  {
    H5File file = H5File::create(p);
    write_run_header(file, example_header());
    file.write("/samples/log_q", std::vector<double>(20000, -3.0));
  }
  fs::resize_file(p, fs::file_size(p) / 2);
  for (auto open : {&H5File::open_read, &H5File::open_rw}) {
    const std::string msg = error_of([&] { open(p); });
    EXPECT_CONTAINS(msg, p);
    EXPECT_CONTAINS(msg, "truncated");
  }
  EXPECT_CONTAINS(error_of([&] { read_run_header(p); }), p);
}

TEST_F(IoTest, NonHdf5FilesAreRefusedClearly) {
  const std::string text = path("deck.ini");
  std::ofstream(text) << "[mcmc]\nbeta = 0.44\n";
  std::string msg = error_of([&] { H5File::open_read(text); });
  EXPECT_CONTAINS(msg, text);
  EXPECT_CONTAINS(msg, "not an HDF5 file");
  EXPECT_CONTAINS(error_of([&] { read_run_header(text); }), "not an HDF5 file");

  const std::string empty = path("empty.h5");
  std::ofstream(empty).close();
  EXPECT_CONTAINS(error_of([&] { H5File::open_read(empty); }), empty);

  const std::string missing = path("missing.h5");
  msg = error_of([&] { H5File::open_read(missing); });
  EXPECT_CONTAINS(msg, missing);
  EXPECT_CONTAINS(msg, "no such file");
  EXPECT_CONTAINS(error_of([&] { H5File::open_read(dir_.string()); }), "not a regular file");
  EXPECT_CONTAINS(error_of([&] { H5File::create(path("no/such/dir/x.h5")); }), "no/such/dir/x.h5");
}

}  // namespace
}  // namespace rigcs
