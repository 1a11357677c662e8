/*
 * nt/model.c — opening the Windows model: profile choice, kernel DTB and
 * PsActiveProcessHead, the ActiveProcessLinks walk, sessions grouped by
 * EPROCESS.Session (read through a member's DTB, as kd's !session does), the
 * SessionProcessLinks walk (!sprocess), session images, and session / process
 * contexts (!session -s, .process /P).
 */
#include "model.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KDDEBUGGER_DATA64 (public layout: wdbgexts.h of the Debugging Tools for Windows):
   DBGKD_DEBUG_DATA_HEADER64 {LIST_ENTRY64 List; ULONG OwnerTag; ULONG Size}, then
   KernBase at 0x18, PsLoadedModuleList at 0x48, PsActiveProcessHead at 0x50. The same
   64-bit layout is used by 32-bit kernels. */
#define KDBG_OWNER_TAG 0x10
#define KDBG_KERN_BASE 0x18
#define KDBG_PS_ACTIVE 0x50

ss_status ss_ntm_fail(ss_error *err, ss_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = st;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}

ss_status ss_nt_read_ptr(const ss_nt *nt, ss_space *sp, uint64_t va, uint64_t *out)
{
    uint64_t v = 0;
    ss_status st = ss_space_read(sp, va, &v, nt->prof.pointer_size, NULL);
    if (nt->prof.pointer_size == 4)
        v &= 0xffffffffu;
    *out = v;
    return st;
}

static ss_status read_u32(ss_space *sp, uint64_t va, uint32_t *out)
{
    return ss_space_read(sp, va, out, 4, NULL);
}

ss_status ss_nt_options_init(ss_nt_options *o, unsigned version)
{
    if (!o || (version != 1 && version != SS_NT_OPTIONS_VERSION))
        return SS_E_INVALID_ARG;
    ss_nt_options def = SS_NT_OPTIONS_INIT;
    def.version = version;
    /* a version 1 struct ends at max_list */
    memcpy(o, &def, version == 1 ? offsetof(ss_nt_options, progress) : sizeof def);
    return SS_OK;
}

void ss_nt_close(ss_nt *nt)
{
    if (!nt)
        return;
    ss_space_close(nt->kspace);
    ss_space_close(nt->tmp);
    free(nt->procs);
    free(nt->sessions);
    free(nt->range_buf);
    free(nt);
}

const ss_nt_profile *ss_nt_get_profile(const ss_nt *nt)
{
    return nt ? &nt->prof : NULL;
}

ss_mode ss_nt_mode(const ss_nt *nt)
{
    return nt ? nt->mode : SS_MODE_AUTO;
}

uint64_t ss_nt_kernel_dtb(const ss_nt *nt)
{
    return nt ? nt->kdtb : 0;
}

uint64_t ss_nt_ps_active_process_head(const ss_nt *nt)
{
    return nt ? nt->head : 0;
}

ss_status ss_nt_kernel(const ss_nt *nt, ss_nt_kernel_info *out)
{
    if (!nt || !out)
        return SS_E_INVALID_ARG;
    *out = nt->kinfo;
    return SS_OK;
}

/* Every offset the process and session walks need must be present. */
static ss_status check_profile(const ss_nt_profile *p, ss_error *err)
{
    static const struct {
        size_t off;
        const char *what;
    } need[] = {
        {offsetof(ss_nt_profile, kprocess_directory_table_base), "_KPROCESS.DirectoryTableBase"},
        {offsetof(ss_nt_profile, eprocess_unique_process_id), "_EPROCESS.UniqueProcessId"},
        {offsetof(ss_nt_profile, eprocess_active_process_links), "_EPROCESS.ActiveProcessLinks"},
        {offsetof(ss_nt_profile, eprocess_image_file_name), "_EPROCESS.ImageFileName"},
        {offsetof(ss_nt_profile, eprocess_session), "_EPROCESS.Session"},
        {offsetof(ss_nt_profile, eprocess_session_process_links), "_EPROCESS.SessionProcessLinks"},
        {offsetof(ss_nt_profile, session_session_id), "_MM_SESSION_SPACE.SessionId"},
        {offsetof(ss_nt_profile, session_process_list), "_MM_SESSION_SPACE.ProcessList"},
    };
    if (p->version != SS_NT_PROFILE_VERSION)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "profile version %u (this library knows %u)", p->version,
                           SS_NT_PROFILE_VERSION);
    if (p->pointer_size != 4 && p->pointer_size != 8)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "profile '%s': pointer size %u (4 or 8)", p->name,
                           p->pointer_size);
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        uint32_t v;
        memcpy(&v, (const char *)p + need[i].off, sizeof v);
        if (v == SS_NT_NO_FIELD)
            return ss_ntm_fail(err, SS_E_UNSUPPORTED, "profile '%s' has no offset for %s", p->name,
                               need[i].what);
    }
    return SS_OK;
}

/* Reads the process at eprocess through sp. */
static ss_status read_process(const ss_nt *nt, ss_space *sp, uint64_t eprocess, ss_nt_process *out)
{
    const ss_nt_profile *p = &nt->prof;
    memset(out, 0, sizeof *out);
    out->eprocess = eprocess;
    out->session_id = SS_NT_NO_SESSION;
    ss_status st;
    if ((st = ss_nt_read_ptr(nt, sp, eprocess + p->eprocess_unique_process_id, &out->pid)) != SS_OK ||
        (st = ss_nt_read_ptr(nt, sp, eprocess + p->kprocess_directory_table_base, &out->dtb)) != SS_OK ||
        (st = ss_nt_read_ptr(nt, sp, eprocess + p->eprocess_session, &out->session_va)) != SS_OK ||
        (st = ss_space_read(sp, eprocess + p->eprocess_image_file_name, out->name, 15, NULL)) != SS_OK)
        return st;
    out->name[15] = 0;
    if (p->kprocess_user_directory_table_base != SS_NT_NO_FIELD &&
        ss_nt_read_ptr(nt, sp, eprocess + p->kprocess_user_directory_table_base, &out->user_dtb) == SS_OK)
        out->user_dtb &= ~0xfffull; /* low bits are flags (Windows sets bit 0 / 1 for shadowed roots) */
    /* The root's low bits may carry flags or a PCID. */
    out->dtb &= nt->mode == SS_MODE_PAE ? ~0x1full : ~0xfffull;
    return SS_OK;
}

