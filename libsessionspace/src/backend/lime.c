/*
 * lime: LiME (Linux Memory Extractor) range files, format "lime".
 *
 * The file is a sequence of ranges, each a 32-byte lime_mem_range_header
 *     u32 magic 0x4C694D45 ("EMiL" on disk), u32 version (1),
 *     u64 s_addr, u64 e_addr (inclusive), u8 reserved[8]
 * followed by the e_addr - s_addr + 1 bytes of physical memory it describes.
 * Ranges are indexed at open with the shared segment index (segmap.h); ranges
 * that overlap are rejected (LiME writes each System RAM range once).
 */
#include <stdlib.h>

#include "segmap.h"

#define LIME_MAGIC 0x4C694D45u
enum { LIME_HDR = 32 };

typedef struct lime_ctx {
    ss_file file;
    ss_segmap map;
} lime_ctx;

static ss_status lime_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    lime_ctx *l = ctx;
    return ss_segmap_read(&l->map, &l->file, pa, buf, len, nread);
}

static const uint8_t *lime_page(void *ctx, uint64_t pfn, ss_status *status)
{
    lime_ctx *l = ctx;
    return ss_segmap_page(&l->map, &l->file, pfn, status);
}

static ss_status lime_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    lime_ctx *l = ctx;
    *ranges = l->map.ranges;
    *count = l->map.nranges;
    return SS_OK;
}

static void lime_close(void *ctx)
{
    lime_ctx *l = ctx;
    ss_segmap_free(&l->map);
    ss_file_unmap(&l->file);
    free(l);
}

static const ss_backend_ops lime_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "lime",
    .read = lime_read,
    .page = lime_page,
    .ranges = lime_ranges,
    .close = lime_close,
};

static int seg_cmp(const void *a, const void *b)
{
    const ss_seg *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static bool lime_probe(const uint8_t *data, uint64_t size)
{
    return size >= 4 && ss_le32(data) == LIME_MAGIC;
}

static ss_status lime_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                           ss_error *err)
{
    (void)format; /* one format */
    const char *path = file->path;
    if (file->size < 4 || ss_le32(file->data) != LIME_MAGIC)
        return ss_fail(err, SS_E_FORMAT, "%s: not a LiME file (no EMiL magic)", path);
    size_t cap = 16, n = 0;
    ss_seg *segs = malloc(cap * sizeof *segs);
    if (!segs)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    ss_status st;
    uint64_t pos = 0;
    while (pos < file->size) {
        const uint8_t *h = file->data + pos;
        if (file->size - pos < LIME_HDR) {
            st = ss_fail(err, SS_E_TRUNCATED,
                         "%s: range header %zu at offset %llu is cut short by the end of the file", path, n,
                         (unsigned long long)pos);
            goto fail;
        }
        if (ss_le32(h) != LIME_MAGIC) {
            st = ss_fail(err, SS_E_CORRUPT, "%s: range header %zu at offset %llu lacks the EMiL magic", path,
                         n, (unsigned long long)pos);
            goto fail;
        }
        if (ss_le32(h + 4) != 1) {
            st = ss_fail(err, SS_E_UNSUPPORTED, "%s: range header %zu has LiME version %u (only 1 is known)",
                         path, n, ss_le32(h + 4));
            goto fail;
        }
        uint64_t s = ss_le64(h + 8), e = ss_le64(h + 16);
        if (e < s || e - s == UINT64_MAX) {
            st = ss_fail(err, SS_E_CORRUPT,
                         "%s: range %zu ends (%#llx) before it starts (%#llx) or spans everything", path, n,
                         (unsigned long long)e, (unsigned long long)s);
            goto fail;
        }
        uint64_t size = e - s + 1, data = pos + LIME_HDR;
        if (!ss_span_ok(data, size, file->size)) {
            st = ss_fail(
                err, SS_E_TRUNCATED,
                "%s: range %zu [%#llx, %#llx] needs %llu bytes at offset %llu, past the end of the file",
                path, n, (unsigned long long)s, (unsigned long long)e, (unsigned long long)size,
                (unsigned long long)data);
            goto fail;
        }
        if (n == cap) {
            ss_seg *t = realloc(segs, 2 * cap * sizeof *segs);
            if (!t) {
                st = ss_fail(err, SS_E_NOMEM, "out of memory");
                goto fail;
            }
            segs = t;
            cap *= 2;
        }
        segs[n++] = (ss_seg){s, size, data};
        pos = data + size;
    }
    lime_ctx *l = calloc(1, sizeof *l);
    if (!l) {
        st = ss_fail(err, SS_E_NOMEM, "out of memory");
        goto fail;
    }
    st = ss_segmap_build(&l->map, segs, n, false);
    if (st == SS_E_CORRUPT) { /* name two ranges that overlap */
        qsort(segs, n, sizeof *segs, seg_cmp);
        size_t i = 1;
        while (i < n && segs[i].start - segs[i - 1].start >= segs[i - 1].size)
            i++;
        if (i < n)
            st = ss_fail(err, st, "%s: LiME ranges [%#llx, %#llx] and [%#llx, %#llx] overlap", path,
                         (unsigned long long)segs[i - 1].start,
                         (unsigned long long)(segs[i - 1].start + segs[i - 1].size - 1),
                         (unsigned long long)segs[i].start,
                         (unsigned long long)(segs[i].start + segs[i].size - 1));
        else
            st = ss_fail(err, st, "%s: LiME ranges overlap", path);
    } else if (st != SS_OK) {
        ss_fail(err, st, "%s: %s", path, ss_strerror(st));
    }
    free(segs);
    if (st != SS_OK) {
        free(l);
        return st;
    }
    l->file = *file;
    ss_file_settle(&l->file);
    *ops = &lime_ops;
    *ctx = l;
    return SS_OK;
fail:
    free(segs);
    return st;
}

const ss_file_backend ss_lime_backend = {"lime", SS_FORMAT_LIME, lime_probe, lime_open};
