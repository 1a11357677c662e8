/*
 * libFuzzer harness for symbol-less discovery (sessionspace/scan.h): the scan and
 * the clustering over arbitrary physical memory must not crash, and every page the
 * scan reports must pass the documented checks when re-checked here independently
 * (exactly one present self-reference, in the kernel half, P+RW, no PS anywhere,
 * US on every present user-half entry, enough zero entries); a violation aborts.
 *
 * Input: u8 flags (bit 0: no flat mapping (reads only), bit 1: one page a hole,
 * bit 2: LA57 thresholds, bits 4-7: min_kernel_entries); u8 the hole's page; then
 * physical memory (whole pages, at most 64). Seeds: test_nt_scan.c.
 */
#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace.h"
#include "sessionspace/sys/backend.h"

static void recheck(const fmem *m, const ss_scan_candidate *c)
{
    if (c->dtb & 0xfff || c->dtb >= m->size || c->dtb >> 12 == m->hole)
        abort();
    const uint8_t *p = m->data + c->dtb;
    unsigned self = 0, zero_user = 0, zero_kernel = 0;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e;
        memcpy(&e, p + 8 * i, 8);
        if (!e)
            *(i < 256 ? &zero_user : &zero_kernel) += 1;
        if ((e & 1) && ((e & 0x80) || (i < 256 && !(e & 4))))
            abort(); /* PS anywhere, or a supervisor user-half entry */
        if ((e & 1) && (e & 0x000ffffffffff000ull) == c->dtb)
            self++;
    }
    uint64_t s;
    memcpy(&s, p + 8 * c->self_map_slot, 8);
    if (self != 1 || c->self_map_slot < 256 || c->self_map_slot > 511 || (s & 3) != 3 ||
        (s & 0x000ffffffffff000ull) != c->dtb || zero_user < 64 || zero_kernel < 64)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 + 4096)
        return 0;
    unsigned flags = data[0];
    size_t npages = (size - 2) / 4096;
    if (npages > 64)
        npages = 64;
    uint8_t *mem = malloc(npages * 4096);
    if (!mem)
        return 0;
    memcpy(mem, data + 2, npages * 4096);
    fmem m;
    ss_backend_ops ops;
    ss_source *src = NULL;
    if (fmem_open(&m, &ops, mem, npages, flags, data[1], &src) == SS_OK) {
        ss_scan_options o = SS_SCAN_OPTIONS_INIT;
        o.mode = (flags & 4) ? SS_MODE_LA57 : SS_MODE_X64;
        o.min_kernel_entries = flags >> 4;
        ss_scan_candidate *c = NULL;
        size_t n = 0;
        if (ss_scan_collect(src, &o, &c, &n, NULL) == SS_OK) {
            uint64_t dtbs[64 + 2];
            for (size_t i = 0; i < n; i++) {
                recheck(&m, &c[i]);
                dtbs[i] = c[i].dtb;
            }
            /* the clustering also takes tables that are not roots, and unreadable ones */
            dtbs[n] = (uint64_t)data[1] << 12;
            dtbs[n + 1] = 0;
            uint32_t cl[64 + 2];
            size_t ncl = 0;
            uint8_t kinds[512];
            if (ss_scan_cluster(src, dtbs, n + 2, cl, &ncl, kinds) == SS_OK)
                for (size_t i = 0; i < n + 2; i++)
                    if (cl[i] > ncl)
                        abort();
            ss_scan_free(c);
        }
        ss_source_close(src);
    }
    free(mem);
    return 0;
}
