/*
 * The Windows model on generated Windows-like images (tests/support/ntimage.h):
 * processes, sessions (!session), per-session process lists (!sprocess), session
 * details and images, session / process contexts, regions, `where`, and the errors
 * for looping lists, a wrong profile, a lost session, a missing build. Every
 * expected value comes from the generator's ground truth.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ntimage.h"
#include "ss_check.h"
#include "testutil.h"

typedef struct fixture {
    ss_nt_profile prof;
    ssb_nt_truth t;
    ssb_image *img;
    ss_source *src;
    ss_nt *nt;
} fixture;

/* Builds the image for a test layout, writes it as a DMP (or raw) and opens the model. */
static void fx_open(fixture *fx, int variant, unsigned flags, int raw)
{
    memset(fx, 0, sizeof *fx);
    ck_assert_int_eq(ssb_nt_test_profile(variant, &fx->prof), 0);
    fx->img = ssb_nt_build(&fx->prof, 7, flags, &fx->t);
    ck_assert_ptr_nonnull(fx->img);
    const char *path = ss_test_path(raw ? "nt.raw" : "nt.dmp");
    if (raw)
        ck_assert_int_eq(ssb_write_raw(fx->img, path), 0);
    else
        ck_assert_int_eq(ssb_nt_write_dmp(fx->img, &fx->t, path), 0);
    fx->src = ss_check_open(raw ? "raw:" : "dmp:", path, SS_OK);
}

static ss_status fx_model(fixture *fx, const ss_nt_options *o, ss_error *err)
{
    return ss_nt_open(fx->src, o, &fx->nt, err);
}

static void fx_open_model(fixture *fx, int variant, unsigned flags)
{
    fx_open(fx, variant, flags, 0);
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &fx->prof;
    ss_error err = {0};
    ck_assert_msg(fx_model(fx, &o, &err) == SS_OK, "open: %s", err.message);
}

static void fx_close(fixture *fx)
{
    ss_nt_close(fx->nt);
    ss_source_close(fx->src);
    ssb_free(fx->img);
}

static const ssb_nt_proc_truth *truth_proc(const ssb_nt_truth *t, uint64_t pid)
{
    for (size_t i = 0; i < t->nprocs; i++)
        if (t->procs[i].pid == pid)
            return &t->procs[i];
    return NULL;
}

/* Variants 0 (tree, build 17763: randomized slots) and 1 (list, build 7601: fixed slots). */
/* Everything the model says about a generated image, against its ground truth. */
static void check_model(ss_nt *nt, const ssb_nt_truth *t)
{
    ck_assert_int_eq(ss_nt_list_status(nt, NULL), SS_OK);
    ck_assert_uint_eq(ss_nt_kernel_dtb(nt), t->system_dtb);
    ck_assert_uint_eq(ss_nt_ps_active_process_head(nt), t->ps_active_process_head);
    ss_nt_kernel_info k;
    ck_assert_int_eq(ss_nt_kernel(nt, &k), SS_OK);
    ck_assert_int_eq(k.kdbg_checked, 1);
    ck_assert_uint_eq(k.base, t->kernel_base); /* from KDBG.KernBase, or the scan */

    ck_assert_uint_eq(ss_nt_process_count(nt), t->nprocs);
    for (size_t i = 0; i < t->nprocs; i++) {
        ss_nt_process p;
        ck_assert_int_eq(ss_nt_process_at(nt, i, &p), SS_OK);
        ck_assert_uint_eq(p.pid, t->procs[i].pid);
        ck_assert_str_eq(p.name, t->procs[i].name);
        ck_assert_uint_eq(p.eprocess, t->procs[i].eprocess);
        ck_assert_uint_eq(p.dtb, t->procs[i].dtb);
        ck_assert_uint_eq(p.user_dtb, 0);
        if (t->procs[i].session < 0) {
            ck_assert_uint_eq(p.session_va, 0);
            ck_assert_uint_eq(p.session_id, SS_NT_NO_SESSION);
        } else {
            ck_assert_uint_eq(p.session_va, t->sessions[t->procs[i].session].va);
            ck_assert_uint_eq(p.session_id, (uint32_t)t->procs[i].session);
        }
    }
    ss_nt_process p;
    ck_assert_int_eq(ss_nt_process_at(nt, t->nprocs, &p), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_process_find(nt, 4, &p), SS_OK);
    ck_assert_str_eq(p.name, "System");
    ck_assert_int_eq(ss_nt_process_find(nt, 3, &p), SS_E_NOT_FOUND);

    ck_assert_uint_eq(ss_nt_session_count(nt), t->nsessions);
    for (size_t s = 0; s < t->nsessions; s++) {
        const ssb_nt_session_truth *st = &t->sessions[s];
        ss_nt_session ss;
        ck_assert_int_eq(ss_nt_session_at(nt, s, &ss), SS_OK);
        ck_assert_int_eq(ss.status, SS_OK);
        ck_assert_uint_eq(ss.id, st->id);
        ck_assert_uint_eq(ss.va, st->va);
        ck_assert_uint_eq(ss.process_count, st->nmembers);
        ck_assert_uint_eq(ss.have, SS_NT_HAVE_PAGED_POOL | SS_NT_HAVE_COMMITTED | SS_NT_HAVE_NONPAGED |
                                       SS_NT_HAVE_RESIDENT);
        ck_assert_uint_eq(ss.paged_pool_start, st->paged_pool_start);
        ck_assert_uint_eq(ss.paged_pool_end, st->paged_pool_end);
        ck_assert_uint_eq(ss.committed_pages, st->committed_pages);
        ck_assert_uint_eq(ss.non_pagable_pages, st->non_pagable_pages);
        ck_assert_uint_eq(ss.resident_process_count, st->resident_process_count);
        ck_assert_uint_eq(ss.member_dtb, truth_proc(t, st->members[0])->dtb);

        /* !sprocess: SessionProcessLinks order */
        ss_nt_process procs[8];
        size_t n = 99;
        ss_error err = {0};
        ck_assert_msg(ss_nt_session_processes(nt, st->id, procs, 8, &n, &err) == SS_OK, "%s", err.message);
        ck_assert_uint_eq(n, st->nmembers);
        for (size_t j = 0; j < n; j++) {
            const ssb_nt_proc_truth *tp = truth_proc(t, st->members[j]);
            ck_assert_uint_eq(procs[j].pid, tp->pid);
            ck_assert_str_eq(procs[j].name, tp->name);
            ck_assert_uint_eq(procs[j].eprocess, tp->eprocess);
            ck_assert_uint_eq(procs[j].session_id, st->id);
        }
        /* a short buffer: counted, not stored */
        ck_assert_int_eq(ss_nt_session_processes(nt, st->id, procs, 1, &n, NULL), SS_OK);
        ck_assert_uint_eq(n, st->nmembers);

        ss_nt_image im[4];
        ck_assert_msg(ss_nt_session_images(nt, st->id, im, 4, &n, &err) == SS_OK, "%s", err.message);
        ck_assert_uint_eq(n, t->nimages);
        for (size_t j = 0; j < n; j++) {
            ck_assert_str_eq(im[j].name, t->images[j].name);
            ck_assert_uint_eq(im[j].base, t->images[j].base);
            ck_assert_uint_eq(im[j].size, t->images[j].size);
            ck_assert_uint_eq(im[j].last_address, t->images[j].base + t->images[j].size - 1);
            ck_assert_uint_eq(im[j].ldr, t->images[j].ldr);
        }
    }
}

START_TEST(processes_and_sessions)
{
    fixture fx;
    fx_open_model(&fx, _i, 0);
    check_model(fx.nt, &fx.t);
    fx_close(&fx);
}
END_TEST

