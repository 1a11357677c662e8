/*
 * kdump: kdump-compressed ("diskdump") files as Linux makedumpfile and QEMU's
 * dump-guest-memory -z write them, plain or in makedumpfile's flattened stream.
 *
 * Plain layout (makedumpfile diskdump_mod.h; QEMU include/sysemu/dump.h), in
 * blocks of block_size bytes (the page size of the dumped machine):
 *   block 0            disk_dump_header: "KDUMP   ", header_version, utsname,
 *                      timestamp, status, block_size, sub_hdr_size, bitmap_blocks,
 *                      max_mapnr ...
 *   block 1            kdump_sub_header (sub_hdr_size blocks, also holding the
 *                      VMCOREINFO text and ELF notes it points at)
 *   next bitmap_blocks two bitmaps of equal size, one bit per PFN, LSB first:
 *                      the 1st says which pages exist, the 2nd which were dumped
 *   next               page_desc {i64 offset; u32 size; u32 flags; u64 page_flags}
 *                      (24 bytes), one per set bit of the 2nd bitmap in PFN order
 *   then               page data, compressed (flags: zlib 0x1, lzo 0x2, snappy 0x4,
 *                      zstd 0x20) or raw (flags 0, size == block_size).
 * Both the 64-bit and the 32-bit header layouts are read (see kdump_layout).
 *
 * Flattened layout (makedumpfile -F, QEMU's default for -z): a 4096-byte header
 * starting with "makedumpfile", big-endian i64 type 1 and version 1, then records
 * {big-endian i64 offset, i64 size, size bytes} that a plain file would hold at
 * offset, ended by offset == size == -1. The records are indexed at open into a
 * logical-offset -> file-offset map (segmap.h; a later record wins where two
 * overlap, as when makedumpfile -R replays them), and every read of the logical
 * file goes through it, so both layouts share all the code below.
 *
 * Threads: nothing is cached. A compressed page is decompressed on every read,
 * straight into the caller's buffer when it wants the whole page, else through a
 * page-sized buffer on the stack (heap for block sizes over 4 KiB).
 */
#include <stdlib.h>

#ifdef HAVE_SS_DEP_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_SS_DEP_LZO2
#include <lzo/lzo1x.h>
#endif
#ifdef HAVE_SS_DEP_SNAPPY
#include <snappy-c.h>
#endif
#ifdef HAVE_SS_DEP_LIBZSTD
#include <stdatomic.h>
#include <zstd.h>
#endif

#include "bitrank.h"
#include "dumpnotes.h"
#include "segmap.h"

/*
 * Field offsets of disk_dump_header and kdump_sub_header. The 64-bit layout is
 * what LP64 dumpers write (timeval of two longs at 408); the 32-bit one what i386
 * makedumpfile and QEMU for non-IA-32e guests write (QEMU DiskDumpHeader32 /
 * KdumpSubHeader32: timestamp at 402, 4-byte longs, 8-byte off_t at 4-byte
 * alignment).
 */
typedef struct kdump_layout {
    const char *name;
    unsigned dh_status, dh_block_size, dh_sub_hdr_size, dh_bitmap_blocks, dh_max_mapnr, dh_size;
    unsigned sh_off_vmcoreinfo, sh_size_vmcoreinfo, sh_off_note, sh_size_note, sh_max_mapnr_64, sh_size;
    unsigned word; /* width of the sub-header's unsigned long size fields */
} kdump_layout;

static const kdump_layout kd64 = {"64-bit", 424, 428, 432, 436, 440, 464, 32, 40, 48, 56, 96, 104, 8};
static const kdump_layout kd32 = {"32-bit", 412, 416, 420, 424, 428, 452, 20, 28, 32, 40, 72, 80, 4};
enum { DH_VERSION = 8, DH_MACHINE = 12 + 4 * 65, DH_MAX = 464, SH_MAX = 104 };
enum { PD_SIZE = 24 };
#define DUMP_ZLIB       0x1u
#define DUMP_LZO        0x2u
#define DUMP_SNAPPY     0x4u
#define DUMP_INCOMPLETE 0x8u
#define DUMP_ZSTD       0x20u
#define DUMP_COMPRESSED (DUMP_ZLIB | DUMP_LZO | DUMP_SNAPPY | DUMP_ZSTD)
#define MAX_BLOCK_SIZE  (1u << 20)
enum { FLAT_HDR = 4096, FLAT_REC = 16 };

