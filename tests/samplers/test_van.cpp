// VanSampler: the GenerativeSampler contract on the PixelCNN.
#include <gtest/gtest.h>

#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/samplers/van.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

rigcs::PixelCnnOptions small_net() {
  rigcs::PixelCnnOptions o;
  o.depth = 3;
  o.width = 8;
  o.half_kernel = 2;
  return o;
}

TEST(VanSampler, SampleContract) {
  torch::manual_seed(1);
  rigcs::VanSampler van(5, small_net());
  EXPECT_EQ(van.kind(), "van");
  EXPECT_EQ(van.lattice_size(), 5);
  auto gen = at::detail::createCPUGenerator(42);
  auto batch = van.sample(32, gen);
  EXPECT_EQ(batch.spins.sizes(), (std::vector<std::int64_t>{32, 5, 5}));
  EXPECT_EQ(batch.spins.scalar_type(), torch::kFloat32);
  EXPECT_TRUE((batch.spins.abs() == 1).all().item<bool>());
  EXPECT_EQ(batch.log_q.sizes(), (std::vector<std::int64_t>{32}));
  EXPECT_EQ(batch.log_q.scalar_type(), torch::kFloat64);
  EXPECT_FALSE(batch.log_q.requires_grad());
  auto lq = van.log_prob(batch.spins);
  EXPECT_TRUE(lq.requires_grad());
  EXPECT_LT((lq.detach() - batch.log_q).abs().max().item<double>(), 1e-5);
}

TEST(VanSampler, SameGeneratorSameSamples) {
  torch::manual_seed(2);
  rigcs::VanSampler van(4, small_net());
  auto g1 = at::detail::createCPUGenerator(7);
  auto g2 = at::detail::createCPUGenerator(7);
  EXPECT_TRUE(torch::equal(van.sample(8, g1).spins, van.sample(8, g2).spins));
}

TEST(VanSampler, NamedParametersStableAndPrefixed) {
  torch::manual_seed(3);
  rigcs::VanSampler a(4, rigcs::PixelCnnOptions{});
  rigcs::VanSampler b(4, rigcs::PixelCnnOptions{});
  auto pa = a.named_parameters();
  auto pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  std::set<std::string> names;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    EXPECT_EQ(pa[k].first, pb[k].first);
    EXPECT_EQ(pa[k].first.rfind("van.", 0), 0u) << pa[k].first;
    names.insert(pa[k].first);
  }
  EXPECT_EQ(names.size(), pa.size());
  EXPECT_TRUE(names.count("van.masked.0.weight"));
  EXPECT_TRUE(names.count("van.out.weight"));
  EXPECT_EQ(a.parameters().size(), pa.size());
}

TEST(VanSampler, WrongShapeThrows) {
  rigcs::VanSampler van(4, small_net());
  EXPECT_THROW(van.log_prob(torch::ones({2, 3, 3})), rigcs::Error);
  EXPECT_THROW(van.log_prob(torch::ones({4, 4})), rigcs::Error);
}

}  // namespace
