// Keeping a long-running daemon's memory flat.
#pragma once

#include <cstddef>

namespace emsync {

// Hands memory that is free inside the allocator's heaps back to the kernel
// (glibc malloc_trim). Each thread allocates from its own heap, and a heap
// keeps what a run freed (a state fold's sort, a read's buffers) resident
// until that heap's top is free, which may be never: the next run would then
// start from the previous one's peak. Walks every heap: call it between
// runs, on a blocking thread.
void release_free_memory();

// Asks the kernel to back [data, data + bytes) with huge pages when it next
// faults them in (transparent huge pages in "madvise" mode). For a large
// array searched at random (a run's stored digests): with 4 KiB pages nearly
// every probe also misses the TLB, which in a VM costs a two-level page walk.
// Call it before the memory is first written. Best effort: errors are ignored.
void prefer_huge_pages(void* data, std::size_t bytes);

}  // namespace emsync