typedef struct kdump_ctx {
    ss_dumpnotes notes; /* first: the ss_notes_* ops take the context as notes */
    ss_file file;
    ss_segmap lmap; /* logical file -> file offsets (identity map for plain files) */
    bool flattened;
    uint32_t block_size, shift, status;
    uint64_t max_mapnr;
    uint8_t *bitmap;   /* a copy of the 2nd bitmap's (max_mapnr + 7) / 8 bytes */
    ss_bitrank rank;   /* rank index over it: a PFN's page_desc is its rank */
    uint64_t desc_off; /* logical offset of page_desc 0 */
    ss_phys_range *ranges;
    size_t nranges;
    uint8_t *meta;  /* owned copies of the VMCOREINFO text and the note area */
    unsigned stage; /* how far parse() got: the layout that got further has the real complaint */
#ifdef HAVE_SS_DEP_LIBZSTD
    /* A spare zstd context, taken and given back atomically: creating one per page
     * (ZSTD_decompress) costs a ~160 KiB allocation each time. A reader that finds
     * none creates its own, so concurrent readers never wait. */
    _Atomic(ZSTD_DCtx *) zstd_spare;
#endif
} kdump_ctx;
_Static_assert(offsetof(kdump_ctx, notes) == 0, "the ss_notes_* ops read the context as its notes");

/* Copies logical [off, off + len) into buf: SS_OK, or why not (a hole, the end, a file that shrank). */
static ss_status lread_st(const kdump_ctx *k, uint64_t off, void *buf, size_t len)
{
    size_t n;
    return ss_segmap_read(&k->lmap, &k->file, off, buf, len, &n);
}

/* lread_st() == SS_OK. */
static bool lread(const kdump_ctx *k, uint64_t off, void *buf, size_t len)
{
    return lread_st(k, off, buf, len) == SS_OK;
}

/* A failed read of bytes the open checked: the file shrank or failed, else a flattened hole. */
static ss_status after_open(ss_status st)
{
    return st == SS_E_TRUNCATED || st == SS_E_IO ? st : SS_E_CORRUPT;
}

static bool dumped(const kdump_ctx *k, uint64_t pfn)
{
    return pfn < k->max_mapnr && ss_bitrank_get(&k->rank, pfn);
}

/* Index of pfn's page_desc: the set bits of the 2nd bitmap before it. */
static uint64_t desc_index(const kdump_ctx *k, uint64_t pfn)
{
    return ss_bitrank_rank(&k->rank, pfn);
}

typedef struct page_desc {
    uint64_t offset;
    uint32_t size, flags;
} page_desc;

static ss_status get_desc(const kdump_ctx *k, uint64_t pfn, page_desc *d)
{
    uint8_t b[PD_SIZE];
    ss_status st = lread_st(k, k->desc_off + desc_index(k, pfn) * PD_SIZE, b, sizeof b);
    if (st != SS_OK) /* the table was checked at open: a hole in a flattened file, or the file shrank */
        return after_open(st);
    d->offset = ss_le64(b);
    d->size = ss_le32(b + 8);
    d->flags = ss_le32(b + 12);
    if (d->size == 0 && d->offset == 0 && (k->status & DUMP_INCOMPLETE))
        return SS_E_NO_PAGE; /* makedumpfile stopped before writing this page */
    if (d->size == 0 || d->size > k->block_size || !ss_span_ok(d->offset, d->size, k->lmap.end))
        return SS_E_CORRUPT;
    if (!(d->flags & DUMP_COMPRESSED) && d->size != k->block_size)
        return SS_E_CORRUPT;
    return SS_OK;
}

