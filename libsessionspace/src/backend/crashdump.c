/*
 * crashdump: Windows kernel crash dumps (docs/formats.md, "Windows crash dumps").
 *
 * Every such file starts with a DUMP_HEADER: "PAGE" + "DU64" and 0x2000 bytes for
 * 64-bit Windows, "PAGE" + "DUMP" and 0x1000 bytes for 32-bit Windows. The header
 * carries the dumping machine's CR3, the kernel list heads, the bug check and a
 * DumpType that says how physical pages are laid out after it:
 *
 *   1             full dump: the pages of the PHYSICAL_MEMORY_DESCRIPTOR's runs,
 *                 in run order, right after the header;
 *   2, 5, 6, 7    bitmap dumps (mindumpdef.h: SUMMARY, BITMAP_FULL,
 *                 BITMAP_KERNEL, AUTOMATIC; 6 is also what "automatic" crash
 *                 dumps and Task Manager's live kernel dumps carry): an SDMP or
 *                 FDMP header after the main header, a bitmap with one bit per
 *                 physical page, and the present pages in PFN order from
 *                 FirstPage on;
 *   8, 9, 0xA     the layout written by current Windows and dbgeng's .dump
 *                 (kernel, kernel + user, complete): an RDMP header, then a list
 *                 of PFN ranges whose pages follow in list order at
 *                 FirstPageOffset.
 *
 * Pages are handed out straight from the file mapping. A page's file offset is
 * found by binary search over at most a few thousand segments (runs / ranges), or
 * for bitmaps by rank (set bits before it) through an index built once at open.
 *
 * Every offset below was checked against public sources (Microsoft's
 * mindumpdef.h / Win32 metadata, kdmp-parser, volatility 2 and 3, rekall, rizin);
 * docs/formats.md, "Sources and verification", lists them per field.
 *
 * Everything in the file is untrusted: every count is bounded and every
 * offset + size checked against the file size, without overflow, before the
 * mapping is touched.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "bitrank.h"
#include "segmap.h"

/* Signatures, as the little-endian ULONGs Windows stores. */
#define SIG_PAGE 0x45474150u /* "PAGE" */
#define SIG_DU64 0x34365544u /* "DU64" */
#define SIG_DUMP 0x504D5544u /* "DUMP" */
#define SIG_SDMP 0x504D4453u /* "SDMP": summary / kernel bitmap */
#define SIG_FDMP 0x504D4446u /* "FDMP": full bitmap */
#define SIG_RDMP 0x504D4452u /* "RDMP": range dump (types 8, 9, 0xA) */

#define MACHINE_I386  0x014Cu
#define MACHINE_AMD64 0x8664u

/* PFNs are bounded by a 52-bit physical address (MAXPHYADDR <= 52). */
#define MAX_PFN (1ull << 40)

/* The PHYSICAL_MEMORY_DESCRIPTOR lives in a 700-byte buffer of the header. */
#define PMD_BUFFER 700u

/* Bitmap header (SDMP / FDMP, "_SUMMARY_DUMP"), same layout in both widths. */
#define BMP_FIRST_PAGE    0x20u /* u64: file offset of the first present page */
#define BMP_PRESENT_PAGES 0x28u /* u64: TotalPresentPages, the set bits (not trusted) */
#define BMP_BITS          0x30u /* u64: bits in the bitmap (physical pages covered) */
#define BMP_BITMAP        0x38u /* the bitmap */

/* RDMP header (types 8, 9, 0xA) at the end of the 64-bit main header (layout as
 * kdmp-parser's RDMP_HEADER64 / KERNEL_ / FULL_RDMP_HEADER64; +0 holds a marker
 * that kdmp-parser requires to be 0x40, not checked here). */
