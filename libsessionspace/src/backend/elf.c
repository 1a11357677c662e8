/*
 * elf: ELF cores of physical memory as QEMU's dump-guest-memory and VirtualBox's
 * dumpvmcore write them (ELF32 and ELF64, little-endian, ET_CORE).
 *
 * Memory: every PT_LOAD holds [p_paddr, p_paddr + p_filesz) at p_offset. The bytes
 * between p_filesz and p_memsz are not in the file; a physical dump has no reason
 * to leave them out except that it could not read them (QEMU skips MMIO), so they
 * read as absent (SS_E_NO_PAGE), not as zeros. Paging dumps
 * (dump-guest-memory -p) carry one PT_LOAD per virtual mapping, so tens of
 * thousands of them may map the same physical pages: they are indexed once at
 * open into a sorted, deduplicated, merged segment index (segmap.h); the first
 * PT_LOAD in table order wins where two disagree.
 * More than 65,534 program headers use extended numbering (gABI): e_phnum is
 * PN_XNUM (0xffff) and the real count is section header 0's sh_info.
 *
 * Notes: every PT_NOTE is parsed (dumpnotes.h): VMCOREINFO, QEMU's CPU states.
 */
#include <stdlib.h>

#include "dumpnotes.h"
#include "segmap.h"

enum { EI_CLASS = 4, EI_DATA = 5, ELFCLASS32 = 1, ELFCLASS64 = 2, ELFDATA2LSB = 1 };
enum { ET_CORE = 4, EM_X86_64 = 62, PT_LOAD = 1, PT_NOTE = 4, PN_XNUM = 0xffff };

/* Field offsets of the two ELF classes (gABI "ELF Header", "Program Header"). */
typedef struct elf_layout {
    unsigned ehsize;
    unsigned e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, addr_size;
    unsigned phsize, p_type, p_offset, p_paddr, p_filesz, p_memsz;
    unsigned shsize, sh_info;
} elf_layout;

static const elf_layout elf32 = {52, 28, 32, 42, 44, 46, 48, 4, 32, 0, 4, 12, 16, 20, 40, 28};
static const elf_layout elf64 = {64, 32, 40, 54, 56, 58, 60, 8, 56, 0, 8, 24, 32, 40, 64, 44};

typedef struct elf_ctx {
    ss_dumpnotes notes; /* first: the ss_notes_* ops take the context as notes */
    ss_file file;
    ss_segmap map;
    uint64_t mem_end;   /* one past the highest p_paddr + p_memsz: below it, missing bytes are holes */
    uint8_t *note_copy; /* SS_OPEN_PREAD: the PT_NOTE areas, copied (notes point into them) */
} elf_ctx;
_Static_assert(offsetof(elf_ctx, notes) == 0, "the ss_notes_* ops read the context as its notes");

static uint64_t addr_at(const elf_layout *L, const uint8_t *p)
{
    return L->addr_size == 8 ? ss_le64(p) : ss_le32(p);
}

static ss_status elf_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    elf_ctx *e = ctx;
    ss_status st = ss_segmap_read(&e->map, &e->file, pa, buf, len, nread);
    if (st == SS_E_RANGE && pa + *nread >= pa && pa + *nread < e->mem_end)
        st = SS_E_NO_PAGE; /* in a p_memsz tail: absent, not past the end */
    return st;
}

static const uint8_t *elf_page(void *ctx, uint64_t pfn, ss_status *status)
{
    elf_ctx *e = ctx;
    const uint8_t *p = ss_segmap_page(&e->map, &e->file, pfn, status);
    if (!p && *status == SS_E_RANGE && pfn <= (UINT64_MAX >> SS_PAGE_SHIFT) &&
        (pfn << SS_PAGE_SHIFT) < e->mem_end)
        *status = SS_E_NO_PAGE;
    return p;
}

static ss_status elf_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    elf_ctx *e = ctx;
    *ranges = e->map.ranges;
    *count = e->map.nranges;
    return SS_OK;
}

static void elf_close(void *ctx)
{
    elf_ctx *e = ctx;
    ss_segmap_free(&e->map);
    ss_notes_free(&e->notes);
    free(e->note_copy);
    ss_file_unmap(&e->file);
    free(e);
}

