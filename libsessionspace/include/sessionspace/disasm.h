/*
 * sessionspace/disasm.h — x86 / x64 disassembly through an address space.
 *
 * An ss_disasm reads code through one ss_space, so a session-space address is decoded
 * from the frames of the session whose page tables the space walks (kd's `u` after
 * `!session -s`). Decoding is Capstone's (cs_disasm_iter): one instruction per
 * ss_disasm_next() call into a caller-owned ss_insn, nothing allocated per instruction.
 *
 *     ss_disasm *d;
 *     ss_disasm_open(space, NULL, &d, &err);
 *     ss_disasm_seek(d, va);
 *     ss_insn insn;
 *     ss_disasm_stop stop;
 *     ss_status st = SS_OK;
 *     while (n-- && (st = ss_disasm_next(d, &insn, &stop)) == SS_OK)
 *         printf("%" PRIx64 " %s %s\n", insn.address, insn.mnemonic, insn.operands);
 *     if (st != SS_OK)  // stop.va and stop.xlat say where and why memory could not be read
 *         printf("%" PRIx64 ": %s\n", stop.va, ss_xlat_state_name(stop.xlat.state));
 *     ss_disasm_close(d);
 *
 * Memory is read one page at a time; the next page is read only when an instruction
 * does not decode from the bytes already read (it may straddle the boundary). An
 * instruction that cannot be decoded from the bytes readable before an unreadable one
 * ends the iteration with the status of that first unreadable byte, and ss_disasm_stop
 * names its VA and the walk of its page (not present, in a paging file, not in the
 * dump ...).
 * Bytes that do not decode are returned as one-byte instructions flagged
 * SS_INSN_F_BAD with the mnemonic "???" (as kd prints them), and decoding goes on.
 *
 * Thread safety: an ss_disasm belongs to one thread at a time, as its space does. It
 * holds no global state (each handle has its own Capstone handle).
 */
#ifndef SESSIONSPACE_DISASM_H
#define SESSIONSPACE_DISASM_H

#include "common.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_disasm ss_disasm;

/* Assembly syntax of ss_insn.mnemonic / operands. */
typedef enum ss_disasm_syntax {
    SS_DISASM_SYNTAX_MASM = 0,  /* Intel order, hex as kd prints it: "sub rsp, 28h" (default) */
    SS_DISASM_SYNTAX_INTEL = 1, /* Intel order, C hex: "sub rsp, 0x28" */
    SS_DISASM_SYNTAX_ATT = 2    /* AT&T: "subq $0x28, %rsp" */
} ss_disasm_syntax;

/*
 * Options for ss_disasm_open(). Initialise with SS_DISASM_OPTIONS_INIT or
 * ss_disasm_options_init(). Every default is zero, so a member added in a later
 * version reads as its default from a struct of an earlier one.
 */
typedef struct ss_disasm_options {
    unsigned version;        /* SS_DISASM_OPTIONS_VERSION */
    unsigned bits;           /* 0: from the space's paging mode (x86, PAE: 32; x64, LA57: 64);
                                or 16, 32, 64 (e.g. 32 for WoW64 code under x64 paging) */
    ss_disasm_syntax syntax; /* SS_DISASM_SYNTAX_MASM by default */
} ss_disasm_options;

