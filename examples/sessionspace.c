/*
 * sessionspace — command-line front end of libsessionspace, with kd-flavoured verbs.
 *
 *   sessionspace info SOURCE [--json]
 *   sessionspace vtop SOURCE VA [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte] [--json]
 *   sessionspace vtop SOURCE --batch FILE|- [--dtb DTB] [...]
 *   sessionspace scan SOURCE [--json] [--la57]       (verb_scan.c)
 *
 * Output formats and exit codes are documented in docs/cli.md; the JSON field and
 * status names are stable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace.h"

int verb_scan(int argc, char **argv); /* verb_scan.c */

enum { EXIT_OK = 0, EXIT_NOT_TRANSLATED = 1, EXIT_USAGE = 2, EXIT_OPEN = 3 };

typedef struct options {
    const char *source;
    const char *va_text;
    const char *batch;
    const char *dtb_text;
    ss_mode mode;
    bool json;
    bool win7_pte;
} options;

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  sessionspace info SOURCE [--json]\n"
          "  sessionspace vtop SOURCE VA [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte] [--json]\n"
          "  sessionspace vtop SOURCE --batch FILE|- [--dtb DTB] [--mode ...] [--json]\n"
          "  sessionspace scan SOURCE [--json] [--la57]\n"
          "--dtb defaults to the DTB the source records (crash-dump header, CPU 0's CR3);\n"
          "--mode defaults to the paging mode it records.\n"
          "SOURCE is a file (format sniffed) or raw:PATH, dmp:PATH, elf:PATH, kdump:PATH, lime:PATH.\n"
          "Numbers: 0x hex, plain hex, kd's fffff99b`3c078c87, or 0n decimal.\n",
          f);
}

static int fail_usage(const char *fmt, const char *arg)
{
    fputs("sessionspace: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return EXIT_USAGE;
}

static bool parse_mode(const char *s, ss_mode *mode)
{
    static const ss_mode all[] = {SS_MODE_X86, SS_MODE_PAE, SS_MODE_X64, SS_MODE_LA57, SS_MODE_AUTO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, ss_mode_name(all[i])) == 0) {
            *mode = all[i];
            return true;
        }
    return false;
}

/* Parses argv[2..]; positional arguments fill source, then va. */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = SS_MODE_AUTO;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            o->json = true;
        else if (strcmp(a, "--win7-pte") == 0)
            o->win7_pte = true;
        else if (strcmp(a, "--dtb") == 0 && has_value)
            o->dtb_text = argv[++i];
        else if (strcmp(a, "--batch") == 0 && has_value)
            o->batch = argv[++i];
        else if (strcmp(a, "--mode") == 0 && has_value) {
            if (!parse_mode(argv[++i], &o->mode))
                return fail_usage("unknown mode '%s' (x86, pae, x64, la57)", argv[i]);
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(EXIT_OK);
        } else if (a[0] == '-' && a[1] == '-')
            return fail_usage("unknown or incomplete option '%s'", a);
        else if (!o->source)
            o->source = a;
        else if (!o->va_text)
            o->va_text = a;
        else
            return fail_usage("unexpected argument '%s'", a);
    }
    if (!o->source)
        return fail_usage("%s", "missing SOURCE");
    return EXIT_OK;
}

static int open_source(const char *spec, ss_source **src)
{
    ss_error err = {0};
    ss_status st = ss_source_open(spec, src, &err);
    if (st != SS_OK) {
        fprintf(stderr, "sessionspace: %s (%s)\n", err.message[0] ? err.message : ss_strerror(st),
                ss_status_name(st));
        return EXIT_OPEN;
    }
    return EXIT_OK;
}

/* kd's way of printing a 64-bit address: fffff99b`3c078c87. */
static void kd_addr(char *buf, size_t n, uint64_t v, ss_mode mode)
{
    if (mode == SS_MODE_X86 || mode == SS_MODE_PAE)
        snprintf(buf, n, "%08" PRIx64, v);
    else
        snprintf(buf, n, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xffffffffu);
}