static const ss_backend_ops elf_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "elf",
    .read = elf_read,
    .page = elf_page,
    .ranges = elf_ranges,
    .info = ss_notes_info, /* the notes are the context's first member */
    .cpu_count = ss_notes_cpu_count,
    .cpu = ss_notes_cpu,
    .note = ss_notes_note,
    .close = elf_close,
};

static bool elf_probe(const uint8_t *data, uint64_t size)
{
    return size >= 4 && memcmp(data, "\177ELF", 4) == 0;
}

/* Program header count, following extended numbering. */
static ss_status phnum_of(const ss_file *f, const elf_layout *L, uint64_t *phnum, ss_error *err)
{
    const uint8_t *h = f->data;
    *phnum = ss_le16(h + L->e_phnum);
    if (*phnum != PN_XNUM)
        return SS_OK;
    uint64_t shoff = addr_at(L, h + L->e_shoff);
    unsigned shentsize = ss_le16(h + L->e_shentsize);
    if (shoff == 0 || shentsize < L->shsize)
        return ss_fail(err, SS_E_CORRUPT,
                       "%s: e_phnum is PN_XNUM but there is no section header 0 to hold the count "
                       "(e_shoff %llu, e_shentsize %u)",
                       f->path, (unsigned long long)shoff, shentsize);
    if (!ss_span_ok(shoff, L->shsize, f->size))
        return ss_fail(err, SS_E_TRUNCATED,
                       "%s: section header 0 at offset %llu lies past the end of the file", f->path,
                       (unsigned long long)shoff);
    *phnum = ss_le32(f->data + shoff + L->sh_info);
    return SS_OK;
}

