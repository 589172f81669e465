#include "rigcs/samplers/rigcs_sampler.hpp"

#include <algorithm>
#include <map>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/nn/conditional_cnn.hpp"
#include "rigcs/nn/conditional_transformer.hpp"
#include "rigcs/nn/level_transformer.hpp"
#include "incremental_level.hpp"

namespace rigcs {

namespace {

torch::Tensor to_long(const std::vector<std::int64_t>& v) { return torch::tensor(v, torch::kLong); }

// Block k's fine lattice taken out of the finest lattice, flattened: (B, m * m).
torch::Tensor sublattice(const torch::Tensor& x, int stride) {
  const auto n = x.size(1);
  return x.slice(1, 0, n, stride).slice(2, 0, n, stride).contiguous().reshape({x.size(0), -1});
}

// A block's fine lattice (B, m, m) at its start: the coarse spins (B, m/2, m/2) on the
// (even, even) sites, zeros on the sites still to draw.
torch::Tensor embed_coarse(const torch::Tensor& coarse, int m) {
  auto fine = torch::zeros({coarse.size(0), m, m}, coarse.options());
  fine.slice(1, 0, m, 2).slice(2, 0, m, 2).copy_(coarse);
  return fine;
}

torch::Tensor plus_minus(const torch::Tensor& u, const torch::Tensor& p_plus) {
  return torch::where(u < p_plus, torch::ones_like(u), -torch::ones_like(u));
}

// Windows of sites: (B, P * w * w) gathered from the flat lattice, masked, shaped for the net.
torch::Tensor gather_patches(const torch::Tensor& flat, const torch::Tensor& gather,
                             const torch::Tensor& mask, int w) {
  const auto batch = flat.size(0);
  const auto p = mask.size(0);
  auto patches = flat.index_select(1, gather).reshape({batch, p, w * w}) * mask;
  return patches.reshape({batch * p, 1, w, w});
}

}  // namespace

// One level of one block: either a conditional net with its window tables and depth
// schedule, or (level b of the last block) the exact heat bath.
struct LevelTables {
  int block = 0;
  SubLevel sublevel = SubLevel::A;
  int fine_size = 0;
  bool heat_bath = false;
  torch::Tensor sites;       // (P) long, fine sites in drawing order
  std::vector<std::int32_t> host_sites;  // the same, for the incremental CPU path
  torch::Tensor neighbours;  // heat bath: (P * 4) long
  torch::Tensor gather;      // net: (P * w * w) long, window of each site, row-major
  torch::Tensor mask;        // net: (P, w * w) float, 1 where the spin was known at drawing time
  torch::Tensor known;       // net: (m * m) float, 1 on sites of coarser levels (reference path)
  // Transformer: each site's tokens, the site itself first, then the window positions
  // known at drawing time (row-major), padded to the level's longest list with copies
  // of the site that are not keys. tok_gather (P * K) long, lattice sites;
  // tok_offset (P, K) long, window positions; tok_known (P, K) float, 1 on keys whose
  // spin is read (0 on the site itself and the padding).
  torch::Tensor tok_gather, tok_offset, tok_known;
  struct Group {
    torch::Tensor sites, gather, mask;
    torch::Tensor tok_gather, tok_offset, tok_known;
  };
  std::vector<Group> groups;  // net: sites of equal dependency depth, in depth order
  bool transformer = false;
  bool lattice = false;  // a lattice-context transformer (ltnet, lt); else the window one (tnet)
  ConditionalCnn net{nullptr};
  ConditionalTransformer tnet{nullptr};
  LevelTransformer ltnet{nullptr};
  LevelTransformerTables lt;

  // The net's parameters (any kind).
  std::vector<torch::Tensor> net_parameters() { return module().parameters(); }
  torch::nn::Module& module() {
    if (lattice) return *ltnet;
    return transformer ? static_cast<torch::nn::Module&>(*tnet) : static_cast<torch::nn::Module&>(*net);
  }
};

struct RigcsSampler::Impl {
  int window = 0;
  SamplingPath path = SamplingPath::Automatic;
  GradientPath gradient_path = GradientPath::Automatic;
  std::vector<LevelTables> levels;  // block 0 a, block 0 b, block 1 a, ...
  bool transformer = false;
  bool lattice = false;

  // A parameter of the first net: its device and dtype are the model's.
  const torch::Tensor first_net_parameter() { return levels.front().net_parameters().front(); }

