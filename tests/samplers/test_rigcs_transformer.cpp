// RiGCS with transformer conditionals (issue 13, paper appendix H.3), both contexts
// (the CNN's window, and the whole lattice with a causal mask over the level order):
// log q returned by sample equals log_prob and the plain reference (the net run per site
// on what was known when it was drawn); the model is normalised; a later site never
// changes an earlier logit; the checkpointed gradient equals autograd through the
// reference; model transfer copies every transformer tensor and refuses mismatched
// shapes, naming them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "samplers/sampler_test_util.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/nn/conditional_transformer.hpp"
#include "rigcs/nn/level_transformer.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/van.hpp"

using rigcs::ConditionalKind;
using rigcs::RigcsOptions;
using rigcs::RigcsSampler;
using rigcs::SubLevel;
using rigcs::TransformerContext;

using namespace rigcs::testing;

namespace {

// A small transformer (the paper's size is checked once, on 4x4).
RigcsOptions options_of(TransformerContext context, int n0, int blocks, int depth = 2, int heads = 2, int width = 8,
                        int ff = 16) {
  RigcsOptions o;
  o.transformer_context = context;
  o.coarsest_size = n0;
  o.blocks = blocks;
  o.conditional = ConditionalKind::Transformer;
  o.transformer_depth = depth;
  o.transformer_heads = heads;
  o.transformer_width = width;
  o.transformer_ff = ff;
  return o;
}

// Random weights of unit scale, so that the conditionals are far from 1/2.
void randomise(RigcsSampler& q, std::uint64_t seed, double scale = 0.5) {
  torch::NoGradGuard no_grad;
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
  for (auto& p : q.named_parameters()) {
    if (p.first.rfind("coarse.", 0) == 0) continue;
    p.second.copy_(torch::randn(p.second.sizes(), gen, p.second.options()) * scale);
  }
}

// The parameters of one level's net ("block0.a." ...), by name.
std::map<std::string, torch::Tensor> level_tensors(RigcsSampler& q, const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : q.named_parameters())
    if (p.first.rfind(prefix, 0) == 0) out[p.first.substr(prefix.size())] = p.second;
  return out;
}

bool same_level(RigcsSampler& a, const std::string& pa, RigcsSampler& b, const std::string& pb) {
  auto ta = level_tensors(a, pa), tb = level_tensors(b, pb);
  if (ta.empty() || ta.size() != tb.size()) return false;
  for (auto& [name, t] : ta)
    if (!tb.count(name) || !torch::equal(t, tb[name])) return false;
  return true;
}

class RigcsTransformer : public ::testing::TestWithParam<TransformerContext> {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(13);
  }
  RigcsOptions options(int n0, int blocks, int depth = 2, int heads = 2, int width = 8, int ff = 16) {
    return options_of(GetParam(), n0, blocks, depth, heads, width, ff);
  }
};

std::string context_name(const ::testing::TestParamInfo<TransformerContext>& info) {
  return info.param == TransformerContext::Window ? "Window" : "Lattice";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Contexts, RigcsTransformer,
                         ::testing::Values(TransformerContext::Window, TransformerContext::Lattice), context_name);

TEST(RigcsWindowTransformer, NamesAndPathChoice) {
  auto options = [](int n0, int blocks) { return options_of(TransformerContext::Window, n0, blocks); };
  RigcsSampler q(options(2, 2), exact_coarse(2, 0.3));
  EXPECT_FALSE(q.uses_incremental_path());
  EXPECT_FALSE(q.uses_incremental_gradient());
  EXPECT_THROW(q.net(0, SubLevel::A), rigcs::Error);
  EXPECT_NO_THROW(q.transformer(1, SubLevel::A));
  EXPECT_THROW(q.transformer(1, SubLevel::B), rigcs::Error);
  q.set_sampling_path(rigcs::SamplingPath::Incremental);
  EXPECT_THROW(q.uses_incremental_path(), rigcs::Error);
  int block1a = 0;
  for (auto& p : q.named_parameters()) block1a += p.first.rfind("block1.a.", 0) == 0;
  // offset and value embeddings, 2 x 12 per block, final norm (2), head (2)
  EXPECT_EQ(block1a, 2 + 2 * 12 + 2 + 2);
  EXPECT_EQ(q.transformer(0, SubLevel::A)->offset_embedding->weight.sizes(), (torch::IntArrayRef{81, 8}));
  rigcs::ConditionalTransformerOptions bad;
  bad.width = 10;
  bad.heads = 4;
  EXPECT_THROW(rigcs::ConditionalTransformer{bad}, rigcs::Error);
  EXPECT_THROW(q.level_transformer(0, SubLevel::A), rigcs::Error);
}

