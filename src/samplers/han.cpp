#include "rigcs/samplers/han.hpp"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

int two_adic_valuation(int x) {
  int v = 0;
  while (x % 2 == 0) {
    x /= 2;
    ++v;
  }
  return v;
}

torch::Tensor to_long(const std::vector<std::int64_t>& v) { return torch::tensor(v, torch::kLong); }

}  // namespace

int HanGeometry::level_of(int size, int r, int c) {
  if (r == 0 || c == 0) return 0;
  int k = 0;
  while ((1 << k) < size) ++k;
  return k - std::max(two_adic_valuation(r), two_adic_valuation(c));
}

HanGeometry::HanGeometry(int n) : size(n) {
  RIGCS_CHECK(n >= 2 && (n & (n - 1)) == 0, "HAN needs a lattice size L = 2^k >= 2, got " << n);
  while ((1 << k) < n) ++k;
  auto at = [n](int r, int c) { return static_cast<std::int64_t>(((r % n) + n) % n) * n + ((c % n) + n) % n; };
  for (int c = 0; c < n; ++c) boundary.push_back(at(0, c));
  for (int r = 1; r < n; ++r) boundary.push_back(at(r, 0));
  for (int j = 1; j < k; ++j) {
    Cross x;
    x.side = n >> (j - 1);
    const int s = x.side, h = s / 2, per = n / s;
    x.squares = per * per;
    x.sites = 2 * s - 3;
    x.border = 4 * s;
    for (int a = 0; a < per; ++a) {
      for (int b = 0; b < per; ++b) {
        const int r0 = a * s, c0 = b * s;
        for (int i = 1; i < s; ++i) x.cross_sites.push_back(at(r0 + i, c0 + h));  // vertical bar
        for (int i = 1; i < h; ++i) x.cross_sites.push_back(at(r0 + h, c0 + i));  // left arm
        for (int i = 1; i < h; ++i) x.cross_sites.push_back(at(r0 + h, c0 + h + i));  // right arm
        // The perimeter (corners included). On the level-1 square (s = L) the top and
        // bottom rows are both row 0 and the sides both column 0: the periodic border
        // repeats itself, which the net just sees twice.
        for (int i = 0; i <= s; ++i) x.border_sites.push_back(at(r0, c0 + i));
        for (int i = 0; i <= s; ++i) x.border_sites.push_back(at(r0 + s, c0 + i));
        for (int i = 1; i < s; ++i) x.border_sites.push_back(at(r0 + i, c0));
        for (int i = 1; i < s; ++i) x.border_sites.push_back(at(r0 + i, c0 + s));
      }
    }
    crosses.push_back(std::move(x));
  }
  for (int r = 1; r < n; r += 2) {
    for (int c = 1; c < n; c += 2) {
      last.push_back(at(r, c));
      last_neighbours.push_back({at(r - 1, c), at(r + 1, c), at(r, c - 1), at(r, c + 1)});
    }
  }
}

struct HanSampler::Index {
  torch::Tensor boundary;
  std::vector<torch::Tensor> cross, border;
  torch::Tensor last, last_neighbours;
  void to(const torch::Device& d) {
    boundary = boundary.to(d);
    for (auto& t : cross) t = t.to(d);
    for (auto& t : border) t = t.to(d);
    last = last.to(d);
    last_neighbours = last_neighbours.to(d);
  }
};

HanSampler::HanSampler(const HanOptions& options)
    : options_(options), geometry_(options.size), index_(new Index) {
  RIGCS_CHECK(options.width >= 1 && options.depth >= 1 && options.boundary_width >= 1 && options.boundary_depth >= 1,
              "HAN widths and depths must be >= 1");
  const auto& g = geometry_;
  MadeOptions b;
  b.conditioning = 0;
  b.sites = static_cast<int>(g.boundary.size());
  b.width = options.boundary_width;
  b.depth = options.boundary_depth;
  b.epsilon = options.epsilon;
  boundary_ = Made(b);
  index_->boundary = to_long(g.boundary);
  for (const auto& x : g.crosses) {
    MadeOptions o;
    o.conditioning = x.border;
    o.sites = x.sites;
    o.width = options.width;
    o.depth = options.depth;
    o.epsilon = options.epsilon;
    levels_.push_back(Made(o));
    index_->cross.push_back(to_long(x.cross_sites));
    index_->border.push_back(to_long(x.border_sites));
  }
  index_->last = to_long(g.last);
  std::vector<std::int64_t> nb;
  for (const auto& a : g.last_neighbours) nb.insert(nb.end(), a.begin(), a.end());
  index_->last_neighbours = to_long(nb);
}

HanSampler::~HanSampler() = default;

SampleBatch HanSampler::sample(std::int64_t batch, torch::Generator& gen) { return draw(batch, gen, true); }

