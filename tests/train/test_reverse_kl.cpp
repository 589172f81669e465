// Reverse-KL trainer on one process: the gradient is the REINFORCE formula, a resumed
// run is bitwise the uninterrupted one, checkpoints refuse a different model, and a
// non-finite loss stops the run.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/physics/ising_torch.hpp"
#include "rigcs/samplers/mlmc_hb.hpp"
#include "rigcs/samplers/van.hpp"
#include "rigcs/train/checkpoint.hpp"
#include "rigcs/train/reverse_kl.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

rigcs::PixelCnnOptions tiny(int width = 4) {
  rigcs::PixelCnnOptions o;
  o.depth = 2;
  o.width = width;
  o.half_kernel = 2;
  return o;
}

rigcs::ReverseKlOptions opts(std::int64_t batch = 32) {
  rigcs::ReverseKlOptions o;
  o.beta = 0.44;
  o.batch = batch;
  o.lr = 1e-2;
  o.seed = 1234;
  return o;
}

TEST(ReverseKl, GradientIsReinforceFormula) {
  torch::manual_seed(1);
  rigcs::VanSampler van(4, tiny());
  rigcs::SerialCommunicator comm;
  rigcs::ReverseKlTrainer trainer(van, opts(), comm);
  auto gen = at::detail::createCPUGenerator(3);
  auto spins = van.sample(40, gen).spins;
  auto st = trainer.accumulate_gradient(spins, 40);
  std::vector<torch::Tensor> got;
  for (auto& p : van.parameters()) got.push_back(p.grad().clone());

  for (auto& p : van.parameters()) p.mutable_grad().zero_();
  auto lq = van.log_prob(spins);
  auto f = (0.44 * rigcs::ising_energy(spins.to(torch::kFloat64), 1.0) + lq.detach());
  auto loss = ((f - f.mean()) * lq).mean();
  loss.backward();
  auto params = van.parameters();
  for (std::size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(got[k], params[k].grad(), 1e-5, 1e-7)) << "parameter " << k;
  EXPECT_NEAR(st.loss, loss.item<double>(), 1e-9);
  EXPECT_NEAR(st.mean_f, f.mean().item<double>(), 1e-9);
  auto logw = -f;
  const double ess = std::exp(2 * torch::logsumexp(logw, 0).item<double>() -
                              torch::logsumexp(2 * logw, 0).item<double>()) / 40;
  EXPECT_NEAR(st.ess, ess, 1e-9);
  EXPECT_GT(st.ess, 0.0);
  EXPECT_LE(st.ess, 1.0 + 1e-12);
}

void expect_same_weights(rigcs::GenerativeSampler& a, rigcs::GenerativeSampler& b) {
  auto pa = a.named_parameters();
  auto pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k)
    EXPECT_TRUE(torch::equal(pa[k].second, pb[k].second)) << pa[k].first;
  EXPECT_EQ(rigcs::weight_checksum(a), rigcs::weight_checksum(b));
}

// 2 * half steps straight, against half steps, export, a new trainer, import, half
// more: the weights agree bitwise (the step-dependent schedules carry over).
void expect_resume_is_bitwise(const rigcs::ReverseKlOptions& o, int half) {
  rigcs::SerialCommunicator comm;
  torch::manual_seed(5);
  rigcs::VanSampler a(4, tiny());
  rigcs::ReverseKlTrainer ta(a, o, comm);
  for (int k = 0; k < 2 * half; ++k) ta.step();
  torch::manual_seed(5);
  rigcs::VanSampler b(4, tiny());
  rigcs::NamedTensors saved;
  {
    rigcs::ReverseKlTrainer tb(b, o, comm);
    for (int k = 0; k < half; ++k) tb.step();
    saved = tb.export_state();
  }
  rigcs::ReverseKlTrainer tc(b, o, comm);
  tc.import_state(saved);
  for (int k = 0; k < half; ++k) tc.step();
  expect_same_weights(a, b);
}

