/*
 * realdata_check — checks our readers against QEMU's own answers (see run.sh).
 *
 *   realdata_check xlat SOURCE CR3 MODE tlb.tsv gva2gpa.tsv
 *       Opens SOURCE (format sniffed), takes the paging mode from the dump itself
 *       (SS_MODE_AUTO, which must come out as MODE), and requires every line of
 *       tlb.tsv (VA page base -> PA page base, from QEMU's `info tlb`) and of
 *       gva2gpa.tsv (VA -> PA from QEMU's `gva2gpa`, or '-' where QEMU says the VA
 *       is unmapped: then it must not translate) to agree.
 *   realdata_check same A B
 *       Every page A holds reads the same from B (two routes to one guest state).
 *   realdata_check peer KDUMP
 *       libkdumpfile returns the same bytes as we do for every page KDUMP holds.
 * Exit 0 when everything agrees, 1 with the first disagreements on stderr.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace.h"
#ifdef HAVE_KDUMPFILE
#include "../kdumpfile_peer.h"
#endif

static ss_source *open_src(const char *path)
{
    ss_source *src = NULL;
    ss_error err;
    if (ss_source_open(path, &src, &err) != SS_OK) {
        fprintf(stderr, "realdata_check: %s\n", err.message);
        exit(1);
    }
    return src;
}

/* Counters of QEMU answers that are agreements of a special kind. */
typedef struct tally {
    unsigned long lines, mmio, missing_tables;
} tally;

/*
 * A paging dump (dump-guest-memory -p) holds only what the dumping CR3 maps. Under
 * kernel page-table isolation that CR3 may be the user half, which does not map
 * the kernel's direct map, so the page tables themselves can be missing from the
 * dump: then bad_pfn is the right answer. Accepted only when a complete dump of the
 * same moment (ref) translates the VA to QEMU's address and the paging structure
 * our walk could not read is indeed absent from this dump.
 */
static bool missing_table(ss_space *sp, ss_space *ref, const ss_xlat *x, uint64_t want)
{
    ss_xlat r;
    if (!ref || x->state != SS_XLAT_BAD_PFN || (x->flags & SS_XLAT_F_HAS_PA) ||
        ss_space_walk(ref, x->va, &r) != SS_OK || r.pa != want)
        return false;
    for (unsigned i = 0; i < r.nentries; i++)
        if (r.entries[i].level == x->level) {
            uint8_t b;
            size_t n;
            ss_status rs = ss_source_read(ss_space_source(sp), r.entries[i].pa, &b, 1, &n);
            return rs == SS_E_NO_PAGE || rs == SS_E_RANGE;
        }
    return false;
}

/* True when the source holds the whole 4 KiB frame of pa (what SS_XLAT_F_NOT_IN_SOURCE denies). */
static bool frame_held(ss_space *sp, uint64_t pa)
{
    static uint8_t frame[4096];
    size_t n;
    ss_status rs = ss_source_read(ss_space_source(sp), pa & ~0xfffull, frame, sizeof frame, &n);
    return rs != SS_E_NO_PAGE && rs != SS_E_RANGE;
}

static int check_file(ss_space *sp, ss_space *ref, const char *path, tally *t)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[256], pa_text[64];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        uint64_t va;
        if (sscanf(line, "%" SCNx64 "\t%63s", &va, pa_text) != 2)
            continue;
        t->lines++;
        ss_xlat x;
        ss_status st = ss_space_walk(sp, va, &x);
        if (strcmp(pa_text, "-") == 0) {
            if (st == SS_OK && bad++ < 10)
                fprintf(stderr, "%s: va %#" PRIx64 ": QEMU says unmapped, we say %s pa %#" PRIx64 "\n", path,
                        va, ss_xlat_state_name(x.state), x.pa);
            continue;
        }
        uint64_t want = strtoull(pa_text, NULL, 16);
        uint64_t tpa = 1;
        ss_status tst = ss_translate(sp, va, &tpa); /* the cached path must say the same */
        if (st == SS_OK && x.state == SS_XLAT_VALID && x.pa == want && tst == SS_OK && tpa == want) {
            /* The same translation. A translation is not a read: a frame no dump holds
             * (MMIO such as the VGA window at 0xa0000: QEMU dumps RAM only) must come
             * out valid with in_source false, and a held one with in_source true. */
            bool held = frame_held(sp, want);
            bool flagged = (x.flags & SS_XLAT_F_NOT_IN_SOURCE) != 0;
            if (flagged == held) {
                if (bad++ < 10)
                    fprintf(stderr,
                            "%s: va %#" PRIx64 ": pa %#" PRIx64 " is %sin the source, but in_source is %s\n",
                            path, va, want, held ? "" : "not ", flagged ? "false" : "true");
            } else if (flagged) {
                t->mmio++;
            }
            continue;
        }
        if (missing_table(sp, ref, &x, want) && ++t->missing_tables)
            continue;
        if (bad++ < 10)
            fprintf(stderr,
                    "%s: va %#" PRIx64 ": QEMU %#" PRIx64 ", we %s/%s pa %#" PRIx64
                    " (cached: %s pa %#" PRIx64 ")\n",
                    path, va, want, ss_status_name(st), ss_xlat_state_name(x.state), x.pa,
                    ss_status_name(tst), tpa);
    }
    fclose(f);
    return bad;
}

