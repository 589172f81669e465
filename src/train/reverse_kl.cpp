#include "rigcs/train/reverse_kl.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/core/rng.hpp"
#include "rigcs/physics/ising_torch.hpp"

namespace rigcs {

namespace {

// Seed of the torch generator for step `step` on `rank`: a pure function of
// (seed, rank, step), so a resumed run draws what the uninterrupted run would have.
// (The CPU generator is an mt19937 that keeps 32 bits of the seed; a collision only
// repeats one batch.)
std::uint64_t step_seed(std::uint64_t seed, int rank, std::int64_t step) {
  Rng base(seed, static_cast<std::uint64_t>(rank), StreamId::Training);
  Rng per_step(base(), static_cast<std::uint64_t>(step), 0);
  return per_step();
}

std::string adam_key(const torch::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}

torch::Tensor int64_scalar(std::int64_t v) { return torch::full({1}, v, torch::kInt64); }

std::string shape_str(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

}  // namespace

struct ReverseKlTrainer::Impl {
  Impl(GenerativeSampler& m, const ReverseKlOptions& o, Communicator& c)
      : model(m), opt(o), comm(c),
        adam(m.parameters(), torch::optim::AdamOptions(o.lr)),
        gen(make_generator(m.device(), 0)) {}

  GenerativeSampler& model;
  ReverseKlOptions opt;
  Communicator& comm;
  torch::optim::Adam adam;
  torch::Generator gen;
  std::int64_t steps = 0;
};

ReverseKlTrainer::ReverseKlTrainer(GenerativeSampler& model, const ReverseKlOptions& opt,
                                   Communicator& comm)
    : impl_(std::make_unique<Impl>(model, opt, comm)) {
  RIGCS_CHECK(opt.batch >= 1, "training batch must be >= 1, got " << opt.batch);
  RIGCS_CHECK(opt.lr > 0, "learning rate must be > 0, got " << opt.lr);
  RIGCS_CHECK(opt.lr_end_factor > 0 && opt.lr_end_factor <= 1,
              "final learning-rate factor must be in (0, 1], got " << opt.lr_end_factor);
  RIGCS_CHECK(std::isfinite(opt.beta), "beta must be finite, got " << opt.beta);
  RIGCS_CHECK(opt.beta_anneal >= 0 && opt.beta_anneal < 1,
              "annealing rate must be in [0, 1), got " << opt.beta_anneal);
  // Every rank starts from rank 0's weights (one broadcast, through double so that
  // any parameter dtype survives exactly).
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors = model.parameters();
  for (auto& b : model.named_buffers()) tensors.push_back(b.second);
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (auto& t : tensors) flat.push_back(t.detach().to(torch::kCPU, torch::kFloat64).flatten());
  auto buf = torch::cat(flat).contiguous();
  comm.broadcast(buf.data_ptr<double>(), static_cast<std::size_t>(buf.numel()), 0);
  std::int64_t off = 0;
  for (auto& t : tensors) {
    t.copy_(buf.narrow(0, off, t.numel()).view(t.sizes()));
    off += t.numel();
  }
}

ReverseKlTrainer::~ReverseKlTrainer() = default;

std::int64_t ReverseKlTrainer::steps_done() const { return impl_->steps; }

double ReverseKlTrainer::learning_rate(std::int64_t k) const {
  const auto& o = impl_->opt;
  if (o.decay_steps <= 0 || o.lr_end_factor == 1.0) return o.lr;
  const double x = std::min(1.0, static_cast<double>(std::max<std::int64_t>(k - 1, 0)) /
                                     static_cast<double>(std::max<std::int64_t>(o.decay_steps - 1, 1)));
  const double pi = 3.14159265358979323846;
  return o.lr * (o.lr_end_factor + (1.0 - o.lr_end_factor) * 0.5 * (1.0 + std::cos(pi * x)));
}
double ReverseKlTrainer::anneal_factor(std::int64_t k) const {
  const double r = impl_->opt.beta_anneal;
  if (r <= 0) return 1.0;
  return 1.0 - std::pow(r, static_cast<double>(std::max<std::int64_t>(k, 1)));
}
const ReverseKlOptions& ReverseKlTrainer::options() const { return impl_->opt; }
GenerativeSampler& ReverseKlTrainer::model() { return impl_->model; }

TrainStepStats ReverseKlTrainer::accumulate_gradient(const torch::Tensor& local_spins,
                                                     std::int64_t global_batch) {
  check_spins(local_spins);
  torch::Tensor log_q;
  if (local_spins.size(0) > 0) log_q = impl_->model.log_prob(local_spins);
  return gradient_from(local_spins, log_q, global_batch);
}

void ReverseKlTrainer::check_spins(const torch::Tensor& local_spins) const {
  const int n = impl_->model.lattice_size();
  RIGCS_CHECK(local_spins.dim() == 3 && local_spins.size(1) == n && local_spins.size(2) == n,
              "spins for an " << n << "x" << n << " model have shape " << local_spins.sizes());
}

TrainStepStats ReverseKlTrainer::gradient_from(const torch::Tensor& local_spins, const torch::Tensor& log_q,
                                               std::int64_t global_batch) {
  auto& s = *impl_;
  const auto& o = s.opt;
  RIGCS_CHECK(global_batch >= 1, "global batch must be >= 1, got " << global_batch);
  const std::int64_t b = local_spins.size(0);
  auto params = s.model.parameters();
  for (auto& p : params)
    if (p.grad().defined()) p.mutable_grad().zero_();

  // f = beta H + log q, detached; log w = -f. With annealing the loss uses
  // f_a = a beta H + log q (the tempered target); the statistics stay those of f.
  const double a = anneal_factor(s.steps + 1);
  torch::Tensor f, f_loss;
  double stats[4] = {0.0, static_cast<double>(b), 0.0, 0.0};  // sum f, count, sum log q, sum f_a
  double lse_w = -std::numeric_limits<double>::infinity();
  double lse_w2 = lse_w;
  if (b > 0) {
    torch::NoGradGuard no_grad;
    auto s64 = local_spins.to(torch::kFloat64);
    auto beta_h = (o.action ? o.action(s64).to(torch::kFloat64) : o.beta * ising_energy(s64, o.j))
                      .to(log_q.device());
    auto lq = log_q.detach().to(torch::kFloat64);
    f = beta_h + lq;
    f_loss = a == 1.0 ? f : a * beta_h + lq;
    stats[0] = f.sum().item<double>();
    stats[2] = lq.sum().item<double>();
    stats[3] = f_loss.sum().item<double>();
    lse_w = torch::logsumexp(-f, 0).item<double>();
    lse_w2 = torch::logsumexp(-2.0 * f, 0).item<double>();
  }
  s.comm.allreduce_sum(stats, 4);
  RIGCS_CHECK(static_cast<std::int64_t>(stats[1]) == global_batch,
              "ranks hold " << stats[1] << " samples in all, but the global batch is "
                            << global_batch);
  const double m = static_cast<double>(global_batch);
  // The baseline is the mean of f over the GLOBAL batch, so every rank's term belongs
  // to the same loss; each rank's sum is divided by the global count.
  const double mean_f = stats[0] / m;
  const double mean_f_loss = stats[3] / m;
  double local_loss = 0.0;
  if (b > 0) {
    auto loss = ((f_loss - mean_f_loss) * log_q).sum() / m;
    loss.backward();
    local_loss = loss.item<double>();
  }

  // One allreduce: all gradients and the loss, summed in double.
  std::vector<torch::Tensor> flat;
  for (auto& p : params) {
    if (p.grad().defined())
      flat.push_back(p.grad().detach().to(torch::kCPU, torch::kFloat64).flatten());
    else
      flat.push_back(torch::zeros({p.numel()}, torch::kFloat64));
  }
  flat.push_back(torch::full({1}, local_loss, torch::kFloat64));
  auto buf = torch::cat(flat).contiguous();
  s.comm.allreduce_sum(buf.data_ptr<double>(), static_cast<std::size_t>(buf.numel()));
  const double global_loss = buf[buf.numel() - 1].item<double>();
  const bool finite = std::isfinite(global_loss) && torch::isfinite(buf).all().item<bool>();
  if (!finite) RIGCS_FAIL("non-finite loss at step " << s.steps + 1);
  {
    torch::NoGradGuard no_grad;
    std::int64_t off = 0;
    for (auto& p : params) {
      auto g = buf.narrow(0, off, p.numel()).view(p.sizes()).to(p.options());
      if (p.grad().defined())
        p.mutable_grad().copy_(g);
      else
        p.mutable_grad() = g;
      off += p.numel();
    }
  }

  TrainStepStats st;
  st.step = s.steps;
  st.loss = global_loss;
  st.mean_f = mean_f;
  st.anneal = a;
  st.entropy = -stats[2] / m;
  const double l1 = logsumexp_allreduce(s.comm, lse_w);
  const double l2 = logsumexp_allreduce(s.comm, lse_w2);
  st.ess = std::exp(2.0 * l1 - l2 - std::log(m));
  return st;
}

TrainStepStats ReverseKlTrainer::step() {
  auto& s = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  const auto share = split_work(s.opt.batch, s.comm.rank(), s.comm.size());
  s.gen.set_current_seed(step_seed(s.opt.seed, s.comm.rank(), s.steps));
  // A rank whose share is empty (more ranks than samples) still joins the allreduces.
  SampleBatch drawn;
  if (share.count() > 0) {
    drawn = s.model.sample_with_grad(share.count(), s.gen);
  } else {
    const int n = s.model.lattice_size();
    drawn.spins = torch::empty({0, n, n}, torch::TensorOptions().dtype(torch::kFloat).device(s.model.device()));
  }
  TrainStepStats st = gradient_from(drawn.spins, drawn.log_q, s.opt.batch);
  for (auto& group : s.adam.param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate(s.steps + 1));
  s.adam.step();
  ++s.steps;
  st.step = s.steps;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

NamedTensors ReverseKlTrainer::export_state() const {
  auto& s = *impl_;
  NamedTensors out;
  for (auto& [name, p] : s.model.named_parameters()) out.emplace_back("param/" + name, p.detach().clone());
  for (auto& [name, b] : s.model.named_buffers()) out.emplace_back("buffer/" + name, b.detach().clone());
  for (auto& [name, p] : s.model.named_parameters()) {
    auto it = s.adam.state().find(adam_key(p));
    if (it == s.adam.state().end()) continue;
    const auto& st = static_cast<const torch::optim::AdamParamState&>(*it->second);
    out.emplace_back("adam/" + name + "/exp_avg", st.exp_avg().detach().clone());
    out.emplace_back("adam/" + name + "/exp_avg_sq", st.exp_avg_sq().detach().clone());
    out.emplace_back("adam/" + name + "/step", int64_scalar(st.step()));
  }
  out.emplace_back("trainer/step", int64_scalar(s.steps));
  out.emplace_back("trainer/seed", int64_scalar(static_cast<std::int64_t>(s.opt.seed)));
  return out;
}

void ReverseKlTrainer::import_state(const NamedTensors& state) {
  auto& s = *impl_;
  std::map<std::string, torch::Tensor> byname;
  for (const auto& [name, t] : state) byname[name] = t;
  auto find = [&](const std::string& key) -> const torch::Tensor* {
    auto it = byname.find(key);
    return it == byname.end() ? nullptr : &it->second;
  };
  auto model_params = s.model.named_parameters();
  auto model_buffers = s.model.named_buffers();
  // Validate everything before touching anything, so a refused state changes nothing.
  auto check_same = [&](const std::string& key, const torch::Tensor& like, const char* what) {
    const torch::Tensor* t = find(key);
    RIGCS_CHECK(t != nullptr, "checkpoint lacks " << what << " '" << key << "'");
    RIGCS_CHECK(t->sizes() == like.sizes(), "checkpoint " << what << " '" << key << "' has shape "
                                                          << shape_str(*t) << ", the model "
                                                          << shape_str(like));
  };
  std::map<std::string, bool> known;
  for (auto& [name, p] : model_params) {
    check_same("param/" + name, p, "parameter");
    known["param/" + name] = true;
  }
  for (auto& [name, b] : model_buffers) {
    check_same("buffer/" + name, b, "buffer");
    known["buffer/" + name] = true;
  }
  for (const auto& [name, t] : state) {
    const bool model_part = name.rfind("param/", 0) == 0 || name.rfind("buffer/", 0) == 0;
    RIGCS_CHECK(!model_part || known.count(name), "checkpoint holds '" << name
                                                                       << "', which the model lacks");
  }
  for (auto& [name, p] : model_params) {
    const std::string a = "adam/" + name + "/";
    if (find(a + "step") == nullptr) continue;
    check_same(a + "exp_avg", p, "Adam moment");
    check_same(a + "exp_avg_sq", p, "Adam moment");
  }
  RIGCS_CHECK(find("trainer/step") != nullptr, "checkpoint lacks 'trainer/step'");

  torch::NoGradGuard no_grad;
  for (auto& [name, p] : model_params) p.copy_(*find("param/" + name));
  for (auto& [name, b] : model_buffers) b.copy_(*find("buffer/" + name));
  s.adam.state().clear();
  for (auto& [name, p] : model_params) {
    const std::string a = "adam/" + name + "/";
    const torch::Tensor* st = find(a + "step");
    if (st == nullptr) continue;
    auto ps = std::make_unique<torch::optim::AdamParamState>();
    ps->step(st->item<std::int64_t>());
    ps->exp_avg(find(a + "exp_avg")->to(p.options()).clone().contiguous());
    ps->exp_avg_sq(find(a + "exp_avg_sq")->to(p.options()).clone().contiguous());
    s.adam.state()[adam_key(p)] = std::move(ps);
  }
  s.steps = find("trainer/step")->item<std::int64_t>();
  if (const torch::Tensor* seed = find("trainer/seed"))
    s.opt.seed = static_cast<std::uint64_t>(seed->item<std::int64_t>());
}

WeightChecksum weight_checksum(GenerativeSampler& model) {
  WeightChecksum c;
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a offset basis
  for (auto& [name, p] : model.named_parameters()) {
    auto t = p.detach().to(torch::kCPU).contiguous();
    c.sum += t.to(torch::kFloat64).sum().item<double>();
    const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
    const std::size_t nbytes = static_cast<std::size_t>(t.numel()) * t.element_size();
    for (std::size_t i = 0; i < nbytes; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ULL;
    }
  }
  c.hash = h;
  return c;
}

bool weights_agree(GenerativeSampler& model, Communicator& comm) {
  const WeightChecksum mine = weight_checksum(model);
  double sum = mine.sum;
  std::uint64_t hash = mine.hash;
  comm.broadcast(&sum, 1, 0);
  comm.broadcast(&hash, 1, 0);
  const double same = (sum == mine.sum && hash == mine.hash) ? 1.0 : 0.0;
  return comm.min(same) == 1.0;
}

}  // namespace rigcs
