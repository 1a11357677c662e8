/*
 * ss_disasm: x86 / x64 code decoded through an address space. Every instruction the
 * test expects is one it wrote into an imagebuilder image, with the encoding worked
 * out from the Intel SDM Vol. 2 below; the expected text is that encoding in the MASM
 * convention (Intel operand order, "28h" hex, "qword ptr"), not Capstone's output.
 *
 *   48 83 ec 28           REX.W + 83 /5 ib: SUB r/m64, imm8; ModRM ec = mod 11, reg 101
 *                         (/5), r/m 100 (rsp)                        -> sub rsp, 28h
 *   c3                    RET near                                    -> ret
 *   48 8b 05 10 00 00 00  REX.W + 8B /r: MOV r64, r/m64; ModRM 05 = mod 00, reg 000 (rax),
 *                         r/m 101 = RIP + disp32 (64-bit mode)        -> rax, qword ptr [rip + 10h]
 *   31 c0                 31 /r: XOR r/m32, r32; ModRM c0 = eax, eax  -> xor eax, eax
 *   55                    50+rd: PUSH r (rbp / ebp)
 *   8b ec                 8B /r: MOV r32, r/m32; ModRM ec = reg 101 (ebp), r/m 100 (esp)
 *   83 ec 28              83 /5 ib (32-bit)                           -> sub esp, 28h
 *   06                    PUSH ES: "invalid in 64-bit mode" (SDM Vol. 2B, PUSH)
 */
#include <sys/stat.h>

#include "sessionspace/callback.h"
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

static const uint8_t SUB_RSP_28[] = {0x48, 0x83, 0xec, 0x28};
static const uint8_t MOV_RAX_RIP[] = {0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00};

static ss_disasm *open_disasm(ss_space *sp)
{
    ss_disasm *d = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_disasm_open(sp, NULL, &d, &err) == SS_OK, "%s", err.message);
    return d;
}

/* Asserts the next instruction's address, bytes and text. */
static void expect_insn(ss_disasm *d, uint64_t va, const uint8_t *bytes, uint32_t size, const char *mnemonic,
                        const char *operands)
{
    ss_insn in;
    ss_disasm_stop stop;
    ss_status st = ss_disasm_next(d, &in, &stop);
    ck_assert_msg(st == SS_OK, "at %#llx: %s (stop va %#llx)", (unsigned long long)va, ss_status_name(st),
                  (unsigned long long)stop.va);
    ck_assert_uint_eq(in.address, va);
    ck_assert_uint_eq(in.size, size);
    ck_assert_mem_eq(in.bytes, bytes, size);
    ck_assert_str_eq(in.mnemonic, mnemonic);
    ck_assert_str_eq(in.operands, operands);
    ck_assert_uint_eq(in.flags, 0);
    ck_assert_uint_eq(ss_disasm_tell(d), va + size);
}

/* kd's favourite: a session-space address of win32k (x64). */
static const uint64_t CODE_VA = 0xfffff96000123000ull;