static ss_status elf_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                          ss_error *err)
{
    (void)format; /* one format */
    const uint8_t *h = file->data;
    const char *path = file->path;
    if (file->size < 16 || memcmp(h, "\177ELF", 4) != 0)
        return ss_fail(err, SS_E_FORMAT, "%s: not an ELF file (no \\177ELF magic)", path);
    if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
        return ss_fail(err, SS_E_CORRUPT, "%s: unknown ELF class %u", path, h[EI_CLASS]);
    if (h[EI_DATA] != ELFDATA2LSB)
        return ss_fail(err, SS_E_UNSUPPORTED,
                       "%s: big-endian (or unknown data encoding %u) ELF is not supported", path, h[EI_DATA]);
    const elf_layout *L = h[EI_CLASS] == ELFCLASS64 ? &elf64 : &elf32;
    if (file->size < L->ehsize)
        return ss_fail(err, SS_E_TRUNCATED, "%s: %llu bytes is shorter than the %u-byte ELF header", path,
                       (unsigned long long)file->size, L->ehsize);
    if (ss_le16(h + 16) != ET_CORE)
        return ss_fail(err, SS_E_UNSUPPORTED, "%s: ELF type %u is not a core file (ET_CORE)", path,
                       ss_le16(h + 16));
    bool long_mode = ss_le16(h + 18) == EM_X86_64;

    uint64_t phoff = addr_at(L, h + L->e_phoff), phnum;
    unsigned phentsize = ss_le16(h + L->e_phentsize);
    ss_status st = phnum_of(file, L, &phnum, err);
    if (st != SS_OK)
        return st;
    if (phnum == 0)
        return ss_fail(err, SS_E_CORRUPT, "%s: ELF core has no program headers", path);
    if (phentsize < L->phsize)
        return ss_fail(err, SS_E_CORRUPT, "%s: e_phentsize %u is smaller than a program header (%u)", path,
                       phentsize, L->phsize);
    if (phnum > file->size / phentsize || !ss_span_ok(phoff, phnum * phentsize, file->size))
        return ss_fail(err, SS_E_TRUNCATED,
                       "%s: %llu program headers of %u bytes at offset %llu run past the end of the file "
                       "(%llu bytes)",
                       path, (unsigned long long)phnum, phentsize, (unsigned long long)phoff,
                       (unsigned long long)file->size);

    elf_ctx *e = calloc(1, sizeof *e);
    ss_seg *segs = calloc(phnum, sizeof *segs);
    if (!e || !segs) {
        free(e);
        free(segs);
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    }
    size_t nsegs = 0;
    /*
     * Bytes of note area parsed so far. Real cores have disjoint PT_NOTEs, so their
     * sum is below the file size; a crafted file that points thousands of PT_NOTEs
     * at one large note area would otherwise be parsed once per header (time and
     * memory quadratic in the file size).
     */
    uint64_t note_bytes = 0, note_used = 0;
    if (file->pread) { /* the notes must outlive the mapping: one copy of every PT_NOTE area */
        uint64_t total = 0;
        for (uint64_t i = 0; i < phnum; i++) {
            const uint8_t *ph = h + phoff + i * phentsize;
            uint64_t off = addr_at(L, ph + L->p_offset), filesz = addr_at(L, ph + L->p_filesz);
            if (ss_le32(ph + L->p_type) == PT_NOTE && ss_span_ok(off, filesz, file->size) &&
                total <= file->size)
                total += filesz; /* more than the file is refused by the loop below */
        }
        e->note_copy = malloc(total ? (size_t)(total < file->size ? total : file->size) : 1);
        if (!e->note_copy) {
            st = ss_fail(err, SS_E_NOMEM, "out of memory for %llu bytes of notes", (unsigned long long)total);
            goto fail;
        }
    }
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = h + phoff + i * phentsize;
        uint32_t type = ss_le32(ph + L->p_type);
        uint64_t off = addr_at(L, ph + L->p_offset), filesz = addr_at(L, ph + L->p_filesz);
        if (type != PT_LOAD && type != PT_NOTE)
            continue;
        if (!ss_span_ok(off, filesz, file->size)) {
            st = ss_fail(err, SS_E_TRUNCATED,
                         "%s: program header %llu (%s) holds %llu bytes at offset %llu, past the end of the "
                         "file (%llu bytes)",
                         path, (unsigned long long)i, type == PT_LOAD ? "PT_LOAD" : "PT_NOTE",
                         (unsigned long long)filesz, (unsigned long long)off, (unsigned long long)file->size);
            goto fail;
        }
        if (type == PT_NOTE) {
            note_bytes += filesz; /* each filesz <= file size: no wrap */
            if (note_bytes > file->size) {
                st = ss_fail(
                    err, SS_E_CORRUPT,
                    "%s: PT_NOTE segments overlap: program header %llu brings them to %llu bytes in a "
                    "%llu-byte file",
                    path, (unsigned long long)i, (unsigned long long)note_bytes,
                    (unsigned long long)file->size);
                goto fail;
            }
            const uint8_t *area = h + off;
            if (e->note_copy) {
                memcpy(e->note_copy + note_used, area, (size_t)filesz);
                area = e->note_copy + note_used;
                note_used += filesz;
            }
            st = ss_notes_parse(&e->notes, area, filesz, long_mode, err, path);
            if (st != SS_OK)
                goto fail;
            continue;
        }
        uint64_t paddr = addr_at(L, ph + L->p_paddr), memsz = addr_at(L, ph + L->p_memsz);
        if (filesz > memsz || paddr + filesz < paddr) {
            st = ss_fail(err, SS_E_CORRUPT, "%s: PT_LOAD %llu at physical %#llx: p_filesz %#llx %s", path,
                         (unsigned long long)i, (unsigned long long)paddr, (unsigned long long)filesz,
                         filesz > memsz ? "exceeds p_memsz" : "wraps the address space");
            goto fail;
        }
        uint64_t mem_end = paddr + memsz < paddr ? UINT64_MAX : paddr + memsz;
        if (mem_end > e->mem_end)
            e->mem_end = mem_end;
        /* Reverse order so that the earliest PT_LOAD wins overlaps (segmap: later wins). */
        segs[phnum - 1 - nsegs] = (ss_seg){paddr, filesz, off};
        nsegs++;
    }
    st = ss_segmap_build(&e->map, segs + (phnum - nsegs), nsegs, true);
    if (st != SS_OK) {
        st = ss_fail(err, st, "%s: cannot index %zu PT_LOAD segments: %s", path, nsegs, ss_strerror(st));
        goto fail;
    }
    if (e->map.n == 0) {
        st = ss_fail(err, SS_E_CORRUPT, "%s: ELF core has no PT_LOAD segment with data in the file", path);
        goto fail;
    }
    free(segs);
    e->file = *file;
    ss_file_settle(&e->file);
    *ops = &elf_ops;
    *ctx = e;
    return SS_OK;
fail:
    free(segs);
    ss_segmap_free(&e->map);
    ss_notes_free(&e->notes);
    free(e->note_copy);
    free(e);
    return st;
}

const ss_file_backend ss_elf_backend = {"elf", SS_FORMAT_ELF, elf_probe, elf_open};
