#include "rigcs/core/allocator.hpp"

#include <cstddef>  // defines __GLIBC__ (through <features.h>) when the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace rigcs {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);  // no block gets its own mapping, however large
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace rigcs