#include "isfwriter.h"

/* An ISF for a layout of no real build (every offset shifted) and an unknown build number:
   from the dump header, and from a raw image where the kernel is found by its RSDS record. */
START_TEST(isf_route_same_answers)
{
    fixture fx;
    fx_open(&fx, 2, 0, _i); /* "test-odd", build 55555 */
    ss_test_isf_meta meta = {fx.t.pdb_name, fx.t.pdb_guid, fx.t.pdb_age, 55555};
    ss_nt_profile withsyms = fx.prof;
    withsyms.sym_ps_active_process_head = fx.t.rva_ps_active_process_head;
    withsyms.sym_ps_loaded_module_list = fx.t.rva_ps_loaded_module_list;
    withsyms.sym_kd_debugger_data_block = fx.t.rva_kd_debugger_data_block;
    const char *isf = ss_test_path("odd.json.xz");
    ck_assert_int_eq(ss_test_isf_write(isf, &withsyms, &meta, SS_TEST_ISF_XZ), 0);
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.isf_path = isf;
    if (_i)
        o.dtb = fx.t.system_dtb; /* raw: no header */
    ss_error err = {0};
    ck_assert_msg(fx_model(&fx, &o, &err) == SS_OK, "%s", err.message);
    check_model(fx.nt, &fx.t);
    ss_nt_kernel_info k;
    ss_nt_kernel(fx.nt, &k);
    /* checked against the kernel image: found by the scan (raw) or through the dump header's
       PsLoadedModuleList (DMP) */
    ck_assert_uint_eq(k.base, fx.t.kernel_base);
    ck_assert_str_eq(k.pdb_guid, fx.t.pdb_guid);
    ck_assert_uint_eq(k.pdb_age, fx.t.pdb_age);
    ss_nt_close(fx.nt);
    fx.nt = NULL;
    if (_i) { /* raw with no DTB at all: found by scan, the same answers */
        o.dtb = 0;
        ck_assert_msg(fx_model(&fx, &o, &err) == SS_OK, "%s", err.message);
        ck_assert_int_eq(ss_nt_kernel_dtb_origin(fx.nt, NULL), SS_NT_DTB_SCAN);
        check_model(fx.nt, &fx.t);
        ss_nt_close(fx.nt);
        fx.nt = NULL;
    }
    /* an ISF of another kernel: the GUID does not match (with a dump header too, where no
       kernel scan is needed for PsActiveProcessHead; and with no DTB, where every root fails
       the same way) */
    meta.pdb_guid = "00112233445566778899AABBCCDDEEFF";
    ck_assert_int_eq(ss_test_isf_write(isf, &withsyms, &meta, SS_TEST_ISF_XZ), 0);
    for (int nodtb = 0; nodtb <= _i; nodtb++) {
        o.dtb = nodtb || !_i ? 0 : fx.t.system_dtb;
        ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_NOT_FOUND);
        ck_assert_ptr_null(fx.nt);
        char want[256];
        snprintf(
            want, sizeof want,
            "the ISF describes ntkrnlmp.pdb GUID 00112233445566778899AABBCCDDEEFF age %u, but the kernel "
            "at %#llx is ntkrnlmp.pdb GUID %s age %u: use the ISF of this kernel",
            fx.t.pdb_age, (unsigned long long)fx.t.kernel_base, fx.t.pdb_guid, fx.t.pdb_age);
        ck_assert_str_eq(err.message, want);
    }
    fx_close(&fx);
}
END_TEST

