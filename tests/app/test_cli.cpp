// The rigcs command line end to end on 1 and 2 MPI ranks: exact, mcmc, analyze,
// and the refusals that protect existing results.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "rigcs/app/command.hpp"
#include "rigcs/exact/enumeration.hpp"
#include "rigcs/exact/kaufman.hpp"
#include "rigcs/io/h5file.hpp"
#include "rigcs/io/run_file.hpp"
#include "rigcs/parallel/mpi_communicator.hpp"
#include "cli_test_util.hpp"

namespace fs = std::filesystem;
using namespace rigcs;
using namespace rigcs::testing;


TEST(Cli, ExactJsonHasTheDocumentedKeys) {
  Cli cli;
  ASSERT_EQ(cli.run({"exact", "--model.N=4", "--model.beta=0.44", "--json"}), 0) << cli.err.str();
  if (!cli.comm->is_root()) return;
  const std::string j = cli.out.str();
  EXPECT_NEAR(json_number(j, "betaF"), -15.50472654, 1e-8);
  EXPECT_NEAR(json_number(j, "lnZ"), 15.50472654, 1e-8);
  for (const char* k : {"f_per_site", "E", "e_per_site", "C", "c_per_site"}) EXPECT_TRUE(std::isfinite(json_number(j, k))) << k;
  EXPECT_NEAR(json_number(j, "e_per_site") * 16, json_number(j, "E"), 1e-12);
}

TEST(Cli, McmcThenAnalyzeAgreesWithEnumeration) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "mcmc");
  const std::string out = dir + "/run.h5";
  for (const std::string algo : {"wolff", "heatbath"}) {
    ASSERT_EQ(cli.run({"mcmc", "--model.N=4", "--model.beta=0.44", "--mcmc.algorithm=" + algo,
                       "--mcmc.thermalization=200", "--mcmc.measurements=20000", "--run.seed=11",
                       "--run.output=" + out, "--overwrite", "--quiet"}),
              0)
        << cli.err.str();
    cli.comm->barrier();
    ASSERT_EQ(cli.run({"analyze", out, "--json"}), 0) << cli.err.str();
    if (cli.comm->is_root()) {
      const auto exact = enumerate_ising({4, 0.44, 1.0});
      const std::string j = cli.out.str();
      const double e = json_field(j, "E", "value"), de = json_field(j, "E", "error");
      EXPECT_GT(de, 0);
      EXPECT_LT(std::abs(e - exact.energy), 4 * de) << algo << ": E = " << e << " +- " << de << " exact " << exact.energy;
      const double m = json_field(j, "abs_m", "value"), dm = json_field(j, "abs_m", "error");
      EXPECT_LT(std::abs(m - exact.abs_m), 4 * dm) << algo;
      EXPECT_GE(json_field(j, "E", "tau_int"), 0.4);
      EXPECT_NEAR(json_field(j, "E_per_site", "value") * 16, e, 1e-9);
      // The file records the run and now holds the results.
      H5File f = H5File::open_read(out);
      const RunHeader h = read_run_header(f);
      EXPECT_EQ(h.kind, "mcmc");
      EXPECT_EQ(h.ranks, cli.comm->size());
      EXPECT_EQ(h.seed, 11u);
      EXPECT_NE(h.deck.find("algorithm = " + algo), std::string::npos);
      EXPECT_EQ(f.dims("/mcmc/energy"), (H5Dims{static_cast<std::uint64_t>(cli.comm->size()), 20000}));
      EXPECT_NEAR(f.attr_double("/results/E", "value"), e, 1e-12 * std::abs(e));
    }
    cli.comm->barrier();
  }
}

TEST(Cli, SameSeedSameOutput) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "repro");
  for (const char* name : {"a.h5", "b.h5"})
    ASSERT_EQ(cli.run({"mcmc", "--model.N=6", "--mcmc.algorithm=sw", "--mcmc.measurements=300",
                       "--run.output=" + dir + "/" + name, "--quiet"}),
              0)
        << cli.err.str();
  if (!cli.comm->is_root()) return;
  EXPECT_EQ(H5File::open_read(dir + "/a.h5").read_double("/mcmc/energy"),
            H5File::open_read(dir + "/b.h5").read_double("/mcmc/energy"));
}

TEST(Cli, ExistingOutputIsKeptWithoutOverwrite) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "keep");
  const std::string out = dir + "/run.h5";
  ASSERT_EQ(cli.run({"mcmc", "--model.N=4", "--mcmc.measurements=100", "--run.output=" + out, "--quiet"}), 0);
  cli.comm->barrier();
  const auto before = fs::file_size(out);
  const auto energy = H5File::open_read(out).read_double("/mcmc/energy");
  EXPECT_NE(cli.run({"mcmc", "--model.N=4", "--mcmc.measurements=50", "--run.output=" + out, "--quiet"}), 0);
  EXPECT_NE(cli.err.str().find("exists; pass --overwrite"), std::string::npos) << cli.err.str();
  EXPECT_EQ(fs::file_size(out), before);
  EXPECT_EQ(H5File::open_read(out).read_double("/mcmc/energy"), energy);
}

TEST(Cli, BadInputGetsANamedError) {
  Cli cli;
  const std::string dir = shared_temp_dir(*cli.comm, "bad");
  EXPECT_EQ(cli.run({"mcmc", "--model.N=1"}), 1);
  EXPECT_NE(cli.err.str().find("model.N"), std::string::npos);
  EXPECT_EQ(cli.run({"frobnicate"}), 1);
  EXPECT_NE(cli.err.str().find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(cli.run({"mcmc", dir + "/no_such_deck.ini"}), 1);
  EXPECT_NE(cli.err.str().find("cannot open deck"), std::string::npos);
  if (cli.comm->is_root()) {
    std::ofstream(dir + "/foreign.h5") << "not an HDF5 file\n";
  }
  cli.comm->barrier();
  // Rank 0 analyses; every rank reports its failure.
  EXPECT_EQ(cli.run({"analyze", dir + "/foreign.h5"}), 1);
  EXPECT_NE(cli.err.str().find("foreign.h5"), std::string::npos) << cli.err.str();
  EXPECT_EQ(cli.run({"help", "mcmc"}), 0);
  if (cli.comm->is_root()) {
    EXPECT_NE(cli.out.str().find("mcmc.algorithm"), std::string::npos);
  }
}
