/*
 * Windows structure profiles: the built-in tables (lookup by build and pointer size,
 * offsets a second public source confirms), the refusal of unknown builds, caller-filled
 * profiles, and the Volatility 3 ISF reader (plain, xz, gzip; every kind of bad file).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isfwriter.h"
#include "nt/profile_internal.h"
#include "sessionspace/profile.h"
#include "ss_check.h"

static ss_nt_profile builtin(uint32_t build, uint32_t psz)
{
    ss_nt_profile p;
    ss_error err = {0};
    ss_status st = ss_nt_profile_builtin(build, psz, &p, &err);
    ck_assert_msg(st == SS_OK, "build %u/%u: %s (%s)", build, psz, ss_status_name(st), err.message);
    ck_assert_uint_eq(p.build, build);
    ck_assert_uint_eq(p.pointer_size, psz);
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_OK);
    return p;
}

START_TEST(builtin_lookup_by_build_and_pointer_size)
{
    static const struct {
        uint32_t build, psz;
        const char *name;
        ss_nt_image_container images;
    } want[] = {
        {7601, 4, "win7sp1-x86", SS_NT_IMAGES_LIST},
        {7601, 8, "win7sp1-x64", SS_NT_IMAGES_LIST},
        {9600, 8, "win81-x64", SS_NT_IMAGES_LIST},
        {14393, 8, "win10-1607-x64", SS_NT_IMAGES_TREE},
        {17763, 8, "win10-1809-x64", SS_NT_IMAGES_TREE},
        {19041, 8, "win10-2004-22h2-x64", SS_NT_IMAGES_NONE},
        {19044, 8, "win10-2004-22h2-x64", SS_NT_IMAGES_NONE},
        {19045, 8, "win10-2004-22h2-x64", SS_NT_IMAGES_NONE},
        {22621, 8, "win11-22h2-23h2-x64", SS_NT_IMAGES_NONE},
        {22631, 8, "win11-22h2-23h2-x64", SS_NT_IMAGES_NONE},
        {26100, 8, "win11-24h2-x64", SS_NT_IMAGES_NONE},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ss_nt_profile p = builtin(want[i].build, want[i].psz);
        ck_assert_str_eq(p.name, want[i].name);
        ck_assert_int_eq(p.session_images, want[i].images);
        ck_assert_uint_eq(p.sym_ps_active_process_head, SS_NT_NO_FIELD); /* RVAs vary per binary */
    }
    /* every table is reachable by index and valid */
    size_t n = ss_nt_profile_builtin_count();
    ck_assert_uint_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        ss_nt_profile p;
        ss_error err;
        ck_assert_int_eq(ss_nt_profile_builtin_at(i, &p), SS_OK);
        ck_assert_int_eq(p.version, SS_NT_PROFILE_VERSION);
        ck_assert_msg(ss_nt_profile_check(&p, &err) == SS_OK, "%s: %s", p.name, err.message);
    }
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin_at(n, &p), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_builtin_at(0, NULL), SS_E_INVALID_ARG);
}
END_TEST

/*
 * Offsets a second, independent public source confirms (the first is the table's own
 * citation, mostly ntdiff/headers):
 *   hvmi      bitdefender/hvmi cami/.../km/windows_<build>_<arch>_kpti_*.yaml
 *   vergilius the Vergilius project's Windows 10 22H2 _EPROCESS, as used by mvisor
 *   rekall    google/rekall overlays (_IMAGE_ENTRY_IN_SESSION)
 *   24h2tab   a second 24H2 offset table extracted from the PDB
 */
