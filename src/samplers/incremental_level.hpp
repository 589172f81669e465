// Incremental sampling of one conditional-net level of RiGCS on the CPU (internal).
//
// The net is conv1 (1 -> C, k1 x k1, periodic) -> LeakyReLU -> conv2 (C -> 1, k2 x k2,
// periodic). conv1 is linear in the lattice, and the not-yet-drawn sites enter it as 0,
// so drawing s at site v changes conv1's output by s * (kernel shifted to v): a k1^2 C
// update. The logit at the next site then needs only the k2^2 C hidden values of its
// window. One level costs O(P (k1^2 + k2^2) C) per sample instead of the authors'
// O(P m^2 ...), with exactly the conditionals of the whole-lattice net.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rigcs::detail {

// Nets with more channels use the batched (group) path instead.
constexpr int kMaxIncrementalChannels = 256;

struct ConditionalLevelWeights {
  int channels = 0;
  int kernel1 = 0;
  int kernel2 = 0;
  float negative_slope = 0.1f;
  std::vector<float> w1;  // (k1 * k1, C): conv1 tap (di, dj) at [di * k1 + dj]
  std::vector<float> b1;  // (C)
  std::vector<float> w2;  // (k2 * k2, C)
  float b2 = 0.0f;
};

// For each of `batch` samples: `state` (batch, m * m) float holds the known spins and 0
// on the sites still to draw; the `p` sites are drawn in the given order, sample b's
// site t with uniform uniforms[t * batch + b] (the order of one uniform vector per site),
// written into `state`, and log q of the draws is added to log_q[b]. Samples run in
// parallel on torch's intra-op threads; the result does not depend on the thread count.
// The instruction set the kernel uses: "avx2+fma" where the CPU has it (x86-64, GCC
// build) unless the environment sets RIGCS_NO_AVX2=1, else "generic".
std::string incremental_kernel_isa();

// For every site v of the m x m torus, the k x k window around it, row-major
// ((i - r, j - r) first), as site indices: (m^2, k^2).
std::vector<std::int32_t> window_table(int m, int k);

// Per-sample gradient ("score") of a level's log q with respect to its net, laid out
// as [w1 (k1^2, C) | b1 (C) | w2 (k2^2, C) | b2]: the kernel layouts above.
inline std::size_t score_size(const ConditionalLevelWeights& w) {
  return static_cast<std::size_t>(w.kernel1 * w.kernel1 + 1 + w.kernel2 * w.kernel2) * w.channels + 1;
}

// One level of `batch` samples:
//   - uniforms != nullptr: draw the sites as described above;
//     given != nullptr instead: take sample b's spin at site v from given[b * m^2 + v]
//     (log q of given spins); `state` then holds only the spins known before the level;
//   - score != nullptr: also write d log q_level(b) / d(weights) into
//     score[b * score_size(w) ...], computed in the same sweep (reverse-mode through
//     the incremental recurrence), equal to autograd through the whole-lattice net.
// `state` ends as the lattice after the level in every mode.
void run_level_incremental(float* state, std::int64_t batch, int m, const std::int32_t* sites, int p,
                           const double* uniforms, const float* given, double* log_q, float* score,
                           const ConditionalLevelWeights& w);

}  // namespace rigcs::detail
