/* Windows-like image generator (see ntimage.h). */
#include "ntimage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmpwriter.h"
#include "testutil.h"

#define MiB (1ull << 20)
#define PG  4096ull

/* Kernel image layout (RVAs) used when the profile names no symbol RVA. */
#define KIMG_PAGES    32u
#define RVA_DEBUG_DIR 0x1000u
#define RVA_RSDS      0x1040u
#define RVA_PSACTIVE  0x3000u
#define RVA_PSLOADED  0x3010u
#define RVA_KDBG      0x4000u
#define KDBG_SIZE     0x360u
#define POOL_PAGES    64u
#define SPOOL_PAGES   16u
#define IMAGE_PAGES   4u

/* KDDEBUGGER_DATA64 (public: wdbgexts.h in the Debugging Tools for Windows SDK). */
#define KDBG_OWNER_TAG       0x10
#define KDBG_SIZE_FIELD      0x14
#define KDBG_KERN_BASE       0x18
#define KDBG_PS_LOADED       0x48
#define KDBG_PS_ACTIVE       0x50
#define KDBG_MM_SESSION_BASE 0x278
#define KDBG_MM_SESSION_SIZE 0x280

typedef struct gen {
    ssb_image *img;
    const ss_nt_profile *p;
    unsigned flags;
    uint64_t next_data; /* bump allocator for data frames */
    uint64_t pool_va, pool_pa, pool_used;
    uint64_t kbase, kpa;
    unsigned ptr; /* pointer size */
    int ok;
} gen;

static uint64_t slot_va(unsigned slot)
{
    uint64_t va = (uint64_t)slot << 39;
    return slot >= 256 ? va | 0xffff000000000000ull : va;
}

static unsigned va_slot(uint64_t va)
{
    return (unsigned)((va >> 39) & 0x1ff);
}

static uint64_t data_frame(gen *g)
{
    uint64_t pa = g->next_data;
    g->next_data += PG;
    if (g->next_data > 40 * MiB)
        g->ok = 0;
    return pa;
}

static void wr(gen *g, uint64_t pa, const void *b, size_t n)
{
    if (ssb_write(g->img, pa, b, n) != 0)
        g->ok = 0;
}

static void wr64(gen *g, uint64_t pa, uint64_t v)
{
    wr(g, pa, &v, 8);
}

/* A pointer-sized value (4 or 8 bytes, little-endian). */
static void wrp(gen *g, uint64_t pa, uint64_t v)
{
    wr(g, pa, &v, g->ptr);
}

static void wr32(gen *g, uint64_t pa, uint32_t v)
{
    wr(g, pa, &v, 4);
}

static void map(gen *g, uint64_t root, uint64_t va, uint64_t pa, uint64_t flags)
{
    if (ssb_map(g->img, root, va, pa, PG, flags) != 0)
        g->ok = 0;
}

/* Global kernel pool: contiguous frames, so VA -> PA is an addition. */
static uint64_t kalloc(gen *g, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (g->pool_used + size > POOL_PAGES * PG) {
        g->ok = 0;
        return g->pool_va;
    }
    uint64_t va = g->pool_va + g->pool_used;
    g->pool_used += size;
    return va;
}

static uint64_t kpa(const gen *g, uint64_t va)
{
    if (va >= g->pool_va && va < g->pool_va + POOL_PAGES * PG)
        return g->pool_pa + (va - g->pool_va);
    return g->kpa + (va - g->kbase);
}

/* A UNICODE_STRING (x64: Length, MaximumLength, pad, Buffer at 8) at pa naming text. */
static void put_unicode(gen *g, uint64_t pa, const char *text)
{
    size_t n = strlen(text);
    uint64_t buf = kalloc(g, 2 * n + 2);
    for (size_t i = 0; i < n; i++) {
        uint16_t c = (uint8_t)text[i];
        wr(g, kpa(g, buf) + 2 * i, &c, 2);
    }
    uint16_t len = (uint16_t)(2 * n), max = (uint16_t)(2 * n + 2);
    wr(g, pa, &len, 2);
    wr(g, pa + 2, &max, 2);
    wrp(g, pa + g->ptr, buf);
}

static uint32_t max_off(uint32_t a, uint32_t b)
{
    if (b == SS_NT_NO_FIELD)
        return a;
    return a > b ? a : b;
}

/* Copies the kernel half of src's PML4 into dst, leaving out skip1/skip2. */
static void copy_kernel_half(gen *g, uint64_t src, uint64_t dst, unsigned skip1, unsigned skip2)
{
    for (unsigned i = 256; i < 512; i++) {
        uint64_t e = 0;
        if (i == skip1 || i == skip2 || ssb_read(g->img, src + i * 8, &e, 8) != 0 || !e)
            continue;
        wr64(g, dst + i * 8, e);
    }
}

static void self_map(gen *g, uint64_t root, unsigned slot)
{
    wr64(g, root + slot * 8, root | SSB_P | SSB_RW);
}

static int in_slots(unsigned s, const unsigned *avoid, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (avoid[i] == s)
            return 1;
    return 0;
}

/* Two distinct random kernel-half slots, neither in avoid[0 .. n). */
static void rand_slots(uint64_t seed, const unsigned *avoid, size_t n, unsigned *a, unsigned *b)
{
    uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
    do {
        *a = 256 + (unsigned)(ss_test_rand(&s) % 255);
    } while (in_slots(*a, avoid, n));
    do {
        *b = 256 + (unsigned)(ss_test_rand(&s) % 255);
    } while (in_slots(*b, avoid, n) || *b == *a);
}

