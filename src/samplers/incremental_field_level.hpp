// Incremental sampling and gradient of one conditional-net level of RiGCS for a real
// field (phi^4, RigcsFieldSampler) on the CPU (internal).
//
// The net is conv1 (2 -> C, k1 x k1, periodic) -> LeakyReLU -> conv2 (C -> 3 H, k2 x k2,
// periodic) read as a Gaussian mixture (nn/gaussian_mixture.hpp). Its two inputs are
// the field where known and the known mask, both 0 on a site not yet drawn, so conv1
// is linear in them and drawing x at site v adds x * (value kernel) + (mask kernel)
// shifted to v: a 2 k1^2 C update. The mixture of the next site then needs only the
// k2^2 C hidden values of its window. The same idea as the Ising kernel
// (incremental_level.hpp), with a second input channel and 3 H outputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rigcs::detail {

// Mixtures with more components use the batched (patch) path.
constexpr int kMaxFieldComponents = 16;

struct FieldLevelWeights {
  int channels = 0;  // C
  int kernel1 = 0;
  int kernel2 = 0;
  int components = 0;  // H; 3 H outputs: H logits, H means, H raw widths
  float negative_slope = 0.1f;
  double min_width = 1e-3;  // sigma = min_width + softplus(raw)
  std::vector<float> w1v;   // (k1 * k1, C): conv1's value-channel tap (di, dj) at [di * k1 + dj]
  std::vector<float> w1m;   // (k1 * k1, C): its mask-channel tap
  std::vector<float> b1;    // (C)
  std::vector<float> w2;    // (k2 * k2, 3 H, C)
  std::vector<float> b2;    // (3 H)
  int outputs() const { return 3 * components; }
};

// Per-sample gradient of a level's log q with respect to its net, laid out as
// [w1v (k1^2, C) | w1m (k1^2, C) | b1 (C) | w2 (k2^2, 3H, C) | b2 (3H)].
inline std::size_t field_score_size(const FieldLevelWeights& w) {
  const std::size_t c = static_cast<std::size_t>(w.channels), o = static_cast<std::size_t>(w.outputs());
  const std::size_t t1 = static_cast<std::size_t>(w.kernel1) * w.kernel1, t2 = static_cast<std::size_t>(w.kernel2) * w.kernel2;
  return 2 * t1 * c + c + t2 * o * c + o;
}

// One level of `batch` samples on the m x m torus. `known` (m * m) marks the sites known
// before the level (the same for every sample); `state` (batch, m * m) holds their
// values (other entries are ignored and overwritten by the level's draws).
//   - uniforms and normals != nullptr: draw the level's `p` sites in the given order,
//     sample b's site t from uniforms[t * batch + b] (the component, by inverse CDF) and
//     normals[t * batch + b] (mu + sigma * z), as GaussianMixtureHead::sample;
//     given != nullptr instead: read sample b's value at site v from given[b * m^2 + v];
//   - log q of the level's values is added to log_q[b];
//   - score != nullptr: also d log q_level(b) / d(weights) into
//     score[b * field_score_size(w) ...], from the same sweep.
// `state` ends as the lattice after the level. Samples run in parallel on torch's
// intra-op threads; the result does not depend on the thread count.
void run_field_level_incremental(float* state, std::int64_t batch, int m, const std::uint8_t* known,
                                 const std::int32_t* sites, int p, const double* uniforms, const double* normals,
                                 const float* given, double* log_q, float* score, const FieldLevelWeights& w);

}  // namespace rigcs::detail
