/*
 * Windows structure profiles: initialisation, the built-in lookup by build number and
 * pointer size, and the validation every profile (built-in, ISF, caller-filled) passes
 * before the model reads memory with it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "profile_internal.h"

ss_status ss_nt_fail(ss_error *err, ss_status status, const char *fmt, ...)
{
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

ss_status ss_nt_profile_init(ss_nt_profile *p, unsigned version)
{
    if (!p || version != SS_NT_PROFILE_VERSION)
        return SS_E_INVALID_ARG;
    memset(p, 0, sizeof *p);
    p->version = version;
    /* Every offset and RVA member is a uint32_t between the two bounds below. */
    p->kprocess_directory_table_base = SS_NT_NO_FIELD;
    p->kprocess_user_directory_table_base = SS_NT_NO_FIELD;
    p->eprocess_unique_process_id = SS_NT_NO_FIELD;
    p->eprocess_active_process_links = SS_NT_NO_FIELD;
    p->eprocess_image_file_name = SS_NT_NO_FIELD;
    p->eprocess_session = SS_NT_NO_FIELD;
    p->eprocess_session_process_links = SS_NT_NO_FIELD;
    p->session_session_id = SS_NT_NO_FIELD;
    p->session_process_list = SS_NT_NO_FIELD;
    p->session_images = SS_NT_IMAGES_NONE;
    p->session_image_list = SS_NT_NO_FIELD;
    p->session_paged_pool_start = SS_NT_NO_FIELD;
    p->session_paged_pool_end = SS_NT_NO_FIELD;
    p->session_non_pagable_pages = SS_NT_NO_FIELD;
    p->session_committed_pages = SS_NT_NO_FIELD;
    p->session_resident_process_count = SS_NT_NO_FIELD;
    p->image_link = SS_NT_NO_FIELD;
    p->image_address = SS_NT_NO_FIELD;
    p->image_last_address = SS_NT_NO_FIELD;
    p->image_data_table_entry = SS_NT_NO_FIELD;
    p->ldr_dll_base = SS_NT_NO_FIELD;
    p->ldr_size_of_image = SS_NT_NO_FIELD;
    p->ldr_base_dll_name = SS_NT_NO_FIELD;
    p->sym_ps_active_process_head = SS_NT_NO_FIELD;
    p->sym_ps_loaded_module_list = SS_NT_NO_FIELD;
    p->sym_kd_debugger_data_block = SS_NT_NO_FIELD;
    return SS_OK;
}

static const char *arch_name(uint32_t pointer_size)
{
    return pointer_size == 4 ? "x86" : pointer_size == 8 ? "x64" : "unknown architecture";
}

ss_status ss_nt_profile_builtin(uint32_t build, uint32_t pointer_size, ss_nt_profile *out, ss_error *err)
{
    if (!out)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "ss_nt_profile_builtin: NULL output profile");
    if (pointer_size != 4 && pointer_size != 8)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "pointer size %u: must be 4 (x86) or 8 (x64)", pointer_size);
    for (size_t i = 0; i < ss_nt_builtin_table_len; i++) {
        const ss_nt_builtin_entry *e = &ss_nt_builtin_table[i];
        if (build >= e->build_min && build <= e->build_max && e->profile.pointer_size == pointer_size) {
            *out = e->profile;
            out->build = build; /* the exact build asked for; the table covers a range */
            return SS_OK;
        }
    }
    return ss_nt_fail(
        err, SS_E_UNSUPPORTED,
        "no built-in structure layout for Windows build %u (%s): pass a Volatility 3 ISF symbol "
        "file for this kernel (--isf FILE on the CLI, ss_nt_profile_from_isf() in the API)",
        build, arch_name(pointer_size));
}

size_t ss_nt_profile_builtin_count(void)
{
    return ss_nt_builtin_table_len;
}

ss_status ss_nt_profile_builtin_at(size_t i, ss_nt_profile *out)
{
    if (!out || i >= ss_nt_builtin_table_len)
        return SS_E_INVALID_ARG;
    *out = ss_nt_builtin_table[i].profile;
    return SS_OK;
}

/* A structure offset beyond this is not a Windows kernel structure (the largest used, the
 * session space, is 0x7000 bytes). */
#define SS_NT_MAX_OFFSET 0x10000u

typedef struct field_rule {
    size_t off;        /* offsetof(ss_nt_profile, member) */
    const char *label; /* "_STRUCT.Field" as the symbols name it */
} field_rule;

#define RULE(m, l)                                                                                           \
    {                                                                                                        \
        offsetof(ss_nt_profile, m), l                                                                        \
    }

static uint32_t member(const ss_nt_profile *p, size_t off)
{
    uint32_t v;
    memcpy(&v, (const unsigned char *)p + off, sizeof v);
    return v;
}