/*
 * More kernel-global regions, one small valid mapping each, so that System's PML4 has
 * six present kernel-half entries besides the self-map, as a real kernel's has (and the
 * scan's default threshold, 6, accepts it). The VAs follow the x64 layouts of "Windows
 * Internals" (6th ed. ch. 10; 7th ed. ch. 5): KUSER_SHARED_DATA at FFFFF780'00000000 and
 * the HAL heap at FFFFFFFF'FFC00000 in every build; before 1607 paged pool at
 * FFFFF8A0'00000000 and the system cache at FFFFF980'00000000; from 1607 the PFN
 * database and system PTEs in randomized regions (here fixed picks of them).
 */
#define EXTRA_GLOBALS 4
static const uint64_t EXTRA_FIXED[EXTRA_GLOBALS] = {0xfffff78000000000ull, 0xffffffffffc00000ull,
                                                    0xfffff8a000000000ull, 0xfffff98000000000ull};
static const uint64_t EXTRA_RANDOMIZED[EXTRA_GLOBALS] = {0xfffff78000000000ull, 0xffffffffffc00000ull,
                                                         0xffffb70000000000ull, 0xffff9a0000000000ull};

/* MZ / PE32+ (x64) or PE32 (x86) header with one debug directory entry -> CodeView RSDS
   (PE/COFF spec, "Optional Header Data Directories", "Debug Directory"). */
static void put_pe(gen *g, ssb_nt_truth *t)
{
    uint64_t b = g->kpa;
    wr(g, b, "MZ", 2);
    wr32(g, b + 0x3c, 0x80);
    wr(g, b + 0x80, "PE\0\0", 4);
    int x86 = g->ptr == 4;
    uint16_t machine = x86 ? 0x14c : 0x8664, nsec = 1, optsz = x86 ? 0xe0 : 0xf0, chars = 0x22;
    wr(g, b + 0x84, &machine, 2);
    wr(g, b + 0x86, &nsec, 2);
    wr(g, b + 0x94, &optsz, 2);
    wr(g, b + 0x96, &chars, 2);
    uint64_t opt = b + 0x98;
    uint16_t magic = x86 ? 0x10b : 0x20b;
    uint32_t dirs = x86 ? 96 : 112; /* DataDirectory; NumberOfRvaAndSizes is the field before it */
    wr(g, opt, &magic, 2);
    wr32(g, opt + 56, KIMG_PAGES * 4096u); /* SizeOfImage */
    wr32(g, opt + dirs - 4, 16);
    wr32(g, opt + dirs + 6 * 8, RVA_DEBUG_DIR);
    wr32(g, opt + dirs + 6 * 8 + 4, 28);
    /* IMAGE_DEBUG_DIRECTORY: Type 2 = IMAGE_DEBUG_TYPE_CODEVIEW */
    uint64_t dd = b + RVA_DEBUG_DIR;
    wr32(g, dd + 12, 2);
    wr32(g, dd + 16, 24 + 13);
    wr32(g, dd + 20, RVA_RSDS);
    wr32(g, dd + 24, RVA_RSDS);
    /* CV_INFO_PDB70: "RSDS", GUID, Age, PdbFileName */
    uint8_t guid[16];
    uint64_t s = 0x5eed0000u + t->build;
    for (int i = 0; i < 16; i++)
        guid[i] = (uint8_t)ss_test_rand(&s);
    wr(g, b + RVA_RSDS, "RSDS", 4);
    wr(g, b + RVA_RSDS + 4, guid, 16);
    t->pdb_age = 2;
    wr32(g, b + RVA_RSDS + 20, t->pdb_age);
    strcpy(t->pdb_name, x86 ? "ntkrpamp.pdb" : "ntkrnlmp.pdb");
    wr(g, b + RVA_RSDS + 24, t->pdb_name, strlen(t->pdb_name) + 1);
    /* The symbol-server form: Data1, Data2, Data3 as little-endian integers, then Data4 bytes. */
    snprintf(t->pdb_guid, sizeof t->pdb_guid,
             "%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X%02X", guid[3], guid[2], guid[1],
             guid[0], guid[5], guid[4], guid[7], guid[6], guid[8], guid[9], guid[10], guid[11], guid[12],
             guid[13], guid[14], guid[15]);
}