static const char *level_name(unsigned level, ss_mode mode)
{
    static const char *names[] = {"?", "pte", "pde", "pdpte", "pml4e", "pml5e"};
    (void)mode;
    return level <= 5 ? names[level] : "?";
}

static void print_json(FILE *f, const ss_xlat *x, ss_mode mode)
{
    fprintf(f, "{\"va\":\"0x%" PRIx64 "\",", x->va);
    if (x->flags & SS_XLAT_F_HAS_PA)
        fprintf(f, "\"pa\":\"0x%" PRIx64 "\",", x->pa);
    else
        fputs("\"pa\":null,", f);
    fprintf(f, "\"page_size\":%" PRIu64 ",\"status\":\"%s\",\"level\":\"%s\",", x->page_size,
            ss_xlat_state_name(x->state), level_name(x->level, mode));
    fprintf(f, "\"mode\":\"%s\",", ss_mode_name(mode));
    if (x->flags & SS_XLAT_F_HAS_PA)
        fprintf(f, "\"rw\":%s,\"us\":%s,\"nx\":%s,\"large\":%s,\"global\":%s,",
                x->flags & SS_XLAT_F_RW ? "true" : "false", x->flags & SS_XLAT_F_US ? "true" : "false",
                x->flags & SS_XLAT_F_NX ? "true" : "false", x->flags & SS_XLAT_F_LARGE ? "true" : "false",
                x->flags & SS_XLAT_F_GLOBAL ? "true" : "false");
    switch (x->state) {
    case SS_XLAT_PAGEFILE:
        fprintf(f, "\"pagefile\":{\"number\":%u,\"offset\":\"0x%" PRIx64 "\"},\"protection\":%u,",
                x->pagefile_number, x->pagefile_offset, x->protection);
        break;
    case SS_XLAT_PROTOTYPE:
        fprintf(f, "\"prototype\":\"0x%" PRIx64 "\",\"protection\":%u,", x->proto_address, x->protection);
        break;
    case SS_XLAT_TRANSITION:
    case SS_XLAT_DEMAND_ZERO: fprintf(f, "\"protection\":%u,", x->protection); break;
    default: break;
    }
    fputs("\"entries\":[", f);
    for (unsigned i = 0; i < x->nentries; i++)
        fprintf(f, "%s{\"level\":\"%s\",\"pa\":\"0x%" PRIx64 "\",\"value\":\"0x%" PRIx64 "\"}", i ? "," : "",
                level_name(x->entries[i].level, mode), x->entries[i].pa, x->entries[i].value);
    fputs("]}\n", f);
}

static void print_text(FILE *f, const ss_xlat *x, ss_mode mode)
{
    char va[32], buf[32];
    kd_addr(va, sizeof va, x->va, mode);
    fprintf(f, "VA %s (%s)\n", va, ss_mode_name(mode));
    for (unsigned i = 0; i < x->nentries; i++) {
        kd_addr(buf, sizeof buf, x->entries[i].pa, SS_MODE_X64);
        fprintf(f, "  %-5s at %s  contains %016" PRIx64 "\n", level_name(x->entries[i].level, mode), buf,
                x->entries[i].value);
    }
    if (x->flags & SS_XLAT_F_HAS_PA) { /* valid, transition, or bad_pfn of the final frame */
        kd_addr(buf, sizeof buf, x->pa, SS_MODE_X64);
        fprintf(f, "  -> pa %s  %s page, %s%s%s%s%s\n", buf,
                x->page_size == 4096         ? "4 KiB"
                : x->page_size == (2u << 20) ? "2 MiB"
                : x->page_size == (4u << 20) ? "4 MiB"
                                             : "1 GiB",
                ss_xlat_state_name(x->state), x->flags & SS_XLAT_F_RW ? ", writable" : ", read-only",
                x->flags & SS_XLAT_F_US ? ", user" : ", kernel",
                x->flags & SS_XLAT_F_NX ? ", no-execute" : "",
                x->state == SS_XLAT_BAD_PFN ? " (frame not in the source)" : "");
        return;
    }
    fprintf(f, "  -> %s at the %s", ss_xlat_state_name(x->state), level_name(x->level, mode));
    if (x->state == SS_XLAT_PAGEFILE)
        fprintf(f, ": pagefile %u offset 0x%" PRIx64 ", protection %u", x->pagefile_number,
                x->pagefile_offset, x->protection);
    else if (x->state == SS_XLAT_PROTOTYPE)
        fprintf(f, ": prototype PTE at 0x%" PRIx64, x->proto_address);
    else if (x->state == SS_XLAT_DEMAND_ZERO)
        fprintf(f, ": protection %u", x->protection);
    fputc('\n', f);
}

