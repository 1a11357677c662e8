/*
 * libFuzzer harness for the Windows crash-dump backend: the input is a dump file.
 * It is written to a memfd and opened as "dmp:/proc/self/fd/N" (the backend maps
 * files, so it sees exactly what a real file would give it). When it opens, every
 * present page is read (zero-copy and through ss_source_read, plus reads that
 * straddle each range's edges), and a few VAs are walked under the header's DTB
 * with SS_MODE_AUTO. Seeds: the test suite writes small valid dumps of every kind
 * into $SS_FUZZ_SEED_DIR/fuzz_crashdump/ (scripts/fuzz.sh does this).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sessionspace.h"

static int memfd = -1;

static void read_everything(ss_source *src)
{
    const ss_phys_range *r = NULL;
    size_t n = 0;
    if (ss_source_ranges(src, &r, &n) != SS_OK)
        return;
    uint8_t buf[SS_PAGE_SIZE + 64];
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n; i++) {
        for (uint64_t pa = r[i].start; pa < r[i].start + r[i].size; pa += SS_PAGE_SIZE) {
            const uint8_t *page = NULL;
            if (ss_source_page(src, pa >> SS_PAGE_SHIFT, &page) == SS_OK)
                sink ^= page[0] ^ page[SS_PAGE_SIZE - 1];
            size_t got = 0;
            ss_source_read(src, pa, buf, SS_PAGE_SIZE, &got);
        }
        size_t got = 0;
        /* straddle both edges of the range */
        ss_source_read(src, r[i].start - 32, buf, 64, &got);
        ss_source_read(src, r[i].start + r[i].size - 32, buf, 64, &got);
        ss_source_read(src, r[i].start + r[i].size - SS_PAGE_SIZE / 2, buf, sizeof buf, &got);
    }
    (void)sink;
}

static void walk_some(ss_source *src, const uint8_t *data, size_t size)
{
    ss_dump_info info;
    if (ss_source_info(src, &info) != SS_OK || !(info.flags & SS_INFO_DTB))
        return;
    ss_space *sp = NULL;
    if (ss_space_open(src, SS_MODE_AUTO, info.directory_table_base, NULL, &sp) != SS_OK)
        return;
    uint64_t vas[8] = {0,
                       0x10000,
                       0x80001000ull,
                       0xC0000000ull,
                       0xFFFFF80000001000ull,
                       info.ps_active_process_head,
                       info.ps_loaded_module_list,
                       0};
    if (size >= 0x48)
        memcpy(&vas[7], data + 0x40, 8); /* a VA the input chooses */
    for (size_t i = 0; i < 8; i++) {
        ss_xlat x;
        ss_space_walk(sp, vas[i], &x);
        uint64_t pa;
        ss_translate(sp, vas[i], &pa);
    }
    ss_space_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memfd < 0) {
        memfd = memfd_create("fuzz_crashdump", MFD_CLOEXEC);
        if (memfd < 0)
            return 0;
    }
    if (ftruncate(memfd, 0) != 0 || (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
        return 0;
    char spec[64];
    snprintf(spec, sizeof spec, "dmp:/proc/self/fd/%d", memfd);
    ss_source *src = NULL;
    ss_error err;
    if (ss_source_open(spec, &src, &err) != SS_OK)
        return 0;
    read_everything(src);
    walk_some(src, data, size);
    ss_source_close(src);
    return 0;
}