/*
 * Walks a LIST_ENTRY list from head: calls fn(arg, entry_link) for every entry until
 * the walk returns to head. Each entry's Blink must point back to the previous one
 * (which also catches every loop that does not return to the head); at most max
 * entries. Returns SS_OK, SS_E_CORRUPT (message set) or a read status.
 */
typedef ss_status (*list_fn)(void *arg, uint64_t link);

static ss_status walk_list(const ss_nt *nt, ss_space *sp, uint64_t head, const char *what, list_fn fn,
                           void *arg, ss_error *err)
{
    uint64_t prev = head, cur;
    ss_status st = ss_nt_read_ptr(nt, sp, head, &cur);
    if (st != SS_OK)
        return ss_ntm_fail(err, st, "%s: cannot read the list head at %#llx (%s)", what,
                           (unsigned long long)head, ss_strerror(st));
    for (uint32_t n = 0; cur != head; n++) {
        if (n >= nt->max_list)
            return ss_ntm_fail(err, SS_E_CORRUPT, "%s: more than %u entries (a loop?) after %#llx", what,
                               nt->max_list, (unsigned long long)prev);
        if (cur == 0)
            return ss_ntm_fail(err, SS_E_CORRUPT, "%s: a NULL Flink at %#llx", what,
                               (unsigned long long)prev);
        uint64_t blink, next;
        if ((st = ss_nt_read_ptr(nt, sp, cur + nt->prof.pointer_size, &blink)) != SS_OK ||
            (st = ss_nt_read_ptr(nt, sp, cur, &next)) != SS_OK)
            return ss_ntm_fail(err, st, "%s: cannot read the entry at %#llx (%s)", what,
                               (unsigned long long)cur, ss_strerror(st));
        if (blink != prev)
            return ss_ntm_fail(err, SS_E_CORRUPT,
                               "%s: entry %#llx has Blink %#llx, not the previous entry %#llx (a loop or a "
                               "corrupt link)",
                               what, (unsigned long long)cur, (unsigned long long)blink,
                               (unsigned long long)prev);
        if ((st = fn(arg, cur)) != SS_OK)
            return ss_ntm_fail(err, st, "%s: cannot read the object of entry %#llx (%s)", what,
                               (unsigned long long)cur, ss_strerror(st));
        prev = cur;
        cur = next;
    }
    return SS_OK;
}

/* A PID that is a multiple of 4 below 2^32, a page-aligned DTB inside the source, a
   printable NUL-terminated name. */
