/*
 * nt/region.c — session-space regions: which virtual addresses are user, kernel
 * (global), session space or the paging-structure self-map, for the image's build
 * and architecture.
 *
 * x64 before Windows 10 1607 (build 14393): session space is the fixed PML4 slot
 * 0x1F2 (FFFFF900'00000000 - FFFFF980'00000000) and the self-map the fixed slot 0x1ED
 * (FFFFF680'00000000; "Windows Internals" 6th ed., ch. 10, x64 address space layout).
 * From 1607 both are randomized (KASLR of the PTE base and of session space), so the
 * slots are read from the page tables themselves: the self-map is the kernel DTB's
 * entry that names the DTB's own frame; session space is the set of kernel-half slots
 * whose entries are equal within a session and differ between sessions.
 * 32-bit: session space from KdDebuggerDataBlock's MmSessionBase / MmSessionSize
 * (KDDEBUGGER_DATA64 at 0x278 / 0x280) when a decoded block was read, else from the
 * page tables by the same rule at page-directory-entry granularity (which finds only the
 * mapped 2 / 4 MiB units of session space); the self-map is the classic C0000000 PTE
 * window (randomized on Windows 10 x86: not detected).
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pml4.h"

#define FRAME_MASK 0x000ffffffffff000ull
#define SLOT_SPAN  (1ull << 39)

static uint64_t slot_va(unsigned slot)
{
    return ((uint64_t)slot << 39) | (slot >= 256 ? 0xffff000000000000ull : 0);
}

ss_status ss_nt_session_slots_x64(ss_source *src, const uint64_t *dtbs, const uint32_t *labels, size_t n,
                                  uint32_t slots[8])
{
    if (!src || !dtbs || !labels || !slots || n == 0)
        return SS_E_INVALID_ARG;
    memset(slots, 0, 8 * sizeof slots[0]);
    /* The labelled tables only (SS_NT_NO_SESSION: System, smss.exe), then the one rule. */
    uint64_t *ldtbs = malloc(n * sizeof *ldtbs), *keys = NULL;
    uint32_t *llabels = malloc(n * sizeof *llabels);
    ss_status st = SS_E_NOMEM;
    if (ldtbs && llabels) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (labels[i] != SS_NT_NO_SESSION) {
                ldtbs[m] = dtbs[i];
                llabels[m++] = labels[i];
            }
        uint8_t kinds[512];
        st = m ? ss_pml4_load(src, ldtbs, m, &keys) : SS_OK;
        if (m && st == SS_OK && (st = ss_pml4_classify(keys, m, llabels, kinds)) == SS_OK)
            for (unsigned s = 256; s < 512; s++)
                if (kinds[s] == SS_SLOT_SESSION)
                    slots[(s - 256) / 32] |= 1u << ((s - 256) % 32);
    }
    free(keys);
    free(ldtbs);
    free(llabels);
    return st;
}

static int slot_is_session(const ss_nt *nt, unsigned slot)
{
    return slot >= 256 && (nt->sslots[(slot - 256) / 32] >> ((slot - 256) % 32) & 1);
}

/* One session only (the rule needs two): the slots every member maps alike and the
   kernel DTB leaves empty. kernel[] holds the kernel DTB's keys. */
static ss_status one_session_slots(ss_nt *nt, const uint64_t kernel[512])
{
    uint64_t e[512], rep[512];
    int have = 0;
    for (size_t i = 0; i < nt->nprocs; i++) {
        if (nt->procs[i].session_id == SS_NT_NO_SESSION)
            continue;
        uint64_t *row = have ? e : rep;
        ss_status st = ss_pml4_read(nt->src, nt->procs[i].dtb, row);
        if (st != SS_OK)
            return st;
        for (unsigned s = 256; s < 512; s++)
            row[s] = ss_pml4_key(row[s], nt->procs[i].dtb);
        if (!have) {
            have = 1;
            for (unsigned s = 256; s < 512; s++)
                if (rep[s] && rep[s] != SS_PML4_SELF && !kernel[s])
                    nt->sslots[(s - 256) / 32] |= 1u << ((s - 256) % 32);
            continue;
        }
        for (unsigned s = 256; s < 512; s++)
            if (e[s] != rep[s])
                nt->sslots[(s - 256) / 32] &= ~(1u << ((s - 256) % 32));
    }
    return SS_OK;
}

/*
 * 32-bit paging: the kernel half's page-directory entries (PAE: the 1,024 PDEs of the
 * page directories PDPTE 2 and 3 name, 2 MiB each; x86: PDEs 512-1023, 4 MiB each).
 * Returns SS_OK and the entries in e[0 .. *n).
 */
