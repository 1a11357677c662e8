/*
 * Translation cache (internal): (root, virtual page) -> physical page or status,
 * plus the paging-structure cache of the current root. See tcache.c.
 */
#ifndef SS_TCACHE_H
#define SS_TCACHE_H

#include "../core/internal.h"

typedef struct ss_tcache ss_tcache;

/*
 * Creates a cache of at least `entries` slots (0: default, 65,536) for walks of
 * walker w over src, starting at root. Errors: SS_E_INVALID_ARG (more than 2^28
 * entries), SS_E_NOMEM.
 */
ss_status ss_tcache_new(const ss_walker *w, ss_source *src, uint64_t root, uint32_t entries, ss_tcache **out);
void ss_tcache_free(ss_tcache *c);

/* Makes root the current root: its entries answer from now on, others stay cached. */
void ss_tcache_set_root(ss_tcache *c, uint64_t root);

#endif
