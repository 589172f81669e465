// Heap settings for long runs of many same-sized tensor allocations.
#pragma once

namespace rigcs {

// glibc returns freed blocks above 128 KiB to the kernel at once and trims the heap
// top eagerly, so every training step faults its activation buffers in again (a
// third of a step's time at N = 32 went to page faults). This keeps freed memory for
// reuse: every block comes from the heap (no per-block mmap), and the heap is trimmed
// only above 1 GiB free. No effect with other C libraries. Call once, early in main().
void keep_freed_memory_for_reuse();

}  // namespace rigcs
