/*
 * The callback source (sessionspace/callback.h): a host debugger's physical reads and
 * registers behind the ordinary backend table (sessionspace/sys/backend.h), with every
 * answer checked, so a careless host cannot make the library read past a buffer or
 * report a status nobody can name.
 */
#include <stdlib.h>

#include "backend.h"
#include "sessionspace/callback.h"

/* 2^52: the widest physical address x86 paging can express (SDM Vol. 3A 4.1.4, MAXPHYADDR). */
#define CB_MAX_PHYS (1ull << 52)

typedef struct cb_source {
    ss_callback_ops ops; /* the host's table, copied */
    void *ctx;
    ss_phys_range range; /* [0, phys_size) */
} cb_source;

/* A host status that is not an ss_status failure is reported as an I/O failure. */
static ss_status cb_status(ss_status st)
{
    return st == SS_OK || ss_status_known(st) ? st : SS_E_IO;
}

static ss_status cb_read(void *vctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    cb_source *c = vctx;
    *nread = 0;
    uint64_t end = c->range.size;
    if (pa >= end)
        return SS_E_RANGE;
    size_t want = end - pa < len ? (size_t)(end - pa) : len;
    size_t got = 0;
    ss_status st = cb_status(c->ops.read_phys(c->ctx, pa, buf, want, &got));
    if (got > want)
        got = want;
    *nread = got;
    if (st == SS_OK && got < want)
        return SS_E_SHORT_READ;
    if (st == SS_OK && want < len)
        return SS_E_RANGE;
    return st;
}

static ss_status cb_ranges(void *vctx, const ss_phys_range **ranges, size_t *count)
{
    cb_source *c = vctx;
    *ranges = &c->range;
    *count = 1;
    return SS_OK;
}

static uint64_t cb_generation(void *vctx)
{
    cb_source *c = vctx;
    return c->ops.generation ? c->ops.generation(c->ctx) : 0;
}

static ss_status cb_info(void *vctx, ss_dump_info *info)
{
    cb_source *c = vctx;
    if (c->ops.paging_mode != SS_MODE_AUTO) {
        info->flags |= SS_INFO_PAGING_MODE;
        info->paging_mode = c->ops.paging_mode;
    }
    if (c->ops.dtb) {
        info->flags |= SS_INFO_DTB;
        info->directory_table_base = c->ops.dtb;
    }
    return SS_OK;
}

static size_t cb_cpu_count(void *vctx)
{
    cb_source *c = vctx;
    return c->ops.cpu ? 1 : 0;
}

static ss_status cb_cpu(void *vctx, size_t i, ss_cpu_state *out)
{
    cb_source *c = vctx;
    ss_cpu_state s = {0};
    ss_status st = cb_status(c->ops.cpu(c->ctx, &s));
    if (st != SS_OK)
        return st;
    s.index = (uint32_t)i;
    *out = s;
    return SS_OK;
}

static void cb_close(void *vctx)
{
    cb_source *c = vctx;
    if (c->ops.close)
        c->ops.close(c->ctx);
    free(c);
}

/* One table for every callback source; each source's own table is in its cb_source. */
static const ss_backend_ops cb_backend = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "callback",
    .read = cb_read,
    .ranges = cb_ranges,
    .generation = cb_generation,
    .info = cb_info,
    .cpu_count = cb_cpu_count,
    .cpu = cb_cpu,
    .close = cb_close,
};

/* Bytes each version of ss_callback_ops holds (see ss_versioned_size); version 2 will end
 * version 1 at its first new member. */
static const size_t ops_sizes[] = {sizeof(ss_callback_ops)};
#define N_OPS_SIZES (sizeof ops_sizes / sizeof ops_sizes[0])
_Static_assert(N_OPS_SIZES == SS_CALLBACK_OPS_VERSION, "one size per ss_callback_ops version");

ss_status ss_callback_ops_init(ss_callback_ops *ops, unsigned version)
{
    return ss_versioned_init(ops, ss_versioned_size(version, ops_sizes, N_OPS_SIZES), version,
                             SS_CALLBACK_OPS_VERSION);
}

ss_status ss_source_open_callback(const ss_callback_ops *ops, void *ctx, ss_source **out, ss_error *err)
{
    if (out)
        *out = NULL;
    if (!ops || !out)
        return ss_fail(err, SS_E_INVALID_ARG, "ss_source_open_callback: NULL %s", ops ? "out" : "ops");
    size_t ops_bytes = ss_versioned_size(ops->version, ops_sizes, N_OPS_SIZES);
    if (!ops_bytes)
        return ss_fail(err, SS_E_INVALID_ARG, "callback ops version %u not supported (this library: %u)",
                       ops->version, SS_CALLBACK_OPS_VERSION);
    const char *name = ops->name ? ops->name : "callback";
    if (!ops->read_phys)
        return ss_fail(err, SS_E_INVALID_ARG, "callback source '%s': read_phys is required", name);
    if ((int)ops->paging_mode < SS_MODE_AUTO || ops->paging_mode > SS_MODE_LA57)
        return ss_fail(err, SS_E_INVALID_ARG, "callback source '%s': paging_mode %d is not an ss_mode", name,
                       (int)ops->paging_mode);
    if (ops->phys_size % SS_PAGE_SIZE || ops->phys_size > CB_MAX_PHYS)
        return ss_fail(err, SS_E_INVALID_ARG,
                       "callback source '%s': phys_size %#llx is not a multiple of 4096 up to 2^52", name,
                       (unsigned long long)ops->phys_size);
    cb_source *c = calloc(1, sizeof *c);
    if (!c)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    memcpy(&c->ops, ops, ops_bytes); /* the rest keeps its zero default */
    c->ctx = ctx;
    c->range.start = 0;
    c->range.size = ops->phys_size ? ops->phys_size : CB_MAX_PHYS;
    ss_status st = ss_source_from_backend(&cb_backend, c, SS_FORMAT_CUSTOM, out, err);
    if (st != SS_OK)
        free(c); /* not cb_close: the host keeps its ctx */
    return st;
}