static ss_status check_rules(const ss_nt_profile *p, const field_rule *r, size_t n, int required,
                             ss_error *err)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v = member(p, r[i].off);
        if (v == SS_NT_NO_FIELD) {
            if (required)
                return ss_nt_fail(err, SS_E_UNSUPPORTED,
                                  "profile \"%s\": no offset for %s, which the model needs", p->name,
                                  r[i].label);
            continue;
        }
        if (v >= SS_NT_MAX_OFFSET)
            return ss_nt_fail(err, SS_E_CORRUPT,
                              "profile \"%s\": %s offset 0x%x is beyond any kernel structure", p->name,
                              r[i].label, v);
    }
    return SS_OK;
}

ss_status ss_nt_profile_check(const ss_nt_profile *p, ss_error *err)
{
    if (!p)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "ss_nt_profile_check: NULL profile");
    if (p->version != SS_NT_PROFILE_VERSION)
        return ss_nt_fail(err, SS_E_INVALID_ARG,
                          "profile version %u: this library knows version %u (use ss_nt_profile_init)",
                          p->version, SS_NT_PROFILE_VERSION);
    if (memchr(p->name, 0, sizeof p->name) == NULL)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "profile name is not NUL-terminated");
    if (p->pointer_size != 4 && p->pointer_size != 8)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "profile \"%s\": pointer size %u, must be 4 or 8", p->name,
                          p->pointer_size);

    static const field_rule always[] = {
        RULE(kprocess_directory_table_base, "_KPROCESS.DirectoryTableBase"),
        RULE(eprocess_unique_process_id, "_EPROCESS.UniqueProcessId"),
        RULE(eprocess_active_process_links, "_EPROCESS.ActiveProcessLinks"),
        RULE(eprocess_image_file_name, "_EPROCESS.ImageFileName"),
        RULE(eprocess_session, "_EPROCESS.Session"),
        RULE(eprocess_session_process_links, "_EPROCESS.SessionProcessLinks"),
        RULE(session_session_id, "_MM_SESSION_SPACE.SessionId"),
        RULE(session_process_list, "_MM_SESSION_SPACE.ProcessList"),
    };
    static const field_rule optional[] = {
        RULE(kprocess_user_directory_table_base, "_KPROCESS.UserDirectoryTableBase"),
        RULE(session_paged_pool_start, "_MM_SESSION_SPACE.PagedPoolStart"),
        RULE(session_paged_pool_end, "_MM_SESSION_SPACE.PagedPoolEnd"),
        RULE(session_non_pagable_pages, "_MM_SESSION_SPACE.NonPagablePages"),
        RULE(session_committed_pages, "_MM_SESSION_SPACE.CommittedPages"),
        RULE(session_resident_process_count, "_MM_SESSION_SPACE.ResidentProcessCount"),
        RULE(image_last_address, "_IMAGE_ENTRY_IN_SESSION.LastAddress"),
        RULE(image_data_table_entry, "_IMAGE_ENTRY_IN_SESSION.DataTableEntry"),
        RULE(ldr_dll_base, "_KLDR_DATA_TABLE_ENTRY.DllBase"),
        RULE(ldr_size_of_image, "_KLDR_DATA_TABLE_ENTRY.SizeOfImage"),
        RULE(ldr_base_dll_name, "_KLDR_DATA_TABLE_ENTRY.BaseDllName"),
    };
    static const field_rule list_rules[] = {
        RULE(session_image_list, "_MM_SESSION_SPACE.ImageList"),
        RULE(image_link, "_IMAGE_ENTRY_IN_SESSION.Link"),
        RULE(image_address, "_IMAGE_ENTRY_IN_SESSION.Address"),
    };
    static const field_rule tree_rules[] = {
        RULE(session_image_list, "_MM_SESSION_SPACE.ImageTree"),
        RULE(image_link, "_IMAGE_ENTRY_IN_SESSION node"),
        RULE(image_address, "_IMAGE_ENTRY_IN_SESSION.Address"),
    };
    static const field_rule ldr_rules[] = {
        RULE(ldr_dll_base, "_KLDR_DATA_TABLE_ENTRY.DllBase"),
        RULE(ldr_size_of_image, "_KLDR_DATA_TABLE_ENTRY.SizeOfImage"),
        RULE(ldr_base_dll_name, "_KLDR_DATA_TABLE_ENTRY.BaseDllName"),
    };
    ss_status st = check_rules(p, always, sizeof always / sizeof always[0], 1, err);
    if (st == SS_OK)
        st = check_rules(p, optional, sizeof optional / sizeof optional[0], 0, err);
    if (st != SS_OK)
        return st;
    switch (p->session_images) {
    case SS_NT_IMAGES_NONE: break;
    case SS_NT_IMAGES_LIST: st = check_rules(p, list_rules, 3, 1, err); break;
    case SS_NT_IMAGES_TREE: st = check_rules(p, tree_rules, 3, 1, err); break;
    default:
        return ss_nt_fail(err, SS_E_INVALID_ARG,
                          "profile \"%s\": session image container %d is not a known kind", p->name,
                          (int)p->session_images);
    }
    if (st != SS_OK)
        return st;
    /* An image entry that names its loader entry needs the loader entry's layout. */
    if (p->session_images != SS_NT_IMAGES_NONE && p->image_data_table_entry != SS_NT_NO_FIELD)
        st = check_rules(p, ldr_rules, 3, 1, err);
    return st;
}