static int plausible(const ss_nt *nt, const ss_nt_process *p)
{
    if (p->pid % 4 || p->pid >> 32 || !p->dtb || p->dtb >= ss_source_max_pa(nt->src) || !p->name[0])
        return 0;
    for (const char *c = p->name; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            return 0;
    return 1;
}

typedef struct active_walk {
    ss_nt *nt;
    size_t cap;
} active_walk;

static ss_status on_active(void *arg, uint64_t link)
{
    active_walk *w = arg;
    ss_nt *nt = w->nt;
    if (nt->nprocs == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        ss_nt_process *p = realloc(nt->procs, cap * sizeof *p);
        if (!p)
            return SS_E_NOMEM;
        nt->procs = p;
        w->cap = cap;
    }
    ss_nt_process *pr = &nt->procs[nt->nprocs];
    ss_status st = read_process(nt, nt->kspace, link - nt->prof.eprocess_active_process_links, pr);
    if (st != SS_OK)
        return st;
    /* The first process (System) must look like one, or the profile is not this build's. */
    if (nt->nprocs == 0 && !plausible(nt, pr))
        return SS_E_CORRUPT;
    nt->nprocs++;
    return SS_OK;
}

static int cmp_session(const void *a, const void *b)
{
    const ss_nt_session *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->va < y->va ? -1 : x->va > y->va;
}

/* Groups the processes by EPROCESS.Session and reads each session through a member. */
static ss_status build_sessions(ss_nt *nt)
{
    const ss_nt_profile *p = &nt->prof;
    nt->sessions = calloc(nt->nprocs ? nt->nprocs : 1, sizeof *nt->sessions);
    if (!nt->sessions)
        return SS_E_NOMEM;
    for (size_t i = 0; i < nt->nprocs; i++) {
        ss_nt_process *pr = &nt->procs[i];
        if (!pr->session_va)
            continue;
        size_t s = 0;
        while (s < nt->nsessions && nt->sessions[s].va != pr->session_va)
            s++;
        if (s == nt->nsessions) {
            ss_nt_session *ns = &nt->sessions[nt->nsessions++];
            ns->va = pr->session_va;
            ns->member_dtb = pr->dtb;
            ns->id = SS_NT_NO_SESSION;
        }
        nt->sessions[s].process_count++;
    }
    for (size_t s = 0; s < nt->nsessions; s++) {
        ss_nt_session *ss = &nt->sessions[s];
        ss_status st = ss_space_set_dtb(nt->tmp, ss->member_dtb);
        uint32_t id = 0;
        if (st == SS_OK)
            st = read_u32(nt->tmp, ss->va + p->session_session_id, &id);
        ss->status = st;
        if (st != SS_OK)
            continue;
        ss->id = id;
        uint64_t v;
        if (p->session_paged_pool_start != SS_NT_NO_FIELD && p->session_paged_pool_end != SS_NT_NO_FIELD &&
            ss_nt_read_ptr(nt, nt->tmp, ss->va + p->session_paged_pool_start, &ss->paged_pool_start) ==
                SS_OK &&
            ss_nt_read_ptr(nt, nt->tmp, ss->va + p->session_paged_pool_end, &ss->paged_pool_end) == SS_OK)
            ss->have |= SS_NT_HAVE_PAGED_POOL;
        if (p->session_committed_pages != SS_NT_NO_FIELD &&
            ss_nt_read_ptr(nt, nt->tmp, ss->va + p->session_committed_pages, &v) == SS_OK) {
            ss->committed_pages = v;
            ss->have |= SS_NT_HAVE_COMMITTED;
        }
        if (p->session_non_pagable_pages != SS_NT_NO_FIELD &&
            ss_nt_read_ptr(nt, nt->tmp, ss->va + p->session_non_pagable_pages, &v) == SS_OK) {
            ss->non_pagable_pages = v;
            ss->have |= SS_NT_HAVE_NONPAGED;
        }
        if (p->session_resident_process_count != SS_NT_NO_FIELD &&
            read_u32(nt->tmp, ss->va + p->session_resident_process_count, &ss->resident_process_count) ==
                SS_OK)
            ss->have |= SS_NT_HAVE_RESIDENT;
    }
    qsort(nt->sessions, nt->nsessions, sizeof *nt->sessions, cmp_session);
    for (size_t i = 0; i < nt->nprocs; i++)
        for (size_t s = 0; s < nt->nsessions; s++)
            if (nt->procs[i].session_va && nt->procs[i].session_va == nt->sessions[s].va)
                nt->procs[i].session_id = nt->sessions[s].id;
    return SS_OK;
}

/* Chooses the profile: explicit, ISF, or built-in by the header's build. */
static ss_status choose_profile(ss_nt *nt, const ss_nt_options *o, const ss_dump_info *info,
                                ss_nt_isf_info *isf, int *have_isf, ss_error *err)
{
    *have_isf = 0;
    if (o->profile) {
        nt->prof = *o->profile;
        return check_profile(&nt->prof, err);
    }
    ss_status st;
    if (o->isf_path) {
        memset(isf, 0, sizeof *isf);
        if ((st = ss_nt_profile_from_isf(o->isf_path, &nt->prof, isf, err)) != SS_OK)
            return st;
        *have_isf = 1;
        return check_profile(&nt->prof, err);
    }
    uint32_t build = o->build ? o->build : (info->flags & SS_INFO_WINDOWS_HEADER) ? info->minor_version : 0;
    if (!build)
        return ss_ntm_fail(err, SS_E_UNSUPPORTED,
                           "the source has no Windows dump header and so no build number: pass an ISF symbol "
                           "file (--isf FILE / ss_nt_options.isf_path) or a profile");
    uint32_t ptr = info->machine_type == 0x14c                                              ? 4
                   : info->machine_type == 0x8664                                           ? 8
                   : (info->paging_mode == SS_MODE_X86 || info->paging_mode == SS_MODE_PAE) ? 4
                                                                                            : 8;
    if ((st = ss_nt_profile_builtin(build, ptr, &nt->prof, err)) != SS_OK) {
        if (err && st == SS_E_UNSUPPORTED && !strstr(err->message, "ISF"))
            ss_ntm_fail(err, st,
                        "no built-in profile for build %u (%u-bit): pass an ISF symbol file (--isf FILE)",
                        build, ptr * 8);
        return st;
    }
    return check_profile(&nt->prof, err);
}

/* Compares the kernel image's RSDS with the ISF's PDB identity. */
static ss_status check_isf_identity(const ss_nt_kernel_info *k, const ss_nt_isf_info *isf, ss_error *err)
{
    if (!isf->pdb_guid[0])
        return SS_OK;
    char want[40];
    size_t n = 0;
    for (const char *c = isf->pdb_guid; *c && n < sizeof want - 1; c++)
        if (*c != '-' && *c != '{' && *c != '}')
            want[n++] = (char)(*c >= 'a' && *c <= 'f' ? *c - 32 : *c);
    want[n] = 0;
    if (strcmp(want, k->pdb_guid) != 0 || (isf->pdb_age && isf->pdb_age != k->pdb_age))
        return ss_ntm_fail(
            err, SS_E_NOT_FOUND,
            "the ISF describes %s GUID %s age %u, but the kernel at %#llx is %s GUID %s age %u: "
            "use the ISF of this kernel",
            isf->pdb_name, want, isf->pdb_age, (unsigned long long)k->base, k->pdb_name, k->pdb_guid,
            k->pdb_age);
    return SS_OK;
}

/* What attach_kernel needs besides the model. */
typedef struct open_ctx {
    const ss_nt_options *o;
    const ss_dump_info *info;
    const ss_nt_isf_info *isf;
    int have_isf;
} open_ctx;

/* Undoes attach_kernel, so that another DTB can be tried. */
static void detach_kernel(ss_nt *nt)
{
    ss_space_close(nt->kspace);
    ss_space_close(nt->tmp);
    nt->kspace = nt->tmp = NULL;
    free(nt->procs);
    nt->procs = NULL;
    nt->nprocs = 0;
    nt->head = 0;
    memset(&nt->kinfo, 0, sizeof nt->kinfo);
    memset(&nt->list_err, 0, sizeof nt->list_err);
}

/*
 * The kernel image whose PDB identity an ISF is checked against when no kernel scan ran
 * (a dump header gave PsActiveProcessHead): PsLoadedModuleList's first entry is the
 * kernel's own _KLDR_DATA_TABLE_ENTRY (InLoadOrderLinks at offset 0, so the Flink is
 * the entry), its DllBase the image base; else KDBG's KernBase; else a scan.
 */
static ss_status kernel_for_isf(ss_nt *nt, const open_ctx *c, ss_nt_kernel_info *k, ss_error *err)
{
    uint64_t entry = 0, base = 0;
    if ((c->info->flags & SS_INFO_WINDOWS_HEADER) && c->info->ps_loaded_module_list &&
        nt->prof.ldr_dll_base != SS_NT_NO_FIELD &&
        ss_nt_read_ptr(nt, nt->kspace, c->info->ps_loaded_module_list, &entry) == SS_OK && entry &&
        entry != c->info->ps_loaded_module_list &&
        ss_nt_read_ptr(nt, nt->kspace, entry + nt->prof.ldr_dll_base, &base) == SS_OK && base &&
        ss_nt_kernel_at(nt->kspace, base, k))
        return SS_OK;
    if (nt->kinfo.base && ss_nt_kernel_at(nt->kspace, nt->kinfo.base, k))
        return SS_OK;
    ss_error ferr = {0};
    ss_status st = ss_nt_find_kernel(nt->kspace, k, &ferr);
    if (st != SS_OK)
        return ss_ntm_fail(err, SS_E_NOT_FOUND, "cannot check the ISF's PDB GUID / age: %s", ferr.message);
    return SS_OK;
}

/*
 * With nt->kdtb set: the kernel address space, PsActiveProcessHead (option, dump header,
 * else kernel image + symbol RVA), the ISF identity check, the KDBG cross-check and the
 * ActiveProcessLinks walk. *stage (a few words) names the step that failed.
 */
static ss_status attach_kernel(ss_nt *nt, const open_ctx *c, const char **stage, ss_error *err)
{
    const ss_dump_info *info = c->info;
    ss_status st;
    *stage = "kernel address space";
    nt->kdtb &= nt->mode == SS_MODE_PAE ? ~0x1full : ~0xfffull;
    if ((st = ss_space_open(nt->src, nt->mode, nt->kdtb, NULL, &nt->kspace)) != SS_OK ||
        (st = ss_space_open(nt->src, nt->mode, nt->kdtb, NULL, &nt->tmp)) != SS_OK)
        return ss_ntm_fail(err, st, "cannot open the kernel address space at DTB %#llx (%s)",
                           (unsigned long long)nt->kdtb, ss_strerror(st));

    /* PsActiveProcessHead: option, dump header, else kernel image + symbol RVA. */
    int identity_checked = 0;
    nt->head = c->o->ps_active_process_head;
    if (!nt->head && (info->flags & SS_INFO_WINDOWS_HEADER))
        nt->head = info->ps_active_process_head;
    if (info->flags & SS_INFO_WINDOWS_HEADER)
        nt->kinfo.kdbg = info->kd_debugger_data_block;
    if (!nt->head) {
        *stage = "no kernel image";
        if (nt->prof.sym_ps_active_process_head == SS_NT_NO_FIELD)
            return ss_ntm_fail(
                err, SS_E_NOT_FOUND,
                "no PsActiveProcessHead: the source has no dump header and profile '%s' has no "
                "symbol RVA for it; pass an ISF symbol file (--isf FILE)",
                nt->prof.name);
        ss_error ferr = {0};
        if ((st = ss_nt_find_kernel(nt->kspace, &nt->kinfo, &ferr)) != SS_OK)
            return ss_ntm_fail(err, st, "PsActiveProcessHead: %s", ferr.message);
        *stage = "ISF mismatch";
        if (c->have_isf && (st = check_isf_identity(&nt->kinfo, c->isf, err)) != SS_OK)
            return st;
        identity_checked = 1;
        nt->head = nt->kinfo.base + nt->prof.sym_ps_active_process_head;
        if (nt->prof.sym_kd_debugger_data_block != SS_NT_NO_FIELD)
            nt->kinfo.kdbg = nt->kinfo.base + nt->prof.sym_kd_debugger_data_block;
    }
    /* Cross-check with a decoded KdDebuggerDataBlock (Windows 8+ may keep it encoded in live
       memory: then the tag does not read "KDBG" and the check is skipped). */
    if (nt->kinfo.kdbg) {
        char tag[4];
        uint64_t kd_head = 0, kd_base = 0;
        if (ss_space_read(nt->kspace, nt->kinfo.kdbg + KDBG_OWNER_TAG, tag, 4, NULL) == SS_OK &&
            memcmp(tag, "KDBG", 4) == 0 &&
            ss_space_read(nt->kspace, nt->kinfo.kdbg + KDBG_PS_ACTIVE, &kd_head, 8, NULL) == SS_OK) {
            ss_space_read(nt->kspace, nt->kinfo.kdbg + KDBG_KERN_BASE, &kd_base, 8, NULL);
            if (nt->prof.pointer_size == 4) {
                kd_head &= 0xffffffffu;
                kd_base &= 0xffffffffu;
            }
            if (kd_head != nt->head) {
                *stage = "KDBG disagrees";
                return ss_ntm_fail(
                    err, SS_E_CORRUPT,
                    "KdDebuggerDataBlock at %#llx says PsActiveProcessHead is %#llx, not %#llx",
                    (unsigned long long)nt->kinfo.kdbg, (unsigned long long)kd_head,
                    (unsigned long long)nt->head);
            }
            nt->kinfo.kdbg_checked = 1;
            if (!nt->kinfo.base)
                nt->kinfo.base = kd_base;
        }
    }
    /* An ISF with a dump header: no kernel scan ran, so check it against the image here. */
    if (c->have_isf && c->isf->pdb_guid[0] && !identity_checked) {
        ss_nt_kernel_info k;
        *stage = "ISF mismatch";
        if ((st = kernel_for_isf(nt, c, &k, err)) != SS_OK ||
            (st = check_isf_identity(&k, c->isf, err)) != SS_OK)
            return st;
        k.kdbg = nt->kinfo.kdbg;
        k.kdbg_checked = nt->kinfo.kdbg_checked;
        nt->kinfo = k;
    }

    /* Processes (a broken list keeps what was read). */
    *stage = "process list";
    active_walk w = {nt, 0};
    uint64_t probe;
    if ((st = ss_nt_read_ptr(nt, nt->kspace, nt->head, &probe)) != SS_OK)
        return ss_ntm_fail(err, SS_E_CORRUPT, "PsActiveProcessHead %#llx cannot be read under DTB %#llx (%s)",
                           (unsigned long long)nt->head, (unsigned long long)nt->kdtb, ss_strerror(st));
    st = walk_list(nt, nt->kspace, nt->head, "ActiveProcessLinks", on_active, &w, &nt->list_err);
    if (st == SS_E_NOMEM)
        return ss_ntm_fail(err, st, "out of memory");
    nt->list_err.status = st;
    if (st != SS_OK && nt->nprocs == 0) {
        ss_nt_process first;
        uint64_t link = 0;
        ss_nt_read_ptr(nt, nt->kspace, nt->head, &link);
        if (read_process(nt, nt->kspace, link - nt->prof.eprocess_active_process_links, &first) == SS_OK &&
            !plausible(nt, &first))
            return ss_ntm_fail(
                err, SS_E_CORRUPT,
                "profile '%s' does not fit this kernel: the first process at %#llx reads PID %#llx, "
                "DTB %#llx, name \"%.15s\" (a wrong profile or ISF for build %u?)",
                nt->prof.name, (unsigned long long)first.eprocess, (unsigned long long)first.pid,
                (unsigned long long)first.dtb, first.name, nt->prof.build);
        return ss_ntm_fail(err, st, "%s", nt->list_err.message);
    }
    return SS_OK;
}

/* Roots without session space (cluster 0: System, smss.exe, Idle) first, then the others,
   each group in ascending DTB order. Clustering failures keep the scan's order. */
static void order_candidates(ss_nt *nt, const ss_scan_candidate *cand, size_t n, uint64_t *dtbs)
{
    for (size_t i = 0; i < n; i++)
        dtbs[i] = cand[i].dtb;
    uint32_t *cl = malloc(n * sizeof *cl);
    size_t ncl = 0;
    if (!cl || nt->mode != SS_MODE_X64 || ss_scan_cluster(nt->src, dtbs, n, cl, &ncl, NULL) != SS_OK) {
        free(cl);
        return;
    }
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            if ((cl[i] == 0) == (pass == 0))
                dtbs[k++] = cand[i].dtb;
    free(cl);
}

/*
 * No DTB from the options or the source: scan for page-table roots and take the first
 * that attach_kernel accepts and that is the DirectoryTableBase of PID 4 (System) in
 * the list it walks (a session process's root maps the kernel as well, so the list
 * would walk under it too).
 */
static ss_status discover_dtb(ss_nt *nt, const open_ctx *c, ss_error *err)
{
    /* No root can pass without a way to PsActiveProcessHead: say so before scanning. */
    if (!c->o->ps_active_process_head &&
        !((c->info->flags & SS_INFO_WINDOWS_HEADER) && c->info->ps_active_process_head) &&
        nt->prof.sym_ps_active_process_head == SS_NT_NO_FIELD)
        return ss_ntm_fail(
            err, SS_E_NOT_FOUND,
            "no kernel DTB and no PsActiveProcessHead: the source has no dump header and profile "
            "'%s' has no symbol RVA for it; pass an ISF symbol file (--isf FILE) or --dtb and "
            "--ps-active-process-head",
            nt->prof.name);
    ss_scan_options so = SS_SCAN_OPTIONS_INIT;
    so.mode = nt->mode;
    so.progress = c->o->progress;
    so.progress_arg = c->o->progress_arg;
    ss_scan_candidate *cand = NULL;
    size_t n = 0;
    ss_status st = ss_scan_collect(nt->src, &so, &cand, &n, NULL);
    if (st != SS_OK)
        return ss_ntm_fail(
            err, st, "no kernel DTB: the source records none, and the scan for page-table roots %s (%s)",
            st == SS_E_CANCELLED ? "was cancelled" : "failed", ss_strerror(st));
    if (n == 0)
        return ss_ntm_fail(
            err, SS_E_NOT_FOUND,
            "no kernel DTB: the source records none (no dump header, no CPU state) and the scan "
            "found no page-table root; pass --dtb (ss_nt_options.dtb)");
    uint64_t *dtbs = malloc(n * sizeof *dtbs);
    if (!dtbs) {
        ss_scan_free(cand);
        return ss_ntm_fail(err, SS_E_NOMEM, "out of memory");
    }
    order_candidates(nt, cand, n, dtbs);
    ss_scan_free(cand);
    char why[160] = "";
    size_t len = 0;
    const char *first_stage = NULL;
    int same_stage = 1;
    ss_error first_err = {0};
    for (size_t i = 0; i < n; i++) {
        ss_error e = {0};
        const char *stage = "";
        nt->kdtb = dtbs[i];
        st = attach_kernel(nt, c, &stage, &e);
        if (st == SS_E_NOMEM) {
            free(dtbs);
            return ss_ntm_fail(err, st, "out of memory");
        }
        char reason[64];
        if (st == SS_OK) {
            ss_nt_process sys;
            if (ss_nt_process_find(nt, 4, &sys) == SS_OK && sys.dtb == nt->kdtb) {
                nt->dtb_origin = SS_NT_DTB_SCAN;
                nt->dtb_tried = i + 1;
                free(dtbs);
                return SS_OK;
            }
            stage = "not PID 4's DTB";
            if (ss_nt_process_find(nt, 4, &sys) == SS_OK)
                snprintf(reason, sizeof reason, "PID 4's DTB is %#llx", (unsigned long long)sys.dtb);
            else
                snprintf(reason, sizeof reason, "no PID 4 in the list");
        } else {
            snprintf(reason, sizeof reason, "%s", stage);
        }
        if (!first_stage) {
            first_stage = stage;
            first_err = e;
        } else if (strcmp(first_stage, stage) != 0) {
            same_stage = 0;
        }
        if (len < sizeof why - 1)
            len += (size_t)snprintf(why + len, sizeof why - len, "%s%#llx: %s", i ? "; " : "",
                                    (unsigned long long)dtbs[i], reason);
        detach_kernel(nt);
    }
    free(dtbs);
    nt->kdtb = 0;
    /* Every root failed the same way for a reason that is not the root's (a wrong ISF): say that. */
    if (same_stage && first_stage && strcmp(first_stage, "ISF mismatch") == 0)
        return ss_ntm_fail(err, first_err.status, "%s", first_err.message);
    if (len >= sizeof why - 1)
        memcpy(why + sizeof why - 4, "...", 4);
    return ss_ntm_fail(err, SS_E_NOT_FOUND,
                       "no kernel DTB: none of the %zu roots the scan found fits (%s); pass --dtb", n, why);
}

ss_status ss_nt_open(ss_source *src, const ss_nt_options *opts, ss_nt **out, ss_error *err)
{
    if (out)
        *out = NULL;
    if (!src || !out)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_open: NULL source or out");
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    if (opts) {
        if (opts->version != 1 && opts->version != SS_NT_OPTIONS_VERSION)
            return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_options version %u (this library knows 1 to %u)",
                               opts->version, SS_NT_OPTIONS_VERSION);
        /* a version 1 struct ends at max_list: read no further */
        memcpy(&o, opts, opts->version == 1 ? offsetof(ss_nt_options, progress) : sizeof o);
    }
    ss_nt *nt = calloc(1, sizeof *nt);
    if (!nt)
        return ss_ntm_fail(err, SS_E_NOMEM, "out of memory");
    nt->src = src;
    nt->max_list = o.max_list ? o.max_list : SS_NT_DEFAULT_MAX_LIST;
    nt->self_slot = -1;
    ss_dump_info info;
    ss_source_info(src, &info);
    ss_nt_isf_info isf;
    int have_isf;
    ss_status st = choose_profile(nt, &o, &info, &isf, &have_isf, err);
    if (st != SS_OK)
        goto fail;

    /* Paging mode and kernel DTB: the options, else what the source records (header, CPU 0),
       else a scan. */
    ss_mode src_mode = SS_MODE_AUTO;
    uint64_t src_dtb = 0;
    ss_source_paging(src, &src_mode, &src_dtb); /* unknown values come back as AUTO / 0 */
    nt->mode = o.mode != SS_MODE_AUTO       ? o.mode
               : src_mode != SS_MODE_AUTO   ? src_mode
               : nt->prof.pointer_size == 8 ? SS_MODE_X64
                                            : SS_MODE_PAE;
    nt->kdtb = o.dtb ? o.dtb : src_dtb;
    nt->dtb_origin = o.dtb ? SS_NT_DTB_OPTION : SS_NT_DTB_SOURCE;
    open_ctx c = {&o, &info, &isf, have_isf};
    const char *stage;
    if (nt->kdtb) {
        st = attach_kernel(nt, &c, &stage, err);
    } else if (nt->mode == SS_MODE_X64 || nt->mode == SS_MODE_LA57) {
        st = discover_dtb(nt, &c, err);
    } else {
        st = ss_ntm_fail(err, SS_E_NOT_FOUND,
                         "no kernel DTB: the source records none (no dump header, no CPU state) and the scan "
                         "finds x64 roots only; pass --dtb (ss_nt_options.dtb)");
    }
    if (st != SS_OK)
        goto fail;

    /* Sessions and regions. */
    if ((st = build_sessions(nt)) != SS_OK || (st = ss_nt_build_regions(nt, err)) != SS_OK) {
        if (st == SS_E_NOMEM)
            ss_ntm_fail(err, st, "out of memory");
        goto fail;
    }
    *out = nt;
    return SS_OK;
fail:
    ss_nt_close(nt);
    return st;
}

