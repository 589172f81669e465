// RiGCS (paper section 3, appendices E and G.3; DESIGN.md section 4): ancestral
// sampling over the multilevel partition (lattice/multilevel.hpp) with
//   - a coarsest model q(s^0) on N0 x N0 (any GenerativeSampler; the published one is
//     the Z2-symmetrised PixelCNN, i.e. VanSampler(N0) with PixelCnnOptions::z2);
//   - one conditional net (nn/conditional_cnn.hpp) for level a and one for level b
//     of every block, except level b of the last block, which is the exact heat bath
//     P(s = +1) = sigmoid(2 beta J * sum of the 4 neighbours).
// Within a level the sites are drawn one at a time in row-major order; each draw sees
// every spin of the coarser levels, the spins of its level drawn so far and zeros
// elsewhere, through the net's (k1 + k2 - 1)^2 periodic window.
//
// Fast paths (all exact, checked against the plain site-by-site reference):
//   - log_prob: per level one batched pass of the net over every site's window,
//     gathered with precomputed index tables and masked as it stood when that site
//     was drawn;
//   - sample on the CPU (SamplingPath::Incremental): conv1 is linear and undrawn sites
//     enter as 0, so each draw updates conv1's output in its k1 x k1 neighbourhood and
//     the next logit reads only a k2 x k2 window of it (samplers/incremental_level.hpp);
//     O((k1^2 + k2^2) C) per site, samples in parallel over torch's threads;
//   - log_prob and sample_with_grad on the CPU (GradientPath::Incremental): the same
//     incremental sweep, reading given spins or drawing them, with the gradient of
//     each sample's log q with respect to every conditional net computed in that sweep
//     (reverse mode through the recurrence, samplers/incremental_level.hpp) and
//     attached to log q for autograd; no per-site window pass. The patch pass above
//     (GradientPath::Patches, autograd) stays the path on other devices;
//   - sample on other devices (SamplingPath::Groups): the sites of a level are grouped
//     by their depth in the dependency graph (site v depends on the earlier sites of its
//     level inside its window) and a group is drawn in one batched pass. With the
//     published 9x9 window and row-major order every group is one site.
//
// Conditional architecture (RigcsOptions::conditional): the CNN above, or a transformer
// (paper appendix H.3) of one of two contexts (RigcsOptions::transformer_context):
// - Window: nn/conditional_transformer.hpp on the same (k1 + k2 - 1)^2 window with the
//   same masks; log_prob is the batched pass over every site's window (its known tokens
//   only, from precomputed tables); sample is the Groups path.
// - Lattice (default): nn/level_transformer.hpp over the block's whole fine lattice,
//   causal in the level's drawing order; log_prob is one two-stream pass per level;
//   sample draws site by site with cached keys and values.
// Neither has an incremental path; the gradient is recomputed chunk by chunk in the
// backward pass so that memory stays bounded.
//
// Parameter names (checkpoints): "coarse.<name of the coarse model>", and
// "block<k>.a.<net>", "block<k>.b.<net>" with <net> = conv1.weight, conv1.bias,
// conv2.weight, conv2.bias for the CNN, or the transformer's parameter names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/lattice/multilevel.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

class ConditionalCnn;
class ConditionalTransformer;
class LevelTransformer;
namespace detail {
struct CheckpointedNetLevels;
}

enum class ConditionalKind { Cnn, Transformer };

// What a transformer conditional sees: the CNN's (k1 + k2 - 1)^2 window around the site
// (nn/conditional_transformer.hpp), or the block's whole fine lattice with a causal mask
// over the level's drawing order (nn/level_transformer.hpp, one token per site: about
// w^2 times cheaper per site, the default).
enum class TransformerContext { Window, Lattice };

// How sample() draws the conditional-net levels. Automatic: Incremental on the CPU
// (up to 256 channels), Groups elsewhere.
enum class SamplingPath { Automatic, Incremental, Groups };

// How log_prob and sample_with_grad compute log q and its gradient for the
// conditional-net levels. Automatic: Incremental on the CPU (up to 256 channels),
// Patches (autograd through the batched window pass) elsewhere.
enum class GradientPath { Automatic, Incremental, Patches };

