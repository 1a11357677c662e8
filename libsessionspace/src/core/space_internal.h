/*
 * The core layer's private header (not installed): the address-space object.
 * Only core/ sees struct ss_space; the layers below get a walker, a source and a
 * cache handed to them.
 */
#ifndef SS_CORE_SPACE_INTERNAL_H
#define SS_CORE_SPACE_INTERNAL_H

#include "../cache/framecache.h"
#include "../cache/tcache.h"

struct ss_space {
    ss_source *src;
    ss_walker walker;
    uint64_t dtb;  /* as given */
    uint64_t root; /* physical address of the top-level table */
    ss_space_options opts;
    ss_tcache *cache;       /* NULL when caching is off */
    ss_frame_cache *frames; /* NULL: walks read the source directly */
};

#endif /* SS_CORE_SPACE_INTERNAL_H */
