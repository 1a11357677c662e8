/* Writes Volatility 3 ISF symbol files from structure profiles (see isfwriter.h). */
#include "isfwriter.h"

#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        if (b->failed)
            return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap : 4096) * 2 + (size_t)n;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

typedef struct fld {
    const char *name;
    unsigned off;
    const char *type; /* JSON of the type object */
} fld;

#define ULL "{\"kind\": \"base\", \"name\": \"unsigned long long\"}"
#define UL  "{\"kind\": \"base\", \"name\": \"unsigned long\"}"
#define LE  "{\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}"
#define PTR "{\"kind\": \"pointer\", \"subtype\": {\"kind\": \"base\", \"name\": \"void\"}}"

static void emit_struct(sbuf *b, const char *name, const fld *f, size_t n, int *first)
{
    unsigned size = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].off != SS_NT_NO_FIELD && f[i].off + 16 > size)
            size = f[i].off + 16;
    sb_printf(b, "%s\n    \"%s\": {\"kind\": \"struct\", \"size\": %u, \"fields\": {", *first ? "" : ",",
              name, size);
    *first = 0;
    int ff = 1;
    for (size_t i = 0; i < n; i++) {
        if (f[i].off == SS_NT_NO_FIELD)
            continue;
        sb_printf(b, "%s\n      \"%s\": {\"offset\": %u, \"type\": %s}", ff ? "" : ",", f[i].name, f[i].off,
                  f[i].type);
        ff = 0;
    }
    sb_printf(b, "\n    }}");
}