TEST(ReverseKl, ResumedRunIsBitwiseUninterrupted) {
  rigcs::SerialCommunicator comm;
  torch::manual_seed(5);
  rigcs::VanSampler straight(4, tiny());
  rigcs::ReverseKlTrainer t1(straight, opts(), comm);
  for (int k = 0; k < 10; ++k) t1.step();
  EXPECT_EQ(t1.steps_done(), 10);

  torch::manual_seed(5);
  rigcs::NamedTensors saved;
  {
    rigcs::VanSampler first(4, tiny());
    rigcs::ReverseKlTrainer t2(first, opts(), comm);
    for (int k = 0; k < 5; ++k) t2.step();
    saved = t2.export_state();
  }
  // A fresh model with other initial weights and a fresh optimizer; the state decides.
  torch::manual_seed(77);
  rigcs::VanSampler resumed(4, tiny());
  auto o = opts();
  o.seed = 999;  // the checkpoint's seed wins
  rigcs::ReverseKlTrainer t3(resumed, o, comm);
  t3.import_state(saved);
  EXPECT_EQ(t3.steps_done(), 5);
  for (int k = 0; k < 5; ++k) t3.step();
  expect_same_weights(straight, resumed);

  auto s1 = t1.export_state();
  auto s3 = t3.export_state();
  ASSERT_EQ(s1.size(), s3.size());
  for (std::size_t k = 0; k < s1.size(); ++k) {
    EXPECT_EQ(s1[k].first, s3[k].first);
    EXPECT_TRUE(torch::equal(s1[k].second, s3[k].second)) << s1[k].first;
  }
}

TEST(ReverseKl, ImportRefusesOtherArchitecture) {
  rigcs::SerialCommunicator comm;
  rigcs::VanSampler a(4, tiny(4));
  rigcs::ReverseKlTrainer ta(a, opts(), comm);
  ta.step();
  auto state = ta.export_state();
  rigcs::VanSampler b(4, tiny(5));
  rigcs::ReverseKlTrainer tb(b, opts(), comm);
  const auto before = rigcs::weight_checksum(b);
  try {
    tb.import_state(state);
    FAIL() << "import of a width-4 state into a width-5 model succeeded";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("param/van.masked.0.weight"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rigcs::weight_checksum(b), before);
  EXPECT_EQ(tb.steps_done(), 0);

  // A state missing a parameter names it.
  rigcs::NamedTensors partial;
  for (auto& e : state)
    if (e.first != "param/van.out.bias") partial.push_back(e);
  rigcs::VanSampler c(4, tiny(4));
  rigcs::ReverseKlTrainer tc(c, opts(), comm);
  try {
    tc.import_state(partial);
    FAIL() << "import of a state without van.out.bias succeeded";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("van.out.bias"), std::string::npos) << e.what();
  }
}

TEST(ReverseKl, NonFiniteLossThrowsAndKeepsWeights) {
  rigcs::SerialCommunicator comm;
  rigcs::VanSampler van(4, tiny());
  rigcs::ReverseKlTrainer t(van, opts(), comm);
  t.step();
  {
    torch::NoGradGuard g;
    van.named_parameters().back().second.fill_(std::nan(""));
  }
  const auto before = rigcs::weight_checksum(van);
  try {
    t.step();
    FAIL() << "a NaN weight did not stop training";
  } catch (const rigcs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite loss at step 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.steps_done(), 1);
  EXPECT_EQ(rigcs::weight_checksum(van).hash, before.hash);
}

TEST(ReverseKl, ChecksumSeesEveryChange) {
  torch::manual_seed(9);
  rigcs::VanSampler a(4, tiny());
  torch::manual_seed(9);
  rigcs::VanSampler b(4, tiny());
  EXPECT_EQ(rigcs::weight_checksum(a), rigcs::weight_checksum(b));
  {
    torch::NoGradGuard g;
    auto p = b.named_parameters()[0].second;
    p.view(-1)[0] += 1e-3f;
  }
  EXPECT_NE(rigcs::weight_checksum(a), rigcs::weight_checksum(b));
  rigcs::SerialCommunicator comm;
  EXPECT_TRUE(rigcs::weights_agree(a, comm));
}