START_TEST(x64_basic)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, CODE_VA, 0x200000, 4096, 0), 0);
    ssb_write(img, 0x200456, SUB_RSP_28, 4);
    ssb_write(img, 0x20045a, "\xc3", 1);
    ssb_write(img, 0x20045b, MOV_RAX_RIP, 7);
    ssb_write(img, 0x200462, "\x06", 1); /* invalid in 64-bit mode */
    ssb_write(img, 0x200463, "\x31\xc0", 2);
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, root, NULL, &src);
    ss_disasm *d = open_disasm(sp);
    ck_assert_uint_eq(ss_disasm_tell(d), 0);
    ck_assert_int_eq(ss_disasm_seek(d, CODE_VA + 0x456), SS_OK);
    expect_insn(d, CODE_VA + 0x456, SUB_RSP_28, 4, "sub", "rsp, 28h");
    expect_insn(d, CODE_VA + 0x45a, (const uint8_t *)"\xc3", 1, "ret", "");
    expect_insn(d, CODE_VA + 0x45b, MOV_RAX_RIP, 7, "mov", "rax, qword ptr [rip + 10h]");
    /* an undecodable byte: one "???" byte, then decoding goes on */
    ss_insn in;
    ck_assert_int_eq(ss_disasm_next(d, &in, NULL), SS_OK);
    ck_assert_uint_eq(in.address, CODE_VA + 0x462);
    ck_assert_uint_eq(in.size, 1);
    ck_assert_uint_eq(in.bytes[0], 0x06);
    ck_assert_uint_eq(in.flags, SS_INSN_F_BAD);
    ck_assert_str_eq(in.mnemonic, "???");
    ck_assert_str_eq(in.operands, "");
    expect_insn(d, CODE_VA + 0x463, (const uint8_t *)"\x31\xc0", 2, "xor", "eax, eax");
    /* seeking back decodes the same again */
    ck_assert_int_eq(ss_disasm_seek(d, CODE_VA + 0x45a), SS_OK);
    expect_insn(d, CODE_VA + 0x45a, (const uint8_t *)"\xc3", 1, "ret", "");
    ss_disasm_close(d);

    /* the other syntaxes Capstone offers */
    ss_disasm_options o;
    ck_assert_int_eq(ss_disasm_options_init(&o, SS_DISASM_OPTIONS_VERSION), SS_OK);
    ck_assert_uint_eq(o.bits, 0);
    ck_assert_int_eq(o.syntax, SS_DISASM_SYNTAX_MASM);
    ck_assert_uint_eq(o.version, SS_DISASM_OPTIONS_VERSION);
    o.syntax = SS_DISASM_SYNTAX_INTEL;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_OK);
    ss_disasm_seek(d, CODE_VA + 0x456);
    expect_insn(d, CODE_VA + 0x456, SUB_RSP_28, 4, "sub", "rsp, 0x28");
    ss_disasm_close(d);
    o.syntax = SS_DISASM_SYNTAX_ATT;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_OK);
    ss_disasm_seek(d, CODE_VA + 0x456);
    expect_insn(d, CODE_VA + 0x456, SUB_RSP_28, 4, "subq", "$0x28, %rsp");
    ss_disasm_close(d);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

/* An instruction across a page boundary, the second page mapped to a distant frame. */
START_TEST(x64_straddle_mapped)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, CODE_VA, 0x300000, 4096, 0), 0);
    ck_assert_int_eq(ssb_map(img, root, CODE_VA + 0x1000, 0x150000, 4096, 0), 0);
    ssb_write(img, 0x300ffe, SUB_RSP_28, 2);     /* 48 83 */
    ssb_write(img, 0x150000, SUB_RSP_28 + 2, 2); /* ec 28 */
    ssb_write(img, 0x150002, "\xc3", 1);
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, root, NULL, &src);
    ss_disasm *d = open_disasm(sp);
    ss_disasm_seek(d, CODE_VA + 0xffe);
    expect_insn(d, CODE_VA + 0xffe, SUB_RSP_28, 4, "sub", "rsp, 28h");
    expect_insn(d, CODE_VA + 0x1002, (const uint8_t *)"\xc3", 1, "ret", "");
    ss_disasm_close(d);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

/* Runs into the page after CODE_VA's, which is in `state`; the first 3 bytes of sub rsp,28h end the page. */
static void straddle_unreadable(ss_source *src, uint64_t root, ss_status want, ss_xlat_state want_state,
                                ss_disasm_stop *stop)
{
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ss_disasm *d = open_disasm(sp);
    ss_disasm_seek(d, CODE_VA + 0xffc);
    expect_insn(d, CODE_VA + 0xffc, (const uint8_t *)"\xc3", 1, "ret", "");
    for (int round = 0; round < 2; round++) { /* it stays put: the same call fails the same way */
        ss_insn in;
        memset(stop, 0xa5, sizeof *stop);
        ck_assert_int_eq(ss_disasm_next(d, &in, stop), want);
        ck_assert_int_eq(stop->status, want);
        ck_assert_uint_eq(stop->insn_va, CODE_VA + 0xffd);
        ck_assert_uint_eq(stop->va, CODE_VA + 0x1000);
        ck_assert_uint_eq(stop->nbytes, 3);
        ck_assert_uint_eq(stop->xlat.va, CODE_VA + 0x1000);
        ck_assert_int_eq(stop->xlat.state, want_state);
        ck_assert_uint_eq(ss_disasm_tell(d), CODE_VA + 0xffd);
    }
    ck_assert_int_eq(ss_disasm_next(d, &(ss_insn){0}, NULL), want); /* stop is optional */
    ss_disasm_close(d);
    ss_space_close(sp);
}

