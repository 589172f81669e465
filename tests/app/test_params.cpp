// Decks: declared keys only, typed, in range; every malformed deck gets a message
// that names the key and what is allowed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rigcs/app/command.hpp"
#include "rigcs/app/params.hpp"
#include "rigcs/core/error.hpp"

using namespace rigcs;

namespace {

ParamRegistry test_registry() {
  ParamRegistry r;
  declare_model_keys(r);
  declare_run_keys(r, "out.h5");
  r.add_string("mcmc.algorithm", "wolff", "update", {"metropolis", "heatbath", "wolff", "sw"});
  r.add_int_list("train.stage_steps", "500,500", 1, 1000000, "steps per stage");
  return r;
}

std::string error_of(const std::string& deck, const std::vector<std::string>& overrides = {}) {
  try {
    test_registry().parse_text(deck, "in test.ini", overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The source tree, from CTest's environment (or the working directory when run by hand).
std::string source_dir() {
  const char* d = std::getenv("RIGCS_SOURCE_DIR");
  return d ? d : ".";
}

}  // namespace

TEST(Params, DefaultsAndOverrides) {
  Params p = test_registry().parse_text("[model]\nN = 8  # comment\nbeta = 0.3\n", "in t.ini",
                                        {"model.beta=0.5", "train.stage_steps=1, 2,3"});
  EXPECT_EQ(p.get_int("model.N"), 8);
  EXPECT_DOUBLE_EQ(p.get_real("model.beta"), 0.5);  // command line wins
  EXPECT_DOUBLE_EQ(p.get_real("model.J"), 1.0);     // default
  EXPECT_EQ(p.get_string("mcmc.algorithm"), "wolff");
  EXPECT_EQ(p.get_int_list("train.stage_steps"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(p.is_set("model.N"));
  EXPECT_FALSE(p.is_set("model.J"));
  // The echoed deck reads back to the same parameters.
  Params q = test_registry().parse_text(p.to_deck_text(), "echo", {});
  EXPECT_EQ(q.to_deck_text(), p.to_deck_text());
}

struct BadDeck {
  std::string deck;
  std::vector<std::string> overrides;
  std::vector<std::string> expected;  // substrings the message must contain
};

TEST(Params, MalformedDecksAreRefusedWithAClearMessage) {
  const std::vector<BadDeck> table = {
      {"[model]\nNN = 8\n", {}, {"unknown key 'model.NN'", "did you mean 'model.N'"}},
      {"[modle]\nN = 8\n", {}, {"unknown key 'modle.N'", "model.N"}},
      {"", {"model.betta=0.4"}, {"unknown key 'model.betta'", "on the command line", "model.beta"}},
      {"[model]\nN = eight\n", {}, {"model.N = 'eight'", "not an integer", "integer in [2, 4096]"}},
      {"[model]\nN = 8.5\n", {}, {"model.N", "not an integer"}},
      {"[model]\nN = 1\n", {}, {"model.N = '1'", "out of range", "[2, 4096]"}},
      {"[model]\nbeta = -0.1\n", {}, {"model.beta", "out of range", "(0, 1000]"}},
      {"[model]\nbeta = 0\n", {}, {"model.beta", "out of range"}},
      {"[model]\nbeta = nan\n", {}, {"model.beta", "not a finite real number"}},
      {"[mcmc]\nalgorithm = glauber\n", {}, {"mcmc.algorithm = 'glauber'", "one of: metropolis, heatbath, wolff, sw"}},
      {"[run]\noverwrite = maybe\n", {}, {"run.overwrite", "not a boolean"}},
      {"[train]\nstage_steps = 5, x\n", {}, {"train.stage_steps", "element 'x'"}},
      {"[train]\nstage_steps = 5, 0\n", {}, {"train.stage_steps", "out of range"}},
      {"[model]\nN = 8\nN = 16\n", {}, {"model.N", "more than once"}},
      {"", {"model.N"}, {"--model.N", "needs a value"}},
  };
  for (const auto& bad : table) {
    const std::string msg = error_of(bad.deck, bad.overrides);
    ASSERT_FALSE(msg.empty()) << "accepted: " << bad.deck;
    for (const auto& want : bad.expected)
      EXPECT_NE(msg.find(want), std::string::npos) << "message '" << msg << "' lacks '" << want << "'";
  }
}

TEST(Params, MissingDeckFileIsNamed) {
  try {
    test_registry().parse("/nonexistent/deck.ini", {});
    FAIL() << "missing deck accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open deck '/nonexistent/deck.ini'"), std::string::npos) << e.what();
  }
}

TEST(Params, EveryCommandDeclaresHelpForEveryKey) {
  for (const auto& c : all_commands()) {
    ParamRegistry r;
    c.declare(r);
    for (const auto& s : r.specs()) {
      EXPECT_FALSE(s.help.empty()) << c.name << ": " << s.key;
      // The default itself must be valid.
      EXPECT_NO_THROW(r.parse_text("", "defaults", {})) << c.name;
    }
  }
}

TEST(Params, ExampleDecksParse) {
  // Every deck under input/ is valid: one deck serves all commands of a job.
  const std::filesystem::path input = std::filesystem::path(source_dir()) / "input";
  const ParamRegistry reg = full_registry();
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(input)) {
    if (entry.path().extension() != ".ini") continue;
    EXPECT_NO_THROW(reg.parse(entry.path().string(), {})) << entry.path();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}
