/* Frame cache for paging-structure reads over non-flat sources (see framecache.h). */
#include <stdlib.h>

#include "framecache.h"

#define FC_SLOTS                                                                                             \
    4096u /* 64 KiB of tags and pointers; 16 MiB of copies at most, only for non-zero-copy pages */

struct ss_frame_cache {
    uint64_t tag[FC_SLOTS]; /* pfn + 1; 0 = empty */
    const uint8_t *page[FC_SLOTS];
    uint8_t *copies; /* FC_SLOTS pages, allocated on first need */
};

ss_frame_cache *ss_frame_cache_new(ss_source *src)
{
    if (src->flat || src->ops->generation)
        return NULL;
    return calloc(1, sizeof(ss_frame_cache));
}

void ss_frame_cache_free(ss_frame_cache *fc)
{
    if (!fc)
        return;
    free(fc->copies);
    free(fc);
}

void ss_frame_cache_clear(ss_frame_cache *fc)
{
    if (fc)
        memset(fc->tag, 0, sizeof fc->tag);
}

/* The page at pfn, from the source, into slot; NULL when the whole page is not readable. */
static const uint8_t *fill(ss_frame_cache *fc, ss_source *src, uint64_t pfn, unsigned slot)
{
    /* The slot's copy is about to be overwritten: its old page must not answer again
     * if this read fails half-way. */
    fc->tag[slot] = 0;
    const uint8_t *p = NULL;
    if (ss_source_page(src, pfn, &p) == SS_OK) {
        fc->page[slot] = p;
    } else {
        if (!fc->copies && !(fc->copies = malloc((size_t)FC_SLOTS * SS_PAGE_SIZE)))
            return NULL;
        uint8_t *copy = fc->copies + (size_t)slot * SS_PAGE_SIZE;
        size_t n = 0;
        if (ss_source_read(src, pfn << SS_PAGE_SHIFT, copy, SS_PAGE_SIZE, &n) != SS_OK)
            return NULL; /* a partial page (a run ending mid-page): read entries one by one */
        fc->page[slot] = copy;
    }
    fc->tag[slot] = pfn + 1;
    return fc->page[slot];
}

ss_status ss_frame_read_entry(void *ctx, ss_source *src, uint64_t pa, unsigned width, uint64_t *value)
{
    ss_frame_cache *fc = ctx;
    uint64_t pfn = pa >> SS_PAGE_SHIFT;
    unsigned slot = (unsigned)(pfn & (FC_SLOTS - 1));
    const uint8_t *p = fc->tag[slot] == pfn + 1 ? fc->page[slot] : fill(fc, src, pfn, slot);
    if (!p) /* not cacheable: the source's own answer (and status) for this entry */
        return ss_source_read_entry(src, pa, width, value);
    /* entries are naturally aligned, so one never straddles a page */
    size_t off = (size_t)(pa & (SS_PAGE_SIZE - 1));
    if (width == 8) {
        uint64_t v;
        memcpy(&v, p + off, 8);
        *value = v;
    } else {
        uint32_t v;
        memcpy(&v, p + off, 4);
        *value = v;
    }
    return SS_OK;
}
