/* Helpers the sessionspace CLI's verbs share (cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_bar_start(cli_bar *b, const char *label)
{
    b->on = isatty(STDERR_FILENO) != 0;
    b->start = now_s();
    b->last_pct = -1;
    b->label = label;
}

int cli_bar_draw(void *arg, uint64_t done, uint64_t total)
{
    cli_bar *b = arg;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == b->last_pct)
        return 0;
    b->last_pct = pct;
    double dt = now_s() - b->start;
    char hashes[41];
    int n = pct * 40 / 100;
    memset(hashes, '#', (size_t)n);
    memset(hashes + n, '.', (size_t)(40 - n));
    hashes[40] = 0;
    fprintf(stderr, "\r%s [%s] %3d%% %.2f/%.2f GiB %.2f GB/s", b->label, hashes, pct, done / 1073741824.0,
            total / 1073741824.0, dt > 0 ? done / dt / 1e9 : 0.0);
    fflush(stderr);
    return 0;
}

void cli_bar_end(cli_bar *b)
{
    if (b->on && b->last_pct >= 0)
        fputs("\r\033[K", stderr);
}

int cli_usage_error(const cli_verb *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sessionspace %s: ", v->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: sessionspace %.*s\n(sessionspace %s --help for the options)\n",
            (int)strcspn(v->usage, "\n"), v->usage, v->name);
    return CLI_EXIT_USAGE;
}

int cli_open_source(const char *spec, ss_source **src)
{
    ss_error err = {0};
    ss_status st = ss_source_open(spec, src, &err);
    if (st != SS_OK) {
        fprintf(stderr, "sessionspace: %s (%s)\n", err.message[0] ? err.message : ss_strerror(st),
                ss_status_name(st));
        return CLI_EXIT_OPEN;
    }
    return CLI_EXIT_OK;
}

void cli_addr(char *buf, size_t n, uint64_t v)
{
    snprintf(buf, n, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xffffffffu);
}

int cli_space_option(const cli_verb *v, int argc, char **argv, int *i, cli_space_args *a)
{
    const char *opt = argv[*i];
    const char **slot = strcmp(opt, "--dtb") == 0          ? &a->dtb_text
                        : strcmp(opt, "--mode") == 0       ? &a->mode_text
                        : strcmp(opt, "--proto-base") == 0 ? &a->proto_text
                                                           : NULL;
    if (strcmp(opt, "--win7-pte") == 0) {
        a->win7_pte = true;
        return 1;
    }
    if (!slot)
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(v, "incomplete option '%s' (it takes a value)", opt);
        return -1;
    }
    *slot = argv[++*i];
    return 1;
}

static bool parse_mode(const char *s, ss_mode *mode)
{
    static const ss_mode all[] = {SS_MODE_X86, SS_MODE_PAE, SS_MODE_X64, SS_MODE_LA57};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, ss_mode_name(all[i])) == 0) {
            *mode = all[i];
            return true;
        }
    return false;
}

int cli_open_space(const cli_verb *v, const cli_space_args *a, bool no_cache, ss_source **src,
                   ss_space **space)
{
    *src = NULL;
    *space = NULL;
    /* Everything wrong with the arguments themselves, in one message. */
    char msg[512] = "";
    size_t len = 0;