ss_nt_dtb_origin ss_nt_kernel_dtb_origin(const ss_nt *nt, size_t *tried)
{
    if (tried)
        *tried = nt ? nt->dtb_tried : 0;
    return nt ? nt->dtb_origin : SS_NT_DTB_OPTION;
}

const char *ss_nt_dtb_origin_name(ss_nt_dtb_origin origin)
{
    switch (origin) {
    case SS_NT_DTB_OPTION: return "option";
    case SS_NT_DTB_SOURCE: return "source";
    case SS_NT_DTB_SCAN: return "scan";
    }
    return "unknown";
}

ss_status ss_nt_list_status(const ss_nt *nt, ss_error *err)
{
    if (!nt)
        return SS_E_INVALID_ARG;
    if (err)
        *err = nt->list_err;
    return nt->list_err.status;
}

size_t ss_nt_process_count(const ss_nt *nt)
{
    return nt ? nt->nprocs : 0;
}

ss_status ss_nt_process_at(const ss_nt *nt, size_t i, ss_nt_process *out)
{
    if (!nt || !out || i >= nt->nprocs)
        return SS_E_INVALID_ARG;
    *out = nt->procs[i];
    return SS_OK;
}

ss_status ss_nt_process_find(const ss_nt *nt, uint64_t pid, ss_nt_process *out)
{
    if (!nt)
        return SS_E_INVALID_ARG;
    for (size_t i = 0; i < nt->nprocs; i++)
        if (nt->procs[i].pid == pid) {
            if (out)
                *out = nt->procs[i];
            return SS_OK;
        }
    return SS_E_NOT_FOUND;
}