TEST(ReverseKl, HdfCheckpointRoundTrip) {
  const std::string path = "test_reverse_kl_ckpt_" + std::to_string(::getpid()) + ".h5";
  std::remove(path.c_str());
  rigcs::SerialCommunicator comm;
  torch::manual_seed(13);
  rigcs::VanSampler straight(4, tiny());
  rigcs::ReverseKlTrainer t1(straight, opts(), comm);
  for (int k = 0; k < 6; ++k) t1.step();

  torch::manual_seed(13);
  {
    rigcs::VanSampler first(4, tiny());
    rigcs::ReverseKlTrainer t2(first, opts(), comm);
    for (int k = 0; k < 3; ++k) t2.step();
    auto f = rigcs::H5File::create(path);
    rigcs::save_checkpoint(f, "/weights", t2);
    t2.step();
    rigcs::save_checkpoint(f, "/weights", t2);  // rewrites in place
    f.close();
  }
  rigcs::VanSampler resumed(4, tiny());
  rigcs::ReverseKlTrainer t3(resumed, opts(), comm);
  {
    auto f = rigcs::H5File::open_read(path);
    rigcs::load_checkpoint(f, "/weights", t3);
  }
  EXPECT_EQ(t3.steps_done(), 4);
  for (int k = 0; k < 2; ++k) t3.step();
  expect_same_weights(straight, resumed);

  rigcs::VanSampler other(4, tiny(6));
  rigcs::ReverseKlTrainer t4(other, opts(), comm);
  auto f = rigcs::H5File::open_read(path);
  EXPECT_THROW(rigcs::load_checkpoint(f, "/weights", t4), rigcs::Error);
  EXPECT_THROW(rigcs::load_checkpoint(f, "/nothing", t4), rigcs::Error);
  f.close();
  std::remove(path.c_str());
}

// Checkpoints keep each tensor's dtype (issue 10, item 8): the MLMC-HB couplings are
// float64 and came back rounded to float32.
TEST(ReverseKl, CheckpointKeepsFloat64Parameters) {
  const std::string path = "test_reverse_kl_f64_" + std::to_string(::getpid()) + ".h5";
  std::remove(path.c_str());
  rigcs::SerialCommunicator comm;
  rigcs::MlmcHbSampler q(rigcs::MlmcHbOptions{2, 2, 0.44, 1.0});
  rigcs::ReverseKlTrainer t(q, opts(), comm);
  t.step();
  const auto state = t.export_state();
  {
    auto f = rigcs::H5File::create(path);
    rigcs::save_checkpoint(f, "/weights", t);
    f.close();
  }
  auto f = rigcs::H5File::open_read(path);
  const auto back = rigcs::read_checkpoint(f, "/weights");
  int f64 = 0;
  for (const auto& [name, tensor] : state) {
    if (name.rfind("param/", 0) != 0 || tensor.scalar_type() != torch::kFloat64) continue;
    ++f64;
    EXPECT_EQ(f.type_name("/weights/" + name), "float64") << name;
    for (const auto& [n2, t2] : back)
      if (n2 == name) {
        EXPECT_EQ(t2.scalar_type(), torch::kFloat64) << name;
        EXPECT_TRUE(torch::equal(t2, tensor)) << name;
      }
  }
  EXPECT_GT(f64, 0) << "MLMC-HB has no float64 parameter any more: the test needs another one";
  f.close();
  std::remove(path.c_str());
}

}  // namespace

TEST(ReverseKl, CosineLearningRateDecay) {
  rigcs::SerialCommunicator comm;
  torch::manual_seed(5);
  rigcs::VanSampler q(4, tiny());
  auto o = opts();
  o.lr = 1e-2;
  o.decay_steps = 11;
  o.lr_end_factor = 0.1;
  rigcs::ReverseKlTrainer t(q, o, comm);
  EXPECT_DOUBLE_EQ(t.learning_rate(1), 1e-2);
  EXPECT_NEAR(t.learning_rate(6), 0.5 * (1e-2 + 1e-3), 1e-15);  // halfway
  EXPECT_NEAR(t.learning_rate(11), 1e-3, 1e-15);
  EXPECT_NEAR(t.learning_rate(50), 1e-3, 1e-15);  // held after the decay
  for (std::int64_t k = 1; k < 11; ++k) EXPECT_GT(t.learning_rate(k), t.learning_rate(k + 1));
  // Resuming mid-decay continues the same schedule: bitwise the uninterrupted run.
  expect_resume_is_bitwise(o, 4);
  // Without decay the rate is constant.
  auto flat = opts();
  rigcs::ReverseKlTrainer tf(q, flat, comm);
  EXPECT_DOUBLE_EQ(tf.learning_rate(1), tf.learning_rate(1000));
  o.lr_end_factor = 0;
  EXPECT_THROW(rigcs::ReverseKlTrainer(q, o, comm), rigcs::Error);
}