START_TEST(regions)
{
    fixture fx;
    fx_open_model(&fx, _i, 0);
    const ssb_nt_truth *t = &fx.t;
    ss_nt_region r;
    uint64_t lo, hi;
    ck_assert_uint_eq(ss_nt_session_range_count(fx.nt), 1);
    ck_assert_int_eq(ss_nt_session_range_at(fx.nt, 0, &lo, &hi), SS_OK);
    ck_assert_uint_eq(lo, t->session_start);
    ck_assert_uint_eq(hi, t->session_end);
    if (_i == 1) { /* build 7601: the fixed Windows 7 range and self-map slot */
        ck_assert_uint_eq(lo, 0xfffff90000000000ull);
        ck_assert_uint_eq(hi, 0xfffff98000000000ull);
        ck_assert_uint_eq(t->self_map_slot, 0x1ed);
    }
    const struct {
        uint64_t va;
        ss_nt_region want;
    } cases[] = {
        {t->kernel_va, SS_NT_REGION_KERNEL},
        {t->ps_active_process_head, SS_NT_REGION_KERNEL},
        {t->procs[3].eprocess, SS_NT_REGION_KERNEL},
        {t->shared_va, SS_NT_REGION_SESSION},
        {t->private_va, SS_NT_REGION_SESSION},
        {t->sessions[1].va, SS_NT_REGION_SESSION},
        {t->session_start, SS_NT_REGION_SESSION},
        {t->session_end - 1, SS_NT_REGION_SESSION},
        {t->session_end, SS_NT_REGION_KERNEL},
        {t->session_start - 1, SS_NT_REGION_KERNEL},
        {0xffff000000000000ull | (uint64_t)t->self_map_slot << 39, SS_NT_REGION_SELF_MAP},
        {t->procs[5].user_va, SS_NT_REGION_USER},
        {0x00007fffffffffffull, SS_NT_REGION_USER},
        {0x0000800000000000ull, SS_NT_REGION_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(ss_nt_region_of(fx.nt, cases[i].va, &r, NULL, NULL), SS_OK);
        ck_assert_msg(r == cases[i].want, "%#llx: %s, want %s", (unsigned long long)cases[i].va,
                      ss_nt_region_name(r), ss_nt_region_name(cases[i].want));
    }
    ck_assert_int_eq(ss_nt_region_of(fx.nt, t->private_va, &r, &lo, &hi), SS_OK);
    ck_assert_uint_eq(lo, t->session_start);
    ck_assert_uint_eq(hi, t->session_end);
    fx_close(&fx);
}
END_TEST

/* The rule alone, with no model: slots equal within a session, different between sessions. */
START_TEST(session_slot_rule)
{
    fixture fx;
    fx_open(&fx, 0, 0, 0);
    const ssb_nt_truth *t = &fx.t;
    uint64_t dtbs[SSB_NT_MAX_PROCS];
    uint32_t labels[SSB_NT_MAX_PROCS], slots[8];
    for (size_t i = 0; i < t->nprocs; i++) {
        dtbs[i] = t->procs[i].dtb;
        labels[i] = t->procs[i].session < 0 ? SS_NT_NO_SESSION : (uint32_t)t->procs[i].session;
    }
    ck_assert_int_eq(ss_nt_session_slots_x64(fx.src, dtbs, labels, t->nprocs, slots), SS_OK);
    for (unsigned s = 0; s < 256; s++)
        ck_assert_uint_eq(slots[s / 32] >> (s % 32) & 1, 256 + s == t->session_slot);
    /* the unlabelled entry point (scan.h) applies the same rule: the same session slot */
    uint8_t kinds[512];
    ck_assert_int_eq(ss_scan_session_slots(fx.src, dtbs, t->nprocs, kinds), SS_OK);
    for (unsigned s = 256; s < 512; s++)
        ck_assert_uint_eq(kinds[s] == SS_SLOT_SESSION, s == t->session_slot);
    /* one table per session: only labels tell session space from per-process entries */
    uint64_t one[3];
    uint32_t onel[3] = {0, 1, 2};
    for (unsigned s = 0; s < 3; s++)
        one[s] = truth_proc(t, t->sessions[s].members[0])->dtb;
    ck_assert_int_eq(ss_nt_session_slots_x64(fx.src, one, onel, 3, slots), SS_OK);
    for (unsigned s = 0; s < 256; s++)
        ck_assert_uint_eq(slots[s / 32] >> (s % 32) & 1, 256 + s == t->session_slot);
    ck_assert_int_eq(ss_scan_session_slots(fx.src, one, 3, kinds), SS_OK);
    ck_assert_int_eq(kinds[t->session_slot], SS_SLOT_PRIVATE);
    /* a labelled table without the entry (System labelled as a session): not session space */
    uint32_t bad[SSB_NT_MAX_PROCS];
    memcpy(bad, labels, sizeof bad);
    bad[0] = 0;
    ck_assert_int_eq(ss_nt_session_slots_x64(fx.src, dtbs, bad, t->nprocs, slots), SS_OK);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(slots[i], 0);
    /* one session only: nothing can be told */
    ck_assert_int_eq(ss_nt_session_slots_x64(fx.src, dtbs + 2, labels + 2, 4, slots), SS_OK);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(slots[i], 0);
    ck_assert_int_eq(ss_nt_session_slots_x64(fx.src, dtbs, labels, 0, slots), SS_E_INVALID_ARG);
    fx_close(&fx);
}
END_TEST

START_TEST(session_contexts)
{
    fixture fx;
    fx_open_model(&fx, _i, 0);
    const ssb_nt_truth *t = &fx.t;
    for (size_t s = 0; s < t->nsessions; s++) {
        ss_space *sp = NULL;
        ck_assert_int_eq(ss_nt_session_space(fx.nt, t->sessions[s].id, &sp, NULL), SS_OK);
        uint64_t pa;
        ck_assert_int_eq(ss_translate(sp, t->private_va + 0x123, &pa), SS_OK);
        ck_assert_uint_eq(pa, t->sessions[s].private_pa + 0x123);
        ck_assert_int_eq(ss_translate(sp, t->shared_va, &pa), SS_OK);
        ck_assert_uint_eq(pa, t->shared_pa);
        char text[32];
        ck_assert_int_eq(ss_space_read(sp, t->private_va, text, 24, NULL), SS_OK);
        char want[32];
        snprintf(want, sizeof want, "session %u private data", t->sessions[s].id);
        ck_assert_int_eq(memcmp(text, want, strlen(want)), 0);
        ss_space_close(sp);
    }
    /* System has no session: the session VA does not translate under its DTB */
    ss_space *sys = NULL;
    ck_assert_int_eq(ss_nt_process_space(fx.nt, 4, SS_NT_ROOT_KERNEL, &sys, NULL), SS_OK);
    ck_assert_uint_eq(ss_space_dtb(sys), t->system_dtb);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sys, t->private_va, &pa), SS_E_NOT_PRESENT);
    ck_assert_int_eq(ss_translate(sys, t->shared_va, &pa), SS_E_NOT_PRESENT);
    ck_assert_int_eq(ss_translate(sys, t->kernel_va, &pa), SS_OK);
    ck_assert_uint_eq(pa, t->kernel_pa);
    ss_space_close(sys);
    /* .process /P on explorer.exe in session 2 */
    const ssb_nt_proc_truth *ex = &t->procs[12];
    ck_assert_str_eq(ex->name, "explorer.exe");
    ss_space *sp = NULL;
    ck_assert_int_eq(ss_nt_process_space(fx.nt, ex->pid, SS_NT_ROOT_KERNEL, &sp, NULL), SS_OK);
    ck_assert_int_eq(ss_translate(sp, ex->user_va, &pa), SS_OK);
    ck_assert_uint_eq(pa, ex->user_pa);
    ck_assert_int_eq(ss_translate(sp, t->private_va, &pa), SS_OK);
    ck_assert_uint_eq(pa, t->sessions[2].private_pa);
    ss_space_close(sp);
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_process_space(fx.nt, ex->pid, SS_NT_ROOT_USER, &sp, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_null(sp);
    ck_assert_ptr_nonnull(strstr(err.message, "no user DTB"));
    ck_assert_int_eq(ss_nt_process_space(fx.nt, 12345, SS_NT_ROOT_KERNEL, &sp, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "12345"));
    ck_assert_int_eq(ss_nt_session_space(fx.nt, 7, &sp, &err), SS_E_NOT_FOUND);
    ck_assert_str_eq(err.message, "no session 7 (sessions: 0, 1, 2)");
    fx_close(&fx);
}
END_TEST

START_TEST(kva_shadow_user_dtb)
{
    fixture fx;
    fx_open_model(&fx, 0, SSB_NT_KVA_SHADOW);
    const ssb_nt_proc_truth *ex = &fx.t.procs[9];
    ss_nt_process p;
    ck_assert_int_eq(ss_nt_process_find(fx.nt, ex->pid, &p), SS_OK);
    ck_assert_uint_eq(p.user_dtb, ex->user_dtb);
    ck_assert_uint_ne(p.user_dtb, p.dtb);
    ss_space *sp = NULL;
    ck_assert_int_eq(ss_nt_process_space(fx.nt, ex->pid, SS_NT_ROOT_USER, &sp, NULL), SS_OK);
    ck_assert_uint_eq(ss_space_dtb(sp), ex->user_dtb);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, ex->user_va, &pa), SS_OK);
    ck_assert_uint_eq(pa, ex->user_pa);
    ck_assert_int_eq(ss_translate(sp, fx.t.private_va, &pa), SS_E_NOT_PRESENT); /* no session space */
    ss_space_close(sp);
    fx_close(&fx);
}
END_TEST

START_TEST(where_answers)
{
    fixture fx;
    fx_open_model(&fx, _i, 0);
    const ssb_nt_truth *t = &fx.t;
    ss_nt_where_entry e[4];
    ss_nt_where w;

    ck_assert_int_eq(ss_nt_where_va(fx.nt, t->shared_va + 8, e, 4, &w), SS_OK);
    ck_assert_int_eq(w.region, SS_NT_REGION_SESSION);
    ck_assert_uint_eq(w.nsessions, 3);
    ck_assert_uint_eq(w.ntranslated, 3);
    ck_assert_int_eq(w.shared, 1);
    ck_assert_int_eq(w.same_content, 0);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_SHARED);
    for (unsigned s = 0; s < 3; s++) {
        ck_assert_uint_eq(e[s].session, s);
        ck_assert_int_eq(e[s].status, SS_OK);
        ck_assert_uint_eq(e[s].pa, t->shared_pa + 8);
    }

    ck_assert_int_eq(ss_nt_where_va(fx.nt, t->private_va, e, 4, &w), SS_OK);
    ck_assert_int_eq(w.shared, 0);
    ck_assert_int_eq(w.same_content, 0);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_PRIVATE);
    for (unsigned s = 0; s < 3; s++)
        ck_assert_uint_eq(e[s].pa, t->sessions[s].private_pa);
    ck_assert_uint_ne(e[0].hash, e[1].hash);

    ck_assert_int_eq(ss_nt_where_va(fx.nt, t->same_va, e, 4, &w), SS_OK);
    ck_assert_int_eq(w.shared, 0);
    ck_assert_int_eq(w.same_content, 1);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_PRIVATE);
    for (unsigned s = 0; s < 3; s++) {
        ck_assert_uint_eq(e[s].pa, t->sessions[s].same_pa);
        ck_assert_int_eq(e[s].has_hash, 1);
        ck_assert_uint_eq(e[s].hash, e[0].hash);
    }

    ck_assert_int_eq(ss_nt_where_va(fx.nt, t->kernel_va, e, 4, &w), SS_OK);
    ck_assert_int_eq(w.region, SS_NT_REGION_KERNEL);
    ck_assert_int_eq(w.shared, 1);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_GLOBAL);
    ck_assert_uint_eq(e[2].pa, t->kernel_pa);

    /* a session VA nobody maps */
    ck_assert_int_eq(ss_nt_where_va(fx.nt, t->private_va + 0x1000, e, 1, &w), SS_OK);
    ck_assert_uint_eq(w.nsessions, 3); /* counted past cap */
    ck_assert_uint_eq(w.ntranslated, 0);
    ck_assert_int_eq(e[0].status, SS_E_NOT_PRESENT);
    ck_assert_int_eq(e[0].state, SS_XLAT_NOT_PRESENT);
    ck_assert_int_eq(w.shared, 0);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_UNMAPPED);
    ck_assert_ptr_nonnull(strstr(ss_nt_advice_text(SS_NT_ADVICE_PRIVATE), "hardware breakpoint"));
    ck_assert_str_eq(ss_nt_advice_name(SS_NT_ADVICE_SHARED), "shared");

    /* range: the three images, 4 pages each (3 shared, 1 private), over 2,052 pages */
    ss_nt_where_range_stats rs;
    uint64_t lo = t->images[0].base, hi = t->images[2].base + t->images[2].size;
    ck_assert_int_eq(ss_nt_where_range(fx.nt, lo, (hi - lo) / 4096, &rs), SS_OK);
    ck_assert_uint_eq(rs.pages, (hi - lo) / 4096);
    ck_assert_uint_eq(rs.shared, 9);
    ck_assert_uint_eq(rs.private_frames, 3);
    ck_assert_uint_eq(rs.unmapped, rs.pages - 12);
    ck_assert_uint_eq(rs.translations, 36);
    fx_close(&fx);
}
END_TEST

