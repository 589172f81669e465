// RiGCS for a real field (phi^4; paper appendix H.4): the multilevel partition of
// lattice/multilevel.hpp with
//   - a coarsest model on N0 x N0 (the PixelCNN with a Gaussian-mixture head, VanSampler
//     with PixelCnnOptions::mixture_components > 0);
//   - a conditional CNN with a Gaussian-mixture head (nn/gaussian_mixture.hpp) for level a
//     and for level b of every block: a real field has no exact heat bath, so, as H.4
//     says, the finest level is a net too.
// Within a level the sites are drawn one at a time in row-major order. Each net sees
// the (k1 + k2 - 1)^2 periodic window around its site in two channels: the field where
// it is known (coarser levels, level a for level b, the earlier sites of its own level)
// and 0 elsewhere, and the known mask itself, so a known 0 is not an unknown site.
//
// Two paths compute the same conditionals (FieldPath):
//   - Incremental (the CPU default): conv1 is linear in (field, mask) and a site not yet
//     drawn enters both as 0, so each draw updates conv1's output in its k1 x k1
//     neighbourhood and the next mixture reads a k2 x k2 window of it
//     (samplers/incremental_field_level.hpp); log_prob and sample_with_grad compute each
//     sample's gradient of log q in the same sweep and attach it for autograd. O((k1^2 +
//     k2^2) C) per site instead of a (k1 + k2 - 1)^2 window pass;
//   - Patches (other devices, and the check): every site on its window with the mask as
//     it stood when the site was drawn (precomputed index tables), sampling one site at
//     a time, log_prob one batched pass per level with autograd.
// Both are checked against the plain whole-lattice reference, log_prob_reference.
//
// Parameter names (checkpoints): "coarse.<name of the coarse model>", and
// "block<k>.a.conv1.weight", ..., "block<k>.b.conv2.bias".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rigcs/lattice/multilevel.hpp"
#include "rigcs/samplers/sampler.hpp"

namespace rigcs {

struct RigcsFieldOptions {
  int coarsest_size = 2;  // N0
  int blocks = 1;         // B; N = N0 * 2^B
  int channels = 16;
  int kernel1 = 5;
  int kernel2 = 5;
  double negative_slope = 0.1;
  int mixture_components = 3;  // H (paper: 3)
  double min_width = 1e-3;
};

// How the conditional nets are evaluated. Automatic: Incremental on the CPU (up to 256
// channels and 16 components), Patches elsewhere.
enum class FieldPath { Automatic, Incremental, Patches };

class RigcsFieldSampler : public GenerativeSampler {
 public:
  // `coarse` models the N0 x N0 field; its lattice_size() must be N0.
  RigcsFieldSampler(const RigcsFieldOptions& options, std::shared_ptr<GenerativeSampler> coarse);
  ~RigcsFieldSampler() override;

  std::string kind() const override { return "rigcs"; }
  int lattice_size() const override { return partition_.size(); }
  const RigcsFieldOptions& options() const { return options_; }
  const MultilevelPartition& partition() const { return partition_; }
  GenerativeSampler& coarse() { return *coarse_; }

  // Random numbers: the coarse model's, then per block, level a then b:
  //   Incremental: the level's uniforms (P, B), then its normals (P, B);
  //   Patches: per site in drawing order, GaussianMixtureHead::sample's uniforms and
  //   normals for the batch.
  SampleBatch sample(std::int64_t batch, torch::Generator& gen) override;
  // Incremental path: the draws and the gradient of log q in one sweep.
  SampleBatch sample_with_grad(std::int64_t batch, torch::Generator& gen) override;
  torch::Tensor log_prob(const torch::Tensor& field) override;

  void set_path(FieldPath path);
  // Whether the incremental kernel is used; throws if Incremental was asked for where it
  // cannot run (another device, too many channels or components).
  bool uses_incremental() const;
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() override;
  std::vector<std::pair<std::string, torch::Tensor>> named_buffers() override;
  void to(const torch::Device& device) override;

  // Mixture parameters (B, P, 3 H) of the P sites of (block k, level a or b), in drawing
  // order, each as its site saw the given field (B, N, N) when it was drawn.
  torch::Tensor level_params(const torch::Tensor& field, int block, SubLevel level);

  // The plain reference: log q site by site, each conditional from a fresh window of the
  // whole lattice with the sites not yet drawn zeroed and unmarked. Slow; for tests.
  torch::Tensor log_prob_reference(const torch::Tensor& field);

  // Model transfer (paper appendix H.4): `smaller` has one block fewer, the same N0 and
  // net shape. Copies the coarse model, every block's level a and b nets, and gives the
  // new last block the nets of the old last block (theta_2 -> theta_2 and theta_4).
  void transfer_from(RigcsFieldSampler& smaller);
  // The model for 2N, sharing our coarse model (the smaller model is a finished stage),
  // initialised by transfer_from.
  std::unique_ptr<RigcsFieldSampler> grow();

 private:
  struct Impl;
  SampleBatch sample_incremental(std::int64_t batch, torch::Generator& gen, bool with_grad);
  torch::Tensor log_prob_incremental(const torch::Tensor& field);
  RigcsFieldOptions options_;
  MultilevelPartition partition_;
  std::shared_ptr<GenerativeSampler> coarse_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rigcs