/* Decompresses src[0..n) into exactly block_size bytes at out. */
static ss_status decompress(const kdump_ctx *k, uint32_t flags, const uint8_t *src, size_t n, uint8_t *out)
{
    size_t want = k->block_size;
    (void)src; /* unused when no compression library was found */
    (void)n;
    (void)out;
    (void)want;
    switch (flags & DUMP_COMPRESSED) {
#ifdef HAVE_SS_DEP_ZLIB
    case DUMP_ZLIB: {
        uLongf got = (uLongf)want;
        return uncompress(out, &got, src, (uLong)n) == Z_OK && got == want ? SS_OK : SS_E_CORRUPT;
    }
#endif
#ifdef HAVE_SS_DEP_LZO2
    case DUMP_LZO: {
        lzo_uint got = want;
        return lzo1x_decompress_safe(src, n, out, &got, NULL) == LZO_E_OK && got == want ? SS_OK
                                                                                         : SS_E_CORRUPT;
    }
#endif
#ifdef HAVE_SS_DEP_SNAPPY
    case DUMP_SNAPPY: {
        size_t got = 0;
        if (snappy_uncompressed_length((const char *)src, n, &got) != SNAPPY_OK || got != want)
            return SS_E_CORRUPT;
        return snappy_uncompress((const char *)src, n, (char *)out, &got) == SNAPPY_OK && got == want
                   ? SS_OK
                   : SS_E_CORRUPT;
    }
#endif
#ifdef HAVE_SS_DEP_LIBZSTD
    case DUMP_ZSTD: {
        kdump_ctx *mk = (kdump_ctx *)k; /* the spare context is the one mutable part of a shared source */
        ZSTD_DCtx *dc = atomic_exchange(&mk->zstd_spare, NULL);
        if (!dc && !(dc = ZSTD_createDCtx()))
            return SS_E_NOMEM;
        size_t got = ZSTD_decompressDCtx(dc, out, want, src, n);
        ZSTD_freeDCtx(atomic_exchange(&mk->zstd_spare, dc)); /* keep one spare; NULL is a no-op */
        return !ZSTD_isError(got) && got == want ? SS_OK : SS_E_CORRUPT;
    }
#endif
    default: {
        uint32_t m = flags & DUMP_COMPRESSED;
        /* One method whose library was not found at build time, or several named at once. */
        return (m & (m - 1)) == 0 ? SS_E_UNSUPPORTED : SS_E_CORRUPT;
    }
    }
}

/*
 * Stores page pfn (block_size bytes) at out; scratch is another block_size bytes
 * for compressed data that is not contiguous in the file.
 */
static ss_status load_block(const kdump_ctx *k, uint64_t pfn, uint8_t *out, uint8_t *scratch)
{
    page_desc d;
    ss_status st = get_desc(k, pfn, &d);
    if (st != SS_OK)
        return st;
    const uint8_t *src = ss_segmap_ptr(&k->lmap, &k->file, d.offset, d.size);
    if (!(d.flags & DUMP_COMPRESSED)) {
        if (src)
            memcpy(out, src, d.size);
        else if ((st = lread_st(k, d.offset, out, d.size)) != SS_OK)
            return after_open(st);
        return SS_OK;
    }
    if (!src) {
        if ((st = lread_st(k, d.offset, scratch, d.size)) != SS_OK)
            return after_open(st);
        src = scratch;
    }
    return decompress(k, d.flags, src, d.size, out);
}

static ss_status kdump_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    kdump_ctx *k = ctx;
    uint8_t *out = buf;
    uint8_t stack[2 * 4096];
    uint8_t *tmp = stack;
    if (k->block_size > 4096 && !(tmp = malloc(2 * (size_t)k->block_size)))
        return SS_E_NOMEM;
    ss_status st = SS_OK;
    size_t done = 0;
    *nread = 0;
    while (done < len) {
        uint64_t a = pa + done;
        uint64_t pfn = a >> k->shift, in = a & (k->block_size - 1);
        if (a < pa || pfn >= k->max_mapnr) {
            st = SS_E_RANGE;
            break;
        }
        if (!dumped(k, pfn)) {
            st = SS_E_NO_PAGE;
            break;
        }
        size_t n = k->block_size - in < len - done ? (size_t)(k->block_size - in) : len - done;
        if (n == k->block_size)
            st = load_block(k, pfn, out + done, tmp);
        else if ((st = load_block(k, pfn, tmp, tmp + k->block_size)) == SS_OK)
            memcpy(out + done, tmp + in, n);
        if (st != SS_OK)
            break;
        done += n;
        *nread = done;
    }
    if (tmp != stack)
        free(tmp);
    return st;
}

