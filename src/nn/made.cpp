#include "rigcs/nn/made.hpp"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

MadeImpl::MadeImpl(const MadeOptions& opt) : opt_(opt) {
  RIGCS_CHECK(opt.conditioning >= 0, "MADE conditioning size must be >= 0, got " << opt.conditioning);
  RIGCS_CHECK(opt.sites >= 1, "MADE must draw >= 1 site, got " << opt.sites);
  RIGCS_CHECK(opt.width >= 1, "MADE width factor must be >= 1, got " << opt.width);
  RIGCS_CHECK(opt.depth >= 1, "MADE depth must be >= 1, got " << opt.depth);
  RIGCS_CHECK(opt.epsilon >= 0 && opt.epsilon < 0.5, "MADE epsilon must be in [0, 0.5), got " << opt.epsilon);
  const std::int64_t c = opt.conditioning, d = opt.sites;
  hidden_ = static_cast<std::int64_t>(opt.width) * (c + d);
  const std::int64_t w = hidden_;
  // Degree m owns the units h with floor(h d / w) = m: they start at ceil(m w / d).
  group_begin_.resize(static_cast<std::size_t>(d) + 1);
  for (std::int64_t m = 0; m <= d; ++m) group_begin_[static_cast<std::size_t>(m)] = (m * w + d - 1) / d;
  std::vector<std::int64_t> degree(static_cast<std::size_t>(w));
  for (std::int64_t h = 0; h < w; ++h) degree[static_cast<std::size_t>(h)] = h * d / w;

  auto first = torch::ones({w, c + d}, torch::kFloat32);
  auto hid = torch::zeros({w, w}, torch::kFloat32);
  auto out = torch::zeros({d, w}, torch::kFloat32);
  {
    auto f = first.accessor<float, 2>();
    auto g = hid.accessor<float, 2>();
    auto o = out.accessor<float, 2>();
    for (std::int64_t h = 0; h < w; ++h) {
      const auto mh = degree[static_cast<std::size_t>(h)];
      for (std::int64_t t = 0; t < d; ++t) f[h][c + t] = mh >= t + 1 ? 1.0f : 0.0f;
      for (std::int64_t h2 = 0; h2 < w; ++h2) g[h2][h] = degree[static_cast<std::size_t>(h2)] >= mh ? 1.0f : 0.0f;
      for (std::int64_t t = 0; t < d; ++t) o[t][h] = mh <= t ? 1.0f : 0.0f;
    }
  }
  // Linear-layer initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
  auto uniform = [](std::vector<std::int64_t> shape, std::int64_t fan_in) {
    const double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
    return torch::empty(shape, torch::kFloat32).uniform_(-b, b);
  };
  for (int l = 0; l <= opt.depth; ++l) {
    const std::int64_t in = l == 0 ? c + d : w;
    const std::int64_t outs = l == opt.depth ? d : w;
    const std::string tag = l == opt.depth ? "out" : std::to_string(l);
    weights_.push_back(register_parameter("w" + tag, uniform({outs, in}, in)));
    biases_.push_back(register_parameter("b" + tag, uniform({outs}, in)));
    // Masks are buffers so that to() moves them, but they derive from the options:
    // HAN's named_buffers() does not expose them to checkpoints.
    masks_.push_back(register_buffer("mask" + tag, l == 0 ? first : (l == opt.depth ? out : hid)));
    if (l < opt.depth) alphas_.push_back(register_parameter("a" + tag, torch::full({w}, 0.5, torch::kFloat32)));
  }
}

torch::Tensor MadeImpl::masked_weight(int layer) const {
  // The mask multiplies the weight in every pass: masked entries never get gradients.
  return weights_[static_cast<std::size_t>(layer)] * masks_[static_cast<std::size_t>(layer)];
}

void MadeImpl::check_cond(const torch::Tensor& cond, std::int64_t batch) const {
  RIGCS_CHECK(batch >= 0, "negative batch size " << batch);
  if (opt_.conditioning == 0) {
    RIGCS_CHECK(!cond.defined() || cond.numel() == 0, "this MADE has no conditioning inputs");
    return;
  }
  RIGCS_CHECK(cond.defined() && cond.dim() == 2 && cond.size(0) == batch && cond.size(1) == opt_.conditioning,
              "MADE expects conditioning (" << batch << ", " << opt_.conditioning << "), got "
                                            << (cond.defined() ? cond.sizes() : torch::IntArrayRef{}));
}

torch::Tensor MadeImpl::logits(const torch::Tensor& cond, const torch::Tensor& sites) {
  RIGCS_CHECK(sites.dim() == 2 && sites.size(1) == opt_.sites,
              "MADE expects sites (B, " << opt_.sites << "), got " << sites.sizes());
  check_cond(cond, sites.size(0));
  const auto wopt = weights_[0].options();
  auto x = opt_.conditioning > 0 ? torch::cat({cond.to(wopt), sites.to(wopt)}, 1) : sites.to(wopt);
  for (int l = 0; l < opt_.depth; ++l)
    x = torch::prelu(torch::linear(x, masked_weight(l), biases_[static_cast<std::size_t>(l)]),
                     alphas_[static_cast<std::size_t>(l)]);
  return torch::linear(x, masked_weight(opt_.depth), biases_.back());
}

