/*
 * sessionspace scan SOURCE [--json] [--la57] [--min-kernel N]  (an entry of cli.h's verb table)
 *
 * Symbol-less discovery (sessionspace/scan.h): every page of the source is checked
 * for a top-level page table that maps itself (the Windows self-map); the roots found
 * are grouped into sessions by the frames of their session-space PML4 entries. Text
 * or one JSON document (docs/cli.md, "scan"); a progress bar on stderr when stderr is
 * a terminal.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sessionspace.h"

/* Exit code 1 (CLI_EXIT_NOT_TRANSLATED for vtop) means "no root found" here. */
enum { SCAN_EXIT_NONE = 1 };

static json_t *hex(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%" PRIx64, v);
    return json_string(s);
}

/* The distinct session-space frames (slot, PDPT pa) of the roots of one cluster. */
static json_t *cluster_frames(ss_source *src, const ss_scan_candidate *c, const uint32_t *cl, size_t n,
                              uint32_t k, const uint8_t kinds[512])
{
    json_t *arr = json_array();
    for (unsigned s = 256; s < 512; s++) {
        if (kinds[s] != SS_SLOT_SESSION)
            continue;
        uint64_t seen[64];
        size_t nseen = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t e;
            if (cl[i] != k || ss_source_read(src, c[i].dtb + 8ull * s, &e, 8, NULL) != SS_OK || !(e & 1))
                continue;
            uint64_t pa = e & 0x000ffffffffff000ull;
            bool dup = false;
            for (size_t j = 0; j < nseen && !dup; j++)
                dup = seen[j] == pa;
            if (dup || nseen == 64)
                continue;
            seen[nseen++] = pa;
            json_t *o = json_object();
            json_object_set_new(o, "slot", json_integer(s));
            json_object_set_new(o, "pa", hex(pa));
            json_array_append_new(arr, o);
        }
    }
    return arr;
}

static json_t *slots_of(const uint8_t kinds[512], ss_slot_kind kind)
{
    json_t *a = json_array();
    for (unsigned s = 0; s < 512; s++)
        if (kinds[s] == kind)
            json_array_append_new(a, json_integer(s));
    return a;
}

static void print_slots(const char *label, const uint8_t kinds[512], ss_slot_kind kind)
{
    printf("%-20s", label);
    bool any = false;
    for (unsigned s = 0; s < 512; s++)
        if (kinds[s] == kind) {
            printf(" %#x", s);
            any = true;
        }
    printf("%s\n", any ? "" : " -");
}

static int report(ss_source *src, const char *spec, const ss_scan_candidate *c, size_t n,
                  const ss_scan_stats *st, bool json, bool la57)
{
    uint32_t *cl = calloc(n ? n : 1, sizeof *cl);
    uint64_t *dtbs = calloc(n ? n : 1, sizeof *dtbs);
    uint8_t kinds[512];
    memset(kinds, SS_SLOT_UNUSED, sizeof kinds);
    size_t ncl = 0;
    if (!cl || !dtbs) {
        fprintf(stderr, "sessionspace scan: out of memory\n");
        free(cl);
        free(dtbs);
        return CLI_EXIT_OPEN;
    }
    for (size_t i = 0; i < n; i++)
        dtbs[i] = c[i].dtb;
    ss_status cs = SS_OK;
    if (n > 0 && !la57)
        cs = ss_scan_cluster(src, dtbs, n, cl, &ncl, kinds);
    if (cs != SS_OK) {
        fprintf(stderr, "sessionspace scan: cannot cluster the roots: %s\n", ss_strerror(cs));
        memset(cl, 0, n * sizeof *cl);
        ncl = 0;
    }
    bool clustered = n > 0 && !la57 && cs == SS_OK;
    size_t nosession = 0;
    for (size_t i = 0; i < n; i++)
        nosession += cl[i] == 0;

    if (json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "source", json_string(spec));
        json_object_set_new(doc, "format", json_string(ss_format_name(ss_source_format(src))));
        json_object_set_new(doc, "bytes_scanned",
                            json_integer((json_int_t)(st->pages_scanned * SS_PAGE_SIZE)));
        json_object_set_new(doc, "pages_unreadable", json_integer((json_int_t)st->pages_unreadable));
        json_t *jd = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "dtb", hex(c[i].dtb));
            json_object_set_new(o, "self_map_slot", json_integer(c[i].self_map_slot));
            json_object_set_new(o, "self_map_base", hex(c[i].self_map_base));
            json_object_set_new(o, "cluster", clustered ? json_integer(cl[i]) : json_null());
            json_array_append_new(jd, o);
        }
        json_object_set_new(doc, "dtbs", jd);
        json_t *jc = json_array();
        for (uint32_t k = 0; clustered && k <= ncl; k++) {
            if (k == 0 && nosession == 0)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "cluster", json_integer(k));
            json_object_set_new(o, "session_space", json_boolean(k != 0));
            json_object_set_new(o, "session_frames", cluster_frames(src, c, cl, n, k, kinds));
            json_t *members = json_array();
            for (size_t i = 0; i < n; i++)
                if (cl[i] == k)
                    json_array_append_new(members, hex(c[i].dtb));
            json_object_set_new(o, "dtbs", members);
            json_array_append_new(jc, o);
        }
        json_object_set_new(doc, "clusters", jc);
        json_t *js = json_object();
        json_object_set_new(js, "self_map", slots_of(kinds, SS_SLOT_SELF_MAP));
        json_object_set_new(js, "session", slots_of(kinds, SS_SLOT_SESSION));
        json_object_set_new(js, "global", slots_of(kinds, SS_SLOT_GLOBAL));
        json_object_set_new(js, "private", slots_of(kinds, SS_SLOT_PRIVATE));
        json_object_set_new(doc, "slots", clustered ? js : json_null());
        if (!clustered)
            json_decref(js);
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (text) {
            puts(text);
            free(text);
        }
    } else {
        printf("scanned %.1f MiB (%" PRIu64 " pages, %" PRIu64 " unreadable) of %s: %zu page-table root%s\n",
               st->pages_scanned * SS_PAGE_SIZE / 1048576.0, st->pages_scanned, st->pages_unreadable, spec, n,
               n == 1 ? "" : "s");
        if (n > 0)
            printf("%-17s  %-5s  %-17s  %s\n", "dtb", "slot", "self-map base", "cluster");
        for (size_t i = 0; i < n; i++) {
            char k[24];
            if (!clustered)
                snprintf(k, sizeof k, "-");
            else if (cl[i] == 0)
                snprintf(k, sizeof k, "0 (no session)");
            else
                snprintf(k, sizeof k, "%" PRIu32, cl[i]);
            char dtb[24], base[24];
            cli_addr(dtb, sizeof dtb, c[i].dtb);
            cli_addr(base, sizeof base, c[i].self_map_base);
            printf("%-17s  %#5x  %-17s  %s\n", dtb, c[i].self_map_slot, base, k);
        }
        if (clustered) {
            printf("%zu session cluster%s, %zu root%s without session space\n", ncl, ncl == 1 ? "" : "s",
                   nosession, nosession == 1 ? "" : "s");
            print_slots("session slots:", kinds, SS_SLOT_SESSION);
            print_slots("kernel-global slots:", kinds, SS_SLOT_GLOBAL);
            print_slots("per-process slots:", kinds, SS_SLOT_PRIVATE);
            print_slots("self-map slots:", kinds, SS_SLOT_SELF_MAP);
        }
    }
    free(cl);
    free(dtbs);
    return n ? CLI_EXIT_OK : SCAN_EXIT_NONE;
}

