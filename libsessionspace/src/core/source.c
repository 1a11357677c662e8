/* Memory sources: opening by spec, and the checks every backend gets for free. */
#include <stdlib.h>

#include "../backend/backend.h"

/* Probing order: specific magics first; raw accepts anything and comes last. */
static const ss_file_backend *const file_backends[] = {
    &ss_crashdump_backend, &ss_elf_backend, &ss_kdump_backend, &ss_lime_backend, &ss_raw_backend,
};
#define N_FILE_BACKENDS (sizeof file_backends / sizeof file_backends[0])

static const ss_file_backend *backend_by_prefix(const char *spec, size_t len)
{
    for (size_t i = 0; i < N_FILE_BACKENDS; i++) {
        const char *p = file_backends[i]->prefix;
        if (strlen(p) == len && memcmp(p, spec, len) == 0)
            return file_backends[i];
    }
    return NULL;
}

ss_status ss_source_open(const char *spec, ss_source **out, ss_error *err)
{
    return ss_source_open_ex(spec, NULL, out, err);
}

ss_status ss_source_open_ex(const char *spec, const ss_open_options *opts, ss_source **out, ss_error *err)
{
    if (out)
        *out = NULL;
    if (!spec || !out)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_open: NULL %s", spec ? "out" : "spec");
    if (!*spec)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_open: empty source spec");
    uint32_t flags = 0;
    if (opts) {
        if (opts->version == 0 || opts->version > SS_OPEN_OPTIONS_VERSION)
            return ss_fail(err, SS_E_INVALID_ARG,
                           "ss_open_options version %u not supported (this library: %u)", opts->version,
                           SS_OPEN_OPTIONS_VERSION);
        flags = opts->flags; /* version 1 has only flags */
        if (flags & ~(uint32_t)SS_OPEN_PREAD)
            return ss_fail(err, SS_E_INVALID_ARG, "ss_open_options: unknown flags %#x",
                           (unsigned)(flags & ~(uint32_t)SS_OPEN_PREAD));
    }

    const ss_file_backend *forced = NULL;
    const char *path = spec;
    const char *colon = strchr(spec, ':');
    if (colon && colon != spec) {
        forced = backend_by_prefix(spec, (size_t)(colon - spec));
        if (forced)
            path = colon + 1;
        else if (!strchr(spec, '/') || strchr(spec, '/') > colon) {
            /* "word:rest" with no slash before the colon: an unknown scheme, not a path */
            char shown[SS_SHORT_PATH];
            ss_short_path(shown, sizeof shown, spec);
            int n = (int)(colon - spec) < 24 ? (int)(colon - spec) : 24;
            return ss_fail(err, SS_E_UNSUPPORTED,
                           "%s: unknown source type '%.*s' (known: raw, dmp, elf, kdump, lime)", shown, n,
                           spec);
        }
    }

    ss_file file;
    ss_status st = ss_file_map(path, flags, &file, err);
    if (st != SS_OK)
        return st;

    const ss_file_backend *be = forced;
    for (size_t i = 0; !be && i < N_FILE_BACKENDS; i++)
        if (file_backends[i]->probe(file.data, file.size))
            be = file_backends[i];

    const ss_backend_ops *ops = NULL;
    void *ctx = NULL;
    ss_format fmt = be->format;
    st = be->open(&file, &ops, &ctx, &fmt, err);
    if (st != SS_OK) {
        ss_file_unmap(&file);
        return st;
    }
    /* fmt is what the backend found (one file backend reads two crash-dump formats) */
    st = ss_source_from_backend(ops, ctx, fmt, out, err);
    if (st != SS_OK && ops->close)
        ops->close(ctx);
    return st;
}

