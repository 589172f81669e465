#include "rigcs/samplers/rigcs_field.hpp"

#include <array>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/nn/conditional_cnn.hpp"
#include "rigcs/nn/gaussian_mixture.hpp"
#include "incremental_field_level.hpp"
#include "incremental_level.hpp"

namespace rigcs {

namespace {

// The window of every site of one level, and which of its positions are known when
// the site is drawn.
struct LevelTables {
  torch::Tensor sites;   // (P) int64, fine-lattice index of each site, drawing order
  torch::Tensor window;  // (P, w * w) int64, fine-lattice index of each window position
  torch::Tensor known;   // (P, w * w) float32, 1 where that position is known
  // For the incremental kernel: the sites, and which sites of the block's fine lattice
  // are known before the level.
  std::vector<std::int32_t> host_sites;
  std::vector<std::uint8_t> known_before_level;
};

bool known_before(const MultilevelBlock& b, SubLevel level, int q, int p) {
  const SubLevel s = b.sublevel_of_site[static_cast<std::size_t>(q)];
  if (s == SubLevel::Coarse) return true;
  if (level == SubLevel::B && s == SubLevel::A) return true;
  return s == level && b.order_in_sublevel[static_cast<std::size_t>(q)] < p;
}

LevelTables make_tables(const MultilevelBlock& b, SubLevel level, int w) {
  const auto& sites = b.sites(level);
  const auto n_sites = static_cast<std::int64_t>(sites.size());
  const int m = b.fine_size, r = w / 2;
  LevelTables t;
  t.sites = torch::empty({n_sites}, torch::kLong);
  t.window = torch::empty({n_sites, w * w}, torch::kLong);
  t.known = torch::zeros({n_sites, w * w}, torch::kFloat32);
  auto s = t.sites.accessor<std::int64_t, 1>();
  auto win = t.window.accessor<std::int64_t, 2>();
  auto kn = t.known.accessor<float, 2>();
  t.host_sites.assign(sites.begin(), sites.end());
  t.known_before_level.resize(static_cast<std::size_t>(m) * m);
  for (int q = 0; q < m * m; ++q) t.known_before_level[static_cast<std::size_t>(q)] = known_before(b, level, q, 0);
  for (std::int64_t p = 0; p < n_sites; ++p) {
    const int v = sites[static_cast<std::size_t>(p)];
    s[p] = v;
    const int i = v / m, j = v % m;
    int k = 0;
    for (int di = -r; di <= r; ++di)
      for (int dj = -r; dj <= r; ++dj, ++k) {
        const int q = b.site(i + di, j + dj);
        win[p][k] = q;
        kn[p][k] = known_before(b, level, q, static_cast<int>(p)) ? 1.0f : 0.0f;
      }
  }
  return t;
}

// The field of block k's fine lattice, (B, m * m) in dtype/device `opt`: the finest
// field at that block's stride.
torch::Tensor block_lattice(const torch::Tensor& field, const MultilevelPartition& partition, int k,
                            const torch::TensorOptions& opt) {
  using torch::indexing::Slice;
  const std::int64_t n = partition.size(), s = partition.stride(k);
  return field.index({Slice(), Slice(0, n, s), Slice(0, n, s)}).to(opt).reshape({field.size(0), -1});
}

// log q of the coarsest lattice: the field at the coarsest stride, under the coarse model.
torch::Tensor coarse_log_prob(const torch::Tensor& field, const MultilevelPartition& partition,
                              GenerativeSampler& coarse) {
  using torch::indexing::Slice;
  const std::int64_t n = partition.size(), s = partition.coarsest_stride();
  return coarse.log_prob(field.index({Slice(), Slice(0, n, s), Slice(0, n, s)}).contiguous());
}

}  // namespace

struct RigcsFieldSampler::Impl {
  std::vector<ConditionalCnn> nets_a, nets_b;
  std::vector<std::array<LevelTables, 2>> tables;  // per block: a, b
  std::vector<torch::Tensor> coarse_sites;         // per block: MultilevelBlock::coarse_sites, int64
  GaussianMixtureHead head;
  int w = 0;
  FieldPath path = FieldPath::Automatic;

