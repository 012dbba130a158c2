// Keeping a long-running daemon's memory flat.
#pragma once

#include <cstddef>

namespace emsync {

// Sets glibc malloc up for a daemon whose runs allocate the same ~1 MB per
// batch again and again (request bodies, payloads, reply parsing), across a
// few threads. By default each thread's heap gives its free top back to the
// kernel past 128 KiB, and blocks of 128 KiB or more (a request body) are
// mmap'ed, so every batch faulted the same memory in again: a fifth of a
// first run's CPU. Here blocks under 4 MiB come from the heaps, a heap keeps
// up to 8 MiB free, and threads share at most two heaps (the loop's and the
// workers'), which bounds what is kept. Larger blocks (a run's stored
// digests: 16 bytes per contact) are still mmap'ed, grow by mremap and go
// back to the kernel when freed. Call it first thing in main().
void tune_allocator();

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