ss_status ss_source_from_backend(const ss_backend_ops *ops, void *ctx, ss_format format, ss_source **out,
                                 ss_error *err)
{
    if (out)
        *out = NULL;
    if (!ops || !out)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_from_backend: NULL %s", ops ? "out" : "ops");
    if (ops->version == 0 || ops->version > SS_BACKEND_OPS_VERSION)
        return ss_fail(err, SS_E_INVALID_ARG, "backend ops version %u not supported (this library: %u)",
                       ops->version, SS_BACKEND_OPS_VERSION);
    if (!ops->read || !ops->ranges)
        return ss_fail(err, SS_E_INVALID_ARG, "backend '%s' lacks the required %s()",
                       ops->name ? ops->name : "?", ops->read ? "ranges" : "read");

    const ss_phys_range *ranges = NULL;
    size_t n = 0;
    ss_status st = ops->ranges(ctx, &ranges, &n);
    if (st != SS_OK)
        return ss_fail(err, st, "backend '%s': ranges() failed: %s", ops->name ? ops->name : "?",
                       ss_strerror(st));
    if (n && !ranges)
        return ss_fail(err, SS_E_CORRUPT, "backend '%s': ranges() returned NULL with count %zu",
                       ops->name ? ops->name : "?", n);
    uint64_t max_pa = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t end = ranges[i].start + ranges[i].size;
        if (ranges[i].size == 0 || end < ranges[i].start)
            return ss_fail(err, SS_E_CORRUPT, "backend '%s': physical range %zu is empty or wraps",
                           ops->name ? ops->name : "?", i);
        if (i && ranges[i].start < max_pa)
            return ss_fail(err, SS_E_CORRUPT,
                           "backend '%s': physical ranges unsorted or overlapping at %#llx",
                           ops->name ? ops->name : "?", (unsigned long long)ranges[i].start);
        max_pa = end;
    }

    ss_source *src = calloc(1, sizeof *src);
    if (!src)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    src->ops = ops;
    src->ctx = ctx;
    src->format = format;
    src->ranges = ranges;
    src->nranges = n;
    src->max_pa = max_pa;
    /* A member is read only from a table whose version has it (as SQLite reads
     * xFetch only when iVersion >= 3): see the "since version" notes in backend.h. */
    if (ops->version >= SS_BACKEND_OPS_FLAT_SINCE && ops->flat) {
        uint64_t fs = 0;
        const uint8_t *flat = ops->flat(ctx, &fs);
        /* Only trusted when it agrees with ranges(): one run starting at 0. */
        if (flat && n == 1 && ranges[0].start == 0 && ranges[0].size == fs) {
            src->flat = flat;
            src->flat_size = fs;
        }
    }
    *out = src;
    return SS_OK;
}

void ss_source_close(ss_source *src)
{
    if (!src)
        return;
    if (src->ops->close)
        src->ops->close(src->ctx);
    free(src);
}

ss_format ss_source_format(const ss_source *src)
{
    return src ? src->format : SS_FORMAT_UNKNOWN;
}

uint64_t ss_source_max_pa(const ss_source *src)
{
    return src ? src->max_pa : 0;
}

bool ss_source_holds(const ss_source *src, uint64_t pa, uint64_t len)
{
    if (src->flat)
        return pa < src->flat_size && src->flat_size - pa >= len;
    size_t lo = ss_runs_search(src->ranges, src->nranges, sizeof *src->ranges, pa);
    if (lo == src->nranges)
        return false;
    const ss_phys_range *r = &src->ranges[lo];
    return pa >= r->start && r->start + r->size - pa >= len;
}

ss_status ss_source_read(ss_source *src, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    size_t dummy;
    if (!nread)
        nread = &dummy;
    *nread = 0;
    if (!src || (!buf && len))
        return SS_E_INVALID_ARG;
    if (len == 0)
        return SS_OK;
    if (src->flat) {
        if (pa >= src->flat_size)
            return SS_E_RANGE;
        uint64_t avail = src->flat_size - pa;
        size_t n = avail < len ? (size_t)avail : len;
        memcpy(buf, src->flat + pa, n);
        *nread = n;
        return n == len ? SS_OK : SS_E_RANGE;
    }
    ss_status st = src->ops->read(src->ctx, pa, buf, len, nread);
    if (*nread > len) /* a misbehaving custom backend must not make us overrun */
        *nread = len;
    if (st == SS_OK && *nread != len)
        st = SS_E_SHORT_READ;
    /* A status outside the enumeration (positive, or not yet assigned) would reach
     * callers as a "failure" that ss_strerror() cannot name: report it as I/O. */
    if (st != SS_OK && !ss_status_known(st))
        st = SS_E_IO;
    return st;
}

