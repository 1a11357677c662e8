/*
 * Memory verbs of the sessionspace CLI, as kd shows memory through one page-table root:
 *
 *   u  SOURCE VA [-n COUNT]            disassembly (ss_disasm, Capstone)
 *   db SOURCE VA [-n BYTES | -l COUNT] bytes, 16 per line, with an ASCII column
 *   dq SOURCE VA [-n BYTES | -l COUNT] quadwords, 2 per line
 *
 * plus the page-table options every walking verb takes (cli_space_option) and --json.
 * A byte that cannot be read prints as ?? and every unreadable run says why (not
 * present, paged out to pagefile N, not in the dump ...): the walk of its first page.
 * Output shapes and exit codes: docs/cli.md, "u" and "db / dq".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ shared */

typedef struct mem_args {
    cli_space_args space;
    const char *va_text, *count_text, *bytes_text;
    const char *session, *process, *isf; /* a Windows context instead of --dtb (verb_nt.c) */
    const char *bits_text;               /* u only: --bits 16|32|64 */
    bool json, user;
    char ctx_dtb[24];
} mem_args;

/*
 * Parses SOURCE VA, the shared page-table options, --json, -n and (with_l) -l.
 * Returns CLI_EXIT_OK or the usage error's exit code.
 */
static int parse_mem(const cli_verb *v, int argc, char **argv, bool with_l, mem_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        int used = cli_space_option(v, argc, argv, &i, &a->space);
        if (used < 0)
            return CLI_EXIT_USAGE;
        if (used)
            continue;
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "-n") == 0             ? (with_l ? &a->bytes_text : &a->count_text)
                            : with_l && strcmp(arg, "-l") == 0 ? &a->count_text
                            : strcmp(arg, "--session") == 0    ? &a->session
                            : strcmp(arg, "--process") == 0    ? &a->process
                            : strcmp(arg, "--isf") == 0        ? &a->isf
                            : !with_l && strcmp(arg, "--bits") == 0 ? &a->bits_text
                                                                    : NULL;
        if (slot) {
            if (cli_option_value(v, argc, argv, &i, slot) != CLI_EXIT_OK)
                return CLI_EXIT_USAGE;
        } else if (strcmp(arg, "--json") == 0) {
            a->json = true;
        } else if (strcmp(arg, "--user") == 0) {
            a->user = true;
        } else if (arg[0] == '-' && arg[1] != 0) {
            return cli_usage_error(v, "unknown option '%s'", arg);
        } else if (!a->space.source) {
            a->space.source = arg;
        } else if (!a->va_text) {
            a->va_text = arg;
        } else {
            return cli_usage_error(v, "unexpected argument '%s'", arg);
        }
    }
    if (!a->space.source || !a->va_text)
        return cli_usage_error(v, "missing %s", a->space.source ? "VA" : "SOURCE and VA");
    if (a->count_text && a->bytes_text)
        return cli_usage_error(v, "-n BYTES and -l COUNT both give the length: give one");
    if (a->session && a->process)
        return cli_usage_error(v, "--session and --process both name a context: give one");
    if ((a->user && !a->process) || (a->isf && !a->session && !a->process))
        return cli_usage_error(v, "%s only applies with %s", a->user ? "--user" : "--isf",
                               a->user ? "--process" : "--session or --process");
    return CLI_EXIT_OK;
}

/* A count option: a number in 1..max (numbers as everywhere: plain hex like kd's L, 0n decimal). */
static int parse_count(const cli_verb *v, const char *opt, const char *text, uint64_t max, uint64_t *out)
{
    if (ss_parse_u64(text, out) != SS_OK || *out == 0 || *out > max)
        return cli_usage_error(v, "bad %s value '%s' (1 to %#" PRIx64 "; plain numbers are hex, 0n10 is ten)",
                               opt, text, max);
    return CLI_EXIT_OK;
}

static bool wide_mode(ss_mode m)
{
    return m == SS_MODE_X64 || m == SS_MODE_LA57;
}