static void print_header_json(const ss_dump_info *info)
{
    if (info->flags & SS_INFO_PAGING_MODE)
        printf(",\"mode\":\"%s\"", ss_mode_name(info->paging_mode));
    if (info->flags & SS_INFO_DTB)
        printf(",\"dtb\":\"0x%" PRIx64 "\"", info->directory_table_base);
    if (info->flags & SS_INFO_WINDOWS_HEADER)
        printf(",\"windows\":{\"ps_active_process_head\":\"0x%" PRIx64
               "\",\"ps_loaded_module_list\":\"0x%" PRIx64 "\",\"kd_debugger_data_block\":\"0x%" PRIx64
               "\",\"machine_type\":\"0x%x\",\"major_version\":%u"
               ",\"minor_version\":%u,\"processors\":%u,\"dump_type\":%u,\"pae\":%s}",
               info->ps_active_process_head, info->ps_loaded_module_list, info->kd_debugger_data_block,
               info->machine_type, info->major_version, info->minor_version, info->number_processors,
               info->dump_type, info->pae_enabled ? "true" : "false");
    if (info->flags & SS_INFO_BUGCHECK)
        printf(",\"bugcheck\":{\"code\":\"0x%x\",\"params\":[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64
               "\",\"0x%" PRIx64 "\"]}",
               info->bugcheck_code, info->bugcheck_params[0], info->bugcheck_params[1],
               info->bugcheck_params[2], info->bugcheck_params[3]);
}

static void print_header_text(const ss_dump_info *info)
{
    if (info->flags & SS_INFO_PAGING_MODE)
        printf("mode       %s\n", ss_mode_name(info->paging_mode));
    if (info->flags & SS_INFO_DTB)
        printf("dtb        0x%" PRIx64 "\n", info->directory_table_base);
    if (info->flags & SS_INFO_WINDOWS_HEADER) {
        printf("machine    0x%x, version %u.%u, %u processor(s), dump type %u%s\n", info->machine_type,
               info->major_version, info->minor_version, info->number_processors, info->dump_type,
               info->pae_enabled ? ", PAE" : "");
        printf("PsActiveProcessHead 0x%" PRIx64 "\nPsLoadedModuleList  0x%" PRIx64
               "\nKdDebuggerDataBlock 0x%" PRIx64 "\n",
               info->ps_active_process_head, info->ps_loaded_module_list, info->kd_debugger_data_block);
    }
    if (info->flags & SS_INFO_BUGCHECK)
        printf("bugcheck   0x%x (0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")\n",
               info->bugcheck_code, info->bugcheck_params[0], info->bugcheck_params[1],
               info->bugcheck_params[2], info->bugcheck_params[3]);
}

