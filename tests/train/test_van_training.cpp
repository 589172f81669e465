// Physics check of the whole chain: a VAN trained by reverse KL on the 4x4 Ising model
// at beta = 0.44 reaches an ESS near 1, and its importance-sampled beta F agrees with
// the exact -log Z = -15.50472654 (Kaufman) within 4 sigma.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace {

TEST(VanTraining, FourByFourReachesExactFreeEnergy) {
  torch::set_num_threads(1);
  const auto t0 = std::chrono::steady_clock::now();
  const double beta = 0.44;
  const double exact_beta_f = -15.50472654;
  torch::manual_seed(2025);
  rigcs::PixelCnnOptions net;
  net.depth = 2;
  net.width = 8;
  net.half_kernel = 3;  // 7x7: every earlier site of a 4x4 lattice is in reach
  rigcs::VanSampler van(4, net);
  rigcs::ReverseKlOptions opt;
  opt.beta = beta;
  opt.batch = 256;
  opt.lr = 1e-2;
  opt.seed = 42;
  rigcs::SerialCommunicator comm;
  rigcs::ReverseKlTrainer trainer(van, opt, comm);
  rigcs::TrainStepStats st;
  for (int k = 0; k < 400; ++k) {
    st = trainer.step();
    if (k % 50 == 0) std::printf("step %d mean_f %.5f ess %.4f\n", k, st.mean_f, st.ess);
  }

  // Importance sampling with fresh samples.
  auto gen = at::detail::createCPUGenerator(777);
  const std::int64_t m = 20000;
  auto drawn = van.sample(m, gen);
  auto log_w = (-beta * rigcs::ising_energy(drawn.spins.to(torch::kFloat64), 1.0) - drawn.log_q)
                   .contiguous();
  std::vector<double> lw(log_w.data_ptr<double>(), log_w.data_ptr<double>() + m);
  rigcs::GammaOptions g;
  g.independent = true;
  const auto log_z = rigcs::gamma_log_mean_exp(rigcs::single_replica(lw), g);
  const double ess = std::exp(2 * torch::logsumexp(log_w, 0).item<double>() -
                              torch::logsumexp(2 * log_w, 0).item<double>()) / m;
  std::printf("final batch ESS %.4f, sample ESS %.4f, beta F = %.6f +- %.6f (exact %.8f)\n",
              st.ess, ess, -log_z.value, log_z.error, exact_beta_f);
  EXPECT_GE(ess, 0.95);
  EXPECT_LT(std::abs(-log_z.value - exact_beta_f), 4 * log_z.error);
  EXPECT_GT(log_z.error, 0.0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f s\n", secs);
}

}  // namespace