size_t ss_nt_session_count(const ss_nt *nt)
{
    return nt ? nt->nsessions : 0;
}

ss_status ss_nt_session_at(const ss_nt *nt, size_t i, ss_nt_session *out)
{
    if (!nt || !out || i >= nt->nsessions)
        return SS_E_INVALID_ARG;
    *out = nt->sessions[i];
    return SS_OK;
}

ss_status ss_nt_session_find(const ss_nt *nt, uint32_t id, ss_nt_session *out, size_t *index, ss_error *err)
{
    if (!nt)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "NULL model");
    for (size_t s = 0; s < nt->nsessions; s++)
        if (nt->sessions[s].status == SS_OK && nt->sessions[s].id == id) {
            if (out)
                *out = nt->sessions[s];
            if (index)
                *index = s;
            return SS_OK;
        }
    char list[160] = "";
    size_t n = 0;
    for (size_t s = 0; s < nt->nsessions && n < sizeof list - 16; s++) {
        if (nt->sessions[s].status == SS_OK)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%u", n ? ", " : "", nt->sessions[s].id);
        else
            n += (size_t)snprintf(list + n, sizeof list - n, "%s(unreadable at %#llx)", n ? ", " : "",
                                  (unsigned long long)nt->sessions[s].va);
    }
    return ss_ntm_fail(err, SS_E_NOT_FOUND, "no session %u (sessions: %s)", id, n ? list : "none");
}

