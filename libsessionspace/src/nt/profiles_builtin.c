/*
 * Built-in Windows structure layouts, one table per build and pointer size.
 *
 * Every number below is a fact copied from a public description of the kernel's
 * symbols; each table names its sources. Abbreviations used in the comments:
 *
 *   ntdiff   github.com/ntdiff/headers, <Version>/<arch>/System32/ntoskrnl.exe/Standalone/
 *            <STRUCT>.h (C headers generated from the kernel PDBs);
 *   hvmi     github.com/bitdefender/hvmi, cami/sources/windows/opaque_fields/km/
 *            windows_<build>_<arch>_kpti_*.yaml (Bitdefender's per-build offsets:
 *            Process.Cr3, UserCr3, Id, ListEntry, Name);
 *   WRK      Windows Research Kernel 1.2, base/ntos/mm/mi.h, declaration of
 *            IMAGE_ENTRY_IN_SESSION (Link, Address, LastAddress, ImageCountInThisSession,
 *            ImageLoading, PrototypePtes, DataTableEntry, GlobalSubs), as quoted by
 *            rekall (google/rekall, rekall-core/rekall/plugins/overlays/windows/undocumented.py),
 *            which confirmed it on 8.1 x64 by disassembling MiSessionInsertImage;
 *   rekall10 rekall's win10.py overlay: _IMAGE_ENTRY_IN_SESSION.Address at 0x28 on x64
 *            (an _EX_FAST_REF, "or rax, 3" in MiSessionInsertImage), entries kept in the
 *            RTL_AVL_TREE _MM_SESSION_SPACE.ImageTree whose nodes start each entry.
 *
 * "Cross-checked" lists the fields that a second, independent source gives with the
 * same value. Symbol RVAs vary per kernel binary and stay SS_NT_NO_FIELD here.
 */
#include <string.h>

#include "profile_internal.h"

#define NO SS_NT_NO_FIELD

/* _KLDR_DATA_TABLE_ENTRY (or _LDR_DATA_TABLE_ENTRY, same three fields) DllBase, SizeOfImage,
 * BaseDllName: x64 0x30/0x40/0x58 (ntdiff Win7_SP1 _LDR_DATA_TABLE_ENTRY, Win10_1809_RS5
 * _KLDR_DATA_TABLE_ENTRY); x86 0x18/0x20/0x2c (ntdiff x86 _KLDR_DATA_TABLE_ENTRY and
 * _LDR_DATA_TABLE_ENTRY agree). */
#define LDR_X64 .ldr_dll_base = 0x30, .ldr_size_of_image = 0x40, .ldr_base_dll_name = 0x58
#define LDR_X86 .ldr_dll_base = 0x18, .ldr_size_of_image = 0x20, .ldr_base_dll_name = 0x2c
#define NO_SYMS                                                                                              \
    .sym_ps_active_process_head = NO, .sym_ps_loaded_module_list = NO, .sym_kd_debugger_data_block = NO

/* WRK IMAGE_ENTRY_IN_SESSION (list builds, to 8.1): Link 0, Address, LastAddress, then
 * two ULONGs and PrototypePtes before DataTableEntry. */
#define IMAGE_LIST_X64                                                                                       \
    .image_link = 0, .image_address = 0x10, .image_last_address = 0x18, .image_data_table_entry = 0x30
#define IMAGE_LIST_X86                                                                                       \
    .image_link = 0, .image_address = 0x08, .image_last_address = 0x0c, .image_data_table_entry = 0x1c

/* rekall10: the tree node is at the start of the entry and Address is at 0x28. Where
 * LastAddress and DataTableEntry sit in the Windows 10 entry is not described by any
 * public source found (the PDBs no longer carry the type): left unknown, so the model
 * reports base addresses only; an ISF that describes the type gives the rest. */
#define IMAGE_TREE_X64                                                                                       \
    .image_link = 0, .image_address = 0x28, .image_last_address = NO, .image_data_table_entry = NO

#define NO_IMAGES                                                                                            \
    .session_images = SS_NT_IMAGES_NONE, .session_image_list = NO, .image_link = NO, .image_address = NO,    \
    .image_last_address = NO, .image_data_table_entry = NO