char *ss_test_isf_json(const ss_nt_profile *p, const ss_test_isf_meta *meta)
{
    if (!p || (p->pointer_size != 4 && p->pointer_size != 8))
        return NULL;
    int opaque = p->session_images == SS_NT_IMAGES_NONE;
    if (opaque && (p->session_session_id != 0x8 || p->session_process_list != 0x10))
        return NULL;
    sbuf b = {0};
    sb_printf(&b,
              "{\n  \"metadata\": {\"format\": \"6.2.0\", \"producer\": {\"name\": \"sessionspace-tests\", "
              "\"version\": \"1\"}");
    if (meta) {
        sb_printf(&b, ", \"windows\": {");
        int first = 1;
        if (meta->build) {
            sb_printf(&b, "\"major\": 10, \"minor\": 0, \"build\": %u", meta->build);
            first = 0;
        }
        if (meta->pdb_name || meta->pdb_guid) {
            sb_printf(&b, "%s\"pdb\": {\"age\": %u", first ? "" : ", ", meta->pdb_age);
            if (meta->pdb_name)
                sb_printf(&b, ", \"database\": \"%s\"", meta->pdb_name);
            if (meta->pdb_guid)
                sb_printf(&b, ", \"GUID\": \"%s\", \"machine_type\": %u", meta->pdb_guid,
                          p->pointer_size == 8 ? 34404u : 332u);
            sb_printf(&b, "}");
        }
        sb_printf(&b, "}");
    }
    sb_printf(
        &b,
        "},\n  \"base_types\": {\n"
        "    \"pointer\": {\"kind\": \"int\", \"size\": %u, \"signed\": false, \"endian\": \"little\"},\n"
        "    \"unsigned long\": {\"kind\": \"int\", \"size\": 4, \"signed\": false, \"endian\": "
        "\"little\"},\n"
        "    \"unsigned long long\": {\"kind\": \"int\", \"size\": 8, \"signed\": false, \"endian\": "
        "\"little\"}\n  },\n  \"user_types\": {",
        p->pointer_size);
    int first = 1;
    fld kp[] = {{"DirectoryTableBase", p->kprocess_directory_table_base, ULL},
                {"UserDirectoryTableBase", p->kprocess_user_directory_table_base, ULL}};
    emit_struct(&b, "_KPROCESS", kp, 2, &first);
    const char *session_ptr =
        opaque
            ? "{\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_PSP_SESSION_SPACE\"}}"
            : "{\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_MM_SESSION_SPACE\"}}";
    fld ep[] = {
        {"Pcb", 0, "{\"kind\": \"struct\", \"name\": \"_KPROCESS\"}"},
        {"UniqueProcessId", p->eprocess_unique_process_id, PTR},
        {"ActiveProcessLinks", p->eprocess_active_process_links, LE},
        {"ImageFileName", p->eprocess_image_file_name,
         "{\"kind\": \"array\", \"count\": 15, \"subtype\": {\"kind\": \"base\", \"name\": \"unsigned "
         "char\"}}"},
        {"Session", p->eprocess_session, session_ptr},
        {"SessionProcessLinks", p->eprocess_session_process_links, LE}};
    emit_struct(&b, "_EPROCESS", ep, sizeof ep / sizeof ep[0], &first);
    if (!opaque) {
        int list = p->session_images == SS_NT_IMAGES_LIST;
        fld ss[] = {{"SessionId", p->session_session_id, UL},
                    {"ProcessList", p->session_process_list, LE},
                    {list ? "ImageList" : "ImageTree", p->session_image_list,
                     list ? LE : "{\"kind\": \"struct\", \"name\": \"_RTL_AVL_TREE\"}"},
                    {"PagedPoolStart", p->session_paged_pool_start, PTR},
                    {"PagedPoolEnd", p->session_paged_pool_end, PTR},
                    {"NonPagablePages", p->session_non_pagable_pages, ULL},
                    {"CommittedPages", p->session_committed_pages, ULL},
                    {"ResidentProcessCount", p->session_resident_process_count, UL}};
        emit_struct(&b, "_MM_SESSION_SPACE", ss, sizeof ss / sizeof ss[0], &first);
        fld ie[] = {
            {"Link", p->image_link, list ? LE : "{\"kind\": \"struct\", \"name\": \"_RTL_BALANCED_NODE\"}"},
            {"Address", p->image_address, PTR},
            {"LastAddress", p->image_last_address, PTR},
            {"DataTableEntry", p->image_data_table_entry,
             "{\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": "
             "\"_KLDR_DATA_TABLE_ENTRY\"}}"}};
        emit_struct(&b, "_IMAGE_ENTRY_IN_SESSION", ie, sizeof ie / sizeof ie[0], &first);
        fld ld[] = {
            {"DllBase", p->ldr_dll_base, PTR},
            {"SizeOfImage", p->ldr_size_of_image, UL},
            {"BaseDllName", p->ldr_base_dll_name, "{\"kind\": \"struct\", \"name\": \"_UNICODE_STRING\"}"}};
        emit_struct(&b, "_KLDR_DATA_TABLE_ENTRY", ld, sizeof ld / sizeof ld[0], &first);
    }
    sb_printf(&b, "\n  },\n  \"enums\": {},\n  \"symbols\": {");
    struct {
        const char *name;
        unsigned rva;
    } sy[] = {{"PsActiveProcessHead", p->sym_ps_active_process_head},
              {"PsLoadedModuleList", p->sym_ps_loaded_module_list},
              {"KdDebuggerDataBlock", p->sym_kd_debugger_data_block}};
    int sf = 1;
    for (size_t i = 0; i < 3; i++) {
        if (sy[i].rva == SS_NT_NO_FIELD)
            continue;
        sb_printf(&b, "%s\n    \"%s\": {\"address\": %u}", sf ? "" : ",", sy[i].name, sy[i].rva);
        sf = 0;
    }
    sb_printf(&b, "\n  }\n}\n");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static int write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int ss_test_write_compressed(const char *path, const void *data, size_t len, ss_test_isf_compress how)
{
    if (how == SS_TEST_ISF_PLAIN)
        return write_all(path, data, len);
    size_t cap = len + len / 2 + 1024;
    unsigned char *out = malloc(cap);
    if (!out)
        return -1;
    size_t n = 0;
    int rc = -1;
    if (how == SS_TEST_ISF_XZ) {
        if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, data, len, out, &n, cap) == LZMA_OK)
            rc = 0;
    } else if (how == SS_TEST_ISF_GZ) {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
            zs.next_in = (Bytef *)(uintptr_t)data;
            zs.avail_in = (uInt)len;
            zs.next_out = out;
            zs.avail_out = (uInt)cap;
            if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
                n = zs.total_out;
                rc = 0;
            }
            deflateEnd(&zs);
        }
    }
    if (rc == 0)
        rc = write_all(path, out, n);
    free(out);
    return rc;
}

int ss_test_isf_write(const char *path, const ss_nt_profile *p, const ss_test_isf_meta *meta,
                      ss_test_isf_compress how)
{
    char *json = ss_test_isf_json(p, meta);
    if (!json)
        return -1;
    int rc = ss_test_write_compressed(path, json, strlen(json), how);
    free(json);
    return rc;
}