typedef struct sproc_walk {
    ss_nt *nt;
    ss_nt_process *procs;
    size_t cap, count;
} sproc_walk;

static ss_status on_sproc(void *arg, uint64_t link)
{
    sproc_walk *w = arg;
    ss_nt_process p;
    ss_status st = read_process(w->nt, w->nt->tmp, link - w->nt->prof.eprocess_session_process_links, &p);
    if (st != SS_OK)
        return st;
    for (size_t s = 0; s < w->nt->nsessions; s++)
        if (p.session_va && p.session_va == w->nt->sessions[s].va)
            p.session_id = w->nt->sessions[s].id;
    if (w->count < w->cap)
        w->procs[w->count] = p;
    w->count++;
    return SS_OK;
}

ss_status ss_nt_session_processes(ss_nt *nt, uint32_t id, ss_nt_process *procs, size_t cap, size_t *count,
                                  ss_error *err)
{
    if (!nt || !count || (!procs && cap))
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_session_processes: NULL argument");
    *count = 0;
    ss_nt_session s;
    ss_status st = ss_nt_session_find(nt, id, &s, NULL, err);
    if (st != SS_OK)
        return st;
    if ((st = ss_space_set_dtb(nt->tmp, s.member_dtb)) != SS_OK)
        return ss_ntm_fail(err, st, "session %u: bad member DTB %#llx", id, (unsigned long long)s.member_dtb);
    sproc_walk w = {nt, procs, cap, 0};
    char what[64];
    snprintf(what, sizeof what, "session %u SessionProcessLinks", id);
    st = walk_list(nt, nt->tmp, s.va + nt->prof.session_process_list, what, on_sproc, &w, err);
    *count = w.count;
    return st;
}

