#include "incremental_level.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>

namespace rigcs::detail {

namespace {

// Draws s = +-1 with P(+1) = sigmoid(z) from the uniform u and returns log sigmoid(s z),
// with one exp and one log1p.
inline double draw_spin(double z, double u, float& s) {
  const double e = std::exp(-std::abs(z));
  const double p_plus = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  s = u < p_plus ? 1.0f : -1.0f;
  const double sz = s * z;
  return (sz >= 0 ? 0.0 : sz) - std::log1p(e);
}

}  // namespace

// For every site v of the m x m torus, the k x k window around it, row-major
// ((i - r, j - r) first), as site indices: (m^2, k^2). Shared by all samples.
std::vector<std::int32_t> window_table(int m, int k) {
  const int r = k / 2;
  std::vector<std::int32_t> table(static_cast<std::size_t>(m) * m * k * k);
  auto wrap = [m](int x) { return ((x % m) + m) % m; };
  std::size_t e = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      for (int a = -r; a <= r; ++a)
        for (int b = -r; b <= r; ++b) table[e++] = wrap(i + a) * m + wrap(j + b);
  return table;
}

// The kernel for baseline x86-64 (4-float SSE vectors) and, where the compiler can
// target it, for AVX2 + FMA (8 floats), chosen at run time: one binary runs everywhere.
namespace generic {
#define RIGCS_LANES 4
#include "incremental_level_kernel.inc"
#undef RIGCS_LANES
}  // namespace generic

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RIGCS_AVX2_KERNEL 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#define RIGCS_LANES 8
#include "incremental_level_kernel.inc"
#undef RIGCS_LANES
}  // namespace avx2
#pragma GCC pop_options
#endif

std::string incremental_kernel_isa() {
#ifdef RIGCS_AVX2_KERNEL
  static const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char* off = std::getenv("RIGCS_NO_AVX2");
  if (has_avx2 && !(off && *off && std::string(off) != "0")) return "avx2+fma";
#endif
  return "generic";
}

void run_level_incremental(float* state, std::int64_t batch, int m, const std::int32_t* sites, int p,
                           const double* uniforms, const float* given, double* log_q, float* score,
                           const ConditionalLevelWeights& w) {
  if ((uniforms == nullptr) == (given == nullptr))
    throw std::invalid_argument("run_level_incremental: exactly one of uniforms and given");
  const auto win1 = window_table(m, w.kernel1);
  const auto win2 = w.kernel2 == w.kernel1 ? win1 : window_table(m, w.kernel2);
  if (incremental_kernel_isa() == "avx2+fma") {
#ifdef RIGCS_AVX2_KERNEL
    return avx2::dispatch(state, batch, m, sites, p, uniforms, given, log_q, score, w, win1.data(), win2.data());
#endif
  }
  generic::dispatch(state, batch, m, sites, p, uniforms, given, log_q, score, w, win1.data(), win2.data());
}

}  // namespace rigcs::detail