/* kd prints addresses as the mode has them: fffff960`00123456 in x64, 80123456 in x86/PAE. */
static void kd_addr(char *buf, size_t n, ss_mode m, uint64_t v)
{
    if (wide_mode(m))
        cli_addr(buf, n, v);
    else
        snprintf(buf, n, "%08" PRIx64, v);
}

static const char *level_name(unsigned level)
{
    static const char *const names[] = {"?", "pte", "pde", "pdpte", "pml4e", "pml5e"};
    return level < sizeof names / sizeof names[0] ? names[level] : "?";
}

/* Why memory at x->va could not be read (status: the read's), in words. */
static void reason_text(char *buf, size_t n, ss_status status, const ss_xlat *x)
{
    char pa[32];
    cli_addr(pa, sizeof pa, x->pa);
    switch (x->state) {
    case SS_XLAT_NOT_PRESENT: snprintf(buf, n, "not present (empty %s)", level_name(x->level)); break;
    case SS_XLAT_PAGEFILE:
        snprintf(buf, n, "paged out to pagefile %u at offset 0x%" PRIx64, x->pagefile_number,
                 x->pagefile_offset);
        break;
    case SS_XLAT_DEMAND_ZERO: snprintf(buf, n, "demand-zero page, never touched"); break;
    case SS_XLAT_PROTOTYPE:
        snprintf(buf, n, "prototype PTE (shared section page) at 0x%" PRIx64, x->proto_address);
        break;
    case SS_XLAT_BAD_PFN:
        snprintf(buf, n, "the table holding the %s is not in the dump", level_name(x->level));
        break;
    case SS_XLAT_RESERVED_BIT: snprintf(buf, n, "the %s sets a reserved bit", level_name(x->level)); break;
    case SS_XLAT_READ_ERROR: snprintf(buf, n, "a paging entry could not be read"); break;
    case SS_XLAT_NONCANONICAL: snprintf(buf, n, "not a canonical address in this paging mode"); break;
    default: /* translated, but the frame could not be read */
        if (x->flags & SS_XLAT_F_NOT_IN_SOURCE)
            snprintf(buf, n, "frame %s is not in the dump", pa);
        else
            snprintf(buf, n, "frame %s: %s", pa, ss_strerror(status));
        break;
    }
}

/* Prints s as a JSON string. */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The JSON members describing an unreadable address: status, state, level, pa, pagefile, reason. */
static void json_unreadable(ss_status status, const ss_xlat *x)
{
    char reason[160];
    reason_text(reason, sizeof reason, status, x);
    printf("\"status\":\"%s\",\"state\":\"%s\",\"level\":", ss_status_name(status),
           ss_xlat_state_name(x->state));
    if (x->nentries)
        printf("\"%s\"", level_name(x->level));
    else
        fputs("null", stdout);
    if (x->flags & SS_XLAT_F_HAS_PA)
        printf(",\"pa\":\"0x%" PRIx64 "\"", x->pa);
    else
        fputs(",\"pa\":null", stdout);
    if (x->state == SS_XLAT_PAGEFILE)
        printf(",\"pagefile\":{\"number\":%u,\"offset\":\"0x%" PRIx64 "\"}", x->pagefile_number,
               x->pagefile_offset);
    fputs(",\"reason\":", stdout);
    json_str(reason);
}

/*
 * Opens the source and the space the options name: --dtb's root, or the context of
 * --session ID / --process PID from the Windows model (--dtb then names the kernel's).
 */
static int open_mem(const cli_verb *v, mem_args *a, ss_source **src, ss_space **space, uint64_t *va)
{
    if (ss_parse_u64(a->va_text, va) != SS_OK)
        return cli_usage_error(v, "bad virtual address '%s'", a->va_text);
    if (a->session || a->process) {
        uint64_t dtb;
        int rc = cli_nt_context_dtb(v, a->space.source, a->isf, a->space.dtb_text, a->session, a->process,
                                    a->user, &dtb);
        if (rc != CLI_EXIT_OK)
            return rc;
        snprintf(a->ctx_dtb, sizeof a->ctx_dtb, "%#llx", (unsigned long long)dtb);
        a->space.dtb_text = a->ctx_dtb;
    }
    return cli_open_space(v, &a->space, false, src, space);
}

