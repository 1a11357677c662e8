/*
 * ss-mkimage — writes the built-in demo image: x64 physical memory with three
 * page-table roots shaped like Windows session space:
 *   system    the System process: kernel mappings only, no session space;
 *   session0  a session-0 process: kernel + its session's session space;
 *   session1  a session-1 process: kernel + a different session space.
 * Kernel (global) mappings are shared by copying PML4 entries, as Windows does;
 * each session gets its own PDPT under the session-space PML4 slot, so the same
 * VA maps to a different physical page per session, to the same frame for
 * shared image pages, and to software PTE states for paged-out pages.
 *
 * usage: ss-mkimage [--dmp OUT.dmp] OUT.raw [OUT.txt]
 *        ss-mkimage --windows PROFILE [--seed N] [--defect loop-active] [--dmp OUT.dmp] [--isf OUT.json]
 *                   OUT.raw [OUT.txt]
 *   OUT.txt lists "name value" lines (roots and interesting VAs) for scripts;
 *   --dmp also writes the same memory as a 64-bit bitmap crash dump whose header
 *   names the System root as DirectoryTableBase (so tools need no --dtb/--mode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmpwriter.h"
#include "imagebuilder.h"
#include "isfwriter.h"
#include "ntimage.h"

#define MiB (1ull << 20)

static const uint64_t KERNEL_VA = 0xfffff80000000000ull;  /* kernel image, 4 KiB pages */
static const uint64_t KLARGE_VA = 0xfffff80000200000ull;  /* 2 MiB kernel large page */
static const uint64_t SESSION_VA = 0xfffff99b3c078000ull; /* session-private page */
static const uint64_t USER_VA = 0x00007ff600000000ull;

static int check(int ok, const char *what)
{
    if (!ok)
        fprintf(stderr, "ss-mkimage: failed to %s\n", what);
    return ok;
}

static void fill_text(ssb_image *img, uint64_t pa, const char *text)
{
    ssb_write(img, pa, text, strlen(text) + 1);
}

/*
 * --windows PROFILE: the Windows-like image of tests/support/ntimage.h (processes,
 * sessions 0-2, session space, kernel PE, KDBG) for a test layout ("test-tree",
 * "test-list", "test-odd") or a build number's built-in x64 layout ("17763"), or its
 * 32-bit layout as a PAE image ("7601-x86");
 * OUT.txt receives its ground truth; --isf writes the layout as an ISF symbol file;
 * --defect loop-active makes ActiveProcessLinks loop (SSB_NT_LOOP_ACTIVE).
 */