  LevelTables& level(int block, SubLevel s) {
    return levels[static_cast<std::size_t>(2 * block + (s == SubLevel::A ? 0 : 1))];
  }
};

namespace {

LevelTables make_net_level(const MultilevelBlock& b, int block, SubLevel cur, int w, const RigcsOptions& o) {
  LevelTables lv;
  lv.block = block;
  lv.sublevel = cur;
  lv.fine_size = b.fine_size;
  const int m = b.fine_size;
  const int r = w / 2;
  const auto& sites = b.sites(cur);
  const std::size_t p = sites.size();
  lv.sites = to_long(std::vector<std::int64_t>(sites.begin(), sites.end()));
  lv.host_sites.assign(sites.begin(), sites.end());
  std::vector<float> known(static_cast<std::size_t>(m) * m);
  for (std::size_t u = 0; u < known.size(); ++u) {
    known[u] = static_cast<int>(b.sublevel_of_site[u]) < static_cast<int>(cur) ? 1.0f : 0.0f;
  }
  lv.known = torch::tensor(known, torch::kFloat);
  lv.transformer = o.conditional == ConditionalKind::Transformer;
  lv.lattice = lv.transformer && o.transformer_context == TransformerContext::Lattice;
  if (lv.lattice) {
    // The whole fine lattice: no windows and no groups (every site sees the earlier ones).
    std::vector<int> known_sites;
    for (int u = 0; u < m * m; ++u)
      if (known[static_cast<std::size_t>(u)] > 0) known_sites.push_back(u);
    lv.lt = make_level_transformer_tables(m, known_sites, sites, w / 2);
    LevelTransformerOptions t;
    t.depth = o.transformer_depth;
    t.heads = o.transformer_heads;
    t.width = o.transformer_width;
    t.ff = o.transformer_ff;
    t.radius = w / 2;
    lv.ltnet = LevelTransformer(t);
    return lv;
  }
  std::vector<std::int64_t> gather;
  std::vector<float> mask;
  std::vector<int> depth(p, 0);
  gather.reserve(p * w * w);
  mask.reserve(p * w * w);
  for (std::size_t t = 0; t < p; ++t) {
    const int i = sites[t] / m, j = sites[t] % m;
    for (int di = -r; di <= r; ++di) {
      for (int dj = -r; dj <= r; ++dj) {
        const int u = b.site(i + di, j + dj);
        const SubLevel su = b.sublevel_of_site[u];
        const bool same_level_before = su == cur && b.order_in_sublevel[u] < static_cast<int>(t);
        const bool known_then = static_cast<int>(su) < static_cast<int>(cur) || same_level_before;
        gather.push_back(u);
        mask.push_back(known_then ? 1.0f : 0.0f);
        // Site t needs every earlier site of its level that its window sees.
        if (same_level_before) depth[t] = std::max(depth[t], depth[b.order_in_sublevel[u]] + 1);
      }
    }
  }
  lv.gather = to_long(gather);
  lv.mask = torch::tensor(mask, torch::kFloat).reshape({static_cast<std::int64_t>(p), w * w});
  const int ww = w * w;
  const auto rows = static_cast<std::int64_t>(p);
  std::int64_t k_tokens = 1;
  if (lv.transformer) {
    std::vector<std::vector<int>> keys(p);  // window positions known at drawing time
    for (std::size_t t = 0; t < p; ++t) {
      for (int q = 0; q < ww; ++q)
        if (mask[t * ww + q] > 0) keys[t].push_back(q);
      k_tokens = std::max<std::int64_t>(k_tokens, 1 + static_cast<std::int64_t>(keys[t].size()));
    }
    std::vector<std::int64_t> tg, to;
    std::vector<float> tk;
    for (std::size_t t = 0; t < p; ++t) {
      tg.push_back(sites[t]);
      to.push_back(ww / 2);
      tk.push_back(0.0f);
      for (std::int64_t c = 0; c + 1 < k_tokens; ++c) {
        const bool real = c < static_cast<std::int64_t>(keys[t].size());
        const int q = real ? keys[t][static_cast<std::size_t>(c)] : ww / 2;
        tg.push_back(real ? gather[t * ww + q] : sites[t]);
        to.push_back(q);
        tk.push_back(real ? 1.0f : 0.0f);
      }
    }
    lv.tok_gather = to_long(tg);
    lv.tok_offset = to_long(to).reshape({rows, k_tokens});
    lv.tok_known = torch::tensor(tk, torch::kFloat).reshape({rows, k_tokens});
  }
  const int max_depth = p ? *std::max_element(depth.begin(), depth.end()) : -1;
  for (int d = 0; d <= max_depth; ++d) {
    std::vector<std::int64_t> pos;
    for (std::size_t t = 0; t < p; ++t)
      if (depth[t] == d) pos.push_back(static_cast<std::int64_t>(t));
    auto pos_t = to_long(pos);
    LevelTables::Group g;
    g.sites = lv.sites.index_select(0, pos_t);
    g.mask = lv.mask.index_select(0, pos_t);
    g.gather = lv.gather.reshape({static_cast<std::int64_t>(p), w * w}).index_select(0, pos_t).reshape({-1});
    if (lv.transformer) {
      g.tok_gather = lv.tok_gather.reshape({rows, k_tokens}).index_select(0, pos_t).reshape({-1});
      g.tok_offset = lv.tok_offset.index_select(0, pos_t);
      g.tok_known = lv.tok_known.index_select(0, pos_t);
    }
    lv.groups.push_back(g);
  }
  if (lv.transformer) {
    ConditionalTransformerOptions t;
    t.window = w;
    t.depth = o.transformer_depth;
    t.heads = o.transformer_heads;
    t.width = o.transformer_width;
    t.ff = o.transformer_ff;
    lv.tnet = ConditionalTransformer(t);
  } else {
    ConditionalCnnOptions c;
    c.channels = o.channels;
    c.kernel1 = o.kernel1;
    c.kernel2 = o.kernel2;
    c.negative_slope = o.negative_slope;
    lv.net = ConditionalCnn(c);
  }
  return lv;
}

LevelTables make_heat_bath_level(const MultilevelBlock& b, int block) {
  LevelTables lv;
  lv.block = block;
  lv.sublevel = SubLevel::B;
  lv.fine_size = b.fine_size;
  lv.heat_bath = true;
  lv.sites = to_long(std::vector<std::int64_t>(b.level_b_sites.begin(), b.level_b_sites.end()));
  std::vector<std::int64_t> nb;
  for (const auto& a : b.level_b_neighbours) nb.insert(nb.end(), a.begin(), a.end());
  lv.neighbours = to_long(nb);
  return lv;
}

}  // namespace

RigcsSampler::RigcsSampler(const RigcsOptions& options, std::shared_ptr<GenerativeSampler> coarse)
    : options_(options),
      partition_(options.coarsest_size, options.blocks),
      coarse_(std::move(coarse)),
      impl_(new Impl) {
  RIGCS_CHECK(coarse_ != nullptr, "RiGCS needs a coarse model");
  RIGCS_CHECK(coarse_->lattice_size() == options.coarsest_size,
              "RiGCS coarse model is for " << coarse_->lattice_size() << "x" << coarse_->lattice_size()
                                           << " but N0 = " << options.coarsest_size);
  RIGCS_CHECK(options.blocks >= 1, "RiGCS needs at least one block, got B = " << options.blocks);
  impl_->window = options.kernel1 + options.kernel2 - 1;
  impl_->transformer = options.conditional == ConditionalKind::Transformer;
  impl_->lattice = impl_->transformer && options.transformer_context == TransformerContext::Lattice;
  for (int k = 0; k < partition_.blocks(); ++k) {
    const MultilevelBlock& b = partition_.block(k);
    impl_->levels.push_back(make_net_level(b, k, SubLevel::A, impl_->window, options));
    if (k + 1 < partition_.blocks()) {
      impl_->levels.push_back(make_net_level(b, k, SubLevel::B, impl_->window, options));
    } else {
      impl_->levels.push_back(make_heat_bath_level(b, k));
    }
  }
}

RigcsSampler::~RigcsSampler() = default;

bool RigcsSampler::has_net(int block, SubLevel level) const {
  RIGCS_CHECK(level != SubLevel::Coarse, "the coarse lattice has no conditional net");
  partition_.block(block);  // range check
  return !(level == SubLevel::B && block == partition_.blocks() - 1);
}

ConditionalCnn& RigcsSampler::net(int block, SubLevel level) {
  RIGCS_CHECK(has_net(block, level), "level b of the last block is the exact heat bath, it has no net");
  RIGCS_CHECK(!impl_->transformer, "this RiGCS model has transformer conditionals, not CNNs");
  return impl_->level(block, level).net;
}

ConditionalTransformer& RigcsSampler::transformer(int block, SubLevel level) {
  RIGCS_CHECK(has_net(block, level), "level b of the last block is the exact heat bath, it has no net");
  RIGCS_CHECK(impl_->transformer, "this RiGCS model has CNN conditionals, not transformers");
  RIGCS_CHECK(!impl_->lattice, "this RiGCS model has lattice-context transformers, not window ones");
  return impl_->level(block, level).tnet;
}

LevelTransformer& RigcsSampler::level_transformer(int block, SubLevel level) {
  RIGCS_CHECK(has_net(block, level), "level b of the last block is the exact heat bath, it has no net");
  RIGCS_CHECK(impl_->lattice, "this RiGCS model has no lattice-context transformer conditionals");
  return impl_->level(block, level).ltnet;
}

std::vector<int> RigcsSampler::sampling_steps() const {
  std::vector<int> steps;
  for (const auto& lv : impl_->levels) {
    const auto net_steps = lv.lattice ? lv.sites.size(0) : static_cast<std::int64_t>(lv.groups.size());
    steps.push_back(lv.heat_bath ? 1 : static_cast<int>(net_steps));
  }
  return steps;
}

namespace {

// Logits (B, P) of a net level's sites (all of them, or one group's), each from its
// window as it stood when the site was drawn; `flat` (B, m * m) may hold later spins.
torch::Tensor window_logits(LevelTables& lv, const torch::Tensor& flat, const torch::Tensor& gather,
                            const torch::Tensor& mask, const torch::Tensor& tok_gather,
                            const torch::Tensor& tok_offset, const torch::Tensor& tok_known, int w) {
  const auto batch = flat.size(0);
  if (lv.transformer) {
    const auto p = tok_offset.size(0), k = tok_offset.size(1);
    auto values = flat.index_select(1, tok_gather).reshape({batch, p, k}) * tok_known;
    return lv.tnet->token_logits(values, tok_offset, tok_known);
  }
  return lv.net->patch_logits(gather_patches(flat, gather, mask, w)).reshape({batch, mask.size(0)});
}

torch::Tensor level_window_logits(LevelTables& lv, const torch::Tensor& flat, int w) {
  if (lv.lattice) return lv.ltnet->logits(flat.index_select(1, lv.lt.content_sites), lv.lt);
  return window_logits(lv, flat, lv.gather, lv.mask, lv.tok_gather, lv.tok_offset, lv.tok_known, w);
}

// The whole-lattice net on (B, 1, m, m), unknown spins 0 (the reference path).
torch::Tensor whole_lattice_logits(LevelTables& lv, const torch::Tensor& lattice) {
  return lv.transformer ? lv.tnet->forward_logits(lattice) : lv.net->forward_logits(lattice);
}

// The logit (B) of the level's site t (drawing order) from the lattice (B, m * m), by
// the reference path: the net run on the sites known when t was drawn, as a sequence
// of its own (a lattice transformer: the level's earlier sites and the coarser ones;
// the window nets: the whole lattice with the unknown sites 0).
torch::Tensor reference_site_logit(LevelTables& lv, const torch::Tensor& flat_known, std::int64_t t, std::int64_t v) {
  const auto batch = flat_known.size(0);
  const auto m = lv.fine_size;
  if (lv.lattice) {
    auto pre = lv.lt.prefix(t);
    return lv.ltnet->logits(flat_known.index_select(1, pre.content_sites), pre).reshape({batch});
  }
  return whole_lattice_logits(lv, flat_known.reshape({batch, 1, m, m})).reshape({batch, m * m}).select(1, v);
}

// log q of the given spins of one level, (B) float64, fast path.
torch::Tensor level_log_prob(LevelTables& lv, const torch::Tensor& flat, int w, double beta_j) {
  const auto batch = flat.size(0);
  const auto p = lv.sites.size(0);
  auto own = flat.index_select(1, lv.sites).to(torch::kDouble);
  if (lv.heat_bath) {
    auto h = flat.index_select(1, lv.neighbours).reshape({batch, p, 4}).sum(2).to(torch::kDouble);
    return torch::log_sigmoid(2.0 * beta_j * own * h).sum(1);
  }
  auto logits = level_window_logits(lv, flat, w);
  return torch::log_sigmoid(own * logits.to(torch::kDouble)).sum(1);
}

// Floats of the largest intermediate of one transformer pass per sample, summed over
// the net levels (tokens x the widest per-token tensor); sets the chunk sizes.
double transformer_floats_per_sample(std::vector<LevelTables>& levels, const RigcsOptions& o) {
  double total = 0;
  for (auto& lv : levels) {
    if (lv.heat_bath || !lv.transformer) continue;
    if (lv.lattice) {
      // Content and query tokens, and the attention scores of both streams.
      const double tc = static_cast<double>(lv.lt.content_class.size(0)), p = static_cast<double>(lv.sites.size(0));
      total += (tc + p) * (o.transformer_ff + 6.0 * o.transformer_width) + o.transformer_heads * (tc + p) * tc;
      continue;
    }
    const double p = static_cast<double>(lv.tok_offset.size(0)), k = static_cast<double>(lv.tok_offset.size(1));
    total += p * k * (o.transformer_ff + o.transformer_heads * k + 6.0 * o.transformer_width);
  }
  return std::max(total, 1.0);
}

}  // namespace

torch::Tensor RigcsSampler::log_prob(const torch::Tensor& spins) {
  const int n = partition_.size();
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n && spins.size(2) == n,
              "RiGCS log_prob expects spins (B, " << n << ", " << n << "), got " << spins.sizes());
  return uses_incremental_gradient() ? log_prob_incremental(spins) : log_prob_patches(spins);
}

