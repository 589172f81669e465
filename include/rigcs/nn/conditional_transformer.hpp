// A transformer conditional for one RiGCS level (paper appendix H.3): an encoder-only
// transformer over the w x w periodic window around the site, the same window the
// conditional CNN sees (w = k1 + k2 - 1). Tokens are window sites; each carries
// s * e_value + e_offset[offset in the window] with s = +-1 for a spin known when the
// site is drawn and s = 0 for the site itself. The site's own token (column 0) is the
// query; the other tokens are keys only where their spin was known, so the output
// depends on exactly what the CNN's masked window sees and log q stays exact.
// Positions are learned per offset inside the window: independent of the lattice size,
// so they carry over in model transfer.
//
// Blocks are pre-LayerNorm: h += MHA(LN(h)); h += FF(LN(h)) (GELU). The last block runs
// only the query token (nothing reads the others). Logit = head(LN(h_query)).
//
// Parameter names: offset_embedding.weight, value_embedding, layer<i>.{ln1,ln2}.{weight,bias},
// layer<i>.attn_in.{weight,bias} (3 d x d), layer<i>.attn_out.*, layer<i>.ff1.*, layer<i>.ff2.*,
// final_norm.*, head.*.
#pragma once

#include <memory>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace rigcs {

struct ConditionalTransformerOptions {
  int window = 9;   // w, odd: the window's side
  int depth = 5;    // encoder blocks (paper: 5)
  int heads = 8;    // attention heads (paper: 8)
  int width = 64;   // model width d, a multiple of heads (the paper does not state it)
  int ff = 1024;    // feed-forward hidden units (paper: 1024)
};

struct TransformerBlockImpl;

class ConditionalTransformerImpl : public torch::nn::Module {
 public:
  explicit ConditionalTransformerImpl(const ConditionalTransformerOptions& options = {});

  // Logits (B, P) of P sites with K tokens each. values (B, P, K): the token spins,
  // 0 where not known (column 0, the site itself, must be 0); offsets (P, K) long in
  // [0, w^2): the tokens' window positions (row-major); known: broadcastable to
  // (B, P, K), > 0 where the token is a key. Column 0 is always the query and a key.
  torch::Tensor token_logits(const torch::Tensor& values, const torch::Tensor& offsets, const torch::Tensor& known);
  // Windows (P, 1, w, w), centred on the site, unknown spins 0 -> logits (P). Keys are
  // the nonzero window entries (the plain form, as the CNN reads a window).
  torch::Tensor patch_logits(const torch::Tensor& patches);
  // Whole periodic lattice (B, 1, m, m), unknown spins 0 -> logits (B, 1, m, m), every
  // site through its own window (the reference path).
  torch::Tensor forward_logits(const torch::Tensor& lattice);

  int receptive_field() const { return options_.window; }
  const ConditionalTransformerOptions& options() const { return options_; }
  // The centre's index in the row-major window.
  int centre() const { return (options_.window * options_.window) / 2; }

  torch::nn::Embedding offset_embedding{nullptr};
  torch::Tensor value_embedding;  // (d)
  std::vector<std::shared_ptr<TransformerBlockImpl>> layers;
  torch::nn::LayerNorm final_norm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  ConditionalTransformerOptions options_;
};
TORCH_MODULE(ConditionalTransformer);

}  // namespace rigcs