START_TEST(x64_straddle_unreadable)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t r_np = ssb_new_root(img), r_pf = ssb_new_root(img), r_hole = ssb_new_root(img),
             r_io = ssb_new_root(img);
    for (int i = 0; i < 4; i++) {
        uint64_t r = i == 0 ? r_np : i == 1 ? r_pf : i == 2 ? r_hole : r_io;
        ck_assert_int_eq(ssb_map(img, r, CODE_VA, 0x400000, 4096, 0), 0);
    }
    ssb_write(img, 0x400ffc, "\xc3", 1);
    ssb_write(img, 0x400ffd, SUB_RSP_28, 3);
    /* r_np: the next PTE is zero (not present) -- ssb_map created the table */
    /* r_pf: the next page is in paging file 2 at offset 0x5000 */
    ck_assert_uint_ne(ssb_set_entry(img, r_pf, CODE_VA + 0x1000, SS_LEVEL_PTE,
                                    ssb_sw_pagefile(SS_MODE_X64, SS_PTE_LAYOUT_WIN8, 2, 0x5000, 1)),
                      0);
    /* r_hole: the next page's PTE names a frame the dump does not hold */
    ck_assert_int_eq(ssb_map(img, r_hole, CODE_VA + 0x1000, 0x600000, 4096, 0), 0);
    /* r_io: the next page's frame is in the source but reading it fails */
    ck_assert_int_eq(ssb_map(img, r_io, CODE_VA + 0x1000, 0x700000, 4096, 0), 0);
    const uint64_t holes[] = {0x600}, bad[] = {0x700};
    ss_source *src = ss_test_open_mem(img, holes, 1, bad, 1, NULL);
    ck_assert_ptr_nonnull(src);
    ss_disasm_stop stop;
    straddle_unreadable(src, r_np, SS_E_NOT_PRESENT, SS_XLAT_NOT_PRESENT, &stop);
    ck_assert_int_eq(stop.xlat.level, SS_LEVEL_PTE);
    straddle_unreadable(src, r_pf, SS_E_PAGEFILE, SS_XLAT_PAGEFILE, &stop);
    ck_assert_uint_eq(stop.xlat.pagefile_number, 2);
    ck_assert_uint_eq(stop.xlat.pagefile_offset, 0x5000);
    /* a frame the source lacks: the page translates (in_source false) and reading it fails */
    straddle_unreadable(src, r_hole, SS_E_NO_PAGE, SS_XLAT_VALID, &stop);
    ck_assert_uint_eq(stop.xlat.flags & (SS_XLAT_F_HAS_PA | SS_XLAT_F_NOT_IN_SOURCE),
                      SS_XLAT_F_HAS_PA | SS_XLAT_F_NOT_IN_SOURCE);
    ck_assert_uint_eq(stop.xlat.pa, 0x600000);
    straddle_unreadable(src, r_io, SS_E_IO, SS_XLAT_VALID, &stop);
    ck_assert_uint_eq(stop.xlat.pa, 0x700000);
    ck_assert_uint_eq(stop.xlat.flags & SS_XLAT_F_NOT_IN_SOURCE, 0);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* A callback source that counts the reads of one frame: proves the next page is read only when needed. */
typedef struct counting {
    const ssb_image *img;
    uint64_t watch_pfn;
    unsigned hits;
} counting;

static ss_status counting_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    counting *c = ctx;
    if (pa >> 12 <= c->watch_pfn && (pa + len - 1) >> 12 >= c->watch_pfn)
        c->hits++;
    *nread = 0;
    if (ssb_read(c->img, pa, buf, len) != 0)
        return SS_E_RANGE;
    *nread = len;
    return SS_OK;
}

