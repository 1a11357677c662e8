/*
 * Live-guest checker for tests/realdata/live.sh (public API only).
 *
 *   live_check invalidate "vmi:RAM,qmp=SOCK" ROUNDS VAFILE...
 *
 * ROUNDS times: pause the guest over the source's own QMP helper (ss_vmi_pause: a new
 * generation), take CPU 0's CR3 (ss_source_paging, from HMP `info registers`), and
 * require, for every VA of the VAFILEs (first column, hex):
 *   - the cached translation (a space kept open across all rounds, so its cache holds
 *     the answers of the previous pause) equals a fresh uncached walk of this moment:
 *     no answer survives a generation change;
 *   - for a sample of them, QEMU's own `gva2gpa` (ss_vmi_hmp) agrees;
 * then resume (ss_vmi_resume) and, while the guest runs, translate through the cache
 * with explicit bumps: every bump must flush (cache counters) and every answer for a
 * kernel VA (stable while running) must equal an uncached walk.
 * A raw: source over the same file (no generation) is the control: the answers it
 * keeps from the first pause that changed since are counted and printed (stale by
 * design, source.h / vmi.h).
 * Exit 0 when everything agreed, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sessionspace.h"

#define MAX_VAS 4096

static uint64_t vas[MAX_VAS];
static size_t nvas;

static void load_vas(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char line[256];
    while (nvas < MAX_VAS && fgets(line, sizeof line, f)) {
        uint64_t va;
        if (sscanf(line, "%" SCNx64, &va) == 1)
            vas[nvas++] = va;
    }
    fclose(f);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The PA QEMU's gva2gpa gives for va under the current vCPU state, or UINT64_MAX (unmapped). */
static int qemu_gva2gpa(ss_source *src, uint64_t va, uint64_t *pa)
{
    char cmd[64], text[256];
    ss_error err;
    snprintf(cmd, sizeof cmd, "gva2gpa %#" PRIx64, va);
    if (ss_vmi_hmp(src, cmd, text, sizeof text, &err) != SS_OK) {
        fprintf(stderr, "gva2gpa: %s\n", err.message);
        return -1;
    }
    if (strstr(text, "Unmapped")) {
        *pa = UINT64_MAX;
        return 0;
    }
    if (sscanf(text, "gpa: %" SCNx64, pa) == 1)
        return 0;
    fprintf(stderr, "gva2gpa %#" PRIx64 ": unexpected answer '%s'\n", va, text);
    return -1;
}