START_TEST(looping_active_list)
{
    fixture fx;
    fx_open_model(&fx, _i, SSB_NT_LOOP_ACTIVE);
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_list_status(fx.nt, &err), SS_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, "ActiveProcessLinks"));
    ck_assert_ptr_nonnull(strstr(err.message, "Blink"));
    ck_assert_uint_eq(ss_nt_process_count(fx.nt), fx.t.nprocs); /* all read before the loop */
    ck_assert_uint_eq(ss_nt_session_count(fx.nt), 3);
    fx_close(&fx);
}
END_TEST

START_TEST(looping_session_list_and_images)
{
    fixture fx;
    fx_open_model(&fx, _i, SSB_NT_LOOP_SESSION | SSB_NT_LOOP_IMAGES);
    ss_nt_process procs[8];
    size_t n;
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_session_processes(fx.nt, 1, procs, 8, &n, &err), SS_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, "session 1 SessionProcessLinks"));
    ck_assert_uint_eq(n, fx.t.sessions[1].nmembers);
    ck_assert_uint_eq(procs[0].pid, fx.t.sessions[1].members[0]);
    ck_assert_int_eq(ss_nt_session_processes(fx.nt, 2, procs, 8, &n, NULL), SS_OK); /* the others are fine */
    ss_nt_image im[8];
    ck_assert_int_eq(ss_nt_session_images(fx.nt, 1, im, 8, &n, &err), SS_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, _i == 0 ? "ImageTree" : "ImageList"));
    ck_assert_int_eq(ss_nt_session_images(fx.nt, 0, im, 8, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 3);
    fx_close(&fx);
}
END_TEST

START_TEST(lost_session)
{
    fixture fx;
    fx_open_model(&fx, 0, SSB_NT_LOST_SESSION);
    ck_assert_uint_eq(ss_nt_session_count(fx.nt), 3);
    ss_nt_session s;
    ck_assert_int_eq(ss_nt_session_at(fx.nt, 2, &s), SS_OK);
    ck_assert_int_eq(s.status, SS_E_NOT_PRESENT);
    ck_assert_uint_eq(s.va, fx.t.sessions[2].va);
    ck_assert_uint_eq(s.id, SS_NT_NO_SESSION);
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_session_find(fx.nt, 2, &s, NULL, &err), SS_E_NOT_FOUND);
    char want[128];
    snprintf(want, sizeof want, "no session 2 (sessions: 0, 1, (unreadable at %#llx))",
             (unsigned long long)fx.t.sessions[2].va);
    ck_assert_str_eq(err.message, want);
    /* processes of the lost session keep their pointer, with no id */
    ss_nt_process p;
    ck_assert_int_eq(ss_nt_process_find(fx.nt, fx.t.sessions[2].members[0], &p), SS_OK);
    ck_assert_uint_eq(p.session_va, fx.t.sessions[2].va);
    ck_assert_uint_eq(p.session_id, SS_NT_NO_SESSION);
    fx_close(&fx);
}
END_TEST

START_TEST(wrong_profile)
{
    fixture fx;
    fx_open(&fx, 0, 0, 0);
    ss_nt_profile odd = fx.prof;
    snprintf(odd.name, sizeof odd.name, "test-odd");
    odd.eprocess_active_process_links += 8; /* the EPROCESS is then read 8 bytes off */
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &odd;
    ss_error err = {0};
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_CORRUPT);
    ck_assert_ptr_null(fx.nt);
    ck_assert_ptr_nonnull(strstr(err.message, "profile 'test-odd' does not fit"));
    /* a profile lacking a field the walk needs */
    odd.eprocess_session = SS_NT_NO_FIELD;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_UNSUPPORTED);
    ck_assert_str_eq(err.message, "profile 'test-odd' has no offset for _EPROCESS.Session");
    odd.version = 99;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_INVALID_ARG);
    o.version = 99;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_INVALID_ARG);
    fx_close(&fx);
}
END_TEST

START_TEST(unknown_build_needs_isf)
{
    fixture fx;
    fx_open(&fx, 2, 0, 0); /* build 55555 in the header */
    ss_error err = {0};
    ck_assert_int_eq(fx_model(&fx, NULL, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "55555"));
    ck_assert_ptr_nonnull(strstr(err.message, "--isf"));
    fx_close(&fx);
}
END_TEST

/* A raw image: no header. The DTB is given; the kernel is found by its PE / RSDS record. */
START_TEST(raw_image_kernel_scan)
{
    fixture fx;
    fx_open(&fx, _i, 0, 1);
    ss_error err = {0};
    ck_assert_int_eq(fx_model(&fx, NULL, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "no Windows dump header"));
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &fx.prof;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_NOT_FOUND); /* no DTB, and no way to the list */
    ck_assert_ptr_nonnull(strstr(err.message, "no kernel DTB and no PsActiveProcessHead"));
    ck_assert_ptr_nonnull(strstr(err.message, "no symbol RVA"));
    o.dtb = fx.t.system_dtb;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "no symbol RVA"));
    fx.prof.sym_ps_active_process_head = fx.t.rva_ps_active_process_head;
    fx.prof.sym_kd_debugger_data_block = fx.t.rva_kd_debugger_data_block;
    ck_assert_msg(fx_model(&fx, &o, &err) == SS_OK, "%s", err.message);
    ss_nt_kernel_info k;
    ck_assert_int_eq(ss_nt_kernel(fx.nt, &k), SS_OK);
    ck_assert_uint_eq(k.base, fx.t.kernel_base);
    ck_assert_str_eq(k.pdb_name, "ntkrnlmp.pdb");
    ck_assert_str_eq(k.pdb_guid, fx.t.pdb_guid);
    ck_assert_uint_eq(k.pdb_age, fx.t.pdb_age);
    ck_assert_uint_eq(k.kdbg, fx.t.kd_debugger_data_block);
    ck_assert_int_eq(k.kdbg_checked, 1);
    ck_assert_uint_eq(ss_nt_ps_active_process_head(fx.nt), fx.t.ps_active_process_head);
    ck_assert_uint_eq(ss_nt_process_count(fx.nt), fx.t.nprocs);
    ck_assert_uint_eq(ss_nt_session_count(fx.nt), 3);
    fx_close(&fx);
}
END_TEST