static ss_status kernel_pdes_32(const ss_nt *nt, uint64_t dtb, uint64_t e[1024], size_t *n)
{
    if (nt->mode == SS_MODE_PAE) {
        uint64_t pdpte[4];
        ss_status st = ss_source_read(nt->src, dtb & ~0x1full, pdpte, sizeof pdpte, NULL);
        for (unsigned k = 2; k < 4 && st == SS_OK; k++) {
            if (!(pdpte[k] & 1)) {
                memset(e + (k - 2) * 512, 0, 512 * 8);
                continue;
            }
            st = ss_source_read(nt->src, pdpte[k] & FRAME_MASK, e + (k - 2) * 512, 512 * 8, NULL);
        }
        *n = 1024;
        return st;
    }
    uint32_t pd[512];
    ss_status st = ss_source_read(nt->src, (dtb & 0xfffff000u) + 512 * 4, pd, sizeof pd, NULL);
    for (unsigned i = 0; i < 512; i++)
        e[i] = pd[i];
    *n = 512;
    return st;
}

/*
 * 32-bit session space from the page tables when no decoded KDBG gives MmSessionBase:
 * the session rule (pml4.h) over the kernel-half PDEs of the processes of readable
 * sessions. Only the parts of session space that are mapped are found (in units of 2
 * or 4 MiB).
 */
static ss_status pde_ranges_32(ss_nt *nt)
{
    if (nt->nsessions < 2)
        return SS_OK; /* one session or none: nothing can be told */
    size_t n = 0, width = 0;
    uint64_t *keys = malloc((nt->nprocs ? nt->nprocs : 1) * 1024 * sizeof *keys);
    uint32_t *labels = malloc((nt->nprocs ? nt->nprocs : 1) * sizeof *labels);
    uint8_t *session = malloc(1024);
    ss_status st = SS_OK;
    if (!keys || !labels || !session) {
        st = SS_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nt->nprocs; i++) {
        size_t s = 0;
        while (s < nt->nsessions &&
               !(nt->sessions[s].status == SS_OK && nt->procs[i].session_id == nt->sessions[s].id))
            s++;
        if (s == nt->nsessions)
            continue;
        uint64_t *row = keys + n * 1024;
        memset(row, 0, 1024 * sizeof *row);
        if (kernel_pdes_32(nt, nt->procs[i].dtb, row, &width) != SS_OK)
            goto out; /* unreadable: leave session space unclassified */
        for (size_t k = 0; k < width; k++)
            row[k] = ss_entry_key(row[k]);
        labels[n++] = nt->procs[i].session_id;
    }
    /* rows are 1,024 apart; a non-PAE row uses its first 512 */
    if (n == 0 || (st = ss_pml4_session_columns(keys, n, 1024, labels, session)) != SS_OK)
        goto out;
    uint64_t unit = nt->mode == SS_MODE_PAE ? 1ull << 21 : 1ull << 22;
    for (size_t k = 0; k < width; k++) {
        if (!session[k])
            continue;
        uint64_t lo = 0x80000000u + k * unit, hi = lo + unit;
        if (nt->nranges && nt->ranges[nt->nranges - 1][1] == lo)
            nt->ranges[nt->nranges - 1][1] = hi;
        else if (nt->nranges < SS_NT_MAX_RANGES) {
            nt->ranges[nt->nranges][0] = lo;
            nt->ranges[nt->nranges++][1] = hi;
        }
    }
out:
    free(keys);
    free(labels);
    free(session);
    return st;
}

