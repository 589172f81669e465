// HanSampler and its MADE: the level map, exact normalisation, the exact heat-bath
// level, log q while drawing against log_prob, and the incremental draw against the
// plain (full pass per site) reference.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "rigcs/core/error.hpp"
#include "rigcs/samplers/han.hpp"

namespace {

struct OneThread {
  OneThread() { torch::set_num_threads(1); }
} one_thread;

rigcs::HanOptions small(int n, bool z2) {
  rigcs::HanOptions o;
  o.size = n;
  o.width = 2;
  o.depth = 2;
  o.boundary_width = 2;
  o.boundary_depth = 2;
  o.z2 = z2;
  return o;
}

// Drawing time of every site: level 0 site by site; the squares of a cross level in
// parallel, site by site; the last level at once.
std::vector<int> drawing_time(const rigcs::HanGeometry& g) {
  std::vector<int> time(static_cast<std::size_t>(g.size) * g.size, -1);
  int now = 0;
  auto stamp = [&](std::int64_t site, int t) {
    EXPECT_EQ(time[static_cast<std::size_t>(site)], -1) << "site " << site << " on two levels";
    time[static_cast<std::size_t>(site)] = t;
  };
  for (auto s : g.boundary) stamp(s, now++);
  for (const auto& x : g.crosses) {
    for (int q = 0; q < x.squares; ++q)
      for (int t = 0; t < x.sites; ++t) stamp(x.cross_sites[static_cast<std::size_t>(q * x.sites + t)], now + t);
    now += x.sites;
  }
  for (auto s : g.last) stamp(s, now);
  return time;
}

TEST(HanGeometry, EverySiteOnExactlyOneLevelAsTheClosedFormSays) {
  for (int n : {2, 4, 8, 16, 32, 64}) {
    rigcs::HanGeometry g(n);
    std::vector<int> level(static_cast<std::size_t>(n) * n, -1), count(level.size(), 0);
    for (auto s : g.boundary) level[static_cast<std::size_t>(s)] = 0, ++count[static_cast<std::size_t>(s)];
    for (std::size_t j = 0; j < g.crosses.size(); ++j) {
      const auto& x = g.crosses[j];
      EXPECT_EQ(x.side, n >> j);
      EXPECT_EQ(x.squares, 1 << (2 * j));
      EXPECT_EQ(x.cross_sites.size(), static_cast<std::size_t>(x.squares * (2 * x.side - 3)));
      EXPECT_EQ(x.border_sites.size(), static_cast<std::size_t>(x.squares * 4 * x.side));
      for (auto s : x.cross_sites) level[static_cast<std::size_t>(s)] = static_cast<int>(j) + 1, ++count[static_cast<std::size_t>(s)];
    }
    for (auto s : g.last) level[static_cast<std::size_t>(s)] = g.k, ++count[static_cast<std::size_t>(s)];
    EXPECT_EQ(g.boundary.size(), static_cast<std::size_t>(2 * n - 1));
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const auto v = static_cast<std::size_t>(r * n + c);
        EXPECT_EQ(count[v], 1) << "N=" << n << " site (" << r << ", " << c << ")";
        EXPECT_EQ(level[v], rigcs::HanGeometry::level_of(n, r, c)) << "N=" << n << " site (" << r << ", " << c << ")";
      }
  }
}

TEST(HanGeometry, ConditioningIsDrawnBefore) {
  for (int n : {4, 8, 16, 32, 64}) {
    rigcs::HanGeometry g(n);
    const auto time = drawing_time(g);
    for (auto t : time) ASSERT_GE(t, 0);
    for (const auto& x : g.crosses) {
      for (int q = 0; q < x.squares; ++q) {
        int first = 1 << 30;
        std::set<std::int64_t> border;
        for (int b = 0; b < x.border; ++b) border.insert(x.border_sites[static_cast<std::size_t>(q * x.border + b)]);
        for (int t = 0; t < x.sites; ++t) first = std::min(first, time[static_cast<std::size_t>(x.cross_sites[static_cast<std::size_t>(q * x.sites + t)])]);
        for (auto b : border) EXPECT_LT(time[static_cast<std::size_t>(b)], first) << "N=" << n << " side " << x.side;
        // The border is the Markov blanket: a cross site's neighbours are in the
        // border, on the same cross, or drawn later (inside the four sub-squares).
        std::set<std::int64_t> own;
        for (int t = 0; t < x.sites; ++t) own.insert(x.cross_sites[static_cast<std::size_t>(q * x.sites + t)]);
        for (auto s : own) {
          const int r = static_cast<int>(s / n), c = static_cast<int>(s % n);
          for (auto [dr, dc] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
            const std::int64_t nb = ((r + dr + n) % n) * n + (c + dc + n) % n;
            EXPECT_TRUE(border.count(nb) || own.count(nb) || time[static_cast<std::size_t>(nb)] >= first + x.sites)
                << "N=" << n << " site " << s << " neighbour " << nb;
          }
        }
      }
    }
    for (std::size_t i = 0; i < g.last.size(); ++i)
      for (auto nb : g.last_neighbours[i])
        EXPECT_LT(time[static_cast<std::size_t>(nb)], time[static_cast<std::size_t>(g.last[i])]);
  }
}

