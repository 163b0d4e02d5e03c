/* Counts malloc-family calls for the release benchmarks (LD_PRELOAD). The benchmark reads
 * bench_allocation_calls through dlsym; glibc's __libc_* entry points avoid dlsym bootstrapping. */
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

uint64_t bench_allocation_calls = 0;

static inline void count(void) { __atomic_fetch_add(&bench_allocation_calls, 1, __ATOMIC_RELAXED); }

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    void *p = __libc_memalign(alignment, size);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
