/*
 * The sessionspace CLI's verb table and the helpers verbs share.
 *
 * Adding a verb (e.g. `sessions`):
 *   1. Write examples/verb_sessions.c (any examples/verb_*.c is compiled in, see
 *      examples/CMakeLists.txt) that defines
 *          static int run_sessions(const cli_verb *self, int argc, char **argv);
 *          const cli_verb cli_verb_sessions = {
 *              "sessions", "list the sessions of a Windows dump",
 *              "sessions SOURCE [--dtb DTB] [--mode MODE] [--json]\n"
 *              "  --json   one JSON object per session\n",
 *              run_sessions};
 *      argv[0] is the verb's name, argv[1..argc-1] what followed it. `--help` / `-h`
 *      never reaches run(): the dispatcher prints `usage` for it.
 *   2. Add `CLI_VERB(sessions)` to CLI_VERBS below (the order is the order of
 *      `sessionspace --help`).
 *   3. Document its output in docs/cli.md and test it in tests/py/.
 * Parse the options every page-table verb takes with cli_space_option() and open the
 * source + address space with cli_open_space(), so --dtb/--mode/--win7-pte/--proto-base
 * mean the same everywhere and every missing piece is reported at once.
 */
#ifndef SESSIONSPACE_CLI_H
#define SESSIONSPACE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessionspace.h"

/* Exit codes (docs/cli.md, "Exit codes"). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_NOT_TRANSLATED = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_OPEN = 3 };

typedef struct cli_verb cli_verb;
struct cli_verb {
    const char *name;    /* the word after `sessionspace` */
    const char *summary; /* one line for `sessionspace --help` */
    const char *usage;   /* synopsis line(s) without "sessionspace ", then option lines */
    int (*run)(const cli_verb *self, int argc, char **argv); /* returns an exit code */
};

/* Every verb, in --help order: one line per verb file. */
#define CLI_VERBS                                                                                            \
    CLI_VERB(info)                                                                                           \
    CLI_VERB(vtop)                                                                                           \
    CLI_VERB(sessions)                                                                                       \
    CLI_VERB(sprocess)                                                                                       \
    CLI_VERB(session)                                                                                        \
    CLI_VERB(ps)                                                                                             \
    CLI_VERB(where)                                                                                          \
    CLI_VERB(scan)                                                                                           \
    CLI_VERB(u)                                                                                              \
    CLI_VERB(db)                                                                                             \
    CLI_VERB(dq)

#define CLI_VERB(name) extern const cli_verb cli_verb_##name;
CLI_VERBS
#undef CLI_VERB

/* Prints "sessionspace VERB: MESSAGE" and a pointer to `--help`; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_verb *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Opens SPEC; on failure prints the message and status name, returns CLI_EXIT_OPEN. */
int cli_open_source(const char *spec, ss_source **src);

/*
 * Formats an address the one way text output prints addresses (VAs and PAs, in every
 * mode): kd's 64-bit form, 16 hex digits with a backtick, "fffff99b`3c078c87",
 * "00000000`c0300000". ss_parse_u64() reads it back. n >= 18.
 */
void cli_addr(char *buf, size_t n, uint64_t v);

/* The options shared by verbs that walk page tables. Zero-initialise. */
typedef struct cli_space_args {
    const char *source;     /* SOURCE spec (the verb sets it from its positional argument) */
    const char *dtb_text;   /* --dtb */
    const char *mode_text;  /* --mode */
    const char *proto_text; /* --proto-base */
    bool win7_pte;          /* --win7-pte */
} cli_space_args;

/* Usage lines for the shared options, to append to a verb's usage text. */
#define CLI_SPACE_OPTIONS_HELP                                                                               \
    "  --dtb DTB          page-table root (CR3 / DirectoryTableBase); default: the one the\n"                \
    "                     source records (crash-dump header, CPU 0's CR3)\n"                                 \
    "  --mode MODE        x86, pae, x64 or la57; default: the mode the source records\n"                     \
    "  --win7-pte         decode software PTEs with the Windows XP-7 layout (default: 8+)\n"                 \
    "  --proto-base ADDR  x86 (non-PAE) only: MmProtopteBase, to turn a prototype PTE's\n"                   \
    "                     offset into an address\n"

/*
 * If argv[*i] is a shared option, stores it (consuming its value: *i advances) and
 * returns 1; returns 0 when it is not one; returns -1 after a usage error was printed
 * (a missing value).
 */
int cli_space_option(const cli_verb *v, int argc, char **argv, int *i, cli_space_args *a);

/*
 * Checks the shared options, opens the source and an address space over it. Reports
 * every problem at once (a bad --dtb and a bad --mode; a DTB and a mode the source does
 * not record). no_cache asks for a space without a translation cache. Returns
 * CLI_EXIT_OK with *src and *space set (close both), else the exit code, with nothing
 * left open.
 */
int cli_open_space(const cli_verb *v, const cli_space_args *a, bool no_cache, ss_source **src,
                   ss_space **space);

/*
 * A progress bar on stderr for long scans, drawn only when stderr is a terminal:
 * cli_bar_start sets b->on; pass cli_bar_draw and b as a scan's progress callback
 * (ss_scan_progress_fn) when b->on; cli_bar_end erases the line.
 */
typedef struct cli_bar {
    bool on;
    double start;
    int last_pct;
    const char *label;
} cli_bar;
void cli_bar_start(cli_bar *b, const char *label);
int cli_bar_draw(void *arg, uint64_t done, uint64_t total);
void cli_bar_end(cli_bar *b);

/*
 * verb_nt.c, for verb v (vtop, u, db, dq; messages name it): the DTB of a session's context (session != NULL:
 * a member process's DTB, kd's !session -s) or of a process (process != NULL: its DirectoryTableBase, or with
 * user its KVA-shadow UserDirectoryTableBase; kd's .process /P), from the Windows model
 * of source (isf / dtb_text as the nt verbs take them). Prints why not; returns an exit code.
 */
int cli_nt_context_dtb(const cli_verb *v, const char *source, const char *isf, const char *dtb_text,
                       const char *session, const char *process, bool user, uint64_t *dtb);

#endif /* SESSIONSPACE_CLI_H */
