/* Address spaces: one page-table root over one source (sessionspace/space.h). */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>

#include "space_internal.h"

/* Bytes each version of ss_space_options holds (see ss_versioned_size); version 2 will end
 * version 1 at its first new member. */
static const size_t options_sizes[] = {sizeof(ss_space_options)};
#define N_OPTIONS_SIZES (sizeof options_sizes / sizeof options_sizes[0])
_Static_assert(N_OPTIONS_SIZES == SS_SPACE_OPTIONS_VERSION, "one size per ss_space_options version");

ss_status ss_space_options_init(ss_space_options *opts, unsigned version)
{
    return ss_versioned_init(opts, ss_versioned_size(version, options_sizes, N_OPTIONS_SIZES), version,
                             SS_SPACE_OPTIONS_VERSION);
}

ss_status ss_space_open(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *opts,
                        ss_space **out)
{
    return ss_space_open_ex(src, mode, dtb, opts, out, NULL);
}

ss_status ss_space_open_ex(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *opts,
                           ss_space **out, ss_error *err)
{
    if (out)
        *out = NULL;
    if (!src || !out)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_space_open: NULL %s", src ? "out" : "source");
    if ((int)mode < SS_MODE_AUTO || mode > SS_MODE_LA57)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_space_open: %d is not a paging mode", (int)mode);
    ss_space_options o;
    memset(&o, 0, sizeof o); /* every default is zero (space.h) */
    o.version = SS_SPACE_OPTIONS_VERSION;
    if (opts) {
        size_t n = ss_versioned_size(opts->version, options_sizes, N_OPTIONS_SIZES);
        if (!n)
            return ss_fail(err, SS_E_INVALID_ARG,
                           "ss_space_open: options version %u is not one this library knows (1 to %u); "
                           "initialise them with ss_space_options_init()",
                           opts->version, (unsigned)SS_SPACE_OPTIONS_VERSION);
        memcpy(&o, opts, n);
    }
    /* documented as invalid whether or not the cache is used */
    if (o.cache_entries > (1u << 28))
        return ss_fail(err, SS_E_INVALID_ARG, "ss_space_open: cache_entries %u is above the limit of 2^28",
                       o.cache_entries);
    uint8_t probe;
    if (src->nranges == 0 && ss_source_read(src, 0, &probe, 1, NULL) == SS_E_NO_PHYS_MEMORY)
        return ss_fail(err, SS_E_NO_PHYS_MEMORY,
                       "ss_space_open: the source holds no physical memory (a header-only or triage dump): "
                       "there is no page table to walk");
    if (mode == SS_MODE_AUTO) {
        ss_status st = ss_source_paging(src, &mode, NULL);
        if (st != SS_OK)
            return ss_fail(err, st,
                           "ss_space_open: mode auto, but the source records no paging mode (no header "
                           "field, no CPU state, or CPU 0 runs with paging off): pass the mode");
    }
    uint64_t root;
    ss_status st = ss_walker_root(mode, dtb, &root);
    if (st == SS_E_RESERVED_BIT)
        return ss_fail(err, st,
                       "ss_space_open: dtb 0x%" PRIx64 " sets CR3 bits 62:52, which are reserved in %s mode "
                       "(Intel SDM Vol. 3A table 4-12)",
                       dtb, ss_mode_name(mode));
    if (st != SS_OK)
        return ss_fail(err, st, "ss_space_open: dtb 0x%" PRIx64 " is not a %s page-table root (%s)", dtb,
                       ss_mode_name(mode),
                       (mode == SS_MODE_X86 || mode == SS_MODE_PAE) && (dtb >> 32)
                           ? "32-bit paging takes a CR3 below 4 GiB"
                           : "refused by the mode");

    ss_space *s = calloc(1, sizeof *s);
    if (!s)
        return ss_fail(err, SS_E_NOMEM, "ss_space_open: out of memory for the address space");
    s->opts = o;
    s->src = src;
    s->dtb = dtb;
    s->root = root;
    ss_walker_init(&s->walker, mode, &s->opts);
    s->frames = ss_frame_cache_new(src); /* NULL is fine: walks read the source */
    if (s->frames) {
        s->walker.reader = ss_frame_read_entry;
        s->walker.reader_ctx = s->frames;
    }
    if (!s->opts.no_cache) {
        st = ss_tcache_new(&s->walker, src, root, s->opts.cache_entries, &s->cache);
        if (st != SS_OK) {
            uint32_t entries = s->opts.cache_entries ? s->opts.cache_entries : 65536; /* 0: the default */
            ss_frame_cache_free(s->frames);
            free(s);
            return ss_fail(err, st, "ss_space_open: cannot allocate a translation cache of %u entries: %s",
                           entries, ss_strerror(st));
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
    ss_frame_cache_free(space->frames);
    free(space);
}

ss_status ss_space_set_dtb(ss_space *space, uint64_t dtb)
{
    uint64_t root;
    if (!space)
        return SS_E_INVALID_ARG;
    ss_status st = ss_walker_root(space->walker.mode, dtb, &root);
    if (st != SS_OK)
        return st;
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
        if (st == SS_E_RANGE) /* translated, but past the end of the source: a page it does not hold */
            st = SS_E_NO_PAGE;
        if (st != SS_OK)
            return st;
        if (cur + chunk < cur) /* the next page would wrap past 2^64 */
            return *nread == len ? SS_OK : SS_E_NONCANONICAL;
    }
    return SS_OK;
}