/* UTF-16LE (n code units) to UTF-8 in out[0 .. cap), NUL-terminated, truncated on a boundary. */
static void utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && in[i + 1] >= 0xdc00 && in[i + 1] < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + (in[i + 1] - 0xdc00u);
            i++;
        } else if (c >= 0xd800 && c < 0xe000) {
            c = 0xfffd;
        }
        char b[4];
        size_t k;
        if (c < 0x80) {
            b[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (char)(0xc0 | (c >> 6));
            b[1] = (char)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (char)(0xe0 | (c >> 12));
            b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
            b[2] = (char)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            b[0] = (char)(0xf0 | (c >> 18));
            b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
            b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
            b[3] = (char)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (o + k >= cap)
            break;
        memcpy(out + o, b, k);
        o += k;
    }
    out[o] = 0;
}

/* Reads one _IMAGE_ENTRY_IN_SESSION and its data table entry. */
static ss_status read_image(ss_nt *nt, uint64_t entry, ss_nt_image *im)
{
    const ss_nt_profile *p = &nt->prof;
    memset(im, 0, sizeof *im);
    ss_status st;
    if ((st = ss_nt_read_ptr(nt, nt->tmp, entry + p->image_address, &im->base)) != SS_OK)
        return st;
    if (p->session_images == SS_NT_IMAGES_TREE) /* _EX_FAST_REF: RefCnt in the low 4 (x64) / 3 (x86) bits */
        im->base &= p->pointer_size == 8 ? ~0xfull : ~0x7ull;
    if (p->image_last_address != SS_NT_NO_FIELD)
        ss_nt_read_ptr(nt, nt->tmp, entry + p->image_last_address, &im->last_address);
    if (p->image_data_table_entry == SS_NT_NO_FIELD ||
        ss_nt_read_ptr(nt, nt->tmp, entry + p->image_data_table_entry, &im->ldr) != SS_OK || !im->ldr)
        return SS_OK;
    uint32_t size = 0;
    if (p->ldr_size_of_image != SS_NT_NO_FIELD &&
        read_u32(nt->tmp, im->ldr + p->ldr_size_of_image, &size) == SS_OK)
        im->size = size;
    if (p->ldr_base_dll_name != SS_NT_NO_FIELD) {
        /* UNICODE_STRING {USHORT Length; USHORT MaximumLength; PWSTR Buffer} (Buffer at 4 / 8) */
        uint16_t len = 0;
        uint64_t buf = 0;
        uint64_t us = im->ldr + p->ldr_base_dll_name;
        if (ss_space_read(nt->tmp, us, &len, 2, NULL) == SS_OK &&
            ss_nt_read_ptr(nt, nt->tmp, us + p->pointer_size, &buf) == SS_OK && buf) {
            uint16_t w[63];
            size_t n = len / 2 < 63 ? len / 2 : 63;
            if (ss_space_read(nt->tmp, buf, w, n * 2, NULL) == SS_OK)
                utf16_to_utf8(w, n, im->name, sizeof im->name);
        }
    }
    return SS_OK;
}

typedef struct image_walk {
    ss_nt *nt;
    ss_nt_image *images;
    size_t cap, count;
} image_walk;

static ss_status on_image(void *arg, uint64_t link)
{
    image_walk *w = arg;
    ss_nt_image im;
    ss_status st = read_image(w->nt, link - w->nt->prof.image_link, &im);
    if (st != SS_OK)
        return st;
    if (w->count < w->cap)
        w->images[w->count] = im;
    w->count++;
    return SS_OK;
}

