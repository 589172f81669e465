// The conditional net of one RiGCS level (paper appendix G.3, DESIGN.md section 4):
// conv(1 -> C, k1 x k1, circular, bias), LeakyReLU, conv(C -> 1, k2 x k2, circular,
// bias), sigmoid. It is not masked: the autoregressive order within a level comes
// from feeding it the lattice with the not-yet-drawn sites set to 0. Its output at a
// site depends only on the (k1 + k2 - 1)^2 window around it, so the same weights
// also run on gathered windows ("patches") with no padding: one output per patch.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace rigcs {

struct ConditionalCnnOptions {
  int channels = 16;            // C, hidden channels
  int kernel1 = 5;              // k1, odd
  int kernel2 = 5;              // k2, odd
  double negative_slope = 0.1;  // LeakyReLU slope
  // Ising: 1 in (the spins, 0 where not drawn), 1 out (the logit). A real field
  // (RigcsFieldSampler): 2 in (the field where known, the known mask), 3 H out (a
  // Gaussian mixture).
  int in_channels = 1;
  int out_channels = 1;
};

class ConditionalCnnImpl : public torch::nn::Module {
 public:
  explicit ConditionalCnnImpl(const ConditionalCnnOptions& options = {});

  // Whole periodic lattice (B, in_channels, m, m) -> outputs (B, out_channels, m, m)
  // (Ising: the logits).
  torch::Tensor forward_logits(const torch::Tensor& lattice);
  // Whole periodic lattice -> P(s = +1) at every site.
  torch::Tensor forward(const torch::Tensor& lattice);
  // Windows (P, 1, w, w) with w = receptive_field() -> logits (P) of their centres.
  torch::Tensor patch_logits(const torch::Tensor& patches);
  // Windows (P, in_channels, w, w) -> outputs (P, out_channels) of their centres.
  torch::Tensor patch_outputs(const torch::Tensor& patches);

  int receptive_field() const { return options_.kernel1 + options_.kernel2 - 1; }
  const ConditionalCnnOptions& options() const { return options_; }

  // Copy the weights of another net of the same shape (model transfer).
  void copy_weights_from(ConditionalCnnImpl& other);

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::Conv2d conv2{nullptr};

 private:
  ConditionalCnnOptions options_;
};
TORCH_MODULE(ConditionalCnn);

}  // namespace rigcs
