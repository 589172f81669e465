#include "rigcs/core/blas_threads.hpp"

#include <dlfcn.h>

#include <cstdlib>

namespace rigcs {

bool set_blas_threads(int threads) {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return false;
  // Looked up at run time: the BLAS behind libblas.so.3 is chosen by Debian's
  // alternatives, and the reference BLAS has no such function.
  using SetThreads = void (*)(int);
  auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn == nullptr) return false;
  fn(threads);
  return true;
}

}  // namespace rigcs