/* The same image as a DMP (header: DTB, list heads, build) and raw with no DTB given: the
   kernel DTB is found by scan, checked as PID 4's, and every answer is the DMP's. */
static int count_progress(void *arg, uint64_t done, uint64_t total)
{
    uint64_t *calls = arg;
    ck_assert_uint_le(done, total);
    calls[0]++;
    calls[1] = done;
    calls[2] = total;
    return 0;
}

static int cancel_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    return 1;
}

static int never_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    ck_abort_msg("a version 1 options struct has no progress member");
    return 1;
}

static void check_dtb_by_scan(const ss_nt_profile *prof, uint64_t seed, unsigned flags, int full,
                              const char *what)
{
    ss_nt_profile withsyms = *prof;
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(prof, seed, flags, &t);
    ck_assert_ptr_nonnull(img);
    withsyms.sym_ps_active_process_head = t.rva_ps_active_process_head;
    withsyms.sym_kd_debugger_data_block = t.rva_kd_debugger_data_block;
    const char *raw = ss_test_path("scan.raw"), *dmp = ss_test_path("scan.dmp");
    ck_assert_int_eq(ssb_write_raw(img, raw), 0);
    ck_assert_int_eq(ssb_nt_write_dmp(img, &t, dmp), 0);
    ss_source *rsrc = ss_check_open("raw:", raw, SS_OK), *dsrc = ss_check_open("dmp:", dmp, SS_OK);
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &withsyms;
    uint64_t calls[3] = {0, 0, 0};
    o.progress = count_progress;
    o.progress_arg = calls;
    ss_nt *rnt = NULL, *dnt = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_nt_open(rsrc, &o, &rnt, &err) == SS_OK, "%s raw: %s", what, err.message);
    ck_assert_msg(ss_nt_open(dsrc, &o, &dnt, &err) == SS_OK, "%s dmp: %s", what, err.message);
    ck_assert_uint_ge(calls[0], 1); /* only the raw open scans */
    ck_assert_uint_eq(calls[1], calls[2]);
    ck_assert_uint_eq(calls[2], ss_source_max_pa(rsrc));
    size_t tried = 99;
    ck_assert_int_eq(ss_nt_kernel_dtb_origin(rnt, &tried), SS_NT_DTB_SCAN);
    ck_assert_uint_ge(tried, 1);
    ck_assert_uint_le(tried, 2); /* System and smss.exe (cluster 0) come first */
    ck_assert_int_eq(ss_nt_kernel_dtb_origin(dnt, &tried), SS_NT_DTB_SOURCE);
    ck_assert_uint_eq(tried, 0);
    ck_assert_str_eq(ss_nt_dtb_origin_name(SS_NT_DTB_SCAN), "scan");
    ck_assert_uint_eq(ss_nt_kernel_dtb(rnt), t.system_dtb);
    if (full) {
        check_model(rnt, &t);
        check_model(dnt, &t);
    }
    ck_assert_uint_eq(ss_nt_process_count(rnt), ss_nt_process_count(dnt));
    for (size_t i = 0; i < ss_nt_process_count(rnt); i++) {
        ss_nt_process a, b;
        ss_nt_process_at(rnt, i, &a);
        ss_nt_process_at(dnt, i, &b);
        ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    }
    /* regions and where: the same slots, frames and advice */
    uint64_t lo, hi, lo2, hi2;
    ck_assert_uint_eq(ss_nt_session_range_count(rnt), 1);
    ck_assert_int_eq(ss_nt_session_range_at(rnt, 0, &lo, &hi), SS_OK);
    ck_assert_int_eq(ss_nt_session_range_at(dnt, 0, &lo2, &hi2), SS_OK);
    ck_assert_uint_eq(lo, t.session_start);
    ck_assert_uint_eq(hi, t.session_end);
    ck_assert_uint_eq(lo2, lo);
    ck_assert_uint_eq(hi2, hi);
    const uint64_t vas[] = {t.shared_va, t.private_va, t.same_va, t.kernel_va};
    for (size_t v = 0; v < 4; v++) {
        ss_nt_where_entry e1[3], e2[3];
        ss_nt_where w1, w2;
        ck_assert_int_eq(ss_nt_where_va(rnt, vas[v], e1, 3, &w1), SS_OK);
        ck_assert_int_eq(ss_nt_where_va(dnt, vas[v], e2, 3, &w2), SS_OK);
        ck_assert_int_eq(w1.region, w2.region);
        ck_assert_int_eq(w1.advice, w2.advice);
        ck_assert_int_eq(w1.shared, w2.shared);
        for (size_t s = 0; s < 3; s++)
            ck_assert_uint_eq(e1[s].pa, e2[s].pa);
    }
    ss_nt_where_entry e[3];
    ss_nt_where w;
    ck_assert_int_eq(ss_nt_where_va(rnt, t.private_va, e, 3, &w), SS_OK);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_PRIVATE);
    for (size_t s = 0; s < 3; s++)
        ck_assert_uint_eq(e[s].pa, t.sessions[s].private_pa);
    ss_nt_close(rnt);
    ss_nt_close(dnt);

    /* a cancelled scan cancels the open */
    o.progress = cancel_progress;
    ck_assert_int_eq(ss_nt_open(rsrc, &o, &rnt, &err), SS_E_CANCELLED);
    ck_assert_ptr_null(rnt);
    ck_assert_ptr_nonnull(strstr(err.message, "cancelled"));
    /* a version 1 struct: the members after max_list are not read */
    o.version = 1;
    o.progress = never_progress;
    ck_assert_msg(ss_nt_open(rsrc, &o, &rnt, &err) == SS_OK, "%s", err.message);
    ck_assert_uint_eq(ss_nt_kernel_dtb(rnt), t.system_dtb);
    ss_nt_close(rnt);
    ss_source_close(rsrc);
    ss_source_close(dsrc);
    ssb_free(img);
}

START_TEST(raw_image_dtb_by_scan)
{
    ss_nt_profile p;
    ck_assert_int_eq(ssb_nt_test_profile(_i, &p), 0);
    check_dtb_by_scan(&p, 3 + (uint64_t)_i, 0, 1, p.name);
    if (_i == 0)
        check_dtb_by_scan(&p, 21, SSB_NT_KVA_SHADOW, 0, "kva-shadow");
}
END_TEST

/* Every built-in x64 layout: the DTB found by scan on the raw image. */
START_TEST(raw_image_dtb_by_scan_builtin)
{
    size_t tested = 0;
    for (size_t i = 0; i < ss_nt_profile_builtin_count(); i++) {
        ss_nt_profile p;
        ck_assert_int_eq(ss_nt_profile_builtin_at(i, &p), SS_OK);
        if (p.pointer_size != 8)
            continue; /* 32-bit: the scan looks for x64 roots */
        check_dtb_by_scan(&p, 40 + i, 0, 0, p.name);
        tested++;
    }
    ck_assert_uint_ge(tested, 6);
}
END_TEST