TEST(RigcsLatticeTransformer, NamesTablesAndPathChoice) {
  torch::set_num_threads(1);
  RigcsSampler q(options_of(TransformerContext::Lattice, 2, 2), exact_coarse(2, 0.3));
  EXPECT_FALSE(q.uses_incremental_path());
  EXPECT_THROW(q.transformer(0, SubLevel::A), rigcs::Error);
  EXPECT_NO_THROW(q.level_transformer(1, SubLevel::A));
  int block1a = 0;
  for (auto& p : q.named_parameters()) block1a += p.first.rfind("block1.a.", 0) == 0;
  // value, query and class embeddings, 2 x 13 per block, final norm (2), head (2)
  EXPECT_EQ(block1a, 3 + 2 * 13 + 2 + 2);
  // Per head a bias for each displacement in the 9x9 window and one for the rest.
  EXPECT_EQ(level_tensors(q, "block1.a.")["layer0.position_bias"].sizes(), (torch::IntArrayRef{2, 82}));
  // One drawing step per net site (N = 8): 4 (block 0 a), 8 (b), 16 (block 1 a), then
  // the heat bath in one.
  EXPECT_EQ(q.sampling_steps(), (std::vector<int>{4, 8, 16, 1}));

  // The tables of a 4x4 level: known sites 0 and 2, then sites 5, 7 in that order.
  auto tb = rigcs::make_level_transformer_tables(4, {0, 2}, {5, 7}, 1);
  EXPECT_EQ(tb.known, 2);
  EXPECT_TRUE(torch::equal(tb.content_sites, torch::tensor({0, 2, 5, 7}, torch::kLong)));
  EXPECT_TRUE(torch::equal(tb.content_class, torch::tensor({0, 0, 3, 3}, torch::kLong)));
  auto seen = [](const torch::Tensor& mask) { return (mask == 0).to(torch::kInt); };
  // Known sites see the known ones; level site j the known ones and the level up to j.
  EXPECT_TRUE(torch::equal(seen(tb.content_mask),
                           torch::tensor({1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1}, torch::kInt).reshape({4, 4})));
  // Query t sees the known sites and the level before t.
  EXPECT_TRUE(torch::equal(seen(tb.query_mask), torch::tensor({1, 1, 0, 0, 1, 1, 1, 0}, torch::kInt).reshape({2, 4})));
  // Buckets of radius 1 (3x3 = 9, far = 9): 5 -> 0 is (-1, -1) = 0; 5 -> 2 is (-1, +1)
  // = 2; 7 -> 0 wraps to (-1, +1) = 2; 5 -> 7 is (0, 2): beyond the radius.
  EXPECT_EQ(tb.query_position[0][0].item<std::int64_t>(), 0);
  EXPECT_EQ(tb.query_position[0][1].item<std::int64_t>(), 2);
  EXPECT_EQ(tb.query_position[1][0].item<std::int64_t>(), 2);
  EXPECT_EQ(tb.query_position[0][3].item<std::int64_t>(), 9);
  EXPECT_EQ(tb.content_position[2][2].item<std::int64_t>(), 4);  // itself: (0, 0)
  auto pre = tb.prefix(1);
  EXPECT_EQ(pre.content_class.size(0), 3);
  EXPECT_EQ(pre.query_mask.sizes(), (torch::IntArrayRef{1, 3}));
  EXPECT_TRUE(torch::all(pre.query_mask == 0).item<bool>());
  EXPECT_THROW(rigcs::make_level_transformer_tables(4, {}, {5}, 1), rigcs::Error);
}

TEST_P(RigcsTransformer, SamplesEqualTheReferenceFromTheSameStream) {
  // The fast path and the reference draw the same spins from the same random stream.
  RigcsSampler q(options(2, 2), std::make_shared<rigcs::VanSampler>(2));
  randomise(q, 17);
  auto g1 = torch::make_generator<torch::CPUGeneratorImpl>(99);
  auto g2 = torch::make_generator<torch::CPUGeneratorImpl>(99);
  auto fast = q.sample(16, g1);
  auto plain = q.sample_reference(16, g2);
  EXPECT_TRUE(torch::equal(fast.spins, plain.spins));
  EXPECT_LT((fast.log_q - plain.log_q).abs().max().item<double>(), 1e-5);
}

