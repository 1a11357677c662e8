/*
 * The Windows-model verbs of the sessionspace CLI, read like kd:
 *   sessions SOURCE        !session: every session, its _MM_SESSION_SPACE, its process count
 *   sprocess SOURCE [ID]   !sprocess: the processes of a session (all sessions without ID)
 *   session SOURCE ID      one session's details (the utilization view) and its images
 *   ps SOURCE              !process 0 0: every process
 *   where SOURCE VA        the region, each session's translation, shared or private, advice
 * and the --session / --process context of `vtop`, `u`, `db`, `dq` (cli_nt_context_dtb).
 * Every verb takes --isf FILE, --dtb DTB and --json (one JSON document, shapes in
 * docs/cli.md; addresses as "0x..." strings).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct nt_args {
    const char *source, *isf, *dtb_text, *head_text, *pages_text;
    bool json;
    const char *pos[2]; /* positional arguments after SOURCE */
    int npos;
} nt_args;

#define NT_OPTIONS_HELP                                                                                      \
    "  --isf FILE   Volatility 3 ISF symbol file (.json, .json.xz, .json.gz) for the kernel;\n"              \
    "               default: the built-in profile of the dump header's build\n"                              \
    "  --dtb DTB    kernel DTB; default: the dump header's / CPU 0's, else found by scan\n"                  \
    "  --ps-active-process-head VA   default: the dump header's, else kernel scan + ISF RVA\n"               \
    "  --json       one JSON document (shapes in docs/cli.md)\n"

static int parse_nt(const cli_verb *v, int argc, char **argv, int maxpos, nt_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "--isf") == 0                                      ? &a->isf
                            : strcmp(arg, "--dtb") == 0                                    ? &a->dtb_text
                            : strcmp(arg, "--ps-active-process-head") == 0                 ? &a->head_text
                            : strcmp(arg, "--pages") == 0 && strcmp(v->name, "where") == 0 ? &a->pages_text
                                                                                           : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return cli_usage_error(v, "incomplete option '%s' (it takes a value)", arg);
            *slot = argv[++i];
        } else if (strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (arg[0] == '-' && arg[1] == '-') {
            return cli_usage_error(v, "unknown option '%s'", arg);
        } else if (!a->source) {
            a->source = arg;
        } else if (a->npos < maxpos) {
            a->pos[a->npos++] = arg;
        } else {
            return cli_usage_error(v, "unexpected argument '%s'", arg);
        }
    }
    if (!a->source)
        return cli_usage_error(v, "missing SOURCE");
    return CLI_EXIT_OK;
}

/* Opens the source and the model; prints why not and returns the exit code. */
static int open_nt(const cli_verb *v, const nt_args *a, ss_source **src, ss_nt **nt)
{
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.isf_path = a->isf;
    if (a->dtb_text && ss_parse_u64(a->dtb_text, &o.dtb) != SS_OK)
        return cli_usage_error(v, "bad --dtb '%s'", a->dtb_text);
    if (a->head_text && ss_parse_u64(a->head_text, &o.ps_active_process_head) != SS_OK)
        return cli_usage_error(v, "bad --ps-active-process-head '%s'", a->head_text);
    int rc = cli_open_source(a->source, src);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_bar b;
    cli_bar_start(&b, "scan for the kernel DTB");
    if (b.on) {
        o.progress = cli_bar_draw;
        o.progress_arg = &b;
    }
    ss_error err = {0};
    ss_status st = ss_nt_open(*src, &o, nt, &err);
    cli_bar_end(&b);
    if (st != SS_OK) {
        fprintf(stderr, "sessionspace %s: %s: %s (%s)\n", v->name, a->source,
                err.message[0] ? err.message : ss_strerror(st), ss_status_name(st));
        ss_source_close(*src);
        return CLI_EXIT_OPEN;
    }
    ss_error lerr;
    if (ss_nt_list_status(*nt, &lerr) != SS_OK)
        fprintf(stderr, "sessionspace %s: warning: %s (%s); the processes read before are shown\n", v->name,
                lerr.message, ss_status_name(lerr.status));
    return CLI_EXIT_OK;
}

