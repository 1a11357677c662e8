/* Memory sources: opening by spec (the prefix registry), and the checks every backend gets for free. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>

#include "../backend/backend.h"

/* Probing order for a path without a prefix: specific magics first; raw accepts
 * anything and comes last. */
static const ss_file_backend *const file_backends[] = {
    &ss_crashdump_backend, &ss_elf_backend, &ss_kdump_backend, &ss_lime_backend, &ss_raw_backend,
};
#define N_FILE_BACKENDS (sizeof file_backends / sizeof file_backends[0])

/* Maps path and opens it with be (NULL: the first backend whose probe accepts it). */
static ss_status open_file(const ss_file_backend *be, const char *path, uint32_t flags, ss_source **out,
                           ss_error *err)
{
    ss_file file;
    ss_status st = ss_file_map(path, flags, &file, err);
    if (st != SS_OK)
        return st;
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

/* The factory of every built-in file format: user is its ss_file_backend. */
static ss_status file_factory_open(void *user, const char *rest, uint32_t flags, ss_source **out,
                                   ss_error *err)
{
    return open_file(user, rest, flags, out, err);
}

#define FILE_FACTORY(pfx, text, be)                                                                          \
    {                                                                                                        \
        .version = SS_BACKEND_FACTORY_VERSION, .prefix = pfx, .summary = text, .open = file_factory_open,    \
        .user = (void *)&be                                                                                  \
    }
static const ss_backend_factory raw_factory = FILE_FACTORY("raw", "flat physical image", ss_raw_backend);
static const ss_backend_factory dmp_factory = FILE_FACTORY("dmp", "Windows crash dump", ss_crashdump_backend);
static const ss_backend_factory elf_factory =
    FILE_FACTORY("elf", "ELF core of physical memory", ss_elf_backend);
static const ss_backend_factory kdump_factory =
    FILE_FACTORY("kdump", "kdump-compressed / flattened makedumpfile", ss_kdump_backend);
static const ss_backend_factory lime_factory = FILE_FACTORY("lime", "LiME range file", ss_lime_backend);

/*
 * The built-in prefixes: a const table, so the library keeps no global mutable
 * state. A new built-in backend adds one ss_backend_factory here; a debugger adds
 * its own on an ss_registry instead (sessionspace/sys/backend.h).
 */
static const ss_backend_factory *const builtin_factories[] = {
    &raw_factory, &dmp_factory, &elf_factory, &kdump_factory, &lime_factory, &ss_vmi_factory, &ss_kd_factory,
};
#define N_BUILTINS (sizeof builtin_factories / sizeof builtin_factories[0])

struct ss_registry {
    ss_backend_factory *user; /* registered factories, each prefix an owned copy */
    size_t n, cap;
};

ss_status ss_backend_factory_init(ss_backend_factory *f, unsigned version)
{
    if (!f || version == 0 || version > SS_BACKEND_FACTORY_VERSION)
        return SS_E_INVALID_ARG;
    memset(f, 0, sizeof *f);
    f->version = version;
    return SS_OK;
}

ss_status ss_registry_new(ss_registry **out)
{
    if (!out)
        return SS_E_INVALID_ARG;
    *out = calloc(1, sizeof **out);
    return *out ? SS_OK : SS_E_NOMEM;
}

void ss_registry_free(ss_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++)
        free((void *)reg->user[i].prefix);
    free(reg->user);
    free(reg);
}

