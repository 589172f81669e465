#include "rigcs/nn/pixelcnn.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

// Raster-order mask of a (2h+1)^2 kernel: rows above the centre, and the centre row
// left of the centre (plus the centre itself when inclusive).
torch::Tensor raster_mask(int h, bool inclusive) {
  const int k = 2 * h + 1;
  auto m = torch::zeros({k, k}, torch::kFloat32);
  auto a = m.accessor<float, 2>();
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < k; ++c)
      if (r < h || (r == h && (c < h || (inclusive && c == h)))) a[r][c] = 1.0f;
  return m;
}

torch::nn::Conv2d make_conv(int in, int out, int kernel, int padding, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).padding(padding).bias(bias));
}

}  // namespace

PixelCnnImpl::PixelCnnImpl(const PixelCnnOptions& opt) : opt_(opt) {
  RIGCS_CHECK(opt.depth >= 1, "PixelCNN depth must be >= 1, got " << opt.depth);
  RIGCS_CHECK(opt.width >= 1, "PixelCNN width must be >= 1, got " << opt.width);
  RIGCS_CHECK(opt.half_kernel >= 1, "PixelCNN half_kernel must be >= 1, got " << opt.half_kernel);
  RIGCS_CHECK(opt.epsilon >= 0 && opt.epsilon < 0.5,
              "PixelCNN epsilon must be in [0, 0.5), got " << opt.epsilon);
  RIGCS_CHECK(opt.mixture_components >= 0, "PixelCNN mixture components must be >= 0, got " << opt.mixture_components);
  RIGCS_CHECK(opt.mixture_min_width > 0, "PixelCNN mixture min width must be > 0, got " << opt.mixture_min_width);
  const int in_channels = opt.mixture_components > 0 ? 2 : 1;
  const int out_channels = opt.mixture_components > 0 ? 3 * opt.mixture_components : 1;
  const int h = opt.half_kernel;
  const int k = 2 * h + 1;
  masked_convs_ = register_module("masked", torch::nn::ModuleList());
  res_convs_ = register_module("res", torch::nn::ModuleList());
  prelus_ = register_module("prelu", torch::nn::ModuleList());
  masked_convs_->push_back(make_conv(in_channels, opt.width, k, h, opt.bias));
  for (int l = 1; l < opt.depth; ++l) {
    const bool residual_layer = opt.residual && l < opt.depth - 1;
    if (residual_layer) res_convs_->push_back(make_conv(opt.width, opt.width, 1, 0, opt.bias));
    prelus_->push_back(torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(opt.width).init(0.5)));
    masked_convs_->push_back(make_conv(opt.width, opt.width, k, h, opt.bias));
  }
  prelus_->push_back(torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(opt.width).init(0.5)));
  out_conv_ = register_module("out", make_conv(opt.width, out_channels, 1, 0, opt.bias));
  mask_exclusive_ = raster_mask(h, false);
  mask_inclusive_ = raster_mask(h, true);
}

torch::Tensor PixelCnnImpl::masked_conv(const torch::nn::Conv2dImpl& conv,
                                        const torch::Tensor& mask, const torch::Tensor& x) const {
  const int h = opt_.half_kernel;
  // With zero padding, taps farther than (size - 1) from the centre only ever see the
  // padding: cropping them is exact, and on small lattices (the 2x2 coarsest level of
  // RiGCS under a 13x13 kernel) it saves almost all of the work.
  const int hr = std::min<int>(h, static_cast<int>(x.size(2)) - 1);
  const int hc = std::min<int>(h, static_cast<int>(x.size(3)) - 1);
  auto w = conv.weight.narrow(2, h - hr, 2 * hr + 1).narrow(3, h - hc, 2 * hc + 1);
  auto m = mask.narrow(0, h - hr, 2 * hr + 1).narrow(1, h - hc, 2 * hc + 1);
  // The mask multiplies the weight in every pass, so masked taps never get gradients
  // that could leak the future, whatever the optimizer does.
  return torch::conv2d(x, w * m.to(w.options()), conv.bias, 1, {hr, hc});
}

torch::Tensor PixelCnnImpl::logits(const torch::Tensor& spins) {
  RIGCS_CHECK(spins.dim() == 3, "PixelCNN expects spins (B, H, W), got " << spins.dim() << " dims");
  RIGCS_CHECK(!real_field(), "PixelCNN logits: this net has a Gaussian-mixture head (use mixture_params)");
  // The net's dtype decides (float32 normally; float64 for precision checks).
  return trunk(spins.to(out_conv_->weight.options()).unsqueeze(1)).squeeze(1);
}

