/*
 * Frame cache (internal): the paging-structure pages a space's walks read, kept
 * per address space so that walks over a non-flat source do not pay a backend
 * lookup (runs, bitmap rank, segment search) — or a page decompression (kdump) —
 * for every entry.
 *
 * Direct-mapped by PFN. A slot holds a pointer to the page: into the source's own
 * mapping when the backend hands pages out zero-copy, otherwise into a private
 * copy the cache read whole (compressed formats). Only used for sources whose
 * contents cannot change (no generation() op); live sources bypass it, so no
 * answer is ever served from a stale copy. Like the translation cache, it belongs
 * to one space and is used without locks.
 */
#ifndef SS_FRAMECACHE_H
#define SS_FRAMECACHE_H

#include "../backend/backend.h"

typedef struct ss_frame_cache ss_frame_cache;

/* NULL (no cache) for flat sources, live sources, or when out of memory. */
ss_frame_cache *ss_frame_cache_new(ss_source *src);
void ss_frame_cache_free(ss_frame_cache *fc);
void ss_frame_cache_clear(ss_frame_cache *fc);

/*
 * Reads one paging entry through the frame cache fc (an ss_frame_cache *; void so
 * that it plugs into a walker as its ss_entry_reader). ss_source_read_entry's contract.
 */
ss_status ss_frame_read_entry(void *fc, ss_source *src, uint64_t pa, unsigned width, uint64_t *value);

#endif
