#include "core/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>

namespace emsync {

void tune_allocator() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
}

void release_free_memory() { malloc_trim(0); }

void prefer_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t k_page = 4096;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + k_page - 1) & ~(k_page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(k_page - 1);
  if (end > begin) {
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
}

}  // namespace emsync