namespace detail {

// log q of the conditional-net levels with gradient checkpointing: the forward pass
// keeps no graph; the backward pass recomputes log q chunk by chunk with autograd and
// accumulates the parameters' gradients. The model must outlive the backward pass (the
// trainer calls it within its step).
struct CheckpointedNetLevels : torch::autograd::Function<CheckpointedNetLevels> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, RigcsSampler* model, const torch::Tensor& x,
                               at::TensorList params) {
    ctx->saved_data["model"] = reinterpret_cast<std::int64_t>(model);
    ctx->saved_data["x"] = x;
    ctx->save_for_backward(params.vec());
    return model->net_levels_log_prob(x);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto* model = reinterpret_cast<RigcsSampler*>(ctx->saved_data["model"].toInt());
    auto x = ctx->saved_data["x"].toTensor();
    auto params = ctx->get_saved_variables();
    auto g = grad_out[0];
    const auto batch = x.size(0);
    // The graph of one chunk: 512 MiB of floats in the largest intermediate, per block.
    const double per_sample = transformer_floats_per_sample(model->impl_->levels, model->options_) *
                              model->options_.transformer_depth;
    const auto chunk = std::max<std::int64_t>(1, static_cast<std::int64_t>((1 << 27) / per_sample));
    std::vector<torch::Tensor> grads(params.size());
    torch::AutoGradMode enable(true);
    for (std::int64_t b = 0; b < batch; b += chunk) {
      const auto e = std::min(batch, b + chunk);
      auto lq = model->net_levels_log_prob(x.slice(0, b, e));
      auto gs = torch::autograd::grad({lq}, params, {g.slice(0, b, e).to(lq.dtype())}, false, false, true);
      for (std::size_t i = 0; i < gs.size(); ++i) {
        if (!gs[i].defined()) continue;
        grads[i] = grads[i].defined() ? grads[i] + gs[i] : gs[i];
      }
    }
    torch::autograd::variable_list out = {torch::Tensor(), torch::Tensor()};  // model, x
    out.insert(out.end(), grads.begin(), grads.end());
    return out;
  }
};

}  // namespace detail

