#include "rigcs/nn/level_transformer.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "transformer_block.hpp"

namespace rigcs {

namespace {

torch::Tensor to_long(const std::vector<std::int64_t>& v) { return torch::tensor(v, torch::kLong); }

// (B, T, d) -> (B, heads, T, d / heads)
torch::Tensor split_heads(const torch::Tensor& x, std::int64_t heads) {
  return x.reshape({x.size(0), x.size(1), heads, x.size(2) / heads}).permute({0, 2, 1, 3});
}

torch::Tensor merge_heads(const torch::Tensor& x) {
  return x.permute({0, 2, 1, 3}).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

}  // namespace

LevelTransformerTables LevelTransformerTables::prefix(std::int64_t t) const {
  RIGCS_CHECK(t >= 0 && t < level_sites(), "level transformer: site " << t << " of " << level_sites());
  LevelTransformerTables p;
  const auto n = known + t;
  p.known = known;
  p.content_sites = content_sites.narrow(0, 0, n);
  p.content_class = content_class.narrow(0, 0, n);
  p.query_class = query_class.narrow(0, t, 1);
  p.content_position = content_position.narrow(0, 0, n).narrow(1, 0, n);
  p.query_position = query_position.narrow(0, t, 1).narrow(1, 0, n);
  p.content_mask = content_mask.narrow(0, 0, n).narrow(1, 0, n);
  p.query_mask = query_mask.narrow(0, t, 1).narrow(1, 0, n);
  return p;
}

void LevelTransformerTables::to(const torch::Device& device) {
  for (auto* t : {&content_sites, &content_class, &query_class, &content_position, &query_position, &content_mask,
                  &query_mask})
    if (t->defined()) *t = t->to(device);
}

LevelTransformerTables make_level_transformer_tables(int m, const std::vector<int>& known_sites,
                                                     const std::vector<int>& level_sites, int radius) {
  RIGCS_CHECK(!known_sites.empty(), "level transformer: a level needs at least one known site");
  RIGCS_CHECK(radius >= 0, "level transformer: the position radius must be >= 0, got " << radius);
  std::vector<int> sites(known_sites);
  sites.insert(sites.end(), level_sites.begin(), level_sites.end());
  const std::int64_t c = static_cast<std::int64_t>(known_sites.size());
  const std::int64_t p = static_cast<std::int64_t>(level_sites.size());
  const std::int64_t tc = c + p;
  const int side = 2 * radius + 1;
  // Periodic displacement in [-m/2, m/2), then its bucket; far ones share the last.
  auto bucket = [&](int from, int to) -> std::int64_t {
    auto wrap = [&](int d) { return ((d + m / 2) % m + m) % m - m / 2; };
    const int dr = wrap(to / m - from / m), dc = wrap(to % m - from % m);
    if (std::abs(dr) > radius || std::abs(dc) > radius) return static_cast<std::int64_t>(side) * side;
    return static_cast<std::int64_t>(dr + radius) * side + (dc + radius);
  };
  auto parity = [&](int s) -> std::int64_t { return 2 * ((s / m) % 2) + (s % m) % 2; };
  const float neg_inf = -std::numeric_limits<float>::infinity();
  std::vector<std::int64_t> site_v, cls, qcls, cpos, qpos;
  std::vector<float> cmask, qmask;
  for (int s : sites) {
    site_v.push_back(s);
    cls.push_back(parity(s));
  }
  for (std::int64_t i = 0; i < tc; ++i) {
    for (std::int64_t j = 0; j < tc; ++j) {
      cpos.push_back(bucket(sites[i], sites[j]));
      // Coarser sites see the coarser sites; the level's site i also its level up to i.
      const bool seen = j < c || (i >= c && j <= i);
      cmask.push_back(seen ? 0.0f : neg_inf);
    }
  }
  for (std::int64_t t = 0; t < p; ++t) {
    qcls.push_back(parity(level_sites[t]));
    for (std::int64_t j = 0; j < tc; ++j) {
      qpos.push_back(bucket(level_sites[t], sites[j]));
      qmask.push_back(j < c + t ? 0.0f : neg_inf);  // the coarser sites and the level before t
    }
  }
  LevelTransformerTables tb;
  tb.known = c;
  tb.content_sites = to_long(site_v);
  tb.content_class = to_long(cls);
  tb.query_class = to_long(qcls);
  tb.content_position = to_long(cpos).reshape({tc, tc});
  tb.query_position = to_long(qpos).reshape({p, tc});
  tb.content_mask = torch::tensor(cmask, torch::kFloat).reshape({tc, tc});
  tb.query_mask = torch::tensor(qmask, torch::kFloat).reshape({p, tc});
  return tb;
}

struct LevelTransformerBlockImpl : detail::PreNormBlockLayers {
  LevelTransformerBlockImpl(int width, int ff, int heads, int buckets)
      : PreNormBlockLayers(width, ff), heads(heads), width(width) {
    // Zero: attention starts unbiased by position.
    position_bias = register_parameter("position_bias", torch::zeros({heads, buckets}));
  }