/* Zero-copy only for pages stored raw and contiguous in the file. */
static const uint8_t *kdump_page(void *ctx, uint64_t pfn4k, ss_status *status)
{
    kdump_ctx *k = ctx;
    uint64_t pa = pfn4k << SS_PAGE_SHIFT, pfn = pa >> k->shift;
    if (pfn4k > (UINT64_MAX >> SS_PAGE_SHIFT) || pfn >= k->max_mapnr) {
        *status = SS_E_RANGE;
        return NULL;
    }
    if (!dumped(k, pfn)) {
        *status = SS_E_NO_PAGE;
        return NULL;
    }
    page_desc d;
    *status = get_desc(k, pfn, &d);
    if (*status != SS_OK)
        return NULL;
    const uint8_t *p = NULL;
    if (!(d.flags & DUMP_COMPRESSED))
        p = ss_segmap_ptr(&k->lmap, &k->file, d.offset, d.size);
    if (!p) {
        *status = SS_E_UNSUPPORTED;
        return NULL;
    }
    return p + (pa & (k->block_size - 1));
}

static ss_status kdump_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    kdump_ctx *k = ctx;
    *ranges = k->ranges;
    *count = k->nranges;
    return SS_OK;
}

/* Drops what parse() built, keeping the file and its logical map. */
static void reset(kdump_ctx *k)
{
    ss_notes_free(&k->notes);
    free(k->bitmap);
    ss_bitrank_free(&k->rank);
    free(k->ranges);
    free(k->meta);
    k->bitmap = NULL;
    k->ranges = NULL;
    k->meta = NULL;
    k->nranges = 0;
}

static void kdump_free(kdump_ctx *k)
{
#ifdef HAVE_SS_DEP_LIBZSTD
    ZSTD_freeDCtx(atomic_load(&k->zstd_spare));
#endif
    ss_segmap_free(&k->lmap);
    ss_notes_free(&k->notes);
    free(k->bitmap);
    ss_bitrank_free(&k->rank);
    free(k->ranges);
    free(k->meta);
    free(k);
}

static void kdump_close(void *ctx)
{
    kdump_ctx *k = ctx;
    ss_file_unmap(&k->file);
    kdump_free(k);
}

static const ss_backend_ops kdump_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "kdump",
    .read = kdump_read,
    .page = kdump_page,
    .ranges = kdump_ranges,
    .info = ss_notes_info, /* the notes are the context's first member */
    .cpu_count = ss_notes_cpu_count,
    .cpu = ss_notes_cpu,
    .note = ss_notes_note,
    .close = kdump_close,
};

static bool is_flat(const uint8_t *data, uint64_t size)
{
    return size >= 13 && memcmp(data, "makedumpfile", 13) == 0; /* the NUL included */
}

static bool kdump_probe(const uint8_t *data, uint64_t size)
{
    return (size >= 8 && memcmp(data, "KDUMP   ", 8) == 0) || is_flat(data, size);
}

