/*
 * raw: a flat physical image, file offset == physical address. The file is
 * mmap'd once, so opening costs the same for 1 MiB and 64 GiB, and every page
 * is handed out zero-copy.
 */
#include <stdlib.h>

#include "backend.h"

typedef struct raw_ctx {
    ss_file file;
    ss_phys_range range;
} raw_ctx;

static ss_status raw_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    raw_ctx *r = ctx;
    *nread = 0;
    if (pa >= r->file.size)
        return SS_E_RANGE;
    uint64_t avail = r->file.size - pa;
    size_t n = avail < len ? (size_t)avail : len;
    ss_status st = ss_file_copy(&r->file, pa, buf, n);
    if (st != SS_OK)
        return st;
    *nread = n;
    return n == len ? SS_OK : SS_E_RANGE;
}

static const uint8_t *raw_page(void *ctx, uint64_t pfn, ss_status *status)
{
    raw_ctx *r = ctx;
    uint64_t npages = r->file.size >> SS_PAGE_SHIFT;
    if (pfn >= npages) {
        *status = SS_E_RANGE;
        return NULL;
    }
    if (!r->file.data) { /* SS_OPEN_PREAD */
        *status = SS_E_UNSUPPORTED;
        return NULL;
    }
    *status = SS_OK;
    return r->file.data + (pfn << SS_PAGE_SHIFT);
}

static ss_status raw_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    raw_ctx *r = ctx;
    *ranges = &r->range;
    *count = 1;
    return SS_OK;
}

static const uint8_t *raw_flat(void *ctx, uint64_t *size)
{
    raw_ctx *r = ctx;
    *size = r->file.size;
    return r->file.data; /* NULL with SS_OPEN_PREAD: not flat */
}

static void raw_close(void *ctx)
{
    raw_ctx *r = ctx;
    ss_file_unmap(&r->file);
    free(r);
}

static const ss_backend_ops raw_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "raw",
    .read = raw_read,
    .page = raw_page,
    .ranges = raw_ranges,
    .close = raw_close,
    .flat = raw_flat,
};

static bool raw_probe(const uint8_t *data, uint64_t size)
{
    (void)data;
    (void)size;
    return true; /* the fallback: anything without a known magic */
}

static ss_status raw_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                          ss_error *err)
{
    (void)format; /* one format */
    if (file->size < SS_PAGE_SIZE)
        return ss_fail(err, SS_E_TRUNCATED,
                       "%s: %llu bytes is shorter than one 4096-byte page; not a physical memory image",
                       file->path, (unsigned long long)file->size);
    raw_ctx *r = calloc(1, sizeof *r);
    if (!r)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    r->file = *file;
    r->range.start = 0;
    r->range.size = file->size;
    ss_file_settle(&r->file);
    *ops = &raw_ops;
    *ctx = r;
    return SS_OK;
}

const ss_file_backend ss_raw_backend = {"raw", SS_FORMAT_RAW, raw_probe, raw_open};