int ssb_nt_test_profile(int variant, ss_nt_profile *p)
{
    if (variant < 0 || variant > 2)
        return -1;
    memset(p, 0, sizeof *p);
    p->version = SS_NT_PROFILE_VERSION;
    p->pointer_size = 8;
    p->sym_ps_active_process_head = SS_NT_NO_FIELD;
    p->sym_ps_loaded_module_list = SS_NT_NO_FIELD;
    p->sym_kd_debugger_data_block = SS_NT_NO_FIELD;
    p->kprocess_directory_table_base = 0x28;
    p->ldr_dll_base = 0x30;
    p->ldr_size_of_image = 0x40;
    p->ldr_base_dll_name = 0x58;
    if (variant == 1) {
        snprintf(p->name, sizeof p->name, "test-list");
        p->build = 7601;
        p->kprocess_user_directory_table_base = SS_NT_NO_FIELD;
        p->eprocess_unique_process_id = 0x180;
        p->eprocess_active_process_links = 0x188;
        p->eprocess_session_process_links = 0x1e0;
        p->eprocess_session = 0x2d8;
        p->eprocess_image_file_name = 0x2e0;
        p->session_session_id = 0x8;
        p->session_process_list = 0x10;
        p->session_images = SS_NT_IMAGES_LIST;
        p->session_image_list = 0x20;
        p->session_non_pagable_pages = 0x30;
        p->session_committed_pages = 0x38;
        p->session_paged_pool_start = 0x40;
        p->session_paged_pool_end = 0x48;
        p->session_resident_process_count = 0x50;
        p->image_link = 0;
        p->image_address = 0x10;
        p->image_last_address = 0x18;
        p->image_data_table_entry = 0x28;
        return 0;
    }
    uint32_t d = variant == 2 ? 0x18 : 0;
    snprintf(p->name, sizeof p->name, variant == 2 ? "test-odd" : "test-tree");
    p->build = variant == 2 ? 55555 : 17763;
    p->kprocess_directory_table_base += d;
    p->kprocess_user_directory_table_base = 0x278 + d;
    p->eprocess_unique_process_id = 0x2e0 + d;
    p->eprocess_active_process_links = 0x2e8 + d;
    p->eprocess_session_process_links = 0x3c0 + d;
    p->eprocess_session = 0x3f8 + d;
    p->eprocess_image_file_name = 0x450 + d;
    p->session_session_id = 0x8 + d;
    p->session_process_list = 0x10 + d;
    p->session_images = SS_NT_IMAGES_TREE;
    p->session_image_list = 0x48 + d;
    p->session_non_pagable_pages = 0x20 + d;
    p->session_committed_pages = 0x28 + d;
    p->session_resident_process_count = 0x30 + d;
    p->session_paged_pool_start = 0x60 + d;
    p->session_paged_pool_end = 0x68 + d;
    p->image_link = d;
    p->image_address = 0x18 + 2 * d;
    p->image_last_address = 0x20 + 2 * d;
    p->image_data_table_entry = 0x30 + 2 * d;
    p->ldr_dll_base += d;
    p->ldr_size_of_image += d;
    p->ldr_base_dll_name += d;
    return 0;
}

static const struct {
    const char *name;
    int session; /* -1: none */
} PROCS[] = {
    {"System", -1},   {"smss.exe", -1},    {"csrss.exe", 0},    {"wininit.exe", 0}, {"services.exe", 0},
    {"lsass.exe", 0}, {"csrss.exe", 1},    {"winlogon.exe", 1}, {"dwm.exe", 1},     {"explorer.exe", 1},
    {"csrss.exe", 2}, {"winlogon.exe", 2}, {"explorer.exe", 2}, {"notepad.exe", 2},
};
static const char *const IMAGES[SSB_NT_MAX_IMAGES] = {"win32k.sys", "win32kbase.sys", "win32kfull.sys"};

