// A transformer conditional for one RiGCS level that sees the whole fine lattice of its
// block (issue 13, rigcs.transformer_context = lattice): every site known before the level
// and every earlier site of the level, through a causal mask over the level's drawing
// order, instead of the CNN's window. Why: the window form (conditional_transformer.hpp)
// runs a w^2-token sequence per site and costs w^2 = 81 times more per site; here each
// site is one token.
//
// Two streams, as in XLNet, so that a site's own token never sees its spin:
// - content tokens carry a known spin: the sites of the coarser levels (C of them), then
//   the level's P sites in drawing order. A coarser site attends to the coarser sites;
//   the level's site j to the coarser sites and to the level's sites up to j.
// - query tokens carry no spin: query t attends to the coarser sites and to the level's
//   content tokens before t. The logit of site t is read from query t.
// So site t's logit depends on exactly what was known when it was drawn (log q is exact),
// and sampling runs with a cache of the content keys and values: per drawn site one query
// token and one content token through the blocks.
//
// Positions: a learned attention bias per head and block for each periodic displacement
// (dr, dc) with |dr|, |dc| <= radius (larger displacements share one bias), and an embedding
// of the site's parity class (r mod 2, c mod 2). Neither depends on the lattice size, so
// every tensor carries over in model transfer between stages.
//
// Blocks are pre-LayerNorm: h += MHA(LN(h)); h += FF(LN(h)) (GELU); both streams share the
// weights. Parameter names: value_embedding, query_embedding, class_embedding.weight,
// layer<i>.{ln1,ln2}.*, layer<i>.attn_in.* (3 d x d), layer<i>.attn_out.*, layer<i>.ff1.*,
// layer<i>.ff2.*, layer<i>.position_bias (heads x ((2 radius + 1)^2 + 1)), final_norm.*, head.*.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace rigcs {

struct LevelTransformerOptions {
  int depth = 5;    // encoder blocks (paper: 5)
  int heads = 8;    // attention heads (paper: 8)
  int width = 64;   // model width d, a multiple of heads (the paper does not state it)
  int ff = 1024;    // feed-forward hidden units (paper: 1024)
  int radius = 4;   // displacements with their own position bias: |dr|, |dc| <= radius
};

// The geometry of one level on a periodic m x m lattice (no weights: shared by nets of
// any size). Content tokens: `known` coarser sites, then the level's sites in order.
struct LevelTransformerTables {
  std::int64_t known = 0;         // C
  torch::Tensor content_sites;    // (C + P) long, lattice sites of the content tokens
  torch::Tensor content_class;    // (C + P) long, parity class 2 (r mod 2) + (c mod 2)
  torch::Tensor query_class;      // (P) long
  torch::Tensor content_position; // (C + P, C + P) long, displacement bucket key - query
  torch::Tensor query_position;   // (P, C + P) long
  torch::Tensor content_mask;     // (C + P, C + P) float, 0 where attended, -inf elsewhere
  torch::Tensor query_mask;       // (P, C + P) float

  std::int64_t level_sites() const { return query_class.size(0); }
  // The tables of site t alone, as it stood when drawn: the content tokens before it
  // (C + t) and its query (the reference path).
  LevelTransformerTables prefix(std::int64_t t) const;
  void to(const torch::Device& device);
};

// Tables of the level whose sites are `level_sites` (drawing order), after `known_sites`.
LevelTransformerTables make_level_transformer_tables(int m, const std::vector<int>& known_sites,
                                                     const std::vector<int>& level_sites, int radius);

struct LevelTransformerBlockImpl;

// Keys and values of the content tokens drawn so far, per block (sampling).
struct LevelTransformerCache {
  std::vector<torch::Tensor> keys, values;  // (B, heads, C + P, d / heads) each
  std::int64_t length = 0;
};

class LevelTransformerImpl : public torch::nn::Module {
 public:
  explicit LevelTransformerImpl(const LevelTransformerOptions& options = {});

  // Logits (B, P) of the level's sites given the spins of all content tokens (B, C + P)
  // (the log_prob pass: every site as it saw the lattice when drawn).
  torch::Tensor logits(const torch::Tensor& content_values, const LevelTransformerTables& tables);

  // Sampling: the cache of the coarser sites' spins (B, C); then per site t in order,
  // next_logit (B) and append with its drawn spin (B).
  LevelTransformerCache begin(const torch::Tensor& known_values, const LevelTransformerTables& tables);
  torch::Tensor next_logit(LevelTransformerCache& cache, const LevelTransformerTables& tables);
  void append(LevelTransformerCache& cache, const LevelTransformerTables& tables, const torch::Tensor& spin);

  const LevelTransformerOptions& options() const { return options_; }

  torch::Tensor value_embedding;  // (d)
  torch::Tensor query_embedding;  // (d)
  torch::nn::Embedding class_embedding{nullptr};
  std::vector<std::shared_ptr<LevelTransformerBlockImpl>> layers;
  torch::nn::LayerNorm final_norm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  torch::Tensor content_tokens(const torch::Tensor& values, const torch::Tensor& classes);
  torch::Tensor query_tokens(const torch::Tensor& classes, std::int64_t batch);
  LevelTransformerOptions options_;
};
TORCH_MODULE(LevelTransformer);

}  // namespace rigcs