/* Indexes the records of a flattened stream into k->lmap. */
static ss_status index_flat(kdump_ctx *k, ss_error *err)
{
    const ss_file *f = &k->file;
    if (f->size < FLAT_HDR)
        return ss_fail(err, SS_E_TRUNCATED, "%s: flattened makedumpfile header cut short (%llu of %d bytes)",
                       f->path, (unsigned long long)f->size, FLAT_HDR);
    uint64_t type = ss_be64(f->data + 16), version = ss_be64(f->data + 24);
    if (type != 1 || version != 1)
        return ss_fail(err, SS_E_UNSUPPORTED,
                       "%s: flattened makedumpfile type %llu version %llu (only 1/1 known)", f->path,
                       (unsigned long long)type, (unsigned long long)version);
    size_t cap = 256, n = 0;
    ss_seg *recs = malloc(cap * sizeof *recs);
    if (!recs)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    ss_status st;
    uint64_t pos = FLAT_HDR;
    for (;;) {
        if (f->size - pos < FLAT_REC) {
            st = ss_fail(err, SS_E_TRUNCATED,
                         "%s: flattened stream ends at offset %llu without its end marker (record %zu)",
                         f->path, (unsigned long long)pos, n);
            goto out;
        }
        uint64_t off = ss_be64(f->data + pos), size = ss_be64(f->data + pos + 8);
        if (off == UINT64_MAX && size == UINT64_MAX)
            break;
        if (off >> 63 || size >> 63 || off + size < off) {
            st = ss_fail(err, SS_E_CORRUPT,
                         "%s: flattened record %zu at offset %llu has a bad offset %#llx or size %#llx",
                         f->path, n, (unsigned long long)pos, (unsigned long long)off,
                         (unsigned long long)size);
            goto out;
        }
        if (!ss_span_ok(pos + FLAT_REC, size, f->size)) {
            st = ss_fail(err, SS_E_TRUNCATED,
                         "%s: flattened record %zu at offset %llu (%llu bytes) runs past the end of the file",
                         f->path, n, (unsigned long long)pos, (unsigned long long)size);
            goto out;
        }
        if (n == cap) {
            ss_seg *t = realloc(recs, 2 * cap * sizeof *recs);
            if (!t) {
                st = ss_fail(err, SS_E_NOMEM, "out of memory");
                goto out;
            }
            recs = t;
            cap *= 2;
        }
        recs[n++] = (ss_seg){off, size, pos + FLAT_REC};
        pos += FLAT_REC + size;
    }
    st = ss_segmap_build(&k->lmap, recs, n, true);
    if (st != SS_OK)
        st = ss_fail(err, st, "%s: cannot index the flattened stream: %s", f->path, ss_strerror(st));
out:
    free(recs);
    return st;
}

static bool block_size_ok(uint32_t bs)
{
    return bs >= 4096 && bs <= MAX_BLOCK_SIZE && (bs & (bs - 1)) == 0;
}

static uint64_t load_word(const uint8_t *p, unsigned width)
{
    return width == 8 ? ss_le64(p) : ss_le32(p);
}

/*
 * Ranges of a dump makedumpfile did not finish (status DUMP_INCOMPLETE): a page whose
 * bit is set but whose descriptor is still empty (offset and size 0) was never
 * written, so it is left out of the ranges as well as read as SS_E_NO_PAGE. Costs one
 * descriptor read per dumped page, only for such dumps.
 */
static ss_status incomplete_ranges(kdump_ctx *k, uint64_t total, ss_error *err)
{
    /* the runs of set bits (at most one per dumped page, and those are bounded by the
     * descriptor table checked against the file), page by page in PFN order */
    uint64_t nruns = ss_bitrank_runs(&k->rank, NULL);
    ss_phys_range *runs = malloc((size_t)(nruns ? nruns : 1) * sizeof *runs);
    if (!runs)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    ss_bitrank_runs(&k->rank, runs);
    ss_status st = SS_OK;
    size_t cap = 0;
    uint64_t index = 0, next = UINT64_MAX; /* the PFN that would extend the last range */
    for (uint64_t r = 0; r < nruns && st == SS_OK; r++) {
        uint64_t first = runs[r].start >> SS_PAGE_SHIFT, end = first + (runs[r].size >> SS_PAGE_SHIFT);
        for (uint64_t pfn = first; pfn < end; pfn++) {
            uint8_t b[PD_SIZE];
            if (index >= total || !lread(k, k->desc_off + index * PD_SIZE, b, sizeof b)) {
                st = ss_fail(err, SS_E_TRUNCATED, "%s: page descriptor %llu (PFN %#llx) cannot be read",
                             k->file.path, (unsigned long long)index, (unsigned long long)pfn);
                break;
            }
            index++;
            if (ss_le64(b) == 0 && ss_le32(b + 8) == 0)
                continue; /* never written */
            if (pfn == next) {
                k->ranges[k->nranges - 1].size += k->block_size;
            } else {
                if (k->nranges == cap) {
                    size_t ncap = cap ? 2 * cap : 64;
                    ss_phys_range *g = realloc(k->ranges, ncap * sizeof *g);
                    if (!g) {
                        st = ss_fail(err, SS_E_NOMEM, "out of memory");
                        break;
                    }
                    k->ranges = g;
                    cap = ncap;
                }
                k->ranges[k->nranges++] = (ss_phys_range){pfn << k->shift, k->block_size};
            }
            next = pfn + 1;
        }
    }
    free(runs);
    return st;
}