struct RigcsOptions {
  int coarsest_size = 2;  // N0 (the coarse model's lattice size)
  int blocks = 1;         // B; N = N0 * 2^B
  double beta = 0.44;     // target, for the exact heat bath of the last level
  double j = 1.0;
  // Conditional nets (published runs: 16, 5, 5; the paper's text says 12, 5, 3).
  int channels = 16;
  int kernel1 = 5;
  int kernel2 = 5;
  double negative_slope = 0.1;
  // Which net the conditionals are; the transformer's window is k1 + k2 - 1 as the CNN's.
  ConditionalKind conditional = ConditionalKind::Cnn;
  int transformer_depth = 5;   // paper appendix H.3: 5 blocks,
  int transformer_heads = 8;   // 8 heads,
  int transformer_width = 64;  // (model width not stated in the paper)
  int transformer_ff = 1024;   // 1024 feed-forward units
  TransformerContext transformer_context = TransformerContext::Lattice;
};

class RigcsSampler : public GenerativeSampler {
 public:
  // `coarse` models the N0 x N0 lattice; its lattice_size() must be N0.
  RigcsSampler(const RigcsOptions& options, std::shared_ptr<GenerativeSampler> coarse);
  ~RigcsSampler() override;

  std::string kind() const override { return "rigcs"; }
  int lattice_size() const override { return partition_.size(); }
  const RigcsOptions& options() const { return options_; }
  const MultilevelPartition& partition() const { return partition_; }
  GenerativeSampler& coarse() { return *coarse_; }
  std::shared_ptr<GenerativeSampler> coarse_ptr() const { return coarse_; }

  SampleBatch sample(std::int64_t batch, torch::Generator& gen) override;
  SampleBatch sample_with_grad(std::int64_t batch, torch::Generator& gen) override;
  torch::Tensor log_prob(const torch::Tensor& spins) override;
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() override;
  std::vector<std::pair<std::string, torch::Tensor>> named_buffers() override;
  void to(const torch::Device& device) override;

  // The conditional net of (block k, level a or b); level b of the last block has none.
  bool has_net(int block, SubLevel level) const;
  ConditionalCnn& net(int block, SubLevel level);  // CNN conditionals only
  ConditionalTransformer& transformer(int block, SubLevel level);  // window transformers only
  LevelTransformer& level_transformer(int block, SubLevel level);  // lattice transformers only

  // Logits (B, P) of one net level's sites, in drawing order, for the given spins
  // (B, N, N): each as the site saw it when it was drawn (the log_prob pass).
  torch::Tensor level_logits(const torch::Tensor& spins, int block, SubLevel level);

  // Choose the sampling path (tests and benchmarks compare them). Incremental on a
  // model that cannot use it is an error at the next sample().
  void set_sampling_path(SamplingPath path);
  bool uses_incremental_path() const;
  void set_gradient_path(GradientPath path);
  bool uses_incremental_gradient() const;
  // The incremental kernel's instruction set on this CPU: "avx2+fma" or "generic"
  // (RIGCS_NO_AVX2=1 forces "generic").
  static std::string incremental_kernel_isa();

  // Sequential sampling steps per level of the Groups path (the depth schedule).
  std::vector<int> sampling_steps() const;

  // The plain site-by-site versions, as the authors' code does it: the whole-lattice
  // net is run once per site. Slow (N^4); kept as the reference for the fast paths.
  SampleBatch sample_reference(std::int64_t batch, torch::Generator& gen);
  torch::Tensor log_prob_reference(const torch::Tensor& spins);

  // Model transfer (paper section 3.3, appendix E.1). `smaller` has one block fewer,
  // the same N0 and the same net shape. Copies, into this model:
  //   - the coarse model's parameters and buffers (by name);
  //   - level a and level b of every block of `smaller` that it drew with a net;
  //   - level b of the old last block (heat bath in `smaller`): from level b of the
  //     block below it, or left as initialised if there is none;
  //   - level a of the new last block: from the old last level a (left as initialised
  //     if `smaller` has no block).
  void transfer_from(RigcsSampler& smaller);

  // The model for 2N, initialised from this one by transfer_from. The new model gets
  // `fresh_coarse` (a model of the same architecture, whose parameters are then copied
  // from ours) or, when it is null, shares our coarse model: the smaller model is a
  // finished training stage.
  std::unique_ptr<RigcsSampler> grow(std::shared_ptr<GenerativeSampler> fresh_coarse = nullptr);

 private:
  SampleBatch sample_impl(std::int64_t batch, torch::Generator& gen, bool with_grad);
  torch::Tensor log_prob_incremental(const torch::Tensor& spins);
  torch::Tensor log_prob_patches(const torch::Tensor& spins);
  // log q of the conditional-net levels only (B) float64, the patch pass.
  torch::Tensor net_levels_log_prob(const torch::Tensor& x);
  friend struct detail::CheckpointedNetLevels;

  struct Impl;
  RigcsOptions options_;
  MultilevelPartition partition_;
  std::shared_ptr<GenerativeSampler> coarse_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rigcs
