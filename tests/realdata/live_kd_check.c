/*
 * Live kd check against a running QEMU guest (tests/realdata/live_kd.sh): connects to
 * its gdbstub through kd:tcp:, and at each of several halts records QEMU's own answers
 * over QMP (qmp.py pause: CR3 from `info registers`, `info tlb` leaves and `gva2gpa` for
 * mapped and unmapped VAs), then requires the kd source to agree with every one of them
 * through one space whose caches live across the halts. Between halts the guest runs
 * (ss_kd_continue), so the generation must change and no answer of an earlier halt may
 * be served: translations go through the cached path, and a set of physical probes is
 * re-read through the backend's page cache and compared with QEMU's `xp` (over qRcmd
 * on the same connection) at every halt.
 *
 * The strongest probe of invalidation uses the guest's RAM file (capture.sh runs QEMU with
 * a shared memory-backend-file, whose offsets are physical addresses for this 256 MiB
 * guest): at each halt every RAM page is hashed; pages that changed since the previous
 * halt are "hot" and are read through kd (into its page cache); at the next halt each of
 * them is read through kd again and must equal the RAM file *now* — and the hot pages
 * that changed once more count the answers a stale cache would have got wrong.
 *
 *   live_kd_check PORT QMP_PY QMP_SOCK WORKDIR RAMFILE
 * Exit 0 when everything agrees under at least 2 different CR3s over at least 3 halts,
 * and at least one hot page changed between halts; 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sessionspace.h"

#define NPROBES    64
#define MAX_ROUNDS 8

static unsigned long lines, bad;

static void fail_if(int cond, const char *what, ss_source *src)
{
    if (cond) {
        fprintf(stderr, "live_kd_check: %s: %s\n", what, src ? ss_kd_last_error(src) : "");
        exit(1);
    }
}

/* Compares one QEMU answer file (VA<TAB>PA, or '-' for unmapped) with the space. */
static void check_file(ss_space *sp, const char *path, uint64_t *probe, size_t *nprobe)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char line[256], pa_text[64];
    while (fgets(line, sizeof line, f)) {
        uint64_t va, pa = 0;
        if (sscanf(line, "%" SCNx64 "\t%63s", &va, pa_text) != 2)
            continue;
        lines++;
        ss_status st = ss_translate(sp, va, &pa); /* the cached path: must not be stale */
        if (strcmp(pa_text, "-") == 0) {
            if (st == SS_OK && bad++ < 10)
                fprintf(stderr, "%s: va %#" PRIx64 ": QEMU says unmapped, kd says pa %#" PRIx64 "\n", path,
                        va, pa);
            continue;
        }
        uint64_t want = strtoull(pa_text, NULL, 16);
        if ((st != SS_OK || pa != want) && bad++ < 10)
            fprintf(stderr, "%s: va %#" PRIx64 ": QEMU %#" PRIx64 ", kd %s pa %#" PRIx64 "\n", path, va, want,
                    ss_status_name(st), pa);
        if (probe && *nprobe < NPROBES && want < 0x10000000 /* RAM: 256 MiB */)
            probe[(*nprobe)++] = want & ~7ull;
    }
    fclose(f);
}

/* QEMU's `xp /1gx PA` over the same connection: "PPPPPPPPPPPPPPPP: 0xVVVVVVVVVVVVVVVV". */
static uint64_t qemu_xp(ss_source *src, uint64_t pa)
{
    char cmd[64], out[256];
    snprintf(cmd, sizeof cmd, "xp /1gx %#" PRIx64, pa);
    fail_if(ss_kd_monitor(src, cmd, out, sizeof out, NULL) != SS_OK, cmd, src);
    const char *c = strstr(out, ": 0x");
    fail_if(!c, "xp: unexpected output", NULL);
    return strtoull(c + 2, NULL, 16);
}

#define RAM_PAGES 65536 /* 256 MiB */
#define HOT_MAX   2048  /* the kd page cache: 2048 direct-mapped slots */

