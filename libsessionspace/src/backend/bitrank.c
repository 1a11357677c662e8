/* Rank index over page bitmaps (see bitrank.h). */
#include <stdlib.h>

#include "bitrank.h"

ss_status ss_bitrank_init(ss_bitrank *r, const uint8_t *bits, uint64_t nbits)
{
    memset(r, 0, sizeof *r);
    r->bits = bits;
    r->nbits = nbits;
    r->nwords = (nbits + 63) / 64;
    uint64_t nblocks = r->nwords / SS_BITRANK_BLOCK_WORDS + 1;
    if (nblocks > SIZE_MAX / sizeof *r->block)
        return SS_E_NOMEM;
    r->block = malloc((size_t)nblocks * sizeof *r->block);
    if (!r->block)
        return SS_E_NOMEM;
    uint64_t n = 0;
    for (uint64_t w = 0; w < r->nwords; w++) {
        if (w % SS_BITRANK_BLOCK_WORDS == 0)
            r->block[w / SS_BITRANK_BLOCK_WORDS] = n;
        n += ss_popcount64(ss_bitrank_word(r, w));
    }
    if (r->nwords % SS_BITRANK_BLOCK_WORDS == 0)
        r->block[r->nwords / SS_BITRANK_BLOCK_WORDS] = n;
    r->ones = n;
    return SS_OK;
}

void ss_bitrank_free(ss_bitrank *r)
{
    free(r->block);
    r->block = NULL;
}

uint64_t ss_bitrank_runs(const ss_bitrank *r, ss_phys_range *out)
{
    uint64_t count = 0;
    uint64_t prev_top = 0; /* bit 63 of the previous word: a run may continue across words */
    for (uint64_t w = 0; w < r->nwords; w++) {
        uint64_t v = ss_bitrank_word(r, w);
        if (v == 0) {
            prev_top = 0;
            continue;
        }
        if (v == ~0ull && prev_top) { /* a run carried straight through */
            if (out)
                out[count - 1].size += 64ull * SS_PAGE_SIZE;
            continue;
        }
        uint64_t starts = v & ~((v << 1) | prev_top);
        if (!out) {
            count += ss_popcount64(starts);
        } else {
            uint64_t bit = 0;
            while (bit < 64) {
                uint64_t rest = v >> bit;
                if (!rest)
                    break;
                if (!(rest & 1)) {
                    bit += ss_ctz64(rest);
                    continue;
                }
                uint64_t len = (~rest) ? ss_ctz64(~rest) : 64 - bit;
                if (len > 64 - bit)
                    len = 64 - bit;
                if (bit == 0 && prev_top) {
                    out[count - 1].size += len * SS_PAGE_SIZE;
                } else {
                    out[count].start = (w * 64 + bit) * SS_PAGE_SIZE;
                    out[count].size = len * SS_PAGE_SIZE;
                    count++;
                }
                bit += len;
            }
        }
        prev_top = v >> 63;
    }
    return count;
}