#define RDMP_METADATA_SIZE 0x10u /* u64: bytes of metadata from RDMP_METADATA */
#define RDMP_FIRST_PAGE    0x18u /* u64: file offset of the first page */
#define RDMP_METADATA      0x20u /* 16 bytes of sub-header, then the ranges */
#define RDMP_TOTAL_PAGES   0x28u /* complete dumps (0xA): u64 total pages in the ranges */
#define RDMP_RANGES        0x30u /* {u64 first PFN, u64 page count} ... */

/* Header field offsets: the two widths of DUMP_HEADER differ only in these. */
typedef struct dmp_layout {
    const char *name; /* the header's name, for messages */
    uint32_t valid;   /* ValidDump signature */
    uint32_t machine; /* the MachineImageType this layout belongs to */
    uint32_t header_size;
    uint8_t width; /* bytes of a pointer / PFN field: 8 or 4 */
    uint16_t dtb, loaded_modules, active_processes, machine_type, processors;
    uint16_t bugcheck, bugcheck_params, kd_debugger_data, pae, memory_block, dump_type;
} dmp_layout;

/* DUMP_HEADER64 (0x2000 bytes). */
static const dmp_layout layout64 = {
    .name = "DUMP_HEADER64",
    .valid = SIG_DU64,
    .machine = MACHINE_AMD64,
    .header_size = 0x2000,
    .width = 8,
    .dtb = 0x10,
    .loaded_modules = 0x20,
    .active_processes = 0x28,
    .machine_type = 0x30,
    .processors = 0x34,
    .bugcheck = 0x38,
    .bugcheck_params = 0x40,
    .kd_debugger_data = 0x80,
    .pae = 0, /* none: 64-bit Windows always runs in IA-32e paging */
    .memory_block = 0x88,
    .dump_type = 0xF98,
};

/* DUMP_HEADER32 (0x1000 bytes). */
static const dmp_layout layout32 = {
    .name = "DUMP_HEADER32",
    .valid = SIG_DUMP,
    .machine = MACHINE_I386,
    .header_size = 0x1000,
    .width = 4,
    .dtb = 0x10,
    .loaded_modules = 0x18,
    .active_processes = 0x1C,
    .machine_type = 0x20,
    .processors = 0x24,
    .bugcheck = 0x28,
    .bugcheck_params = 0x2C,
    .kd_debugger_data = 0x60,
    .pae = 0x5C, /* PaeEnabled, one byte */
    .memory_block = 0x64,
    .dump_type = 0xF88,
};

/* A run of physical pages stored contiguously in the file. */
typedef struct dmp_seg {
    uint64_t pfn, count, offset;
} dmp_seg;

typedef struct dmp_ctx {
    ss_file file;
    const dmp_layout *lay;
    ss_dump_info info;
    uint64_t npfn; /* one past the highest PFN the dump can hold */
    dmp_seg *segs; /* run / range dumps as listed, while opening: checked, then indexed in map */
    size_t nsegs;
    ss_segmap map; /* run / range dumps: physical address -> file offset */
    bool bitmap;   /* bitmap dumps: rank index instead of segments */
    bool no_phys;  /* a DumpType with no physical memory this reader knows: header only */
    ss_bitrank rank;
    uint8_t *bits; /* SS_OPEN_PREAD: the bitmap, copied (the rank index reads it) */
    uint64_t first_page;
    ss_phys_range *ranges;
    size_t nranges;
} dmp_ctx;