/* Text output: where the kernel DTB came from, when the source did not record it. */
static void text_kernel_dtb(const ss_nt *nt)
{
    size_t tried = 0;
    ss_nt_dtb_origin o = ss_nt_kernel_dtb_origin(nt, &tried);
    if (o == SS_NT_DTB_SCAN)
        printf("kernel DTB %#" PRIx64 " (found by scan: System's, after %zu root%s tried)\n",
               ss_nt_kernel_dtb(nt), tried, tried == 1 ? "" : "s");
    else if (o == SS_NT_DTB_OPTION)
        printf("kernel DTB %#" PRIx64 " (--dtb)\n", ss_nt_kernel_dtb(nt));
}

static void close_nt(ss_source *src, ss_nt *nt)
{
    ss_nt_close(nt);
    ss_source_close(src);
}

static json_t *jaddr(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "0x%" PRIx64, v);
    return json_string(b);
}

static int print_json_doc(json_t *doc)
{
    int rc = json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0 ? CLI_EXIT_OK : CLI_EXIT_OPEN;
    fputc('\n', stdout);
    json_decref(doc);
    return rc;
}

static json_t *jprocess(const ss_nt_process *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "pid", json_integer((json_int_t)p->pid));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "eprocess", jaddr(p->eprocess));
    json_object_set_new(o, "dtb", jaddr(p->dtb));
    json_object_set_new(o, "session",
                        p->session_id == SS_NT_NO_SESSION ? json_null() : json_integer(p->session_id));
    json_object_set_new(o, "user_dtb", p->user_dtb ? jaddr(p->user_dtb) : json_null());
    json_object_set_new(o, "session_space", p->session_va ? jaddr(p->session_va) : json_null());
    return o;
}

/* kd's `!process 0 0` block. */
static void text_process(const ss_nt_process *p)
{
    char e[24];
    cli_addr(e, sizeof e, p->eprocess);
    printf("PROCESS %s\n", e);
    if (p->session_id == SS_NT_NO_SESSION)
        printf("    SessionId: none  Cid: %04" PRIx64 "\n", p->pid);
    else
        printf("    SessionId: %u  Cid: %04" PRIx64 "\n", p->session_id, p->pid);
    printf("    DirBase: %08" PRIx64, p->dtb);
    if (p->user_dtb)
        printf("  UserDirBase: %08" PRIx64, p->user_dtb);
    printf("\n    Image: %s\n\n", p->name);
}

/* ------------------------------------------------------------------ sessions */

static int run_sessions(const cli_verb *self, int argc, char **argv)
{
    nt_args a;
    ss_source *src;
    ss_nt *nt;
    int rc = parse_nt(self, argc, argv, 0, &a);
    if (rc != CLI_EXIT_OK || (rc = open_nt(self, &a, &src, &nt)) != CLI_EXIT_OK)
        return rc;
    size_t n = ss_nt_session_count(nt);
    if (a.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            ss_nt_session s;
            ss_nt_session_at(nt, i, &s);
            json_t *o = json_object();
            json_object_set_new(o, "id", s.status == SS_OK ? json_integer(s.id) : json_null());
            json_object_set_new(o, "session_space", jaddr(s.va));
            json_object_set_new(o, "process_count", json_integer((json_int_t)s.process_count));
            json_object_set_new(o, "status", json_string(ss_status_name(s.status)));
            json_object_set_new(o, "context_dtb", jaddr(s.member_dtb));
            json_array_append_new(arr, o);
        }
        rc = print_json_doc(arr);
    } else {
        text_kernel_dtb(nt);
        printf("Sessions on machine: %zu\n", n);
        printf("Session  _MM_SESSION_SPACE  Processes  Context DirBase\n");
        for (size_t i = 0; i < n; i++) {
            ss_nt_session s;
            ss_nt_session_at(nt, i, &s);
            char va[24];
            cli_addr(va, sizeof va, s.va);
            if (s.status == SS_OK)
                printf("%7u  %s  %9zu  %08" PRIx64 "\n", s.id, va, s.process_count, s.member_dtb);
            else
                printf("      ?  %s  %9zu  %08" PRIx64 "  (unreadable: %s)\n", va, s.process_count,
                       s.member_dtb, ss_status_name(s.status));
        }
    }
    /* the process list was cut short: what was read is printed (open_nt warned), exit 1 */
    int cut = ss_nt_list_status(nt, NULL) != SS_OK;
    close_nt(src, nt);
    return rc != CLI_EXIT_OK ? rc : cut ? CLI_EXIT_NOT_TRANSLATED : CLI_EXIT_OK;
}

const cli_verb cli_verb_sessions = {
    "sessions",
    "list the sessions of a Windows image, like kd's !session",
    "sessions SOURCE [--isf FILE] [--dtb DTB] [--json]\n" NT_OPTIONS_HELP,
    run_sessions,
};