  ConditionalCnn& net(int block, SubLevel level) {
    return level == SubLevel::A ? nets_a[static_cast<std::size_t>(block)] : nets_b[static_cast<std::size_t>(block)];
  }
  LevelTables& table(int block, SubLevel level) {
    return tables[static_cast<std::size_t>(block)][level == SubLevel::A ? 0 : 1];
  }
};

RigcsFieldSampler::RigcsFieldSampler(const RigcsFieldOptions& options, std::shared_ptr<GenerativeSampler> coarse)
    : options_(options), partition_(options.coarsest_size, options.blocks), coarse_(std::move(coarse)),
      impl_(std::make_unique<Impl>()) {
  RIGCS_CHECK(coarse_, "RiGCS (field) needs a coarse model");
  RIGCS_CHECK(coarse_->lattice_size() == options.coarsest_size,
              "RiGCS (field): the coarse model is " << coarse_->lattice_size() << "x" << coarse_->lattice_size()
                                                    << ", but N0 = " << options.coarsest_size);
  RIGCS_CHECK(options.blocks >= 1, "RiGCS (field) needs >= 1 block, got " << options.blocks);
  RIGCS_CHECK(options.mixture_components >= 1, "RiGCS (field): mixture components must be >= 1");
  ConditionalCnnOptions c;
  c.channels = options.channels;
  c.kernel1 = options.kernel1;
  c.kernel2 = options.kernel2;
  c.negative_slope = options.negative_slope;
  c.in_channels = 2;
  c.out_channels = 3 * options.mixture_components;
  impl_->head = {options.mixture_components, options.min_width};
  impl_->w = options.kernel1 + options.kernel2 - 1;
  for (int k = 0; k < options.blocks; ++k) {
    impl_->nets_a.emplace_back(c);
    impl_->nets_b.emplace_back(c);
    const auto& b = partition_.block(k);
    impl_->tables.push_back({make_tables(b, SubLevel::A, impl_->w), make_tables(b, SubLevel::B, impl_->w)});
    impl_->coarse_sites.push_back(torch::tensor(std::vector<std::int64_t>(b.coarse_sites.begin(), b.coarse_sites.end())));
  }
}

RigcsFieldSampler::~RigcsFieldSampler() = default;

torch::Tensor RigcsFieldSampler::level_params(const torch::Tensor& fine, int block, SubLevel level) {
  // fine: (B, m * m) in the net's dtype, or (B, m, m).
  auto& t = impl_->table(block, level);
  const int w = impl_->w;
  const std::int64_t b = fine.size(0), n_sites = t.sites.size(0);
  auto x = fine.reshape({b, -1});
  auto vals = x.index_select(1, t.window.flatten()).view({b, n_sites, w * w});
  auto known = t.known.to(x.options());
  auto inp = torch::stack({vals * known, known.expand({b, n_sites, w * w})}, 2).view({b * n_sites, 2, w, w});
  return impl_->net(block, level)->patch_outputs(inp).view({b, n_sites, impl_->head.outputs()});
}

SampleBatch RigcsFieldSampler::sample(std::int64_t batch, torch::Generator& gen) {
  if (uses_incremental()) return sample_incremental(batch, gen, false);
  torch::NoGradGuard no_grad;
  const auto wopt = impl_->nets_a.front()->conv1->weight.options();
  SampleBatch c = coarse_->sample(batch, gen);
  auto x = c.spins.to(wopt).reshape({batch, -1});
  auto log_q = c.log_q.to(torch::kFloat64).clone();
  const int w = impl_->w;
  for (int k = 0; k < partition_.blocks(); ++k) {
    const auto& blk = partition_.block(k);
    const int m = blk.fine_size;
    auto fine = torch::zeros({batch, static_cast<std::int64_t>(m) * m}, wopt);
    fine.index_copy_(1, impl_->coarse_sites[static_cast<std::size_t>(k)], x);
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      auto& t = impl_->table(k, level);
      auto& net = impl_->net(k, level);
      const auto& window = t.window;
      auto known = t.known.to(wopt);
      const auto sites_cpu = t.sites.cpu();  // the tables follow the nets to their device
      const auto sites = sites_cpu.accessor<std::int64_t, 1>();
      for (std::int64_t p = 0; p < t.sites.size(0); ++p) {
        auto kn = known[p];
        auto vals = fine.index_select(1, window[p]);
        auto inp = torch::stack({vals * kn, kn.expand({batch, w * w})}, 1).view({batch, 2, w, w});
        auto out = net->patch_outputs(inp);
        auto value = impl_->head.sample(out, gen).to(wopt);
        fine.select(1, sites[p]).copy_(value);
        log_q += impl_->head.log_density(out, value);
      }
    }
    x = fine;
  }
  const int n = partition_.size();
  return {x.view({batch, n, n}), log_q};
}