START_TEST(next_page_only_when_needed)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, CODE_VA, 0x200000, 4096, 0), 0);
    ck_assert_int_eq(ssb_map(img, root, CODE_VA + 0x1000, 0x201000, 4096, 0), 0);
    ssb_write(img, 0x200ffb, SUB_RSP_28, 4); /* ends 1 byte before the page does */
    ssb_write(img, 0x200fff, "\xc3", 1);     /* ends with the page */
    ssb_write(img, 0x201000, "\x31\xc0", 2);
    counting c = {img, 0x201, 0};
    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.read_phys = counting_read;
    ops.phys_size = ssb_size(img);
    ss_source *src;
    ck_assert_int_eq(ss_source_open_callback(&ops, &c, &src, NULL), SS_OK);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ss_disasm *d = open_disasm(sp);
    ss_disasm_seek(d, CODE_VA + 0xffb);
    /* decoding sub (4 of the 5 bytes left) and ret (the last byte) needs nothing more */
    expect_insn(d, CODE_VA + 0xffb, SUB_RSP_28, 4, "sub", "rsp, 28h");
    expect_insn(d, CODE_VA + 0xfff, (const uint8_t *)"\xc3", 1, "ret", "");
    ck_assert_uint_eq(c.hits, 0);
    expect_insn(d, CODE_VA + 0x1000, (const uint8_t *)"\x31\xc0", 2, "xor", "eax, eax");
    ck_assert_uint_eq(c.hits, 1);
    ss_disasm_close(d);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* The same VA holds different code under another root: the session's own frames are read. */
START_TEST(two_roots_same_va)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t s0 = ssb_new_root(img), s1 = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, s0, CODE_VA, 0x200000, 4096, 0), 0);
    ck_assert_int_eq(ssb_map(img, s1, CODE_VA, 0x210000, 4096, 0), 0);
    ssb_write(img, 0x200100, SUB_RSP_28, 4);
    ssb_write(img, 0x210100, "\x31\xc0\xc3", 3);
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, s0, NULL, &src);
    ss_disasm *d = open_disasm(sp);
    ss_disasm_seek(d, CODE_VA + 0x100);
    expect_insn(d, CODE_VA + 0x100, SUB_RSP_28, 4, "sub", "rsp, 28h");
    /* switching the space's root: a seek re-reads through the new tables */
    ck_assert_int_eq(ss_space_set_dtb(sp, s1), SS_OK);
    ss_disasm_seek(d, CODE_VA + 0x100);
    expect_insn(d, CODE_VA + 0x100, (const uint8_t *)"\x31\xc0", 2, "xor", "eax, eax");
    expect_insn(d, CODE_VA + 0x102, (const uint8_t *)"\xc3", 1, "ret", "");
    ss_disasm_close(d);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