static uint64_t rd(const uint8_t *p, unsigned width)
{
    if (width == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd(p, 4);
}

/* ---- page lookup ----------------------------------------------------------- */

/* File offset of frame pfn; SS_E_RANGE past the dump's end, SS_E_NO_PAGE in a hole. */
static ss_status dmp_locate(const dmp_ctx *d, uint64_t pfn, uint64_t *off)
{
    if (d->no_phys)
        return SS_E_NO_PHYS_MEMORY;
    if (pfn >= d->npfn)
        return SS_E_RANGE;
    if (d->bitmap) {
        if (!ss_bitrank_get(&d->rank, pfn))
            return SS_E_NO_PAGE;
        *off = d->first_page + ss_bitrank_rank(&d->rank, pfn) * SS_PAGE_SIZE;
        return SS_OK;
    }
    uint64_t pa = pfn << SS_PAGE_SHIFT;
    const ss_seg *seg = ss_segmap_find(&d->map, pa);
    if (!seg)
        return SS_E_NO_PAGE;
    *off = seg->off + (pa - seg->start);
    return SS_OK;
}

static ss_status dmp_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    const dmp_ctx *d = ctx;
    uint8_t *out = buf;
    size_t done = 0;
    *nread = 0;
    while (done < len) {
        uint64_t at = pa + done;
        if (at < pa) /* wrapped past 2^64 */
            return SS_E_RANGE;
        uint64_t off;
        ss_status st = dmp_locate(d, at >> SS_PAGE_SHIFT, &off);
        if (st != SS_OK)
            return st;
        uint64_t in_page = at & (SS_PAGE_SIZE - 1);
        size_t n = SS_PAGE_SIZE - (size_t)in_page;
        if (n > len - done)
            n = len - done;
        st = ss_file_copy(&d->file, off + in_page, out + done, n);
        if (st != SS_OK)
            return st;
        done += n;
        *nread = done;
    }
    return SS_OK;
}

static const uint8_t *dmp_page(void *ctx, uint64_t pfn, ss_status *status)
{
    const dmp_ctx *d = ctx;
    uint64_t off;
    *status = dmp_locate(d, pfn, &off);
    if (*status == SS_OK && !d->file.data) /* SS_OPEN_PREAD: no pointers into the file */
        *status = SS_E_UNSUPPORTED;
    return *status == SS_OK ? d->file.data + off : NULL;
}

static ss_status dmp_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    dmp_ctx *d = ctx;
    *ranges = d->bitmap ? d->ranges : d->map.ranges;
    *count = d->bitmap ? d->nranges : d->map.nranges;
    return SS_OK;
}

static ss_status dmp_info(void *ctx, ss_dump_info *info)
{
    const dmp_ctx *d = ctx;
    *info = d->info;
    return SS_OK;
}

static void dmp_close(void *ctx)
{
    dmp_ctx *d = ctx;
    ss_file_unmap(&d->file);
    ss_bitrank_free(&d->rank);
    free(d->bits);
    free(d->segs);
    ss_segmap_free(&d->map);
    free(d->ranges);
    free(d);
}

static const ss_backend_ops dmp64_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "crashdump64",
    .read = dmp_read,
    .page = dmp_page,
    .ranges = dmp_ranges,
    .info = dmp_info,
    .close = dmp_close,
};

/* Same functions, another name for messages. */
static const ss_backend_ops dmp32_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "crashdump32",
    .read = dmp_read,
    .page = dmp_page,
    .ranges = dmp_ranges,
    .info = dmp_info,
    .close = dmp_close,
};

/* ---- open ------------------------------------------------------------------ */

