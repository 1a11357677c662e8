/*
 * nt/kernel.c — finding the kernel image with no dump header: candidate bases in the
 * kernel half are found by walking the DTB's own page tables (present PML4E -> PDPTE
 * -> PDE; 2 MiB-aligned bases, and 64 KiB-aligned pages of 4 KiB-mapped regions; on
 * 32-bit paging the page directories of 80000000-FFFFFFFF),
 * each checked for an MZ / PE header whose debug directory holds a CodeView RSDS
 * record (CV_INFO_PDB70: "RSDS", GUID, Age, PDB file name) naming a kernel PDB.
 * Layouts: Microsoft PE/COFF specification, "MS-DOS stub", "Optional Header Data
 * Directories" (Debug is directory 6) and "Debug Directory (Image Only)" (Type 2 =
 * IMAGE_DEBUG_TYPE_CODEVIEW).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "pml4.h"

#define FRAME_MASK       0x000ffffffffff000ull
#define MAX_CANDIDATES   (1u << 20)
#define PE_HEADER_WINDOW 0x400u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static const char *const KERNEL_PDBS[] = {"ntkrnlmp.pdb", "ntoskrnl.pdb", "ntkrnlpa.pdb", "ntkrpamp.pdb"};

/* Checks one candidate base; fills *out and returns 1 for a kernel image. */
static int check_image(ss_space *sp, uint64_t base, ss_nt_kernel_info *out)
{
    uint8_t h[PE_HEADER_WINDOW];
    if (ss_space_read(sp, base, h, 2, NULL) != SS_OK || h[0] != 'M' || h[1] != 'Z')
        return 0;
    if (ss_space_read(sp, base, h, sizeof h, NULL) != SS_OK)
        return 0;
    uint32_t pe = le32(h + 0x3c);
    if (pe < 0x40 || pe > sizeof h - 0x100 || memcmp(h + pe, "PE\0\0", 4) != 0)
        return 0;
    const uint8_t *opt = h + pe + 24;
    uint16_t magic = le16(opt);
    uint32_t ndirs, dir;
    if (magic == 0x20b) { /* PE32+ */
        ndirs = le32(opt + 108);
        dir = 112;
    } else if (magic == 0x10b) { /* PE32 */
        ndirs = le32(opt + 92);
        dir = 96;
    } else {
        return 0;
    }
    if (ndirs <= 6 || pe + 24 + dir + 7 * 8 > sizeof h)
        return 0;
    uint32_t size_of_image = le32(opt + 56);
    uint32_t dbg_rva = le32(opt + dir + 6 * 8), dbg_size = le32(opt + dir + 6 * 8 + 4);
    if (!dbg_rva || dbg_size < 28 || dbg_rva >= size_of_image)
        return 0;
    uint32_t n = dbg_size / 28 > 16 ? 16 : dbg_size / 28;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t d[28];
        if (ss_space_read(sp, base + dbg_rva + i * 28, d, sizeof d, NULL) != SS_OK)
            return 0;
        if (le32(d + 12) != 2) /* IMAGE_DEBUG_TYPE_CODEVIEW */
            continue;
        uint32_t rva = le32(d + 20), len = le32(d + 16);
        uint8_t cv[24 + 64] = {0};
        if (!rva || rva >= size_of_image || len < 25)
            continue;
        size_t want = len < sizeof cv ? len : sizeof cv;
        if (ss_space_read(sp, base + rva, cv, want, NULL) != SS_OK || memcmp(cv, "RSDS", 4) != 0)
            continue;
        char name[64];
        size_t k = 0;
        while (k < sizeof name - 1 && 24 + k < want && cv[24 + k])
            name[k] = (char)cv[24 + k], k++;
        name[k] = 0;
        const char *file = strrchr(name, '\\');
        file = file ? file + 1 : name;
        for (size_t j = 0; j < sizeof KERNEL_PDBS / sizeof KERNEL_PDBS[0]; j++)
            if (strcasecmp(file, KERNEL_PDBS[j]) == 0) {
                memset(out, 0, sizeof *out);
                out->base = base;
                snprintf(out->pdb_name, sizeof out->pdb_name, "%s", file);
                const uint8_t *g = cv + 4;
                snprintf(out->pdb_guid, sizeof out->pdb_guid, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X",
                         le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14],
                         g[15]);
                out->pdb_age = le32(cv + 20);
                return 1;
            }
    }
    return 0;
}

/* 32-bit paging: the kernel half (80000000-FFFFFFFF) through PAE's page directories 2
   and 3 (8-byte entries, 2 MiB large pages) or x86's PDEs 512-1023 (4-byte, 4 MiB). */