#define SS_DISASM_OPTIONS_VERSION 1
/* Sets the version and nothing else: every other member starts at its (zero) default. */
#ifdef __cplusplus
#define SS_DISASM_OPTIONS_INIT                                                                               \
    {                                                                                                        \
        SS_DISASM_OPTIONS_VERSION                                                                            \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_DISASM_OPTIONS_INIT                                                                               \
    {                                                                                                        \
        .version = SS_DISASM_OPTIONS_VERSION                                                                 \
    }
#endif

/*
 * For bindings that cannot use the macro: zeroes *opts (every default) and sets
 * opts->version to version (pass SS_DISASM_OPTIONS_VERSION). Errors:
 * SS_E_INVALID_ARG (NULL opts, version 0 or newer than this library).
 */
ss_status ss_disasm_options_init(ss_disasm_options *opts, unsigned version);

/* ss_insn.flags */
#define SS_INSN_F_BAD 0x1u /* the byte does not start a valid instruction; size is 1 */

#define SS_INSN_MAX_BYTES 16 /* an x86 instruction is at most 15 bytes (SDM Vol. 2A 2.3.11) */

/* One decoded instruction. */
typedef struct ss_insn {
    uint64_t address; /* VA of its first byte */
    uint32_t size;    /* bytes[0 .. size-1]; 1 to 15 */
    uint32_t flags;   /* SS_INSN_F_* */
    uint8_t bytes[SS_INSN_MAX_BYTES];
    char mnemonic[32];  /* "sub", "ret", "???" for SS_INSN_F_BAD (NUL-terminated) */
    char operands[160]; /* "rsp, 28h"; empty when none (NUL-terminated) */
} ss_insn;

/* Where and why an iteration stopped (filled when ss_disasm_next() fails). */
typedef struct ss_disasm_stop {
    ss_status status; /* same as ss_disasm_next()'s return */
    uint64_t insn_va; /* start of the instruction that could not be read */
    uint64_t va;      /* the first byte that could not be read (insn_va <= va < insn_va + 15) */
    uint32_t nbytes;  /* bytes read from insn_va before va (0 .. 14) */
    ss_xlat xlat;     /* the walk of va (ss_space_walk): state, level, entries, pagefile
                         number ...; VALID / TRANSITION when the page translated but its frame
                         could not be read: with SS_XLAT_F_NOT_IN_SOURCE when the source lacks
                         the frame (status SS_E_NO_PAGE: not in the dump), else SS_E_IO ... */
} ss_disasm_stop;

/*
 * Opens a disassembler over space (which must outlive it), positioned at VA 0.
 * opts may be NULL for the defaults. On failure *out is NULL and err (if not NULL)
 * says why.
 * Errors: SS_E_INVALID_ARG (NULL space/out, opts version 0 or newer than this library,
 * bits not 0/16/32/64, 64 with a 32-bit paging mode, unknown syntax),
 * SS_E_UNSUPPORTED (Capstone lacks x86 support), SS_E_NOMEM.
 */
ss_status ss_disasm_open(ss_space *space, const ss_disasm_options *opts, ss_disasm **out, ss_error *err);

/* Frees a disassembler (not its space). NULL is a no-op. */
void ss_disasm_close(ss_disasm *d);

/*
 * Moves to va and forgets the bytes read so far (a live source's memory is read
 * again). Errors: SS_E_INVALID_ARG (NULL; va above 0xffffffff in a 32-bit paging mode).
 */
ss_status ss_disasm_seek(ss_disasm *d, uint64_t va);

/* The VA the next instruction will be decoded from. */
uint64_t ss_disasm_tell(const ss_disasm *d);

/*
 * Decodes the instruction at the current VA into *insn and advances past it.
 * Returns SS_OK (an undecodable byte is SS_OK too, flagged SS_INSN_F_BAD), or, when
 * the instruction's bytes cannot all be read, the status of the first unreadable
 * byte and fills *stop (optional): a translation status (SS_E_NOT_PRESENT,
 * SS_E_PAGEFILE, SS_E_PROTOTYPE, SS_E_DEMAND_ZERO, SS_E_BAD_PFN, SS_E_PT_READ,
 * SS_E_NONCANONICAL, and any other status ss_space_walk() returns) or a source read
 * status (SS_E_NO_PAGE, SS_E_RANGE, SS_E_IO, SS_E_CORRUPT, SS_E_SHORT_READ). The
 * position then stays at the instruction, so the same call fails the same way.
 * SS_E_INVALID_ARG for NULL d or insn. *insn is written only on SS_OK.
 */
ss_status ss_disasm_next(ss_disasm *d, ss_insn *insn, ss_disasm_stop *stop);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_DISASM_H */