/* Fills ss_dump_info from the main header and picks the paging mode. */
static ss_status read_header(dmp_ctx *d, ss_error *err)
{
    const dmp_layout *L = d->lay;
    const uint8_t *h = d->file.data;
    ss_dump_info *in = &d->info;
    unsigned w = L->width;

    in->machine_type = rd32(h + L->machine_type);
    if (in->machine_type != L->machine) {
        bool other = in->machine_type == MACHINE_AMD64 || in->machine_type == MACHINE_I386;
        return ss_fail(err, other ? SS_E_CORRUPT : SS_E_UNSUPPORTED,
                       "%s: %s header (PAGE%.4s) with MachineImageType %#x: %s", d->file.path,
                       w == 8 ? "64-bit" : "32-bit", (const char *)h + 4, in->machine_type,
                       other ? "signature and machine type disagree"
                             : "only x86 (0x14c) and x64 (0x8664) dumps are supported");
    }
    in->flags = SS_INFO_WINDOWS_HEADER | SS_INFO_BUGCHECK | SS_INFO_DTB | SS_INFO_PAGING_MODE;
    in->major_version = rd32(h + 0x08);
    in->minor_version = rd32(h + 0x0C);
    in->directory_table_base = rd(h + L->dtb, w);
    in->ps_loaded_module_list = rd(h + L->loaded_modules, w);
    in->ps_active_process_head = rd(h + L->active_processes, w);
    in->number_processors = rd32(h + L->processors);
    in->bugcheck_code = rd32(h + L->bugcheck);
    for (unsigned i = 0; i < 4; i++)
        in->bugcheck_params[i] = rd(h + L->bugcheck_params + i * w, w);
    in->kd_debugger_data_block = rd(h + L->kd_debugger_data, w);
    in->dump_type = rd32(h + L->dump_type);
    if (L->pae) {
        uint8_t pae = h[L->pae];
        if (pae > 1)
            return ss_fail(err, SS_E_CORRUPT, "%s: PaeEnabled is %u, not 0 or 1 (header offset %#x)",
                           d->file.path, pae, L->pae);
        in->pae_enabled = pae;
        in->paging_mode = pae ? SS_MODE_PAE : SS_MODE_X86;
    } else {
        in->paging_mode = SS_MODE_X64;
    }
    return SS_OK;
}

/*
 * Checks that segs[0 .. n) are sorted, do not overlap and lie in the file, and
 * sets npfn. Segment offsets are already assigned.
 */
static ss_status check_segments(dmp_ctx *d, const char *what, ss_error *err)
{
    uint64_t end_pfn = 0;
    for (size_t i = 0; i < d->nsegs; i++) {
        const dmp_seg *s = &d->segs[i];
        if (s->pfn >= MAX_PFN || s->count > MAX_PFN - s->pfn)
            return ss_fail(
                err, SS_E_CORRUPT,
                "%s: %s %zu (PFN %#llx, %llu pages) reaches past the 52-bit physical address space",
                d->file.path, what, i, (unsigned long long)s->pfn, (unsigned long long)s->count);
        if (i && s->pfn < end_pfn)
            return ss_fail(
                err, SS_E_CORRUPT,
                "%s: %s %zu (PFN %#llx) is unsorted or overlaps the one before (ends at PFN %#llx)",
                d->file.path, what, i, (unsigned long long)s->pfn, (unsigned long long)end_pfn);
        end_pfn = s->pfn + s->count;
    }
    d->npfn = end_pfn;
    return SS_OK;
}

/* Lays segs[] out one after another from file offset `first`; checks they fit. */
static ss_status place_segments(dmp_ctx *d, uint64_t first, const char *what, ss_error *err)
{
    uint64_t off = first;
    for (size_t i = 0; i < d->nsegs; i++) {
        dmp_seg *s = &d->segs[i];
        s->offset = off;
        /* counts are below 2^40 here, so count * 4096 cannot overflow */
        uint64_t bytes = s->count * SS_PAGE_SIZE;
        if (off > d->file.size || d->file.size - off < bytes)
            return ss_fail(
                err, SS_E_TRUNCATED,
                "%s: the pages of %s %zu (PFN %#llx, %llu pages at file offset %#llx) end past the "
                "end of the file (%llu bytes)",
                d->file.path, what, i, (unsigned long long)s->pfn, (unsigned long long)s->count,
                (unsigned long long)off, (unsigned long long)d->file.size);
        off += bytes;
    }
    return SS_OK;
}