/* ------------------------------------------------------------------ sprocess */

/* Walks one session's SessionProcessLinks; appends to arr or prints. Returns 0 or 1 (cut short). */
static int sprocess_one(ss_nt *nt, uint32_t id, json_t *arr)
{
    ss_nt_process procs[256];
    size_t n = 0;
    ss_error err = {0};
    ss_status st = ss_nt_session_processes(nt, id, procs, 256, &n, &err);
    if (st != SS_OK && st != SS_E_CORRUPT) {
        fprintf(stderr, "sessionspace sprocess: %s (%s)\n", err.message, ss_status_name(st));
        return 1;
    }
    size_t shown = n < 256 ? n : 256;
    if (!arr) {
        ss_nt_session s;
        ss_nt_session_find(nt, id, &s, NULL, NULL);
        char va[24];
        cli_addr(va, sizeof va, s.va);
        printf("Dumping Session %u\n\n_MM_SESSION_SPACE %s\n\n", id, va);
    }
    for (size_t i = 0; i < shown; i++) {
        if (arr)
            json_array_append_new(arr, jprocess(&procs[i]));
        else
            text_process(&procs[i]);
    }
    if (n > shown)
        fprintf(stderr, "sessionspace sprocess: session %u: %zu more processes not shown\n", id, n - shown);
    if (st != SS_OK) {
        fprintf(stderr, "sessionspace sprocess: %s (%s)\n", err.message, ss_status_name(st));
        return 1;
    }
    return 0;
}