  // Queries, keys and values (B, heads, T, dh) of the tokens h (B, T, d).
  std::vector<torch::Tensor> qkv(const torch::Tensor& h) {
    auto x = attn_in->forward(ln1->forward(h));
    return {split_heads(x.narrow(2, 0, width), heads), split_heads(x.narrow(2, width, width), heads),
            split_heads(x.narrow(2, 2 * width, width), heads)};
  }
  // Queries only (the query stream reads the content stream's keys and values).
  torch::Tensor query(const torch::Tensor& h) {
    auto x = torch::nn::functional::linear(ln1->forward(h), attn_in->weight.narrow(0, 0, width),
                                           attn_in->bias.narrow(0, 0, width));
    return split_heads(x, heads);
  }
  // The position biases (heads, Tq, Tk) of the buckets (Tq, Tk).
  torch::Tensor bias(const torch::Tensor& positions) {
    return position_bias.index_select(1, positions.reshape({-1})).reshape({heads, positions.size(0), positions.size(1)});
  }
  // h + attention + feed-forward, for queries q of the tokens h over keys k, values v;
  // `bias` (heads or 1, Tq, Tk) holds the position biases and the mask.
  torch::Tensor update(const torch::Tensor& h, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& bias) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(width / heads));
    auto scores = torch::matmul(q, k.transpose(2, 3)) * scale + bias;
    auto x = h + attn_out->forward(merge_heads(torch::matmul(torch::softmax(scores, -1), v)));
    return feed_forward(x);
  }

  int heads, width;
  torch::Tensor position_bias;
};

LevelTransformerImpl::LevelTransformerImpl(const LevelTransformerOptions& options) : options_(options) {
  detail::check_transformer_shape(options.depth, options.heads, options.width, options.ff);
  RIGCS_CHECK(options.radius >= 0, "level transformer: the position radius must be >= 0, got " << options.radius);
  const int side = 2 * options.radius + 1;
  // Of unit scale per component, like the class embedding's N(0, 1) initialisation.
  value_embedding = register_parameter("value_embedding", torch::randn({options.width}));
  query_embedding = register_parameter("query_embedding", torch::randn({options.width}));
  class_embedding = register_module("class_embedding", torch::nn::Embedding(4, options.width));
  for (int i = 0; i < options.depth; ++i) {
    layers.push_back(register_module("layer" + std::to_string(i), std::make_shared<LevelTransformerBlockImpl>(
                                                                        options.width, options.ff, options.heads,
                                                                        side * side + 1)));
  }
  final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  head = register_module("head", torch::nn::Linear(options.width, 1));
}

torch::Tensor LevelTransformerImpl::content_tokens(const torch::Tensor& values, const torch::Tensor& classes) {
  return values.unsqueeze(2) * value_embedding + class_embedding->forward(classes).unsqueeze(0);
}

torch::Tensor LevelTransformerImpl::query_tokens(const torch::Tensor& classes, std::int64_t batch) {
  auto q = class_embedding->forward(classes) + query_embedding;
  return q.unsqueeze(0).expand({batch, q.size(0), q.size(1)});
}