SampleBatch HanSampler::sample_plain(std::int64_t batch, torch::Generator& gen) { return draw(batch, gen, false); }

SampleBatch HanSampler::draw(std::int64_t batch, torch::Generator& gen, bool incremental) {
  RIGCS_CHECK(batch >= 1, "batch size must be >= 1, got " << batch);
  torch::NoGradGuard no_grad;
  const int n = options_.size;
  const auto dev = index_->last.device();
  const auto uopt = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  auto made = [&](Made& net, const torch::Tensor& cond, std::int64_t rows) {
    return incremental ? net->sample(cond, rows, gen) : net->sample_plain(cond, rows, gen);
  };
  auto flat = torch::zeros({batch, static_cast<std::int64_t>(n) * n}, torch::TensorOptions().device(dev));
  auto [xb, log_q] = made(boundary_, torch::Tensor(), batch);
  flat.index_copy_(1, index_->boundary, xb.to(torch::kFloat32));
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    const auto& x = geometry_.crosses[l];
    // Squares are independent given their borders: one batch of B * squares rows.
    auto cond = flat.index_select(1, index_->border[l]).view({batch * x.squares, x.border});
    auto [cross, lq] = made(levels_[l], cond, batch * x.squares);
    flat.index_copy_(1, index_->cross[l], cross.to(torch::kFloat32).view({batch, -1}));
    log_q = log_q + lq.view({batch, x.squares}).sum(1);
  }
  const auto p = index_->last.size(0);
  auto h = flat.index_select(1, index_->last_neighbours).view({batch, p, 4}).sum(2).to(torch::kFloat64);
  auto field = (2.0 * options_.beta * options_.j) * h;
  auto up = torch::rand({batch, p}, gen, uopt) < torch::sigmoid(field);
  auto own = torch::where(up, 1.0, -1.0).to(torch::kFloat64);
  flat.index_copy_(1, index_->last, own.to(torch::kFloat32));
  log_q = log_q + torch::log_sigmoid(field * own).sum(1);
  auto spins = flat.view({batch, n, n});
  if (options_.z2) {
    // q(s) = (q'(s) + q'(-s)) / 2 is flip invariant: the flip leaves it unchanged.
    auto log_q_flip = log_prob_raw(-spins);
    log_q = torch::logsumexp(torch::stack({log_q, log_q_flip}), 0) - std::log(2.0);
    auto flip = torch::randint(0, 2, {batch}, gen, uopt) * 2.0 - 1.0;
    spins = spins * flip.to(torch::kFloat32).view({batch, 1, 1});
  }
  return {spins.contiguous(), log_q};
}

torch::Tensor HanSampler::log_prob_raw(const torch::Tensor& spins) {
  const int n = options_.size;
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n && spins.size(2) == n,
              "HAN on " << n << "x" << n << " got spins of shape " << spins.sizes());
  const auto batch = spins.size(0);
  auto flat = spins.reshape({batch, static_cast<std::int64_t>(n) * n});
  auto log_q = boundary_->log_prob(torch::Tensor(), flat.index_select(1, index_->boundary));
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    const auto& x = geometry_.crosses[l];
    auto cond = flat.index_select(1, index_->border[l]).view({batch * x.squares, x.border});
    auto cross = flat.index_select(1, index_->cross[l]).view({batch * x.squares, x.sites});
    log_q = log_q + levels_[l]->log_prob(cond, cross).view({batch, x.squares}).sum(1);
  }
  const auto p = index_->last.size(0);
  auto own = flat.index_select(1, index_->last).to(torch::kFloat64);
  auto h = flat.index_select(1, index_->last_neighbours).view({batch, p, 4}).sum(2).to(torch::kFloat64);
  return log_q + torch::log_sigmoid((2.0 * options_.beta * options_.j) * h * own).sum(1);
}

torch::Tensor HanSampler::log_prob(const torch::Tensor& spins) {
  if (!options_.z2) return log_prob_raw(spins);
  RIGCS_CHECK(spins.dim() == 3, "HAN log_prob expects spins (B, N, N), got " << spins.sizes());
  auto both = log_prob_raw(torch::cat({spins, -spins}, 0)).view({2, spins.size(0)});
  return torch::logsumexp(both, 0) - std::log(2.0);
}

std::vector<std::pair<std::string, torch::Tensor>> HanSampler::named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : boundary_->named_parameters(true)) out.emplace_back("han.boundary." + item.key(), item.value());
  for (std::size_t l = 0; l < levels_.size(); ++l)
    for (const auto& item : levels_[l]->named_parameters(true))
      out.emplace_back("han.level" + std::to_string(l + 1) + "." + item.key(), item.value());
  return out;
}

void HanSampler::to(const torch::Device& device) {
  boundary_->to(device);
  for (auto& net : levels_) net->to(device);
  index_->to(device);
}

}  // namespace rigcs
