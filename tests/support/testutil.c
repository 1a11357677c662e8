/* Helpers shared by the Check suites. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessionspace/sys/backend.h"

const char *ss_test_path(const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    const char *dir = getenv("TEST_TMPDIR");
    snprintf(b, sizeof bufs[0], "%s/ss-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
    return b;
}

const char *ss_test_spit(const char *name, const void *data, size_t len)
{
    const char *path = ss_test_path(name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    int ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        return NULL;
    return path;
}

uint8_t *ss_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = NULL;
    long n;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)n + 64)) != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        *len = (size_t)n;
    return b;
}

ss_source *ss_test_open_raw(const ssb_image *img, const char *name)
{
    const char *path = ss_test_path(name);
    if (ssb_write_raw(img, path) != 0)
        return NULL;
    char spec[600];
    snprintf(spec, sizeof spec, "raw:%s", path);
    ss_source *src = NULL;
    ss_error err;
    if (ss_source_open(spec, &src, &err) != SS_OK)
        fprintf(stderr, "ss_test_open_raw: %s\n", err.message);
    unlink(path); /* the mapping keeps the data */
    return src;
}

typedef struct mem_ctx {
    const ssb_image *img;
    const uint64_t *holes, *bad;
    size_t nholes, nbad;
    const uint64_t *gen;
    ss_phys_range *ranges;
    size_t nranges;
} mem_ctx;

static int listed(const uint64_t *list, size_t n, uint64_t pfn)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == pfn)
            return 1;
    return 0;
}

static ss_status mem_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    mem_ctx *m = ctx;
    uint8_t *p = buf;
    *nread = 0;
    while (*nread < len) {
        uint64_t cur = pa + *nread;
        if (cur >= ssb_size(m->img))
            return SS_E_RANGE;
        uint64_t pfn = cur >> 12;
        if (listed(m->holes, m->nholes, pfn))
            return SS_E_NO_PAGE;
        if (listed(m->bad, m->nbad, pfn))
            return SS_E_IO;
        size_t n = 4096 - (size_t)(cur & 4095);
        if (n > len - *nread)
            n = len - *nread;
        ssb_read(m->img, cur, p + *nread, n);
        *nread += n;
    }
    return SS_OK;
}

static ss_status mem_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    mem_ctx *m = ctx;
    *ranges = m->ranges;
    *count = m->nranges;
    return SS_OK;
}

static uint64_t mem_generation(void *ctx)
{
    mem_ctx *m = ctx;
    return m->gen ? *m->gen : 0;
}

static void mem_close(void *ctx)
{
    mem_ctx *m = ctx;
    free(m->ranges);
    free(m);
}

static const ss_backend_ops mem_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "test-mem",
    .read = mem_read,
    .ranges = mem_ranges,
    .generation = mem_generation,
    .close = mem_close,
};

/* The same without generation(): a static source, as a dump file is. */
static const ss_backend_ops mem_ops_static = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "test-mem",
    .read = mem_read,
    .ranges = mem_ranges,
    .close = mem_close,
};

ss_source *ss_test_open_mem(const ssb_image *img, const uint64_t *holes, size_t nholes, const uint64_t *bad,
                            size_t nbad, const uint64_t *gen)
{
    mem_ctx *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    *m = (mem_ctx){img, holes, bad, nholes, nbad, gen, NULL, 0};
    /* ranges: the image minus the holes */
    uint64_t npages = ssb_size(img) >> 12;
    m->ranges = calloc(nholes + 1, sizeof *m->ranges);
    if (!m->ranges) {
        free(m);
        return NULL;
    }
    uint64_t start = 0;
    for (uint64_t pfn = 0; pfn <= npages; pfn++) {
        if (pfn == npages || listed(holes, nholes, pfn)) {
            if (pfn > start)
                m->ranges[m->nranges++] = (ss_phys_range){start << 12, (pfn - start) << 12};
            start = pfn + 1;
        }
    }
    ss_source *src = NULL;
    if (ss_source_from_backend(gen ? &mem_ops : &mem_ops_static, m, SS_FORMAT_CUSTOM, &src, NULL) != SS_OK) {
        mem_close(m);
        return NULL;
    }
    return src;
}