/* Full dump (type 1): PHYSICAL_MEMORY_DESCRIPTOR runs; pages follow the header. */
static ss_status open_runs(dmp_ctx *d, ss_error *err)
{
    const dmp_layout *L = d->lay;
    const uint8_t *pmd = d->file.data + L->memory_block;
    unsigned w = L->width;
    uint32_t nruns = rd32(pmd);
    uint32_t max_runs = (PMD_BUFFER - 2 * w) / (2 * w);
    if (nruns > max_runs)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: NumberOfRuns %u does not fit the header's memory descriptor (at most %u)",
                       d->file.path, nruns, max_runs);
    d->segs = calloc(nruns ? nruns : 1, sizeof *d->segs);
    if (!d->segs)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < nruns; i++) {
        const uint8_t *run = pmd + 2 * w + (size_t)i * 2 * w;
        uint64_t base = rd(run, w), count = rd(run + w, w);
        if (count == 0)
            continue; /* an empty run holds nothing and takes no file space */
        d->segs[d->nsegs].pfn = base;
        d->segs[d->nsegs].count = count;
        d->nsegs++;
    }
    ss_status st = check_segments(d, "run", err);
    if (st != SS_OK)
        return st;
    /*
     * NumberOfPages (the u32 / u64 after NumberOfRuns) is not checked against the
     * sum of PageCount: the runs alone say where each page is, and the public
     * readers (kdmp-parser, rekall, volatility 2 and 3) ignore the field, rizin
     * only warns, and dump converters do not always fill it. place_segments
     * bounds every run by the file size, so a wrong total cannot send a read
     * out of the file. See docs/formats.md, "Sources and verification".
     */
    return place_segments(d, L->header_size, "run", err);
}

/* Bitmap dumps (2, 5, 6, 7): SDMP / FDMP header, bitmap, present pages in PFN order. */
static ss_status open_bitmap(dmp_ctx *d, ss_error *err)
{
    const uint8_t *b = d->file.data + d->lay->header_size;
    uint64_t avail = d->file.size - d->lay->header_size;
    if (avail < BMP_BITMAP)
        return ss_fail(err, SS_E_TRUNCATED, "%s: file ends inside the bitmap header at offset %#x",
                       d->file.path, (unsigned)d->lay->header_size);
    uint32_t sig = rd32(b), valid = rd32(b + 4);
    if ((sig != SIG_SDMP && sig != SIG_FDMP) || valid != SIG_DUMP) {
        char s1[20], s2[20];
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: DumpType %u needs a bitmap header at offset %#x with signature SDMP or FDMP and "
                       "ValidDump DUMP; found signature '%s', ValidDump '%s'",
                       d->file.path, d->info.dump_type, (unsigned)d->lay->header_size,
                       ss_escape_bytes(s1, sizeof s1, b, 4), ss_escape_bytes(s2, sizeof s2, b + 4, 4));
    }
    uint64_t first = rd(b + BMP_FIRST_PAGE, 8);
    uint64_t nbits = rd(b + BMP_BITS, 8);
    if (nbits > MAX_PFN)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: bitmap of %llu pages is larger than a 52-bit physical address space",
                       d->file.path, (unsigned long long)nbits);
    uint64_t nbytes = (nbits + 7) / 8;
    if (avail - BMP_BITMAP < nbytes)
        return ss_fail(err, SS_E_TRUNCATED,
                       "%s: bitmap of %llu pages (%llu bytes) runs past the end of the file", d->file.path,
                       (unsigned long long)nbits, (unsigned long long)nbytes);
    /* The rank index scans the whole bitmap at open: a header may not make that cost
     * more than the file really stores (a sparse file can declare 4 GiB of bitmap in
     * a few KiB of disk). */
    if (nbytes > SS_FREE_SCAN_BYTES && nbytes > d->file.stored)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: a bitmap of %llu pages (%llu bytes) is larger than the %llu bytes the file "
                       "stores (a sparse file?); refusing to scan it",
                       d->file.path, (unsigned long long)nbits, (unsigned long long)nbytes,
                       (unsigned long long)d->file.stored);
    uint64_t bitmap_end = d->lay->header_size + BMP_BITMAP + nbytes;
    if (first < bitmap_end)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: FirstPage %#llx lies inside the headers or bitmap (which end at %#llx)",
                       d->file.path, (unsigned long long)first, (unsigned long long)bitmap_end);
    if (ss_bitrank_init(&d->rank, b + BMP_BITMAP, nbits) != SS_OK)
        return ss_fail(err, SS_E_NOMEM, "out of memory for the rank index of %llu pages",
                       (unsigned long long)nbits);
    d->bitmap = true;
    /*
     * TotalPresentPages (BMP_PRESENT_PAGES) is not trusted: a page's offset is
     * FirstPage + 4096 x (set bits before it), so the set bits decide how many
     * pages the file must hold. kdmp-parser, rekall and volatility 2 / 3 never
     * read the field (only rizin compares it), so a mismatch is accepted and the
     * bound below is taken from the set bits themselves.
     */
    uint64_t present = d->rank.ones;
    if (first > d->file.size || (d->file.size - first) / SS_PAGE_SIZE < present)
        return ss_fail(err, SS_E_TRUNCATED,
                       "%s: %llu present pages (set bits) from offset %#llx need more than the file's %llu "
                       "bytes",
                       d->file.path, (unsigned long long)present, (unsigned long long)first,
                       (unsigned long long)d->file.size);
    d->first_page = first;
    d->npfn = nbits;
    if (d->file.pread) { /* the mapping goes away after open: the rank index needs its own copy */
        d->bits = malloc(nbytes ? (size_t)nbytes : 1);
        if (!d->bits)
            return ss_fail(err, SS_E_NOMEM, "out of memory for a bitmap of %llu bytes",
                           (unsigned long long)nbytes);
        memcpy(d->bits, b + BMP_BITMAP, (size_t)nbytes);
        d->rank.bits = d->bits;
    }
    return SS_OK;
}