TEST_P(RigcsTransformer, SampledLogQEqualsLogProbAndReference) {
  // N = 4 (two ways), 8 with a PixelCNN coarse model, 16; a 3x3 window (kernels 3, 1);
  // the paper's size (5 blocks, 8 heads, FF 1024) on 4x4. The whole-lattice reference
  // costs N^4 windows: N = 16 is checked against log_prob only.
  struct Case {
    int n0, blocks;
    bool pixelcnn;
    int kernel2;
    bool paper;
  };
  for (Case c : {Case{2, 1, false, 5, false}, Case{1, 2, false, 5, false}, Case{2, 2, true, 5, false},
                 Case{2, 3, false, 5, false}, Case{2, 2, false, 1, false}, Case{2, 1, true, 5, true}}) {
    RigcsOptions o = c.paper ? options(c.n0, c.blocks, 5, 8, 64, 1024) : options(c.n0, c.blocks);
    if (c.kernel2 == 1) {
      o.kernel1 = 3;
      o.kernel2 = 1;
    }
    std::shared_ptr<rigcs::GenerativeSampler> coarse =
        c.pixelcnn ? std::shared_ptr<rigcs::GenerativeSampler>(std::make_shared<rigcs::VanSampler>(2))
                   : exact_coarse(c.n0, 0.3);
    RigcsSampler q(o, coarse);
    randomise(q, 200 + c.blocks, c.paper ? 0.1 : 0.5);
    const bool big = q.lattice_size() == 16;
    const std::int64_t b = c.paper ? 4 : big || q.lattice_size() == 8 ? 8 : 16;
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(42);
    auto fast = q.sample(b, gen);
    auto gen_plain = torch::make_generator<torch::CPUGeneratorImpl>(42);
    auto plain = big ? fast : q.sample_reference(b, gen_plain);
    ASSERT_EQ(fast.spins.sizes(), (torch::IntArrayRef{b, q.lattice_size(), q.lattice_size()}));
    EXPECT_TRUE(torch::all(fast.spins.abs() == 1).item<bool>());
    const std::string n = "N = " + std::to_string(q.lattice_size()) + " k2 = " + std::to_string(c.kernel2) +
                          (c.paper ? " paper size" : "");
    torch::NoGradGuard no_grad;
    for (const auto* s : {&fast, &plain}) {
      auto lq_fast = q.log_prob(s->spins);
      auto lq_plain = big ? lq_fast : q.log_prob_reference(s->spins);
      const std::string what = n + (s == &fast ? " sampled" : " reference-sampled");
      EXPECT_LT((s->log_q - lq_fast).abs().max().item<double>(), 1e-5) << what;
      EXPECT_LT((lq_fast - lq_plain).abs().max().item<double>(), 1e-5) << what;
    }
    // Far from uniform: the test would not notice a mask that hides everything otherwise.
    EXPECT_GT((fast.log_q - fast.log_q.mean()).abs().max().item<double>(), 0.1) << n;
  }
}

TEST_P(RigcsTransformer, NormalisedOnFourByFour) {
  // A 3x3 window keeps the 2^16 states cheap; the 9x9 window is checked against the
  // reference above.
  RigcsOptions o = options(2, 1);
  o.kernel1 = 3;
  o.kernel2 = 1;
  RigcsSampler q(o, exact_coarse(2, 0.3));
  randomise(q, 7);
  EXPECT_NEAR(log_total_probability(q, 4), 0.0, 1e-6);
}

TEST_P(RigcsTransformer, LaterSitesDoNotChangeEarlierLogits) {
  RigcsSampler q(options(2, 2), exact_coarse(2, 0.3));
  randomise(q, 3);
  torch::NoGradGuard no_grad;
  const int n = q.lattice_size();
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(5);
  auto spins = q.sample(6, gen).spins;
  const auto& part = q.partition();
  for (int k = 0; k < part.blocks(); ++k) {
    const int stride = part.stride(k);
    const int m = part.block(k).fine_size;
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      if (!q.has_net(k, level)) continue;
      const auto& sites = part.block(k).sites(level);
      auto before = q.level_logits(spins, k, level);
      bool later_changed = false;
      for (std::size_t t = 0; t < sites.size(); ++t) {
        auto flipped = spins.clone();
        const int i = sites[t] / m * stride, j = sites[t] % m * stride;
        flipped.select(1, i).select(1, j).mul_(-1);
        auto after = q.level_logits(flipped, k, level);
        const auto tt = static_cast<std::int64_t>(t);
        // Sites 0..t were drawn before site t's spin was known (t itself included).
        EXPECT_TRUE(torch::equal(before.narrow(1, 0, tt + 1), after.narrow(1, 0, tt + 1)))
            << "block " << k << " level " << (level == SubLevel::A ? "a" : "b") << " site " << t;
        if (tt + 1 < after.size(1))
          later_changed = later_changed || !torch::equal(before.narrow(1, tt + 1, after.size(1) - tt - 1),
                                                         after.narrow(1, tt + 1, after.size(1) - tt - 1));
        // No coarser level sees it either.
        for (int k2 = 0; k2 <= k; ++k2)
          for (SubLevel l2 : {SubLevel::A, SubLevel::B}) {
            if (!q.has_net(k2, l2) || (k2 == k && (l2 == level || l2 == SubLevel::B))) continue;
            EXPECT_TRUE(torch::equal(q.level_logits(spins, k2, l2), q.level_logits(flipped, k2, l2)))
                << "block " << k2 << " sees a site of block " << k;
          }
      }
      // The spins do reach the later sites (the masks hide only what they must).
      if (sites.size() > 1) {
        EXPECT_TRUE(later_changed) << "block " << k;
      }
    }
  }
  (void)n;
}

