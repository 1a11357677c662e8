/*
 * Shared body of the file-format fuzz harnesses: the input becomes a memfd, is
 * opened with a forced format prefix (odd sizes with SS_OPEN_PREAD), and then everything a caller could do is
 * done once -- every range read (a bounded number of pages), zero-copy pages,
 * notes, CPU states, info, and a few page walks -- before closing.
 *
 * Also the in-memory host (fmem) the callback-source harnesses (fuzz_scan.c,
 * fuzz_walk.c) put under sessionspace/sys/backend.h: physical memory from the
 * input, optionally one page a hole. Include this header first (it sets
 * _GNU_SOURCE for memfd_create). Everything is static inline, so a harness that
 * uses only part of it stays -Wunused-function clean.
 */
#ifndef SS_FUZZ_COMMON_H
#define SS_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sessionspace.h"
#include "sessionspace/sys/backend.h"

typedef struct fmem {
    const uint8_t *data;
    uint64_t size;
    uint64_t hole; /* pfn that is absent (~0: none) */
    ss_phys_range ranges[2];
    size_t nranges;
} fmem;

static inline ss_status fmem_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    fmem *m = ctx;
    *nread = 0;
    while (*nread < len) {
        uint64_t cur = pa + *nread;
        if (cur < pa || cur >= m->size)
            return SS_E_RANGE;
        if (cur >> 12 == m->hole)
            return SS_E_NO_PAGE;
        size_t n = 4096 - (size_t)(cur & 4095);
        if (n > len - *nread)
            n = len - *nread;
        memcpy((uint8_t *)buf + *nread, m->data + cur, n);
        *nread += n;
    }
    return SS_OK;
}

static inline ss_status fmem_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    fmem *m = ctx;
    *ranges = m->ranges;
    *count = m->nranges;
    return SS_OK;
}

static inline const uint8_t *fmem_flat(void *ctx, uint64_t *size)
{
    fmem *m = ctx;
    *size = m->size;
    return m->data;
}

/*
 * Opens a callback source over npages pages at mem, described by m and ops (both the
 * caller's, alive until the source is closed). flags bit 0: no flat mapping (reads
 * only); bit 1: page hole_byte % npages is a hole (absent from the ranges, SS_E_NO_PAGE).
 */
static inline ss_status fmem_open(fmem *m, ss_backend_ops *ops, const uint8_t *mem, uint64_t npages,
                                  unsigned flags, uint8_t hole_byte, ss_source **src)
{
    *m = (fmem){mem, npages * 4096, ~0ull, {{0, 0}, {0, 0}}, 0};
    *ops = (ss_backend_ops)SS_BACKEND_OPS_INIT;
    ops->name = "fuzz-mem";
    ops->read = fmem_read;
    ops->ranges = fmem_ranges;
    if (!(flags & 1))
        ops->flat = fmem_flat;
    if ((flags & 2) && npages > 1) {
        m->hole = hole_byte % npages;
        if (m->hole)
            m->ranges[m->nranges++] = (ss_phys_range){0, m->hole * 4096};
        if (m->hole + 1 < npages)
            m->ranges[m->nranges++] = (ss_phys_range){(m->hole + 1) * 4096, (npages - m->hole - 1) * 4096};
    } else {
        m->ranges[m->nranges++] = (ss_phys_range){0, m->size};
    }
    return ss_source_from_backend(ops, m, SS_FORMAT_CUSTOM, src, NULL);
}

static inline void fuzz_walks(ss_source *src, ss_mode mode, uint64_t dtb)
{
    ss_space *sp;
    if (ss_space_open(src, mode, dtb & ~0xfffull, NULL, &sp) != SS_OK)
        return;
    static const uint64_t vas[] = {
        0, 0x400000, 0x7ffffffff000ull, 0xffff800000000000ull, 0xffffffff81000000ull, 0xff11000000000000ull};
    for (size_t i = 0; i < sizeof vas / sizeof vas[0]; i++) {
        ss_xlat x;
        ss_space_walk(sp, vas[i], &x);
    }
    ss_space_close(sp);
}

static inline int fuzz_one(const char *prefix, const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char spec[64];
    snprintf(spec, sizeof spec, "%s/proc/self/fd/%d", prefix, fd);
    ss_source *src = NULL;
    ss_error err;
    /* Odd-sized inputs go through SS_OPEN_PREAD (no mapping after open, copied metadata). */
    ss_open_options oo = SS_OPEN_OPTIONS_INIT;
    oo.flags = (size & 1) ? SS_OPEN_PREAD : 0;
    if (ss_source_open_ex(spec, &oo, &src, &err) == SS_OK) {
        const ss_phys_range *r;
        size_t n = 0, budget = 256;
        static uint8_t buf[2 * 4096 + 16];
        ss_source_ranges(src, &r, &n);
        for (size_t i = 0; i < n && budget; i++)
            for (uint64_t pa = r[i].start; pa < r[i].start + r[i].size && budget; pa += 4096, budget--) {
                size_t got;
                ss_source_read(src, pa, buf, sizeof buf, &got);
                ss_source_read(src, pa + 4090, buf, 16, &got);
                const uint8_t *pg;
                if (ss_source_page(src, pa >> 12, &pg) == SS_OK)
                    buf[0] ^= pg[0] ^ pg[4095];
            }
        size_t got;
        ss_source_read(src, ss_source_max_pa(src), buf, 8, &got);
        const char *note;
        size_t len;
        if (ss_source_note(src, "VMCOREINFO", &note, &len) == SS_OK && len)
            buf[1] ^= (uint8_t)(note[0] ^ note[len - 1]);
        ss_dump_info info;
        ss_source_info(src, &info);
        size_t ncpu = ss_source_cpu_count(src);
        for (size_t i = 0; i < ncpu && i < 8; i++) {
            ss_cpu_state c;
            if (ss_source_cpu(src, i, &c) == SS_OK && i == 0)
                fuzz_walks(src, SS_MODE_AUTO, c.cr3);
        }
        uint64_t dtb = n ? r[0].start : 0;
        fuzz_walks(src, SS_MODE_X64, dtb);
        fuzz_walks(src, SS_MODE_LA57, dtb);
        ss_source_close(src);
    }
    close(fd);
    return 0;
}

#endif
