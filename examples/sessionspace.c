/*
 * sessionspace — command-line front end of libsessionspace, with kd-flavoured verbs.
 *
 *   sessionspace info SOURCE [--json]
 *   sessionspace vtop SOURCE VA [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte]
 *                    [--proto-base ADDR] [--json]
 *   sessionspace vtop SOURCE --batch FILE|- [same options]
 *   sessionspace --help | --version;  sessionspace VERB --help
 *
 * Verbs are entries of a table (cli.h says how to add one in a file of its own); this
 * file holds the dispatcher and the first two verbs. Output formats and exit codes are
 * documented in docs/cli.md; the JSON field and status names are stable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sessionspace.h"

/* ------------------------------------------------------------------ dispatcher */

static const cli_verb *const verbs[] = {
#define CLI_VERB(name) &cli_verb_##name,
    CLI_VERBS
#undef CLI_VERB
};
enum { NVERBS = sizeof verbs / sizeof verbs[0] };

static const cli_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i]->name, name) == 0)
            return verbs[i];
    return NULL;
}

/* `sessionspace --help`: every verb's synopsis and summary. */
static void usage(FILE *f)
{
    fputs("usage: sessionspace VERB ARGS...   (sessionspace VERB --help for a verb's options)\n"
          "       sessionspace --help | --version\n\nverbs:\n",
          f);
    for (size_t i = 0; i < NVERBS; i++)
        fprintf(f, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
    fputs("\nSOURCE is a file (format sniffed) or raw:PATH, dmp:PATH, elf:PATH, kdump:PATH, lime:PATH,\n"
          "or kd:tcp:HOST:PORT for a live guest through its gdbstub (docs/kd.md).\n"
          "Numbers: 0x hex, plain hex, kd's fffff99b`3c078c87, or 0n decimal.\n"
          "Exit codes: 0 ok, 1 not translated, 2 usage, 3 cannot open (docs/cli.md).\n",
          f);
}

static void verb_usage(FILE *f, const cli_verb *v)
{
    fprintf(f, "usage: sessionspace %s", v->usage); /* usage ends in a newline */
}

static void unknown_verb(const char *name)
{
    fprintf(stderr, "sessionspace: unknown verb '%s' (", name);
    for (size_t i = 0; i < NVERBS; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", verbs[i]->name);
    fputs("; sessionspace --help lists them)\n", stderr);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *word = argv[1];
    if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(word, "--version") == 0) {
        printf("sessionspace %d.%d.%d (libsessionspace)\n", SS_VERSION_MAJOR, SS_VERSION_MINOR,
               SS_VERSION_PATCH);
        return CLI_EXIT_OK;
    }
    if (strcmp(word, "help") == 0) { /* help [VERB] */
        const cli_verb *v = argc > 2 ? find_verb(argv[2]) : NULL;
        if (argc > 2 && !v) {
            unknown_verb(argv[2]);
            return CLI_EXIT_USAGE;
        }
        if (v)
            verb_usage(stdout, v);
        else
            usage(stdout);
        return CLI_EXIT_OK;
    }
    const cli_verb *v = find_verb(word);
    if (!v) { /* before any argument is looked at */
        unknown_verb(word);
        return CLI_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            verb_usage(stdout, v);
            return CLI_EXIT_OK;
        }
    return v->run(v, argc - 1, argv + 1);
}

/* ------------------------------------------------------------------ printing */

static const char *level_name(unsigned level, ss_mode mode)
{
    static const char *names[] = {"?", "pte", "pde", "pdpte", "pml4e", "pml5e"};
    (void)mode;
    return level <= 5 ? names[level] : "?";
}

/* How a walk is shown: its mode, and the x86 prototype base the user gave, if any. */
typedef struct view {
    ss_mode mode;
    bool has_proto_base; /* --proto-base given */
    uint64_t proto_base;
} view;

/*
 * x86 (non-PAE) prototype PTEs hold an offset from MmProtopteBase, not an address: it
 * is an address only when --proto-base gave the base.
 */
static bool proto_is_offset(const view *v)
{
    return v->mode == SS_MODE_X86 && !v->has_proto_base;
}

static void print_json(FILE *f, const ss_xlat *x, const view *v)
{
    ss_mode mode = v->mode;
    fprintf(f, "{\"va\":\"0x%" PRIx64 "\",", x->va);
    if (x->flags & SS_XLAT_F_HAS_PA)
        fprintf(f, "\"pa\":\"0x%" PRIx64 "\",", x->pa);
    else
        fputs("\"pa\":null,", f);
    fprintf(f, "\"page_size\":%" PRIu64 ",\"status\":\"%s\",", x->page_size, ss_xlat_state_name(x->state));
    if (x->nentries) /* a noncanonical VA reads no entry: none decided */
        fprintf(f, "\"level\":\"%s\",", level_name(x->level, mode));
    else
        fputs("\"level\":null,", f);
    if (x->flags & SS_XLAT_F_HAS_PA) /* a translation is not a read: the frame may lie outside the source */
        fprintf(f, "\"in_source\":%s,", x->flags & SS_XLAT_F_NOT_IN_SOURCE ? "false" : "true");
    else
        fputs("\"in_source\":null,", f);
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
        if (proto_is_offset(v))
            fputs("\"prototype\":null,", f);
        else
            fprintf(f, "\"prototype\":\"0x%" PRIx64 "\",", x->proto_address);
        if (mode == SS_MODE_X86)
            fprintf(f, "\"prototype_offset\":\"0x%" PRIx64 "\",", x->proto_address - v->proto_base);
        fprintf(f, "\"protection\":%u,", x->protection);
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

static void print_text(FILE *f, const ss_xlat *x, const view *v)
{
    ss_mode mode = v->mode;
    char va[32], buf[32];
    cli_addr(va, sizeof va, x->va);
    fprintf(f, "VA %s (%s)\n", va, ss_mode_name(mode));
    for (unsigned i = 0; i < x->nentries; i++) {
        cli_addr(buf, sizeof buf, x->entries[i].pa);
        fprintf(f, "  %-5s at %s  contains %016" PRIx64 "\n", level_name(x->entries[i].level, mode), buf,
                x->entries[i].value);
    }
    if (x->flags & SS_XLAT_F_HAS_PA) { /* valid or transition, the frame in the source or not */
        cli_addr(buf, sizeof buf, x->pa);
        fprintf(f, "  -> pa %s  %s page, %s%s%s%s%s\n", buf,
                x->page_size == 4096         ? "4 KiB"
                : x->page_size == (2u << 20) ? "2 MiB"
                : x->page_size == (4u << 20) ? "4 MiB"
                                             : "1 GiB",
                ss_xlat_state_name(x->state), x->flags & SS_XLAT_F_RW ? ", writable" : ", read-only",
                x->flags & SS_XLAT_F_US ? ", user" : ", kernel",
                x->flags & SS_XLAT_F_NX ? ", no-execute" : "",
                x->flags & SS_XLAT_F_NOT_IN_SOURCE ? " (frame not in the source)" : "");
        return;
    }
    fprintf(f, "  -> %s", ss_xlat_state_name(x->state));
    if (x->nentries) /* a noncanonical VA reads no entry */
        fprintf(f, " at the %s", level_name(x->level, mode));
    if (x->state == SS_XLAT_PAGEFILE)
        fprintf(f, ": pagefile %u offset 0x%" PRIx64 ", protection %u", x->pagefile_number,
                x->pagefile_offset, x->protection);
    else if (x->state == SS_XLAT_PROTOTYPE && proto_is_offset(v))
        fprintf(f, ": prototype PTE at offset 0x%" PRIx64 " from MmProtopteBase (pass --proto-base)",
                x->proto_address);
    else if (x->state == SS_XLAT_PROTOTYPE) {
        cli_addr(buf, sizeof buf, x->proto_address);
        fprintf(f, ": prototype PTE at %s", buf);
        if (mode == SS_MODE_X86)
            fprintf(f, " (offset 0x%" PRIx64 ")", x->proto_address - v->proto_base);
    } else if (x->state == SS_XLAT_DEMAND_ZERO)
        fprintf(f, ": protection %u", x->protection);
    fputc('\n', f);
}

/*
 * A name for a crash-dump header's DumpType. Values 1-7: DUMP_TYPE_* in Microsoft's
 * Windows SDK header um/mindumpdef.h (FULL, SUMMARY, HEADER, TRIAGE, BITMAP_FULL,
 * BITMAP_KERNEL, AUTOMATIC); 8, 9, 0xA: the kernel range dumps of current dbgeng
 * (.dump /k, /ka, /f) as 0vercl0k/kdmp-parser's DumpType_t names them (KernelMemoryDump,
 * KernelAndUserMemoryDump, CompleteMemoryDump). Task Manager's live kernel dumps and
 * "automatic" / "active" crash dumps are written as 6. Sources and doubts:
 * docs/formats.md, "DumpType values".
 */
static const char *dump_type_name(uint32_t t)
{
    static const char *const names[] = {
        NULL,
        "full",
        "kernel summary",
        "header only",
        "triage",
        "bitmap full",
        "bitmap kernel",
        "automatic",
        "kernel range",
        "kernel and user range",
        "complete range",
    };
    return t < sizeof names / sizeof names[0] && names[t] ? names[t] : "unknown";
}

static void print_header_json(const ss_dump_info *info)
{
    if (info->flags & SS_INFO_PAGING_MODE)
        printf(",\"mode\":\"%s\"", ss_mode_name(info->paging_mode));
    if (info->flags & SS_INFO_DTB)
        printf(",\"dtb\":\"0x%" PRIx64 "\"", info->directory_table_base);
    if (info->flags & SS_INFO_WINDOWS_HEADER)
        printf(
            ",\"windows\":{\"ps_active_process_head\":\"0x%" PRIx64
            "\",\"ps_loaded_module_list\":\"0x%" PRIx64 "\",\"kd_debugger_data_block\":\"0x%" PRIx64
            "\",\"machine_type\":\"0x%x\",\"major_version\":%u"
            ",\"minor_version\":%u,\"processors\":%u,\"dump_type\":%u,\"dump_type_name\":\"%s\",\"pae\":%s}",
            info->ps_active_process_head, info->ps_loaded_module_list, info->kd_debugger_data_block,
            info->machine_type, info->major_version, info->minor_version, info->number_processors,
            info->dump_type, dump_type_name(info->dump_type), info->pae_enabled ? "true" : "false");
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
        printf("machine    0x%x, version %u.%u, %u processor(s), dump type %u (%s)%s\n", info->machine_type,
               info->major_version, info->minor_version, info->number_processors, info->dump_type,
               dump_type_name(info->dump_type), info->pae_enabled ? ", PAE" : "");
        printf("PsActiveProcessHead 0x%" PRIx64 "\nPsLoadedModuleList  0x%" PRIx64
               "\nKdDebuggerDataBlock 0x%" PRIx64 "\n",
               info->ps_active_process_head, info->ps_loaded_module_list, info->kd_debugger_data_block);
    }
    if (info->flags & SS_INFO_BUGCHECK)
        printf("bugcheck   0x%x (0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")\n",
               info->bugcheck_code, info->bugcheck_params[0], info->bugcheck_params[1],
               info->bugcheck_params[2], info->bugcheck_params[3]);
}