const ss_nt_builtin_entry ss_nt_builtin_table[] = {
    /*
     * Windows 7 SP1 x86, build 7601.
     * _KPROCESS/_EPROCESS: ntdiff Win7_SP1/x86 _EPROCESS.h.
     * _MM_SESSION_SPACE: ntdiff Win7/x86 _MM_SESSION_SPACE.h (the SP1 directory holds
     * only the types SP1 changed; this one it did not).
     * Cross-checked (hvmi windows_7601_x86_kpti_OFF): DirectoryTableBase 0x18,
     * UniqueProcessId 0xb4, ActiveProcessLinks 0xb8, ImageFileName 0x16c.
     */
    {7601,
     7601,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win7sp1-x86",
      .build = 7601,
      .pointer_size = 4,
      .kprocess_directory_table_base = 0x18,
      .kprocess_user_directory_table_base = NO,
      .eprocess_unique_process_id = 0xb4,
      .eprocess_active_process_links = 0xb8,
      .eprocess_image_file_name = 0x16c,
      .eprocess_session = 0x168,
      .eprocess_session_process_links = 0xe4,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_images = SS_NT_IMAGES_LIST,
      .session_image_list = 0x50,
      .session_paged_pool_start = 0x2c,
      .session_paged_pool_end = 0x30,
      .session_non_pagable_pages = 0x24,
      .session_committed_pages = 0x28,
      .session_resident_process_count = 0x3c,
      IMAGE_LIST_X86,
      LDR_X86,
      NO_SYMS}},
    /*
     * Windows 7 SP1 x64, build 7601.
     * ntdiff Win7_SP1/x64 _EPROCESS.h and _MM_SESSION_SPACE.h.
     * Cross-checked (hvmi windows_7601_x64_kpti_OFF): DirectoryTableBase 0x28,
     * UniqueProcessId 0x180, ActiveProcessLinks 0x188, ImageFileName 0x2e0.
     * UserDirectoryTableBase: none in the 7601 PDB (KVA shadow kept it elsewhere).
     */
    {7601,
     7601,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win7sp1-x64",
      .build = 7601,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = NO,
      .eprocess_unique_process_id = 0x180,
      .eprocess_active_process_links = 0x188,
      .eprocess_image_file_name = 0x2e0,
      .eprocess_session = 0x2d8,
      .eprocess_session_process_links = 0x1e0,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_images = SS_NT_IMAGES_LIST,
      .session_image_list = 0x78,
      .session_paged_pool_start = 0x40,
      .session_paged_pool_end = 0x48,
      .session_non_pagable_pages = 0x30,
      .session_committed_pages = 0x38,
      .session_resident_process_count = 0x60,
      IMAGE_LIST_X64,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 8.1 x64, build 9600.
     * ntdiff Win8.1/x64 _EPROCESS.h and _MM_SESSION_SPACE.h (ResidentProcessCount is
     * gone from 8.1 on). Image entry: WRK layout, confirmed for 8.1 by rekall.
     * Cross-checked: none beyond the image entry (rekall: Address 0x10, LastAddress 0x18).
     */
    {9600,
     9600,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win81-x64",
      .build = 9600,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = NO,
      .eprocess_unique_process_id = 0x2e0,
      .eprocess_active_process_links = 0x2e8,
      .eprocess_image_file_name = 0x438,
      .eprocess_session = 0x3f0,
      .eprocess_session_process_links = 0x330,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_images = SS_NT_IMAGES_LIST,
      .session_image_list = 0x68,
      .session_paged_pool_start = 0x38,
      .session_paged_pool_end = 0x40,
      .session_non_pagable_pages = 0x28,
      .session_committed_pages = 0x30,
      .session_resident_process_count = NO,
      IMAGE_LIST_X64,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 10 1607 x64, build 14393.
     * ntdiff Win10_1607_RS1/x64 _KPROCESS.h (no UserDirectoryTableBase in the RTM PDB),
     * _EPROCESS.h, _MM_SESSION_SPACE.h (ImageTree at 0x68).
     * Cross-checked: the session fields 0x08-0x40 and ImageTree 0x68 equal 1809's.
     */
    {14393,
     14393,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win10-1607-x64",
      .build = 14393,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = NO,
      .eprocess_unique_process_id = 0x2e8,
      .eprocess_active_process_links = 0x2f0,
      .eprocess_image_file_name = 0x450,
      .eprocess_session = 0x400,
      .eprocess_session_process_links = 0x340,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_images = SS_NT_IMAGES_TREE,
      .session_image_list = 0x68,
      .session_paged_pool_start = 0x38,
      .session_paged_pool_end = 0x40,
      .session_non_pagable_pages = 0x28,
      .session_committed_pages = 0x30,
      .session_resident_process_count = NO,
      IMAGE_TREE_X64,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 10 1809 x64, build 17763.
     * ntdiff Win10_1809_RS5/x64 _EPROCESS.h (with _KPROCESS), _MM_SESSION_SPACE.h,
     * _KLDR_DATA_TABLE_ENTRY.h.
     * Cross-checked (hvmi windows_17763_x64_kpti_ON): DirectoryTableBase 0x28,
     * UserDirectoryTableBase 0x278, UniqueProcessId 0x2e0, ActiveProcessLinks 0x2e8,
     * ImageFileName 0x450.
     */
    {17763,
     17763,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win10-1809-x64",
      .build = 17763,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = 0x278,
      .eprocess_unique_process_id = 0x2e0,
      .eprocess_active_process_links = 0x2e8,
      .eprocess_image_file_name = 0x450,
      .eprocess_session = 0x400,
      .eprocess_session_process_links = 0x340,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_images = SS_NT_IMAGES_TREE,
      .session_image_list = 0x68,
      .session_paged_pool_start = 0x38,
      .session_paged_pool_end = 0x40,
      .session_non_pagable_pages = 0x28,
      .session_committed_pages = 0x30,
      .session_resident_process_count = NO,
      IMAGE_TREE_X64,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 10 2004/20H2/21H1/21H2/22H2 x64, builds 19041-19045 (one kernel layout).
     * _KPROCESS/_EPROCESS: a PDB-derived 20H1 header (KPROCESS size 0x438 with the
     * AffinityPadding/ThreadSeedPadding fields of 19041) gives DirectoryTableBase 0x28,
     * UserDirectoryTableBase 0x388, UniqueProcessId 0x440, ActiveProcessLinks 0x448,
     * SessionProcessLinks 0x4a0, Session 0x558, ImageFileName 0x5a8.
     * Cross-checked (the Vergilius project's 22H2 page as used by mvisor's
     * windows_kernel.h, and the 22621 ntdiff header, which keeps these offsets):
     * DirectoryTableBase, UniqueProcessId, ActiveProcessLinks, ImageFileName.
     * _MM_SESSION_SPACE: SessionId 0x08, ProcessList 0x10, NonPagablePages 0x28,
     * CommittedPages 0x30, PagedPoolStart/End 0x38/0x40 are identical in ntdiff 17763
     * (x64) and 19569 (ARM64, same 8-byte layout), the builds either side of 19041.
     * The image tree moved between them (0x68 -> 0x58): unverified for 19041, so no
     * image container here; pass an ISF to list session images.
     */
    {19041,
     19045,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win10-2004-22h2-x64",
      .build = 19041,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = 0x388,
      .eprocess_unique_process_id = 0x440,
      .eprocess_active_process_links = 0x448,
      .eprocess_image_file_name = 0x5a8,
      .eprocess_session = 0x558,
      .eprocess_session_process_links = 0x4a0,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_paged_pool_start = 0x38,
      .session_paged_pool_end = 0x40,
      .session_non_pagable_pages = 0x28,
      .session_committed_pages = 0x30,
      .session_resident_process_count = NO,
      NO_IMAGES,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 11 22H2/23H2 x64, builds 22621/22631 (one kernel layout).
     * ntdiff Win11_2209_22H2/x64 _EPROCESS.h (with _KPROCESS): DirectoryTableBase 0x28,
     * UserDirectoryTableBase 0x388, UniqueProcessId 0x440, ActiveProcessLinks 0x448,
     * SessionProcessLinks 0x4a0, Session 0x558, ImageFileName 0x5a8.
     * Cross-checked: no second source for 22621 itself; all seven equal the 19041 values.
     * _MM_SESSION_SPACE: no public header for this build was found; only SessionId 0x08
     * and ProcessList 0x10 are used, the two fields every layout from Windows 7 to the
     * 24H2 opaque session structure keeps. Pool counters and images need an ISF.
     */
    {22621,
     22631,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win11-22h2-23h2-x64",
      .build = 22621,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = 0x388,
      .eprocess_unique_process_id = 0x440,
      .eprocess_active_process_links = 0x448,
      .eprocess_image_file_name = 0x5a8,
      .eprocess_session = 0x558,
      .eprocess_session_process_links = 0x4a0,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_paged_pool_start = NO,
      .session_paged_pool_end = NO,
      .session_non_pagable_pages = NO,
      .session_committed_pages = NO,
      .session_resident_process_count = NO,
      NO_IMAGES,
      LDR_X64,
      NO_SYMS}},
    /*
     * Windows 11 24H2 x64, build 26100.
     * ntdiff Win11_2409_24H2/x64 _KPROCESS.h and _EPROCESS.h: DirectoryTableBase 0x28,
     * UserDirectoryTableBase 0x158, UniqueProcessId 0x1d0, ActiveProcessLinks 0x1d8,
     * SessionProcessLinks 0x230, Session 0x2e8 (now a _PSP_SESSION_SPACE*, a type the
     * symbols do not describe), ImageFileName 0x338.
     * Cross-checked (a second 24H2 offset table "extracted from PDB symbols", found in
     * public code): UniqueProcessId, ActiveProcessLinks, ImageFileName.
     * The opaque session structure: SessionId 0x08 and ProcessList 0x10 (issue 9); no
     * pool counters and no image container.
     */
    {26100,
     26100,
     {.version = SS_NT_PROFILE_VERSION,
      .name = "win11-24h2-x64",
      .build = 26100,
      .pointer_size = 8,
      .kprocess_directory_table_base = 0x28,
      .kprocess_user_directory_table_base = 0x158,
      .eprocess_unique_process_id = 0x1d0,
      .eprocess_active_process_links = 0x1d8,
      .eprocess_image_file_name = 0x338,
      .eprocess_session = 0x2e8,
      .eprocess_session_process_links = 0x230,
      .session_session_id = 0x08,
      .session_process_list = 0x10,
      .session_paged_pool_start = NO,
      .session_paged_pool_end = NO,
      .session_non_pagable_pages = NO,
      .session_committed_pages = NO,
      .session_resident_process_count = NO,
      NO_IMAGES,
      LDR_X64,
      NO_SYMS}},
};

const size_t ss_nt_builtin_table_len = sizeof ss_nt_builtin_table / sizeof ss_nt_builtin_table[0];
