#include <gtest/gtest.h>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/nn/conditional_cnn.hpp"

using rigcs::ConditionalCnn;
using rigcs::ConditionalCnnOptions;

namespace {

torch::Tensor random_spins(std::int64_t b, int m, std::uint64_t seed) {
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(seed);
  return torch::randint(0, 2, {b, 1, m, m}, gen, torch::kFloat) * 2 - 1;
}

// The w x w periodic window centred on (i, j).
torch::Tensor window(const torch::Tensor& x, int i, int j, int w) {
  const auto m = x.size(2);
  auto rows = torch::remainder(torch::arange(i - w / 2, i + w / 2 + 1, torch::kLong), m);
  auto cols = torch::remainder(torch::arange(j - w / 2, j + w / 2 + 1, torch::kLong), m);
  return x.index_select(2, rows).index_select(3, cols);
}

class ConditionalCnnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(3);
  }
};

}  // namespace

TEST_F(ConditionalCnnTest, ShapesNamesAndRange) {
  ConditionalCnn net;
  EXPECT_EQ(net->receptive_field(), 9);
  auto names = net->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"}));
  EXPECT_EQ(net->conv1->weight.sizes(), (torch::IntArrayRef{16, 1, 5, 5}));
  auto p = net->forward(random_spins(3, 8, 1));
  EXPECT_EQ(p.sizes(), (torch::IntArrayRef{3, 1, 8, 8}));
  EXPECT_TRUE(torch::all(p > 0).item<bool>() && torch::all(p < 1).item<bool>());
  EXPECT_THROW(ConditionalCnn(ConditionalCnnOptions{16, 4, 5, 0.1}), rigcs::Error);
  EXPECT_THROW(net->patch_logits(torch::zeros({2, 1, 7, 7})), rigcs::Error);
}

TEST_F(ConditionalCnnTest, PeriodicAndTranslationEquivariant) {
  ConditionalCnn net(ConditionalCnnOptions{8, 5, 3, 0.1});
  auto x = random_spins(2, 8, 2);
  auto y = net->forward_logits(x);
  auto y_shifted = net->forward_logits(torch::roll(x, {3, -2}, {2, 3}));
  EXPECT_TRUE(torch::allclose(torch::roll(y, {3, -2}, {2, 3}), y_shifted, 1e-5, 1e-5));
}

TEST_F(ConditionalCnnTest, PatchEqualsWholeLatticeAtCentre) {
  // m = 16: window inside the lattice; m = 4 and 2: the window wraps several times.
  for (int m : {16, 4, 2}) {
    ConditionalCnn net;
    auto x = random_spins(3, m, 10 + m) * (torch::rand({3, 1, m, m}) < 0.7).to(torch::kFloat);
    auto full = net->forward_logits(x);
    const int w = net->receptive_field();
    for (int i = 0; i < m; i += std::max(1, m / 4)) {
      for (int j = 0; j < m; j += std::max(1, m / 3)) {
        auto patch = net->patch_logits(window(x, i, j, w));
        EXPECT_TRUE(torch::allclose(patch, full.select(3, j).select(2, i).reshape({3}), 1e-5, 1e-5))
            << "m = " << m << " site " << i << "," << j;
      }
    }
  }
}

TEST_F(ConditionalCnnTest, ReceptiveFieldIsNineByNine) {
  ConditionalCnn net;
  auto x = random_spins(1, 16, 4);
  auto base = net->forward_logits(x)[0][0][8][8].item<float>();
  auto inside = x.clone();
  inside[0][0][12][4] *= -1;  // offset (4, -4): inside the 9x9 window
  EXPECT_NE(net->forward_logits(inside)[0][0][8][8].item<float>(), base);
  auto outside = x.clone();
  outside[0][0][13][8] *= -1;  // offset (5, 0): outside
  EXPECT_EQ(net->forward_logits(outside)[0][0][8][8].item<float>(), base);
}

TEST_F(ConditionalCnnTest, CopyWeights) {
  ConditionalCnn a, b;
  b->copy_weights_from(*a);
  auto pa = a->named_parameters();
  for (auto& p : b->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()]));
  ConditionalCnn c(ConditionalCnnOptions{12, 5, 3, 0.1});
  EXPECT_THROW(c->copy_weights_from(*a), rigcs::Error);
}
