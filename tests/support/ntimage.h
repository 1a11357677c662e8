/*
 * Test-support generator of Windows-like memory: from a structure layout
 * (ss_nt_profile) it builds an x64 physical image holding what the Windows model
 * reads — a kernel image with a PE header and a CodeView RSDS record, a
 * KdDebuggerDataBlock, PsActiveProcessHead and the EPROCESS list, the System
 * process and smss.exe with no session, sessions 0, 1 and 2 with several processes
 * each (SessionProcessLinks), per-session session space (the _MM_SESSION_SPACE and
 * session pool on private frames, image pages on one frame shared by every
 * session, an image data page on private frames with identical contents), the
 * session image list (ImageList) or AVL tree (ImageTree) with
 * _KLDR_DATA_TABLE_ENTRY names, and the paging-structure self-map (PML4 slot 0x1ED
 * before build 14393, a seeded random slot from then on, as is the session slot).
 *
 * It uses the public API and the image builder only, and returns the ground truth
 * the tests compare with (never values computed by the code under test).
 * pointer_size 4 profiles give a 32-bit PAE image (Windows 7 x86 with PAE): per-process
 * page directories for the kernel half, session-space PDEs per session, the PTE
 * self-map at C0000000, a PE32 kernel, a 32-bit bitmap crash dump.
 */
#ifndef SS_NTIMAGE_H
#define SS_NTIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "imagebuilder.h"
#include "sessionspace/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SSB_NT_MAX_PROCS    16
#define SSB_NT_MAX_SESSIONS 3
#define SSB_NT_MAX_IMAGES   3
#define SSB_NT_MAX_MEMBERS  6

/* Defects the generator can put in, to test how the model reports them. */
#define SSB_NT_LOOP_ACTIVE  0x1u  /* ActiveProcessLinks: the last process links back to the third */
#define SSB_NT_LOOP_SESSION 0x2u  /* session 1's SessionProcessLinks: the last member links to the first */
#define SSB_NT_LOOP_IMAGES  0x4u  /* session 1's image tree (or list) links back to its first entry */
#define SSB_NT_LOST_SESSION 0x8u  /* session 2's _MM_SESSION_SPACE page is not mapped (reads fail) */
#define SSB_NT_KVA_SHADOW   0x10u /* give processes a user DTB (needs the profile's field) */
#define SSB_NT_NO_KDBG_TAG  0x20u /* KdDebuggerDataBlock left encoded (OwnerTag is not "KDBG") */

typedef struct ssb_nt_proc_truth {
    uint32_t pid;
    char name[16];
    uint64_t eprocess;
    uint64_t dtb;
    uint64_t user_dtb;         /* 0 without KVA shadow */
    int32_t session;           /* session id, -1 for none */
    uint64_t user_va, user_pa; /* one user page per process */
} ssb_nt_proc_truth;

typedef struct ssb_nt_session_truth {
    uint32_t id;
    uint64_t va;     /* _MM_SESSION_SPACE (EPROCESS.Session) */
    uint64_t pdpt;   /* the frame the session-space PML4 entry names */
    size_t nmembers; /* processes in SessionProcessLinks order */
    uint32_t members[SSB_NT_MAX_MEMBERS];
    uint64_t private_pa; /* frame of truth.private_va in this session */
    uint64_t same_pa;    /* frame of truth.same_va in this session */
    uint64_t paged_pool_start, paged_pool_end;
    uint64_t non_pagable_pages, committed_pages;
    uint32_t resident_process_count;
} ssb_nt_session_truth;

typedef struct ssb_nt_image_truth {
    char name[32]; /* BaseDllName */
    uint64_t base; /* session VA (Address) */
    uint32_t size; /* SizeOfImage */
    uint64_t ldr;  /* _KLDR_DATA_TABLE_ENTRY VA */
} ssb_nt_image_truth;

typedef struct ssb_nt_truth {
    ss_nt_profile profile; /* the layout the image was built with */
    ss_mode mode;
    uint32_t build;
    uint32_t machine; /* IMAGE_FILE_MACHINE_* */
    uint64_t system_dtb;
    uint64_t kernel_base;
    uint32_t kernel_size;
    uint32_t rva_ps_active_process_head, rva_ps_loaded_module_list, rva_kd_debugger_data_block;
    uint64_t ps_active_process_head, ps_loaded_module_list, kd_debugger_data_block;
    char pdb_name[16]; /* "ntkrnlmp.pdb" */
    char pdb_guid[33]; /* 32 uppercase hex digits, as an ISF names it */
    uint32_t pdb_age;
    unsigned self_map_slot, session_slot; /* x64 PML4 slots (0 for 32-bit images) */
    uint64_t self_map_va;                 /* start of the paging-structure self-map */
    uint64_t session_start, session_end;  /* session-space region [start, end) */
    uint64_t kernel_va, kernel_pa;        /* a global kernel page */
    uint64_t shared_va, shared_pa;        /* image text: one frame in every session */
    uint64_t private_va;                  /* session data: a different frame and content per session */
    uint64_t same_va;                     /* image data: different frames, identical contents */
    size_t nprocs;
    ssb_nt_proc_truth procs[SSB_NT_MAX_PROCS];
    size_t nsessions;
    ssb_nt_session_truth sessions[SSB_NT_MAX_SESSIONS];
    size_t nimages;
    ssb_nt_image_truth images[SSB_NT_MAX_IMAGES];
} ssb_nt_truth;

/*
 * Builds the image for profile p (x64, or PAE for pointer_size 4) with the defects in flags
 * (SSB_NT_*); seed picks the randomized slots of builds >= 14393. Fills *truth.
 * Returns NULL on bad arguments (a profile whose structures do not fit) or no memory.
 */
ssb_image *ssb_nt_build(const ss_nt_profile *p, uint64_t seed, unsigned flags, ssb_nt_truth *truth);

/* Writes the image as a bitmap crash dump (64-bit, or 32-bit PAE) whose header names the DTB,
   the list heads, KdDebuggerDataBlock and the build. Returns 0 / -1. */
int ssb_nt_write_dmp(const ssb_image *img, const ssb_nt_truth *t, const char *path);

/* Writes the ground truth as "key value" lines (for scripts and the Python tests). 0 / -1. */
int ssb_nt_write_truth(const ssb_nt_truth *t, const char *path);

/*
 * Test layouts that need no built-in table (they imitate no real build exactly):
 * variant 0 "test-tree" (build 17763, ImageTree, UserDirectoryTableBase),
 * variant 1 "test-list" (build 7601, ImageList, no user DTB),
 * variant 2 "test-odd"  (the tree layout with every offset shifted; build 55555).
 * Fills every member (no library call). Returns 0, -1 for an unknown variant.
 */
int ssb_nt_test_profile(int variant, ss_nt_profile *p);

#ifdef __cplusplus
}
#endif
#endif
