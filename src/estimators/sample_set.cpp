#include "rigcs/estimators/sample_set.hpp"

#include <cmath>

#include "rigcs/core/error.hpp"

namespace rigcs {

std::int64_t SampleSet::size() const {
  std::int64_t n = 0;
  for (const auto& r : replicas) n += static_cast<std::int64_t>(r.size());
  return n;
}

namespace {

// Present if any non-empty replica has it; validate_sample_set checks that all do.
bool any_has(const SampleSet& set, const std::vector<double> SampleChunk::*member) {
  for (const auto& r : set.replicas)
    if (r.size() > 0 && !(r.*member).empty()) return true;
  return false;
}

void check_finite(const std::vector<double>& x, const std::string& what, const char* name,
                  std::size_t replica) {
  for (std::size_t i = 0; i < x.size(); ++i)
    RIGCS_CHECK(std::isfinite(x[i]), what << ": " << name << "[" << i << "] of replica "
                                          << replica << " is " << x[i]
                                          << " (every value must be finite)");
}

}  // namespace

bool SampleSet::has_energy() const { return any_has(*this, &SampleChunk::energy); }
bool SampleSet::has_abs_m() const { return any_has(*this, &SampleChunk::abs_m); }

void validate_sample_set(const SampleSet& set, const std::string& what) {
  RIGCS_CHECK(set.size() > 0, what << ": the sample set is empty");
  const bool energy = set.has_energy();
  const bool abs_m = set.has_abs_m();
  for (std::size_t r = 0; r < set.replicas.size(); ++r) {
    const auto& c = set.replicas[r];
    const std::size_t n = c.log_q.size();
    RIGCS_CHECK(c.minus_beta_H.size() == n,
                what << ": replica " << r << " has " << n << " log_q but "
                     << c.minus_beta_H.size() << " minus_beta_H values");
    if (n == 0) {
      RIGCS_CHECK(c.energy.empty() && c.abs_m.empty(),
                  what << ": replica " << r << " has observables but no samples");
      continue;
    }
    if (energy)
      RIGCS_CHECK(c.energy.size() == n, what << ": replica " << r << " has " << n
                                             << " samples but " << c.energy.size()
                                             << " energy values");
    if (abs_m)
      RIGCS_CHECK(c.abs_m.size() == n, what << ": replica " << r << " has " << n
                                            << " samples but " << c.abs_m.size()
                                            << " abs_m values");
    check_finite(c.log_q, what, "log_q", r);
    check_finite(c.minus_beta_H, what, "minus_beta_H", r);
    check_finite(c.energy, what, "energy", r);
    check_finite(c.abs_m, what, "abs_m", r);
  }
}

ReplicaSeries log_weights(const SampleSet& set) {
  ReplicaSeries lw;
  for (const auto& c : set.replicas) {
    if (c.size() == 0) continue;
    std::vector<double> x(c.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = c.minus_beta_H[i] - c.log_q[i];
    lw.push_back(std::move(x));
  }
  return lw;
}

const GammaResult& Estimates::at(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) {
    std::string known;
    for (const auto& kv : values) known += (known.empty() ? "" : ", ") + kv.first;
    RIGCS_FAIL("no estimate named '" << name << "' (have: " << known << ")");
  }
  return it->second;
}

}  // namespace rigcs