/* Nothing fits: no root at all, and roots under which a wrong layout reads garbage. */
START_TEST(raw_image_no_dtb_fits)
{
    const char *path = ss_test_path("zeros.raw");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), 1 << 20), 0);
    fclose(f);
    ss_nt_profile p;
    ck_assert_int_eq(ssb_nt_test_profile(0, &p), 0);
    p.sym_ps_active_process_head = 0x3000;
    ss_source *src = ss_check_open("raw:", path, SS_OK);
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &p;
    ss_nt *nt = NULL;
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_open(src, &o, &nt, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "found no page-table root"));
    ss_source_close(src);

    /* a layout that reads every EPROCESS 8 bytes off: every root fails at the process list */
    fixture fx;
    fx_open(&fx, 0, 0, 1);
    ss_nt_profile off = fx.prof;
    off.sym_ps_active_process_head = fx.t.rva_ps_active_process_head;
    off.eprocess_active_process_links += 8;
    o.profile = &off;
    ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_NOT_FOUND);
    char want[64];
    snprintf(want, sizeof want, "none of the %zu roots the scan found fits", fx.t.nprocs);
    ck_assert_msg(strstr(err.message, want) != NULL, "%s", err.message);
    snprintf(want, sizeof want, "%#llx: process list", (unsigned long long)fx.t.system_dtb);
    ck_assert_msg(strstr(err.message, want) != NULL, "%s", err.message);
    fx_close(&fx);
}
END_TEST

/* KdDebuggerDataBlock (decoded, as in a bugcheck dump) cross-checks PsActiveProcessHead. */
START_TEST(kdbg_cross_check)
{
    fixture fx;
    fx_open(&fx, 0, _i ? SSB_NT_NO_KDBG_TAG : 0, 0);
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &fx.prof;
    o.ps_active_process_head = fx.t.ps_active_process_head + 0x10; /* disagrees with KDBG */
    ss_error err = {0};
    if (_i == 0) {
        ck_assert_int_eq(fx_model(&fx, &o, &err), SS_E_CORRUPT);
        char want[200];
        snprintf(
            want, sizeof want, "KdDebuggerDataBlock at %#llx says PsActiveProcessHead is %#llx, not %#llx",
            (unsigned long long)fx.t.kd_debugger_data_block, (unsigned long long)fx.t.ps_active_process_head,
            (unsigned long long)fx.t.ps_active_process_head + 0x10);
        ck_assert_str_eq(err.message, want);
    } else { /* an encoded block (no "KDBG" tag) is not used */
        o.ps_active_process_head = 0;
        ck_assert_msg(fx_model(&fx, &o, &err) == SS_OK, "%s", err.message);
        ss_nt_kernel_info k;
        ck_assert_int_eq(ss_nt_kernel(fx.nt, &k), SS_OK);
        ck_assert_int_eq(k.kdbg_checked, 0);
        ck_assert_uint_eq(k.kdbg, fx.t.kd_debugger_data_block);
        ck_assert_uint_eq(ss_nt_process_count(fx.nt), fx.t.nprocs);
    }
    fx_close(&fx);
}
END_TEST

/* One image per built-in profile (x64, and PAE for the 32-bit ones): the dump header's
   build chooses the table. */
START_TEST(every_builtin_profile)
{
    size_t n = ss_nt_profile_builtin_count(), tried = 0;
    for (size_t i = 0; i < n; i++) {
        ss_nt_profile p;
        ck_assert_int_eq(ss_nt_profile_builtin_at(i, &p), SS_OK);
        ssb_nt_truth t;
        ssb_image *img = ssb_nt_build(&p, 11 + i, 0, &t);
        ck_assert_msg(img != NULL, "%s: the generator cannot lay it out", p.name);
        const char *path = ss_test_path("builtin.dmp");
        ck_assert_int_eq(ssb_nt_write_dmp(img, &t, path), 0);
        ss_source *src = ss_check_open("dmp:", path, SS_OK);
        ss_nt *nt = NULL;
        ss_error err = {0};
        ck_assert_msg(ss_nt_open(src, NULL, &nt, &err) == SS_OK, "%s: %s", p.name, err.message);
        ck_assert_str_eq(ss_nt_get_profile(nt)->name, p.name);
        ck_assert_uint_eq(ss_nt_process_count(nt), t.nprocs);
        ck_assert_uint_eq(ss_nt_session_count(nt), 3);
        for (size_t s = 0; s < 3; s++) {
            ss_nt_session ss;
            ck_assert_int_eq(ss_nt_session_at(nt, s, &ss), SS_OK);
            ck_assert_msg(ss.status == SS_OK && ss.id == s && ss.va == t.sessions[s].va, "%s: session %zu",
                          p.name, s);
            ss_nt_process procs[8];
            size_t np;
            ck_assert_int_eq(ss_nt_session_processes(nt, (uint32_t)s, procs, 8, &np, &err), SS_OK);
            ck_assert_uint_eq(np, t.sessions[s].nmembers);
            ck_assert_uint_eq(procs[np - 1].pid, t.sessions[s].members[np - 1]);
            ss_nt_image im[4];
            size_t ni;
            ss_status st = ss_nt_session_images(nt, (uint32_t)s, im, 4, &ni, &err);
            if (p.session_images == SS_NT_IMAGES_NONE) {
                ck_assert_int_eq(st, SS_E_UNSUPPORTED);
                ck_assert_ptr_nonnull(strstr(err.message, "not described"));
            } else {
                ck_assert_msg(st == SS_OK, "%s: %s", p.name, err.message);
                ck_assert_uint_eq(ni, 3);
                ck_assert_uint_eq(im[1].base, t.images[1].base);
                if (p.image_data_table_entry != SS_NT_NO_FIELD) { /* names come from the data table entry */
                    ck_assert_str_eq(im[1].name, "win32kbase.sys");
                    ck_assert_uint_eq(im[1].size, t.images[1].size);
                } else {
                    ck_assert_str_eq(im[1].name, "");
                }
            }
        }
        ss_nt_where_entry e[3];
        ss_nt_where w;
        ck_assert_int_eq(ss_nt_where_va(nt, t.private_va, e, 3, &w), SS_OK);
        ck_assert_int_eq(w.region, SS_NT_REGION_SESSION);
        ck_assert_uint_eq(e[2].pa, t.sessions[2].private_pa);
        ck_assert_int_eq(ss_nt_where_va(nt, t.shared_va, e, 3, &w), SS_OK);
        ck_assert_int_eq(w.shared, 1);
        ss_nt_close(nt);
        ss_source_close(src);
        ssb_free(img);
        tried++;
    }
    ck_assert_uint_eq(tried, n);
}
END_TEST

/* Windows 7 x86 with PAE (the built-in 7601 32-bit layout): 4-byte pointers, per-process
   page directories, session space from KDBG's MmSessionBase / MmSessionSize. */
