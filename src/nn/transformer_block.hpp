// The layers of a pre-LayerNorm encoder block, shared by the two transformer conditionals
// (conditional_transformer.cpp, level_transformer.cpp), which differ only in what their
// attention reads: h += attn_out(MHA(LN1(h))); h += FF(LN2(h)) with FF = ff2(GELU(ff1)).
// Parameter names: ln1.*, attn_in.* (3 d x d: queries, keys, values), attn_out.*, ln2.*,
// ff1.*, ff2.*.
#pragma once

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs::detail {

// The deck-level shape of a transformer conditional, checked with the keys' names.
inline void check_transformer_shape(int depth, int heads, int width, int ff) {
  RIGCS_CHECK(depth >= 1, "rigcs.transformer_depth must be >= 1, got " << depth);
  RIGCS_CHECK(heads >= 1, "rigcs.transformer_heads must be >= 1, got " << heads);
  RIGCS_CHECK(width >= 1 && width % heads == 0,
              "rigcs.transformer_width must be a positive multiple of rigcs.transformer_heads = " << heads << ", got "
                                                                                                  << width);
  RIGCS_CHECK(ff >= 1, "rigcs.transformer_ff must be >= 1, got " << ff);
}

struct PreNormBlockLayers : torch::nn::Module {
  PreNormBlockLayers(int width, int ff) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    attn_in = register_module("attn_in", torch::nn::Linear(width, 3 * width));
    attn_out = register_module("attn_out", torch::nn::Linear(width, width));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    ff1 = register_module("ff1", torch::nn::Linear(width, ff));
    ff2 = register_module("ff2", torch::nn::Linear(ff, width));
  }

  // x + FF(LN2(x)): the block's second half.
  torch::Tensor feed_forward(const torch::Tensor& x) { return x + ff2->forward(torch::gelu(ff1->forward(ln2->forward(x)))); }

  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear attn_in{nullptr}, attn_out{nullptr}, ff1{nullptr}, ff2{nullptr};
};

}  // namespace rigcs::detail