START_TEST(builtin_offsets_cross_checked)
{
    ss_nt_profile p = builtin(7601, 4); /* hvmi 7601 x86 */
    ck_assert_uint_eq(p.kprocess_directory_table_base, 0x18);
    ck_assert_uint_eq(p.eprocess_unique_process_id, 0xb4);
    ck_assert_uint_eq(p.eprocess_active_process_links, 0xb8);
    ck_assert_uint_eq(p.eprocess_image_file_name, 0x16c);

    p = builtin(7601, 8); /* hvmi 7601 x64 */
    ck_assert_uint_eq(p.kprocess_directory_table_base, 0x28);
    ck_assert_uint_eq(p.eprocess_unique_process_id, 0x180);
    ck_assert_uint_eq(p.eprocess_active_process_links, 0x188);
    ck_assert_uint_eq(p.eprocess_image_file_name, 0x2e0);
    ck_assert_uint_eq(p.image_address, 0x10); /* rekall: WRK layout */
    ck_assert_uint_eq(p.image_last_address, 0x18);

    p = builtin(9600, 8); /* rekall 8.1 x64 (MiSessionInsertImage) */
    ck_assert_uint_eq(p.image_link, 0);
    ck_assert_uint_eq(p.image_address, 0x10);
    ck_assert_uint_eq(p.image_last_address, 0x18);

    p = builtin(17763, 8); /* hvmi 17763 x64 */
    ck_assert_uint_eq(p.kprocess_directory_table_base, 0x28);
    ck_assert_uint_eq(p.kprocess_user_directory_table_base, 0x278);
    ck_assert_uint_eq(p.eprocess_unique_process_id, 0x2e0);
    ck_assert_uint_eq(p.eprocess_active_process_links, 0x2e8);
    ck_assert_uint_eq(p.eprocess_image_file_name, 0x450);
    ck_assert_uint_eq(p.image_address, 0x28); /* rekall win10 overlay: _EX_FAST_REF at 0x28 */

    p = builtin(19045, 8); /* vergilius 22H2 */
    ck_assert_uint_eq(p.kprocess_directory_table_base, 0x28);
    ck_assert_uint_eq(p.eprocess_unique_process_id, 0x440);
    ck_assert_uint_eq(p.eprocess_active_process_links, 0x448);
    ck_assert_uint_eq(p.eprocess_image_file_name, 0x5a8);

    p = builtin(26100, 8); /* 24h2tab; the opaque session layout from issue 9 */
    ck_assert_uint_eq(p.eprocess_unique_process_id, 0x1d0);
    ck_assert_uint_eq(p.eprocess_active_process_links, 0x1d8);
    ck_assert_uint_eq(p.eprocess_image_file_name, 0x338);
    ck_assert_uint_eq(p.session_session_id, 0x8);
    ck_assert_uint_eq(p.session_process_list, 0x10);
    ck_assert_uint_eq(p.session_image_list, SS_NT_NO_FIELD);
    ck_assert_uint_eq(p.session_paged_pool_start, SS_NT_NO_FIELD);
}
END_TEST

static void assert_refused(uint32_t build, uint32_t psz, const char *arch)
{
    ss_nt_profile p;
    memset(&p, 0x5a, sizeof p);
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_profile_builtin(build, psz, &p, &err), SS_E_UNSUPPORTED);
    ck_assert_int_eq(err.status, SS_E_UNSUPPORTED);
    char num[16];
    snprintf(num, sizeof num, "%u", build);
    ck_assert_msg(strstr(err.message, num) != NULL, "no build in: %s", err.message);
    ck_assert_msg(strstr(err.message, arch) != NULL, "no architecture in: %s", err.message);
    ck_assert_msg(strstr(err.message, "--isf FILE") != NULL, "no CLI hint in: %s", err.message);
    ck_assert_msg(strstr(err.message, "ss_nt_profile_from_isf") != NULL, "no API hint in: %s", err.message);
    ck_assert_uint_eq(p.build, 0x5a5a5a5au); /* untouched */
}

START_TEST(unknown_builds_are_refused_with_the_isf_route)
{
    assert_refused(9200, 8, "x64");  /* Windows 8: no table */
    assert_refused(9600, 4, "x86");  /* 8.1 exists for x64 only */
    assert_refused(19040, 8, "x64"); /* just outside 19041-19045 */
    assert_refused(19046, 8, "x64");
    assert_refused(26200, 8, "x64"); /* not verified */
    assert_refused(17763, 4, "x86");
    ss_error err = {0};
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 2, &p, &err), SS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "pointer size 2"));
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 8, NULL, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_builtin(7601, 8, NULL, NULL), SS_E_INVALID_ARG);
}
END_TEST