ss_status ss_source_page(ss_source *src, uint64_t pfn, const uint8_t **page)
{
    if (!src || !page)
        return SS_E_INVALID_ARG;
    *page = NULL;
    if (pfn > (UINT64_MAX >> SS_PAGE_SHIFT))
        return SS_E_RANGE;
    uint64_t pa = pfn << SS_PAGE_SHIFT;
    if (src->flat) {
        if (pa >= src->flat_size || src->flat_size - pa < SS_PAGE_SIZE)
            return SS_E_RANGE;
        *page = src->flat + pa;
        return SS_OK;
    }
    if (!src->ops->page)
        return SS_E_UNSUPPORTED;
    ss_status st = SS_E_UNSUPPORTED;
    const uint8_t *p = src->ops->page(src->ctx, pfn, &st);
    if (!p)
        return st == SS_OK ? SS_E_UNSUPPORTED : st;
    *page = p;
    return SS_OK;
}

ss_status ss_source_ranges(ss_source *src, const ss_phys_range **ranges, size_t *count)
{
    if (!src || !ranges || !count)
        return SS_E_INVALID_ARG;
    *ranges = src->ranges;
    *count = src->nranges;
    return SS_OK;
}

uint64_t ss_source_generation(ss_source *src)
{
    return src && src->ops->generation ? src->ops->generation(src->ctx) : 0;
}

ss_status ss_source_info(ss_source *src, ss_dump_info *info)
{
    if (!src || !info)
        return SS_E_INVALID_ARG;
    memset(info, 0, sizeof *info);
    if (!src->ops->info)
        return SS_OK;
    return src->ops->info(src->ctx, info);
}

size_t ss_source_cpu_count(ss_source *src)
{
    return src && src->ops->cpu_count ? src->ops->cpu_count(src->ctx) : 0;
}

ss_status ss_source_cpu(ss_source *src, size_t i, ss_cpu_state *out)
{
    if (!src || !out || i >= ss_source_cpu_count(src) || !src->ops->cpu)
        return SS_E_INVALID_ARG;
    return src->ops->cpu(src->ctx, i, out);
}

ss_status ss_source_note(ss_source *src, const char *name, const char **data, size_t *len)
{
    if (!src || !name || !data || !len)
        return SS_E_INVALID_ARG;
    if (!src->ops->note)
        return SS_E_NOT_FOUND;
    return src->ops->note(src->ctx, name, data, len);
}

ss_status ss_source_paging(ss_source *src, ss_mode *mode, uint64_t *dtb)
{
    if (!src || (!mode && !dtb))
        return SS_E_INVALID_ARG;
    ss_dump_info info;
    ss_cpu_state cpu;
    bool have_cpu = ss_source_cpu_count(src) > 0 && ss_source_cpu(src, 0, &cpu) == SS_OK;
    bool have_info = ss_source_info(src, &info) == SS_OK;
    ss_status st = SS_OK;
    if (mode) {
        *mode = SS_MODE_AUTO;
        /* A custom backend may report any number: only a real mode is taken. */
        if (have_info && (info.flags & SS_INFO_PAGING_MODE) && info.paging_mode >= SS_MODE_X86 &&
            info.paging_mode <= SS_MODE_LA57)
            *mode = info.paging_mode;
        else if (!have_cpu || !ss_cpu_paging_mode(&cpu, mode))
            st = SS_E_UNSUPPORTED;
    }
    if (dtb) {
        *dtb = 0;
        if (have_info && (info.flags & SS_INFO_DTB))
            *dtb = info.directory_table_base;
        else if (have_cpu)
            *dtb = cpu.cr3;
        else
            st = SS_E_UNSUPPORTED;
    }
    return st;
}

ss_status ss_source_mapping(ss_source *src, const uint8_t **data, uint64_t *size)
{
    if (!src || !data || !size)
        return SS_E_INVALID_ARG;
    *data = src->flat;
    *size = src->flat ? src->flat_size : 0;
    return src->flat ? SS_OK : SS_E_UNSUPPORTED;
}

ss_status ss_backend_ops_init(ss_backend_ops *ops, unsigned version)
{
    if (!ops || version == 0 || version > SS_BACKEND_OPS_VERSION)
        return SS_E_INVALID_ARG;
    /* Only the members of that version: a binding built against an older header
     * passes a smaller table. Every member so far is in version 1 (when version 2
     * appends one, version 1's size becomes offsetof(ss_backend_ops, <that member>)). */
    memset(ops, 0, sizeof *ops);
    ops->version = version;
    return SS_OK;
}