static int cmd_info(const options *o)
{
    /* info takes only SOURCE and --json: anything else is a mistake, not to be ignored */
    if (o->va_text)
        return fail_usage("unexpected argument '%s' (info takes one SOURCE)", o->va_text);
    if (o->batch || o->dtb_text || o->mode != SS_MODE_AUTO || o->win7_pte)
        return fail_usage("%s", "info takes only SOURCE and --json");
    ss_source *src;
    int rc = open_source(o->source, &src);
    if (rc != EXIT_OK)
        return rc;
    const ss_phys_range *r;
    size_t n;
    ss_source_ranges(src, &r, &n);
    ss_dump_info info;
    ss_source_info(src, &info);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += r[i].size;
    size_t ncpu = ss_source_cpu_count(src);
    const char *note;
    size_t note_len = 0;
    bool has_vmcoreinfo = ss_source_note(src, "VMCOREINFO", &note, &note_len) == SS_OK;
    if (o->json) {
        printf("{\"format\":\"%s\",\"ranges\":%zu,\"bytes\":%" PRIu64 ",\"max_pa\":\"0x%" PRIx64 "\"",
               ss_format_name(ss_source_format(src)), n, total, ss_source_max_pa(src));
        print_header_json(&info);
        printf(",\"cpus\":[");
        for (size_t i = 0; i < ncpu; i++) {
            ss_cpu_state c;
            if (ss_source_cpu(src, i, &c) == SS_OK)
                printf("%s{\"cr0\":\"0x%" PRIx64 "\",\"cr3\":\"0x%" PRIx64 "\",\"cr4\":\"0x%" PRIx64 "\"}",
                       i ? "," : "", c.cr0, c.cr3, c.cr4);
        }
        printf("],\"vmcoreinfo_bytes\":%zu}\n", has_vmcoreinfo ? note_len : 0);
    } else {
        printf("format     %s\nmemory     %" PRIu64 " bytes in %zu run(s), highest address 0x%" PRIx64 "\n",
               ss_format_name(ss_source_format(src)), total, n, ss_source_max_pa(src));
        for (size_t i = 0; i < n && i < 16; i++)
            printf("  run %zu   0x%" PRIx64 " - 0x%" PRIx64 "\n", i, r[i].start, r[i].start + r[i].size);
        if (n > 16)
            printf("  ... %zu more runs\n", n - 16);
        print_header_text(&info);
        for (size_t i = 0; i < ncpu; i++) {
            ss_cpu_state c;
            if (ss_source_cpu(src, i, &c) == SS_OK)
                printf("cpu %-5zu  cr0 0x%" PRIx64 " cr3 0x%" PRIx64 " cr4 0x%" PRIx64 "\n", i, c.cr0, c.cr3,
                       c.cr4);
        }
        if (has_vmcoreinfo)
            printf("VMCOREINFO %zu bytes\n", note_len);
    }
    ss_source_close(src);
    return EXIT_OK;
}

/* Translates one VA; returns EXIT_OK when it has a usable physical address. */
static int vtop_one(ss_space *space, uint64_t va, bool json)
{
    ss_xlat x;
    ss_status st = ss_space_walk(space, va, &x);
    if (json)
        print_json(stdout, &x, ss_space_mode(space));
    else
        print_text(stdout, &x, ss_space_mode(space));
    return st == SS_OK ? EXIT_OK : EXIT_NOT_TRANSLATED;
}

/*
 * Reads one line (up to '\n' or EOF) into buf, keeping at most cap - 1 bytes, and
 * consumes the rest of it however long it is, so memory stays constant on any
 * input. *bad is set when the line was longer than buf or held a NUL byte: what
 * was kept is then not what the line says (fgets() + strlen() would parse
 * "12\0junk" as 12, and take the tail of an overlong line for the next line).
 * Returns false at end of input with nothing read.
 */
