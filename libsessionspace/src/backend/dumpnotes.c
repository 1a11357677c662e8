/*
 * ELF notes of memory dumps (see dumpnotes.h).
 *
 * Note records (ELF gABI "Note Section"): Elf_Nhdr {namesz, descsz, type} as three
 * 32-bit words for both classes, then the name and the descriptor, each padded to
 * 4 bytes. QEMU writes one "QEMU" note (type 0) per vCPU whose descriptor is its
 * QEMUCPUState (target/i386/arch_dump.c, QEMUCPUSTATE_VERSION 1):
 *     u32 version, size; u64 rax..r15, rip, rflags   (18 x u64, ends at 152)
 *     10 x QEMUCPUSegment {u32 selector, limit, flags, pad; u64 base}: cs first
 *     u64 cr[5] at 392 (CR0..CR4), then optional fields (kernel_gs_base) at 432.
 * QEMU keeps segment flags in descriptor-high-word layout: bit 21 is CS.L.
 */
#include <stdlib.h>

#include "dumpnotes.h"
#include "segmap.h"

enum {
    QEMU_CPU_CS_FLAGS = 152 + 8,
    QEMU_CPU_CR = 392,
    QEMU_CPU_MIN_SIZE = QEMU_CPU_CR + 5 * 8,
};

#define QEMU_DESC_L (1u << 21)
#define CR0_PG      (1ull << 31)
#define CR4_PAE     (1ull << 5)
#define EFER_LME    (1ull << 8)
#define EFER_LMA    (1ull << 10)

static bool name_is(const ss_note *n, const char *name)
{
    size_t l = strlen(name);
    return n->namelen == l && memcmp(n->name, name, l) == 0;
}

/* Makes room for one more element in a doubling array. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? 2 * *cap : 8;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

static ss_status add_cpu(ss_dumpnotes *n, const ss_note *note, bool long_mode, ss_error *err,
                         const char *path)
{
    const uint8_t *d = note->desc;
    if (note->desclen < 8 || ss_le32(d) != 1)
        return SS_OK; /* a QEMUCPUState version we do not know: not a CPU we can describe */
    if (note->desclen < QEMU_CPU_MIN_SIZE)
        return ss_fail(err, SS_E_CORRUPT, "%s: QEMU CPU note of %zu bytes is too short for CR0..CR4 (%d)",
                       path, note->desclen, QEMU_CPU_MIN_SIZE);
    if (!grow((void **)&n->cpus, &n->cap_cpus, n->ncpus, sizeof *n->cpus))
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    ss_cpu_state *c = &n->cpus[n->ncpus];
    memset(c, 0, sizeof *c);
    c->index = (uint32_t)n->ncpus;
    c->cr0 = ss_le64(d + QEMU_CPU_CR);
    c->cr2 = ss_le64(d + QEMU_CPU_CR + 16);
    c->cr3 = ss_le64(d + QEMU_CPU_CR + 24);
    c->cr4 = ss_le64(d + QEMU_CPU_CR + 32);
    /*
     * EFER is not in the note. IA-32e mode is EFER.LMA, which the CPU sets exactly
     * when CR0.PG and CR4.PAE are set with EFER.LME (SDM Vol. 3A 10.8.5); QEMU
     * writes an EM_X86_64 ELF exactly when the first vCPU has LMA (arch_dump.c),
     * and a 64-bit code segment (CS.L) can only run in IA-32e mode.
     */
    bool lma = long_mode || (ss_le32(d + QEMU_CPU_CS_FLAGS) & QEMU_DESC_L);
    if (lma && (c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE))
        c->efer = EFER_LMA | EFER_LME;
    n->ncpus++;
    return SS_OK;
}

