/*
 * libFuzzer harness for ss_disasm over a callback source whose host misbehaves on
 * some pages (statuses that are not ss_status codes, short reads, counts above the
 * request, failures). Every instruction must start where the last one ended and hold 1
 * to 15 bytes, each the byte of physical memory its VA translates to, and every stop
 * must name a byte inside the instruction it could not read; a violation aborts.
 *
 * Input: u8 mode (ss_mode - 1, mod 4); u8 bits (0: auto, 1: 32, 2: 16, else auto);
 * u8 host flags (bit 0: garbage status on pages with pfn % 5 == 1, bit 1: SS_OK with
 * half the bytes on pfn % 5 == 2, bit 2: a count above the request on pfn % 5 == 3,
 * bit 3: SS_E_NO_PAGE on pfn % 5 == 4); u8 unused; u64 DTB; u64 start VA; the rest is
 * physical memory (whole pages, at most 64). Seeds: test_disasm.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace.h"

typedef struct host {
    const uint8_t *mem;
    uint64_t size;
    unsigned flags;
} host;

static ss_status host_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    host *h = ctx;
    *nread = 0;
    if (pa >= h->size || h->size - pa < len)
        return SS_E_RANGE;
    unsigned kind = (unsigned)((pa >> 12) % 5);
    if (kind && (h->flags >> (kind - 1)) & 1) {
        switch (kind) {
        case 1:
            *nread = len / 3;
            memcpy(buf, h->mem + pa, *nread);
            return (ss_status)(7 + (int)len);
        case 2:
            *nread = len / 2;
            memcpy(buf, h->mem + pa, *nread);
            return SS_OK;
        case 3:
            memcpy(buf, h->mem + pa, len);
            *nread = len * 2 + 1;
            return SS_OK;
        default: return SS_E_NO_PAGE;
        }
    }
    memcpy(buf, h->mem + pa, len);
    *nread = len;
    return SS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t head = 4 + 8 + 8;
    if (size < head + 4096)
        return 0;
    ss_mode mode = (ss_mode)(1 + data[0] % 4);
    unsigned bits = data[1] == 1 ? 32 : data[1] == 2 ? 16 : 0;
    uint64_t dtb, va;
    memcpy(&dtb, data + 4, 8);
    memcpy(&va, data + 12, 8);
    bool wide = mode == SS_MODE_X64 || mode == SS_MODE_LA57;
    dtb &= wide ? 0x000ffffffffff000ull : 0xfffff000ull;
    if (!wide)
        va &= 0xffffffffu;
    size_t npages = (size - head) / 4096;
    host h = {data + head, (uint64_t)(npages > 64 ? 64 : npages) * 4096, data[2]};

    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.read_phys = host_read;
    ops.phys_size = h.size;
    ss_source *src;
    if (ss_source_open_callback(&ops, &h, &src, NULL) != SS_OK)
        abort();
    ss_space_options so = SS_SPACE_OPTIONS_INIT;
    so.cache_entries = 64;
    ss_space *sp;
    if (ss_space_open(src, mode, dtb, &so, &sp) != SS_OK) {
        ss_source_close(src);
        return 0;
    }
    ss_disasm_options o = SS_DISASM_OPTIONS_INIT;
    o.bits = bits;
    ss_disasm *d;
    if (ss_disasm_open(sp, &o, &d, NULL) != SS_OK || ss_disasm_seek(d, va) != SS_OK)
        abort();
    for (int i = 0; i < 3000; i++) {
        uint64_t at = ss_disasm_tell(d);
        ss_insn in;
        ss_disasm_stop stop;
        ss_status st = ss_disasm_next(d, &in, &stop);
        if (st != SS_OK) {
            if (stop.status != st || stop.insn_va != at || stop.va - at >= 15 ||
                stop.nbytes != stop.va - at || ss_disasm_tell(d) != at)
                abort();
            break;
        }
        if (in.address != at || in.size < 1 || in.size > 15 || ss_disasm_tell(d) != at + in.size ||
            ((in.flags & SS_INSN_F_BAD) && in.size != 1) || !memchr(in.mnemonic, 0, sizeof in.mnemonic) ||
            !memchr(in.operands, 0, sizeof in.operands))
            abort();
        /* each byte is the one in memory where its VA translates (the host's partial answers
         * depend on the request's length, so a second read is no oracle; entry loads are) */
        for (uint32_t k = 0; k < in.size; k++) {
            uint64_t pa;
            if (ss_translate(sp, at + k, &pa) != SS_OK || pa >= h.size || h.mem[pa] != in.bytes[k])
                abort();
        }
    }
    ss_disasm_close(d);
    ss_space_close(sp);
    ss_source_close(src);
    return 0;
}