static bool read_line(FILE *in, char *buf, size_t cap, bool *bad)
{
    size_t n = 0;
    bool any = false;
    int c;
    *bad = false;
    while ((c = getc(in)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (c == 0 || n + 1 >= cap)
            *bad = true;
        else
            buf[n++] = (char)c;
    }
    buf[n] = 0;
    return any;
}

static int vtop_batch(ss_space *space, const char *path, bool json)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "sessionspace: %s: %s\n", path, strerror(errno));
        return EXIT_OPEN;
    }
    int rc = EXIT_OK;
    char line[256];
    unsigned long lineno = 0;
    bool bad;
    while (read_line(in, line, sizeof line, &bad)) {
        lineno++;
        if (bad) { /* overlong, or a NUL byte: force a parse error below */
            line[0] = 'x';
            line[1] = 0;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\r' || *p == 0 || *p == '#')
            continue;
        p[strcspn(p, "\r\n")] = 0;
        uint64_t va;
        if (ss_parse_u64(p, &va) != SS_OK) {
            if (json)
                printf("{\"line\":%lu,\"va\":null,\"pa\":null,\"page_size\":0,\"status\":\"bad_number\"}\n",
                       lineno);
            else
                printf("line %lu: bad_number\n", lineno);
            rc = EXIT_NOT_TRANSLATED;
            continue;
        }
        ss_xlat x;
        ss_space_walk(space, va, &x);
        if (json) {
            print_json(stdout, &x, ss_space_mode(space));
        } else {
            char vb[32], pb[32] = "-";
            kd_addr(vb, sizeof vb, va, ss_space_mode(space));
            if (x.flags & SS_XLAT_F_HAS_PA)
                kd_addr(pb, sizeof pb, x.pa, SS_MODE_X64);
            printf("%s %s %s %" PRIu64 "\n", vb, pb, ss_xlat_state_name(x.state), x.page_size);
        }
    }
    bool read_error = ferror(in);
    if (in != stdin)
        fclose(in);
    if (read_error) {
        fprintf(stderr, "sessionspace: %s: read error\n", path);
        return EXIT_OPEN;
    }
    return rc;
}

/* The page-table root the source itself records: the dump header's, else CPU 0's CR3. */
static bool source_dtb(ss_source *src, uint64_t *dtb)
{
    ss_dump_info info;
    if (ss_source_info(src, &info) == SS_OK && (info.flags & SS_INFO_DTB)) {
        *dtb = info.directory_table_base;
        return true;
    }
    ss_cpu_state cpu;
    if (ss_source_cpu_count(src) > 0 && ss_source_cpu(src, 0, &cpu) == SS_OK) {
        *dtb = cpu.cr3;
        return true;
    }
    return false;
}

static int cmd_vtop(const options *o)
{
    if (!o->batch == !o->va_text)
        return fail_usage("%s", "vtop needs either one VA or --batch FILE");
    uint64_t dtb = 0, va = 0;
    if (o->dtb_text && ss_parse_u64(o->dtb_text, &dtb) != SS_OK)
        return fail_usage("bad --dtb value '%s'", o->dtb_text);
    if (o->va_text && ss_parse_u64(o->va_text, &va) != SS_OK)
        return fail_usage("bad virtual address '%s'", o->va_text);

    ss_source *src;
    int rc = open_source(o->source, &src);
    if (rc != EXIT_OK)
        return rc;
    if (!o->dtb_text && !source_dtb(src, &dtb)) {
        ss_source_close(src);
        return fail_usage("%s", "vtop needs --dtb DTB (the CR3 / DirectoryTableBase to walk): "
                                "this source does not record one");
    }
    ss_space_options so = SS_SPACE_OPTIONS_INIT;
    so.pte_layout = o->win7_pte ? SS_PTE_LAYOUT_WIN7 : SS_PTE_LAYOUT_WIN8;
    so.no_cache = 1; /* every answer shows its walk */
    ss_space *space;
    ss_status st = ss_space_open(src, o->mode, dtb, &so, &space);
    if (st != SS_OK) {
        fprintf(stderr, "sessionspace: cannot use dtb 0x%" PRIx64 " in mode %s: %s%s\n", dtb,
                ss_mode_name(o->mode), ss_strerror(st),
                st == SS_E_UNSUPPORTED ? " (the source does not say its paging mode: pass --mode)" : "");
        ss_source_close(src);
        return EXIT_USAGE;
    }
    rc = o->batch ? vtop_batch(space, o->batch, o->json) : vtop_one(space, va, o->json);
    ss_space_close(space);
    ss_source_close(src);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(verb, "scan") == 0)
        return verb_scan(argc - 1, argv + 1);
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc != EXIT_OK)
        return rc;
    if (strcmp(verb, "vtop") == 0)
        return cmd_vtop(&o);
    if (strcmp(verb, "info") == 0)
        return cmd_info(&o);
    return fail_usage("unknown verb '%s' (info, vtop, scan)", verb);
}