torch::Tensor RigcsSampler::log_prob_patches(const torch::Tensor& spins) {
  const int n = partition_.size();
  const auto batch = spins.size(0);
  // Without gradients, bound the memory of the window batches by chunking the samples.
  const std::int64_t max_sites = static_cast<std::int64_t>(partition_.block(partition_.blocks() - 1).level_b_sites.size());
  const std::int64_t chunk = std::max<std::int64_t>(1, (std::int64_t{1} << 17) / max_sites);
  if (!torch::GradMode::is_enabled() && batch > chunk) {
    std::vector<torch::Tensor> parts;
    for (std::int64_t b = 0; b < batch; b += chunk)
      parts.push_back(log_prob_patches(spins.slice(0, b, std::min(batch, b + chunk))));
    return torch::cat(parts);
  }
  // The nets' dtype (float; float64 where a test converts the nets for a reference).
  auto x = spins.to(impl_->first_net_parameter().scalar_type());
  const int s0 = partition_.coarsest_stride();
  auto log_q = coarse_->log_prob(spins.to(torch::kFloat).slice(1, 0, n, s0).slice(2, 0, n, s0).contiguous())
                   .to(torch::kDouble);
  for (auto& lv : impl_->levels) {
    if (!lv.heat_bath) continue;
    auto flat = sublattice(x, partition_.stride(lv.block));
    log_q = log_q + level_log_prob(lv, flat, impl_->window, options_.beta * options_.j);
  }
  if (impl_->transformer && torch::GradMode::is_enabled()) {
    // The gradient is recomputed chunk by chunk in the backward pass (see
    // CheckpointedNetLevels): the graph of every token of the batch would not fit.
    std::vector<torch::Tensor> params;
    for (auto& lv : impl_->levels)
      if (!lv.heat_bath)
        for (auto& t : lv.net_parameters()) params.push_back(t);
    return log_q + detail::CheckpointedNetLevels::apply(this, x, at::TensorList(params));
  }
  return log_q + net_levels_log_prob(x);
}

