/*
 * Disassembly through an address space (sessionspace/disasm.h): Capstone's iterator
 * over a window of bytes read with ss_space_read(), so code is fetched through the
 * page tables of the space's root (the right session) and nothing is allocated per
 * instruction.
 *
 * The window holds the bytes from the current instruction to the end of the last page
 * read. An instruction is decoded from what the window holds; only when that fails
 * and fewer than 15 bytes (the longest x86 instruction, SDM Vol. 2A 2.3.11) are left
 * is the next page read, so a straddling instruction is completed from the following
 * page and an unreadable following page is reported only for an instruction that
 * needs it.
 */
#include <capstone.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace/disasm.h"

#include "../backend/backend.h"

#define MAX_INSN 15u

struct ss_disasm {
    ss_space *space;
    csh cs;
    cs_insn *ci; /* the one instruction Capstone decodes into (cs_malloc) */
    bool wide;   /* 64-bit paging: VAs up to 2^64; else 32-bit */
    uint64_t pos;
    /* window: bytes [wva, wva + wlen) of virtual memory; wend is the status of the
     * byte at wva + wlen once a read stopped there (SS_OK: not read yet) */
    uint64_t wva;
    size_t wlen;
    ss_status wend;
    uint8_t buf[SS_PAGE_SIZE + 2 * SS_INSN_MAX_BYTES];
};

static ss_status fail(ss_error *err, ss_status st, const char *msg)
{
    if (err) {
        err->status = st;
        snprintf(err->message, sizeof err->message, "ss_disasm_open: %s", msg);
    }
    return st;
}

ss_status ss_disasm_options_init(ss_disasm_options *opts, unsigned version)
{
    _Static_assert(offsetof(ss_disasm_options, version) == 0, "version first");
    return ss_versioned_init(opts, sizeof *opts, version, SS_DISASM_OPTIONS_VERSION); /* all in version 1 */
}

ss_status ss_disasm_open(ss_space *space, const ss_disasm_options *opts, ss_disasm **out, ss_error *err)
{
    if (out)
        *out = NULL;
    if (!space || !out)
        return fail(err, SS_E_INVALID_ARG, space ? "NULL out" : "NULL space");
    ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
    if (opts) {
        if (opts->version == 0 || opts->version > SS_DISASM_OPTIONS_VERSION)
            return fail(err, SS_E_INVALID_ARG, "options version not supported by this library");
        o = *opts;
    }
    ss_mode mode = ss_space_mode(space);
    bool wide = mode == SS_MODE_X64 || mode == SS_MODE_LA57;
    if (o.bits == 0)
        o.bits = wide ? 64 : 32;
    if (o.bits != 16 && o.bits != 32 && o.bits != 64)
        return fail(err, SS_E_INVALID_ARG, "bits must be 0, 16, 32 or 64");
    if (o.bits == 64 && !wide)
        return fail(err, SS_E_INVALID_ARG, "64-bit code needs x64 or la57 paging");
    static const int syntaxes[] = {CS_OPT_SYNTAX_MASM, CS_OPT_SYNTAX_INTEL, CS_OPT_SYNTAX_ATT};
    if ((unsigned)o.syntax >= sizeof syntaxes / sizeof syntaxes[0])
        return fail(err, SS_E_INVALID_ARG, "unknown syntax");
    if (!cs_support(CS_ARCH_X86))
        return fail(err, SS_E_UNSUPPORTED, "this Capstone has no x86 support");

    ss_disasm *d = calloc(1, sizeof *d);
    if (!d)
        return fail(err, SS_E_NOMEM, "out of memory");
    cs_mode cm = o.bits == 64 ? CS_MODE_64 : o.bits == 32 ? CS_MODE_32 : CS_MODE_16;
    cs_err ce = cs_open(CS_ARCH_X86, cm, &d->cs);
    if (ce == CS_ERR_OK)
        ce = cs_option(d->cs, CS_OPT_SYNTAX, (size_t)syntaxes[o.syntax]);
    if (ce == CS_ERR_OK && !(d->ci = cs_malloc(d->cs)))
        ce = CS_ERR_MEM;
    if (ce != CS_ERR_OK) {
        if (d->cs)
            cs_close(&d->cs);
        free(d);
        if (ce == CS_ERR_MEM)
            return fail(err, SS_E_NOMEM, "out of memory (Capstone)");
        if (err) {
            err->status = SS_E_UNSUPPORTED;
            snprintf(err->message, sizeof err->message, "ss_disasm_open: Capstone: %s", cs_strerror(ce));
        }
        return SS_E_UNSUPPORTED;
    }
    d->space = space;
    d->wide = wide;
    *out = d;
    return SS_OK;
}

