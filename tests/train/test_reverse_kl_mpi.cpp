// Data-parallel reverse KL: a fixed global batch split over the ranks gives the
// gradient of the whole batch on one process; weights start and stay equal on all ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/parallel/communicator.hpp"
#include "rigcs/parallel/mpi_communicator.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/rigcs_sampler.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

rigcs::PixelCnnOptions tiny() {
  rigcs::PixelCnnOptions o;
  o.depth = 3;
  o.width = 6;
  o.half_kernel = 2;
  return o;
}

rigcs::ReverseKlOptions opts(std::int64_t batch) {
  rigcs::ReverseKlOptions o;
  o.beta = 0.44;
  o.batch = batch;
  o.lr = 1e-2;
  o.seed = 2024;
  return o;
}

TEST(ReverseKlMpi, SplitBatchGivesWholeBatchGradient) {
  auto comm = rigcs::make_world_communicator();
  // Different initial weights per rank: the trainer must broadcast rank 0's.
  torch::manual_seed(100 + comm->rank());
  rigcs::VanSampler van(4, tiny());
  rigcs::ReverseKlTrainer trainer(van, opts(37), *comm);
  ASSERT_TRUE(rigcs::weights_agree(van, *comm));

  // The same global batch on every rank (same generator seed).
  const std::int64_t m = 37;
  auto gen = at::detail::createCPUGenerator(555);
  auto spins = van.sample(m, gen).spins;

  // Reference: the whole batch on this process alone.
  rigcs::SerialCommunicator self;
  rigcs::ReverseKlTrainer reference(van, opts(m), self);
  auto ref = reference.accumulate_gradient(spins, m);
  std::vector<torch::Tensor> ref_grad;
  for (auto& p : van.parameters()) ref_grad.push_back(p.grad().clone());

  const auto share = rigcs::split_work(m, comm->rank(), comm->size());
  auto got = trainer.accumulate_gradient(spins.narrow(0, share.begin, share.count()), m);
  auto params = van.parameters();
  double diff2 = 0, norm2 = 0;
  for (std::size_t k = 0; k < params.size(); ++k) {
    diff2 += (params[k].grad() - ref_grad[k]).to(torch::kFloat64).pow(2).sum().item<double>();
    norm2 += ref_grad[k].to(torch::kFloat64).pow(2).sum().item<double>();
  }
  ASSERT_GT(norm2, 0.0);
  EXPECT_LT(std::sqrt(diff2 / norm2), 1e-6) << "ranks " << comm->size();
  EXPECT_NEAR(got.loss, ref.loss, 1e-9 * (1 + std::abs(ref.loss)));
  EXPECT_NEAR(got.mean_f, ref.mean_f, 1e-12 * (1 + std::abs(ref.mean_f)));
  EXPECT_NEAR(got.ess, ref.ess, 1e-12);
}

TEST(ReverseKlMpi, WeightsStayEqualAcrossRanks) {
  auto comm = rigcs::make_world_communicator();
  torch::manual_seed(7 + 13 * comm->rank());
  rigcs::VanSampler van(4, tiny());
  rigcs::ReverseKlTrainer trainer(van, opts(9), *comm);  // 9: shares of unequal size
  for (int k = 0; k < 3; ++k) {
    auto st = trainer.step();
    EXPECT_EQ(st.step, k + 1);
    EXPECT_TRUE(std::isfinite(st.loss));
    EXPECT_GT(st.ess, 0.0);
    EXPECT_EQ(comm->max(st.mean_f), comm->min(st.mean_f));  // global quantities agree
  }
  EXPECT_TRUE(rigcs::weights_agree(van, *comm));
}

}  // namespace

TEST(ReverseKlMpi, RanksWithAnEmptyShareJoinTheStep) {
  // A global batch of 1: on 2 ranks one rank draws nothing (as the published last-stage
  // batch of 16 on more than 16 ranks). RiGCS and MLMC-HB train on, with equal weights.
  auto comm = rigcs::make_world_communicator();
  torch::manual_seed(3);
  rigcs::RigcsOptions ro;
  ro.coarsest_size = 2;
  ro.blocks = 1;
  ro.channels = 4;
  rigcs::RigcsSampler rigcs_model(ro, std::make_shared<rigcs::VanSampler>(2, tiny()));
  rigcs::MlmcHbSampler hb(rigcs::MlmcHbOptions{2, 1, 0.44, 1.0});
  for (rigcs::GenerativeSampler* model : {static_cast<rigcs::GenerativeSampler*>(&rigcs_model),
                                          static_cast<rigcs::GenerativeSampler*>(&hb)}) {
    rigcs::ReverseKlTrainer trainer(*model, opts(1), *comm);
    for (int k = 0; k < 3; ++k) {
      const auto st = trainer.step();
      EXPECT_TRUE(std::isfinite(st.loss)) << model->kind();
      EXPECT_NEAR(st.ess, 1.0, 1e-12) << model->kind();  // one sample: ESS 1
    }
    EXPECT_TRUE(rigcs::weights_agree(*model, *comm)) << model->kind();
  }
}
