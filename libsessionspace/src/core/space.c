/* Address spaces: one page-table root over one source (sessionspace/space.h). */
#include <stdlib.h>

#include "../cache/framecache.h"
#include "../cache/tcache.h"
#include "internal.h"

/* The paging mode a CPU state implies (SDM 4.1.1, table 4-1). */
static ss_status mode_from_cpu(const ss_cpu_state *c, ss_mode *mode)
{
    const uint64_t CR0_PG = 1ull << 31, CR4_PAE = 1ull << 5, CR4_LA57 = 1ull << 12, EFER_LMA = 1ull << 10;
    if (!(c->cr0 & CR0_PG))
        return SS_E_UNSUPPORTED; /* paging off: virtual == physical, nothing to walk */
    if (!(c->cr4 & CR4_PAE))
        *mode = SS_MODE_X86;
    else if (!(c->efer & EFER_LMA))
        *mode = SS_MODE_PAE;
    else
        *mode = (c->cr4 & CR4_LA57) ? SS_MODE_LA57 : SS_MODE_X64;
    return SS_OK;
}

/* The paging mode a source records, from its header or its first CPU. */
static ss_status source_mode(ss_source *src, ss_mode *mode)
{
    ss_dump_info info;
    /* A custom backend may report any number: only a real mode is taken. */
    if (ss_source_info(src, &info) == SS_OK && (info.flags & SS_INFO_PAGING_MODE) &&
        info.paging_mode >= SS_MODE_X86 && info.paging_mode <= SS_MODE_LA57) {
        *mode = info.paging_mode;
        return SS_OK;
    }
    ss_cpu_state cpu;
    if (ss_source_cpu_count(src) > 0 && ss_source_cpu(src, 0, &cpu) == SS_OK)
        return mode_from_cpu(&cpu, mode);
    return SS_E_UNSUPPORTED;
}

ss_status ss_space_open(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *opts,
                        ss_space **out)
{
    if (out)
        *out = NULL;
    if (!src || !out || (int)mode < SS_MODE_AUTO || mode > SS_MODE_LA57)
        return SS_E_INVALID_ARG;
    if (opts && (opts->version == 0 || opts->version > SS_SPACE_OPTIONS_VERSION))
        return SS_E_INVALID_ARG;
    /* documented as invalid whether or not the cache is used */
    if (opts && opts->cache_entries > (1u << 28))
        return SS_E_INVALID_ARG;
    uint8_t probe;
    if (src->nranges == 0 && ss_source_read(src, 0, &probe, 1, NULL) == SS_E_NO_PHYS_MEMORY)
        return SS_E_NO_PHYS_MEMORY; /* a header-only or triage dump: no page table to walk */
    if (mode == SS_MODE_AUTO) {
        ss_status st = source_mode(src, &mode);
        if (st != SS_OK)
            return st;
    }
    uint64_t root;
    if (!ss_walker_root(mode, dtb, &root))
        return SS_E_INVALID_ARG;

    ss_space *s = calloc(1, sizeof *s);
    if (!s)
        return SS_E_NOMEM;
    ss_space_options defaults = SS_SPACE_OPTIONS_INIT;
    s->opts = opts ? *opts : defaults;
    s->src = src;
    s->dtb = dtb;
    s->root = root;
    ss_walker_init(&s->walker, mode, &s->opts);
    s->walker.frames = ss_frame_cache_new(src); /* NULL is fine: walks read the source */
    if (!s->opts.no_cache) {
        ss_status st = ss_tcache_new(&s->walker, src, root, s->opts.cache_entries, &s->cache);
        if (st != SS_OK) {
            ss_frame_cache_free(s->walker.frames);
            free(s);
            return st;
        }
    }
    *out = s;
    return SS_OK;
}

void ss_space_close(ss_space *space)
{
    if (!space)
        return;
    ss_tcache_free(space->cache);
    ss_frame_cache_free(space->walker.frames);
    free(space);
}

ss_status ss_space_set_dtb(ss_space *space, uint64_t dtb)
{
    uint64_t root;
    if (!space || !ss_walker_root(space->walker.mode, dtb, &root))
        return SS_E_INVALID_ARG;
    space->dtb = dtb;
    space->root = root;
    if (space->cache)
        ss_tcache_set_root(space->cache, root);
    return SS_OK;
}

uint64_t ss_space_dtb(const ss_space *space)
{
    return space ? space->dtb : 0;
}

ss_mode ss_space_mode(const ss_space *space)
{
    return space ? space->walker.mode : SS_MODE_AUTO;
}

ss_source *ss_space_source(const ss_space *space)
{
    return space ? space->src : NULL;
}

ss_status ss_space_walk(ss_space *space, uint64_t va, ss_xlat *out)
{
    if (!space || !out)
        return SS_E_INVALID_ARG;
    return ss_xlat_state_status(ss_walk(&space->walker, space->src, space->root, va, out));
}

ss_status ss_space_read(ss_space *space, uint64_t va, void *buf, size_t len, size_t *nread)
{
    size_t dummy;
    if (!nread)
        nread = &dummy;
    *nread = 0;
    if (!space || (!buf && len))
        return SS_E_INVALID_ARG;
    uint8_t *p = buf;
    while (*nread < len) {
        uint64_t cur = va + *nread;
        size_t chunk = SS_PAGE_SIZE - (size_t)(cur & (SS_PAGE_SIZE - 1));
        if (chunk > len - *nread)
            chunk = len - *nread;
        uint64_t pa;
        ss_status st = ss_translate(space, cur, &pa);
        if (st != SS_OK)
            return st;
        size_t got = 0;
        st = ss_source_read(space->src, pa, p + *nread, chunk, &got);
        *nread += got;
        if (st != SS_OK)
            return st;
        if (cur + chunk < cur) /* the next page would wrap past 2^64 */
            return *nread == len ? SS_OK : SS_E_NONCANONICAL;
    }
    return SS_OK;
}