#define ADD_PROBLEM(...)                                                                                     \
    do {                                                                                                     \
        if (len < sizeof msg) {                                                                              \
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s", len ? "; " : "");                     \
            if (len < sizeof msg)                                                                            \
                len += (size_t)snprintf(msg + len, sizeof msg - len, __VA_ARGS__);                           \
        }                                                                                                    \
    } while (0)
    uint64_t dtb = 0, proto = 0;
    ss_mode mode = SS_MODE_AUTO;
    if (a->dtb_text && ss_parse_u64(a->dtb_text, &dtb) != SS_OK)
        ADD_PROBLEM("bad --dtb value '%s'", a->dtb_text);
    if (a->mode_text && !parse_mode(a->mode_text, &mode))
        ADD_PROBLEM("unknown mode '%s' (x86, pae, x64, la57)", a->mode_text);
    if (a->proto_text && ss_parse_u64(a->proto_text, &proto) != SS_OK)
        ADD_PROBLEM("bad --proto-base value '%s'", a->proto_text);
    if (a->proto_text && a->mode_text && mode != SS_MODE_X86 && mode != SS_MODE_AUTO)
        ADD_PROBLEM("--proto-base applies to x86 (non-PAE) paging only, not %s", a->mode_text);
    if (len)
        return cli_usage_error(v, "%s", msg);

    int rc = cli_open_source(a->source, src);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* What the source would have to supply and does not: all of it at once. */
    ss_mode rec_mode;
    uint64_t rec_dtb;
    ss_source_paging(*src, &rec_mode, &rec_dtb); /* unknown values come back AUTO / 0 */
    if (!a->dtb_text && rec_dtb == 0)
        ADD_PROBLEM("pass --dtb DTB (the CR3 / DirectoryTableBase to walk): this source does not "
                    "record one");
    if (!a->dtb_text)
        dtb = rec_dtb;
    ss_cpu_state cpu0;
    if (!a->mode_text && rec_mode == SS_MODE_AUTO) {
        if (ss_source_cpu_count(*src) > 0 && ss_source_cpu(*src, 0, &cpu0) == SS_OK && !(cpu0.cr0 >> 31 & 1))
            ADD_PROBLEM("pass --mode x86|pae|x64|la57: the source's CPU 0 has paging off (CR0.PG=0, "
                        "virtual addresses are physical), so it records no paging mode");
        else
            ADD_PROBLEM("pass --mode x86|pae|x64|la57: this source does not record its paging mode");
    }
#undef ADD_PROBLEM
    if (len) {
        ss_source_close(*src);
        *src = NULL;
        return cli_usage_error(v, "%s", msg);
    }
    ss_space_options so = SS_SPACE_OPTIONS_INIT;
    so.pte_layout = a->win7_pte ? SS_PTE_LAYOUT_WIN7 : SS_PTE_LAYOUT_WIN8;
    so.proto_base = proto;
    so.no_cache = no_cache;
    ss_status st = ss_space_open(*src, mode, dtb, &so, space);
    if (st == SS_OK && a->proto_text && ss_space_mode(*space) != SS_MODE_X86) {
        fprintf(stderr, "sessionspace %s: --proto-base applies to x86 (non-PAE) paging only, not %s\n",
                v->name, ss_mode_name(ss_space_mode(*space)));
        st = SS_E_INVALID_ARG;
        ss_space_close(*space);
        *space = NULL;
    } else if (st == SS_E_NO_PHYS_MEMORY) {
        fprintf(stderr, "sessionspace %s: %s: %s; `info` shows its header (%s)\n", v->name, a->source,
                ss_strerror(st), ss_status_name(st));
    } else if (st != SS_OK) {
        /* Name the mode actually used (the source's, when none was given) and the reason. */
        ss_mode used = mode;
        ss_space *probe;
        if (mode == SS_MODE_AUTO && ss_space_open(*src, SS_MODE_AUTO, 0, &so, &probe) == SS_OK) {
            used = ss_space_mode(probe);
            ss_space_close(probe);
        }
        bool narrow = (used == SS_MODE_X86 || used == SS_MODE_PAE) && (dtb >> 32);
        fprintf(stderr, "sessionspace %s: cannot use dtb 0x%" PRIx64 " in mode %s%s: %s (%s)%s\n", v->name,
                dtb, ss_mode_name(used), mode == SS_MODE_AUTO ? " (the source's)" : "", ss_strerror(st),
                ss_status_name(st), narrow ? ": x86 and PAE paging take a DTB below 4 GiB" : "");
    }
    if (st != SS_OK) {
        ss_source_close(*src);
        *src = NULL;
        return st == SS_E_NO_PHYS_MEMORY ? CLI_EXIT_OPEN : CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
