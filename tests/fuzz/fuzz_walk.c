/*
 * libFuzzer harness for the walker and the translation cache: every cached or
 * batched answer must equal the uncached walk (xlatdiff.h); a mismatch aborts.
 *
 * Input: u8 mode (ss_mode - 1, taken mod 4); u8 flags (bit 0: non-flat source,
 * bit 1: one page of it a hole, bits 2-3: cache size 4 << 2k, bit 6: ranges up to
 * 600 pages rather than 32); u8 number of roots (1..4); u8 the hole's page (mod the
 * page count); then that many u64 DTBs, 16 u64 VAs, and the rest is physical
 * memory (rounded down to whole pages, at most 256 pages). Seeds: test_xlat_diff.c.
 */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace/sys/backend.h"
#include "xlatdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    ss_mode mode = (ss_mode)(1 + data[0] % 4);
    unsigned flags = data[1], ndtbs = 1 + data[2] % 4;
    size_t head = 4 + 8 * (size_t)ndtbs + 8 * 16;
    if (size < head + 4096)
        return 0;
    uint64_t dtbs[4], vas[16 + 8];
    memcpy(dtbs, data + 4, 8 * ndtbs);
    memcpy(vas, data + 4 + 8 * ndtbs, 8 * 16);
    size_t nvas = 16 + xd_edge_vas(mode, vas + 16);
    for (unsigned i = 0; i < ndtbs; i++) /* roots the mode accepts: 32 bits; 4/5-level: CR3 62:52 reserved */
        dtbs[i] &= (mode == SS_MODE_X86 || mode == SS_MODE_PAE) ? 0xffffffffull : ~0x7ff0000000000000ull;

    size_t npages = (size - head) / 4096;
    if (npages > 256)
        npages = 256;
    uint8_t *mem = malloc(npages * 4096); /* a copy: aligned, and ASan sees its end */
    if (!mem)
        return 0;
    memcpy(mem, data + head, npages * 4096);
    fmem m;
    ss_backend_ops ops;
    ss_source *src = NULL;
    if (fmem_open(&m, &ops, mem, npages, flags, data[3], &src) == SS_OK) {
        xd_report r;
        if (xd_check(&r, src, mode, dtbs, ndtbs, vas, nvas, 4u << (2 * ((flags >> 2) & 3)),
                     (flags & 0x40) ? 600 : 32) != 0) {
            fprintf(stderr, "fuzz_walk: %s mismatch: %s\n", ss_mode_name(mode), r.msg);
            abort();
        }
        ss_source_close(src);
    }
    free(mem);
    return 0;
}