torch::Tensor RigcsSampler::net_levels_log_prob(const torch::Tensor& x) {
  const auto batch = x.size(0);
  if (impl_->transformer && !torch::GradMode::is_enabled()) {
    // Bound the memory of one pass (256 MiB of floats in its largest intermediate).
    const auto chunk = std::max<std::int64_t>(
        1, static_cast<std::int64_t>((1 << 26) / transformer_floats_per_sample(impl_->levels, options_)));
    if (batch > chunk) {
      std::vector<torch::Tensor> parts;
      for (std::int64_t b = 0; b < batch; b += chunk)
        parts.push_back(net_levels_log_prob(x.slice(0, b, std::min(batch, b + chunk))));
      return torch::cat(parts);
    }
  }
  auto log_q = torch::zeros({batch}, x.options().dtype(torch::kDouble));
  for (auto& lv : impl_->levels) {
    if (lv.heat_bath) continue;
    auto flat = sublattice(x, partition_.stride(lv.block));
    log_q = log_q + level_log_prob(lv, flat, impl_->window, options_.beta * options_.j);
  }
  return log_q;
}

torch::Tensor RigcsSampler::level_logits(const torch::Tensor& spins, int block, SubLevel level) {
  RIGCS_CHECK(has_net(block, level), "level b of the last block is the exact heat bath, it has no logits");
  const int n = partition_.size();
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n && spins.size(2) == n,
              "RiGCS level_logits expects spins (B, " << n << ", " << n << "), got " << spins.sizes());
  auto x = spins.to(impl_->first_net_parameter().scalar_type());
  return level_window_logits(impl_->level(block, level), sublattice(x, partition_.stride(block)), impl_->window);
}

