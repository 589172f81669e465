#include "incremental_field_level.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <ATen/Parallel.h>

#include "incremental_level.hpp"

namespace rigcs::detail {

// The kernel for baseline x86-64 and, where the compiler can target it, for AVX2 + FMA,
// chosen at run time as for the Ising kernel (incremental_kernel_isa()).
namespace generic {
#define RIGCS_LANES 4
#include "incremental_field_level_kernel.inc"
#undef RIGCS_LANES
}  // namespace generic

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RIGCS_FIELD_AVX2_KERNEL 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#define RIGCS_LANES 8
#include "incremental_field_level_kernel.inc"
#undef RIGCS_LANES
}  // namespace avx2
#pragma GCC pop_options
#endif

void run_field_level_incremental(float* state, std::int64_t batch, int m, const std::uint8_t* known,
                                 const std::int32_t* sites, int p, const double* uniforms, const double* normals,
                                 const float* given, double* log_q, float* score, const FieldLevelWeights& w) {
  if ((uniforms == nullptr) != (normals == nullptr) || (uniforms == nullptr) == (given == nullptr))
    throw std::invalid_argument("run_field_level_incremental: uniforms and normals, or given");
  if (w.components < 1 || w.components > kMaxFieldComponents)
    throw std::invalid_argument("run_field_level_incremental: 1 to " + std::to_string(kMaxFieldComponents) +
                                " mixture components");
  if (w.channels < 1 || w.channels > kMaxIncrementalChannels)
    throw std::invalid_argument("run_field_level_incremental: 1 to " + std::to_string(kMaxIncrementalChannels) +
                                " channels");
  const auto win1 = window_table(m, w.kernel1);
  const auto win2 = w.kernel2 == w.kernel1 ? win1 : window_table(m, w.kernel2);
#ifdef RIGCS_FIELD_AVX2_KERNEL
  if (incremental_kernel_isa() == "avx2+fma")
    return avx2::field_dispatch(state, batch, m, known, sites, p, uniforms, normals, given, log_q, score, w,
                                win1.data(), win2.data());
#endif
  generic::field_dispatch(state, batch, m, known, sites, p, uniforms, normals, given, log_q, score, w, win1.data(),
                          win2.data());
}

}  // namespace rigcs::detail
