/*
 * Rank index over a read-only bitmap (the page bitmaps of Windows bitmap crash
 * dumps): after one pass at open, "how many bits are set before bit i" costs one
 * table load plus at most eight popcounts, whatever the bitmap's size.
 *
 * Bit i lives in byte i / 8 at bit i % 8 (an RTL_BITMAP of little-endian ULONGs
 * reads the same way). The bitmap itself is not copied: it usually sits in a
 * mapped file, and may end at the file's last byte, so no load ever reaches past
 * byte (nbits + 7) / 8.
 */
#ifndef SS_BITRANK_H
#define SS_BITRANK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sessionspace/common.h"

#define SS_BITRANK_BLOCK_WORDS 8u /* 512-bit blocks: one u64 prefix count per 64 bytes of bitmap */

typedef struct ss_bitrank {
    const uint8_t *bits; /* not owned */
    uint64_t nbits;
    uint64_t nwords; /* (nbits + 63) / 64 */
    uint64_t *block; /* block[b]: set bits in words [0, 8b) */
    uint64_t ones;   /* set bits in [0, nbits) */
} ss_bitrank;

#if defined(__GNUC__) || defined(__clang__)
#define ss_popcount64(x) ((uint64_t)__builtin_popcountll(x))
#define ss_ctz64(x)      ((uint64_t)__builtin_ctzll(x)) /* x != 0 */
#else
static inline uint64_t ss_ctz64(uint64_t x)
{
    uint64_t n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}
static inline uint64_t ss_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (x * 0x0101010101010101ull) >> 56;
}
#endif

/* Word w of the bitmap (bits 64w .. 64w+63), bits at or past nbits cleared. */
static inline uint64_t ss_bitrank_word(const ss_bitrank *r, uint64_t w)
{
    uint64_t v = 0;
    uint64_t nbytes = (r->nbits + 7) / 8;
    uint64_t at = w * 8;
    if (nbytes - at >= 8) {
        memcpy(&v, r->bits + at, 8); /* little-endian host assumed, as elsewhere */
    } else {
        for (uint64_t i = 0; at + i < nbytes; i++)
            v |= (uint64_t)r->bits[at + i] << (8 * i);
    }
    uint64_t left = r->nbits - w * 64;
    if (left < 64)
        v &= (1ull << left) - 1;
    return v;
}

/* True when bit i (< nbits) is set. */
static inline bool ss_bitrank_get(const ss_bitrank *r, uint64_t i)
{
    return (r->bits[i >> 3] >> (i & 7)) & 1u;
}

/* Number of set bits in [0, i), i < nbits. */
static inline uint64_t ss_bitrank_rank(const ss_bitrank *r, uint64_t i)
{
    uint64_t w = i >> 6;
    uint64_t b = w / SS_BITRANK_BLOCK_WORDS;
    uint64_t n = r->block[b];
    for (uint64_t k = b * SS_BITRANK_BLOCK_WORDS; k < w; k++)
        n += ss_popcount64(ss_bitrank_word(r, k));
    if (i & 63)
        n += ss_popcount64(ss_bitrank_word(r, w) & ((1ull << (i & 63)) - 1));
    return n;
}

/*
 * Builds the index over bits[0 .. nbits) (the caller has checked that
 * (nbits + 7) / 8 bytes are readable). Errors: SS_E_NOMEM.
 */
ss_status ss_bitrank_init(ss_bitrank *r, const uint8_t *bits, uint64_t nbits);

/* Releases the index (not the bitmap). Safe on a zeroed or freed index. */
void ss_bitrank_free(ss_bitrank *r);

/*
 * The runs of consecutive set bits, as page ranges (bit i = bytes [4096 i,
 * 4096 (i + 1))), ascending. With out == NULL only counts them. Returns the count.
 * There are never more runs than set bits.
 */
uint64_t ss_bitrank_runs(const ss_bitrank *r, ss_phys_range *out);

#endif /* SS_BITRANK_H */
