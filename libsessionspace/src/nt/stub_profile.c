/*
 * TEMPORARY stand-ins for the profile entry points of sessionspace/profile.h, so the
 * model builds and is tested before the profile implementation (built-in tables and
 * the ISF reader) is merged. This file is deleted when that lands.
 */
#include <stdio.h>
#include <string.h>

#include "sessionspace/profile.h"

ss_status ss_nt_profile_init(ss_nt_profile *p, unsigned version)
{
    if (!p || version != SS_NT_PROFILE_VERSION)
        return SS_E_INVALID_ARG;
    memset(p, 0, sizeof *p);
    p->version = version;
    uint32_t *first = &p->kprocess_directory_table_base, *last = &p->ldr_base_dll_name;
    for (uint32_t *f = first; f <= last; f++)
        *f = SS_NT_NO_FIELD;
    p->session_images = SS_NT_IMAGES_NONE;
    p->sym_ps_active_process_head = p->sym_ps_loaded_module_list = p->sym_kd_debugger_data_block =
        SS_NT_NO_FIELD;
    return SS_OK;
}

ss_status ss_nt_profile_builtin(uint32_t build, uint32_t pointer_size, ss_nt_profile *out, ss_error *err)
{
    (void)out;
    if (err) {
        err->status = SS_E_UNSUPPORTED;
        snprintf(err->message, sizeof err->message,
                 "no built-in profile for build %u (%u-bit): pass an ISF symbol file (--isf FILE)", build,
                 pointer_size * 8);
    }
    return SS_E_UNSUPPORTED;
}

size_t ss_nt_profile_builtin_count(void)
{
    return 0;
}

ss_status ss_nt_profile_builtin_at(size_t i, ss_nt_profile *out)
{
    (void)i;
    (void)out;
    return SS_E_INVALID_ARG;
}

ss_status ss_nt_profile_from_isf(const char *path, ss_nt_profile *out, ss_nt_isf_info *info, ss_error *err)
{
    (void)out;
    (void)info;
    if (err) {
        err->status = SS_E_UNSUPPORTED;
        snprintf(err->message, sizeof err->message, "%s: ISF symbol files are not supported by this build",
                 path ? path : "(null)");
    }
    return SS_E_UNSUPPORTED;
}