#define CLI_MEM_CONTEXT_HELP                                                                                 \
    "  --session ID       in session ID's context (a member process's DTB, kd's !session -s)\n"              \
    "  --process PID      in process PID's context (.process /P); --dtb then names the kernel\n"             \
    "                     DTB the Windows model starts from\n"                                               \
    "  --user             with --process: its KVA-shadow UserDirectoryTableBase\n"                           \
    "  --isf FILE         with --session / --process: the kernel's ISF symbol file, as for `sessions`\n"

/* ------------------------------------------------------------------ u */

/* Branches whose operand is a target address, printed as kd prints addresses. */
static bool is_branch(const char *mnemonic)
{
    return mnemonic[0] == 'j' || strcmp(mnemonic, "call") == 0 || strncmp(mnemonic, "loop", 4) == 0;
}

/*
 * kd's operand text from Capstone's MASM text: no blanks after commas or around + and -
 * ("qword ptr [rip+10h]", "rsp,28h"), and a direct branch target as an address.
 */
static void kd_operands(char *out, size_t n, const ss_insn *in, ss_mode m)
{
    const char *s = in->operands;
    size_t len = strlen(s);
    if (is_branch(in->mnemonic) && len >= 2 && s[len - 1] == 'h' &&
        strspn(s, "0123456789abcdef") == len - 1) {
        uint64_t target = strtoull(s, NULL, 16);
        kd_addr(out, n, m, target);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 1 < n; i++) {
        if (s[i] == ' ' && i > 0 &&
            (s[i - 1] == ',' || ((s[i - 1] == '+' || s[i - 1] == '-') && i > 1 && s[i - 2] == ' ')))
            continue; /* ", " and " + " lose their blanks */
        if (s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-') && s[i + 2] == ' ')
            continue;
        out[o++] = s[i];
    }
    out[o] = 0;
}

static void hex_bytes(char *out, const uint8_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

static int run_u(const cli_verb *self, int argc, char **argv)
{
    mem_args a;
    int rc = parse_mem(self, argc, argv, false, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t count = 8; /* kd's u shows 8 instructions */
    if (a.bits_text && strcmp(a.bits_text, "16") != 0 && strcmp(a.bits_text, "32") != 0 &&
        strcmp(a.bits_text, "64") != 0)
        return cli_usage_error(self, "bad --bits value '%s' (16, 32 or 64)", a.bits_text);
    if (a.count_text && (rc = parse_count(self, "-n", a.count_text, 0x100000, &count)) != CLI_EXIT_OK)
        return rc;
    ss_source *src;
    ss_space *space;
    uint64_t va;
    if ((rc = open_mem(self, &a, &src, &space, &va)) != CLI_EXIT_OK)
        return rc;
    ss_mode m = ss_space_mode(space);
    ss_disasm *d = NULL;
    ss_error err = {0};
    ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
    o.bits = a.bits_text ? (unsigned)atoi(a.bits_text) : 0; /* checked: 16, 32 or 64 */
    ss_status st = ss_disasm_open(space, &o, &d, &err);
    if (st == SS_OK && ss_disasm_seek(d, va) != SS_OK) {
        ss_disasm_close(d);
        ss_space_close(space);
        ss_source_close(src);
        return cli_usage_error(self, "virtual address '%s' is above 4 GiB: not an address in %s paging",
                               a.va_text, ss_mode_name(m));
    }
    if (st != SS_OK) { /* --bits 64 under 32-bit paging; or Capstone cannot decode x86 */
        fprintf(stderr, "sessionspace u: %s (%s)\n", err.message, ss_status_name(st));
        ss_space_close(space);
        ss_source_close(src);
        return st == SS_E_INVALID_ARG ? CLI_EXIT_USAGE : CLI_EXIT_OPEN;
    }
    if (a.json)
        printf("{\"mode\":\"%s\",\"dtb\":\"0x%" PRIx64 "\",\"va\":\"0x%" PRIx64 "\",\"count\":%" PRIu64
               ",\"instructions\":[",
               ss_mode_name(m), ss_space_dtb(space), va, count);
    ss_disasm_stop stop;
    st = SS_OK;
    for (uint64_t i = 0; i < count; i++) {
        ss_insn in;
        st = ss_disasm_next(d, &in, &stop);
        if (st != SS_OK)
            break;
        char addr[32], bytes[2 * SS_INSN_MAX_BYTES + 1], ops[2 * sizeof in.operands];
        kd_addr(addr, sizeof addr, m, in.address);
        hex_bytes(bytes, in.bytes, in.size);
        kd_operands(ops, sizeof ops, &in, m);
        if (a.json) {
            printf("%s{\"address\":\"0x%" PRIx64 "\",\"bytes\":\"%s\",\"mnemonic\":", i ? "," : "",
                   in.address, bytes);
            json_str(in.mnemonic);
            fputs(",\"operands\":", stdout);
            json_str(ops);
            printf(",\"bad\":%s}", in.flags & SS_INSN_F_BAD ? "true" : "false");
        } else if (ops[0]) {
            printf("%s %-15s %-7s %s\n", addr, bytes, in.mnemonic, ops);
        } else {
            printf("%s %-15s %s\n", addr, bytes, in.mnemonic);
        }
    }
    if (a.json) {
        fputs("],\"stop\":", stdout);
        if (st == SS_OK) {
            fputs("null", stdout);
        } else {
            printf("{\"va\":\"0x%" PRIx64 "\",\"insn_va\":\"0x%" PRIx64 "\",", stop.va, stop.insn_va);
            json_unreadable(st, &stop.xlat);
            putchar('}');
        }
        puts("}");
    } else if (st != SS_OK) {
        char addr[32], at[32], reason[160];
        kd_addr(addr, sizeof addr, m, stop.insn_va);
        kd_addr(at, sizeof at, m, stop.va);
        reason_text(reason, sizeof reason, st, &stop.xlat);
        printf("%s ??              stopped at %s: %s, %s\n", addr, at, ss_status_name(st), reason);
    }
    ss_disasm_close(d);
    ss_space_close(space);
    ss_source_close(src);
    return st == SS_OK ? CLI_EXIT_OK : CLI_EXIT_NOT_TRANSLATED;
}

const cli_verb cli_verb_u = {
    "u",
    "disassemble (x86 / x64) through one page-table root, like kd's u",
    "u SOURCE VA [-n COUNT] [--bits 16|32|64] [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte] "
    "[--proto-base ADDR] "
    "[--json]\n"
    "       sessionspace u SOURCE VA --session ID | --process PID [--user] [--isf FILE] [-n COUNT] "
    "[--json]\n" CLI_SPACE_OPTIONS_HELP CLI_MEM_CONTEXT_HELP
    "  -n COUNT           instructions to show (default 8; plain numbers are hex, as\n"
    "                     kd's L: 0n20 is twenty)\n"
    "  --bits 16|32|64    code size (default: 64 under x64 / la57 paging, else 32; 32 for\n"
    "                     WoW64 code, kd's .effmach x86)\n"
    "  --json             one JSON document (fields in docs/cli.md)\n",
    run_u,
};

/* ------------------------------------------------------------------ db / dq */

/* One unreadable run: [va, va + size), and the walk of its first byte. */
typedef struct run {
    uint64_t va, size;
    ss_status status;
    ss_xlat x;
} run;

typedef struct dump {
    uint8_t *data;
    bool *ok; /* per byte */
    run *runs;
    size_t nruns;
} dump;

/* Reads [va, va + size) page by page, recording which bytes could not be read and why. */
static int read_dump(ss_space *space, uint64_t va, uint64_t size, dump *out)
{
    memset(out, 0, sizeof *out);
    out->data = calloc(size, 1);
    out->ok = calloc(size, sizeof *out->ok);
    out->runs = calloc(size / SS_PAGE_SIZE + 2, sizeof *out->runs);
    if (!out->data || !out->ok || !out->runs) {
        fprintf(stderr, "sessionspace: out of memory (%s)\n", ss_status_name(SS_E_NOMEM));
        return CLI_EXIT_OPEN;
    }
    for (uint64_t off = 0; off < size;) {
        uint64_t cur = va + off;
        uint64_t chunk = SS_PAGE_SIZE - (cur & (SS_PAGE_SIZE - 1));
        if (chunk > size - off)
            chunk = size - off;
        size_t got = 0;
        ss_status st;
        ss_xlat x;
        if (off && cur < va) { /* wrapped past 2^64 */
            st = SS_E_NONCANONICAL;
            memset(&x, 0, sizeof x);
            x.va = cur;
            x.state = SS_XLAT_NONCANONICAL;
            chunk = size - off;
        } else {
            st = ss_space_read(space, cur, out->data + off, (size_t)chunk, &got);
            if (st != SS_OK)
                ss_space_walk(space, cur + got, &x);
        }
        for (uint64_t i = 0; i < got; i++)
            out->ok[off + i] = true;
        if (st != SS_OK) {
            run *last = out->nruns ? &out->runs[out->nruns - 1] : NULL;
            bool same = last && last->va + last->size == cur + got && last->status == st &&
                        last->x.state == x.state &&
                        (x.state != SS_XLAT_PAGEFILE || last->x.pagefile_number == x.pagefile_number);
            if (same)
                last->size += chunk - got;
            else
                out->runs[out->nruns++] = (run){cur + got, chunk - got, st, x};
        }
        off += chunk;
    }
    return CLI_EXIT_OK;
}

static void free_dump(dump *d)
{
    free(d->data);
    free(d->ok);
    free(d->runs);
}

static int run_dump(const cli_verb *self, int argc, char **argv, unsigned unit)
{
    mem_args a;
    int rc = parse_mem(self, argc, argv, true, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint64_t size = 128; /* kd's db and dq show 0x80 bytes */
    const uint64_t max = 0x1000000;
    if (a.bytes_text && (rc = parse_count(self, "-n", a.bytes_text, max, &size)) != CLI_EXIT_OK)
        return rc;
    if (a.count_text) {
        uint64_t n;
        if ((rc = parse_count(self, "-l", a.count_text, max / unit, &n)) != CLI_EXIT_OK)
            return rc;
        size = n * unit;
    }
    size = (size + unit - 1) / unit * unit; /* dq shows whole quadwords */
    ss_source *src;
    ss_space *space;
    uint64_t va;
    if ((rc = open_mem(self, &a, &src, &space, &va)) != CLI_EXIT_OK)
        return rc;
    ss_mode m = ss_space_mode(space);
    dump d;
    rc = read_dump(space, va, size, &d);
    if (rc == CLI_EXIT_OK && a.json) {
        printf("{\"mode\":\"%s\",\"dtb\":\"0x%" PRIx64 "\",\"va\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",",
               ss_mode_name(m), ss_space_dtb(space), va, size);
        if (unit == 1) {
            fputs("\"bytes\":\"", stdout);
            for (uint64_t i = 0; i < size; i++)
                d.ok[i] ? printf("%02x", d.data[i]) : printf("??");
            putchar('"');
        } else {
            fputs("\"qwords\":[", stdout);
            for (uint64_t i = 0; i + unit <= size; i += unit) {
                bool all = true;
                uint64_t q = 0;
                for (unsigned k = 0; k < unit; k++) {
                    all = all && d.ok[i + k];
                    q |= (uint64_t)d.data[i + k] << (8 * k); /* little-endian */
                }
                if (all)
                    printf("%s\"0x%016" PRIx64 "\"", i ? "," : "", q);
                else
                    printf("%snull", i ? "," : "");
            }
            putchar(']');
        }
        fputs(",\"unreadable\":[", stdout);
        for (size_t r = 0; r < d.nruns; r++) {
            printf("%s{\"va\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",", r ? "," : "", d.runs[r].va,
                   d.runs[r].size);
            json_unreadable(d.runs[r].status, &d.runs[r].x);
            putchar('}');
        }
        puts("]}");
    } else if (rc == CLI_EXIT_OK) {
        const uint64_t per_line = 16;
        for (uint64_t line = 0; line < size; line += per_line) {
            char addr[32];
            kd_addr(addr, sizeof addr, m, va + line);
            printf("%s ", addr);
            uint64_t end = line + per_line < size ? line + per_line : size;
            for (uint64_t i = line; i < end; i += unit) {
                if (unit == 1) { /* "48 83 ec 28 ...-..." as kd: a dash after the 8th byte */
                    printf("%c", i == line + 8 ? '-' : ' ');
                    d.ok[i] ? printf("%02x", d.data[i]) : printf("??");
                } else { /* a quadword, most significant byte first, ?? per unreadable byte */
                    putchar(' ');
                    for (unsigned k = unit; k-- > 0;) {
                        uint64_t b = i + k;
                        if (b >= size || !d.ok[b])
                            printf("??");
                        else
                            printf("%02x", d.data[b]);
                        if (k == 4)
                            putchar('`');
                    }
                }
            }
            if (unit == 1) { /* the ASCII column, aligned on a short last line */
                printf("%*s  ", (int)(3 * (per_line - (end - line))), "");
                for (uint64_t i = line; i < end; i++)
                    putchar(!d.ok[i] ? '?' : d.data[i] >= 0x20 && d.data[i] < 0x7f ? d.data[i] : '.');
            }
            putchar('\n');
        }
        for (size_t r = 0; r < d.nruns; r++) {
            char from[32], to[32], reason[160];
            kd_addr(from, sizeof from, m, d.runs[r].va);
            kd_addr(to, sizeof to, m, d.runs[r].va + d.runs[r].size - 1);
            reason_text(reason, sizeof reason, d.runs[r].status, &d.runs[r].x);
            printf("?? %s - %s (%" PRIu64 " bytes): %s, %s\n", from, to, d.runs[r].size,
                   ss_status_name(d.runs[r].status), reason);
        }
    }
    if (rc == CLI_EXIT_OK && d.nruns)
        rc = CLI_EXIT_NOT_TRANSLATED;
    free_dump(&d);
    ss_space_close(space);
    ss_source_close(src);
    return rc;
}

static int run_db(const cli_verb *self, int argc, char **argv)
{
    return run_dump(self, argc, argv, 1);
}

static int run_dq(const cli_verb *self, int argc, char **argv)
{
    return run_dump(self, argc, argv, 8);
}

#define DUMP_USAGE(verb, unit)                                                                               \
    verb " SOURCE VA [-n BYTES | -l COUNT] [--dtb DTB] [--mode x86|pae|x64|la57] [--win7-pte] "              \
         "[--proto-base ADDR] [--json]\n"                                                                    \
         "       sessionspace " verb " SOURCE VA --session ID | --process PID [--user] [--isf FILE] "        \
         "[-n BYTES | -l COUNT] [--json]\n" CLI_SPACE_OPTIONS_HELP CLI_MEM_CONTEXT_HELP                      \
         "  -n BYTES           bytes to show (default 80, i.e. 0x80 = 128: plain numbers are hex)\n"         \
         "  -l COUNT           " unit " to show, as kd's L (0n16 is sixteen)\n"                              \
         "  --json             one JSON document (fields in docs/cli.md)\n"

const cli_verb cli_verb_db = {
    "db",
    "hex dump of bytes with ASCII through one page-table root, like kd's db",
    DUMP_USAGE("db", "bytes"),
    run_db,
};

const cli_verb cli_verb_dq = {
    "dq",
    "hex dump of quadwords through one page-table root, like kd's dq",
    DUMP_USAGE("dq", "quadwords"),
    run_dq,
};
