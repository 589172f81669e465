#include "rigcs/samplers/mlmc_hb.hpp"

#include <cmath>

#include <torch/torch.h>

#include "rigcs/core/error.hpp"

namespace rigcs {

namespace {

torch::Tensor to_long(const std::vector<std::int32_t>& v) {
  std::vector<std::int64_t> w(v.begin(), v.end());
  return torch::tensor(w, torch::kLong);
}

torch::Tensor to_long(const std::vector<std::array<std::int32_t, 4>>& v) {
  std::vector<std::int64_t> w;
  for (const auto& a : v) w.insert(w.end(), a.begin(), a.end());
  return torch::tensor(w, torch::kLong);
}

// Sum over the right and down bonds of each (B, n, n) configuration.
torch::Tensor bond_sums(const torch::Tensor& s) {
  return (s * (torch::roll(s, {-1}, {2}) + torch::roll(s, {-1}, {1}))).sum({1, 2});
}

// Block k's fine lattice, taken out of the finest lattice, flattened: (B, m * m).
torch::Tensor sublattice(const torch::Tensor& x, int stride) {
  const auto n = x.size(1);
  return x.slice(1, 0, n, stride).slice(2, 0, n, stride).contiguous().reshape({x.size(0), -1});
}

}  // namespace

struct MlmcHbSampler::Tables {
  torch::Tensor couplings;       // (L + 1) float64, trainable
  torch::Tensor coarse_states;   // (S, N0, N0) float64, all coarsest configurations
  torch::Tensor coarse_bonds;    // (S) float64, their bond sums
  struct Level {
    torch::Tensor sites;       // (P) long
    torch::Tensor neighbours;  // (P * 4) long
  };
  std::vector<std::array<Level, 2>> levels;  // per block: a, b
};

std::vector<double> MlmcHbSampler::rg_couplings(double beta_j, int levels) {
  RIGCS_CHECK(levels >= 0, "number of levels must be >= 0, got " << levels);
  std::vector<double> k(static_cast<std::size_t>(levels) + 1);
  k[static_cast<std::size_t>(levels)] = beta_j;
  for (int l = levels; l >= 1; --l) {
    // log cosh(x) = |x| + log1p(exp(-2|x|)) - log 2, finite for any x.
    const double x = std::abs(4.0 * k[l]);
    k[l - 1] = 0.375 * (x + std::log1p(std::exp(-2.0 * x)) - std::log(2.0));
  }
  return k;
}

MlmcHbSampler::MlmcHbSampler(const MlmcHbOptions& options)
    : options_(options), partition_(options.coarsest_size, options.blocks), tables_(new Tables) {
  RIGCS_CHECK(options.coarsest_size >= 1 && options.coarsest_size <= 4,
              "MLMC-HB enumerates the coarsest lattice: N0 must be in [1, 4], got " << options.coarsest_size);
  const int n0 = options.coarsest_size;
  const int v0 = n0 * n0;
  const std::int64_t states = std::int64_t{1} << v0;
  auto idx = torch::arange(states, torch::kLong).unsqueeze(1);
  auto bits = torch::arange(v0, torch::kLong).unsqueeze(0);
  tables_->coarse_states =
      (torch::bitwise_and(torch::bitwise_right_shift(idx, bits), 1).to(torch::kDouble) * 2 - 1)
          .reshape({states, n0, n0});
  tables_->coarse_bonds = bond_sums(tables_->coarse_states);
  for (int k = 0; k < partition_.blocks(); ++k) {
    const MultilevelBlock& b = partition_.block(k);
    tables_->levels.push_back({Tables::Level{to_long(b.level_a_sites), to_long(b.level_a_neighbours)},
                               Tables::Level{to_long(b.level_b_sites), to_long(b.level_b_neighbours)}});
  }
  tables_->couplings =
      torch::tensor(rg_couplings(options.beta * options.j, partition_.levels()), torch::kDouble)
          .set_requires_grad(true);
}

MlmcHbSampler::~MlmcHbSampler() = default;

std::vector<double> MlmcHbSampler::couplings() const {
  auto c = tables_->couplings.detach().cpu().contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void MlmcHbSampler::set_couplings(const std::vector<double>& k) {
  RIGCS_CHECK(static_cast<int>(k.size()) == partition_.levels() + 1,
              "MLMC-HB needs " << partition_.levels() + 1 << " couplings (K_0 .. K_L), got " << k.size());
  torch::NoGradGuard no_grad;
  tables_->couplings.copy_(torch::tensor(k, torch::kDouble));
}

torch::Tensor MlmcHbSampler::log_prob(const torch::Tensor& spins) {
  const int n = partition_.size();
  RIGCS_CHECK(spins.dim() == 3 && spins.size(1) == n && spins.size(2) == n,
              "MLMC-HB log_prob expects spins (B, " << n << ", " << n << "), got " << spins.sizes());
  auto x = spins.to(torch::kDouble);
  const auto& K = tables_->couplings;
  const int s0 = partition_.coarsest_stride();
  auto coarse = x.slice(1, 0, n, s0).slice(2, 0, n, s0);
  auto log_q = K[0] * bond_sums(coarse) - torch::logsumexp(K[0] * tables_->coarse_bonds, 0);
  for (int k = 0; k < partition_.blocks(); ++k) {
    auto xf = sublattice(x, partition_.stride(k));
    for (int s = 0; s < 2; ++s) {
      const auto& lv = tables_->levels[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
      auto own = xf.index_select(1, lv.sites);
      auto h = xf.index_select(1, lv.neighbours).reshape({x.size(0), -1, 4}).sum(2);
      const int l = MultilevelPartition::level_index(k, s == 0 ? SubLevel::A : SubLevel::B);
      log_q = log_q + torch::log_sigmoid(2.0 * K[l] * own * h).sum(1);
    }
  }
  return log_q;
}

SampleBatch MlmcHbSampler::sample(std::int64_t batch, torch::Generator& gen) {
  RIGCS_CHECK(batch >= 1, "batch size must be >= 1, got " << batch);
  torch::NoGradGuard no_grad;
  const auto& K = tables_->couplings;
  auto dev = K.device();
  auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(dev);
  // Coarsest lattice: draw a state index from the exact Boltzmann table.
  auto coarse_logp = torch::log_softmax(K[0] * tables_->coarse_bonds, 0);
  auto idx = torch::multinomial(coarse_logp.exp(), batch, /*replacement=*/true, gen);
  auto state = tables_->coarse_states.index_select(0, idx);
  auto log_q = coarse_logp.index_select(0, idx);
  for (int k = 0; k < partition_.blocks(); ++k) {
    const int m = partition_.block(k).fine_size;
    auto fine = torch::zeros({batch, m, m}, dopt);
    fine.slice(1, 0, m, 2).slice(2, 0, m, 2).copy_(state);
    auto flat = fine.view({batch, m * m});
    for (int s = 0; s < 2; ++s) {
      const auto& lv = tables_->levels[static_cast<std::size_t>(k)][static_cast<std::size_t>(s)];
      const auto p = lv.sites.size(0);
      // All sites of a level are conditionally independent: draw them at once.
      auto h = flat.index_select(1, lv.neighbours).reshape({batch, p, 4}).sum(2);
      const int l = MultilevelPartition::level_index(k, s == 0 ? SubLevel::A : SubLevel::B);
      auto field = 2.0 * K[l] * h;
      auto u = torch::rand({batch, p}, gen, dopt);
      auto own = torch::where(u < torch::sigmoid(field), torch::ones_like(u), -torch::ones_like(u));
      flat.index_copy_(1, lv.sites, own);
      log_q = log_q + torch::log_sigmoid(field * own).sum(1);
    }
    state = fine;
  }
  return {state.to(torch::kFloat), log_q};
}

std::vector<std::pair<std::string, torch::Tensor>> MlmcHbSampler::named_parameters() {
  return {{"couplings", tables_->couplings}};
}

void MlmcHbSampler::to(const torch::Device& device) {
  torch::NoGradGuard no_grad;
  // A new leaf only when the device changes: an optimizer built before a move to
  // another device must be rebuilt, as for any torch module.
  if (tables_->couplings.device() != device) {
    tables_->couplings = tables_->couplings.detach().to(device).clone().set_requires_grad(true);
  }
  tables_->coarse_states = tables_->coarse_states.to(device);
  tables_->coarse_bonds = tables_->coarse_bonds.to(device);
  for (auto& blk : tables_->levels) {
    for (auto& lv : blk) {
      lv.sites = lv.sites.to(device);
      lv.neighbours = lv.neighbours.to(device);
    }
  }
}

}  // namespace rigcs
