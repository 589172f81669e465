// Helpers shared by the estimator sources; not part of the public API.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "rigcs/analysis/gamma.hpp"
#include "rigcs/core/error.hpp"
#include "rigcs/estimators/sample_set.hpp"

namespace rigcs::estimators_detail {

template <class F>
ReplicaSeries map(const ReplicaSeries& x, F f) {
  ReplicaSeries y(x.size());
  for (std::size_t r = 0; r < x.size(); ++r) {
    y[r].resize(x[r].size());
    std::transform(x[r].begin(), x[r].end(), y[r].begin(), f);
  }
  return y;
}

inline ReplicaSeries product(const ReplicaSeries& x, const ReplicaSeries& y) {
  ReplicaSeries z(x.size());
  for (std::size_t r = 0; r < x.size(); ++r) {
    z[r].resize(x[r].size());
    for (std::size_t i = 0; i < x[r].size(); ++i) z[r][i] = x[r][i] * y[r][i];
  }
  return z;
}

inline double series_max(const ReplicaSeries& x) {
  double m = -std::numeric_limits<double>::infinity();
  for (const auto& s : x)
    for (double v : s) m = std::max(m, v);
  return m;
}

// log w = -beta*H - log q can overflow even when both terms are finite.
inline void check_series_finite(const ReplicaSeries& x, const std::string& what) {
  for (std::size_t r = 0; r < x.size(); ++r)
    for (std::size_t i = 0; i < x[r].size(); ++i)
      RIGCS_CHECK(std::isfinite(x[r][i]),
                  what << "[" << i << "] of replica " << r << " is " << x[r][i]);
}

// An optional observable, one series per non-empty replica (aligned with log_weights).
inline ReplicaSeries observable_series(const SampleSet& set,
                                       const std::vector<double> SampleChunk::*member) {
  ReplicaSeries out;
  for (const auto& c : set.replicas)
    if (c.size() > 0) out.push_back(c.*member);
  return out;
}

// H per sample: the energy observable if present, else -(-beta*H) / beta.
inline ReplicaSeries energy_series(const SampleSet& set, double beta, const std::string& what) {
  if (set.has_energy()) return observable_series(set, &SampleChunk::energy);
  RIGCS_CHECK(beta != 0, what << ": no energy observable, and H cannot be recovered from "
                                 "-beta*H at beta = 0");
  return map(observable_series(set, &SampleChunk::minus_beta_H),
             [beta](double x) { return -x / beta; });
}

}  // namespace rigcs::estimators_detail