namespace {

// The conditional net's weights in the layouts of the incremental kernel.
detail::ConditionalLevelWeights incremental_weights(ConditionalCnn& net) {
  const auto& o = net->options();
  detail::ConditionalLevelWeights w;
  w.channels = o.channels;
  w.kernel1 = o.kernel1;
  w.kernel2 = o.kernel2;
  w.negative_slope = static_cast<float>(o.negative_slope);
  auto host = [](const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  // conv1.weight (C, 1, k1, k1) -> (k1 k1, C); conv2.weight (1, C, k2, k2) -> (k2 k2, C).
  w.w1 = host(net->conv1->weight.reshape({o.channels, -1}).t());
  w.b1 = host(net->conv1->bias);
  w.w2 = host(net->conv2->weight.reshape({o.channels, -1}).t());
  w.b2 = host(net->conv2->bias)[0];
  return w;
}

}  // namespace

void RigcsSampler::set_sampling_path(SamplingPath path) { impl_->path = path; }

std::string RigcsSampler::incremental_kernel_isa() { return detail::incremental_kernel_isa(); }

bool RigcsSampler::uses_incremental_path() const {
  if (impl_->path == SamplingPath::Groups) return false;
  RIGCS_CHECK(!(impl_->transformer && impl_->path == SamplingPath::Incremental),
              "incremental RiGCS sampling is for CNN conditionals; this model has transformers");
  if (impl_->transformer) return false;
  const bool cpu = impl_->first_net_parameter().is_cpu();  // block 0, level a
  const bool fits = options_.channels <= detail::kMaxIncrementalChannels;
  if (impl_->path == SamplingPath::Incremental) {
    RIGCS_CHECK(fits, "incremental RiGCS sampling supports up to " << detail::kMaxIncrementalChannels
                                                                   << " channels, the model has " << options_.channels);
    RIGCS_CHECK(cpu, "incremental RiGCS sampling runs on the CPU; the model is on another device");
  }
  return fits && cpu;
}

bool RigcsSampler::uses_incremental_gradient() const {
  if (impl_->gradient_path == GradientPath::Patches) return false;
  RIGCS_CHECK(!(impl_->transformer && impl_->gradient_path == GradientPath::Incremental),
              "the incremental RiGCS gradient is for CNN conditionals; this model has transformers");
  if (impl_->transformer) return false;
  const bool cpu = impl_->first_net_parameter().is_cpu();
  const bool fits = options_.channels <= detail::kMaxIncrementalChannels;
  if (impl_->gradient_path == GradientPath::Incremental) {
    RIGCS_CHECK(fits, "the incremental RiGCS gradient supports up to " << detail::kMaxIncrementalChannels
                                                                       << " channels, the model has "
                                                                       << options_.channels);
    RIGCS_CHECK(cpu, "the incremental RiGCS gradient runs on the CPU; the model is on another device");
  }
  return fits && cpu;
}

void RigcsSampler::set_gradient_path(GradientPath path) { impl_->gradient_path = path; }

namespace {

// Per-sample gradients of one level's log q, from the incremental kernel.
struct LevelScore {
  ConditionalCnn net{nullptr};
  torch::Tensor score;  // (B, score_size) float, kernel layout
};

bool wants_gradient(const std::vector<std::pair<std::string, torch::Tensor>>& params) {
  if (!torch::GradMode::is_enabled()) return false;
  for (auto& p : params)
    if (p.second.requires_grad()) return true;
  return false;
}

// log q (B, float64, no graph) with the per-sample gradients attached: for every
// parameter p with score S (B, |p|), adds S (p - p.detach()). That adds exactly 0 to
// the value and makes d log q_b / dp = S_b, so autograd (the trainer's loss) sees
// the same log q and gradient as through the nets themselves.
torch::Tensor attach_scores(torch::Tensor log_q, const std::vector<LevelScore>& scores) {
  for (const auto& ls : scores) {
    const auto& o = ls.net->options();
    const std::int64_t c = o.channels, t1 = o.kernel1 * o.kernel1, t2 = o.kernel2 * o.kernel2;
    auto s = ls.score.to(torch::kDouble);
    // The parameters' displacements in the kernel layouts [tap][channel].
    auto dir = [](const torch::Tensor& p) { return (p - p.detach()).to(torch::kDouble); };
    auto d_w1 = dir(ls.net->conv1->weight).reshape({c, t1}).t().reshape({-1});
    auto d_b1 = dir(ls.net->conv1->bias);
    auto d_w2 = dir(ls.net->conv2->weight).reshape({c, t2}).t().reshape({-1});
    auto d_b2 = dir(ls.net->conv2->bias);
    log_q = log_q + s.narrow(1, 0, t1 * c).matmul(d_w1) + s.narrow(1, t1 * c, c).matmul(d_b1) +
            s.narrow(1, t1 * c + c, t2 * c).matmul(d_w2) + s.narrow(1, (t1 + 1 + t2) * c, 1).matmul(d_b2);
  }
  return log_q;
}

// One conditional-net level on the incremental kernel: draws (uniforms) or reads
// (given) the level's sites of every sample of `state` (B, m * m), adds their log q to
// log_q and, with_grad, appends the level's per-sample gradients to `scores`.
void run_net_level(LevelTables& lv, torch::Tensor& state, const double* uniforms, const float* given,
                   torch::Tensor& log_q, bool with_grad, std::vector<LevelScore>& scores) {
  const auto w = incremental_weights(lv.net);
  const auto batch = state.size(0);
  LevelScore ls;
  if (with_grad) {
    ls.net = lv.net;
    ls.score = torch::empty({batch, static_cast<std::int64_t>(detail::score_size(w))}, torch::kFloat);
  }
  detail::run_level_incremental(state.data_ptr<float>(), batch, lv.fine_size, lv.host_sites.data(),
                                static_cast<int>(lv.host_sites.size()), uniforms, given, log_q.data_ptr<double>(),
                                with_grad ? ls.score.data_ptr<float>() : nullptr, w);
  if (with_grad) scores.push_back(std::move(ls));
}

}  // namespace

torch::Tensor RigcsSampler::log_prob_incremental(const torch::Tensor& spins) {
  const int n = partition_.size();
  const auto batch = spins.size(0);
  const bool grad = wants_gradient(named_parameters());
  // Without gradients, bound the memory of the per-level copies by chunking the samples.
  constexpr std::int64_t kChunk = 4096;
  if (!grad && batch > kChunk) {
    std::vector<torch::Tensor> parts;
    for (std::int64_t b = 0; b < batch; b += kChunk)
      parts.push_back(log_prob_incremental(spins.slice(0, b, std::min(batch, b + kChunk))));
    return torch::cat(parts);
  }
  auto x = spins.to(torch::kFloat).contiguous();
  const int s0 = partition_.coarsest_stride();
  auto coarse_lq = coarse_->log_prob(x.slice(1, 0, n, s0).slice(2, 0, n, s0).contiguous()).to(torch::kDouble);
  torch::Tensor log_q = torch::zeros({batch}, torch::kDouble);
  std::vector<LevelScore> scores;
  torch::NoGradGuard no_grad;
  for (auto& lv : impl_->levels) {
    auto flat = sublattice(x, partition_.stride(lv.block));
    if (lv.heat_bath) {
      log_q = log_q + level_log_prob(lv, flat, impl_->window, options_.beta * options_.j);
      continue;
    }
    auto state = (flat * lv.known).contiguous();
    run_net_level(lv, state, nullptr, flat.data_ptr<float>(), log_q, grad, scores);
  }
  torch::AutoGradMode enable(grad);
  return coarse_lq + attach_scores(log_q, scores);
}

SampleBatch RigcsSampler::sample(std::int64_t batch, torch::Generator& gen) {
  return sample_impl(batch, gen, false);
}

SampleBatch RigcsSampler::sample_with_grad(std::int64_t batch, torch::Generator& gen) {
  if (!uses_incremental_path() || !uses_incremental_gradient()) return GenerativeSampler::sample_with_grad(batch, gen);
  return sample_impl(batch, gen, wants_gradient(named_parameters()));
}

SampleBatch RigcsSampler::sample_impl(std::int64_t batch, torch::Generator& gen, bool with_grad) {
  RIGCS_CHECK(batch >= 1, "batch size must be >= 1, got " << batch);
  torch::NoGradGuard no_grad;
  const int w = impl_->window;
  const double beta_j = options_.beta * options_.j;
  const bool incremental = uses_incremental_path();
  SampleBatch coarse = coarse_->sample(batch, gen);
  auto state = coarse.spins.to(torch::kFloat);
  auto log_q = coarse.log_q.to(torch::kDouble).contiguous();
  auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(state.device());
  std::vector<LevelScore> scores;
  torch::Tensor fine, flat;
  for (auto& lv : impl_->levels) {
    const int m = lv.fine_size;
    if (lv.sublevel == SubLevel::A) {
      fine = embed_coarse(state, m);
      flat = fine.view({batch, m * m});
    }
    const auto p = lv.sites.size(0);
    if (lv.heat_bath) {
      // Uniforms (P, B): the site-by-site order of sample_reference.
      auto h = flat.index_select(1, lv.neighbours).reshape({batch, p, 4}).sum(2).to(torch::kDouble);
      auto field = 2.0 * beta_j * h;
      auto own = plus_minus(torch::rand({p, batch}, gen, dopt).t(), torch::sigmoid(field));
      flat.index_copy_(1, lv.sites, own.to(flat.dtype()));
      log_q = log_q + torch::log_sigmoid(own * field).sum(1);
    } else if (incremental) {
      auto u = torch::rand({p, batch}, gen, dopt).contiguous();
      run_net_level(lv, flat, u.data_ptr<double>(), nullptr, log_q, with_grad, scores);
    } else if (lv.lattice) {
      // Site by site, the keys and values of the drawn sites cached; the uniforms of
      // sample_reference (one (B) draw per site).
      auto cache = lv.ltnet->begin(flat.index_select(1, lv.lt.content_sites.narrow(0, 0, lv.lt.known)), lv.lt);
      for (std::int64_t t = 0; t < p; ++t) {
        auto l64 = lv.ltnet->next_logit(cache, lv.lt).to(torch::kDouble);
        auto own = plus_minus(torch::rand({batch}, gen, dopt), torch::sigmoid(l64));
        flat.select(1, lv.host_sites[static_cast<std::size_t>(t)]).copy_(own);
        log_q = log_q + torch::log_sigmoid(own * l64);
        lv.ltnet->append(cache, lv.lt, own);
      }
    } else {
      for (const auto& g : lv.groups) {
        const auto pg = g.sites.size(0);
        auto logits = window_logits(lv, flat, g.gather, g.mask, g.tok_gather, g.tok_offset, g.tok_known, w);
        auto l64 = logits.to(torch::kDouble);
        auto own = plus_minus(torch::rand({batch, pg}, gen, dopt), torch::sigmoid(l64));
        flat.index_copy_(1, g.sites, own.to(flat.dtype()));
        log_q = log_q + torch::log_sigmoid(own * l64).sum(1);
      }
    }
    if (lv.sublevel == SubLevel::B) state = fine;
  }
  if (!with_grad) return {state, log_q};
  // The coarse model's gradient through autograd, its value as drawn.
  torch::AutoGradMode enable(true);
  auto coarse_graph = coarse_->log_prob(coarse.spins).to(torch::kDouble);
  auto lq = attach_scores(log_q, scores) + (coarse_graph - coarse_graph.detach());
  return {state, lq};
}

SampleBatch RigcsSampler::sample_reference(std::int64_t batch, torch::Generator& gen) {
  RIGCS_CHECK(batch >= 1, "batch size must be >= 1, got " << batch);
  torch::NoGradGuard no_grad;
  const double beta_j = options_.beta * options_.j;
  SampleBatch coarse = coarse_->sample(batch, gen);
  auto state = coarse.spins.to(torch::kFloat);
  auto log_q = coarse.log_q.to(torch::kDouble);
  auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(state.device());
  torch::Tensor fine, flat;
  for (auto& lv : impl_->levels) {
    const int m = lv.fine_size;
    if (lv.sublevel == SubLevel::A) {
      fine = embed_coarse(state, m);
      flat = fine.view({batch, m * m});
    }
    const auto p = lv.sites.size(0);
    auto sites = lv.sites.cpu();
    for (std::int64_t t = 0; t < p; ++t) {
      const std::int64_t v = sites[t].item<std::int64_t>();
      auto logit = lv.heat_bath ? torch::Tensor() : reference_site_logit(lv, flat, t, v);
      torch::Tensor field;
      if (lv.heat_bath) {
        auto nb = lv.neighbours.slice(0, 4 * t, 4 * t + 4);
        field = 2.0 * beta_j * flat.index_select(1, nb).sum(1).to(torch::kDouble);
      } else {
        field = logit.to(torch::kDouble);
      }
      auto own = plus_minus(torch::rand({batch}, gen, dopt), torch::sigmoid(field));
      flat.select(1, v).copy_(own);
      log_q = log_q + torch::log_sigmoid(own * field);
    }
    if (lv.sublevel == SubLevel::B) state = fine;
  }
  return {state, log_q};
}

torch::Tensor RigcsSampler::log_prob_reference(const torch::Tensor& spins) {
  const int n = partition_.size();
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n && spins.size(2) == n,
              "RiGCS log_prob expects spins (B, " << n << ", " << n << "), got " << spins.sizes());
  const double beta_j = options_.beta * options_.j;
  // The nets' dtype (float; float64 where a test converts the nets for a reference).
  auto x = spins.to(impl_->first_net_parameter().scalar_type());
  const int s0 = partition_.coarsest_stride();
  auto log_q = coarse_->log_prob(spins.to(torch::kFloat).slice(1, 0, n, s0).slice(2, 0, n, s0).contiguous())
                   .to(torch::kDouble);
  for (auto& lv : impl_->levels) {
    auto xf = sublattice(x, partition_.stride(lv.block));
    auto sites = lv.sites.cpu();
    const auto p = lv.sites.size(0);
    if (lv.heat_bath) {
      for (std::int64_t t = 0; t < p; ++t) {
        const std::int64_t v = sites[t].item<std::int64_t>();
        auto h = xf.index_select(1, lv.neighbours.slice(0, 4 * t, 4 * t + 4)).sum(1).to(torch::kDouble);
        log_q = log_q + torch::log_sigmoid(2.0 * beta_j * h * xf.select(1, v).to(torch::kDouble));
      }
      continue;
    }
    // The lattice as it stood before the level: coarser levels known, the rest 0.
    auto state = xf * lv.known;
    for (std::int64_t t = 0; t < p; ++t) {
      const std::int64_t v = sites[t].item<std::int64_t>();
      auto logit = reference_site_logit(lv, state, t, v);
      auto own = xf.select(1, v);
      log_q = log_q + torch::log_sigmoid(own.to(torch::kDouble) * logit.to(torch::kDouble));
      // Out of place: the net saved `state` for its backward pass.
      auto idx = torch::full({1}, v, torch::TensorOptions().dtype(torch::kLong).device(state.device()));
      state = state.index_copy(1, idx, own.unsqueeze(1));
    }
  }
  return log_q;
}