/* ------------------------------------------------------------------ info */

static int run_info(const cli_verb *self, int argc, char **argv)
{
    const char *source = NULL;
    bool json = false;
    /* info takes only SOURCE and --json: anything else is a mistake, not to be ignored */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage_error(self, "info takes only SOURCE and --json, not '%s'", argv[i]);
        else if (!source)
            source = argv[i];
        else
            return cli_usage_error(self, "unexpected argument '%s' (info takes one SOURCE)", argv[i]);
    }
    if (!source)
        return cli_usage_error(self, "missing SOURCE");
    ss_source *src;
    int rc = cli_open_source(source, &src);
    if (rc != CLI_EXIT_OK)
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
    if (json) {
        printf("{\"format\":\"%s\",\"ranges\":%zu,\"bytes\":%" PRIu64 ",\"max_pa\":\"0x%" PRIx64 "\"",
               ss_format_name(ss_source_format(src)), n, total, ss_source_max_pa(src));
        print_header_json(&info);
        /* cpus and vmcoreinfo_bytes only when the source records them (docs/cli.md) */
        if (ncpu) {
            printf(",\"cpus\":[");
            for (size_t i = 0; i < ncpu; i++) {
                ss_cpu_state c;
                if (ss_source_cpu(src, i, &c) == SS_OK)
                    printf("%s{\"cr0\":\"0x%" PRIx64 "\",\"cr3\":\"0x%" PRIx64 "\",\"cr4\":\"0x%" PRIx64
                           "\"}",
                           i ? "," : "", c.cr0, c.cr3, c.cr4);
            }
            printf("]");
        }
        if (has_vmcoreinfo)
            printf(",\"vmcoreinfo_bytes\":%zu", note_len);
        printf("}\n");
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
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_info = {
    "info",
    "format, physical runs and what the source records (mode, DTB, dump header, CPUs)",
    "info SOURCE [--json]\n"
    "  --json   one JSON object (fields in docs/cli.md)\n",
    run_info,
};

/* ------------------------------------------------------------------ vtop */

/* Translates one VA; returns CLI_EXIT_OK when it has a usable physical address. */
static int vtop_one(ss_space *space, uint64_t va, bool json, const view *v)
{
    ss_xlat x;
    ss_status st = ss_space_walk(space, va, &x);
    if (json)
        print_json(stdout, &x, v);
    else
        print_text(stdout, &x, v);
    return st == SS_OK ? CLI_EXIT_OK : CLI_EXIT_NOT_TRANSLATED;
}

/*
 * Reads one line into buf, keeping at most cap - 1 bytes, and consumes the rest of it
 * however long it is, so memory stays constant on any input. A line ends at "\n" or
 * "\r\n" (not kept) or at the end of input. *bad is set when what was kept is not what
 * the line says: the line was longer than buf, or held a NUL byte or a '\r' that does
 * not end it (fgets() + strlen() would parse "12\0junk" as 12, "0x6000\rjunk" would
 * read as 0x6000, and a CR-only file would lose every line after the first).
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
        if (c == '\r') {
            int next = getc(in);
            if (next == '\n')
                break;
            if (next != EOF)
                ungetc(next, in);
            *bad = true; /* a lone '\r' */
            continue;
        }
        if (c == 0 || n + 1 >= cap)
            *bad = true;
        else
            buf[n++] = (char)c;
    }
    buf[n] = 0;
    return any;
}