static int run_sprocess(const cli_verb *self, int argc, char **argv)
{
    nt_args a;
    ss_source *src;
    ss_nt *nt;
    int rc = parse_nt(self, argc, argv, 1, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t id = 0;
    if (a.npos && (ss_parse_u64(a.pos[0], &id) != SS_OK || id >= SS_NT_NO_SESSION))
        return cli_usage_error(self, "bad session id '%s'", a.pos[0]);
    if ((rc = open_nt(self, &a, &src, &nt)) != CLI_EXIT_OK)
        return rc;
    if (a.npos) {
        ss_error err = {0};
        if (ss_nt_session_find(nt, (uint32_t)id, NULL, NULL, &err) != SS_OK) {
            fprintf(stderr, "sessionspace sprocess: %s (%s)\n", err.message, ss_status_name(err.status));
            close_nt(src, nt);
            return CLI_EXIT_NOT_TRANSLATED;
        }
    }
    json_t *arr = a.json ? json_array() : NULL;
    int cut = 0;
    for (size_t i = 0; i < ss_nt_session_count(nt); i++) {
        ss_nt_session s;
        ss_nt_session_at(nt, i, &s);
        if (s.status != SS_OK || (a.npos && s.id != id))
            continue;
        cut |= sprocess_one(nt, s.id, arr);
    }
    rc = arr ? print_json_doc(arr) : CLI_EXIT_OK;
    close_nt(src, nt);
    return rc != CLI_EXIT_OK ? rc : cut ? CLI_EXIT_NOT_TRANSLATED : CLI_EXIT_OK;
}

const cli_verb cli_verb_sprocess = {
    "sprocess",
    "the processes of a session (all sessions without ID), like kd's !sprocess",
    "sprocess SOURCE [ID] [--isf FILE] [--dtb DTB] [--json]\n" NT_OPTIONS_HELP,
    run_sprocess,
};

/* ------------------------------------------------------------------ session */

static int run_session(const cli_verb *self, int argc, char **argv)
{
    nt_args a;
    ss_source *src;
    ss_nt *nt;
    int rc = parse_nt(self, argc, argv, 1, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t id;
    if (a.npos != 1)
        return cli_usage_error(self, "missing session ID");
    if (ss_parse_u64(a.pos[0], &id) != SS_OK || id >= SS_NT_NO_SESSION)
        return cli_usage_error(self, "bad session id '%s'", a.pos[0]);
    if ((rc = open_nt(self, &a, &src, &nt)) != CLI_EXIT_OK)
        return rc;
    ss_nt_session s;
    ss_error err = {0};
    if (ss_nt_session_find(nt, (uint32_t)id, &s, NULL, &err) != SS_OK) {
        fprintf(stderr, "sessionspace session: %s (%s)\n", err.message, ss_status_name(err.status));
        close_nt(src, nt);
        return CLI_EXIT_NOT_TRANSLATED;
    }
    ss_nt_image im[128];
    size_t n = 0;
    ss_error ierr = {0};
    ss_status ist = ss_nt_session_images(nt, s.id, im, 128, &n, &ierr);
    size_t shown = n < 128 ? n : 128;
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(s.id));
        json_object_set_new(o, "session_space", jaddr(s.va));
        json_object_set_new(o, "context_dtb", jaddr(s.member_dtb));
        json_object_set_new(o, "process_count", json_integer((json_int_t)s.process_count));
        json_object_set_new(o, "paged_pool_start",
                            s.have & SS_NT_HAVE_PAGED_POOL ? jaddr(s.paged_pool_start) : json_null());
        json_object_set_new(o, "paged_pool_end",
                            s.have & SS_NT_HAVE_PAGED_POOL ? jaddr(s.paged_pool_end) : json_null());
        json_object_set_new(o, "committed_pages",
                            s.have & SS_NT_HAVE_COMMITTED ? json_integer((json_int_t)s.committed_pages)
                                                          : json_null());
        json_object_set_new(o, "non_pagable_pages",
                            s.have & SS_NT_HAVE_NONPAGED ? json_integer((json_int_t)s.non_pagable_pages)
                                                         : json_null());
        json_object_set_new(o, "resident_process_count",
                            s.have & SS_NT_HAVE_RESIDENT ? json_integer(s.resident_process_count)
                                                         : json_null());
        /* What the layout lacks or the model could not read is null, not 0 or "": without a
           data table entry (Windows 10+ built-in layouts) size and name are unknown. */
        const ss_nt_profile *prof = ss_nt_get_profile(nt);
        int have_last = prof && prof->image_last_address != SS_NT_NO_FIELD;
        json_t *arr = json_array();
        for (size_t i = 0; i < shown; i++) {
            json_t *e = json_object();
            int have_ldr = im[i].ldr != 0;
            json_object_set_new(e, "base", jaddr(im[i].base));
            json_object_set_new(e, "size", have_ldr && im[i].size ? jaddr(im[i].size) : json_null());
            json_object_set_new(e, "name", im[i].name[0] ? json_string(im[i].name) : json_null());
            json_object_set_new(e, "last_address", have_last ? jaddr(im[i].last_address) : json_null());
            json_object_set_new(e, "ldr_entry", have_ldr ? jaddr(im[i].ldr) : json_null());
            json_array_append_new(arr, e);
        }
        json_object_set_new(o, "images", arr);
        json_object_set_new(o, "images_error", ist == SS_OK ? json_null() : json_string(ierr.message));
        rc = print_json_doc(o);
    } else {
        char va[24];
        cli_addr(va, sizeof va, s.va);
        printf("Session %u\n  _MM_SESSION_SPACE   %s\n  Context DirBase     %08" PRIx64 "\n", s.id, va,
               s.member_dtb);
        printf("  Processes           %zu\n", s.process_count);
        if (s.have & SS_NT_HAVE_PAGED_POOL) {
            char lo[24], hi[24];
            cli_addr(lo, sizeof lo, s.paged_pool_start);
            cli_addr(hi, sizeof hi, s.paged_pool_end);
            printf("  Paged pool          %s - %s\n", lo, hi);
        }
        if (s.have & SS_NT_HAVE_COMMITTED)
            printf("  Committed pages     %" PRIu64 " (%" PRIu64 " KiB)\n", s.committed_pages,
                   s.committed_pages * 4);
        if (s.have & SS_NT_HAVE_NONPAGED)
            printf("  NonPageable pages   %" PRIu64 "\n", s.non_pagable_pages);
        if (s.have & SS_NT_HAVE_RESIDENT)
            printf("  Resident processes  %u\n", s.resident_process_count);
        if (shown)
            printf("\nImage             Base               Size\n");
        for (size_t i = 0; i < shown; i++) {
            char b[24];
            cli_addr(b, sizeof b, im[i].base);
            if (im[i].ldr && im[i].size)
                printf("%-16s  %s  %08" PRIx64 "\n", im[i].name[0] ? im[i].name : "?", b, im[i].size);
            else
                printf("%-16s  %s  %8s\n", im[i].name[0] ? im[i].name : "?", b, "?");
        }
    }
    if (ist != SS_OK)
        fprintf(stderr, "sessionspace session: images: %s (%s)\n", ierr.message, ss_status_name(ist));
    close_nt(src, nt);
    return rc != CLI_EXIT_OK ? rc : ist != SS_OK ? CLI_EXIT_NOT_TRANSLATED : CLI_EXIT_OK;
}