std::vector<std::pair<std::string, torch::Tensor>> RigcsSampler::named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& p : coarse_->named_parameters()) out.emplace_back("coarse." + p.first, p.second);
  for (auto& lv : impl_->levels) {
    if (lv.heat_bath) continue;
    const std::string prefix =
        "block" + std::to_string(lv.block) + (lv.sublevel == SubLevel::A ? ".a." : ".b.");
    for (auto& p : lv.module().named_parameters()) out.emplace_back(prefix + p.key(), p.value());
  }
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> RigcsSampler::named_buffers() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& p : coarse_->named_buffers()) out.emplace_back("coarse." + p.first, p.second);
  return out;
}

void RigcsSampler::to(const torch::Device& device) {
  coarse_->to(device);
  for (auto& lv : impl_->levels) {
    auto move = [&](torch::Tensor& t) {
      if (t.defined()) t = t.to(device);
    };
    move(lv.sites);
    move(lv.neighbours);
    move(lv.gather);
    move(lv.mask);
    move(lv.known);
    move(lv.tok_gather);
    move(lv.tok_offset);
    move(lv.tok_known);
    lv.lt.to(device);
    for (auto& g : lv.groups) {
      move(g.sites);
      move(g.gather);
      move(g.mask);
      move(g.tok_gather);
      move(g.tok_offset);
      move(g.tok_known);
    }
    if (!lv.heat_bath) lv.module().to(device);
  }
}

