#include "rigcs/nn/conditional_cnn.hpp"

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

// Circular padding by index gathering: unlike torch's circular mode it works when
// the pad exceeds the lattice (2x2 lattices with a 5x5 kernel), wrapping as often
// as needed, which is what a periodic lattice means.
torch::Tensor circular_pad(const torch::Tensor& x, int pad) {
  if (pad == 0) return x;
  const auto m_rows = x.size(2), m_cols = x.size(3);
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  auto rows = torch::remainder(torch::arange(-pad, m_rows + pad, opts), m_rows);
  auto cols = torch::remainder(torch::arange(-pad, m_cols + pad, opts), m_cols);
  return x.index_select(2, rows).index_select(3, cols);
}

}  // namespace

ConditionalCnnImpl::ConditionalCnnImpl(const ConditionalCnnOptions& options) : options_(options) {
  RIGCS_CHECK(options.channels >= 1, "conditional net: channels must be >= 1, got " << options.channels);
  RIGCS_CHECK(options.kernel1 >= 1 && options.kernel1 % 2 == 1,
              "conditional net: kernel1 must be odd and >= 1, got " << options.kernel1);
  RIGCS_CHECK(options.kernel2 >= 1 && options.kernel2 % 2 == 1,
              "conditional net: kernel2 must be odd and >= 1, got " << options.kernel2);
  RIGCS_CHECK(options.in_channels >= 1 && options.out_channels >= 1,
              "conditional net: in and out channels must be >= 1, got " << options.in_channels << " and "
                                                                        << options.out_channels);
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels, options.channels,
                                                                              options.kernel1).bias(true)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.channels, options.out_channels,
                                                                              options.kernel2).bias(true)));
}

torch::Tensor ConditionalCnnImpl::forward_logits(const torch::Tensor& lattice) {
  RIGCS_CHECK(lattice.dim() == 4 && lattice.size(1) == options_.in_channels,
              "conditional net expects (B, " << options_.in_channels << ", m, m), got " << lattice.sizes());
  auto h = conv1->forward(circular_pad(lattice, options_.kernel1 / 2));
  h = torch::leaky_relu(h, options_.negative_slope);
  return conv2->forward(circular_pad(h, options_.kernel2 / 2));
}

torch::Tensor ConditionalCnnImpl::forward(const torch::Tensor& lattice) {
  return torch::sigmoid(forward_logits(lattice));
}

torch::Tensor ConditionalCnnImpl::patch_logits(const torch::Tensor& patches) {
  const int w = receptive_field();
  RIGCS_CHECK(patches.dim() == 4 && patches.size(1) == 1 && patches.size(2) == w && patches.size(3) == w,
              "conditional net expects patches (P, 1, " << w << ", " << w << "), got " << patches.sizes());
  auto h = torch::leaky_relu(conv1->forward(patches), options_.negative_slope);
  return conv2->forward(h).reshape({patches.size(0)});
}

torch::Tensor ConditionalCnnImpl::patch_outputs(const torch::Tensor& patches) {
  const int w = receptive_field();
  RIGCS_CHECK(patches.dim() == 4 && patches.size(1) == options_.in_channels && patches.size(2) == w &&
                  patches.size(3) == w,
              "conditional net expects patches (P, " << options_.in_channels << ", " << w << ", " << w << "), got "
                                                      << patches.sizes());
  auto h = torch::leaky_relu(conv1->forward(patches), options_.negative_slope);
  return conv2->forward(h).reshape({patches.size(0), options_.out_channels});
}

void ConditionalCnnImpl::copy_weights_from(ConditionalCnnImpl& other) {
  RIGCS_CHECK(other.options_.channels == options_.channels && other.options_.kernel1 == options_.kernel1 &&
                  other.options_.kernel2 == options_.kernel2 && other.options_.in_channels == options_.in_channels &&
                  other.options_.out_channels == options_.out_channels,
              "model transfer between conditional nets of different shape (C, k1, k2) = ("
                  << other.options_.channels << ", " << other.options_.kernel1 << ", "
                  << other.options_.kernel2 << ") -> (" << options_.channels << ", " << options_.kernel1
                  << ", " << options_.kernel2 << ")");
  torch::NoGradGuard no_grad;
  auto src = other.named_parameters();
  for (auto& p : named_parameters()) p.value().copy_(src[p.key()]);
}

}  // namespace rigcs