const cli_verb cli_verb_session = {
    "session",
    "one session: pool bounds, committed / non-pageable pages, resident processes, images",
    "session SOURCE ID [--isf FILE] [--dtb DTB] [--json]\n" NT_OPTIONS_HELP,
    run_session,
};

/* ------------------------------------------------------------------ ps */

static int run_ps(const cli_verb *self, int argc, char **argv)
{
    nt_args a;
    ss_source *src;
    ss_nt *nt;
    int rc = parse_nt(self, argc, argv, 0, &a);
    if (rc != CLI_EXIT_OK || (rc = open_nt(self, &a, &src, &nt)) != CLI_EXIT_OK)
        return rc;
    json_t *arr = a.json ? json_array() : NULL;
    if (!arr) {
        text_kernel_dtb(nt);
        printf("**** ACTIVE PROCESSES ****\n");
    }
    for (size_t i = 0; i < ss_nt_process_count(nt); i++) {
        ss_nt_process p;
        ss_nt_process_at(nt, i, &p);
        if (arr)
            json_array_append_new(arr, jprocess(&p));
        else
            text_process(&p);
    }
    rc = arr ? print_json_doc(arr) : CLI_EXIT_OK;
    int cut = ss_nt_list_status(nt, NULL) != SS_OK;
    close_nt(src, nt);
    return rc != CLI_EXIT_OK ? rc : cut ? CLI_EXIT_NOT_TRANSLATED : CLI_EXIT_OK;
}

const cli_verb cli_verb_ps = {
    "ps",
    "every process (ActiveProcessLinks), like kd's !process 0 0",
    "ps SOURCE [--isf FILE] [--dtb DTB] [--json]\n" NT_OPTIONS_HELP,
    run_ps,
};

/* ------------------------------------------------------------------ where */

static int run_where(const cli_verb *self, int argc, char **argv)
{
    nt_args a;
    ss_source *src;
    ss_nt *nt;
    int rc = parse_nt(self, argc, argv, 1, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t va;
    if (a.npos != 1)
        return cli_usage_error(self, "missing VA");
    if (ss_parse_u64(a.pos[0], &va) != SS_OK)
        return cli_usage_error(self, "bad virtual address '%s'", a.pos[0]);
    if ((rc = open_nt(self, &a, &src, &nt)) != CLI_EXIT_OK)
        return rc;
    if (a.pages_text) {
        uint64_t pages;
        ss_nt_where_range_stats rs;
        char *end; /* a count: decimal (or 0x hex), unlike addresses */
        pages = strtoull(a.pages_text, &end, strncmp(a.pages_text, "0x", 2) == 0 ? 16 : 10);
        if (*end || end == a.pages_text || a.pages_text[0] == '-' || pages == 0 || pages > (1ull << 36)) {
            close_nt(src, nt);
            return cli_usage_error(self, "bad --pages '%s' (1 to 2^36)", a.pages_text);
        }
        ss_nt_region region;
        ss_nt_region_of(nt, va, &region, NULL, NULL);
        if (ss_nt_where_range(nt, va, pages, &rs) != SS_OK) {
            fprintf(stderr, "sessionspace where: out of memory\n");
            close_nt(src, nt);
            return CLI_EXIT_OPEN;
        }
        if (a.json) {
            json_t *o = json_object();
            json_object_set_new(o, "va", jaddr(va & ~0xfffull));
            json_object_set_new(o, "region", json_string(ss_nt_region_name(region)));
            json_object_set_new(o, "pages", json_integer((json_int_t)rs.pages));
            json_object_set_new(o, "sessions", json_integer((json_int_t)ss_nt_session_count(nt)));
            json_object_set_new(o, "shared", json_integer((json_int_t)rs.shared));
            json_object_set_new(o, "private", json_integer((json_int_t)rs.private_frames));
            json_object_set_new(o, "unmapped", json_integer((json_int_t)rs.unmapped));
            json_object_set_new(o, "translations", json_integer((json_int_t)rs.translations));
            rc = print_json_doc(o);
        } else {
            char vb[24];
            cli_addr(vb, sizeof vb, va & ~0xfffull);
            printf("%" PRIu64 " pages from %s (%s) across %zu sessions:\n", rs.pages, vb,
                   ss_nt_region_name(region), ss_nt_session_count(nt));
            printf("  shared (one frame in every session that maps it)  %" PRIu64 "\n", rs.shared);
            printf("  private (different frames)                        %" PRIu64 "\n", rs.private_frames);
            printf("  unmapped in every session                         %" PRIu64 "\n", rs.unmapped);
        }
        close_nt(src, nt);
        return rc;
    }
    ss_nt_where_entry e[64];
    ss_nt_where w;
    ss_nt_where_va(nt, va, e, 64, &w);
    size_t shown = w.nsessions < 64 ? w.nsessions : 64;
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "va", jaddr(va));
        json_object_set_new(o, "region", json_string(ss_nt_region_name(w.region)));
        json_t *arr = json_array();
        for (size_t i = 0; i < shown; i++) {
            json_t *s = json_object();
            json_object_set_new(s, "session", json_integer(e[i].session));
            json_object_set_new(s, "status", json_string(ss_xlat_state_name(e[i].state)));
            json_object_set_new(s, "pa", e[i].status == SS_OK ? jaddr(e[i].pa) : json_null());
            json_object_set_new(s, "page_hash", e[i].has_hash ? jaddr(e[i].hash) : json_null());
            json_array_append_new(arr, s);
        }
        json_object_set_new(o, "sessions", arr);
        json_object_set_new(o, "shared", json_boolean(w.shared));
        json_object_set_new(o, "advice", json_string(ss_nt_advice_text(w.advice)));
        json_object_set_new(o, "same_content", json_boolean(w.same_content));
        json_object_set_new(o, "verdict", json_string(ss_nt_advice_name(w.advice)));
        rc = print_json_doc(o);
    } else {
        char vb[24];
        cli_addr(vb, sizeof vb, va);
        printf("VA %s: %s\n", vb, ss_nt_region_name(w.region));
        for (size_t i = 0; i < shown; i++) {
            printf("  session %-3u %-12s", e[i].session, ss_xlat_state_name(e[i].state));
            if (e[i].status == SS_OK) {
                char pb[24];
                cli_addr(pb, sizeof pb, e[i].pa);
                printf(" pa %s", pb);
            }
            printf("\n");
        }
        if (w.ntranslated > 1)
            printf("%s\n", w.shared         ? "one frame in every session that maps it"
                           : w.same_content ? "different frames, identical page contents (XXH3)"
                                            : "different frames, different contents");
        printf("advice: %s\n", ss_nt_advice_text(w.advice));
    }
    close_nt(src, nt);
    return rc != CLI_EXIT_OK ? rc : w.ntranslated ? CLI_EXIT_OK : CLI_EXIT_NOT_TRANSLATED;
}

