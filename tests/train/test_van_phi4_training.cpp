// Physics check of the real-field chain (issue 11, paper appendix H.4): a VAN with a
// Gaussian-mixture head trained by reverse KL on the 4x4 free field (lambda = 0,
// kappa = 0.2) reaches the exact ln Z (the Fourier sum, exact/model_exact.hpp) within
// 4 sigma, with sigma from the Gamma method over fresh samples.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/exact/model_exact.hpp"
#include "rigcs/physics/phi4_torch.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace {

TEST(VanPhi4Training, FreeFieldFourByFourReachesExactLnZ) {
  torch::set_num_threads(1);
  const auto t0 = std::chrono::steady_clock::now();
  const int n = 4;
  const double kappa = 0.2, lambda = 0.0;
  const double exact_ln_z = rigcs::phi4_free_field(n, kappa).lnZ;
  torch::manual_seed(2026);
  rigcs::PixelCnnOptions net;
  net.depth = 2;
  net.width = 16;
  net.half_kernel = 3;  // 7x7: every earlier site of a 4x4 lattice is in reach
  net.mixture_components = 3;
  rigcs::VanSampler van(n, net);
  rigcs::ReverseKlOptions opt;
  opt.action = [&](const torch::Tensor& phi) { return rigcs::phi4_action(phi, kappa, lambda); };
  opt.batch = 256;
  opt.lr = 5e-3;
  opt.seed = 43;
  rigcs::SerialCommunicator comm;
  rigcs::ReverseKlTrainer trainer(van, opt, comm);
  rigcs::TrainStepStats st;
  for (int k = 0; k < 300; ++k) {
    st = trainer.step();
    if (k % 100 == 0) std::printf("step %d mean_f %.5f ess %.4f\n", k, st.mean_f, st.ess);
  }
  // mean f is an upper bound of -ln Z.
  EXPECT_GT(st.mean_f, -exact_ln_z - 0.05);

  auto gen = at::detail::createCPUGenerator(778);
  const std::int64_t m = 20000;
  auto drawn = van.sample(m, gen);
  auto log_w = (-rigcs::phi4_action(drawn.spins.to(torch::kFloat64), kappa, lambda) - drawn.log_q).contiguous();
  std::vector<double> lw(log_w.data_ptr<double>(), log_w.data_ptr<double>() + m);
  rigcs::GammaOptions g;
  g.independent = true;
  const auto log_z = rigcs::gamma_log_mean_exp(rigcs::single_replica(lw), g);
  const double ess = std::exp(2 * torch::logsumexp(log_w, 0).item<double>() -
                              torch::logsumexp(2 * log_w, 0).item<double>()) / m;
  std::printf("final batch ESS %.4f, sample ESS %.4f, ln Z = %.6f +- %.6f (exact %.8f)\n", st.ess, ess,
              log_z.value, log_z.error, exact_ln_z);
  EXPECT_GE(ess, 0.5);
  EXPECT_GT(log_z.error, 0.0);
  EXPECT_LT(std::abs(log_z.value - exact_ln_z), 4 * log_z.error);
  std::printf("%.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace
