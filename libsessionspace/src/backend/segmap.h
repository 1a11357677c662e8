/*
 * Sorted segment index shared by the crash-dump, ELF, LiME and kdump backends:
 * maps runs of an address space (physical addresses for crash-dump runs / ranges,
 * ELF and LiME; logical file offsets for a flattened makedumpfile stream) to
 * offsets in a mapped file. Built once at open, then every lookup is one binary
 * search; read-only afterwards, so a source can be shared by threads.
 */
#ifndef SS_BACKEND_SEGMAP_H
#define SS_BACKEND_SEGMAP_H

#include "backend.h"

/* [start, start + size) of the address space is stored at file offset off. */
typedef struct ss_seg {
    uint64_t start, size, off;
} ss_seg;

typedef struct ss_segmap {
    ss_seg *segs; /* sorted by start, not overlapping, merged where contiguous */
    size_t n;
    ss_phys_range *ranges; /* segs merged by address only (file offsets ignored) */
    size_t nranges;
    uint64_t end; /* one past the highest address held (0 when empty) */
} ss_segmap;

/*
 * Builds m from in[0..n) (unsorted; zero-sized entries are skipped). Where entries
 * overlap, the later one in `in` wins when allow_overlap, otherwise the build fails
 * with SS_E_CORRUPT. Callers have already checked each entry against the file and
 * against address wrap-around. in is reordered. Errors: SS_E_CORRUPT, SS_E_NOMEM.
 */
ss_status ss_segmap_build(ss_segmap *m, ss_seg *in, size_t n, bool allow_overlap);

void ss_segmap_free(ss_segmap *m);

/* The segment holding addr, or NULL. */
const ss_seg *ss_segmap_find(const ss_segmap *m, uint64_t addr);

/*
 * Copies [addr, addr + len) from the file into buf following the map (ss_file_copy).
 * SS_OK, or (with *nread leading bytes copied) SS_E_NO_PAGE at a hole below
 * m->end, SS_E_RANGE at or past m->end, SS_E_TRUNCATED / SS_E_IO from the file.
 */
ss_status ss_segmap_read(const ss_segmap *m, const ss_file *f, uint64_t addr, void *buf, size_t len,
                         size_t *nread);

/*
 * True when every byte of [addr, addr + len) is held (by one or more adjacent
 * segments). Lets a reader check a region a header names before allocating room
 * for it: a sparse address space (a flattened stream) can name regions far larger
 * than the file. Costs one lookup per segment of the region.
 */
bool ss_segmap_holds(const ss_segmap *m, uint64_t addr, uint64_t len);

/* A pointer to [addr, addr + len) when one segment holds all of it and the file is
 * mapped (not SS_OPEN_PREAD after open), else NULL. */
const uint8_t *ss_segmap_ptr(const ss_segmap *m, const ss_file *f, uint64_t addr, uint64_t len);

/*
 * Zero-copy page for the ELF / LiME backends: the 4 KiB page at pfn when one
 * segment holds it, else NULL with *status SS_E_RANGE (past the end), SS_E_NO_PAGE
 * (no byte of it held) or SS_E_UNSUPPORTED (held in pieces: use read()).
 */
const uint8_t *ss_segmap_page(const ss_segmap *m, const ss_file *f, uint64_t pfn, ss_status *status);

/* Overflow-safe "[off, off + len) lies inside a file of size bytes". */
static inline bool ss_span_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Little- and big-endian loads from unaligned bytes. */
static inline uint16_t ss_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t ss_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ss_le64(const uint8_t *p)
{
    return (uint64_t)ss_le32(p) | (uint64_t)ss_le32(p + 4) << 32;
}
static inline uint64_t ss_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