ssb_image *ssb_nt_build(const ss_nt_profile *p, uint64_t seed, unsigned flags, ssb_nt_truth *t)
{
    if (!p || !t || p->version != SS_NT_PROFILE_VERSION || (p->pointer_size != 8 && p->pointer_size != 4))
        return NULL;
    const int x86 = p->pointer_size == 4; /* 32-bit: PAE paging, as Windows 7 x86 with PAE */
    const unsigned P = p->pointer_size;
    if ((flags & SSB_NT_KVA_SHADOW) && p->kprocess_user_directory_table_base == SS_NT_NO_FIELD)
        return NULL;
    memset(t, 0, sizeof *t);
    t->profile = *p;
    gen g = {0};
    g.p = p;
    g.flags = flags;
    g.ok = 1;
    g.next_data = 1 * MiB;
    g.ptr = P;
    g.img = ssb_new(x86 ? SS_MODE_PAE : SS_MODE_X64, 64 * MiB, 40 * MiB);
    if (!g.img)
        return NULL;
    t->mode = x86 ? SS_MODE_PAE : SS_MODE_X64;
    t->build = p->build;
    t->machine = x86 ? 0x14c : 0x8664;

    /* Structure sizes follow the profile: the largest offset plus its field. */
    uint32_t eproc = 0;
    eproc = max_off(eproc, p->kprocess_directory_table_base);
    eproc = max_off(eproc, p->kprocess_user_directory_table_base);
    eproc = max_off(eproc, p->eprocess_unique_process_id);
    eproc = max_off(eproc, p->eprocess_active_process_links);
    eproc = max_off(eproc, p->eprocess_image_file_name);
    eproc = max_off(eproc, p->eprocess_session);
    eproc = max_off(eproc, p->eprocess_session_process_links);
    eproc += 16;
    uint32_t sess = 0;
    sess = max_off(sess, p->session_session_id);
    sess = max_off(sess, p->session_process_list);
    sess = max_off(sess, p->session_image_list);
    sess = max_off(sess, p->session_paged_pool_start);
    sess = max_off(sess, p->session_paged_pool_end);
    sess = max_off(sess, p->session_non_pagable_pages);
    sess = max_off(sess, p->session_committed_pages);
    sess = max_off(sess, p->session_resident_process_count);
    sess += 16;
    uint32_t ient = 0;
    ient = max_off(ient, p->image_link);
    ient = max_off(ient, p->image_address);
    ient = max_off(ient, p->image_last_address);
    ient = max_off(ient, p->image_data_table_entry);
    ient += 24;
    uint32_t ldr = 0;
    ldr = max_off(ldr, p->ldr_dll_base);
    ldr = max_off(ldr, p->ldr_size_of_image);
    ldr = max_off(ldr, p->ldr_base_dll_name);
    ldr += 16;
    if (eproc > 0x1000 || sess > 0x800 || ient > 0x100 || ldr > 0x200) {
        ssb_free(g.img);
        return NULL;
    }

    /* x64 slots: fixed before Windows 10 1607 (build 14393), randomized from then on.
       32-bit: the PTE window at C0000000 and a 128 MiB session space at 90000000 (the
       range KDBG's MmSessionBase / MmSessionSize give). */
    int fixed = p->build < 14393;
    uint64_t kbase = x86 ? 0x82a00000u : fixed ? 0xfffff80002a00000ull : 0xfffff8005a400000ull;
    uint64_t pool = x86 ? 0x84000000u : fixed ? 0xfffffa8001800000ull : 0xffffd30c2a000000ull;
    uint64_t img_off = x86 ? 0x01000000u : 0x10000000u, spool_off = x86 ? 0x02000000u : 0x20000000u,
             priv_off = x86 ? 0x03000000u : 0x30000000u;
    if (x86) {
        t->session_start = 0x90000000u;
        t->session_end = 0x98000000u;
        t->self_map_va = 0xc0000000u;
    } else {
        if (fixed) {
            t->self_map_slot = 0x1ed;
            t->session_slot = 0x1f2;
        } else {
            unsigned avoid[2 + EXTRA_GLOBALS] = {va_slot(kbase), va_slot(pool)};
            for (unsigned i = 0; i < EXTRA_GLOBALS; i++)
                avoid[2 + i] = va_slot(EXTRA_RANDOMIZED[i]);
            rand_slots(seed, avoid, 2 + EXTRA_GLOBALS, &t->self_map_slot, &t->session_slot);
        }
        t->session_start = slot_va(t->session_slot);
        t->session_end = t->session_start + (1ull << 39);
        t->self_map_va = slot_va(t->self_map_slot);
    }

    /* System's root: kernel image (global), kernel pool (global), self-map. */
    uint64_t sys = ssb_new_root(g.img);
    t->system_dtb = sys;
    g.kbase = kbase;
    g.kpa = 2 * MiB;
    g.next_data = g.kpa + KIMG_PAGES * PG;
    for (unsigned i = 0; i < KIMG_PAGES; i++)
        map(&g, sys, kbase + i * PG, g.kpa + i * PG, SSB_RW | SSB_G);
    g.pool_va = pool;
    g.pool_pa = g.next_data;
    g.next_data += POOL_PAGES * PG;
    for (unsigned i = 0; i < POOL_PAGES; i++)
        map(&g, sys, pool + i * PG, g.pool_pa + i * PG, SSB_RW | SSB_G | SSB_XD);
    if (!x86)
        for (unsigned i = 0; i < EXTRA_GLOBALS; i++) {
            uint64_t pa = data_frame(&g);
            map(&g, sys, fixed ? EXTRA_FIXED[i] : EXTRA_RANDOMIZED[i], pa, SSB_RW | SSB_G | SSB_XD);
            char text[48];
            snprintf(text, sizeof text, "kernel-global region %u", i);
            wr(&g, pa, text, strlen(text) + 1);
        }
    t->kernel_base = kbase;
    t->kernel_size = KIMG_PAGES * 4096u;
    t->kernel_va = kbase + 0x5000;
    t->kernel_pa = g.kpa + 0x5000;
    wr(&g, t->kernel_pa, "nt kernel global page", 22);
    if (x86) { /* System's page directory for C0000000-FFFFFFFF (the self-map lives there) */
        uint64_t pd3 = ssb_alloc_page(g.img);
        wr64(&g, sys + 3 * 8, pd3 | SSB_P);
    }
    put_pe(&g, t);

    t->rva_ps_active_process_head =
        p->sym_ps_active_process_head != SS_NT_NO_FIELD ? p->sym_ps_active_process_head : RVA_PSACTIVE;
    t->rva_ps_loaded_module_list =
        p->sym_ps_loaded_module_list != SS_NT_NO_FIELD ? p->sym_ps_loaded_module_list : RVA_PSLOADED;
    t->rva_kd_debugger_data_block =
        p->sym_kd_debugger_data_block != SS_NT_NO_FIELD ? p->sym_kd_debugger_data_block : RVA_KDBG;
    if (t->rva_ps_active_process_head + 16 > KIMG_PAGES * PG ||
        t->rva_ps_loaded_module_list + 16 > KIMG_PAGES * PG ||
        t->rva_kd_debugger_data_block + KDBG_SIZE > KIMG_PAGES * PG ||
        t->rva_ps_active_process_head < 0x2000 || t->rva_kd_debugger_data_block < 0x2000) {
        ssb_free(g.img);
        return NULL;
    }
    t->ps_active_process_head = kbase + t->rva_ps_active_process_head;
    t->ps_loaded_module_list = kbase + t->rva_ps_loaded_module_list;
    t->kd_debugger_data_block = kbase + t->rva_kd_debugger_data_block;

    /* Session image text and header pages: one frame each, shared by every session. */
    uint64_t img_base = t->session_start + img_off;
    uint64_t shared[SSB_NT_MAX_IMAGES][IMAGE_PAGES];
    t->nimages = SSB_NT_MAX_IMAGES;
    for (unsigned i = 0; i < SSB_NT_MAX_IMAGES; i++) {
        ssb_nt_image_truth *im = &t->images[i];
        snprintf(im->name, sizeof im->name, "%s", IMAGES[i]);
        im->base = img_base + i * 0x400000ull;
        im->size = IMAGE_PAGES * 4096u;
        for (unsigned j = 0; j < IMAGE_PAGES; j++) {
            shared[i][j] = data_frame(&g);
            char text[64];
            snprintf(text, sizeof text, "%s page %u (shared)", im->name, j);
            wr(&g, shared[i][j], text, strlen(text) + 1);
        }
        wr(&g, shared[i][0], "MZ", 2);
        im->ldr = kalloc(&g, ldr);
        uint64_t lp = kpa(&g, im->ldr);
        wrp(&g, lp + p->ldr_dll_base, im->base);
        wr32(&g, lp + p->ldr_size_of_image, im->size);
        put_unicode(&g, lp + p->ldr_base_dll_name, im->name);
    }
    /* win32kbase page 1 is shared text; page 2 is data: private frames, identical contents. */
    t->shared_va = t->images[1].base + 0x1000;
    t->shared_pa = shared[1][1];
    t->same_va = t->images[1].base + 0x2000;
    t->private_va = t->session_start + priv_off;

    /* EPROCESS objects. */
    size_t np = sizeof PROCS / sizeof PROCS[0];
    uint64_t ep[SSB_NT_MAX_PROCS];
    for (size_t i = 0; i < np; i++) {
        ssb_nt_proc_truth *pr = &t->procs[i];
        pr->pid = i == 0 ? 4 : (uint32_t)(0x100 + 0x48 * i);
        snprintf(pr->name, sizeof pr->name, "%s", PROCS[i].name);
        pr->session = PROCS[i].session;
        ep[i] = pr->eprocess = kalloc(&g, eproc);
        pr->dtb = i == 0 ? sys : ssb_new_root(g.img);
    }
    t->nprocs = np;

    /* Sessions: a root per session holds its session space; members copy its PML4 entry. */
    t->nsessions = SSB_NT_MAX_SESSIONS;
    uint64_t sroot[SSB_NT_MAX_SESSIONS];
    uint64_t spool = t->session_start + spool_off;
    for (unsigned s = 0; s < SSB_NT_MAX_SESSIONS; s++) {
        ssb_nt_session_truth *st = &t->sessions[s];
        st->id = s;
        sroot[s] = ssb_new_root(g.img);
        /* The private data page first: the upper-level entries it creates are writable, as Windows' are. */
        st->private_pa = data_frame(&g);
        char text[64];
        snprintf(text, sizeof text, "session %u private data", s);
        wr(&g, st->private_pa, text, strlen(text) + 1);
        map(&g, sroot[s], t->private_va, st->private_pa, SSB_RW | SSB_XD);
        for (unsigned i = 0; i < SSB_NT_MAX_IMAGES; i++)
            for (unsigned j = 0; j < IMAGE_PAGES; j++) {
                uint64_t pa = shared[i][j];
                if (j == 2) { /* image data: a copy per session */
                    pa = data_frame(&g);
                    snprintf(text, sizeof text, "%s data (initialised)", t->images[i].name);
                    wr(&g, pa, text, strlen(text) + 1);
                    if (i == 1)
                        st->same_pa = pa;
                }
                map(&g, sroot[s], t->images[i].base + j * PG, pa, j == 2 ? SSB_RW | SSB_XD : 0);
            }
        /* Session pool: a different VA range per session, private frames. */
        uint64_t pool_va = spool + s * 0x100000ull, pool_pa = g.next_data;
        g.next_data += SPOOL_PAGES * PG;
        for (unsigned j = 0; j < SPOOL_PAGES; j++) {
            if (j == 0 && s == 2 && (flags & SSB_NT_LOST_SESSION))
                continue;
            map(&g, sroot[s], pool_va + j * PG, pool_pa + j * PG, SSB_RW | SSB_XD);
        }
        st->va = pool_va + 0x40;
        st->paged_pool_start = pool_va;
        st->paged_pool_end = pool_va + 0xfffff;
        st->non_pagable_pages = 3 + s;
        st->committed_pages = SPOOL_PAGES + IMAGE_PAGES * SSB_NT_MAX_IMAGES + s;
        uint64_t sp = pool_pa + 0x40;
        wr32(&g, sp + p->session_session_id, s);
        if (p->session_paged_pool_start != SS_NT_NO_FIELD)
            wrp(&g, sp + p->session_paged_pool_start, st->paged_pool_start);
        if (p->session_paged_pool_end != SS_NT_NO_FIELD)
            wrp(&g, sp + p->session_paged_pool_end, st->paged_pool_end);
        if (p->session_non_pagable_pages != SS_NT_NO_FIELD)
            wrp(&g, sp + p->session_non_pagable_pages, st->non_pagable_pages);
        if (p->session_committed_pages != SS_NT_NO_FIELD)
            wrp(&g, sp + p->session_committed_pages, st->committed_pages);

        /* SessionProcessLinks, in PROCS order. */
        uint64_t head = st->va + p->session_process_list;
        uint64_t prev = head;
        for (size_t i = 0; i < np; i++) {
            if (PROCS[i].session != (int)s)
                continue;
            uint64_t link = ep[i] + p->eprocess_session_process_links;
            wrp(&g, kpa(&g, link) + P, prev); /* Blink */
            uint64_t prev_pa = prev == head ? sp + p->session_process_list : kpa(&g, prev);
            wrp(&g, prev_pa, link); /* Flink of prev */
            prev = link;
            st->members[st->nmembers++] = t->procs[i].pid;
        }
        st->resident_process_count = (uint32_t)st->nmembers;
        if (p->session_resident_process_count != SS_NT_NO_FIELD)
            wr32(&g, sp + p->session_resident_process_count, st->resident_process_count);
        wrp(&g, sp + p->session_process_list + P, prev);
        if (s == 1 && (flags & SSB_NT_LOOP_SESSION)) {
            /* the last member's Flink -> the first member's links: never back to the head */
            uint64_t first = 0;
            ssb_read(g.img, sp + p->session_process_list, &first, P);
            wrp(&g, kpa(&g, prev), first);
        } else {
            wrp(&g, kpa(&g, prev), head);
        }

        /* Image entries in session pool (private), list or AVL tree. */
        uint64_t ie[SSB_NT_MAX_IMAGES];
        for (unsigned i = 0; i < SSB_NT_MAX_IMAGES; i++) {
            ie[i] = pool_va + 0x1000 + i * 0x100;
            uint64_t a = pool_pa + 0x1000 + i * 0x100;
            uint64_t addr = t->images[i].base;
            if (p->session_images == SS_NT_IMAGES_TREE)
                addr |= x86 ? 0x1 : 0x3; /* _EX_FAST_REF: reference count in the low bits */
            if (p->session_images == SS_NT_IMAGES_NONE)
                continue; /* 24H2+: the entries are not described */
            wrp(&g, a + p->image_address, addr);
            if (p->image_last_address != SS_NT_NO_FIELD)
                wrp(&g, a + p->image_last_address, t->images[i].base + t->images[i].size - 1);
            if (p->image_data_table_entry != SS_NT_NO_FIELD)
                wrp(&g, a + p->image_data_table_entry, t->images[i].ldr);
        }
        uint64_t root_field = sp + p->session_image_list;
        int loop = s == 1 && (flags & SSB_NT_LOOP_IMAGES);
        if (p->session_images == SS_NT_IMAGES_TREE) {
            /* RTL_BALANCED_NODE {Left, Right, ParentValue}: root = entry 1, children 0 and 2. */
            uint64_t n0 = ie[0] + p->image_link, n1 = ie[1] + p->image_link, n2 = ie[2] + p->image_link;
            uint64_t a0 = pool_pa + 0x1000 + p->image_link, a1 = a0 + 0x100, a2 = a0 + 0x200;
            wrp(&g, root_field, n1);
            wrp(&g, a1, n0);
            wrp(&g, a1 + P, n2);
            wrp(&g, a0 + 2 * P, n1);
            wrp(&g, a2 + 2 * P, n1);
            if (loop)
                wrp(&g, a2, n1); /* a leaf whose Left points back to the root */
        } else if (p->session_images == SS_NT_IMAGES_LIST) {
            uint64_t hv = st->va + p->session_image_list;
            uint64_t prev_v = hv, prev_a = root_field;
            for (unsigned i = 0; i < SSB_NT_MAX_IMAGES; i++) {
                uint64_t lv = ie[i] + p->image_link, la = pool_pa + 0x1000 + i * 0x100 + p->image_link;
                wrp(&g, prev_a, lv);
                wrp(&g, la + P, prev_v);
                prev_v = lv;
                prev_a = la;
            }
            wrp(&g, prev_a, loop ? ie[0] + p->image_link : hv);
            wrp(&g, root_field + P, prev_v);
        }
    }

    /* Kernel half of every root: System's entries; session space from the session's root. */
    if (x86) {
        /* PAE: each process has its own page directories for 80000000-FFFFFFFF (copies of
           System's), whose session-space PDEs are the session's. */
        uint64_t spd2[SSB_NT_MAX_SESSIONS] = {0}, sys_pdpte[4];
        ssb_read(g.img, sys, sys_pdpte, sizeof sys_pdpte);
        for (unsigned s = 0; s < SSB_NT_MAX_SESSIONS; s++) {
            uint64_t e = 0;
            ssb_read(g.img, sroot[s] + 2 * 8, &e, 8);
            spd2[s] = e & 0x000ffffffffff000ull;
        }
        unsigned lo = (unsigned)((t->session_start - 0x80000000u) >> 21),
                 hi = (unsigned)((t->session_end - 0x80000000u) >> 21);
        for (size_t i = 1; i < np; i++) {
            uint8_t page[4096];
            for (unsigned k = 2; k < 4; k++) {
                uint64_t pd = ssb_alloc_page(g.img);
                ssb_read(g.img, sys_pdpte[k] & 0x000ffffffffff000ull, page, sizeof page);
                wr(&g, pd, page, sizeof page);
                wr64(&g, t->procs[i].dtb + k * 8, pd | SSB_P);
                if (k == 2 && PROCS[i].session >= 0) {
                    ssb_read(g.img, spd2[PROCS[i].session] + lo * 8, page, (hi - lo) * 8);
                    wr(&g, pd + lo * 8, page, (hi - lo) * 8);
                }
            }
        }
    } else {
        for (size_t i = 1; i < np; i++)
            copy_kernel_half(&g, sys, t->procs[i].dtb, t->self_map_slot, t->session_slot);
        for (unsigned s = 0; s < SSB_NT_MAX_SESSIONS; s++) {
            uint64_t e = 0;
            ssb_read(g.img, sroot[s] + t->session_slot * 8, &e, 8);
            t->sessions[s].pdpt = e & 0x000ffffffffff000ull;
            for (size_t i = 0; i < np; i++)
                if (PROCS[i].session == (int)s)
                    wr64(&g, t->procs[i].dtb + t->session_slot * 8, e);
        }
    }

    /* Per process: EPROCESS fields, a user page, self-map, KVA-shadow user root. */
    for (size_t i = 0; i < np; i++) {
        ssb_nt_proc_truth *pr = &t->procs[i];
        uint64_t e = kpa(&g, pr->eprocess);
        wrp(&g, e + p->kprocess_directory_table_base, pr->dtb);
        wrp(&g, e + p->eprocess_unique_process_id, pr->pid);
        wr(&g, e + p->eprocess_image_file_name, pr->name, strlen(pr->name) < 15 ? strlen(pr->name) : 15);
        if (pr->session >= 0)
            wrp(&g, e + p->eprocess_session, t->sessions[pr->session].va);
        if (!x86)
            self_map(&g, pr->dtb, t->self_map_slot);
        if (i > 0) {
            pr->user_va = (x86 ? 0x7ff60000ull : 0x00007ff600000000ull) + i * 0x10000;
            pr->user_pa = data_frame(&g);
            char text[64];
            snprintf(text, sizeof text, "%s (pid %u) user page", pr->name, pr->pid);
            wr(&g, pr->user_pa, text, strlen(text) + 1);
            map(&g, pr->dtb, pr->user_va, pr->user_pa, SSB_RW | SSB_US | SSB_XD);
            if (flags & SSB_NT_KVA_SHADOW) {
                pr->user_dtb = ssb_new_root(g.img);
                map(&g, pr->user_dtb, pr->user_va, pr->user_pa, SSB_RW | SSB_US | SSB_XD);
                self_map(&g, pr->user_dtb, t->self_map_slot);
            }
        }
        if (x86) { /* PAE self-map: the PDEs for C0000000-C07FFFFF name the four page directories */
            uint64_t pdpte[4];
            ssb_read(g.img, pr->dtb, pdpte, sizeof pdpte);
            for (unsigned k = 0; k < 4; k++)
                if (pdpte[k] & SSB_P)
                    wr64(&g, (pdpte[3] & 0x000ffffffffff000ull) + k * 8,
                         (pdpte[k] & 0x000ffffffffff000ull) | SSB_P | SSB_RW);
        }
        if (p->kprocess_user_directory_table_base != SS_NT_NO_FIELD)
            wrp(&g, e + p->kprocess_user_directory_table_base, pr->user_dtb ? pr->user_dtb | 1 : 0);
    }

    /* ActiveProcessLinks from PsActiveProcessHead, in PROCS order. */
    uint64_t head = t->ps_active_process_head, prev = head;
    for (size_t i = 0; i < np; i++) {
        uint64_t link = ep[i] + p->eprocess_active_process_links;
        wrp(&g, kpa(&g, prev), link);
        wrp(&g, kpa(&g, link) + P, prev);
        prev = link;
    }
    wrp(&g, kpa(&g, prev), (flags & SSB_NT_LOOP_ACTIVE) ? ep[2] + p->eprocess_active_process_links : head);
    wrp(&g, kpa(&g, head) + P, prev);

    /* PsLoadedModuleList: one entry for the kernel itself. */
    uint64_t kl = kalloc(&g, ldr);
    wrp(&g, kpa(&g, kl) + p->ldr_dll_base, kbase);
    wr32(&g, kpa(&g, kl) + p->ldr_size_of_image, t->kernel_size);
    put_unicode(&g, kpa(&g, kl) + p->ldr_base_dll_name, "ntoskrnl.exe");
    wrp(&g, kpa(&g, t->ps_loaded_module_list), kl);
    wrp(&g, kpa(&g, t->ps_loaded_module_list) + P, kl);
    wrp(&g, kpa(&g, kl), t->ps_loaded_module_list);
    wrp(&g, kpa(&g, kl) + P, t->ps_loaded_module_list);

    /* KdDebuggerDataBlock, decoded as a bugcheck dump holds it. */
    uint64_t kd = kpa(&g, t->kd_debugger_data_block);
    wr(&g, kd + KDBG_OWNER_TAG, (flags & SSB_NT_NO_KDBG_TAG) ? "\x13\x37\xbe\xef" : "KDBG", 4);
    wr32(&g, kd + KDBG_SIZE_FIELD, KDBG_SIZE);
    wr64(&g, kd + KDBG_KERN_BASE, kbase);
    wr64(&g, kd + KDBG_PS_LOADED, t->ps_loaded_module_list);
    wr64(&g, kd + KDBG_PS_ACTIVE, t->ps_active_process_head);
    wr64(&g, kd + KDBG_MM_SESSION_BASE, t->session_start);
    wr64(&g, kd + KDBG_MM_SESSION_SIZE, t->session_end - t->session_start);

    if (!g.ok) {
        ssb_free(g.img);
        return NULL;
    }
    return g.img;
}

