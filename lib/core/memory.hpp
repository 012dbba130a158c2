// Keeping a long-running daemon's memory flat.
#pragma once

namespace emsync {

// Hands memory that is free inside the allocator's heaps back to the kernel
// (glibc malloc_trim). Each thread allocates from its own heap, and a heap
// keeps what a run freed (a state fold's sort, a read's buffers) resident
// until that heap's top is free, which may be never: the next run would then
// start from the previous one's peak. Walks every heap: call it between
// runs, on a blocking thread.
void release_free_memory();

}  // namespace emsync