torch::Tensor MadeImpl::plus_probability(const torch::Tensor& logits) const {
  const double eps = opt_.epsilon;
  return eps + (1.0 - 2.0 * eps) * torch::sigmoid(logits.to(torch::kFloat64));
}

torch::Tensor MadeImpl::log_prob(const torch::Tensor& cond, const torch::Tensor& sites) {
  auto p = plus_probability(logits(cond, sites));
  return torch::where(sites > 0, torch::log(p), torch::log1p(-p)).sum(1);
}

torch::Tensor MadeImpl::first_preactivation(const torch::Tensor& cond, std::int64_t batch) const {
  const auto& b = biases_[0];
  if (opt_.conditioning == 0) return b.unsqueeze(0).expand({batch, hidden_}).clone();
  auto w = masked_weight(0).narrow(1, 0, opt_.conditioning);
  return torch::addmm(b, cond.to(w.options()), w.t());
}

std::pair<torch::Tensor, torch::Tensor> MadeImpl::sample(const torch::Tensor& cond, std::int64_t batch,
                                                         torch::Generator& gen) {
  check_cond(cond, batch);
  torch::NoGradGuard no_grad;
  const int d = opt_.sites, depth = opt_.depth;
  const std::int64_t w = hidden_;
  const auto wopt = weights_[0].options();
  const auto uopt = torch::TensorOptions().dtype(torch::kFloat64).device(wopt.device());
  std::vector<torch::Tensor> mw;
  for (int l = 0; l <= depth; ++l) mw.push_back(masked_weight(l));
  // Row t: what drawing site t adds to the first layer's pre-activations.
  auto site_columns = mw[0].narrow(1, opt_.conditioning, d).t().contiguous();
  auto a1 = first_preactivation(cond, batch);  // (B, W), complete for units of degree <= t at step t
  std::vector<torch::Tensor> h;                // post-activations; units of degree < t are final
  for (int l = 0; l < depth; ++l) h.push_back(torch::zeros({batch, w}, wopt));
  auto x = torch::zeros({batch, d}, wopt);
  auto log_q = torch::zeros({batch}, uopt);
  for (int t = 0; t < d; ++t) {
    const std::int64_t lo = group_begin_[static_cast<std::size_t>(t)];
    const std::int64_t hi = group_begin_[static_cast<std::size_t>(t) + 1];
    // Units of degree t see sites < t only: all drawn, so they are final now.
    if (hi > lo) {
      h[0].narrow(1, lo, hi - lo).copy_(torch::prelu(a1.narrow(1, lo, hi - lo), alphas_[0].narrow(0, lo, hi - lo)));
      for (int l = 1; l < depth; ++l) {
        const auto li = static_cast<std::size_t>(l);
        auto z = torch::addmm(biases_[li].narrow(0, lo, hi - lo), h[li - 1].narrow(1, 0, hi),
                              mw[li].narrow(0, lo, hi - lo).narrow(1, 0, hi).t());
        h[li].narrow(1, lo, hi - lo).copy_(torch::prelu(z, alphas_[li].narrow(0, lo, hi - lo)));
      }
    }
    // Output t sees last-layer units of degree <= t: [0, hi).
    auto z = torch::mv(h.back().narrow(1, 0, hi), mw.back().select(0, t).narrow(0, 0, hi)) + biases_.back()[t];
    auto p = plus_probability(z);
    auto up = torch::rand({batch}, gen, uopt) < p;
    auto s = torch::where(up, 1.0, -1.0).to(wopt);
    x.select(1, t).copy_(s);
    log_q += torch::where(up, torch::log(p), torch::log1p(-p));
    if (hi < w) a1.narrow(1, hi, w - hi).addr_(s, site_columns.select(0, t).narrow(0, hi, w - hi));
  }
  return {x, log_q};
}

std::pair<torch::Tensor, torch::Tensor> MadeImpl::sample_plain(const torch::Tensor& cond, std::int64_t batch,
                                                               torch::Generator& gen) {
  check_cond(cond, batch);
  torch::NoGradGuard no_grad;
  const auto wopt = weights_[0].options();
  const auto uopt = torch::TensorOptions().dtype(torch::kFloat64).device(wopt.device());
  auto x = torch::zeros({batch, opt_.sites}, wopt);
  auto log_q = torch::zeros({batch}, uopt);
  for (int t = 0; t < opt_.sites; ++t) {
    auto p = plus_probability(logits(cond, x).select(1, t));
    auto up = torch::rand({batch}, gen, uopt) < p;
    x.select(1, t).copy_(torch::where(up, 1.0, -1.0).to(wopt));
    log_q += torch::where(up, torch::log(p), torch::log1p(-p));
  }
  return {x, log_q};
}

}  // namespace rigcs