/* Opens a batch file; on failure says why with a status name, like a source. */
static FILE *open_batch(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdin;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "sessionspace: %s: --batch needs a file, this is a directory (%s)\n", path,
                ss_status_name(SS_E_IS_DIR));
        return NULL;
    }
    FILE *in = fopen(path, "r");
    if (!in)
        fprintf(stderr, "sessionspace: %s: %s (%s)\n", path, strerror(errno),
                ss_status_name(errno == ENOENT ? SS_E_NOT_FOUND : SS_E_IO));
    return in;
}

static int vtop_batch(ss_space *space, FILE *in, const char *path, bool json, const view *v)
{
    int rc = CLI_EXIT_OK;
    char line[256];
    unsigned long lineno = 0;
    bool bad;
    while (read_line(in, line, sizeof line, &bad)) {
        lineno++;
        if (bad) { /* overlong, a NUL byte or a stray '\r': force a parse error below */
            line[0] = 'x';
            line[1] = 0;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == 0 || *p == '#')
            continue;
        uint64_t va;
        if (ss_parse_u64(p, &va) != SS_OK) {
            if (json)
                printf("{\"line\":%lu,\"va\":null,\"pa\":null,\"page_size\":0,\"status\":\"bad_number\"}\n",
                       lineno);
            else
                printf("line %lu: bad_number\n", lineno);
            rc = CLI_EXIT_NOT_TRANSLATED;
            continue;
        }
        ss_xlat x;
        ss_space_walk(space, va, &x);
        if (json) {
            print_json(stdout, &x, v);
        } else {
            char vb[32], pb[32] = "-";
            cli_addr(vb, sizeof vb, va);
            if (x.flags & SS_XLAT_F_HAS_PA)
                cli_addr(pb, sizeof pb, x.pa);
            printf("%s %s %s %" PRIu64 "\n", vb, pb, ss_xlat_state_name(x.state), x.page_size);
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "sessionspace: %s: read error: %s (%s)\n", path, strerror(errno),
                ss_status_name(errno == EISDIR ? SS_E_IS_DIR : SS_E_IO));
        return CLI_EXIT_OPEN;
    }
    return rc;
}