/* In-order walk of an RTL_AVL_TREE (RTL_BALANCED_NODE: Left, Right, ParentValue) with an
   explicit stack: a tree deeper than 64 (an AVL tree of 2^44 nodes) is a loop. */
static ss_status walk_tree(ss_nt *nt, uint64_t root, image_walk *w, uint32_t id, ss_error *err)
{
    enum { DEPTH = 64 };
    uint64_t stack[DEPTH];
    size_t depth = 0;
    uint64_t node = root;
    uint32_t ptr = nt->prof.pointer_size;
    uint32_t n = 0;
    ss_status st;
    while (node || depth) {
        while (node) {
            if (depth == DEPTH)
                return ss_ntm_fail(err, SS_E_CORRUPT,
                                   "session %u ImageTree: deeper than %d at node %#llx (a loop in the tree)",
                                   id, DEPTH, (unsigned long long)node);
            stack[depth++] = node;
            if ((st = ss_nt_read_ptr(nt, nt->tmp, node, &node)) != SS_OK)
                return ss_ntm_fail(err, st, "session %u ImageTree: cannot read node %#llx (%s)", id,
                                   (unsigned long long)stack[depth - 1], ss_strerror(st));
        }
        node = stack[--depth];
        if (++n > nt->max_list)
            return ss_ntm_fail(err, SS_E_CORRUPT, "session %u ImageTree: more than %u nodes (a loop?)", id,
                               nt->max_list);
        if ((st = on_image(w, node)) != SS_OK)
            return ss_ntm_fail(err, st, "session %u ImageTree: cannot read entry %#llx (%s)", id,
                               (unsigned long long)node, ss_strerror(st));
        uint64_t right;
        if ((st = ss_nt_read_ptr(nt, nt->tmp, node + ptr, &right)) != SS_OK)
            return ss_ntm_fail(err, st, "session %u ImageTree: cannot read node %#llx (%s)", id,
                               (unsigned long long)node, ss_strerror(st));
        node = right;
    }
    return SS_OK;
}

ss_status ss_nt_session_images(ss_nt *nt, uint32_t id, ss_nt_image *images, size_t cap, size_t *count,
                               ss_error *err)
{
    if (!nt || !count || (!images && cap))
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_session_images: NULL argument");
    *count = 0;
    ss_nt_session s;
    ss_status st = ss_nt_session_find(nt, id, &s, NULL, err);
    if (st != SS_OK)
        return st;
    const ss_nt_profile *p = &nt->prof;
    if (p->session_images == SS_NT_IMAGES_NONE || p->session_image_list == SS_NT_NO_FIELD ||
        p->image_address == SS_NT_NO_FIELD || p->image_link == SS_NT_NO_FIELD)
        return ss_ntm_fail(
            err, SS_E_UNSUPPORTED,
            "build %u (profile '%s'): the session structure's image list is not described (Windows "
            "11 24H2+ keeps _MM_SESSION_SPACE opaque: only SessionId and ProcessList are known)",
            p->build, p->name);
    if ((st = ss_space_set_dtb(nt->tmp, s.member_dtb)) != SS_OK)
        return ss_ntm_fail(err, st, "session %u: bad member DTB", id);
    image_walk w = {nt, images, cap, 0};
    uint64_t head = s.va + p->session_image_list;
    if (p->session_images == SS_NT_IMAGES_LIST) {
        char what[48];
        snprintf(what, sizeof what, "session %u ImageList", id);
        st = walk_list(nt, nt->tmp, head, what, on_image, &w, err);
    } else {
        uint64_t root;
        if ((st = ss_nt_read_ptr(nt, nt->tmp, head, &root)) != SS_OK)
            st = ss_ntm_fail(err, st, "session %u: cannot read ImageTree at %#llx", id,
                             (unsigned long long)head);
        else
            st = walk_tree(nt, root, &w, id, err);
    }
    *count = w.count;
    return st;
}

ss_status ss_nt_session_space(ss_nt *nt, uint32_t id, ss_space **out, ss_error *err)
{
    if (!nt || !out)
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_session_space: NULL argument");
    *out = NULL;
    ss_nt_session s;
    ss_status st = ss_nt_session_find(nt, id, &s, NULL, err);
    if (st != SS_OK)
        return st;
    if ((st = ss_space_open(nt->src, nt->mode, s.member_dtb, NULL, out)) != SS_OK)
        return ss_ntm_fail(err, st, "session %u: cannot open DTB %#llx (%s)", id,
                           (unsigned long long)s.member_dtb, ss_strerror(st));
    return SS_OK;
}

ss_status ss_nt_process_space(ss_nt *nt, uint64_t pid, ss_nt_root root, ss_space **out, ss_error *err)
{
    if (!nt || !out || (root != SS_NT_ROOT_KERNEL && root != SS_NT_ROOT_USER))
        return ss_ntm_fail(err, SS_E_INVALID_ARG, "ss_nt_process_space: bad argument");
    *out = NULL;
    ss_nt_process p;
    if (ss_nt_process_find(nt, pid, &p) != SS_OK)
        return ss_ntm_fail(err, SS_E_NOT_FOUND, "no process with PID %llu (%#llx)", (unsigned long long)pid,
                           (unsigned long long)pid);
    uint64_t dtb = root == SS_NT_ROOT_USER ? p.user_dtb : p.dtb;
    if (!dtb)
        return ss_ntm_fail(err, SS_E_NOT_FOUND, "process %llu (%s) has no user DTB (no KVA shadow)",
                           (unsigned long long)pid, p.name);
    ss_status st = ss_space_open(nt->src, nt->mode, dtb, NULL, out);
    if (st != SS_OK)
        return ss_ntm_fail(err, st, "process %llu: cannot open DTB %#llx (%s)", (unsigned long long)pid,
                           (unsigned long long)dtb, ss_strerror(st));
    return SS_OK;
}