torch::Tensor RigcsFieldSampler::log_prob(const torch::Tensor& field) {
  const int n = partition_.size();
  RIGCS_CHECK(field.dim() == 3 && field.size(1) == n && field.size(2) == n,
              "RiGCS (field) on " << n << "x" << n << " got a field of shape " << field.sizes());
  if (uses_incremental()) return log_prob_incremental(field);
  const auto wopt = impl_->nets_a.front()->conv1->weight.options();
  auto lq = coarse_log_prob(field, partition_, *coarse_);
  for (int k = 0; k < partition_.blocks(); ++k) {
    auto fine = block_lattice(field, partition_, k, wopt);
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      auto params = level_params(fine, k, level);
      auto values = fine.index_select(1, impl_->table(k, level).sites.to(wopt.device()));
      lq = lq + impl_->head.log_density(params, values).sum(1);
    }
  }
  return lq;
}

void RigcsFieldSampler::set_path(FieldPath path) { impl_->path = path; }

bool RigcsFieldSampler::uses_incremental() const {
  if (impl_->path == FieldPath::Patches) return false;
  const bool cpu = impl_->nets_a.front()->conv1->weight.is_cpu();
  const bool fits_c = options_.channels <= detail::kMaxIncrementalChannels;
  const bool fits_h = options_.mixture_components <= detail::kMaxFieldComponents;
  if (impl_->path == FieldPath::Incremental) {
    RIGCS_CHECK(cpu, "incremental RiGCS (field) runs on the CPU; the model is on another device");
    RIGCS_CHECK(fits_c, "incremental RiGCS (field) supports up to " << detail::kMaxIncrementalChannels
                                                                    << " channels, the model has " << options_.channels);
    RIGCS_CHECK(fits_h, "incremental RiGCS (field) supports up to " << detail::kMaxFieldComponents
                                                                    << " mixture components, the model has "
                                                                    << options_.mixture_components);
  }
  return cpu && fits_c && fits_h;
}