/* 32-bit code under x86 and PAE paging, and the 4 GiB end of a 32-bit address space. */
START_TEST(x86_and_pae)
{
    static const uint8_t prologue[] = {0x55, 0x8b, 0xec, 0x83, 0xec, 0x28, 0xc3};
    const ss_mode modes[] = {SS_MODE_X86, SS_MODE_PAE};
    for (int m = 0; m < 2; m++) {
        ssb_image *img = ssb_new(modes[m], 16 * MiB, 8 * MiB);
        uint64_t root = ssb_new_root(img);
        ck_assert_int_eq(ssb_map(img, root, 0x80123000, 0x200000, 4096, 0), 0);
        ck_assert_int_eq(ssb_map(img, root, 0xfffff000, 0x201000, 4096, 0), 0);
        ssb_write(img, 0x200456, prologue, sizeof prologue);
        ssb_write(img, 0x201ffe, "\x8b\xec", 2); /* ends exactly at 4 GiB */
        ssb_write(img, 0x201ffd, "\x83", 1);     /* ... and 83 ec 28 would run past it */
        ss_source *src;
        ss_space *sp = ss_check_open_space(img, modes[m], root, NULL, &src);
        ss_disasm *d = open_disasm(sp);
        ss_disasm_seek(d, 0x80123456);
        expect_insn(d, 0x80123456, prologue, 1, "push", "ebp");
        expect_insn(d, 0x80123457, prologue + 1, 2, "mov", "ebp, esp");
        expect_insn(d, 0x80123459, prologue + 3, 3, "sub", "esp, 28h");
        expect_insn(d, 0x8012345c, prologue + 6, 1, "ret", "");
        ss_disasm_seek(d, 0xfffffffe);
        expect_insn(d, 0xfffffffe, (const uint8_t *)"\x8b\xec", 2, "mov", "ebp, esp");
        ss_disasm_stop stop;
        ss_insn in;
        ck_assert_int_eq(ss_disasm_next(d, &in, &stop), SS_E_NONCANONICAL);
        ck_assert_uint_eq(stop.va, 0x100000000ull);
        ck_assert_uint_eq(stop.nbytes, 0);
        ck_assert_int_eq(stop.xlat.state, SS_XLAT_NONCANONICAL);
        ss_disasm_seek(d, 0xfffffffd); /* 83 ec | past 4 GiB */
        ck_assert_int_eq(ss_disasm_next(d, &in, &stop), SS_E_NONCANONICAL);
        ck_assert_uint_eq(stop.insn_va, 0xfffffffd);
        ck_assert_uint_eq(stop.nbytes, 3);
        /* a 32-bit space has no VA above 4 GiB, and no 64-bit code */
        ck_assert_int_eq(ss_disasm_seek(d, 0x100000000ull), SS_E_INVALID_ARG);
        ss_disasm_close(d);
        ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
        o.bits = 64;
        d = (ss_disasm *)1;
        ss_error err = {0};
        ck_assert_int_eq(ss_disasm_open(sp, &o, &d, &err), SS_E_INVALID_ARG);
        ck_assert_ptr_null(d);
        ck_assert_str_eq(err.message, "ss_disasm_open: 64-bit code needs x64 or la57 paging");
        ss_check_close_space(sp, src);
        ssb_free(img);
    }
}
END_TEST

/* 32-bit code (WoW64) under x64 paging, and the top of the lower canonical half. */
START_TEST(x64_bits32_and_canonical_end)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, 0x7ffffffff000ull, 0x200000, 4096, SSB_US), 0);
    ssb_write(img, 0x200ff0, SUB_RSP_28, 4);
    ssb_write(img, 0x200ffe, SUB_RSP_28, 2);
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, root, NULL, &src);
    ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
    o.bits = 32; /* 48 is DEC eax in 32-bit code (SDM Vol. 2A, DEC: 48+rd) */
    ss_disasm *d;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_OK);
    ss_disasm_seek(d, 0x7ffffffffff0ull);
    expect_insn(d, 0x7ffffffffff0ull, SUB_RSP_28, 1, "dec", "eax");
    expect_insn(d, 0x7ffffffffff1ull, SUB_RSP_28 + 1, 3, "sub", "esp, 28h");
    ss_disasm_close(d);
    d = open_disasm(sp);
    ss_disasm_seek(d, 0x7ffffffffffeull);
    ss_disasm_stop stop;
    ss_insn in;
    ck_assert_int_eq(ss_disasm_next(d, &in, &stop), SS_E_NONCANONICAL);
    ck_assert_uint_eq(stop.va, 0x800000000000ull);
    ck_assert_uint_eq(stop.nbytes, 2);
    ck_assert_int_eq(stop.xlat.state, SS_XLAT_NONCANONICAL);
    ss_disasm_close(d);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