START_TEST(caller_filled_profile_is_checked)
{
    ss_nt_profile p;
    ck_assert_int_eq(ss_nt_profile_init(NULL, SS_NT_PROFILE_VERSION), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_init(&p, SS_NT_PROFILE_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_init(&p, SS_NT_PROFILE_VERSION), SS_OK);
    ck_assert_uint_eq(p.version, SS_NT_PROFILE_VERSION);
    ck_assert_uint_eq(p.eprocess_session, SS_NT_NO_FIELD);
    ck_assert_uint_eq(p.ldr_base_dll_name, SS_NT_NO_FIELD);
    ck_assert_uint_eq(p.sym_kd_debugger_data_block, SS_NT_NO_FIELD);
    ck_assert_int_eq(p.session_images, SS_NT_IMAGES_NONE);
    ck_assert_uint_eq(p.pointer_size, 0);

    ss_error err = {0};
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_INVALID_ARG); /* pointer size 0 */
    p.pointer_size = 8;
    strcpy(p.name, "debugger");
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "_KPROCESS.DirectoryTableBase"));
    /* fill the required ones in order; the message names the next missing one */
    p.kprocess_directory_table_base = 0x28;
    p.eprocess_unique_process_id = 0x100;
    p.eprocess_active_process_links = 0x108;
    p.eprocess_image_file_name = 0x200;
    p.eprocess_session = 0x1f0;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "_EPROCESS.SessionProcessLinks"));
    p.eprocess_session_process_links = 0x118;
    p.session_session_id = 0x8;
    p.session_process_list = 0x10;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_OK);
    p.session_images = SS_NT_IMAGES_TREE;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "_MM_SESSION_SPACE.ImageTree"));
    p.session_image_list = 0x68;
    p.image_link = 0;
    p.image_address = 0x28;
    p.image_data_table_entry = 0x40;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_UNSUPPORTED); /* loader entry now needed */
    ck_assert_ptr_nonnull(strstr(err.message, "_KLDR_DATA_TABLE_ENTRY.DllBase"));
    p.ldr_dll_base = 0x30;
    p.ldr_size_of_image = 0x40;
    p.ldr_base_dll_name = 0x58;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_OK);
    p.session_committed_pages = 0x12345;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, "_MM_SESSION_SPACE.CommittedPages"));
    p.session_committed_pages = SS_NT_NO_FIELD;
    p.session_images = (ss_nt_image_container)7;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_INVALID_ARG);
    p.session_images = SS_NT_IMAGES_TREE;
    p.version = 99;
    ck_assert_int_eq(ss_nt_profile_check(&p, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_check(NULL, &err), SS_E_INVALID_ARG);
}
END_TEST

/* ---- ISF ----------------------------------------------------------------------- */

/* A layout that matches no real build (every offset odd-looking), for an unknown build. */
static ss_nt_profile odd_profile(uint32_t psz, ss_nt_image_container images)
{
    ss_nt_profile p;
    ss_nt_profile_init(&p, SS_NT_PROFILE_VERSION);
    p.pointer_size = psz;
    p.kprocess_directory_table_base = 0x38;
    p.kprocess_user_directory_table_base = 0x3a0;
    p.eprocess_unique_process_id = 0x4c8;
    p.eprocess_active_process_links = 0x4d0;
    p.eprocess_image_file_name = 0x6f0;
    p.eprocess_session = 0x610;
    p.eprocess_session_process_links = 0x520;
    p.session_session_id = 0x18;
    p.session_process_list = 0x28;
    p.session_images = images;
    p.session_image_list = 0x98;
    p.session_paged_pool_start = 0x50;
    p.session_paged_pool_end = 0x58;
    p.session_non_pagable_pages = 0x40;
    p.session_committed_pages = 0x48;
    p.session_resident_process_count = 0x74;
    p.image_link = 0x8;
    p.image_address = 0x30;
    p.image_last_address = 0x38;
    p.image_data_table_entry = 0x50;
    p.ldr_dll_base = 0x38;
    p.ldr_size_of_image = 0x48;
    p.ldr_base_dll_name = 0x60;
    p.sym_ps_active_process_head = 0xc1e3a0;
    p.sym_ps_loaded_module_list = 0xc2a1b0;
    p.sym_kd_debugger_data_block = 0xc00a20;
    return p;
}