static int cmd_invalidate(const char *spec, int rounds)
{
    ss_source *src;
    ss_error err;
    if (ss_source_open(spec, &src, &err) != SS_OK) {
        fprintf(stderr, "%s: %s\n", spec, err.message);
        return 1;
    }
    /* the control: the same RAM file as raw: (its path is the spec up to the first comma) */
    char rawspec[4200];
    snprintf(rawspec, sizeof rawspec, "raw:%s", spec + 4);
    *strchr(rawspec, ',') = 0;
    ss_source *raw = NULL;
    if (ss_source_open(rawspec, &raw, &err) != SS_OK) {
        fprintf(stderr, "%s: %s\n", rawspec, err.message);
        return 1;
    }
    ss_space *cached = NULL, *uncached = NULL, *rawsp = NULL;
    ss_space_options nc = SS_SPACE_OPTIONS_INIT;
    nc.no_cache = 1;
    static uint64_t first[MAX_VAS];
    static ss_status first_st[MAX_VAS];
    uint64_t first_cr3 = 0, compared = 0, qemu_checked = 0, changed = 0, raw_stale = 0, cr3s[64];
    int bad = 0, ncr3 = 0;
    for (int round = 0; round < rounds; round++) {
        uint64_t gen = ss_source_generation(src);
        if (ss_vmi_pause(src, &err) != SS_OK) {
            fprintf(stderr, "pause: %s\n", err.message);
            return 1;
        }
        if (ss_source_generation(src) == gen) {
            fprintf(stderr, "pause did not change the generation\n");
            return 1;
        }
        ss_mode mode;
        uint64_t cr3;
        if (ss_source_paging(src, &mode, &cr3) != SS_OK) {
            fprintf(stderr, "no paging mode / CR3 from QMP\n");
            return 1;
        }
        int seen = 0;
        for (int i = 0; i < ncr3; i++)
            seen |= cr3s[i] == cr3;
        if (!seen && ncr3 < 64)
            cr3s[ncr3++] = cr3;
        if (!cached) {
            first_cr3 = cr3;
            if (ss_space_open(src, mode, cr3, NULL, &cached) != SS_OK ||
                ss_space_open(src, mode, cr3, &nc, &uncached) != SS_OK ||
                ss_space_open(raw, mode, cr3, NULL, &rawsp) != SS_OK) {
                fprintf(stderr, "cannot open spaces for cr3 %#" PRIx64 "\n", cr3);
                return 1;
            }
        }
        /* this moment's CR3, and the first pause's one (its process may be gone and its
         * tables reused since: the answers the cache holds for it must not survive) */
        for (int pass = 0; pass < (cr3 != first_cr3 ? 2 : 1); pass++) {
            uint64_t root = pass ? first_cr3 : cr3;
            if (ss_space_set_dtb(cached, root) != SS_OK || ss_space_set_dtb(uncached, root) != SS_OK) {
                fprintf(stderr, "cannot switch to cr3 %#" PRIx64 "\n", root);
                return 1;
            }
            for (size_t i = 0; i < nvas; i++) {
                uint64_t pa = 0, want = 0;
                ss_xlat x;
                ss_status st = ss_translate(cached, vas[i], &pa);
                ss_status wst = ss_space_walk(uncached, vas[i], &x);
                want = wst == SS_OK ? x.pa : 0;
                compared++;
                if ((st != wst || pa != want) && bad++ < 10)
                    fprintf(stderr,
                            "round %d cr3 %#" PRIx64 " va %#" PRIx64 ": cached %s %#" PRIx64
                            ", walk %s %#" PRIx64 "\n",
                            round, root, vas[i], ss_status_name(st), pa, ss_status_name(wst), want);
                if (round == 0) {
                    first[i] = pa;
                    first_st[i] = st;
                    uint64_t rpa = 0;
                    ss_translate(rawsp, vas[i], &rpa); /* fills the control's cache */
                } else if (root == first_cr3 && (st != first_st[i] || pa != first[i])) {
                    changed++; /* the guest changed this mapping since the first pause */
                    first[i] = pa;
                    first_st[i] = st;
                    uint64_t rpa = 0;
                    ss_status rst = ss_translate(rawsp, vas[i], &rpa);
                    raw_stale += rst != st || rpa != pa;
                }
                /* QEMU's own answer (for the vCPU's CR3 only) for every 16th VA */
                if (pass == 0 && i % 16 == (size_t)round % 16) {
                    uint64_t qpa;
                    if (qemu_gva2gpa(src, vas[i], &qpa) != 0)
                        return 1;
                    bool agree = qpa == UINT64_MAX ? st != SS_OK : (st == SS_OK && pa == qpa);
                    qemu_checked++;
                    if (!agree && bad++ < 10)
                        fprintf(stderr, "round %d va %#" PRIx64 ": QEMU %#" PRIx64 ", we %s %#" PRIx64 "\n",
                                round, vas[i], qpa, ss_status_name(st), pa);
                }
            }
        }
        if (ss_vmi_resume(src, &err) != SS_OK) {
            fprintf(stderr, "resume: %s\n", err.message);
            return 1;
        }
        /* running: bump, translate kernel VAs through the cache, compare with walks */
        ss_cache_stats before, after;
        ss_space_cache_stats(cached, &before, 0);
        int bumps = 0;
        for (int k = 0; k < 20; k++) {
            ss_source_bump_generation(src);
            bumps++;
            for (size_t i = 0; i < nvas; i++) {
                if (vas[i] < 0xffffffff80000000ull)
                    continue; /* only the kernel image's mapping is fixed while the guest runs */
                uint64_t pa = 0;
                ss_xlat x;
                ss_status st = ss_translate(cached, vas[i], &pa);
                ss_status wst = ss_space_walk(uncached, vas[i], &x);
                if ((st != wst || (st == SS_OK && pa != x.pa)) && bad++ < 10)
                    fprintf(stderr,
                            "running: va %#" PRIx64 ": cached %s %#" PRIx64 ", walk %s %#" PRIx64 "\n",
                            vas[i], ss_status_name(st), pa, ss_status_name(wst), x.pa);
            }
            sleep_ms(10);
        }
        ss_space_cache_stats(cached, &after, 0);
        if (after.flushes - before.flushes < (uint64_t)bumps) {
            fprintf(stderr, "running: %d bumps but %" PRIu64 " cache flushes\n", bumps,
                    after.flushes - before.flushes);
            bad++;
        }
        sleep_ms(300); /* let the guest run between pauses */
    }
    printf("%s: %d pauses, %d CR3s, %" PRIu64 " cached answers compared with fresh walks, %" PRIu64
           " with QEMU's gva2gpa, %" PRIu64
           " answers under the first CR3 changed between pauses (a raw: source of the same file, "
           "without generations, kept %" PRIu64 " of them stale), %d disagreements\n",
           spec, rounds, ncr3, compared, qemu_checked, changed, raw_stale, bad);
    ss_space_close(cached);
    ss_space_close(uncached);
    ss_space_close(rawsp);
    ss_source_close(raw);
    ss_source_close(src);
    return bad == 0 && compared > 0 && qemu_checked > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "invalidate") == 0) {
        for (int i = 4; i < argc; i++)
            load_vas(argv[i]);
        return cmd_invalidate(argv[2], atoi(argv[3]));
    }
    fprintf(stderr, "usage: live_check invalidate 'vmi:RAM,qmp=SOCK' ROUNDS VAFILE...\n");
    return 2;
}