/* Reads the header, sub-header and bitmap, and checks the descriptor table. */
static ss_status parse(kdump_ctx *k, const kdump_layout *L, ss_error *err)
{
    const char *path = k->file.path;
    k->stage = 0;
    uint8_t h[DH_MAX];
    if (!lread(k, 0, h, 8) || memcmp(h, "KDUMP   ", 8) != 0)
        return ss_fail(
            err, k->flattened ? SS_E_UNSUPPORTED : SS_E_FORMAT, "%s: %s", path,
            k->flattened
                ? "flattened stream does not hold a kdump file (a flattened ELF? use makedumpfile -R)"
                : "no KDUMP signature");
    if (!lread(k, 0, h, L->dh_size))
        return ss_fail(err, SS_E_TRUNCATED, "%s: kdump header cut short (the %s layout needs %u bytes)", path,
                       L->name, L->dh_size);
    char machine[66] = {0};
    memcpy(machine, h + DH_MACHINE, 65);
    uint32_t version = ss_le32(h + DH_VERSION), bs = ss_le32(h + L->dh_block_size);
    if (!block_size_ok(bs))
        return ss_fail(err, SS_E_CORRUPT, "%s: block_size %u (%s header) is not a power of two in [4096, %u]",
                       path, bs, L->name, MAX_BLOCK_SIZE);
    k->stage = 1;
    k->block_size = bs;
    for (k->shift = SS_PAGE_SHIFT; (1u << k->shift) < bs;) /* bs: a power of two, checked above */
        k->shift++;
    k->status = ss_le32(h + L->dh_status);
    uint64_t sub_blocks = ss_le32(h + L->dh_sub_hdr_size), bitmap_blocks = ss_le32(h + L->dh_bitmap_blocks);
    uint64_t lsize = k->lmap.end;

    uint8_t sh[SH_MAX] = {0};
    size_t shlen = version >= 6   ? L->sh_size
                   : version >= 4 ? L->sh_size_note + L->word
                   : version >= 3 ? L->sh_size_vmcoreinfo + L->word
                                  : 0;
    if (shlen && (sub_blocks * bs < shlen || !lread(k, bs, sh, shlen)))
        return ss_fail(err, SS_E_TRUNCATED, "%s: kdump sub-header (%zu bytes at %u) is missing or cut short",
                       path, shlen, bs);
    k->max_mapnr = version >= 6 ? ss_le64(sh + L->sh_max_mapnr_64) : ss_le32(h + L->dh_max_mapnr);
    k->stage = 2;

    /* The 2nd bitmap: second half of the bitmap blocks. */
    uint64_t bitmap_off = (1 + sub_blocks) * bs, half = bitmap_blocks * bs / 2;
    /* max_mapnr is checked against the bitmap's bits before any arithmetic on it
     * (half <= 2^51, so half * 8 cannot wrap). */
    if (bitmap_blocks == 0 || (bitmap_blocks & 1) || k->max_mapnr > half * 8)
        return ss_fail(err, SS_E_CORRUPT, "%s: %llu bitmap blocks cannot hold a bitmap of %llu pages", path,
                       (unsigned long long)bitmap_blocks, (unsigned long long)k->max_mapnr);
    if (!ss_span_ok(bitmap_off, 2 * half, lsize))
        return ss_fail(err, SS_E_TRUNCATED, "%s: bitmaps (%llu bytes at %llu) run past the end of the dump",
                       path, (unsigned long long)(2 * half), (unsigned long long)bitmap_off);
    /* Physical addresses of every PFN must fit 64 bits (ranges are start << shift). */
    if (k->max_mapnr > UINT64_MAX >> k->shift)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: max_mapnr %llu pages of %u bytes exceed a 64-bit address space", path,
                       (unsigned long long)k->max_mapnr, bs);
    k->stage = 3;
    uint64_t need = (k->max_mapnr + 7) / 8;
    /* The bitmap is copied below, so it must be in the file; a flattened stream's
     * logical size (checked above) may be far larger than the file: check the bytes
     * are held before allocating room for them. */
    if (need && !ss_segmap_holds(&k->lmap, bitmap_off + half, need))
        return ss_fail(err, SS_E_TRUNCATED, "%s: the 2nd bitmap (%llu bytes at %llu) is not in the file",
                       path, (unsigned long long)need, (unsigned long long)(bitmap_off + half));
    /* The bitmap is copied and scanned at open: a header may not make that cost more
     * than the file really stores (a 12 KiB sparse file can declare 2^34 pages). */
    if (need > SS_FREE_SCAN_BYTES && need > k->file.stored)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: a bitmap of %llu pages (%llu bytes) is larger than the %llu bytes the file "
                       "stores (a sparse file?); refusing to copy it",
                       path, (unsigned long long)k->max_mapnr, (unsigned long long)need,
                       (unsigned long long)k->file.stored);
    k->bitmap = malloc(need ? need : 1);
    if (!k->bitmap)
        return ss_fail(err, SS_E_NOMEM, "out of memory for a bitmap of %llu pages",
                       (unsigned long long)k->max_mapnr);
    if (need && !lread(k, bitmap_off + half, k->bitmap, need))
        return ss_fail(err, SS_E_TRUNCATED, "%s: the 2nd bitmap has holes", path);
    /* The same rank index as the bitmap crash dumps (bitrank.h): bit i of byte i / 8. */
    if (ss_bitrank_init(&k->rank, k->bitmap, k->max_mapnr) != SS_OK)
        return ss_fail(err, SS_E_NOMEM, "out of memory for a bitmap of %llu pages",
                       (unsigned long long)k->max_mapnr);
    uint64_t total = k->rank.ones, runs = ss_bitrank_runs(&k->rank, NULL);
    k->desc_off = bitmap_off + 2 * half;
    if (total > lsize / PD_SIZE || !ss_span_ok(k->desc_off, total * PD_SIZE, lsize))
        return ss_fail(err, SS_E_TRUNCATED, "%s: %llu page descriptors at %llu run past the end of the dump",
                       path, (unsigned long long)total, (unsigned long long)k->desc_off);

    k->stage = 4;

    if (k->status & DUMP_INCOMPLETE) {
        ss_status rst = incomplete_ranges(k, total, err);
        if (rst != SS_OK)
            return rst;
    } else {
        k->ranges = malloc((runs ? runs : 1) * sizeof *k->ranges);
        if (!k->ranges)
            return ss_fail(err, SS_E_NOMEM, "out of memory");
        k->nranges = (size_t)ss_bitrank_runs(&k->rank, k->ranges);
        for (size_t i = 0; i < k->nranges && k->shift != SS_PAGE_SHIFT; i++) { /* runs count 4 KiB pages */
            k->ranges[i].start = (k->ranges[i].start >> SS_PAGE_SHIFT) << k->shift;
            k->ranges[i].size = (k->ranges[i].size >> SS_PAGE_SHIFT) << k->shift;
        }
    }
    k->stage = 5;

    /* VMCOREINFO text and ELF notes (copied: they may straddle flattened records). */
    uint64_t vi_off = ss_le64(sh + L->sh_off_vmcoreinfo),
             vi_len = load_word(sh + L->sh_size_vmcoreinfo, L->word);
    uint64_t nt_off = ss_le64(sh + L->sh_off_note), nt_len = load_word(sh + L->sh_size_note, L->word);
    if (version < 3)
        vi_len = 0;
    if (version < 4)
        nt_len = 0;
    if ((vi_len && !ss_span_ok(vi_off, vi_len, lsize)) || (nt_len && !ss_span_ok(nt_off, nt_len, lsize)))
        return ss_fail(
            err, SS_E_TRUNCATED,
            "%s: VMCOREINFO (%llu bytes at %llu) or notes (%llu bytes at %llu) lie past the end of the dump",
            path, (unsigned long long)vi_len, (unsigned long long)vi_off, (unsigned long long)nt_len,
            (unsigned long long)nt_off);
    /* As for the bitmap: held in the file before room is allocated for a copy. */
    if ((vi_len && !ss_segmap_holds(&k->lmap, vi_off, vi_len)) ||
        (nt_len && !ss_segmap_holds(&k->lmap, nt_off, nt_len)))
        return ss_fail(
            err, SS_E_TRUNCATED,
            "%s: VMCOREINFO (%llu bytes at %llu) or notes (%llu bytes at %llu) are not in the file", path,
            (unsigned long long)vi_len, (unsigned long long)vi_off, (unsigned long long)nt_len,
            (unsigned long long)nt_off);
    if (vi_len + nt_len) {
        k->meta = malloc(vi_len + nt_len);
        if (!k->meta)
            return ss_fail(err, SS_E_NOMEM, "out of memory");
        if (!lread(k, vi_off, k->meta, vi_len) || !lread(k, nt_off, k->meta + vi_len, nt_len))
            return ss_fail(err, SS_E_TRUNCATED, "%s: VMCOREINFO or notes have holes", path);
        if (vi_len) {
            k->notes.vmcoreinfo = (const char *)k->meta;
            k->notes.vmcoreinfo_len = vi_len;
        }
        /* QEMU writes the 64-bit header for x86_64 when the first vCPU is in IA-32e
         * mode (or RAM reaches past 4 GiB: then only CS.L in the note tells), the
         * 32-bit one otherwise -- still naming the machine x86_64. */
        bool long_mode = L == &kd64 && (strcmp(machine, "x86_64") == 0 || strcmp(machine, "X86_64") == 0);
        ss_status st = ss_notes_parse(&k->notes, k->meta + vi_len, nt_len, long_mode, err, path);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

static ss_status kdump_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                            ss_error *err)
{
    (void)format; /* one format */
    if (!kdump_probe(file->data, file->size))
        return ss_fail(err, SS_E_FORMAT, "%s: not a kdump file (no KDUMP or makedumpfile signature)",
                       file->path);
#ifdef HAVE_SS_DEP_LZO2
    if (lzo_init() != LZO_E_OK)
        return ss_fail(err, SS_E_UNSUPPORTED, "%s: the LZO library failed its self-check", file->path);
#endif
    kdump_ctx *k = calloc(1, sizeof *k);
    if (!k)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    k->file = *file;
    k->flattened = is_flat(file->data, file->size);
    ss_status st;
    if (k->flattened)
        st = index_flat(k, err);
    else {
        ss_seg whole = {0, file->size, 0};
        st = ss_segmap_build(&k->lmap, &whole, 1, false);
        if (st != SS_OK)
            ss_fail(err, st, "out of memory");
    }
    if (st == SS_OK) {
        /* The header does not say its layout: take the 64-bit one unless it does
         * not hold together and the 32-bit one does. When both fail, the reading
         * that got further through the file has the real complaint (a 32-bit
         * header's max_mapnr can look like a 64-bit block_size, and the reverse). */
        ss_error e64 = {0};
        st = parse(k, &kd64, &e64);
        unsigned stage64 = k->stage;
        uint8_t h[DH_MAX];
        if (st != SS_OK && st != SS_E_NOMEM && lread(k, 0, h, kd32.dh_size) &&
            block_size_ok(ss_le32(h + kd32.dh_block_size))) {
            reset(k);
            ss_error e32 = {0};
            st = parse(k, &kd32, &e32);
            bool use32 = st == SS_OK || st == SS_E_NOMEM || k->stage > stage64;
            if (!use32)
                st = e64.status;
            if (st != SS_OK && err)
                *err = use32 ? e32 : e64;
        } else if (st != SS_OK && err)
            *err = e64;
    }
    if (st != SS_OK) {
        kdump_free(k); /* the caller still owns the mapping */
        return st;
    }
    ss_file_settle(&k->file);
    *ops = &kdump_ops;
    *ctx = k;
    return SS_OK;
}

const ss_file_backend ss_kdump_backend = {"kdump", SS_FORMAT_KDUMP, kdump_probe, kdump_open};