static const ss_test_isf_meta odd_meta = {"ntkrnlmp.pdb", "3844dbb9-2017-4967-be7a-a4a2c20430fa", 3, 30999};

static void assert_same_layout(const ss_nt_profile *a, const ss_nt_profile *b)
{
    /* everything after name/build: the offsets, RVAs and container kind */
    size_t from = offsetof(ss_nt_profile, pointer_size);
    ck_assert_mem_eq((const char *)a + from, (const char *)b + from, sizeof *a - from);
}

static const char *isf_path(const char *name, const ss_nt_profile *p, ss_test_isf_compress how)
{
    const char *path = ss_test_path(name);
    ck_assert_int_eq(ss_test_isf_write(path, p, &odd_meta, how), 0);
    return path;
}

START_TEST(isf_plain_xz_gz_give_the_layout)
{
    static const char *names[] = {"odd.json", "odd.json.xz", "odd.json.gz"};
    ss_nt_profile want = odd_profile(8, SS_NT_IMAGES_LIST);
    for (int how = 0; how < 3; how++) {
        const char *path = isf_path(names[how], &want, (ss_test_isf_compress)how);
        ss_nt_profile got;
        ss_nt_isf_info info;
        ss_error err = {0};
        ss_status st = ss_nt_profile_from_isf(path, &got, &info, &err);
        ck_assert_msg(st == SS_OK, "%s: %s", names[how], err.message);
        assert_same_layout(&got, &want);
        ck_assert_uint_eq(got.build, 30999);
        ck_assert_str_eq(got.name, "isf:ntkrnlmp.pdb");
        ck_assert_str_eq(info.pdb_name, "ntkrnlmp.pdb");
        ck_assert_str_eq(info.pdb_guid, "3844DBB920174967BE7AA4A2C20430FA");
        ck_assert_uint_eq(info.pdb_age, 3);
        ck_assert_uint_eq(info.build, 30999);
        /* an unknown build has no built-in table: the ISF is the route */
        ck_assert_int_eq(ss_nt_profile_builtin(info.build, got.pointer_size, &got, NULL), SS_E_UNSUPPORTED);
    }
    /* same names, other content: the container is sniffed, not taken from the name */
    ss_nt_profile tree = odd_profile(4, SS_NT_IMAGES_TREE);
    const char *path = isf_path("sniffed.json.gz", &tree, SS_TEST_ISF_XZ);
    ss_nt_profile got;
    ck_assert_int_eq(ss_nt_profile_from_isf(path, &got, NULL, NULL), SS_OK);
    assert_same_layout(&got, &tree);
    ck_assert_uint_eq(got.pointer_size, 4);
    ck_assert_int_eq(got.session_images, SS_NT_IMAGES_TREE);
}
END_TEST

START_TEST(isf_optional_fields_and_24h2_session)
{
    ss_nt_profile want = odd_profile(8, SS_NT_IMAGES_TREE);
    want.kprocess_user_directory_table_base = SS_NT_NO_FIELD;
    want.session_paged_pool_start = SS_NT_NO_FIELD;
    want.session_paged_pool_end = SS_NT_NO_FIELD;
    want.session_resident_process_count = SS_NT_NO_FIELD;
    want.sym_kd_debugger_data_block = SS_NT_NO_FIELD;
    const char *path = isf_path("optional.json", &want, SS_TEST_ISF_PLAIN);
    ss_nt_profile got;
    ss_error err;
    ck_assert_int_eq(ss_nt_profile_from_isf(path, &got, NULL, &err), SS_OK);
    assert_same_layout(&got, &want);

    /* 24H2-style: EPROCESS.Session points to an undescribed type, no _MM_SESSION_SPACE */
    ss_nt_profile b = builtin(26100, 8);
    b.sym_ps_active_process_head = 0xd1e2f0;
    path = isf_path("24h2.json.xz", &b, SS_TEST_ISF_XZ);
    ck_assert_int_eq(ss_nt_profile_from_isf(path, &got, NULL, &err), SS_OK);
    ck_assert_int_eq(got.session_images, SS_NT_IMAGES_NONE);
    ck_assert_uint_eq(got.session_session_id, 0x8);
    ck_assert_uint_eq(got.session_process_list, 0x10);
    ck_assert_uint_eq(got.eprocess_session, 0x2e8);
    ck_assert_uint_eq(got.sym_ps_active_process_head, 0xd1e2f0);

    /* a Windows 7 built-in round-trips through the writer and the reader */
    ss_nt_profile w7 = builtin(7601, 4);
    path = isf_path("w7.json", &w7, SS_TEST_ISF_GZ);
    ck_assert_int_eq(ss_nt_profile_from_isf(path, &got, NULL, &err), SS_OK);
    assert_same_layout(&got, &w7);
}
END_TEST