/* Range dumps (8, 9, 0xA): RDMP header, PFN ranges, pages in range order. */
static ss_status open_rdmp(dmp_ctx *d, ss_error *err)
{
    const uint8_t *r = d->file.data + d->lay->header_size;
    uint64_t base = d->lay->header_size;
    uint64_t avail = d->file.size - base;
    if (avail < RDMP_RANGES)
        return ss_fail(err, SS_E_TRUNCATED, "%s: file ends inside the RDMP header at offset %#llx",
                       d->file.path, (unsigned long long)base);
    if (rd32(r + 4) != SIG_RDMP || rd32(r + 8) != SIG_DUMP) {
        char s1[20], s2[20];
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: DumpType %#x needs an RDMP header at offset %#llx (signature RDMP, ValidDump "
                       "DUMP); found signature '%s', ValidDump '%s'",
                       d->file.path, d->info.dump_type, (unsigned long long)base,
                       ss_escape_bytes(s1, sizeof s1, r + 4, 4), ss_escape_bytes(s2, sizeof s2, r + 8, 4));
    }
    uint64_t meta = rd(r + RDMP_METADATA_SIZE, 8);
    uint64_t first = rd(r + RDMP_FIRST_PAGE, 8);
    /* The metadata (sub-header + ranges) runs from RDMP_METADATA to the first page. */
    if (meta < RDMP_RANGES - RDMP_METADATA || meta % 16 || meta > UINT64_MAX - base - RDMP_METADATA ||
        first != base + RDMP_METADATA + meta)
        return ss_fail(
            err, SS_E_CORRUPT,
            "%s: RDMP MetadataSize %#llx and FirstPageOffset %#llx disagree (expected offset %#llx + "
            "MetadataSize, a multiple of 16)",
            d->file.path, (unsigned long long)meta, (unsigned long long)first,
            (unsigned long long)(base + RDMP_METADATA));
    if (avail - RDMP_METADATA < meta)
        return ss_fail(err, SS_E_TRUNCATED, "%s: RDMP metadata of %llu bytes runs past the end of the file",
                       d->file.path, (unsigned long long)meta);
    uint64_t slots = (meta - (RDMP_RANGES - RDMP_METADATA)) / 16;
    /* Each range needs at least one page of file after the metadata: bounds the allocation. */
    uint64_t max_ranges = (d->file.size - first) / SS_PAGE_SIZE;
    bool complete = d->info.dump_type == 0xA;
    uint64_t total = complete ? rd(r + RDMP_TOTAL_PAGES, 8) : UINT64_MAX;

    size_t n = 0, cap = 0;
    uint64_t pages = 0;
    for (uint64_t i = 0; i < slots && pages < total; i++) {
        const uint8_t *e = r + RDMP_RANGES + i * 16;
        uint64_t pfn = rd(e, 8), count = rd(e + 8, 8);
        if (count == 0)
            break; /* the list ends at an empty entry (zero padding) */
        if (n >= max_ranges)
            return ss_fail(err, SS_E_TRUNCATED,
                           "%s: more RDMP ranges than the file holds pages after offset %#llx", d->file.path,
                           (unsigned long long)first);
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            dmp_seg *grown = realloc(d->segs, ncap * sizeof *grown);
            if (!grown)
                return ss_fail(err, SS_E_NOMEM, "out of memory");
            d->segs = grown;
            cap = ncap;
        }
        d->segs[n].pfn = pfn;
        d->segs[n].count = count;
        d->nsegs = ++n;
        if (count > MAX_PFN)
            break;      /* check_segments reports it */
        pages += count; /* both at most 2^40: no overflow */
        if (pages > MAX_PFN)
            break; /* cannot be sorted and disjoint below 2^40: check_segments reports it */
    }
    ss_status st = check_segments(d, "RDMP range", err);
    if (st != SS_OK)
        return st;
    /*
     * Complete dumps: the list ends once TotalNumberOfPages is reached (the loop
     * stops there, as kdmp-parser does: the metadata may run on past the last
     * range). A list that ends early, at a zero entry or the end of the
     * metadata, is accepted like kdmp-parser does: the pages it names are all
     * checked against the file. A range that crosses the total is refused:
     * either the total or the range is wrong, and nothing says which.
     */
    if (complete && pages > total)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: RDMP ranges hold %llu pages, more than TotalNumberOfPages (%llu)", d->file.path,
                       (unsigned long long)pages, (unsigned long long)total);
    return place_segments(d, first, "RDMP range", err);
}