START_TEST(bad_arguments)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    uint64_t root = ssb_new_root(img);
    ss_source *src;
    ss_space *sp = ss_check_open_space(img, SS_MODE_X64, root, NULL, &src);
    ss_disasm *d = (ss_disasm *)1;
    ss_error err = {0};
    ck_assert_int_eq(ss_disasm_open(NULL, NULL, &d, &err), SS_E_INVALID_ARG);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(err.status, SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "ss_disasm_open: NULL space");
    ck_assert_int_eq(ss_disasm_open(sp, NULL, NULL, NULL), SS_E_INVALID_ARG);
    ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
    o.version = 0;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_E_INVALID_ARG);
    o.version = SS_DISASM_OPTIONS_VERSION + 1;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_E_INVALID_ARG);
    o.version = SS_DISASM_OPTIONS_VERSION;
    o.bits = 8;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, &err), SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "ss_disasm_open: bits must be 0, 16, 32 or 64");
    o.bits = 0;
    o.syntax = (ss_disasm_syntax)7;
    ck_assert_int_eq(ss_disasm_open(sp, &o, &d, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_disasm_options_init(NULL, SS_DISASM_OPTIONS_VERSION), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_disasm_options_init(&o, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_disasm_options_init(&o, SS_DISASM_OPTIONS_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_disasm_seek(NULL, 0), SS_E_INVALID_ARG);
    ck_assert_uint_eq(ss_disasm_tell(NULL), 0);
    ss_insn in;
    ck_assert_int_eq(ss_disasm_next(NULL, &in, NULL), SS_E_INVALID_ARG);
    d = open_disasm(sp);
    ck_assert_int_eq(ss_disasm_next(d, NULL, NULL), SS_E_INVALID_ARG);
    /* VA 0 is not mapped in this image */
    ss_disasm_stop stop;
    ck_assert_int_eq(ss_disasm_next(d, &in, &stop), SS_E_NOT_PRESENT);
    ck_assert_uint_eq(stop.va, 0);
    ck_assert_int_eq(stop.xlat.level, SS_LEVEL_PML4E);
    ss_disasm_close(d);
    ss_disasm_close(NULL);
    ss_check_close_space(sp, src);
    ssb_free(img);
}
END_TEST

/* With SS_FUZZ_SEED_DIR set: seeds for tests/fuzz/fuzz_disasm.c (its input layout). */
START_TEST(write_fuzz_seeds)
{
    const char *dir = getenv("SS_FUZZ_SEED_DIR");
    if (!dir || !*dir)
        return;
    char sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/fuzz_disasm", dir);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    const ss_mode modes[] = {SS_MODE_X86, SS_MODE_PAE, SS_MODE_X64, SS_MODE_LA57};
    for (int m = 0; m < 4; m++) {
        /* 64 KiB: tables from 0x8000, code on two pages (the second one a pagefile PTE in half the seeds) */
        ssb_image *img = ssb_new(modes[m], 0x10000, 0x8000);
        uint64_t root = ssb_new_root(img);
        uint64_t va = m >= 2 ? CODE_VA : 0x80123000;
        ck_assert_int_eq(ssb_map(img, root, va, 0x1000, 4096, 0), 0);
        ck_assert_int_eq(ssb_map(img, root, va + 0x1000, 0x3000, 4096, 0), 0);
        for (uint64_t pa = 0x1000; pa < 0x2000; pa += 16) {
            ssb_write(img, pa, SUB_RSP_28, 4);
            ssb_write(img, pa + 4, MOV_RAX_RIP, 7);
            ssb_write(img, pa + 11, "\x31\xc0\x06\xc3\x90", 5);
        }
        for (unsigned flags = 0; flags < 16; flags += 5) {
            uint8_t head[20] = {(uint8_t)(modes[m] - 1), 0, (uint8_t)flags, 0};
            uint64_t start = va + 0xf80;
            memcpy(head + 4, &root, 8);
            memcpy(head + 12, &start, 8);
            size_t len = sizeof head + 0x10000;
            uint8_t *buf = malloc(len);
            memcpy(buf, head, sizeof head);
            ck_assert_int_eq(ssb_read(img, 0, buf + sizeof head, 0x10000), 0);
            snprintf(path, sizeof path, "%s/%s-%u.bin", sub, ss_mode_name(modes[m]), flags);
            FILE *f = fopen(path, "wb");
            ck_assert_ptr_nonnull(f);
            ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
            fclose(f);
            free(buf);
        }
        ssb_free(img);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("disasm");
    TCase *tc = tcase_create("disasm");
    tcase_add_test(tc, x64_basic);
    tcase_add_test(tc, x64_straddle_mapped);
    tcase_add_test(tc, x64_straddle_unreadable);
    tcase_add_test(tc, next_page_only_when_needed);
    tcase_add_test(tc, two_roots_same_va);
    tcase_add_test(tc, x86_and_pae);
    tcase_add_test(tc, x64_bits32_and_canonical_end);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, write_fuzz_seeds);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