/* Writes the odd profile's JSON with the first `from` replaced by `to`, compressed as asked. */
static const char *edited(const char *name, const char *from, const char *to, ss_test_isf_compress how)
{
    ss_nt_profile p = odd_profile(8, SS_NT_IMAGES_LIST);
    char *json = ss_test_isf_json(&p, &odd_meta);
    ck_assert_ptr_nonnull(json);
    char *at = strstr(json, from);
    ck_assert_msg(at != NULL, "'%s' not in the ISF", from);
    size_t len = strlen(json) - strlen(from) + strlen(to);
    char *out = malloc(len + 1);
    memcpy(out, json, (size_t)(at - json));
    strcpy(out + (at - json), to);
    strcat(out, at + strlen(from));
    const char *path = ss_test_path(name);
    ck_assert_int_eq(ss_test_write_compressed(path, out, len, how), 0);
    free(json);
    free(out);
    return path;
}

static void assert_isf_error(const char *path, ss_status want, const char *const *words)
{
    ss_nt_profile p;
    memset(&p, 0x5a, sizeof p);
    ss_error err = {0};
    ss_status st = ss_nt_profile_from_isf(path, &p, NULL, &err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", path, ss_status_name(st), err.message,
                  ss_status_name(want));
    ck_assert_int_eq(err.status, want);
    for (; words && *words; words++)
        ck_assert_msg(strstr(err.message, *words) != NULL, "'%s' not in: %s", *words, err.message);
    ck_assert_uint_eq(p.version, 0x5a5a5a5au); /* nothing written on failure */
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

START_TEST(isf_bad_files)
{
    assert_isf_error(ss_check_spit("notjson.json", "hello, world", 12), SS_E_FORMAT,
                     WORDS("is not JSON", "line 1"));
    assert_isf_error(ss_check_spit("array.json", "[1, 2]", 6), SS_E_FORMAT, WORDS("not a Volatility 3 ISF"));
    assert_isf_error(ss_check_spit("nouser.json", "{\"metadata\": {}}", 16), SS_E_FORMAT,
                     WORDS("user_types"));
    assert_isf_error(ss_check_spit("badut.json", "{\"user_types\": 5}", 17), SS_E_CORRUPT,
                     WORDS("user_types"));
    assert_isf_error(ss_check_spit("empty.json", "", 0), SS_E_EMPTY, WORDS("empty"));
    assert_isf_error(ss_test_path("no-such-file.json"), SS_E_NOT_FOUND, WORDS("no-such-file.json"));
    const char *dir = ss_test_path("isf-dir.json");
    mkdir(dir, 0700);
    assert_isf_error(dir, SS_E_IS_DIR, WORDS("directory"));

    /* missing structure, missing field, field of the wrong type */
    assert_isf_error(edited("nostruct.json", "\"_EPROCESS\": {", "\"_EPROCESS_X\": {", SS_TEST_ISF_PLAIN),
                     SS_E_UNSUPPORTED, WORDS("no structure _EPROCESS"));
    assert_isf_error(
        edited("nofield.json.xz", "\"SessionProcessLinks\"", "\"SessionProcessLinkz\"", SS_TEST_ISF_XZ),
        SS_E_UNSUPPORTED, WORDS("_EPROCESS", "SessionProcessLinks"));
    assert_isf_error(edited("noimages.json", "\"ImageList\"", "\"ImageLizt\"", SS_TEST_ISF_PLAIN),
                     SS_E_UNSUPPORTED, WORDS("_MM_SESSION_SPACE", "ImageList", "ImageTree"));
    {
        /* LastAddress is optional (images listed by base only, as in the built-in
         * Windows 10 layouts); Address is not. */
        ss_nt_profile p;
        ss_error e;
        ck_assert_int_eq(
            ss_nt_profile_from_isf(
                edited("nolast.json", "\"LastAddress\"", "\"LastAddrezz\"", SS_TEST_ISF_PLAIN), &p, NULL, &e),
            SS_OK);
        ck_assert_uint_eq(p.image_last_address, SS_NT_NO_FIELD);
        ck_assert_uint_eq(p.image_address, odd_profile(8, SS_NT_IMAGES_LIST).image_address);
    }
    assert_isf_error(edited("noaddr.json", "\"Address\"", "\"Addrezz\"", SS_TEST_ISF_PLAIN), SS_E_UNSUPPORTED,
                     WORDS("_IMAGE_ENTRY_IN_SESSION", "Address"));
    {
        /* No _IMAGE_ENTRY_IN_SESSION type (as in Windows 10 kernel symbols): accepted,
         * with the session image list reported as not described. */
        ss_nt_profile p;
        ss_error e;
        const char *path = edited("noimageentry.json", "\"_IMAGE_ENTRY_IN_SESSION\": {",
                                  "\"_IMAGE_ENTRY_IN_SESSION_X\": {", SS_TEST_ISF_PLAIN);
        ck_assert_int_eq(ss_nt_profile_from_isf(path, &p, NULL, &e), SS_OK);
        ck_assert_int_eq(p.session_images, SS_NT_IMAGES_NONE);
        ck_assert_uint_eq(p.session_image_list, SS_NT_NO_FIELD);
        ck_assert_uint_eq(p.session_process_list, odd_profile(8, SS_NT_IMAGES_LIST).session_process_list);
    }
    assert_isf_error(edited("noldr.json", "\"_KLDR_DATA_TABLE_ENTRY\": {", "\"_XLDR_DATA_TABLE_ENTRY\": {",
                            SS_TEST_ISF_PLAIN),
                     SS_E_UNSUPPORTED, WORDS("_KLDR_DATA_TABLE_ENTRY"));
    assert_isf_error(edited("strofs.json", "\"UniqueProcessId\": {\"offset\": 1224",
                            "\"UniqueProcessId\": {\"offset\": \"1224\"", SS_TEST_ISF_GZ),
                     SS_E_CORRUPT, WORDS("_EPROCESS.fields.UniqueProcessId.offset"));
    assert_isf_error(edited("negofs.json", "\"ImageFileName\": {\"offset\": 1776",
                            "\"ImageFileName\": {\"offset\": -8", SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("ImageFileName"));
    assert_isf_error(edited("strfield.json", "\"Session\": {\"offset\": 1552",
                            "\"Session\": 1552, \"x\": {\"o\": 1", SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("_EPROCESS.fields.Session"));
    assert_isf_error(edited("badtype.json", "\"DirectoryTableBase\": {\"offset\": 56, \"type\": {",
                            "\"DirectoryTableBase\": {\"offset\": 56, \"type\": 7, \"t\": {",
                            SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("DirectoryTableBase.type"));
    assert_isf_error(edited("noptr.json", "\"pointer\": {", "\"pointerx\": {", SS_TEST_ISF_PLAIN),
                     SS_E_UNSUPPORTED, WORDS("pointer"));
    assert_isf_error(edited("ptr3.json",
                            "\"size\": 8, \"signed\": false, \"endian\": \"little\"},\n    \"unsigned long\"",
                            "\"size\": 3, \"signed\": false, \"endian\": \"little\"},\n    \"unsigned long\"",
                            SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("base_types.pointer.size"));
    assert_isf_error(edited("badguid.json", "3844dbb9-2017", "3844dbz9-2017", SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("GUID"));
    assert_isf_error(edited("badsym.json", "\"PsActiveProcessHead\": {\"address\": 12706720",
                            "\"PsActiveProcessHead\": {\"address\": -1", SS_TEST_ISF_PLAIN),
                     SS_E_CORRUPT, WORDS("PsActiveProcessHead"));

    /* Windows 7 symbols name the loader entry _LDR_DATA_TABLE_ENTRY: accepted */
    const char *path = edited("ldr.json", "\"_KLDR_DATA_TABLE_ENTRY\": {", "\"_LDR_DATA_TABLE_ENTRY\": {",
                              SS_TEST_ISF_PLAIN);
    ss_nt_profile got;
    ck_assert_int_eq(ss_nt_profile_from_isf(path, &got, NULL, NULL), SS_OK);
    ck_assert_uint_eq(got.ldr_base_dll_name, 0x60);
    ck_assert_int_eq(ss_nt_profile_from_isf(NULL, &got, NULL, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_nt_profile_from_isf(path, NULL, NULL, NULL), SS_E_INVALID_ARG);
}
END_TEST

START_TEST(isf_damaged_and_oversized_compression)
{
    ss_nt_profile p = odd_profile(8, SS_NT_IMAGES_LIST);
    for (int how = SS_TEST_ISF_XZ; how <= SS_TEST_ISF_GZ; how++) {
        const char *path =
            isf_path(how == SS_TEST_ISF_XZ ? "cut.json.xz" : "cut.json.gz", &p, (ss_test_isf_compress)how);
        size_t len;
        uint8_t *data = ss_check_slurp(path, &len);
        /* truncated: the first half of the stream */
        const char *cut =
            ss_check_spit(how == SS_TEST_ISF_XZ ? "half.json.xz" : "half.json.gz", data, len / 2);
        assert_isf_error(cut, SS_E_TRUNCATED, WORDS(how == SS_TEST_ISF_XZ ? "xz" : "gzip", "ends early"));
        /* damaged: bytes in the middle of the compressed data flipped */
        for (size_t i = len / 2; i < len / 2 + 8; i++)
            data[i] ^= 0xa5;
        const char *bad = ss_check_spit(how == SS_TEST_ISF_XZ ? "bad.json.xz" : "bad.json.gz", data, len);
        assert_isf_error(bad, SS_E_CORRUPT, WORDS(how == SS_TEST_ISF_XZ ? "xz" : "gzip"));
        free(data);

        /* a bound below the decompressed size refuses the file with a specific message */
        ss_nt_profile got;
        ss_error err = {0};
        ck_assert_int_eq(ss_nt_isf_load_bounded(path, 1000, &got, NULL, &err), SS_E_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(err.message, "1000-byte limit"));
        ck_assert_int_eq(ss_nt_isf_load_bounded(path, SS_NT_ISF_MAX_BYTES, &got, NULL, &err), SS_OK);
    }
    /* a plain file larger than the bound */
    const char *plain = isf_path("big.json", &p, SS_TEST_ISF_PLAIN);
    ss_nt_profile got;
    ss_error err = {0};
    ck_assert_int_eq(ss_nt_isf_load_bounded(plain, 1000, &got, NULL, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "1000-byte limit"));
    ck_assert_uint_eq(SS_NT_ISF_MAX_BYTES, 512u << 20);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nt_profile");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, builtin_lookup_by_build_and_pointer_size);
    tcase_add_test(tc, builtin_offsets_cross_checked);
    tcase_add_test(tc, unknown_builds_are_refused_with_the_isf_route);
    tcase_add_test(tc, caller_filled_profile_is_checked);
    tcase_add_test(tc, isf_plain_xz_gz_give_the_layout);
    tcase_add_test(tc, isf_optional_fields_and_24h2_session);
    tcase_add_test(tc, isf_bad_files);
    tcase_add_test(tc, isf_damaged_and_oversized_compression);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ss_run_suite(suite());
}