static bool prefix_valid(const char *p)
{
    size_t n = 0;
    for (; p[n]; n++) {
        char c = p[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return false;
    }
    return n >= 1 && n <= SS_PREFIX_MAX;
}

static const ss_backend_factory *find_len(const ss_registry *reg, const char *prefix, size_t len)
{
    for (size_t i = reg ? reg->n : 0; i-- > 0;) {
        const char *p = reg->user[i].prefix;
        if (strlen(p) == len && memcmp(p, prefix, len) == 0)
            return &reg->user[i];
    }
    for (size_t i = 0; i < N_BUILTINS; i++) {
        const char *p = builtin_factories[i]->prefix;
        if (strlen(p) == len && memcmp(p, prefix, len) == 0)
            return builtin_factories[i];
    }
    return NULL;
}

ss_status ss_registry_register(ss_registry *reg, const ss_backend_factory *f)
{
    if (!reg || !f || f->version == 0 || f->version > SS_BACKEND_FACTORY_VERSION || !f->open || !f->prefix ||
        !prefix_valid(f->prefix))
        return SS_E_INVALID_ARG;
    ss_backend_factory copy = *f; /* version 1 is the whole struct */
    copy.version = SS_BACKEND_FACTORY_VERSION;
    if (!(copy.prefix = strdup(f->prefix)))
        return SS_E_NOMEM;
    for (size_t i = 0; i < reg->n; i++) {
        if (strcmp(reg->user[i].prefix, f->prefix) == 0) {
            free((void *)reg->user[i].prefix);
            reg->user[i] = copy;
            return SS_OK;
        }
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 4;
        ss_backend_factory *u = realloc(reg->user, cap * sizeof *u);
        if (!u) {
            free((void *)copy.prefix);
            return SS_E_NOMEM;
        }
        reg->user = u;
        reg->cap = cap;
    }
    reg->user[reg->n++] = copy;
    return SS_OK;
}

const ss_backend_factory *ss_registry_find(const ss_registry *reg, const char *prefix)
{
    return prefix ? find_len(reg, prefix, strlen(prefix)) : NULL;
}

/* Built-ins a registered factory shadows are not listed twice. */
static bool builtin_shadowed(const ss_registry *reg, size_t b)
{
    for (size_t i = 0; reg && i < reg->n; i++)
        if (strcmp(reg->user[i].prefix, builtin_factories[b]->prefix) == 0)
            return true;
    return false;
}

size_t ss_registry_count(const ss_registry *reg)
{
    size_t n = reg ? reg->n : 0;
    for (size_t b = 0; b < N_BUILTINS; b++)
        n += !builtin_shadowed(reg, b);
    return n;
}

const ss_backend_factory *ss_registry_at(const ss_registry *reg, size_t i)
{
    if (reg && i < reg->n)
        return &reg->user[i];
    i -= reg ? reg->n : 0;
    for (size_t b = 0; b < N_BUILTINS; b++)
        if (!builtin_shadowed(reg, b) && i-- == 0)
            return builtin_factories[b];
    return NULL;
}

ss_status ss_source_open(const char *spec, ss_source **out, ss_error *err)
{
    return ss_source_open_ex(spec, NULL, out, err);
}

ss_status ss_open_options_init(ss_open_options *opts, unsigned version)
{
    if (!opts || version == 0 || version > SS_OPEN_OPTIONS_VERSION)
        return SS_E_INVALID_ARG;
    memset(opts, 0, sizeof *opts); /* every member is in version 1 */
    opts->version = version;
    return SS_OK;
}

ss_status ss_source_open_ex(const char *spec, const ss_open_options *opts, ss_source **out, ss_error *err)
{
    if (out)
        *out = NULL;
    uint32_t flags = 0;
    if (opts) {
        if (opts->version == 0 || opts->version > SS_OPEN_OPTIONS_VERSION)
            return ss_fail(err, SS_E_INVALID_ARG,
                           "ss_open_options version %u not supported (this library: %u)", opts->version,
                           SS_OPEN_OPTIONS_VERSION);
        flags = opts->flags; /* version 1 has only flags */
    }
    return ss_registry_open(NULL, spec, flags, out, err);
}

ss_status ss_registry_open(const ss_registry *reg, const char *spec, uint32_t flags, ss_source **out,
                           ss_error *err)
{
    if (out)
        *out = NULL;
    if (!spec || !out)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_open: NULL %s", spec ? "out" : "spec");
    if (!*spec)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_open: empty source spec");
    if (flags & ~(uint32_t)SS_OPEN_PREAD)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_open_options: unknown flags %#x",
                       (unsigned)(flags & ~(uint32_t)SS_OPEN_PREAD));

    const char *colon = strchr(spec, ':');
    if (colon && colon != spec) {
        const ss_backend_factory *f = find_len(reg, spec, (size_t)(colon - spec));
        if (f) {
            ss_status st = f->open(f->user, colon + 1, flags, out, err);
            if (st == SS_OK && !*out)
                return ss_fail(err, SS_E_IO, "%s: backend '%s' returned no source", spec, f->prefix);
            if (st != SS_OK && *out) { /* a factory that fails must not hand out a source */
                ss_source_close(*out);
                *out = NULL;
            }
            return st;
        }
        if (!strchr(spec, '/') || strchr(spec, '/') > colon) {
            /* "word:rest" with no slash before the colon: an unknown scheme, not a path */
            char known[256];
            size_t used = 0, n = ss_registry_count(reg);
            known[0] = 0;
            for (size_t i = 0; i < n && used < sizeof known; i++) {
                int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 ss_registry_at(reg, i)->prefix);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            char shown[SS_SHORT_PATH];
            ss_short_path(shown, sizeof shown, spec);
            int plen = (int)(colon - spec) < 24 ? (int)(colon - spec) : 24;
            return ss_fail(err, SS_E_UNSUPPORTED, "%s: unknown source type '%.*s' (known: %s)", shown, plen,
                           spec, known);
        }
    }
    return open_file(NULL, spec, flags, out, err);
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
    return src ? ss_source_gen(src) : 0;
}

ss_status ss_source_bump_generation(ss_source *src)
{
    if (!src)
        return SS_E_INVALID_ARG;
    if (!src->ops->generation)
        return SS_E_UNSUPPORTED; /* a file's contents are taken as fixed: open it as vmi: */
    atomic_fetch_add_explicit(&src->bumps, 1, memory_order_acq_rel);
    return SS_OK;
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