static uint64_t page_hash(const uint8_t *p)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, 8 bytes at a time */
    const uint64_t *w = (const uint64_t *)(const void *)p;
    for (int i = 0; i < 512; i++)
        h = (h ^ w[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_prev[RAM_PAGES], hash_now[RAM_PAGES];
static uint64_t hot[HOT_MAX];
static uint8_t hot_kd[HOT_MAX][4096];
static size_t nhot;
static unsigned long hot_checked, hot_changed;

/* At a halt: checks the previous halt's hot pages, then finds and caches new ones. */
static void ram_round(ss_source *src, const uint8_t *ram, int round)
{
    static uint8_t now[4096];
    for (size_t i = 0; i < nhot; i++) {
        fail_if(ss_source_read(src, hot[i], now, 4096, NULL) != SS_OK, "hot page read", src);
        hot_checked++;
        if (memcmp(now, ram + hot[i], 4096) != 0 && bad++ < 10)
            fprintf(stderr, "halt %d: pa %#" PRIx64 ": kd serves bytes the RAM file no longer has (stale)\n",
                    round, hot[i]);
        if (memcmp(now, hot_kd[i], 4096) != 0)
            hot_changed++;
    }
    for (size_t p = 0; p < RAM_PAGES; p++)
        hash_now[p] = page_hash(ram + p * 4096);
    nhot = 0;
    static uint8_t used[HOT_MAX];
    memset(used, 0, sizeof used);
    for (size_t p = 0; round > 0 && p < RAM_PAGES && nhot < HOT_MAX; p++)
        if (hash_now[p] != hash_prev[p] && !used[p % HOT_MAX]) {
            used[p % HOT_MAX] = 1;
            hot[nhot] = (uint64_t)p * 4096;
            fail_if(ss_source_read(src, hot[nhot], hot_kd[nhot], 4096, NULL) != SS_OK, "hot page read", src);
            nhot++;
        }
    memcpy(hash_prev, hash_now, sizeof hash_prev);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: live_kd_check PORT QMP_PY QMP_SOCK WORKDIR RAMFILE\n");
        return 2;
    }
    int rfd = open(argv[5], O_RDONLY);
    const uint8_t *ram =
        rfd < 0 ? MAP_FAILED : mmap(NULL, (size_t)RAM_PAGES * 4096, PROT_READ, MAP_SHARED, rfd, 0);
    if (ram == MAP_FAILED) {
        perror(argv[5]);
        return 1;
    }
    char spec[128];
    snprintf(spec, sizeof spec, "kd:tcp:127.0.0.1:%s,timeout=30000", argv[1]);
    ss_source *src = NULL;
    ss_error err;
    if (ss_source_open(spec, &src, &err) != SS_OK) {
        fprintf(stderr, "live_kd_check: %s\n", err.message);
        return 1;
    }
    ss_space *sp = NULL;
    uint64_t cr3s[MAX_ROUNDS], probe[NPROBES], last[NPROBES];
    size_t ncr3 = 0, nprobe = 0;
    unsigned long changed = 0, probes_checked = 0;
    int distinct = 0, rounds = 0;
    uint64_t gen = ss_source_generation(src);
    for (int round = 0; round < MAX_ROUNDS && (distinct < 2 || rounds < 3); round++) {
        if (round > 0) {
            /* let the guest run: it switches processes and writes memory */
            fail_if(ss_kd_continue(src) != SS_OK, "continue", src);
            fail_if(ss_source_generation(src) == gen, "continue did not change the generation", NULL);
            uint64_t running = ss_source_generation(src);
            nanosleep(&(struct timespec){1, 300000000L * (round % 3)}, NULL);
            fail_if(ss_kd_halt(src) != SS_OK, "halt", src);
            fail_if(ss_source_generation(src) == running, "halt did not change the generation", NULL);
            gen = ss_source_generation(src);
        }
        rounds++;
        char dir[512], cmd[2048], path[600];
        snprintf(dir, sizeof dir, "%s/kd-round-%d", argv[4], round);
        fail_if(mkdir(dir, 0755) != 0, "cannot create the round's directory", NULL);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' pause '%s' 300 100 %d >/dev/null", argv[2],
                 argv[3], dir, 4242 + round);
        fail_if(system(cmd) != 0, "qmp.py pause failed", NULL);
        snprintf(path, sizeof path, "%s/cr3", dir);
        FILE *f = fopen(path, "r");
        uint64_t qemu_cr3 = 0;
        fail_if(!f || fscanf(f, "%" SCNx64, &qemu_cr3) != 1, "cannot read QEMU's cr3", NULL);
        fclose(f);
        ss_mode mode;
        uint64_t cr3;
        fail_if(ss_source_paging(src, &mode, &cr3) != SS_OK, "CR0/CR3/CR4/EFER from the stub", src);
        if (cr3 != qemu_cr3 || mode != SS_MODE_X64) {
            fprintf(stderr,
                    "live_kd_check: stub CR3 %#" PRIx64 " (%s), QEMU's info registers CR3 %#" PRIx64 "\n",
                    cr3, ss_mode_name(mode), qemu_cr3);
            return 1;
        }
        int seen = 0;
        for (size_t i = 0; i < ncr3; i++)
            seen |= cr3s[i] == cr3;
        if (!seen) {
            cr3s[ncr3++] = cr3;
            distinct++;
        }
        if (!sp)
            fail_if(ss_space_open(src, SS_MODE_AUTO, cr3, NULL, &sp) != SS_OK, "space", src);
        else
            fail_if(ss_space_set_dtb(sp, cr3) != SS_OK, "set_dtb", src);
        unsigned long before = bad;
        snprintf(path, sizeof path, "%s/gva2gpa.tsv", dir);
        check_file(sp, path, nprobe < NPROBES ? probe : NULL, &nprobe);
        snprintf(path, sizeof path, "%s/tlb.tsv", dir);
        check_file(sp, path, NULL, NULL);
        /* physical probes: the backend's cache holds the previous halt's bytes */
        unsigned long ch = 0;
        for (size_t i = 0; i < nprobe; i++) {
            uint64_t v = 0;
            fail_if(ss_source_read(src, probe[i], &v, 8, NULL) != SS_OK, "probe read", src);
            uint64_t q = qemu_xp(src, probe[i]);
            probes_checked++;
            if (v != q && bad++ < 10)
                fprintf(stderr, "round %d: pa %#" PRIx64 ": kd %#" PRIx64 ", QEMU xp %#" PRIx64 " (stale?)\n",
                        round, probe[i], v, q);
            if (round > 0 && v != last[i])
                ch++;
            last[i] = v;
        }
        changed += ch;
        unsigned long hc = hot_changed, hk = hot_checked;
        ram_round(src, ram, round);
        printf("halt %d: cr3 %#" PRIx64 "%s, generation %" PRIu64
               ", %lu disagreements, %lu of %zu probes changed, "
               "%lu of %lu hot pages changed since the last halt, %zu new hot pages\n",
               round, cr3, seen ? " (seen before)" : "", gen, bad - before, ch, nprobe, hot_changed - hc,
               hot_checked - hk, nhot);
        fflush(stdout);
    }
    ss_space_close(sp);
    printf(
        "live_kd_check: %d halts, %d distinct CR3s, %lu QEMU translations + %lu xp probes, %lu "
        "disagreements, "
        "%lu probe values changed between halts, %lu of %lu hot pages changed (none served stale), %llu stub "
        "round trips\n",
        rounds, distinct, lines, probes_checked, bad, changed, hot_changed, hot_checked,
        ss_kd_round_trips(src));
    ss_source_close(src); /* `D`: the guest runs again */
    return bad == 0 && distinct >= 2 && rounds >= 3 && lines >= 800 && hot_changed > 0 ? 0 : 1;
}