ss_status ss_notes_parse(ss_dumpnotes *n, const uint8_t *p, uint64_t len, bool long_mode, ss_error *err,
                         const char *path)
{
    uint64_t pos = 0;
    while (len - pos >= 12) {
        uint64_t namesz = ss_le32(p + pos), descsz = ss_le32(p + pos + 4);
        uint32_t type = ss_le32(p + pos + 8);
        uint64_t name_off = pos + 12;
        uint64_t desc_off = name_off + ((namesz + 3) & ~3ull);
        if (!ss_span_ok(name_off, namesz, len) || !ss_span_ok(desc_off, descsz, len))
            return ss_fail(err, SS_E_CORRUPT,
                           "%s: ELF note at offset %llu (name %llu bytes, desc %llu bytes) runs past its "
                           "%llu-byte note area",
                           path, (unsigned long long)pos, (unsigned long long)namesz,
                           (unsigned long long)descsz, (unsigned long long)len);
        if (namesz == 0 && descsz == 0) { /* zero padding after the last note, or an empty note */
            pos += 12;
            continue;
        }
        if (n->nnotes >= SS_MAX_NOTES)
            return ss_fail(err, SS_E_CORRUPT,
                           "%s: more than %u ELF notes (the next at offset %llu of the note area); a "
                           "memory dump carries a few per CPU",
                           path, (unsigned)SS_MAX_NOTES, (unsigned long long)pos);
        if (!grow((void **)&n->notes, &n->cap_notes, n->nnotes, sizeof *n->notes))
            return ss_fail(err, SS_E_NOMEM, "out of memory");
        ss_note *note = &n->notes[n->nnotes++];
        note->name = (const char *)p + name_off;
        note->namelen = (size_t)namesz;
        while (note->namelen && note->name[note->namelen - 1] == 0)
            note->namelen--;
        note->type = type;
        note->desc = p + desc_off;
        note->desclen = (size_t)descsz;
        if (name_is(note, "QEMU") && type == 0) {
            ss_status st = add_cpu(n, note, long_mode, err, path);
            if (st != SS_OK)
                return st;
        }
        uint64_t next = desc_off + ((descsz + 3) & ~3ull);
        if (next >= len)
            break;
        pos = next;
    }
    return SS_OK;
}

void ss_notes_free(ss_dumpnotes *n)
{
    free(n->notes);
    free(n->cpus);
    memset(n, 0, sizeof *n);
}

ss_status ss_notes_note(void *ctx, const char *name, const char **data, size_t *len)
{
    const ss_dumpnotes *n = ctx;
    if (n->vmcoreinfo && strcmp(name, "VMCOREINFO") == 0) {
        *data = n->vmcoreinfo;
        *len = n->vmcoreinfo_len;
        return SS_OK;
    }
    for (size_t i = 0; i < n->nnotes; i++)
        if (name_is(&n->notes[i], name)) {
            *data = (const char *)n->notes[i].desc;
            *len = n->notes[i].desclen;
            return SS_OK;
        }
    return SS_E_NOT_FOUND;
}

size_t ss_notes_cpu_count(void *ctx)
{
    return ((const ss_dumpnotes *)ctx)->ncpus;
}

ss_status ss_notes_cpu(void *ctx, size_t i, ss_cpu_state *out)
{
    const ss_dumpnotes *n = ctx;
    if (i >= n->ncpus)
        return SS_E_INVALID_ARG;
    *out = n->cpus[i];
    return SS_OK;
}

ss_status ss_notes_info(void *ctx, ss_dump_info *info)
{
    const ss_dumpnotes *n = ctx;
    ss_mode mode;
    if (!n->ncpus || !ss_cpu_paging_mode(&n->cpus[0], &mode))
        return SS_OK; /* no CPU, or paging off: nothing to say about page tables */
    info->flags |= SS_INFO_PAGING_MODE | SS_INFO_DTB;
    info->paging_mode = mode;
    info->directory_table_base = n->cpus[0].cr3;
    info->number_processors = (uint32_t)n->ncpus;
    return SS_OK;
}