namespace {

// f(parameter) of a net's conv1.weight, conv1.bias, conv2.weight, conv2.bias in the
// incremental kernel's layout, flattened, in the order of detail::field_score_size:
// conv1.weight (C, 2, k1, k1) -> value and mask taps, each (k1 k1, C); conv2.weight
// (3H, C, k2, k2) -> (k2 k2, 3H, C).
template <class F>
std::array<torch::Tensor, 5> kernel_layout(ConditionalCnn& net, F f) {
  const auto c = net->options().channels;
  const auto w1 = f(net->conv1->weight);
  return {w1.select(1, 0).reshape({c, -1}).t().reshape({-1}), w1.select(1, 1).reshape({c, -1}).t().reshape({-1}),
          f(net->conv1->bias), f(net->conv2->weight).permute({2, 3, 0, 1}).reshape({-1}), f(net->conv2->bias)};
}

// A net's weights in the layouts of the incremental kernel.
detail::FieldLevelWeights field_weights(ConditionalCnn& net, const GaussianMixtureHead& head) {
  const auto& o = net->options();
  detail::FieldLevelWeights w;
  w.channels = o.channels;
  w.kernel1 = o.kernel1;
  w.kernel2 = o.kernel2;
  w.components = head.components;
  w.negative_slope = static_cast<float>(o.negative_slope);
  w.min_width = head.min_width;
  auto host = [](const torch::Tensor& t) {
    auto c = t.to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  const auto parts = kernel_layout(net, [](const torch::Tensor& p) { return p.detach(); });
  w.w1v = host(parts[0]);
  w.w1m = host(parts[1]);
  w.b1 = host(parts[2]);
  w.w2 = host(parts[3]);
  w.b2 = host(parts[4]);
  return w;
}

struct FieldLevelScore {
  ConditionalCnn net{nullptr};
  torch::Tensor score;  // (B, field_score_size) float, kernel layout
};

bool wants_gradient(GenerativeSampler& model) {
  if (!torch::GradMode::is_enabled()) return false;
  for (auto& p : model.named_parameters())
    if (p.second.requires_grad()) return true;
  return false;
}

// log q (B, float64, no graph) plus, for every parameter p with per-sample score S
// (B, |p|), S (p - p.detach()): the value unchanged, d log q_b / dp = S_b for autograd.
torch::Tensor attach_field_scores(torch::Tensor log_q, const std::vector<FieldLevelScore>& scores) {
  for (const auto& ls : scores) {
    auto s = ls.score.to(torch::kDouble);
    auto net = ls.net;
    const auto parts =
        kernel_layout(net, [](const torch::Tensor& p) { return (p - p.detach()).to(torch::kDouble); });
    std::int64_t at = 0;
    for (const auto& d : parts) {
      log_q = log_q + s.narrow(1, at, d.numel()).matmul(d);
      at += d.numel();
    }
  }
  return log_q;
}

}  // namespace

SampleBatch RigcsFieldSampler::sample_with_grad(std::int64_t batch, torch::Generator& gen) {
  if (!uses_incremental()) return GenerativeSampler::sample_with_grad(batch, gen);
  return sample_incremental(batch, gen, wants_gradient(*this));
}

SampleBatch RigcsFieldSampler::sample_incremental(std::int64_t batch, torch::Generator& gen, bool with_grad) {
  RIGCS_CHECK(batch >= 1, "batch size must be >= 1, got " << batch);
  torch::NoGradGuard no_grad;
  SampleBatch c = coarse_->sample(batch, gen);
  auto x = c.spins.to(torch::kFloat).reshape({batch, -1});
  auto log_q = c.log_q.to(torch::kFloat64).contiguous().clone();
  const auto dopt = torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<FieldLevelScore> scores;
  for (int k = 0; k < partition_.blocks(); ++k) {
    const int m = partition_.block(k).fine_size;
    auto fine = torch::zeros({batch, static_cast<std::int64_t>(m) * m}, torch::kFloat);
    fine.index_copy_(1, impl_->coarse_sites[static_cast<std::size_t>(k)], x);
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      auto& t = impl_->table(k, level);
      const auto p = static_cast<std::int64_t>(t.host_sites.size());
      auto u = torch::rand({p, batch}, gen, dopt).contiguous();
      auto z = torch::randn({p, batch}, gen, dopt).contiguous();
      const auto w = field_weights(impl_->net(k, level), impl_->head);
      FieldLevelScore ls;
      if (with_grad) {
        ls.net = impl_->net(k, level);
        ls.score = torch::empty({batch, static_cast<std::int64_t>(detail::field_score_size(w))}, torch::kFloat);
      }
      detail::run_field_level_incremental(fine.data_ptr<float>(), batch, m, t.known_before_level.data(),
                                          t.host_sites.data(), static_cast<int>(p), u.data_ptr<double>(),
                                          z.data_ptr<double>(), nullptr, log_q.data_ptr<double>(),
                                          with_grad ? ls.score.data_ptr<float>() : nullptr, w);
      if (with_grad) scores.push_back(std::move(ls));
    }
    x = fine;
  }
  const int n = partition_.size();
  auto field = x.view({batch, n, n});
  if (!with_grad) return {field, log_q};
  // The coarse model's gradient through autograd, its value as drawn.
  torch::AutoGradMode enable(true);
  auto coarse_graph = coarse_->log_prob(c.spins).to(torch::kFloat64);
  return {field, attach_field_scores(log_q, scores) + (coarse_graph - coarse_graph.detach())};
}

torch::Tensor RigcsFieldSampler::log_prob_incremental(const torch::Tensor& field) {
  const auto batch = field.size(0);
  const bool grad = wants_gradient(*this);
  auto lq = coarse_log_prob(field, partition_, *coarse_).to(torch::kFloat64);
  auto log_q = torch::zeros({batch}, torch::kFloat64);
  std::vector<FieldLevelScore> scores;
  {
    torch::NoGradGuard no_grad;
    const auto fopt = torch::TensorOptions().dtype(torch::kFloat);
    for (int k = 0; k < partition_.blocks(); ++k) {
      const int m = partition_.block(k).fine_size;
      auto fine = block_lattice(field.detach(), partition_, k, fopt).contiguous();
      for (SubLevel level : {SubLevel::A, SubLevel::B}) {
        auto& t = impl_->table(k, level);
        const auto w = field_weights(impl_->net(k, level), impl_->head);
        FieldLevelScore ls;
        if (grad) {
          ls.net = impl_->net(k, level);
          ls.score = torch::empty({batch, static_cast<std::int64_t>(detail::field_score_size(w))}, torch::kFloat);
        }
        auto state = fine.clone();
        detail::run_field_level_incremental(state.data_ptr<float>(), batch, m, t.known_before_level.data(),
                                            t.host_sites.data(), static_cast<int>(t.host_sites.size()), nullptr,
                                            nullptr, fine.data_ptr<float>(), log_q.data_ptr<double>(),
                                            grad ? ls.score.data_ptr<float>() : nullptr, w);
        if (grad) scores.push_back(std::move(ls));
      }
    }
  }
  torch::AutoGradMode enable(grad);
  return lq + attach_field_scores(log_q, scores);
}