TEST_P(RigcsTransformer, CheckpointedGradientMatchesReference) {
  RigcsSampler q(options(2, 2), std::make_shared<rigcs::VanSampler>(2));
  randomise(q, 9);
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(8);
  auto s = q.sample(12, gen).spins;
  auto grads = [&](bool fast) {
    for (auto& p : q.parameters()) p.mutable_grad() = torch::Tensor();
    auto w = torch::linspace(-1.0, 2.0, s.size(0), torch::kDouble);  // a weighted loss, as the trainer's
    ((fast ? q.log_prob(s) : q.log_prob_reference(s)) * w).sum().backward();
    std::vector<torch::Tensor> g;
    for (auto& p : q.parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  };
  auto g_fast = grads(true);
  auto g_plain = grads(false);
  ASSERT_EQ(g_fast.size(), g_plain.size());
  auto names = q.named_parameters();
  for (std::size_t i = 0; i < g_fast.size(); ++i)
    EXPECT_TRUE(torch::allclose(g_fast[i], g_plain[i], 1e-4, 1e-4)) << names[i].first;
  // The transformer parameters do get a gradient.
  EXPECT_GT(g_fast.back().abs().sum().item<double>(), 0.0);
}

TEST_P(RigcsTransformer, ModelTransferCopiesEveryTensor) {
  RigcsSampler q4(options(2, 1), std::make_shared<rigcs::VanSampler>(2));
  randomise(q4, 1);
  auto q8 = q4.grow(std::make_shared<rigcs::VanSampler>(2));
  EXPECT_TRUE(same_level(*q8, "block0.a.", q4, "block0.a."));
  EXPECT_TRUE(same_level(*q8, "block1.a.", q4, "block0.a."));
  EXPECT_FALSE(same_level(*q8, "block0.b.", q4, "block0.a."));
  randomise(*q8, 2);
  auto q16 = q8->grow();
  EXPECT_TRUE(same_level(*q16, "block0.a.", *q8, "block0.a."));
  EXPECT_TRUE(same_level(*q16, "block0.b.", *q8, "block0.b."));
  EXPECT_TRUE(same_level(*q16, "block1.a.", *q8, "block1.a."));
  EXPECT_TRUE(same_level(*q16, "block1.b.", *q8, "block0.b."));
  EXPECT_TRUE(same_level(*q16, "block2.a.", *q8, "block1.a."));
  {
    torch::NoGradGuard no_grad;
    level_tensors(*q16, "block2.a.")["layer0.ff1.weight"].add_(1.0);
  }
  EXPECT_FALSE(same_level(*q16, "block2.a.", *q8, "block1.a."));
  // The grown model is still exact.
  {
    auto gen = torch::make_generator<torch::CPUGeneratorImpl>(4);
    auto b = q16->sample(4, gen);
    torch::NoGradGuard no_grad;
    EXPECT_LT((b.log_q - q16->log_prob(b.spins)).abs().max().item<double>(), 1e-5);
  }
  // Other feed-forward width: refused, naming the tensor.
  RigcsSampler wide(options(2, 2, 2, 2, 8, 32), q8->coarse_ptr());
  try {
    wide.transfer_from(q4);
    ADD_FAILURE() << "a transfer between different feed-forward widths was accepted";
  } catch (const rigcs::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("block0.a.layer0.ff1.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("shape"), std::string::npos) << what;
  }
  // Another depth: the missing block's tensors are named.
  RigcsSampler deeper(options(2, 2, 3), q8->coarse_ptr());
  try {
    deeper.transfer_from(q4);
    ADD_FAILURE() << "a transfer between different depths was accepted";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer2."), std::string::npos) << e.what();
  }
  // CNN and transformer conditionals do not mix.
  RigcsOptions cnn;
  cnn.coarsest_size = 2;
  cnn.blocks = 2;
  RigcsSampler q_cnn(cnn, q8->coarse_ptr());
  try {
    q_cnn.transfer_from(q4);
    ADD_FAILURE() << "a transfer from transformer to CNN conditionals was accepted";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rigcs.conditional"), std::string::npos) << e.what();
  }
  // Nor do the two transformer contexts.
  const auto other = GetParam() == TransformerContext::Window ? TransformerContext::Lattice : TransformerContext::Window;
  RigcsSampler q_other(options_of(other, 2, 2), q8->coarse_ptr());
  try {
    q_other.transfer_from(q4);
    ADD_FAILURE() << "a transfer between transformer contexts was accepted";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rigcs.transformer_context"), std::string::npos) << e.what();
  }
}
