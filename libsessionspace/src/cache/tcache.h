/* Translation cache (internal): (root, virtual page) -> physical page or status. */
#ifndef SS_TCACHE_H
#define SS_TCACHE_H

#include "../core/internal.h"

typedef struct ss_tcache ss_tcache;

/* Creates a cache of at least `entries` slots (0: default), tagged with `generation`. */
ss_status ss_tcache_new(uint32_t entries, uint64_t generation, ss_tcache **out);
void ss_tcache_free(ss_tcache *c);

#endif