int ssb_nt_write_dmp(const ssb_image *img, const ssb_nt_truth *t, const char *path)
{
    ssb_dmp_fields f = {0};
    f.dtb = t->system_dtb;
    f.ps_active_process_head = t->ps_active_process_head;
    f.ps_loaded_module_list = t->ps_loaded_module_list;
    f.kd_debugger_data_block = t->kd_debugger_data_block;
    f.major_version = 0xf;
    f.minor_version = t->build;
    f.number_processors = 2;
    f.bugcheck_code = 0xe2; /* MANUALLY_INITIATED_CRASH */
    f.pae_enabled = t->mode == SS_MODE_PAE;
    return ssb_write_dmp(img, t->mode == SS_MODE_X64 ? SSB_DMP64_FULL_BITMAP : SSB_DMP32_BITMAP, &f, NULL, 0,
                         path);
}

int ssb_nt_write_truth(const ssb_nt_truth *t, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
#define X(k, v) fprintf(f, "%s %#llx\n", k, (unsigned long long)(v))
    fprintf(f, "build %u\n", t->build);
    X("system_dtb", t->system_dtb);
    X("kernel_base", t->kernel_base);
    X("ps_active_process_head", t->ps_active_process_head);
    X("rva_ps_active_process_head", t->rva_ps_active_process_head);
    X("kd_debugger_data_block", t->kd_debugger_data_block);
    fprintf(f, "pdb_name %s\npdb_guid %s\n", t->pdb_name, t->pdb_guid);
    X("pdb_age", t->pdb_age);
    X("self_map_slot", t->self_map_slot);
    X("self_map_va", t->self_map_va);
    X("session_slot", t->session_slot);
    X("session_start", t->session_start);
    X("session_end", t->session_end);
    X("kernel_va", t->kernel_va);
    X("kernel_pa", t->kernel_pa);
    X("shared_va", t->shared_va);
    X("shared_pa", t->shared_pa);
    X("private_va", t->private_va);
    X("same_va", t->same_va);
    for (size_t i = 0; i < t->nprocs; i++) {
        const ssb_nt_proc_truth *p = &t->procs[i];
        fprintf(f, "process %u %s %#llx %#llx %d\n", p->pid, p->name, (unsigned long long)p->eprocess,
                (unsigned long long)p->dtb, p->session);
    }
    for (size_t s = 0; s < t->nsessions; s++) {
        const ssb_nt_session_truth *st = &t->sessions[s];
        fprintf(f, "session %u %#llx %#llx %#llx %zu", st->id, (unsigned long long)st->va,
                (unsigned long long)st->private_pa, (unsigned long long)st->same_pa, st->nmembers);
        for (size_t j = 0; j < st->nmembers; j++)
            fprintf(f, " %u", st->members[j]);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < t->nimages; i++)
        fprintf(f, "image %s %#llx %#x\n", t->images[i].name, (unsigned long long)t->images[i].base,
                t->images[i].size);
#undef X
    /* The layout the image was built with, as "offset STRUCT.FIELD VALUE" (absent fields left out),
       so scripts can write an ISF of their own for it. */
    const ss_nt_profile *p = &t->profile;
    const struct {
        const char *name;
        uint32_t v;
    } off[] = {
        {"_KPROCESS.DirectoryTableBase", p->kprocess_directory_table_base},
        {"_KPROCESS.UserDirectoryTableBase", p->kprocess_user_directory_table_base},
        {"_EPROCESS.UniqueProcessId", p->eprocess_unique_process_id},
        {"_EPROCESS.ActiveProcessLinks", p->eprocess_active_process_links},
        {"_EPROCESS.ImageFileName", p->eprocess_image_file_name},
        {"_EPROCESS.Session", p->eprocess_session},
        {"_EPROCESS.SessionProcessLinks", p->eprocess_session_process_links},
        {"_MM_SESSION_SPACE.SessionId", p->session_session_id},
        {"_MM_SESSION_SPACE.ProcessList", p->session_process_list},
        {p->session_images == SS_NT_IMAGES_TREE ? "_MM_SESSION_SPACE.ImageTree"
                                                : "_MM_SESSION_SPACE.ImageList",
         p->session_image_list},
        {"_MM_SESSION_SPACE.PagedPoolStart", p->session_paged_pool_start},
        {"_MM_SESSION_SPACE.PagedPoolEnd", p->session_paged_pool_end},
        {"_MM_SESSION_SPACE.NonPagablePages", p->session_non_pagable_pages},
        {"_MM_SESSION_SPACE.CommittedPages", p->session_committed_pages},
        {"_MM_SESSION_SPACE.ResidentProcessCount", p->session_resident_process_count},
        {p->session_images == SS_NT_IMAGES_TREE ? "_IMAGE_ENTRY_IN_SESSION.Node"
                                                : "_IMAGE_ENTRY_IN_SESSION.Link",
         p->image_link},
        {"_IMAGE_ENTRY_IN_SESSION.Address", p->image_address},
        {"_IMAGE_ENTRY_IN_SESSION.LastAddress", p->image_last_address},
        {"_IMAGE_ENTRY_IN_SESSION.DataTableEntry", p->image_data_table_entry},
        {"_KLDR_DATA_TABLE_ENTRY.DllBase", p->ldr_dll_base},
        {"_KLDR_DATA_TABLE_ENTRY.SizeOfImage", p->ldr_size_of_image},
        {"_KLDR_DATA_TABLE_ENTRY.BaseDllName", p->ldr_base_dll_name},
    };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
        if (off[i].v != SS_NT_NO_FIELD)
            fprintf(f, "offset %s %#x\n", off[i].name, off[i].v);
    fprintf(f,
            "symbol PsActiveProcessHead %#x\nsymbol PsLoadedModuleList %#x\nsymbol KdDebuggerDataBlock %#x\n",
            t->rva_ps_active_process_head, t->rva_ps_loaded_module_list, t->rva_kd_debugger_data_block);
    return fclose(f) == 0 ? 0 : -1;
}
