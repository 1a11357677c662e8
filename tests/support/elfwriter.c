/*
 * Dump writers for the tests (see elfwriter.h). Layouts follow the format notes
 * in docs/formats-elf-kdump-lime.md; files are written with pwrite() at their
 * offsets so that unwritten parts stay holes (sparse files).
 */
#define _POSIX_C_SOURCE 200809L
#include "elfwriter.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<zlib.h>)
#include <zlib.h>
#define SSW_HAVE_ZLIB 1
#endif
#if __has_include(<lzo/lzo1x.h>)
#include <lzo/lzo1x.h>
#define SSW_HAVE_LZO 1
#endif
#if __has_include(<snappy-c.h>)
#include <snappy-c.h>
#define SSW_HAVE_SNAPPY 1
#endif
#if __has_include(<zstd.h>)
#include <zstd.h>
#define SSW_HAVE_ZSTD 1
#endif
#endif

typedef struct page_list {
    uint64_t *pfn;
    const uint8_t **data;
    size_t n, cap;
} page_list;

static int collect(void *arg, uint64_t pfn, const uint8_t *page)
{
    page_list *l = arg;
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 256;
        uint64_t *p = realloc(l->pfn, nc * sizeof *p);
        if (!p)
            return -1;
        l->pfn = p;
        const uint8_t **d = realloc(l->data, nc * sizeof *d);
        if (!d)
            return -1;
        l->data = d;
        l->cap = nc;
    }
    l->pfn[l->n] = pfn;
    l->data[l->n++] = page;
    return 0;
}

static int pages_of(const ssb_image *img, page_list *l)
{
    memset(l, 0, sizeof *l);
    return ssb_for_each_page(img, collect, l);
}

static void pages_free(page_list *l)
{
    free(l->pfn);
    free(l->data);
}

/* Number of runs, and the run starting at page index i ends before index *end. */
static size_t run_end(const page_list *l, size_t i)
{
    size_t j = i + 1;
    while (j < l->n && l->pfn[j] == l->pfn[j - 1] + 1)
        j++;
    return j;
}

size_t ssw_runs(const ssb_image *img, uint64_t (*runs)[2], size_t max)
{
    page_list l;
    if (pages_of(img, &l) != 0) {
        pages_free(&l);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < l.n; n++) {
        size_t j = run_end(&l, i);
        if (n < max) {
            runs[n][0] = l.pfn[i];
            runs[n][1] = j - i;
        }
        i = j;
    }
    pages_free(&l);
    return n;
}

static int put(int fd, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t w = pwrite(fd, p, len, (off_t)off);
        if (w <= 0)
            return -1;
        p += w;
        off += (uint64_t)w;
        len -= (size_t)w;
    }
    return 0;
}

static void le16(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}
static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}
static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* ---- ELF notes (shared by ELF and kdump) ---------------------------------- */

enum { QEMU_STATE_SIZE = 440 };

static size_t note_size(size_t namesz, size_t descsz)
{
    return 12 + ((namesz + 3) & ~(size_t)3) + ((descsz + 3) & ~(size_t)3);
}

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, size_t descsz)
{
    size_t namesz = strlen(name) + 1;
    le32(p, namesz);
    le32(p + 4, descsz);
    le32(p + 8, type);
    memcpy(p + 12, name, namesz);
    memcpy(p + 12 + ((namesz + 3) & ~(size_t)3), desc, descsz);
    return note_size(namesz, descsz);
}

/* The note area: one QEMU note per CPU, then VMCOREINFO. *len gets its size. */
static uint8_t *build_notes(const ssw_opts *o, size_t *len)
{
    size_t vl = o->vmcoreinfo ? strlen(o->vmcoreinfo) : 0;
    size_t total = o->ncpus * note_size(5, QEMU_STATE_SIZE) + (o->vmcoreinfo ? note_size(11, vl) : 0);
    uint8_t *a = calloc(1, total + 1);
    if (!a)
        return NULL;
    size_t pos = 0;
    for (size_t i = 0; i < o->ncpus; i++) {
        uint8_t s[QEMU_STATE_SIZE] = {0};
        le32(s, 1); /* QEMUCPUSTATE_VERSION */
        le32(s + 4, QEMU_STATE_SIZE);
        le64(s + 8 + 16 * 8, 0xffffffff81000000ull + i); /* rip: something non-zero */
        le32(s + 152 + 8, o->cpus[i].cs_flags);          /* cs.flags */
        le64(s + 392, o->cpus[i].cr0);
        le64(s + 392 + 16, o->cpus[i].cr2);
        le64(s + 392 + 24, o->cpus[i].cr3);
        le64(s + 392 + 32, o->cpus[i].cr4);
        pos += put_note(a + pos, "QEMU", 0, s, sizeof s);
    }
    if (o->vmcoreinfo)
        pos += put_note(a + pos, "VMCOREINFO", 0, o->vmcoreinfo, vl);
    *len = pos;
    return a;
}