TEST(HanGeometry, RefusesSizesThatAreNotPowersOfTwo) {
  for (int n : {0, 1, 3, 6, 12}) EXPECT_THROW(rigcs::HanGeometry g(n), rigcs::Error) << n;
}

TEST(Made, OutputsDependOnEarlierSitesOnly) {
  torch::manual_seed(4);
  rigcs::MadeOptions o;
  o.conditioning = 6;
  o.sites = 7;
  o.width = 2;
  o.depth = 3;
  rigcs::Made made(o);
  auto cond = torch::randint(0, 2, {5, 6}).to(torch::kFloat32) * 2 - 1;
  auto x = torch::randint(0, 2, {5, 7}).to(torch::kFloat32) * 2 - 1;
  auto base = made->logits(cond, x);
  for (int t = 0; t < 7; ++t) {
    auto y = x.clone();
    y.select(1, t).neg_();
    auto d = (made->logits(cond, y) - base).abs();
    // Masked weights are exact zeros: outputs <= t do not move at all.
    EXPECT_EQ(d.narrow(1, 0, t + 1).max().item<float>(), 0.0f) << "site " << t;
    if (t + 1 < 7) {
      EXPECT_GT(d.narrow(1, t + 1, 1).max().item<float>(), 0.0f) << "site " << t;
    }
  }
  for (int c = 0; c < 6; ++c) {
    auto e = cond.clone();
    e.select(1, c).neg_();
    EXPECT_GT((made->logits(e, x) - base).abs().select(1, 0).max().item<float>(), 0.0f) << "cond " << c;
  }
}

TEST(Made, IncrementalDrawEqualsThePlainOne) {
  torch::manual_seed(5);
  for (int depth : {1, 2, 3}) {
    rigcs::MadeOptions o;
    o.conditioning = depth == 2 ? 0 : 9;
    o.sites = 11;
    o.width = depth;
    o.depth = depth;
    rigcs::Made made(o);
    auto cond = o.conditioning ? torch::randint(0, 2, {64, 9}).to(torch::kFloat32) * 2 - 1 : torch::Tensor();
    auto g1 = at::detail::createCPUGenerator(3), g2 = at::detail::createCPUGenerator(3);
    auto a = made->sample(cond, 64, g1);
    auto b = made->sample_plain(cond, 64, g2);
    EXPECT_TRUE(torch::equal(a.first, b.first)) << "depth " << depth;
    EXPECT_LT((a.second - b.second).abs().max().item<double>(), 1e-5);
    auto lp = made->log_prob(cond, a.first).detach();
    EXPECT_LT((lp - a.second).abs().max().item<double>(), 1e-5);
  }
}

TEST(HanSampler, NormalisedAtFourByFour) {
  for (bool z2 : {false, true}) {
    torch::manual_seed(6);
    rigcs::HanSampler han(small(4, z2));
    torch::NoGradGuard ng;
    auto idx = torch::arange(std::int64_t{1} << 16, torch::kLong).unsqueeze(1);
    auto bits = torch::arange(16, torch::kLong).unsqueeze(0);
    auto all = (torch::bitwise_and(torch::bitwise_right_shift(idx, bits), 1).to(torch::kFloat32) * 2 - 1).view({-1, 4, 4});
    const double total = torch::logsumexp(han.log_prob(all), 0).exp().item<double>();
    EXPECT_NEAR(total, 1.0, 1e-6) << "z2 " << z2;
  }
}

