#include "core/memory.hpp"

#include <malloc.h>

namespace emsync {

void release_free_memory() { malloc_trim(0); }

}  // namespace emsync