void RigcsSampler::transfer_from(RigcsSampler& smaller) {
  const int bs = smaller.partition_.blocks();
  RIGCS_CHECK(bs + 1 == partition_.blocks(),
              "model transfer needs a model with one block fewer: have B = " << partition_.blocks()
                                                                           << ", source B = " << bs);
  RIGCS_CHECK(smaller.options_.coarsest_size == options_.coarsest_size,
              "model transfer between different coarsest lattices N0 = " << smaller.options_.coarsest_size
                                                                        << " -> " << options_.coarsest_size);
  torch::NoGradGuard no_grad;
  if (smaller.coarse_ != coarse_) {
    auto copy_named = [](std::vector<std::pair<std::string, torch::Tensor>> src,
                         std::vector<std::pair<std::string, torch::Tensor>> dst) {
      std::map<std::string, torch::Tensor> by_name(src.begin(), src.end());
      RIGCS_CHECK(by_name.size() == dst.size(), "model transfer: coarse models differ in their tensors");
      for (auto& d : dst) {
        auto it = by_name.find(d.first);
        RIGCS_CHECK(it != by_name.end(), "model transfer: coarse tensor '" << d.first << "' missing in the source");
        RIGCS_CHECK(it->second.sizes() == d.second.sizes(),
                    "model transfer: coarse tensor '" << d.first << "' has shape " << it->second.sizes()
                                                      << ", expected " << d.second.sizes());
        d.second.copy_(it->second);
      }
    };
    copy_named(smaller.coarse_->named_parameters(), coarse_->named_parameters());
    copy_named(smaller.coarse_->named_buffers(), coarse_->named_buffers());
  }
  RIGCS_CHECK(smaller.impl_->transformer == impl_->transformer,
              "model transfer between a " << (smaller.impl_->transformer ? "transformer" : "cnn") << " and a "
                                          << (impl_->transformer ? "transformer" : "cnn")
                                          << " conditional (rigcs.conditional)");
  RIGCS_CHECK(smaller.impl_->lattice == impl_->lattice,
              "model transfer between transformer contexts " << (smaller.impl_->lattice ? "lattice" : "window")
                                                              << " and " << (impl_->lattice ? "lattice" : "window")
                                                              << " (rigcs.transformer_context)");
  auto level_name = [](int block, SubLevel level) {
    return "block" + std::to_string(block) + (level == SubLevel::A ? ".a." : ".b.");
  };
  // Every tensor of the transformer by name; any missing or reshaped tensor is refused,
  // named, before this level is touched.
  auto copy_transformer = [&](int to_block, SubLevel to_level, int from_block, SubLevel from_level) {
    auto src = smaller.impl_->level(from_block, from_level).module().named_parameters();
    auto dst = impl_->level(to_block, to_level).module().named_parameters();
    const std::string sn = level_name(from_block, from_level), dn = level_name(to_block, to_level);
    for (auto& d : dst) {
      const torch::Tensor* s = src.find(d.key());
      RIGCS_CHECK(s, "model transfer: " << dn << d.key() << " has no counterpart " << sn << d.key()
                                        << " in the smaller model");
      RIGCS_CHECK(s->sizes() == d.value().sizes(),
                  "model transfer: " << sn << d.key() << " has shape " << s->sizes() << " but " << dn << d.key()
                                     << " has shape " << d.value().sizes()
                                     << " (rigcs.transformer_* differ between the stages)");
    }
    for (auto& s : src)
      RIGCS_CHECK(dst.find(s.key()), "model transfer: " << sn << s.key() << " has no counterpart " << dn << s.key()
                                                        << " in the larger model");
    for (auto& d : dst) d.value().copy_(*src.find(d.key()));
  };
  auto copy = [&](int to_block, SubLevel to_level, int from_block, SubLevel from_level) {
    if (impl_->transformer) return copy_transformer(to_block, to_level, from_block, from_level);
    net(to_block, to_level)->copy_weights_from(*smaller.net(from_block, from_level));
  };
  for (int k = 0; k < bs; ++k) copy(k, SubLevel::A, k, SubLevel::A);
  for (int k = 0; k + 1 < bs; ++k) copy(k, SubLevel::B, k, SubLevel::B);
  if (bs >= 2) copy(bs - 1, SubLevel::B, bs - 2, SubLevel::B);  // old heat-bath level b
  if (bs >= 1) copy(bs, SubLevel::A, bs - 1, SubLevel::A);      // new last level a
}

std::unique_ptr<RigcsSampler> RigcsSampler::grow(std::shared_ptr<GenerativeSampler> fresh_coarse) {
  RigcsOptions o = options_;
  o.blocks += 1;
  auto bigger = std::make_unique<RigcsSampler>(o, fresh_coarse ? fresh_coarse : coarse_);
  bigger->transfer_from(*this);
  return bigger;
}

}  // namespace rigcs