ss_status ss_nt_build_regions(ss_nt *nt, ss_error *err)
{
    memset(nt->sslots, 0, sizeof nt->sslots);
    nt->nranges = 0;
    nt->self_slot = -1;
    if (nt->mode == SS_MODE_X86 || nt->mode == SS_MODE_PAE) {
        uint64_t base = 0, size = 0;
        /* Guest data: the base is read as the 32-bit address (zero- or sign-extended in the
           64-bit field, as PsActiveProcessHead in model.c), and a size that runs past 4 GiB
           (or wraps base + size) makes the block unusable, not a range ending below its start. */
        if (nt->kinfo.kdbg_checked &&
            ss_space_read(nt->kspace, nt->kinfo.kdbg + 0x278, &base, 8, NULL) == SS_OK &&
            ss_space_read(nt->kspace, nt->kinfo.kdbg + 0x280, &size, 8, NULL) == SS_OK && size &&
            (base &= 0xffffffffu, size <= 0x100000000ull - base)) {
            nt->ranges[0][0] = base;
            nt->ranges[0][1] = base + size;
            nt->nranges = 1;
            return SS_OK;
        }
        return pde_ranges_32(nt);
    }
    if (nt->mode != SS_MODE_X64)
        return SS_OK; /* LA57: not classified */
    uint64_t kernel[512];
    ss_status st = ss_pml4_read(nt->src, nt->kdtb, kernel);
    if (st != SS_OK)
        return ss_ntm_fail(err, st, "cannot read the kernel DTB's PML4 at %#llx (%s)",
                           (unsigned long long)nt->kdtb, ss_strerror(st));
    for (unsigned s = 256; s < 512; s++)
        if ((kernel[s] = ss_pml4_key(kernel[s], nt->kdtb)) == SS_PML4_SELF)
            nt->self_slot = (int)s;
    if (nt->prof.build && nt->prof.build < 14393) {
        if (nt->self_slot < 0)
            nt->self_slot = 0x1ed;
        nt->sslots[(0x1f2 - 256) / 32] |= 1u << ((0x1f2 - 256) % 32);
    } else {
        size_t n = 0;
        uint64_t *dtbs = malloc((nt->nprocs + 1) * sizeof *dtbs);
        uint32_t *labels = malloc((nt->nprocs + 1) * sizeof *labels);
        if (!dtbs || !labels) {
            free(dtbs);
            free(labels);
            return SS_E_NOMEM;
        }
        uint32_t seen[2] = {SS_NT_NO_SESSION, SS_NT_NO_SESSION};
        for (size_t i = 0; i < nt->nprocs; i++) {
            if (nt->procs[i].session_id == SS_NT_NO_SESSION)
                continue;
            dtbs[n] = nt->procs[i].dtb;
            labels[n++] = nt->procs[i].session_id;
            if (seen[0] == SS_NT_NO_SESSION)
                seen[0] = nt->procs[i].session_id;
            else if (nt->procs[i].session_id != seen[0])
                seen[1] = nt->procs[i].session_id;
        }
        st = SS_OK;
        if (seen[1] != SS_NT_NO_SESSION)
            st = ss_nt_session_slots_x64(nt->src, dtbs, labels, n, nt->sslots);
        else if (seen[0] != SS_NT_NO_SESSION)
            st = one_session_slots(nt, kernel);
        free(dtbs);
        free(labels);
        if (st == SS_E_NOMEM)
            return st;
        if (st != SS_OK) /* a member's PML4 is unreadable: leave session space unclassified */
            memset(nt->sslots, 0, sizeof nt->sslots);
    }
    for (unsigned s = 256; s < 512; s++) {
        if (!slot_is_session(nt, s))
            continue;
        uint64_t lo = slot_va(s), hi = s == 511 ? 0 : slot_va(s) + SLOT_SPAN;
        if (nt->nranges && nt->ranges[nt->nranges - 1][1] == lo)
            nt->ranges[nt->nranges - 1][1] = hi;
        else if (nt->nranges < SS_NT_MAX_RANGES) {
            nt->ranges[nt->nranges][0] = lo;
            nt->ranges[nt->nranges++][1] = hi;
        }
    }
    return SS_OK;
}

const char *ss_nt_region_name(ss_nt_region region)
{
    switch (region) {
    case SS_NT_REGION_USER: return "user";
    case SS_NT_REGION_KERNEL: return "kernel";
    case SS_NT_REGION_SESSION: return "session";
    case SS_NT_REGION_SELF_MAP: return "self_map";
    default: return "unknown";
    }
}

ss_status ss_nt_region_of(const ss_nt *nt, uint64_t va, ss_nt_region *out, uint64_t *start, uint64_t *end)
{
    if (!nt || !out)
        return SS_E_INVALID_ARG;
    uint64_t lo = 0, hi = 0;
    ss_nt_region r = SS_NT_REGION_UNKNOWN;
    if (nt->mode == SS_MODE_X64) {
        uint64_t top = va >> 47;
        if (top == 0) {
            r = SS_NT_REGION_USER;
            hi = 1ull << 47;
        } else if (top == 0x1ffff) {
            unsigned slot = (unsigned)((va >> 39) & 0x1ff);
            lo = slot_va(slot);
            hi = lo + SLOT_SPAN;
            r = (int)slot == nt->self_slot  ? SS_NT_REGION_SELF_MAP
                : slot_is_session(nt, slot) ? SS_NT_REGION_SESSION
                                            : SS_NT_REGION_KERNEL;
        }
    } else if (nt->mode == SS_MODE_X86 || nt->mode == SS_MODE_PAE) {
        if (va >= 0x100000000ull) {
            r = SS_NT_REGION_UNKNOWN;
        } else if (va < 0x80000000u) {
            r = SS_NT_REGION_USER;
            hi = 0x80000000u;
        } else {
            uint64_t pte_end = nt->mode == SS_MODE_PAE ? 0xc0800000u : 0xc0400000u;
            r = SS_NT_REGION_KERNEL;
            lo = 0x80000000u;
            hi = 0x100000000ull;
            if (va >= 0xc0000000u && va < pte_end) {
                r = SS_NT_REGION_SELF_MAP;
                lo = 0xc0000000u;
                hi = pte_end;
            }
            for (size_t i = 0; i < nt->nranges; i++)
                if (va >= nt->ranges[i][0] && va < nt->ranges[i][1]) {
                    r = SS_NT_REGION_SESSION;
                    lo = nt->ranges[i][0];
                    hi = nt->ranges[i][1];
                }
        }
    }
    *out = r;
    if (start)
        *start = lo;
    if (end)
        *end = hi;
    return SS_OK;
}

size_t ss_nt_session_range_count(const ss_nt *nt)
{
    return nt ? nt->nranges : 0;
}

ss_status ss_nt_session_range_at(const ss_nt *nt, size_t i, uint64_t *start, uint64_t *end)
{
    if (!nt || !start || !end || i >= nt->nranges)
        return SS_E_INVALID_ARG;
    *start = nt->ranges[i][0];
    *end = nt->ranges[i][1];
    return SS_OK;
}