START_TEST(pae_image)
{
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 4, &p, NULL), SS_OK);
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(&p, 3, 0, &t);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(t.mode, SS_MODE_PAE);
    const char *path = ss_test_path("pae.dmp");
    ck_assert_int_eq(ssb_nt_write_dmp(img, &t, path), 0);
    ss_source *src = ss_check_open("dmp:", path, SS_OK);
    ss_nt *nt = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_nt_open(src, NULL, &nt, &err) == SS_OK, "%s", err.message);
    ck_assert_int_eq(ss_nt_mode(nt), SS_MODE_PAE);
    check_model(nt, &t);
    ck_assert_uint_eq(ss_nt_session_range_count(nt), 1);
    uint64_t lo, hi;
    ck_assert_int_eq(ss_nt_session_range_at(nt, 0, &lo, &hi), SS_OK);
    ck_assert_uint_eq(lo, 0x90000000u);
    ck_assert_uint_eq(hi, 0x98000000u);
    const struct {
        uint64_t va;
        ss_nt_region want;
    } cases[] = {
        {t.kernel_va, SS_NT_REGION_KERNEL},      {t.procs[4].eprocess, SS_NT_REGION_KERNEL},
        {t.shared_va, SS_NT_REGION_SESSION},     {t.private_va, SS_NT_REGION_SESSION},
        {0x97ffffffu, SS_NT_REGION_SESSION},     {0x98000000u, SS_NT_REGION_KERNEL},
        {0xc0000000u, SS_NT_REGION_SELF_MAP},    {0xc07fffffu, SS_NT_REGION_SELF_MAP},
        {t.procs[5].user_va, SS_NT_REGION_USER}, {0x100000000ull, SS_NT_REGION_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ss_nt_region r;
        ck_assert_int_eq(ss_nt_region_of(nt, cases[i].va, &r, NULL, NULL), SS_OK);
        ck_assert_msg(r == cases[i].want, "%#llx: %s", (unsigned long long)cases[i].va, ss_nt_region_name(r));
    }
    ss_nt_where_entry e[3];
    ss_nt_where w;
    ck_assert_int_eq(ss_nt_where_va(nt, t.shared_va, e, 3, &w), SS_OK);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_SHARED);
    ck_assert_uint_eq(e[1].pa, t.shared_pa);
    ck_assert_int_eq(ss_nt_where_va(nt, t.private_va, e, 3, &w), SS_OK);
    ck_assert_int_eq(w.advice, SS_NT_ADVICE_PRIVATE);
    for (unsigned s = 0; s < 3; s++)
        ck_assert_uint_eq(e[s].pa, t.sessions[s].private_pa);
    /* the PAE self-map: C0600000 + 8 * (va >> 21) is the PDE of va, under any process's root */
    ss_space *sp = NULL;
    ck_assert_int_eq(ss_nt_process_space(nt, t.procs[9].pid, SS_NT_ROOT_KERNEL, &sp, NULL), SS_OK);
    uint64_t pde_va = 0xc0600000u + 8 * (t.private_va >> 21), pde, pa;
    ck_assert_int_eq(ss_space_read(sp, pde_va, &pde, 8, NULL), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, t.private_va, &x), SS_OK);
    ck_assert_uint_eq(pde, x.entries[1].value);
    ck_assert_uint_eq(x.pa, t.sessions[1].private_pa);
    ss_space_close(sp);
    ck_assert_int_eq(ss_nt_process_space(nt, 4, SS_NT_ROOT_KERNEL, &sp, NULL), SS_OK);
    ck_assert_int_eq(ss_translate(sp, t.private_va, &pa), SS_E_NOT_PRESENT);
    ss_space_close(sp);
    ss_nt_close(nt);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* KDBG's MmSessionBase / MmSessionSize are guest data. A 32-bit kernel's base may reach us
   sign-extended (0xFFFFFFFF'90000000; the WRK's ntdbg.h sign-extends 32-bit addresses in
   the KD structures): read it as the 32-bit address, as PsActiveProcessHead is. A size
   that wraps base + size past 2^64 must not become a range whose end is below its start:
   the block is ignored and the page directories decide (4 mapped 2 MiB units). */
START_TEST(pae_kdbg_session_range_hostile)
{
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 4, &p, NULL), SS_OK);
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(&p, 3, 0, &t);
    ck_assert_ptr_nonnull(img);
    ss_source *raw = ss_test_open_raw(img, "pae-kdbg.raw");
    ck_assert_ptr_nonnull(raw);
    ss_space *ks = NULL;
    uint64_t kd_pa = 0;
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_PAE, t.system_dtb, NULL, &ks), SS_OK);
    ck_assert_int_eq(ss_translate(ks, t.kd_debugger_data_block, &kd_pa), SS_OK);
    ss_space_close(ks);
    ss_source_close(raw);
    ck_assert_uint_eq(t.session_start, 0x90000000u);
    const uint64_t base = _i == 0 ? 0xffffffff90000000ull : 0x90000000u;
    const uint64_t size = _i == 0 ? 0x8000000u : 0ull - 0x80000000ull; /* wraps to 0x10000000 */
    ck_assert_int_eq(ssb_write(img, kd_pa + 0x278, &base, 8), 0);
    ck_assert_int_eq(ssb_write(img, kd_pa + 0x280, &size, 8), 0);
    const char *path = ss_test_path("pae-kdbg.dmp");
    ck_assert_int_eq(ssb_nt_write_dmp(img, &t, path), 0);
    ss_source *src = ss_check_open("dmp:", path, SS_OK);
    ss_nt *nt = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_nt_open(src, NULL, &nt, &err) == SS_OK, "%s", err.message);
    ss_nt_kernel_info k;
    ck_assert_int_eq(ss_nt_kernel(nt, &k), SS_OK);
    ck_assert_int_eq(k.kdbg_checked, 1);
    uint64_t lo, hi;
    if (_i == 0) {
        ck_assert_uint_eq(ss_nt_session_range_count(nt), 1);
        ck_assert_int_eq(ss_nt_session_range_at(nt, 0, &lo, &hi), SS_OK);
        ck_assert_uint_eq(lo, 0x90000000u);
        ck_assert_uint_eq(hi, 0x98000000u);
    } else {
        ck_assert_uint_eq(ss_nt_session_range_count(nt), 4);
        for (size_t i = 0; i < 4; i++) {
            ck_assert_int_eq(ss_nt_session_range_at(nt, i, &lo, &hi), SS_OK);
            ck_assert_uint_eq(hi - lo, 2u << 20);
        }
    }
    ss_nt_region r;
    ck_assert_int_eq(ss_nt_region_of(nt, t.private_va, &r, NULL, NULL), SS_OK);
    ck_assert_int_eq(r, SS_NT_REGION_SESSION);
    ss_nt_close(nt);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* Random bytes over the kernel image, the pool (EPROCESS, names, links) and session data:
   every call ends with a status, never a crash or a hang (run under ASan/UBSan too). */
/* 32-bit with no decoded KDBG: session space is found from the page directories (the
   mapped 2 MiB units whose PDEs are equal within a session and differ between sessions). */
/* A raw PAE image: no header; the kernel (PE32, ntkrpamp.pdb) is found by scanning the kernel
   half of the page directories, and PsActiveProcessHead is its base plus the symbol RVA. */