torch::Tensor PixelCnnImpl::field_input(const torch::Tensor& field) const {
  auto x = field.to(out_conv_->weight.options());
  return torch::stack({x, torch::ones_like(x)}, 1);
}

torch::Tensor PixelCnnImpl::mixture_params(const torch::Tensor& field) {
  RIGCS_CHECK(field.dim() == 3, "PixelCNN expects a field (B, H, W), got " << field.dim() << " dims");
  RIGCS_CHECK(real_field(), "PixelCNN mixture_params: this net has a Bernoulli head (use logits)");
  return trunk(field_input(field)).permute({0, 2, 3, 1});
}

torch::Tensor PixelCnnImpl::trunk(torch::Tensor x) {
  x = masked_conv(*masked_convs_->ptr<torch::nn::Conv2dImpl>(0), mask_exclusive_, x);
  std::size_t res = 0;
  for (int l = 1; l < opt_.depth; ++l) {
    const bool residual_layer = opt_.residual && l < opt_.depth - 1;
    auto& mconv = *masked_convs_->ptr<torch::nn::Conv2dImpl>(l);
    auto& prelu = *prelus_->ptr<torch::nn::PReLUImpl>(l - 1);
    if (residual_layer) {
      auto& rconv = *res_convs_->ptr<torch::nn::Conv2dImpl>(res++);
      x = x + masked_conv(mconv, mask_inclusive_, prelu.forward(rconv.forward(x)));
    } else {
      x = masked_conv(mconv, mask_inclusive_, prelu.forward(x));
    }
  }
  auto& last = *prelus_->ptr<torch::nn::PReLUImpl>(opt_.depth - 1);
  return out_conv_->forward(last.forward(x));
}

torch::Tensor PixelCnnImpl::plus_probability(const torch::Tensor& logits) const {
  const double eps = opt_.epsilon;
  return eps + (1.0 - 2.0 * eps) * torch::sigmoid(logits.to(torch::kFloat64));
}

torch::Tensor PixelCnnImpl::log_prob_from(const torch::Tensor& spins, const torch::Tensor& p_plus) {
  auto up = spins > 0;
  auto site = torch::where(up, torch::log(p_plus), torch::log1p(-p_plus));
  return site.flatten(1).sum(1);
}

torch::Tensor PixelCnnImpl::log_prob_raw(const torch::Tensor& spins) {
  if (real_field()) return mixture_head().log_density(mixture_params(spins), spins).flatten(1).sum(1);
  return log_prob_from(spins, plus_probability(logits(spins)));
}

torch::Tensor PixelCnnImpl::log_prob(const torch::Tensor& spins) {
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == spins.size(2),
              "PixelCNN log_prob expects spins (B, N, N), got " << spins.sizes());
  if (!opt_.z2) return log_prob_raw(spins);
  // (phi^4 is symmetric under phi -> -phi as Ising under s -> -s: the same formula.)
  // One pass over s and -s together.
  auto both = log_prob_raw(torch::cat({spins, -spins}, 0)).view({2, spins.size(0)});
  return torch::logsumexp(both, 0) - std::log(2.0);
}