const cli_verb cli_verb_where = {
    "where",
    "where a VA is valid: region, each session's frame, shared or private, breakpoint advice",
    "where SOURCE VA [--pages N] [--isf FILE] [--dtb DTB] [--json]\n"
    "  --pages N    the range of N pages from VA: counts of shared / private / unmapped "
    "pages\n" NT_OPTIONS_HELP,
    run_where,
};

/* ------------------------------------------------------------------ vtop --session / --process */

int cli_nt_context_dtb(const cli_verb *v, const char *source, const char *isf, const char *dtb_text,
                       const char *session, const char *process, bool user, uint64_t *dtb)
{
    uint64_t n;
    const char *what = session ? session : process;
    if (ss_parse_u64(what, &n) != SS_OK) {
        fprintf(stderr, "sessionspace %s: bad %s '%s'\n", v->name, session ? "--session ID" : "--process PID",
                what);
        return CLI_EXIT_USAGE;
    }
    nt_args a = {0};
    a.source = source;
    a.isf = isf;
    a.dtb_text = dtb_text;
    ss_source *src;
    ss_nt *nt;
    int rc = open_nt(v, &a, &src, &nt);
    if (rc != CLI_EXIT_OK)
        return rc;
    ss_space *sp = NULL;
    ss_error err = {0};
    ss_status st = session
                       ? ss_nt_session_space(nt, (uint32_t)n, &sp, &err)
                       : ss_nt_process_space(nt, n, user ? SS_NT_ROOT_USER : SS_NT_ROOT_KERNEL, &sp, &err);
    if (st == SS_OK)
        *dtb = ss_space_dtb(sp);
    else
        fprintf(stderr, "sessionspace %s: %s (%s)\n", v->name, err.message, ss_status_name(st));
    ss_space_close(sp);
    close_nt(src, nt);
    return st == SS_OK ? CLI_EXIT_OK : CLI_EXIT_NOT_TRANSLATED;
}