static ss_status find_kernel_32(ss_space *space, ss_nt_kernel_info *out, ss_error *err)
{
    ss_source *src = ss_space_source(space);
    int pae = ss_space_mode(space) == SS_MODE_PAE;
    uint64_t dtb = ss_space_dtb(space);
    unsigned esz = pae ? 8 : 4, per = pae ? 512 : 1024, shift = pae ? 21 : 22;
    uint64_t pds[2], bases[2]; /* page directories and the VA each starts at */
    unsigned npd = 0;
    if (pae) {
        uint64_t pdpte[4];
        if (ss_source_read(src, dtb & ~0x1full, pdpte, sizeof pdpte, NULL) != SS_OK)
            return ss_ntm_fail(err, SS_E_NOT_FOUND, "cannot read the PDPT at %#llx", (unsigned long long)dtb);
        for (unsigned k = 2; k < 4; k++)
            if (pdpte[k] & 1) {
                bases[npd] = (uint64_t)k << 30;
                pds[npd++] = pdpte[k] & FRAME_MASK;
            }
    } else {
        bases[npd] = 0;
        pds[npd++] = dtb & 0xfffff000u;
    }
    for (unsigned d = 0; d < npd; d++) {
        uint8_t pd[4096];
        if (ss_source_read(src, pds[d], pd, sizeof pd, NULL) != SS_OK)
            continue;
        for (unsigned i = pae ? 0 : 512; i < per; i++) {
            uint64_t e = 0;
            memcpy(&e, pd + i * esz, esz);
            if (!(e & 1))
                continue;
            uint64_t va = bases[d] + ((uint64_t)i << shift);
            if (e & 0x80) {
                if (check_image(space, va, out))
                    return SS_OK;
                continue;
            }
            uint8_t pt[4096];
            uint64_t ptpa = pae ? e & FRAME_MASK : e & 0xfffff000u;
            if (ss_source_read(src, ptpa, pt, sizeof pt, NULL) != SS_OK)
                continue;
            for (unsigned j = 0; j < per; j += 16) {
                uint64_t pte = 0;
                memcpy(&pte, pt + j * esz, esz);
                if ((pte & 1) && check_image(space, va + ((uint64_t)j << 12), out))
                    return SS_OK;
            }
        }
    }
    return ss_ntm_fail(
        err, SS_E_NOT_FOUND,
        "no kernel image (MZ/PE with a CodeView record naming a kernel PDB) in the kernel half of "
        "DTB %#llx",
        (unsigned long long)dtb);
}

int ss_nt_kernel_at(ss_space *sp, uint64_t base, ss_nt_kernel_info *out)
{
    return check_image(sp, base, out);
}

ss_status ss_nt_find_kernel(ss_space *space, ss_nt_kernel_info *out, ss_error *err)
{
    if (!space || !out)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_find_kernel: NULL argument");
    if (ss_space_mode(space) == SS_MODE_PAE || ss_space_mode(space) == SS_MODE_X86)
        return find_kernel_32(space, out, err);
    if (ss_space_mode(space) != SS_MODE_X64)
        return ss_ntm_fail(err, SS_E_UNSUPPORTED, "the kernel image scan does not support 5-level paging");
    ss_source *src = ss_space_source(space);
    uint64_t dtb = ss_space_dtb(space) & FRAME_MASK;
    uint64_t pml4[512];
    if (ss_pml4_read(src, dtb, pml4) != SS_OK)
        return ss_ntm_fail(err, SS_E_NOT_FOUND, "cannot read the PML4 at %#llx", (unsigned long long)dtb);
    uint32_t tried = 0;
    for (unsigned i4 = 256; i4 < 512; i4++) {
        uint64_t e4 = pml4[i4];
        if (!(e4 & 1) || (e4 & FRAME_MASK) == dtb || (e4 & 0x80))
            continue; /* absent, the self-map, or invalid */
        uint64_t pdpt[512];
        if (ss_source_read(src, e4 & FRAME_MASK, pdpt, sizeof pdpt, NULL) != SS_OK)
            continue;
        for (unsigned i3 = 0; i3 < 512; i3++) {
            uint64_t e3 = pdpt[i3];
            if (!(e3 & 1))
                continue;
            uint64_t va3 = 0xffff000000000000ull | (uint64_t)i4 << 39 | (uint64_t)i3 << 30;
            if (e3 & 0x80) { /* 1 GiB page: every 2 MiB base inside */
                for (unsigned k = 0; k < 512 && tried < MAX_CANDIDATES; k++, tried++)
                    if (check_image(space, va3 + ((uint64_t)k << 21), out))
                        return SS_OK;
                continue;
            }
            uint64_t pd[512];
            if (ss_source_read(src, e3 & FRAME_MASK, pd, sizeof pd, NULL) != SS_OK)
                continue;
            for (unsigned i2 = 0; i2 < 512; i2++) {
                uint64_t e2 = pd[i2];
                if (!(e2 & 1))
                    continue;
                uint64_t va2 = va3 | (uint64_t)i2 << 21;
                if (++tried > MAX_CANDIDATES)
                    return ss_ntm_fail(err, SS_E_NOT_FOUND, "no kernel image in the first %u candidate bases",
                                       MAX_CANDIDATES);
                if (e2 & 0x80) {
                    if (check_image(space, va2, out))
                        return SS_OK;
                    continue;
                }
                uint64_t pt[512];
                if (ss_source_read(src, e2 & FRAME_MASK, pt, sizeof pt, NULL) != SS_OK)
                    continue;
                for (unsigned i1 = 0; i1 < 512; i1 += 16)
                    if ((pt[i1] & 1) && check_image(space, va2 | (uint64_t)i1 << 12, out))
                        return SS_OK;
            }
        }
    }
    return ss_ntm_fail(err, SS_E_NOT_FOUND,
                       "no kernel image (MZ/PE with a CodeView record naming ntkrnlmp.pdb, ntoskrnl.pdb, "
                       "ntkrnlpa.pdb or ntkrpamp.pdb) in the kernel half of DTB %#llx",
                       (unsigned long long)dtb);
}