void ss_disasm_close(ss_disasm *d)
{
    if (!d)
        return;
    cs_free(d->ci, 1);
    cs_close(&d->cs);
    free(d);
}

static void window_reset(ss_disasm *d, uint64_t va)
{
    d->wva = va;
    d->wlen = 0;
    d->wend = SS_OK;
}

ss_status ss_disasm_seek(ss_disasm *d, uint64_t va)
{
    if (!d || (!d->wide && va > 0xffffffffu))
        return SS_E_INVALID_ARG;
    d->pos = va;
    window_reset(d, va);
    return SS_OK;
}

uint64_t ss_disasm_tell(const ss_disasm *d)
{
    return d ? d->pos : 0;
}

/*
 * Reads from the end of the window to the end of that page. Returns false when no
 * byte could be added (d->wend says why).
 */
static bool window_extend(ss_disasm *d)
{
    if (d->wend != SS_OK)
        return false;
    uint64_t at = d->wva + d->wlen;
    if (d->wlen && at == 0) { /* the window ends at 2^64 */
        d->wend = SS_E_NONCANONICAL;
        return false;
    }
    size_t chunk = SS_PAGE_SIZE - (size_t)(at & (SS_PAGE_SIZE - 1));
    if (d->wlen + chunk > sizeof d->buf) { /* keep only the bytes from the current instruction on */
        size_t off = (size_t)(d->pos - d->wva);
        memmove(d->buf, d->buf + off, d->wlen - off);
        d->wlen -= off;
        d->wva = d->pos;
    }
    size_t got = 0;
    ss_status st = ss_space_read(d->space, at, d->buf + d->wlen, chunk, &got);
    if (got > chunk) /* never trust a count above what was asked */
        got = chunk;
    d->wlen += got;
    if (st != SS_OK)
        d->wend = st;
    else if (got < chunk) /* SS_OK must mean every byte */
        d->wend = SS_E_SHORT_READ;
    return got > 0;
}

static void fill_stop(ss_disasm *d, ss_disasm_stop *stop)
{
    if (!stop)
        return;
    memset(stop, 0, sizeof *stop);
    stop->status = d->wend;
    stop->insn_va = d->pos;
    stop->va = d->wva + d->wlen;
    stop->nbytes = (uint32_t)(stop->va - d->pos);
    if (d->wlen && stop->va == 0) { /* past 2^64: there is no page to walk */
        stop->xlat.va = 0;
        stop->xlat.state = SS_XLAT_NONCANONICAL;
        return;
    }
    ss_space_walk(d->space, stop->va, &stop->xlat);
}

ss_status ss_disasm_next(ss_disasm *d, ss_insn *insn, ss_disasm_stop *stop)
{
    if (!d || !insn)
        return SS_E_INVALID_ARG;
    if (d->pos < d->wva || d->pos - d->wva > d->wlen)
        window_reset(d, d->pos);
    for (;;) {
        size_t off = (size_t)(d->pos - d->wva), avail = d->wlen - off;
        if (avail) {
            const uint8_t *p = d->buf + off;
            size_t n = avail;
            uint64_t a = d->pos;
            if (cs_disasm_iter(d->cs, &p, &n, &a, d->ci)) {
                cs_insn *ci = d->ci;
                memset(insn, 0, sizeof *insn);
                insn->address = d->pos;
                insn->size = ci->size;
                memcpy(insn->bytes, d->buf + off, ci->size);
                snprintf(insn->mnemonic, sizeof insn->mnemonic, "%s", ci->mnemonic);
                snprintf(insn->operands, sizeof insn->operands, "%s", ci->op_str);
                d->pos += ci->size;
                return SS_OK;
            }
            if (avail >= MAX_INSN) { /* every byte an instruction may need is there: invalid */
                memset(insn, 0, sizeof *insn);
                insn->address = d->pos;
                insn->size = 1;
                insn->flags = SS_INSN_F_BAD;
                insn->bytes[0] = d->buf[off];
                memcpy(insn->mnemonic, "???", 4);
                d->pos++;
                return SS_OK;
            }
        }
        /* fewer than 15 bytes and no decode: it may need the next page */
        if (!window_extend(d)) {
            fill_stop(d, stop);
            return d->wend;
        }
    }
}