static int run_vtop(const cli_verb *self, int argc, char **argv)
{
    cli_space_args a = {0};
    const char *va_text = NULL, *batch = NULL, *session = NULL, *process = NULL, *isf = NULL;
    bool json = false, user = false;
    char ctx_dtb[24];
    for (int i = 1; i < argc; i++) {
        int used = cli_space_option(self, argc, argv, &i, &a);
        if (used < 0)
            return CLI_EXIT_USAGE;
        if (used)
            continue;
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0)
            json = true;
        else if (strcmp(arg, "--batch") == 0 && i + 1 < argc)
            batch = argv[++i];
        else if (strcmp(arg, "--session") == 0 && i + 1 < argc)
            session = argv[++i];
        else if (strcmp(arg, "--process") == 0 && i + 1 < argc)
            process = argv[++i];
        else if (strcmp(arg, "--isf") == 0 && i + 1 < argc)
            isf = argv[++i];
        else if (strcmp(arg, "--user") == 0)
            user = true;
        else if (arg[0] == '-' && arg[1] == '-')
            return cli_usage_error(self, "unknown or incomplete option '%s'", arg);
        else if (!a.source)
            a.source = arg;
        else if (!va_text)
            va_text = arg;
        else
            return cli_usage_error(self, "unexpected argument '%s'", arg);
    }
    if (!a.source)
        return cli_usage_error(self, "missing SOURCE (and a VA or --batch FILE)");
    if (!batch == !va_text)
        return cli_usage_error(self, "vtop needs either one VA or --batch FILE, not %s",
                               batch ? "both" : "neither");
    uint64_t va = 0;
    if (va_text && ss_parse_u64(va_text, &va) != SS_OK)
        return cli_usage_error(self, "bad virtual address '%s'", va_text);
    if (session && process)
        return cli_usage_error(self, "--session and --process both name a context: give one");
    if (session || process) { /* the context's root replaces --dtb (which then names the kernel DTB) */
        uint64_t dtb;
        int crc = cli_nt_context_dtb(self, a.source, isf, a.dtb_text, session, process, user, &dtb);
        if (crc != CLI_EXIT_OK)
            return crc;
        snprintf(ctx_dtb, sizeof ctx_dtb, "%#llx", (unsigned long long)dtb);
        a.dtb_text = ctx_dtb;
    }

    ss_source *src;
    ss_space *space;
    int rc = cli_open_space(self, &a, true /* every answer shows its walk */, &src, &space);
    if (rc != CLI_EXIT_OK)
        return rc;
    view v = {ss_space_mode(space), a.proto_text != NULL, 0};
    if (a.proto_text)
        ss_parse_u64(a.proto_text, &v.proto_base); /* cli_open_space() checked it */
    if (batch) {
        FILE *in = open_batch(batch);
        rc = in ? vtop_batch(space, in, batch, json, &v) : CLI_EXIT_OPEN;
        if (in && in != stdin)
            fclose(in);
    } else {
        rc = vtop_one(space, va, json, &v);
    }
    ss_space_close(space);
    ss_source_close(src);
    return rc;
}

const cli_verb cli_verb_vtop = {
    "vtop",
    "translate a virtual address through one page-table root, !pte-like",
    "vtop SOURCE VA [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte] [--proto-base ADDR] [--json]\n"
    "       sessionspace vtop SOURCE --batch FILE|- [--dtb DTB] [--mode ...] [--win7-pte] [--proto-base "
    "ADDR] "
    "[--json]\n"
    "       sessionspace vtop SOURCE VA|--batch FILE --session ID | --process PID [--user] [--isf FILE] "
    "[--json]\n" CLI_SPACE_OPTIONS_HELP
    "  --batch FILE|-     one VA per line (- is standard input); blank and # lines skipped\n"
    "  --session ID       translate in session ID's context (a member process's DTB, !session -s)\n"
    "  --process PID      translate in process PID's context (.process /P); --dtb then names\n"
    "                     the kernel DTB the Windows model starts from\n"
    "  --user             with --process: its KVA-shadow UserDirectoryTableBase\n"
    "  --isf FILE         with --session / --process: the kernel's ISF symbol file, as for `sessions`\n"
    "  --json             JSON (JSON Lines with --batch); fields in docs/cli.md\n",
    run_vtop,
};