torch::Tensor RigcsFieldSampler::log_prob_reference(const torch::Tensor& field) {
  torch::NoGradGuard no_grad;
  const auto wopt = impl_->nets_a.front()->conv1->weight.options();
  auto lq = coarse_log_prob(field, partition_, *coarse_);
  for (int k = 0; k < partition_.blocks(); ++k) {
    const auto& blk = partition_.block(k);
    const int m = blk.fine_size;
    auto fine = block_lattice(field, partition_, k, wopt);
    // What is known, grown site by site as the levels are drawn.
    auto known = torch::zeros({m * m}, wopt);
    for (int v : blk.coarse_sites) known[v] = 1.0;
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      auto& net = impl_->net(k, level);
      for (int v : blk.sites(level)) {
        // The whole periodic lattice through the net, the output at v read off.
        auto inp = torch::stack({fine * known, known.expand_as(fine)}, 1).view({field.size(0), 2, m, m});
        auto at_v = net->forward_logits(inp).flatten(2).select(2, v);  // (B, 3H)
        lq = lq + impl_->head.log_density(at_v, fine.select(1, v));
        known[v] = 1.0;
      }
    }
  }
  return lq;
}

std::vector<std::pair<std::string, torch::Tensor>> RigcsFieldSampler::named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [name, t] : coarse_->named_parameters()) out.emplace_back("coarse." + name, t);
  for (int k = 0; k < partition_.blocks(); ++k)
    for (SubLevel level : {SubLevel::A, SubLevel::B}) {
      const std::string prefix = "block" + std::to_string(k) + (level == SubLevel::A ? ".a." : ".b.");
      for (const auto& item : impl_->net(k, level)->named_parameters(true)) out.emplace_back(prefix + item.key(), item.value());
    }
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> RigcsFieldSampler::named_buffers() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [name, t] : coarse_->named_buffers()) out.emplace_back("coarse." + name, t);
  return out;
}

void RigcsFieldSampler::to(const torch::Device& device) {
  coarse_->to(device);
  for (auto& n : impl_->nets_a) n->to(device);
  for (auto& n : impl_->nets_b) n->to(device);
  for (auto& c : impl_->coarse_sites) c = c.to(device);
  for (auto& lv : impl_->tables)
    for (auto& t : lv) {
      t.sites = t.sites.to(device);
      t.window = t.window.to(device);
      t.known = t.known.to(device);
    }
}

void RigcsFieldSampler::transfer_from(RigcsFieldSampler& smaller) {
  const auto& o = smaller.options_;
  RIGCS_CHECK(o.coarsest_size == options_.coarsest_size && o.blocks + 1 == options_.blocks &&
                  o.channels == options_.channels && o.kernel1 == options_.kernel1 && o.kernel2 == options_.kernel2 &&
                  o.mixture_components == options_.mixture_components,
              "RiGCS (field) model transfer needs the same N0 and nets and one block fewer");
  torch::NoGradGuard no_grad;
  if (smaller.coarse_ != coarse_) {
    auto dst = coarse_->named_parameters();
    auto src = smaller.coarse_->named_parameters();
    RIGCS_CHECK(dst.size() == src.size(), "RiGCS (field) model transfer: the coarse models differ");
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i].second.copy_(src[i].second);
  }
  for (int k = 0; k < o.blocks; ++k) {
    impl_->nets_a[static_cast<std::size_t>(k)]->copy_weights_from(*smaller.impl_->nets_a[static_cast<std::size_t>(k)]);
    impl_->nets_b[static_cast<std::size_t>(k)]->copy_weights_from(*smaller.impl_->nets_b[static_cast<std::size_t>(k)]);
  }
  if (o.blocks >= 1) {
    // H.4: the new last block starts from the old last block's nets (theta_2 -> theta_4).
    const auto last = static_cast<std::size_t>(o.blocks - 1);
    impl_->nets_a.back()->copy_weights_from(*smaller.impl_->nets_a[last]);
    impl_->nets_b.back()->copy_weights_from(*smaller.impl_->nets_b[last]);
  }
}

std::unique_ptr<RigcsFieldSampler> RigcsFieldSampler::grow() {
  RigcsFieldOptions o = options_;
  o.blocks += 1;
  auto bigger = std::make_unique<RigcsFieldSampler>(o, coarse_);
  bigger->to(impl_->nets_a.front()->conv1->weight.device());
  bigger->transfer_from(*this);
  return bigger;
}

}  // namespace rigcs