/* ---- ELF -------------------------------------------------------------------- */

int ssw_write_elf(const ssb_image *img, const char *path, const ssw_opts *o)
{
    ssw_opts def = SSW_OPTS_INIT;
    if (!o)
        o = &def;
    int is64 = o->elf_class != 32;
    uint16_t machine = o->machine ? o->machine : is64 ? 62 : 3;
    size_t ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32, shsize = is64 ? 64 : 40;
    page_list l;
    uint8_t *notes = NULL, *ph = NULL;
    int fd = -1, rc = -1;
    if (pages_of(img, &l) != 0 || l.n == 0)
        goto out;
    size_t nnotes_len = 0;
    notes = build_notes(o, &nnotes_len);
    if (!notes)
        goto out;
    size_t nruns = 0;
    for (size_t i = 0; i < l.n; i = run_end(&l, i))
        nruns++;
    uint64_t nph = 1 + nruns;
    if (nph < o->min_phdrs)
        nph = o->min_phdrs;
    int xnum = nph >= 0xffff;
    uint64_t phoff = ehsize, shoff = phoff + nph * phsize;
    uint64_t notes_off = shoff + (xnum ? shsize : 0);
    uint64_t data_off = (notes_off + nnotes_len + 4095) & ~4095ull;
    ph = calloc(nph, phsize);
    if (!ph)
        goto out;

    /* File offset of every stored page (runs are stored back to back). */
    uint64_t *page_off = malloc(l.n * sizeof *page_off);
    if (!page_off)
        goto out;
    for (size_t i = 0; i < l.n; i++)
        page_off[i] = data_off + (uint64_t)i * 4096;

    size_t k = 0;
#define PH(field64, field32, v)                                                                              \
    do {                                                                                                     \
        if (is64)                                                                                            \
            le64(ph + k * phsize + (field64), (v));                                                          \
        else                                                                                                 \
            le32(ph + k * phsize + (field32), (v));                                                          \
    } while (0)
    le32(ph, 4); /* PT_NOTE */
    PH(8, 4, notes_off);
    PH(32, 16, nnotes_len);
    k++;
    for (size_t i = 0; i < l.n; k++) {
        size_t j = run_end(&l, i);
        uint64_t filesz = (uint64_t)(j - i) * 4096;
        uint64_t memsz = filesz + (j == l.n ? o->tail_memsz : 0);
        le32(ph + k * phsize, 1); /* PT_LOAD */
        if (is64)
            le32(ph + k * phsize + 4, 7);
        PH(8, 4, page_off[i]);
        PH(16, 8, l.pfn[i] * 4096); /* p_vaddr: identity, as QEMU without paging */
        PH(24, 12, l.pfn[i] * 4096);
        PH(32, 16, filesz);
        PH(40, 20, memsz);
        i = j;
    }
    /* Aliases: single pages again under other virtual addresses (paging dumps). */
    for (size_t a = 0; k < nph; k++, a++) {
        size_t i = a % l.n;
        le32(ph + k * phsize, 1);
        PH(8, 4, page_off[i]);
        PH(16, 8, 0xffff888000000000ull + (uint64_t)a * 4096);
        PH(24, 12, l.pfn[i] * 4096);
        PH(32, 16, 4096);
        PH(40, 20, 4096);
    }
#undef PH
    free(page_off);

    uint8_t eh[64] = {0};
    memcpy(eh, "\177ELF", 4);
    eh[4] = is64 ? 2 : 1;
    eh[5] = 1;        /* little-endian */
    eh[6] = 1;        /* EV_CURRENT */
    le16(eh + 16, 4); /* ET_CORE */
    le16(eh + 18, machine);
    le32(eh + 20, 1);
    if (is64) {
        le64(eh + 32, phoff);
        le64(eh + 40, xnum ? shoff : 0);
        le16(eh + 52, ehsize);
        le16(eh + 54, phsize);
        le16(eh + 56, xnum ? 0xffff : nph);
        le16(eh + 58, xnum ? shsize : 0);
        le16(eh + 60, xnum ? 1 : 0);
    } else {
        le32(eh + 28, phoff);
        le32(eh + 32, xnum ? shoff : 0);
        le16(eh + 40, ehsize);
        le16(eh + 42, phsize);
        le16(eh + 44, xnum ? 0xffff : nph);
        le16(eh + 46, xnum ? shsize : 0);
        le16(eh + 48, xnum ? 1 : 0);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        goto out;
    if (put(fd, 0, eh, ehsize) || put(fd, phoff, ph, nph * phsize) || put(fd, notes_off, notes, nnotes_len))
        goto out;
    if (xnum) {
        uint8_t sh[64] = {0};
        le32(sh + (is64 ? 44 : 28), (uint32_t)nph); /* sh_info: the real e_phnum */
        if (put(fd, shoff, sh, shsize))
            goto out;
    }
    for (size_t i = 0; i < l.n; i++)
        if (put(fd, data_off + (uint64_t)i * 4096, l.data[i], 4096))
            goto out;
    rc = ftruncate(fd, (off_t)(data_off + (uint64_t)l.n * 4096));
out:
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    free(ph);
    free(notes);
    pages_free(&l);
    return rc;
}

/* ---- LiME ------------------------------------------------------------------- */

int ssw_write_lime(const ssb_image *img, const char *path)
{
    page_list l;
    int rc = -1, fd = -1;
    if (pages_of(img, &l) != 0)
        goto out;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        goto out;
    uint64_t pos = 0;
    for (size_t i = 0; i < l.n;) {
        size_t j = run_end(&l, i);
        uint8_t h[32] = {0};
        le32(h, 0x4C694D45u);
        le32(h + 4, 1);
        le64(h + 8, l.pfn[i] * 4096);
        le64(h + 16, l.pfn[j - 1] * 4096 + 4095);
        if (put(fd, pos, h, sizeof h))
            goto out;
        pos += sizeof h;
        for (; i < j; i++, pos += 4096)
            if (put(fd, pos, l.data[i], 4096))
                goto out;
    }
    rc = 0;
out:
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    pages_free(&l);
    return rc;
}

/* ---- kdump -------------------------------------------------------------------- */

/* Compresses one 4 KiB page with method into out (cap bytes); 0 / -1 (also: not built). */
static int compress_page(unsigned method, const uint8_t *in, uint8_t *out, size_t cap, size_t *len)
{
    switch (method) {
#ifdef SSW_HAVE_ZLIB
    case SSW_ZLIB: {
        uLongf n = (uLongf)cap;
        if (compress2(out, &n, in, 4096, 6) != Z_OK)
            return -1;
        *len = n;
        return 0;
    }
#endif
#ifdef SSW_HAVE_LZO
    case SSW_LZO: {
        static long wrk[LZO1X_1_MEM_COMPRESS / sizeof(long) + 1];
        lzo_uint n = cap;
        if (lzo_init() != LZO_E_OK || lzo1x_1_compress(in, 4096, out, &n, wrk) != LZO_E_OK)
            return -1;
        *len = n;
        return 0;
    }
#endif
#ifdef SSW_HAVE_SNAPPY
    case SSW_SNAPPY: {
        size_t n = cap;
        if (snappy_compress((const char *)in, 4096, (char *)out, &n) != SNAPPY_OK)
            return -1;
        *len = n;
        return 0;
    }
#endif
#ifdef SSW_HAVE_ZSTD
    case SSW_ZSTD: {
        size_t n = ZSTD_compress(out, cap, in, 4096, 3);
        if (ZSTD_isError(n))
            return -1;
        *len = n;
        return 0;
    }
#endif
    default: return -1;
    }
}

/* Where kdump bytes go: straight to their offset, or as flattened records. */
typedef struct sink {
    int fd;
    int flat;
    uint64_t end; /* flat: where the next record goes */
} sink;

static int sink_put(sink *s, uint64_t off, const void *buf, size_t len)
{
    if (!s->flat)
        return put(s->fd, off, buf, len);
    /* Long writes become two records split at an odd place, so that readers have
     * to reassemble structures across records. */
    size_t first = len > 3000 ? len / 2 + 1 : len;
    for (size_t done = 0; done < len;) {
        size_t n = done ? len - done : first;
        uint8_t h[16];
        be64(h, off + done);
        be64(h + 8, n);
        if (put(s->fd, s->end, h, 16) || put(s->fd, s->end + 16, (const uint8_t *)buf + done, n))
            return -1;
        s->end += 16 + n;
        done += n;
    }
    return 0;
}

int ssw_write_kdump(const ssb_image *img, const char *path, const ssw_opts *o)
{
    ssw_opts def = SSW_OPTS_INIT;
    if (!o)
        o = &def;
    enum { BS = 4096 };
    page_list l;
    uint8_t *notes = NULL, *sub = NULL, *bitmap = NULL, *descs = NULL;
    int rc = -1;
    sink s = {-1, o->kdump_flat, 4096};
    if (pages_of(img, &l) != 0)
        goto out;
    uint64_t max_mapnr = ssb_size(img) / BS;
    size_t nlen = 0, vlen = o->vmcoreinfo ? strlen(o->vmcoreinfo) : 0;
    notes = build_notes(o, &nlen);
    if (!notes)
        goto out;
    /* Header and sub-header field offsets of the two layouts (see docs). */
    const int k32 = o->kdump_32;
    const unsigned sh_len = k32 ? 80 : 104, dh = k32 ? 412 : 424; /* status onwards */
    uint64_t sub_len = sh_len + vlen + nlen, sub_blocks = (sub_len + BS - 1) / BS;
    uint64_t bitmap_bytes = (max_mapnr + 7) / 8, half_blocks = (bitmap_bytes + BS - 1) / BS;
    uint64_t bitmap_off = (1 + sub_blocks) * BS, desc_off = bitmap_off + 2 * half_blocks * BS;
    uint64_t data_off = desc_off + (uint64_t)l.n * 24;

    uint8_t h[BS] = {0};
    memcpy(h, "KDUMP   ", 8);
    le32(h + 8, 6); /* header_version */
    memcpy(h + 12, "Linux", 5);
    const char *machine = o->kdump_machine ? o->kdump_machine : k32 ? "i686" : "x86_64";
    memcpy(h + 12 + 4 * 65, machine, strlen(machine));
    unsigned method = o->kdump_method ? o->kdump_method : SSW_ZLIB;
    le32(h + dh, method); /* status: the compression method */
    le32(h + dh + 4, BS);
    le32(h + dh + 8, sub_blocks);
    le32(h + dh + 12, 2 * half_blocks);
    le32(h + dh + 16, max_mapnr > 0xffffffffu ? 0xffffffffu : max_mapnr);
    le32(h + dh + 36, o->ncpus ? o->ncpus : 1); /* nr_cpus */

    sub = calloc(1, sub_blocks * BS);
    bitmap = calloc(1, half_blocks * BS);
    descs = calloc(l.n ? l.n : 1, 24);
    if (!sub || !bitmap || !descs)
        goto out;
    if (k32) {
        le32(sub + 16, max_mapnr);   /* end_pfn */
        le64(sub + 20, BS + sh_len); /* offset_vmcoreinfo */
        le32(sub + 28, vlen);
        le64(sub + 32, BS + sh_len + vlen); /* offset_note */
        le32(sub + 40, nlen);
        le64(sub + 64, max_mapnr); /* end_pfn_64 */
        le64(sub + 72, max_mapnr); /* max_mapnr_64 */
    } else {
        le64(sub + 24, max_mapnr);
        le64(sub + 32, BS + sh_len);
        le64(sub + 40, vlen);
        le64(sub + 48, BS + sh_len + vlen);
        le64(sub + 56, nlen);
        le64(sub + 88, max_mapnr);
        le64(sub + 96, max_mapnr);
    }
    if (vlen)
        memcpy(sub + sh_len, o->vmcoreinfo, vlen);
    memcpy(sub + sh_len + vlen, notes, nlen);
    for (size_t i = 0; i < l.n; i++)
        bitmap[l.pfn[i] / 8] |= (uint8_t)(1u << (l.pfn[i] % 8));

    s.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (s.fd < 0)
        goto out;
    if (s.flat) {
        uint8_t fh[4096] = {0};
        memcpy(fh, "makedumpfile", 12);
        be64(fh + 16, 1);
        be64(fh + 24, 1);
        uint8_t junk[464];
        memset(junk, 0xAA, sizeof junk);
        /* A record later overwritten: the reader must let the last one win. */
        if (put(s.fd, 0, fh, sizeof fh) || sink_put(&s, 0, junk, sizeof junk))
            goto out;
    }
    uint64_t pos = data_off;
    uint8_t cbuf[2 * BS];
    for (size_t i = 0; i < l.n; i++) {
        size_t clen = 0;
        int raw = o->kdump_raw_every && i % o->kdump_raw_every == 0;
        if (!raw) {
            if (compress_page(method, l.data[i], cbuf, sizeof cbuf, &clen) != 0)
                goto out;
            raw = clen >= BS; /* as makedumpfile: keep what does not shrink raw */
        }
        const void *src = raw ? (const void *)l.data[i] : cbuf;
        size_t len = raw ? BS : clen;
        le64(descs + i * 24, pos);
        le32(descs + i * 24 + 8, len);
        le32(descs + i * 24 + 12, raw ? 0 : method);
        if (sink_put(&s, pos, src, len))
            goto out;
        pos += len;
    }
    if (sink_put(&s, 0, h, sizeof h) || sink_put(&s, BS, sub, sub_blocks * BS) ||
        sink_put(&s, bitmap_off, bitmap, half_blocks * BS) ||
        sink_put(&s, bitmap_off + half_blocks * BS, bitmap, half_blocks * BS) ||
        (l.n && sink_put(&s, desc_off, descs, l.n * 24)))
        goto out;
    if (s.flat) {
        uint8_t endm[16];
        memset(endm, 0xff, sizeof endm);
        if (put(s.fd, s.end, endm, sizeof endm))
            goto out;
    } else if (ftruncate(s.fd, (off_t)pos) != 0)
        goto out;
    rc = 0;
out:
    if (s.fd >= 0 && close(s.fd) != 0)
        rc = -1;
    free(notes);
    free(sub);
    free(bitmap);
    free(descs);
    pages_free(&l);
    return rc;
}

/* ---- checks shared by the dump tests ------------------------------------------ */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

/* Unique per PFN, yet compressible (so that kdump pages really are compressed). */
static void fill(uint8_t *p, uint64_t pfn)
{
    for (size_t i = 0; i < 4096; i += 8) {
        uint64_t x = pfn * 0x9E3779B97F4A7C15ull + (i % 64) * 0x0101010101010101ull + (i >> 9);
        memcpy(p + i, &x, 8);
    }
}

static int map_filled(ssb_image *img, uint64_t root, uint64_t va, uint64_t pa, uint64_t size)
{
    uint8_t page[4096];
    for (uint64_t o = 0; o < size; o += 4096) {
        fill(page, (pa + o) >> 12);
        if (ssb_write(img, pa + o, page, sizeof page) != 0)
            return -1;
    }
    return ssb_map(img, root, va, pa, size, SSB_RW);
}

ssb_image *ssw_sample_image(ss_mode mode, uint64_t *cr3, uint64_t *vas, size_t *nvas)
{
    ssb_image *img = ssb_new(mode, 64ull << 20, 32ull << 20);
    if (!img)
        return NULL;
    int pae = mode == SS_MODE_PAE;
    uint64_t root = ssb_new_root(img);
    size_t n = 0;
    uint64_t user = pae ? 0x10000000ull : 0x7ff000000000ull;
    uint64_t kern = pae ? 0x80200000ull : 0xffff800000200000ull;
    uint64_t large = pae ? 0xc0000000ull : 0xffffffff80000000ull;
    int bad = 0;
    for (uint64_t i = 0; i < 16; i++) {
        bad |= map_filled(img, root, user + i * 4096, 0x100000 + i * 4096, 4096);
        vas[n++] = user + i * 4096 + (i * 97 % 4096);
    }
    for (uint64_t i = 0; i < 8; i++) {
        bad |= map_filled(img, root, kern + i * 4096, 0x400000 + i * 0x3000, 4096);
        vas[n++] = kern + i * 4096 + 8;
    }
    bad |= map_filled(img, root, large, 0x1000000, 2ull << 20);
    vas[n++] = large;
    vas[n++] = large + 0x1fffff;
    vas[n++] = large + 0x123456;
    if (mode == SS_MODE_LA57) { /* needs PML5 indexes other than 0 and 511 */
        bad |= map_filled(img, root, 0x00f0000000000000ull, 0x800000, 4096);
        bad |= map_filled(img, root, 0xff10000000001000ull, 0x803000, 4096);
        vas[n++] = 0x00f0000000000abcull;
        vas[n++] = 0xff10000000001ff8ull;
        vas[n++] = 0x00f0000000001000ull; /* unmapped neighbour */
        vas[n++] = 0x0080000000000000ull; /* canonical, nothing under its PML5E */
    }
    vas[n++] = user + 16 * 4096; /* unmapped */
    vas[n++] = kern + 64 * 4096;
    vas[n++] = pae ? 0x40000000ull : 0x0000100000000000ull;
    if (!pae)
        vas[n++] = 0x0000800000000000ull; /* non-canonical under 4-level */
    *nvas = n;
    *cr3 = root;
    if (bad) {
        ssb_free(img);
        return NULL;
    }
    return img;
}

static int failf(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

int ssw_check_pages(ss_source *src, const ssb_image *img, char *msg, size_t msglen)
{
    return ssw_check_pages_to(src, img, ss_source_max_pa(src), msg, msglen);
}

int ssw_check_pages_to(ss_source *src, const ssb_image *img, uint64_t hole_end, char *msg, size_t msglen)
{
    page_list l;
    if (pages_of(img, &l) != 0) {
        pages_free(&l);
        return failf(msg, msglen, "cannot list the image's pages");
    }
    uint64_t npages = ssb_size(img) / 4096;
    uint8_t buf[2 * 4096];
    size_t k = 0;
    int rc = 0;
    for (uint64_t pfn = 0; pfn < npages + 4 && rc == 0; pfn++) {
        int stored = k < l.n && l.pfn[k] == pfn;
        size_t got = 0;
        ss_status st = ss_source_read(src, pfn * 4096, buf, 4096, &got);
        const uint8_t *pg = NULL;
        ss_status pst = ss_source_page(src, pfn, &pg);
        if (stored) {
            if (st != SS_OK || got != 4096 || memcmp(buf, l.data[k], 4096) != 0)
                rc = failf(msg, msglen, "pfn %#llx: read gave %s (%zu bytes) or different bytes",
                           (unsigned long long)pfn, ss_status_name(st), got);
            else if (pst == SS_OK ? memcmp(pg, l.data[k], 4096) != 0 : pst != SS_E_UNSUPPORTED)
                rc = failf(msg, msglen, "pfn %#llx: page() gave %s or different bytes",
                           (unsigned long long)pfn, ss_status_name(pst));
            /* a read straddling into the next page */
            else if (k + 1 < l.n && l.pfn[k + 1] == pfn + 1) {
                st = ss_source_read(src, pfn * 4096 + 4000, buf, 4096, &got);
                if (st != SS_OK || memcmp(buf, l.data[k] + 4000, 96) != 0 ||
                    memcmp(buf + 96, l.data[k + 1], 4000) != 0)
                    rc = failf(msg, msglen, "pfn %#llx: read across into the next page gave %s or bad bytes",
                               (unsigned long long)pfn, ss_status_name(st));
            } else if (pfn * 4096 + 4096 < hole_end) { /* next page absent: short read, the prefix kept */
                st = ss_source_read(src, pfn * 4096 + 4000, buf, 200, &got);
                if (st != SS_E_NO_PAGE || got != 96 || memcmp(buf, l.data[k] + 4000, 96) != 0)
                    rc = failf(msg, msglen, "pfn %#llx: read into a missing page gave %s with %zu bytes",
                               (unsigned long long)pfn, ss_status_name(st), got);
            }
            k++;
        } else {
            ss_status want = pfn * 4096 < hole_end ? SS_E_NO_PAGE : SS_E_RANGE;
            if (st != want || got != 0 || pst != want || pg)
                rc = failf(msg, msglen, "pfn %#llx (not stored): read gave %s, page() %s; expected %s",
                           (unsigned long long)pfn, ss_status_name(st), ss_status_name(pst),
                           ss_status_name(want));
        }
    }
    pages_free(&l);
    return rc;
}

int ssw_check_translations(ss_source *a, ss_source *b, ss_mode mode, uint64_t cr3, const uint64_t *vas,
                           size_t nvas, char *msg, size_t msglen)
{
    ss_space *sa = NULL, *sb = NULL;
    ss_status st;
    if ((st = ss_space_open(a, mode, cr3, NULL, &sa)) != SS_OK)
        return failf(msg, msglen, "space over the first source: %s", ss_status_name(st));
    if ((st = ss_space_open(b, SS_MODE_AUTO, cr3, NULL, &sb)) != SS_OK) {
        ss_space_close(sa);
        return failf(msg, msglen, "AUTO space over the second source: %s", ss_status_name(st));
    }
    int rc = 0;
    if (ss_space_mode(sb) != mode)
        rc = failf(msg, msglen, "AUTO picked %s, expected %s", ss_mode_name(ss_space_mode(sb)),
                   ss_mode_name(mode));
    for (size_t i = 0; i < nvas && rc == 0; i++) {
        ss_xlat x, y;
        ss_status s1 = ss_space_walk(sa, vas[i], &x), s2 = ss_space_walk(sb, vas[i], &y);
        if (s1 != s2 || x.state != y.state || x.pa != y.pa || x.page_size != y.page_size ||
            x.nentries != y.nentries)
            rc = failf(msg, msglen, "va %#llx: %s/%s pa %#llx vs %s/%s pa %#llx", (unsigned long long)vas[i],
                       ss_status_name(s1), ss_xlat_state_name(x.state), (unsigned long long)x.pa,
                       ss_status_name(s2), ss_xlat_state_name(y.state), (unsigned long long)y.pa);
    }
    ss_space_close(sa);
    ss_space_close(sb);
    return rc;
}

void ssw_save_seed(const char *harness, const char *name, const char *path)
{
    const char *dir = getenv("SS_FUZZ_SEED_DIR");
    if (!dir || !*dir)
        return;
    char out[4096];
    snprintf(out, sizeof out, "%s/%s", dir, harness);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return;
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return;
    snprintf(out, sizeof out, "%s/%s/%s", dir, harness, name);
    FILE *in = fopen(path, "rb"), *o = in ? fopen(out, "wb") : NULL;
    char buf[65536];
    size_t n;
    while (o && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, o) != n)
            break;
    if (o)
        fclose(o);
    if (in)
        fclose(in);
}

int ssw_check_ranges(ss_source *src, const ssb_image *img, char *msg, size_t msglen)
{
    uint64_t runs[64][2];
    size_t n = ssw_runs(img, runs, 64);
    const ss_phys_range *r = NULL;
    size_t nr = 0;
    if (n > 64 || ss_source_ranges(src, &r, &nr) != SS_OK || nr != n) {
        snprintf(msg, msglen, "%zu ranges, the image has %zu runs", nr, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (r[i].start != runs[i][0] * 4096 || r[i].size != runs[i][1] * 4096) {
            snprintf(msg, msglen, "range %zu is %#llx+%#llx, run is %#llx+%#llx pages", i,
                     (unsigned long long)r[i].start, (unsigned long long)r[i].size,
                     (unsigned long long)runs[i][0], (unsigned long long)runs[i][1]);
            return -1;
        }
    uint64_t end = n ? (runs[n - 1][0] + runs[n - 1][1]) * 4096 : 0;
    if (ss_source_max_pa(src) != end) {
        snprintf(msg, msglen, "max_pa %#llx, want %#llx", (unsigned long long)ss_source_max_pa(src),
                 (unsigned long long)end);
        return -1;
    }
    return 0;
}
