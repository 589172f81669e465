#include "rigcs/nn/conditional_transformer.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "transformer_block.hpp"

namespace rigcs {

struct TransformerBlockImpl : detail::PreNormBlockLayers {
  TransformerBlockImpl(int width, int ff, int heads) : PreNormBlockLayers(width, ff), heads(heads) {}

  // h (B, P, K, d); key_bias (B or 1, P, 1, 1, K): 0 for keys, -inf otherwise. With
  // query_only, only token 0 is updated and returned: (B, P, 1, d).
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& key_bias, bool query_only) {
    const auto b = h.size(0), p = h.size(1), k = h.size(2), d = h.size(3);
    const auto dh = d / heads;
    auto qkv = attn_in->forward(ln1->forward(h)).reshape({b, p, k, 3, heads, dh});
    // (B, P, H, K, dh)
    auto q = qkv.select(3, 0).permute({0, 1, 3, 2, 4});
    auto key = qkv.select(3, 1).permute({0, 1, 3, 2, 4});
    auto val = qkv.select(3, 2).permute({0, 1, 3, 2, 4});
    auto resid = h;
    if (query_only) {
      q = q.narrow(3, 0, 1);
      resid = h.narrow(2, 0, 1);
    }
    auto scores = torch::matmul(q, key.transpose(3, 4)) / std::sqrt(static_cast<double>(dh)) + key_bias;
    auto att = torch::matmul(torch::softmax(scores, -1), val);  // (B, P, H, Kq, dh)
    const auto kq = att.size(3);
    auto x = resid + attn_out->forward(att.permute({0, 1, 3, 2, 4}).reshape({b, p, kq, d}));
    return feed_forward(x);
  }

  int heads;
};

ConditionalTransformerImpl::ConditionalTransformerImpl(const ConditionalTransformerOptions& options)
    : options_(options) {
  RIGCS_CHECK(options.window >= 1 && options.window % 2 == 1,
              "transformer conditional: the window must be odd and >= 1, got " << options.window);
  detail::check_transformer_shape(options.depth, options.heads, options.width, options.ff);
  const int w2 = options.window * options.window;
  offset_embedding = register_module("offset_embedding", torch::nn::Embedding(w2, options.width));
  // Of unit scale per component, like the offset embedding's N(0, 1) initialisation.
  value_embedding = register_parameter("value_embedding", torch::randn({options.width}));
  for (int i = 0; i < options.depth; ++i) {
    layers.push_back(register_module("layer" + std::to_string(i),
                                     std::make_shared<TransformerBlockImpl>(options.width, options.ff, options.heads)));
  }
  final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.width})));
  head = register_module("head", torch::nn::Linear(options.width, 1));
}

torch::Tensor ConditionalTransformerImpl::token_logits(const torch::Tensor& values, const torch::Tensor& offsets,
                                                       const torch::Tensor& known) {
  RIGCS_CHECK(values.dim() == 3 && offsets.dim() == 2 && values.size(1) == offsets.size(0) &&
                  values.size(2) == offsets.size(1),
              "transformer conditional expects values (B, P, K) and offsets (P, K), got " << values.sizes() << " and "
                                                                                         << offsets.sizes());
  const auto b = values.size(0), p = values.size(1), k = values.size(2);
  auto h = values.unsqueeze(3) * value_embedding + offset_embedding->forward(offsets).unsqueeze(0);
  // Keys: the known tokens and the query itself (so no row of the softmax is empty).
  auto is_key = (known > 0).expand({b, p, k}).clone();
  is_key.select(2, 0).fill_(true);
  const double neg_inf = -std::numeric_limits<double>::infinity();
  auto key_bias = torch::zeros(is_key.sizes(), h.options()).masked_fill(is_key.logical_not(), neg_inf);
  key_bias = key_bias.reshape({b, p, 1, 1, k});
  for (std::size_t i = 0; i < layers.size(); ++i) h = layers[i]->forward(h, key_bias, i + 1 == layers.size());
  return head->forward(final_norm->forward(h.select(2, 0))).reshape({b, p});
}

torch::Tensor ConditionalTransformerImpl::patch_logits(const torch::Tensor& patches) {
  const int w = options_.window;
  RIGCS_CHECK(patches.dim() == 4 && patches.size(1) == 1 && patches.size(2) == w && patches.size(3) == w,
              "transformer conditional expects patches (P, 1, " << w << ", " << w << "), got " << patches.sizes());
  const auto p = patches.size(0);
  const int c = centre();
  // Token order: the centre first, then the window row-major without it.
  std::vector<std::int64_t> order{c};
  for (int t = 0; t < w * w; ++t)
    if (t != c) order.push_back(t);
  auto idx = torch::tensor(order, torch::TensorOptions().dtype(torch::kLong).device(patches.device()));
  auto values = patches.reshape({p, w * w}).index_select(1, idx).unsqueeze(0);
  auto offsets = idx.unsqueeze(0).expand({p, w * w});
  return token_logits(values, offsets, values.abs()).reshape({p});
}

torch::Tensor ConditionalTransformerImpl::forward_logits(const torch::Tensor& lattice) {
  RIGCS_CHECK(lattice.dim() == 4 && lattice.size(1) == 1,
              "transformer conditional expects (B, 1, m, m), got " << lattice.sizes());
  const auto b = lattice.size(0), m = lattice.size(2);
  const int w = options_.window, r = w / 2;
  // Every site's periodic window, wrapping as often as needed (windows wider than m).
  std::vector<std::int64_t> gather;
  gather.reserve(static_cast<std::size_t>(m * m * w * w));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < m; ++j)
      for (int di = -r; di <= r; ++di)
        for (int dj = -r; dj <= r; ++dj)
          gather.push_back(((i + di) % m + m) % m * m + ((j + dj) % m + m) % m);
  auto g = torch::tensor(gather, torch::TensorOptions().dtype(torch::kLong).device(lattice.device()));
  auto patches = lattice.reshape({b, m * m}).index_select(1, g).reshape({b * m * m, 1, w, w});
  return patch_logits(patches).reshape({b, 1, m, m});
}

}  // namespace rigcs