static int windows_image(int argc, char **argv)
{
    const char *profile = NULL, *dmp = NULL, *isf = NULL;
    uint64_t seed = 1;
    unsigned flags = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "--windows") == 0)
            profile = argv[i + 1];
        else if (strcmp(argv[i], "--dmp") == 0)
            dmp = argv[i + 1];
        else if (strcmp(argv[i], "--isf") == 0)
            isf = argv[i + 1];
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--defect") == 0 && strcmp(argv[i + 1], "loop-active") == 0)
            flags |= SSB_NT_LOOP_ACTIVE;
        else
            break;
    }
    if (!profile || argc - i < 1 || argc - i > 2) {
        fprintf(stderr,
                "usage: ss-mkimage --windows PROFILE [--seed N] [--defect loop-active] [--dmp OUT.dmp] "
                "[--isf OUT.json] OUT.raw [OUT.txt]\n"
                "profiles: test-tree test-list test-odd, or a build number (built-in layout; BUILD-x86\n"
                "for the 32-bit one, written as a PAE image)\n");
        return 2;
    }
    ss_nt_profile p;
    int variant = strcmp(profile, "test-tree") == 0   ? 0
                  : strcmp(profile, "test-list") == 0 ? 1
                  : strcmp(profile, "test-odd") == 0  ? 2
                                                      : -1;
    char *end;
    unsigned long build = strtoul(profile, &end, 10);
    int x86 = strcmp(end, "-x86") == 0;                   /* "7601-x86": the 32-bit layout, a PAE image */
    if (variant < 0 && (*end == 0 || x86) && build > 0) { /* a build number: its built-in layout */
        ss_error err = {0};
        if (ss_nt_profile_builtin((uint32_t)build, x86 ? 4 : 8, &p, &err) != SS_OK) {
            fprintf(stderr, "ss-mkimage: %s\n", err.message);
            return 2;
        }
    } else if (variant < 0 || ssb_nt_test_profile(variant, &p) != 0) {
        fprintf(stderr,
                "ss-mkimage: unknown profile '%s' (test-tree, test-list, test-odd, or a build number)\n",
                profile);
        return 2;
    }
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(&p, seed, flags, &t);
    if (!check(img != NULL, "build the Windows-like image"))
        return 1;
    int ok = check(ssb_write_raw(img, argv[i]) == 0, "write the image");
    if (ok && dmp)
        ok = check(ssb_nt_write_dmp(img, &t, dmp) == 0, "write the crash dump");
    if (ok && isf) { /* the layout and symbol RVAs as a Volatility 3 ISF, naming this kernel's PDB */
        p.sym_ps_active_process_head = t.rva_ps_active_process_head;
        p.sym_ps_loaded_module_list = t.rva_ps_loaded_module_list;
        p.sym_kd_debugger_data_block = t.rva_kd_debugger_data_block;
        ss_test_isf_meta meta = {t.pdb_name, t.pdb_guid, t.pdb_age, t.build};
        ok = check(ss_test_isf_write(isf, &p, &meta, SS_TEST_ISF_PLAIN) == 0, "write the ISF");
    }
    if (ok)
        ok = check(ssb_nt_write_truth(&t, argc - i == 2 ? argv[i + 1] : "/dev/stdout") == 0,
                   "write the truth");
    ssb_free(img);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *dmp = NULL;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--windows") == 0)
            return windows_image(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "--dmp") == 0) {
        dmp = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: ss-mkimage [--dmp OUT.dmp] OUT.raw [OUT.txt]\n");
        return 2;
    }
    ssb_image *img = ssb_new(SS_MODE_X64, 64 * MiB, 48 * MiB);
    if (!check(img != NULL, "allocate the image"))
        return 1;
    uint64_t sys = ssb_new_root(img), s0 = ssb_new_root(img), s1 = ssb_new_root(img);
    int ok = sys && s0 && s1;

    /* Kernel: 16 small pages at 1 MiB and one 2 MiB large page at 4 MiB, global, RW. */
    for (uint64_t i = 0; ok && i < 16; i++) {
        ok = ssb_map(img, sys, KERNEL_VA + i * 4096, 0x100000 + i * 4096, 4096, SSB_RW | SSB_G) == 0;
        char text[64];
        snprintf(text, sizeof text, "nt kernel page %llu", (unsigned long long)i);
        fill_text(img, 0x100000 + i * 4096, text);
    }
    ok = ok && ssb_map(img, sys, KLARGE_VA, 4 * MiB, 2 * MiB, SSB_RW | SSB_G | SSB_XD) == 0;
    fill_text(img, 4 * MiB, "kernel large page");

    /* Share the kernel half (PML4 entries 256..511) with both session processes. */
    unsigned session_slot = (unsigned)((SESSION_VA >> 39) & 0x1ff);
    for (unsigned i = 256; ok && i < 512; i++) {
        uint64_t e = 0;
        ssb_read(img, sys + i * 8, &e, 8);
        if (e && i != session_slot)
            ok = ssb_write(img, s0 + i * 8, &e, 8) == 0 && ssb_write(img, s1 + i * 8, &e, 8) == 0;
    }

    /* Session space: private page per session, one shared frame, software states in session 1. */
    ok = ok && ssb_map(img, s0, SESSION_VA, 8 * MiB, 4096, SSB_RW) == 0;
    ok = ok && ssb_map(img, s1, SESSION_VA, 9 * MiB, 4096, SSB_RW) == 0;
    fill_text(img, 8 * MiB, "win32k session 0 data");
    fill_text(img, 9 * MiB, "win32k session 1 data");
    ok = ok && ssb_map(img, s0, SESSION_VA + 0x1000, 10 * MiB, 4096, 0) == 0;
    ok = ok && ssb_map(img, s1, SESSION_VA + 0x1000, 10 * MiB, 4096, 0) == 0;
    fill_text(img, 10 * MiB, "win32k shared image page");
    ok = ok && ssb_set_entry(img, s1, SESSION_VA + 0x2000, 1, ssb_sw_transition(SS_MODE_X64, 0xB00, 4));
    fill_text(img, 0xB00000, "session 1 standby page");
    ok = ok && ssb_set_entry(img, s1, SESSION_VA + 0x3000, 1,
                             ssb_sw_pagefile(SS_MODE_X64, SS_PTE_LAYOUT_WIN8, 0, 0x12345000, 4));
    ok = ok && ssb_set_entry(img, s1, SESSION_VA + 0x4000, 1,
                             ssb_sw_demand_zero(SS_MODE_X64, SS_PTE_LAYOUT_WIN8, 4));

    /* One user page per session process. */
    ok = ok && ssb_map(img, s0, USER_VA, 12 * MiB, 4096, SSB_RW | SSB_US | SSB_XD) == 0;
    ok = ok && ssb_map(img, s1, USER_VA, 13 * MiB, 4096, SSB_RW | SSB_US | SSB_XD) == 0;
    fill_text(img, 12 * MiB, "services.exe user page");
    fill_text(img, 13 * MiB, "explorer.exe user page");

    if (!check(ok, "build the page tables") || !check(ssb_write_raw(img, argv[1]) == 0, "write the image")) {
        ssb_free(img);
        return 1;
    }
    if (dmp) {
        ssb_dmp_fields f = {0};
        f.dtb = sys;
        f.ps_active_process_head = KERNEL_VA + 0x1000;
        f.ps_loaded_module_list = KERNEL_VA + 0x2000;
        f.kd_debugger_data_block = KERNEL_VA + 0x3000;
        f.major_version = 0xf;
        f.minor_version = 19041;
        f.number_processors = 2;
        f.bugcheck_code = 0xe2; /* MANUALLY_INITIATED_CRASH */
        if (!check(ssb_write_dmp(img, SSB_DMP64_FULL_BITMAP, &f, NULL, 0, dmp) == 0,
                   "write the crash dump")) {
            ssb_free(img);
            return 1;
        }
    }
    FILE *meta = argc == 3 ? fopen(argv[2], "w") : stdout;
    if (!check(meta != NULL, "open the metadata file")) {
        ssb_free(img);
        return 1;
    }
    fprintf(meta, "dtb_system %#llx\ndtb_session0 %#llx\ndtb_session1 %#llx\n", (unsigned long long)sys,
            (unsigned long long)s0, (unsigned long long)s1);
    fprintf(meta, "va_kernel %#llx\nva_kernel_large %#llx\nva_session %#llx\nva_user %#llx\n",
            (unsigned long long)KERNEL_VA, (unsigned long long)KLARGE_VA, (unsigned long long)SESSION_VA,
            (unsigned long long)USER_VA);
    if (meta != stdout)
        fclose(meta);
    ssb_free(img);
    return 0;
}