namespace {

// Weights of a masked (2h+1)^2 conv restricted to the rows that can be non-zero (the
// centre row and above), flattened to (C_in (h+1) (2h+1), C_out) for one matmul per site.
torch::Tensor causal_weight_matrix(const torch::nn::Conv2dImpl& conv, const torch::Tensor& mask,
                                   int h) {
  auto w = (conv.weight * mask.to(conv.weight.options())).narrow(2, 0, h + 1);
  return w.reshape({w.size(0), -1}).t().contiguous();
}

// y = x W^T + b for a 1x1 conv applied at one site, x (B, C_in).
torch::Tensor pointwise(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  auto w = conv.weight.flatten(1);  // (C_out, C_in)
  return conv.bias.defined() ? torch::addmm(conv.bias, x, w.t()) : torch::mm(x, w.t());
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> PixelCnnImpl::sample(std::int64_t batch, int n,
                                                             torch::Generator& gen) {
  RIGCS_CHECK(batch >= 0, "negative batch size " << batch);
  RIGCS_CHECK(n >= 1, "lattice size must be >= 1, got " << n);
  torch::NoGradGuard no_grad;
  // Cached incremental sampling (the "fast PixelCNN" idea). With raster masks every
  // layer's value at site v depends only on sites before v, so it is computed once, at
  // v's turn, from the cached inputs of each masked conv in v's causal window; nothing
  // is recomputed. Cost per sample is O(N^2 depth width^2 h^2), not O(N^4 ...).
  const int h = opt_.half_kernel;
  const int k = 2 * h + 1;
  const auto wopt = out_conv_->weight.options();
  const auto dev = out_conv_->weight.device();
  const auto uopt = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  // inputs[l]: the input map of masked conv l, zero-padded by h above, left and right
  // (zero padding, exactly as in logits()); rows below the current one are never read.
  std::vector<torch::Tensor> inputs;
  std::vector<torch::Tensor> weights;
  std::vector<torch::Tensor> biases;
  for (int l = 0; l < opt_.depth; ++l) {
    auto& conv = *masked_convs_->ptr<torch::nn::Conv2dImpl>(l);
    const std::int64_t c_in = conv.weight.size(1);
    inputs.push_back(torch::zeros({batch, c_in, n + h, n + 2 * h}, wopt));
    weights.push_back(causal_weight_matrix(conv, l == 0 ? mask_exclusive_ : mask_inclusive_, h));
    biases.push_back(conv.bias);
  }
  auto conv_at = [&](int l, int i, int j) {
    auto window = inputs[l].narrow(2, i, h + 1).narrow(3, j, k).reshape({batch, -1});
    return biases[l].defined() ? torch::addmm(biases[l], window, weights[l])
                               : torch::mm(window, weights[l]);
  };
  auto log_q = torch::zeros({batch}, uopt);
  const bool real = real_field();
  const GaussianMixtureHead head = mixture_head();
  // The on-lattice channel is 1 at every lattice site from the start: the exclusive
  // first mask hides the sites not yet drawn, as in mixture_params().
  if (real) inputs[0].select(1, 1).narrow(1, h, n).narrow(2, h, n).fill_(1.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      auto x = conv_at(0, i, j);  // (B, width)
      std::size_t res = 0;
      for (int l = 1; l < opt_.depth; ++l) {
        const bool residual_layer = opt_.residual && l < opt_.depth - 1;
        auto& prelu = *prelus_->ptr<torch::nn::PReLUImpl>(l - 1);
        auto a = residual_layer
                     ? torch::prelu(pointwise(*res_convs_->ptr<torch::nn::Conv2dImpl>(res++), x),
                                    prelu.weight)
                     : torch::prelu(x, prelu.weight);
        inputs[l].select(2, i + h).select(2, j + h).copy_(a);
        x = residual_layer ? x + conv_at(l, i, j) : conv_at(l, i, j);
      }
      auto& last = *prelus_->ptr<torch::nn::PReLUImpl>(opt_.depth - 1);
      auto out = pointwise(*out_conv_, torch::prelu(x, last.weight));
      if (real) {
        // Stored in the net's dtype, and log q of the stored value, as log_prob sees it.
        auto value = head.sample(out, gen).to(wopt);
        inputs[0].select(2, i + h).select(2, j + h).select(1, 0).copy_(value);
        log_q += head.log_density(out, value);
        continue;
      }
      auto z = out.squeeze(1);
      auto p = plus_probability(z);
      auto u = torch::rand({batch}, gen, uopt);
      auto up = u < p;
      inputs[0].select(2, i + h).select(2, j + h).copy_(torch::where(up, 1.0, -1.0).unsqueeze(1));
      log_q += torch::where(up, torch::log(p), torch::log1p(-p));
    }
  }
  // Spins as float32; a field in the net's dtype, the values log q was computed for.
  auto spins = inputs[0].select(1, 0).narrow(1, h, n).narrow(2, h, n).to(real ? wopt.dtype().toScalarType() : torch::kFloat32)
                   .contiguous();
  if (opt_.z2) {
    // q_sym(s) = (q(s) + q(-s)) / 2 is flip invariant, so the flip leaves it unchanged.
    auto log_q_flip = log_prob_raw(-spins);
    log_q = torch::logsumexp(torch::stack({log_q, log_q_flip}), 0) - std::log(2.0);
    auto flip = torch::randint(0, 2, {batch}, gen, uopt) * 2.0 - 1.0;
    spins.mul_(flip.to(spins.dtype()).view({batch, 1, 1}));
  }
  return {spins, log_q};
}

}  // namespace rigcs