TEST(HanSampler, LastLevelIsTheExactHeatBath) {
  torch::manual_seed(7);
  rigcs::HanSampler han(small(8, false));
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(1);
  auto s = han.sample(16, gen).spins;
  const auto& g = han.geometry();
  for (std::size_t i = 0; i < g.last.size(); i += 5) {
    auto t = s.clone().view({16, -1});
    t.select(1, g.last[i]).neg_();
    // Only the flipped site's own heat-bath factor changes: log q ratio = -beta dH.
    auto flat = s.view({16, -1});
    auto h = torch::zeros({16}, torch::kFloat64);
    for (auto nb : g.last_neighbours[i]) h += flat.select(1, nb).to(torch::kFloat64);
    auto expect = -2.0 * 0.44 * h * flat.select(1, g.last[i]).to(torch::kFloat64);
    auto got = han.log_prob(t.view({16, 8, 8})) - han.log_prob(s);
    EXPECT_LT((got - expect).abs().max().item<double>(), 1e-9);
  }
}

TEST(HanSampler, LogQWhileDrawingIsLogProb) {
  for (int n : {2, 8, 16}) {
    for (bool z2 : {false, true}) {
      torch::manual_seed(8);
      rigcs::HanSampler han(small(n, z2));
      EXPECT_EQ(han.kind(), "han");
      EXPECT_EQ(han.lattice_size(), n);
      auto gen = at::detail::createCPUGenerator(42);
      auto b = han.sample(40, gen);
      EXPECT_EQ(b.spins.sizes(), (std::vector<std::int64_t>{40, n, n}));
      EXPECT_EQ(b.spins.scalar_type(), torch::kFloat32);
      EXPECT_TRUE((b.spins.abs() == 1).all().item<bool>());
      EXPECT_EQ(b.log_q.scalar_type(), torch::kFloat64);
      EXPECT_FALSE(b.log_q.requires_grad());
      auto lq = han.log_prob(b.spins);
      EXPECT_TRUE(lq.requires_grad());
      EXPECT_LT((lq.detach() - b.log_q).abs().max().item<double>(), 1e-5) << "N=" << n << " z2 " << z2;
    }
  }
}

TEST(HanSampler, IncrementalDrawsWhatThePlainOneDraws) {
  for (int n : {8, 16}) {
    torch::manual_seed(9);
    rigcs::HanSampler han(small(n, true));
    auto g1 = at::detail::createCPUGenerator(11), g2 = at::detail::createCPUGenerator(11);
    auto a = han.sample(24, g1);
    auto b = han.sample_plain(24, g2);
    EXPECT_TRUE(torch::equal(a.spins, b.spins)) << "N=" << n;
    EXPECT_LT((a.log_q - b.log_q).abs().max().item<double>(), 1e-5);
    // Both consumed the same random numbers.
    EXPECT_EQ(torch::rand({1}, g1).item<float>(), torch::rand({1}, g2).item<float>());
  }
}

TEST(HanSampler, GradientsReachEveryNet) {
  torch::manual_seed(10);
  rigcs::HanSampler han(small(16, true));
  auto gen = at::detail::createCPUGenerator(2);
  auto g2 = at::detail::createCPUGenerator(2);
  auto d = han.sample_with_grad(8, gen);
  EXPECT_TRUE(torch::equal(d.spins, han.sample(8, g2).spins));
  d.log_q.sum().backward();
  std::set<std::string> nets;
  for (auto& [name, p] : han.named_parameters()) {
    EXPECT_EQ(name.rfind("han.", 0), 0u) << name;
    ASSERT_TRUE(p.grad().defined()) << name;
    if (name.find(".w0") != std::string::npos) {
      EXPECT_GT(p.grad().abs().sum().item<double>(), 0) << name;
      nets.insert(name.substr(0, name.find(".w0")));
    }
  }
  EXPECT_EQ(nets, (std::set<std::string>{"han.boundary", "han.level1", "han.level2", "han.level3"}));
  // No buffers to checkpoint: the masks follow from the options.
  EXPECT_TRUE(han.named_buffers().empty());
}

TEST(HanSampler, WrongShapeThrows) {
  rigcs::HanSampler han(small(4, true));
  EXPECT_THROW(han.log_prob(torch::ones({2, 8, 8})), rigcs::Error);
  EXPECT_THROW(han.log_prob(torch::ones({4, 4})), rigcs::Error);
  EXPECT_THROW(rigcs::HanSampler(small(12, true)), rigcs::Error);
}

}  // namespace
