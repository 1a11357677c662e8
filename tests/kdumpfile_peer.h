/*
 * libkdumpfile as an independent reader (tests only; HAVE_KDUMPFILE): opens the
 * same file and must return the same bytes as our source for every page the
 * source holds. Addresses are given as KDUMP_MACHPHYSADDR: outside Xen that is the
 * physical address itself, while KDUMP_KPHYSADDR makes libkdumpfile first set up
 * Linux address translation, which fails on x86_64 with "Cannot determine 5-level
 * paging" even for QEMU's own dumps (libkdumpfile 0.5.1).
 */
#ifndef SS_KDUMPFILE_PEER_H
#define SS_KDUMPFILE_PEER_H

#ifdef HAVE_KDUMPFILE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

#include "sessionspace.h"

/* 0 when libkdumpfile reads every page of src's ranges exactly as src does. */
static int peer_compare(const char *path, ss_source *src, char *msg, size_t msglen)
{
    int fd = open(path, O_RDONLY);
    kdump_ctx_t *ctx = kdump_new();
    if (fd < 0 || !ctx) {
        snprintf(msg, msglen, "cannot open %s or create a libkdumpfile context", path);
        return -1;
    }
    int rc = 0;
    if (kdump_open_fd(ctx, fd) != KDUMP_OK) {
        snprintf(msg, msglen, "libkdumpfile cannot open %s: %s", path, kdump_get_err(ctx));
        rc = -1;
    }
    const ss_phys_range *r;
    size_t nr = 0;
    ss_source_ranges(src, &r, &nr);
    static uint8_t ours[4096], theirs[4096];
    unsigned long pages = 0;
    for (size_t i = 0; i < nr && rc == 0; i++)
        for (uint64_t pa = r[i].start; pa < r[i].start + r[i].size && rc == 0; pa += 4096, pages++) {
            size_t got = 0, n = sizeof theirs;
            ss_status st = ss_source_read(src, pa, ours, sizeof ours, &got);
            kdump_status ks = kdump_read(ctx, KDUMP_MACHPHYSADDR, pa, theirs, &n);
            if (st != SS_OK || ks != KDUMP_OK || n != sizeof theirs ||
                memcmp(ours, theirs, sizeof ours) != 0) {
                snprintf(msg, msglen, "pa %#llx: ours %s, libkdumpfile %d (%s), %s", (unsigned long long)pa,
                         ss_status_name(st), (int)ks, ks == KDUMP_OK ? "ok" : kdump_get_err(ctx),
                         st == SS_OK && ks == KDUMP_OK ? "bytes differ" : "status differs");
                rc = -1;
            }
        }
    if (rc == 0 && pages == 0) {
        snprintf(msg, msglen, "no pages compared");
        rc = -1;
    }
    kdump_free(ctx);
    close(fd);
    return rc;
}
#endif
#endif
