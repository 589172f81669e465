// Thread count of the BLAS library that LibTorch's matrix products end up in.
#pragma once

namespace rigcs {

// torch::set_num_threads does not reach Debian's OpenBLAS (pthread build), which
// otherwise starts one busy-waiting thread per core: with one MPI rank per core those
// threads spin against the ranks (half of a training step's CPU time went to
// sched_yield). Sets OpenBLAS's thread count when OpenBLAS is loaded; returns whether it
// was found. The OPENBLAS_NUM_THREADS environment variable, when set, wins.
bool set_blas_threads(int threads);

}  // namespace rigcs