// Annealing (train.beta_anneal): step k's gradient is the REINFORCE gradient of the
// tempered target a_k beta H with a_k = 1 - r^k, while the reported mean f and ESS stay
// those of the true target; the factor is a function of the step count, so a resumed
// run continues it.
TEST(ReverseKl, AnnealedTargetGradientAndTrueStatistics) {
  rigcs::SerialCommunicator comm;
  torch::manual_seed(2);
  rigcs::VanSampler van(4, tiny());
  auto o = opts();
  o.beta_anneal = 0.9;
  rigcs::ReverseKlTrainer trainer(van, o, comm);
  EXPECT_NEAR(trainer.anneal_factor(1), 0.1, 1e-15);
  EXPECT_NEAR(trainer.anneal_factor(3), 1 - 0.729, 1e-15);
  EXPECT_LT(trainer.anneal_factor(1000), 1.0 + 1e-15);
  EXPECT_GT(trainer.anneal_factor(1000), 1.0 - 1e-12);
  // Two steps done: the next gradient uses a_3.
  trainer.step();
  trainer.step();
  auto gen = at::detail::createCPUGenerator(4);
  auto spins = van.sample(40, gen).spins;
  auto st = trainer.accumulate_gradient(spins, 40);
  EXPECT_NEAR(st.anneal, 1 - 0.729, 1e-15);
  std::vector<torch::Tensor> got;
  for (auto& p : van.parameters()) got.push_back(p.grad().clone());

  for (auto& p : van.parameters()) p.mutable_grad().zero_();
  auto lq = van.log_prob(spins);
  auto beta_h = 0.44 * rigcs::ising_energy(spins.to(torch::kFloat64), 1.0);
  auto fa = (1 - 0.729) * beta_h + lq.detach();
  auto loss = ((fa - fa.mean()) * lq).mean();
  loss.backward();
  auto params = van.parameters();
  for (std::size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(got[k], params[k].grad(), 1e-5, 1e-7)) << "parameter " << k;
  EXPECT_NEAR(st.loss, loss.item<double>(), 1e-9);
  auto f = beta_h + lq.detach();
  EXPECT_NEAR(st.mean_f, f.mean().item<double>(), 1e-9);
  const double ess = std::exp(2 * torch::logsumexp(-f, 0).item<double>() -
                              torch::logsumexp(-2 * f, 0).item<double>()) / 40;
  EXPECT_NEAR(st.ess, ess, 1e-9);
  // The tempered gradient differs from the untempered one (the test could fail).
  for (auto& p : van.parameters()) p.mutable_grad().zero_();
  auto f1 = beta_h + lq.detach();
  ((f1 - f1.mean()) * van.log_prob(spins)).mean().backward();
  bool differs = false;
  for (std::size_t k = 0; k < params.size(); ++k)
    differs = differs || !torch::allclose(got[k], params[k].grad(), 1e-3, 1e-6);
  EXPECT_TRUE(differs);

  // Resumed mid-anneal: bitwise the uninterrupted run.
  expect_resume_is_bitwise(o, 3);

  // Without annealing a_k = 1; a rate outside [0, 1) is refused.
  rigcs::ReverseKlTrainer plain(van, opts(), comm);
  EXPECT_DOUBLE_EQ(plain.anneal_factor(1), 1.0);
  o.beta_anneal = 1.0;
  EXPECT_THROW(rigcs::ReverseKlTrainer(van, o, comm), rigcs::Error);
}