START_TEST(pae_raw_kernel_scan)
{
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 4, &p, NULL), SS_OK);
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(&p, 3, 0, &t);
    ck_assert_ptr_nonnull(img);
    ss_source *src = ss_test_open_raw(img, "pae.raw");
    ck_assert_ptr_nonnull(src);
    p.sym_ps_active_process_head = t.rva_ps_active_process_head;
    p.sym_kd_debugger_data_block = t.rva_kd_debugger_data_block;
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.profile = &p;
    o.dtb = t.system_dtb;
    o.mode = SS_MODE_PAE;
    ss_nt *nt = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_nt_open(src, &o, &nt, &err) == SS_OK, "%s", err.message);
    ss_nt_kernel_info k;
    ck_assert_int_eq(ss_nt_kernel(nt, &k), SS_OK);
    ck_assert_uint_eq(k.base, t.kernel_base);
    ck_assert_str_eq(k.pdb_name, "ntkrpamp.pdb");
    ck_assert_str_eq(k.pdb_guid, t.pdb_guid);
    check_model(nt, &t);
    ss_nt_close(nt);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(pae_regions_from_page_tables)
{
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 4, &p, NULL), SS_OK);
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(&p, 3, SSB_NT_NO_KDBG_TAG, &t);
    ck_assert_ptr_nonnull(img);
    const char *path = ss_test_path("pae-nokdbg.dmp");
    ck_assert_int_eq(ssb_nt_write_dmp(img, &t, path), 0);
    ss_source *src = ss_check_open("dmp:", path, SS_OK);
    ss_nt *nt = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_nt_open(src, NULL, &nt, &err) == SS_OK, "%s", err.message);
    ss_nt_kernel_info k;
    ss_nt_kernel(nt, &k);
    ck_assert_int_eq(k.kdbg_checked, 0);
    const uint64_t unit = 2u << 20;
    uint64_t want[4] = {t.images[0].base, t.images[1].base, t.images[2].base, t.private_va};
    ck_assert_uint_eq(ss_nt_session_range_count(nt), 4);
    for (size_t i = 0; i < 4; i++) {
        uint64_t lo, hi;
        ck_assert_int_eq(ss_nt_session_range_at(nt, i, &lo, &hi), SS_OK);
        ck_assert_uint_eq(lo, want[i] & ~(unit - 1));
        ck_assert_uint_eq(hi, (want[i] & ~(unit - 1)) + unit);
    }
    ss_nt_region r;
    ck_assert_int_eq(ss_nt_region_of(nt, t.shared_va, &r, NULL, NULL), SS_OK);
    ck_assert_int_eq(r, SS_NT_REGION_SESSION);
    ck_assert_int_eq(ss_nt_region_of(nt, t.kernel_va, &r, NULL, NULL), SS_OK);
    ck_assert_int_eq(r, SS_NT_REGION_KERNEL);
    ss_nt_close(nt);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(garbage_never_crashes)
{
    uint64_t seed = 0x1234567 + (uint64_t)_i;
    for (int round = 0; round < 40; round++) {
        ss_nt_profile prof;
        ssb_nt_test_profile(round % 3, &prof);
        prof.sym_ps_active_process_head = 0x3000;
        prof.sym_kd_debugger_data_block = 0x4000;
        ssb_nt_truth t;
        ssb_image *img = ssb_nt_build(&prof, seed, 0, &t);
        ck_assert_ptr_nonnull(img);
        int nbytes = 1 + (int)(ss_test_rand(&seed) % 256);
        for (int k = 0; k < nbytes; k++) {
            uint64_t pa = (2u << 20) + ss_test_rand(&seed) % 0x60000u; /* kernel image + pool */
            uint8_t b = (uint8_t)ss_test_rand(&seed);
            ssb_write(img, pa, &b, 1);
        }
        ss_source *src = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL);
        ck_assert_ptr_nonnull(src);
        ss_nt_options o = SS_NT_OPTIONS_INIT;
        o.profile = &prof;
        o.dtb = t.system_dtb;
        o.mode = SS_MODE_X64;
        o.max_list = 1000;
        ss_nt *nt = NULL;
        ss_error err = {0};
        ss_status st = ss_nt_open(src, &o, &nt, &err);
        if (st != SS_OK) {
            ck_assert_ptr_null(nt);
            ck_assert_msg(strlen(err.message) > 10, "round %d: %s without a message", round,
                          ss_status_name(st));
        } else {
            for (size_t i = 0; i < ss_nt_session_count(nt); i++) {
                ss_nt_session s;
                ss_nt_session_at(nt, i, &s);
                ss_nt_process procs[4];
                ss_nt_image im[4];
                size_t n;
                ss_nt_session_processes(nt, s.id, procs, 4, &n, &err);
                ss_nt_session_images(nt, s.id, im, 4, &n, &err);
            }
            ss_nt_where_entry e[4];
            ss_nt_where w;
            ss_nt_where_va(nt, t.private_va, e, 4, &w);
            ss_nt_close(nt);
        }
        ss_source_close(src);
        ssb_free(img);
    }
}
END_TEST

START_TEST(bad_arguments)
{
    ss_nt *nt = (ss_nt *)1;
    ck_assert_int_eq(ss_nt_open(NULL, NULL, &nt, NULL), SS_E_INVALID_ARG);
    ck_assert_ptr_null(nt);
    ck_assert_int_eq(ss_nt_options_init(NULL, SS_NT_OPTIONS_VERSION), SS_E_INVALID_ARG);
    ss_nt_options o;
    ck_assert_int_eq(ss_nt_options_init(&o, 42), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_options_init(&o, SS_NT_OPTIONS_VERSION), SS_OK);
    ck_assert_uint_eq(o.version, SS_NT_OPTIONS_VERSION);
    ck_assert_ptr_null(o.profile);
    ck_assert_ptr_null(o.progress);
    /* a version 1 struct ends at max_list: nothing after it is written */
    memset(&o, 0xab, sizeof o);
    ck_assert_int_eq(ss_nt_options_init(&o, 1), SS_OK);
    ck_assert_uint_eq(o.version, 1);
    ck_assert_uint_eq(o.max_list, 0);
    unsigned char after[sizeof o - offsetof(ss_nt_options, progress)];
    memset(after, 0xab, sizeof after);
    ck_assert_int_eq(memcmp((unsigned char *)&o + offsetof(ss_nt_options, progress), after, sizeof after), 0);
    ck_assert_int_eq(ss_nt_kernel_dtb_origin(NULL, NULL), SS_NT_DTB_OPTION);
    ck_assert_str_eq(ss_nt_dtb_origin_name(SS_NT_DTB_SOURCE), "source");
    ck_assert_uint_eq(ss_nt_process_count(NULL), 0);
    ck_assert_uint_eq(ss_nt_session_count(NULL), 0);
    ss_nt_where w;
    ck_assert_int_eq(ss_nt_where_va(NULL, 0, NULL, 0, &w), SS_E_INVALID_ARG);
    ck_assert_str_eq(ss_nt_region_name(SS_NT_REGION_SELF_MAP), "self_map");
    ss_nt_close(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nt_model");
    TCase *tc = tcase_create("model");
    tcase_add_loop_test(tc, processes_and_sessions, 0, 2);
    tcase_add_loop_test(tc, isf_route_same_answers, 0, 2);
    tcase_add_loop_test(tc, regions, 0, 2);
    tcase_add_test(tc, session_slot_rule);
    tcase_add_loop_test(tc, session_contexts, 0, 2);
    tcase_add_test(tc, kva_shadow_user_dtb);
    tcase_add_loop_test(tc, where_answers, 0, 2);
    tcase_add_loop_test(tc, looping_active_list, 0, 2);
    tcase_add_loop_test(tc, looping_session_list_and_images, 0, 2);
    tcase_add_test(tc, lost_session);
    tcase_add_test(tc, wrong_profile);
    tcase_add_test(tc, unknown_build_needs_isf);
    tcase_add_loop_test(tc, raw_image_kernel_scan, 0, 2);
    tcase_add_loop_test(tc, raw_image_dtb_by_scan, 0, 3);
    tcase_add_test(tc, raw_image_dtb_by_scan_builtin);
    tcase_add_test(tc, raw_image_no_dtb_fits);
    tcase_add_loop_test(tc, kdbg_cross_check, 0, 2);
    tcase_add_test(tc, every_builtin_profile);
    tcase_add_test(tc, pae_image);
    tcase_add_test(tc, pae_regions_from_page_tables);
    tcase_add_test(tc, pae_raw_kernel_scan);
    tcase_add_loop_test(tc, pae_kdbg_session_range_hostile, 0, 2);
    tcase_add_loop_test(tc, garbage_never_crashes, 0, 4);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