/* ranges(): runs of set bits for bitmaps; the segment index for run and range dumps. */
static ss_status build_ranges(dmp_ctx *d, ss_error *err)
{
    if (d->no_phys)
        return SS_OK; /* no ranges */
    if (d->bitmap) {
        /* One pass to count, one to fill: exactly one allocation, at most one
         * range per present page (so never more than 1/256 of the file size). */
        uint64_t n = ss_bitrank_runs(&d->rank, NULL);
        if (n > SIZE_MAX / sizeof *d->ranges)
            return ss_fail(err, SS_E_NOMEM, "out of memory");
        d->ranges = malloc((size_t)(n ? n : 1) * sizeof *d->ranges);
        if (!d->ranges)
            return ss_fail(err, SS_E_NOMEM, "out of memory for %llu ranges", (unsigned long long)n);
        d->nranges = (size_t)ss_bitrank_runs(&d->rank, d->ranges);
        return SS_OK;
    }
    /* Run and range dumps: index the (checked) segments; ranges() is the index's. */
    ss_seg *in = malloc((d->nsegs ? d->nsegs : 1) * sizeof *in);
    if (!in)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < d->nsegs; i++)
        in[i] = (ss_seg){d->segs[i].pfn * SS_PAGE_SIZE, d->segs[i].count * SS_PAGE_SIZE, d->segs[i].offset};
    ss_status st = ss_segmap_build(&d->map, in, d->nsegs, false);
    free(in);
    free(d->segs); /* the index replaces the list */
    d->segs = NULL;
    d->nsegs = 0;
    if (st != SS_OK)
        return ss_fail(err, st, "%s: cannot index the dump's runs: %s", d->file.path, ss_strerror(st));
    return SS_OK;
}