static ss_space *open_space(ss_source *src, uint64_t cr3, const char *mode, const char *what)
{
    ss_space *sp;
    ss_status st = ss_space_open(src, SS_MODE_AUTO, cr3, NULL, &sp);
    if (st != SS_OK) {
        fprintf(stderr, "%s: AUTO space for cr3 %#" PRIx64 ": %s\n", what, cr3, ss_status_name(st));
        exit(1);
    }
    if (strcmp(ss_mode_name(ss_space_mode(sp)), mode) != 0) {
        fprintf(stderr, "%s: the dump says mode %s, expected %s\n", what, ss_mode_name(ss_space_mode(sp)),
                mode);
        exit(1);
    }
    return sp;
}

/* xlat SOURCE CR3 MODE tlb.tsv gva2gpa.tsv [COMPLETE_DUMP] */
static int cmd_xlat(int argc, char **argv)
{
    ss_source *src = open_src(argv[0]);
    uint64_t cr3 = strtoull(argv[1], NULL, 0);
    ss_space *sp = open_space(src, cr3, argv[2], argv[0]);
    ss_source *ref_src = argc > 5 ? open_src(argv[5]) : NULL;
    ss_space *ref = ref_src ? open_space(ref_src, cr3, argv[2], argv[5]) : NULL;
    tally t = {0, 0, 0};
    int bad = check_file(sp, ref, argv[3], &t);
    bad += check_file(sp, ref, argv[4], &t);
    printf("%s: %s, %lu QEMU answers (%lu valid with in_source false: frames outside RAM, %lu under page "
           "tables this dump lacks), "
           "%d disagreements\n",
           argv[0], argv[2], t.lines, t.mmio, t.missing_tables, bad);
    ss_space_close(sp);
    ss_source_close(src);
    ss_space_close(ref);
    ss_source_close(ref_src);
    return bad == 0 && t.lines > 1000 ? 0 : 1;
}

static int cmd_same(char **argv)
{
    ss_source *a = open_src(argv[0]), *b = open_src(argv[1]);
    const ss_phys_range *r;
    size_t nr;
    ss_source_ranges(a, &r, &nr);
    static uint8_t x[4096], y[4096];
    unsigned long pages = 0, bad = 0;
    for (size_t i = 0; i < nr; i++)
        for (uint64_t pa = r[i].start; pa + 4096 <= r[i].start + r[i].size; pa += 4096, pages++) {
            size_t n;
            ss_status s1 = ss_source_read(a, pa, x, sizeof x, &n),
                      s2 = ss_source_read(b, pa, y, sizeof y, &n);
            if ((s1 != SS_OK || s2 != SS_OK || memcmp(x, y, sizeof x) != 0) && bad++ < 10)
                fprintf(stderr, "pa %#" PRIx64 ": %s vs %s%s\n", pa, ss_status_name(s1), ss_status_name(s2),
                        s1 == SS_OK && s2 == SS_OK ? ", bytes differ" : "");
        }
    printf("%s vs %s: %lu pages, %lu differ\n", argv[0], argv[1], pages, bad);
    ss_source_close(a);
    ss_source_close(b);
    return bad == 0 && pages > 1000 ? 0 : 1;
}

static int cmd_peer(char **argv)
{
#ifdef HAVE_KDUMPFILE
    ss_source *src = open_src(argv[0]);
    char msg[512];
    int rc = peer_compare(argv[0], src, msg, sizeof msg);
    if (rc != 0)
        fprintf(stderr, "%s: libkdumpfile disagrees: %s\n", argv[0], msg);
    else
        printf("%s: libkdumpfile reads the same bytes\n", argv[0]);
    ss_source_close(src);
    return rc == 0 ? 0 : 1;
#else
    fprintf(stderr, "%s: built without libkdumpfile\n", argv[0]);
    return 1;
#endif
}

int main(int argc, char **argv)
{
    if ((argc == 7 || argc == 8) && strcmp(argv[1], "xlat") == 0)
        return cmd_xlat(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "same") == 0)
        return cmd_same(argv + 2);
    if (argc == 3 && strcmp(argv[1], "peer") == 0)
        return cmd_peer(argv + 2);
    fprintf(stderr, "usage: realdata_check xlat SOURCE CR3 MODE tlb.tsv gva2gpa.tsv [COMPLETE_DUMP] | same A "
                    "B | peer KDUMP\n");
    return 2;
}