static int run_scan(const cli_verb *self, int argc, char **argv)
{
    const char *spec = NULL;
    bool json = false, la57 = false;
    uint64_t min_kernel = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--la57") == 0)
            la57 = true;
        else if (strcmp(argv[i], "--min-kernel") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(self, "%s", "incomplete option '--min-kernel' (it takes a value)");
            const char *v = argv[++i];
            char *end = NULL;
            min_kernel = strspn(v, "0123456789") == strlen(v) ? strtoull(v, &end, 10) : 0;
            if (!end || *end || min_kernel < 1 || min_kernel > 255)
                return cli_usage_error(self, "bad --min-kernel value '%s' (1 to 255)", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] != 0)
            return cli_usage_error(self, "unknown option '%s'", argv[i]);
        else if (!spec)
            spec = argv[i];
        else
            return cli_usage_error(self, "unexpected argument '%s'", argv[i]);
    }
    if (!spec)
        return cli_usage_error(self, "%s", "missing SOURCE");
    ss_source *src;
    int orc = cli_open_source(spec, &src);
    if (orc != CLI_EXIT_OK)
        return orc;
    cli_bar b;
    cli_bar_start(&b, "scan");
    ss_scan_options o = SS_SCAN_OPTIONS_INIT;
    o.mode = la57 ? SS_MODE_LA57 : SS_MODE_X64;
    o.min_kernel_entries = (uint32_t)min_kernel;
    o.progress_step = 16u << 20;
    if (b.on) {
        o.progress = cli_bar_draw;
        o.progress_arg = &b;
    }
    ss_scan_candidate *c = NULL;
    size_t n = 0;
    ss_scan_stats st;
    ss_status s = ss_scan_collect(src, &o, &c, &n, &st);
    cli_bar_end(&b);
    if (s != SS_OK) {
        fprintf(stderr, "sessionspace scan: %s: %s\n", spec, ss_strerror(s));
        ss_source_close(src);
        return CLI_EXIT_OPEN;
    }
    int rc = report(src, spec, c, n, &st, json, la57);
    ss_scan_free(c);
    ss_source_close(src);
    return rc;
}

const cli_verb cli_verb_scan = {
    "scan",
    "find page-table roots by their self-map and group them into sessions (no symbols)",
    "scan SOURCE [--json] [--la57] [--min-kernel N]\n"
    "  --json           one JSON document: roots, session clusters, PML4 slot kinds (docs/cli.md)\n"
    "  --la57           the tables are PML5s (5-level paging): self-map base from bit 48, no\n"
    "                   clustering\n"
    "  --min-kernel N   present supervisor kernel-half entries a root must have besides the\n"
    "                   self-map (default 6; 1 with --la57)\n",
    run_scan,
};