static bool crashdump_probe(const uint8_t *data, uint64_t size)
{
    return size >= 8 && (memcmp(data, "PAGEDU64", 8) == 0 || memcmp(data, "PAGEDUMP", 8) == 0);
}

/*
 * Shows n (<= 8) bytes of a file's signature for a message: as text in quotes when every
 * byte is printable ASCII, else as hex bytes, so control bytes from the file never reach
 * the user's terminal and an empty-looking '' never hides what is there.
 */
static const char *signature_text(char out[32], const uint8_t *p, size_t n)
{
    bool printable = true;
    for (size_t i = 0; i < n; i++)
        printable = printable && p[i] >= 0x20 && p[i] < 0x7f;
    if (printable) {
        snprintf(out, 32, "'%.*s'", (int)n, (const char *)p);
        return out;
    }
    size_t len = (size_t)snprintf(out, 32, "bytes");
    for (size_t i = 0; i < n && len < 32; i++)
        len += (size_t)snprintf(out + len, 32 - len, " %02x", p[i]);
    return out;
}

static ss_status crashdump_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                                ss_error *err)
{
    const uint8_t *h = file->data;
    if (file->size < 8) {
        bool prefix = memcmp(h, "PAGE", file->size < 4 ? (size_t)file->size : 4) == 0;
        return ss_fail(err, prefix ? SS_E_TRUNCATED : SS_E_FORMAT,
                       "%s: %llu bytes is too short for a crash dump signature", file->path,
                       (unsigned long long)file->size);
    }
    static const dmp_layout *const layouts[] = {&layout64, &layout32};
    const dmp_layout *L = NULL;
    for (size_t i = 0; i < 2 && rd32(h) == SIG_PAGE; i++)
        if (rd32(h + 4) == layouts[i]->valid)
            L = layouts[i];
    char sig[32];
    if (!L)
        return ss_fail(err, SS_E_FORMAT,
                       "%s: not a Windows crash dump (signature %s, expected PAGEDU64 or PAGEDUMP)",
                       file->path, signature_text(sig, h, 8));
    if (file->size < L->header_size)
        return ss_fail(err, SS_E_TRUNCATED, "%s: %llu bytes is shorter than the %u-byte %s header",
                       file->path, (unsigned long long)file->size, L->header_size, L->name);

    dmp_ctx *d = calloc(1, sizeof *d);
    if (!d)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    d->file = *file;
    d->lay = L;
    ss_status st = read_header(d, err);
    if (st == SS_OK) {
        switch (d->info.dump_type) {
        case 1: st = open_runs(d, err); break;
        case 2:
        case 5:
        case 6:
        case 7: st = open_bitmap(d, err); break;
        case 8:
        case 9:
        case 0xA:
            st = L->width == 8 ? open_rdmp(d, err)
                               : ss_fail(err, SS_E_UNSUPPORTED, "%s: DumpType %#x in a 32-bit dump",
                                         file->path, d->info.dump_type);
            break;
        default:
            /*
             * Triage (4), header-only and unknown types: the header is read (info
             * shows it), and every read answers SS_E_NO_PHYS_MEMORY. A triage dump's
             * pages (a few stacks and modules) sit in a layout of their own that
             * this reader does not parse.
             */
            d->no_phys = true;
        }
    }
    if (st == SS_OK)
        st = build_ranges(d, err);
    if (st != SS_OK) {
        d->file.data = NULL; /* the caller still owns the mapping on failure */
        d->file.path = NULL;
        d->file.fd = -1;
        dmp_close(d);
        return st;
    }
    ss_file_settle(&d->file);
    *ops = L->width == 8 ? &dmp64_ops : &dmp32_ops;
    *format = L->width == 8 ? SS_FORMAT_CRASHDUMP64 : SS_FORMAT_CRASHDUMP32;
    *ctx = d;
    return SS_OK;
}

const ss_file_backend ss_crashdump_backend = {"dmp", SS_FORMAT_CRASHDUMP64, crashdump_probe, crashdump_open};