torch::Tensor LevelTransformerImpl::logits(const torch::Tensor& content_values, const LevelTransformerTables& tables) {
  const auto tc = tables.content_class.size(0);
  RIGCS_CHECK(content_values.dim() == 2 && content_values.size(1) == tc,
              "level transformer expects content spins (B, " << tc << "), got " << content_values.sizes());
  const auto batch = content_values.size(0);
  auto hc = content_tokens(content_values, tables.content_class);
  auto hq = query_tokens(tables.query_class, batch);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto& l = *layers[i];
    auto kv = l.qkv(hc);
    hq = l.update(hq, l.query(hq), kv[1], kv[2], l.bias(tables.query_position) + tables.query_mask);
    // The last block's content outputs are read by nothing.
    if (i + 1 < layers.size()) hc = l.update(hc, kv[0], kv[1], kv[2], l.bias(tables.content_position) + tables.content_mask);
  }
  return head->forward(final_norm->forward(hq)).squeeze(2);
}

LevelTransformerCache LevelTransformerImpl::begin(const torch::Tensor& known_values,
                                                  const LevelTransformerTables& tables) {
  const auto c = tables.known, tc = tables.content_class.size(0);
  RIGCS_CHECK(known_values.dim() == 2 && known_values.size(1) == c,
              "level transformer expects the known spins (B, " << c << "), got " << known_values.sizes());
  const auto batch = known_values.size(0);
  const std::int64_t dh = options_.width / options_.heads;
  LevelTransformerCache cache;
  auto h = content_tokens(known_values, tables.content_class.narrow(0, 0, c));
  auto pos = tables.content_position.narrow(0, 0, c).narrow(1, 0, c);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto& l = *layers[i];
    auto kv = l.qkv(h);
    cache.keys.push_back(torch::zeros({batch, options_.heads, tc, dh}, h.options()));
    cache.values.push_back(torch::zeros({batch, options_.heads, tc, dh}, h.options()));
    cache.keys.back().narrow(2, 0, c).copy_(kv[1]);
    cache.values.back().narrow(2, 0, c).copy_(kv[2]);
    // Coarser sites attend to all coarser sites: no mask.
    if (i + 1 < layers.size()) h = l.update(h, kv[0], kv[1], kv[2], l.bias(pos));
  }
  cache.length = c;
  return cache;
}

torch::Tensor LevelTransformerImpl::next_logit(LevelTransformerCache& cache, const LevelTransformerTables& tables) {
  const auto t = cache.length - tables.known;
  RIGCS_CHECK(t >= 0 && t < tables.level_sites(), "level transformer: no site left to draw");
  const auto batch = cache.keys.front().size(0);
  auto h = query_tokens(tables.query_class.narrow(0, t, 1), batch);
  auto pos = tables.query_position.narrow(0, t, 1).narrow(1, 0, cache.length);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto& l = *layers[i];
    h = l.update(h, l.query(h), cache.keys[i].narrow(2, 0, cache.length), cache.values[i].narrow(2, 0, cache.length),
                 l.bias(pos));
  }
  return head->forward(final_norm->forward(h)).reshape({batch});
}

void LevelTransformerImpl::append(LevelTransformerCache& cache, const LevelTransformerTables& tables,
                                  const torch::Tensor& spin) {
  const auto j = cache.length;
  RIGCS_CHECK(j < tables.content_class.size(0), "level transformer: the level is complete");
  auto h = content_tokens(spin.reshape({-1, 1}).to(cache.keys.front().dtype()), tables.content_class.narrow(0, j, 1));
  auto pos = tables.content_position.narrow(0, j, 1).narrow(1, 0, j + 1);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto& l = *layers[i];
    auto kv = l.qkv(h);
    cache.keys[i].narrow(2, j, 1).copy_(kv[1]);
    cache.values[i].narrow(2, j, 1).copy_(kv[2]);
    // Site j attends to the coarser sites, the level's earlier sites and itself.
    if (i + 1 < layers.size())
      h = l.update(h, kv[0], cache.keys[i].narrow(2, 0, j + 1), cache.values[i].narrow(2, 0, j + 1), l.bias(pos));
  }
  cache.length = j + 1;
}

}  // namespace rigcs
