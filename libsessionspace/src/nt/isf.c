/*
 * Volatility 3 ISF ("Intermediate Symbol Format") reader: fills a profile from the
 * JSON symbol file of one kernel build.
 *
 * The format (volatility3/schemas/schema-6.2.0.json): a JSON object with
 *   "metadata":   {"windows": {"pdb": {"database", "GUID", "age"}, "major"?, "minor"?, "build"?}, ...}
 *   "base_types": {"pointer": {"size", "signed", "kind", "endian"}, ...}
 *   "user_types": {"_EPROCESS": {"kind", "size", "fields": {"Pcb": {"offset", "type"}, ...}}, ...}
 *   "symbols":    {"PsActiveProcessHead": {"address"}, ...}   (addresses are image RVAs)
 * The file may be plain, xz- or gzip-compressed; the container is recognised by its
 * magic bytes (xz: FD 37 7A 58 5A 00, gzip: 1F 8B). JSON parsing is jansson's.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_SS_DEP_ZLIB
#include <zlib.h>
#endif

#include "profile_internal.h"

/* ---- reading and decompressing ------------------------------------------------ */

typedef struct buf {
    unsigned char *data;
    size_t len, cap;
} buf;

/* Grows b to hold at least `want` bytes, never past max (+1 so overflow is detectable). */
static int buf_reserve(buf *b, size_t want, size_t max)
{
    if (want <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > max + 1)
        cap = max + 1;
    if (cap < want)
        return 0;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
        return 0;
    b->data = d;
    b->cap = cap;
    return 1;
}

static ss_status read_file(const char *path, size_t max, buf *out, ss_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return ss_nt_fail(err, SS_E_NOT_FOUND, "ISF %s: no such file", path);
        return ss_nt_fail(err, SS_E_IO, "ISF %s: cannot open: %s", path, strerror(e));
    }
    struct stat stbuf;
    if (fstat(fd, &stbuf) != 0) {
        int e = errno;
        close(fd);
        return ss_nt_fail(err, SS_E_IO, "ISF %s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(stbuf.st_mode)) {
        close(fd);
        return ss_nt_fail(err, SS_E_IS_DIR, "ISF %s is a directory, not a symbol file", path);
    }
    if (stbuf.st_size == 0) {
        close(fd);
        return ss_nt_fail(err, SS_E_EMPTY, "ISF %s is empty", path);
    }
    if ((uint64_t)stbuf.st_size > max) {
        close(fd);
        return ss_nt_fail(err, SS_E_UNSUPPORTED, "ISF %s: %lld bytes, more than the %zu-byte limit", path,
                          (long long)stbuf.st_size, max);
    }
    size_t size = (size_t)stbuf.st_size;
    if (!buf_reserve(out, size, max)) {
        close(fd);
        return ss_nt_fail(err, SS_E_NOMEM, "ISF %s: cannot allocate %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, out->data + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            close(fd);
            return ss_nt_fail(err, SS_E_IO, "ISF %s: read failed at byte %zu: %s", path, got, strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    out->len = got;
    return SS_OK;
}

static ss_status too_big(const char *path, const char *what, size_t max, ss_error *err)
{
    return ss_nt_fail(err, SS_E_UNSUPPORTED,
                      "ISF %s: the %s stream decompresses to more than the %zu-byte limit", path, what, max);
}

static ss_status unxz(const char *path, const buf *in, size_t max, buf *out, ss_error *err)
{
    lzma_stream zs = LZMA_STREAM_INIT;
    /* 256 MiB of decoder memory is far beyond what xz -9 needs (~65 MiB). */
    if (lzma_stream_decoder(&zs, (uint64_t)256 << 20, LZMA_CONCATENATED) != LZMA_OK)
        return ss_nt_fail(err, SS_E_NOMEM, "ISF %s: cannot start the xz decoder", path);
    zs.next_in = in->data;
    zs.avail_in = in->len;
    ss_status st = SS_OK;
    for (;;) {
        if (out->len == out->cap && !buf_reserve(out, out->cap + 1, max)) {
            st = out->cap > max ? too_big(path, "xz", max, err)
                                : ss_nt_fail(err, SS_E_NOMEM, "ISF %s: out of memory decompressing", path);
            break;
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = out->cap - out->len;
        lzma_ret r = lzma_code(&zs, LZMA_FINISH);
        out->len = out->cap - zs.avail_out;
        if (out->len > max) {
            st = too_big(path, "xz", max, err);
            break;
        }
        if (r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK)
            continue;
        if (r == LZMA_BUF_ERROR)
            st = ss_nt_fail(err, SS_E_TRUNCATED, "ISF %s: the xz stream ends early (after %zu input bytes)",
                            path, in->len);
        else if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR)
            st = ss_nt_fail(err, SS_E_NOMEM, "ISF %s: the xz decoder ran out of memory", path);
        else
            st = ss_nt_fail(err, SS_E_CORRUPT, "ISF %s: damaged xz data (liblzma error %d at input byte %zu)",
                            path, (int)r, in->len - zs.avail_in);
        break;
    }
    lzma_end(&zs);
    return st;
}

static ss_status ungzip(const char *path, const buf *in, size_t max, buf *out, ss_error *err)
{
#ifdef HAVE_SS_DEP_ZLIB
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) /* 15 + 16: a gzip wrapper, not zlib */
        return ss_nt_fail(err, SS_E_NOMEM, "ISF %s: cannot start the gzip decoder", path);
    ss_status st = SS_OK;
    size_t consumed = 0;
    for (;;) {
        if (out->len == out->cap && !buf_reserve(out, out->cap + 1, max)) {
            st = out->cap > max ? too_big(path, "gzip", max, err)
                                : ss_nt_fail(err, SS_E_NOMEM, "ISF %s: out of memory decompressing", path);
            break;
        }
        /* zlib counts in uInt: feed at most 1 GiB at a time. */
        size_t in_left = in->len - consumed, out_left = out->cap - out->len;
        zs.next_in = in->data + consumed;
        zs.avail_in = (uInt)(in_left > (1u << 30) ? (1u << 30) : in_left);
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)(out_left > (1u << 30) ? (1u << 30) : out_left);
        uInt in0 = zs.avail_in, out0 = zs.avail_out;
        int r = inflate(&zs, Z_NO_FLUSH);
        consumed += in0 - zs.avail_in;
        out->len += out0 - zs.avail_out;
        if (out->len > max) {
            st = too_big(path, "gzip", max, err);
            break;
        }
        if (r == Z_STREAM_END)
            break;
        if (r == Z_OK)
            continue;
        if (r == Z_BUF_ERROR && consumed == in->len)
            st = ss_nt_fail(err, SS_E_TRUNCATED, "ISF %s: the gzip stream ends early (after %zu input bytes)",
                            path, in->len);
        else if (r == Z_MEM_ERROR)
            st = ss_nt_fail(err, SS_E_NOMEM, "ISF %s: the gzip decoder ran out of memory", path);
        else
            st = ss_nt_fail(err, SS_E_CORRUPT, "ISF %s: damaged gzip data (%s at input byte %zu)", path,
                            zs.msg ? zs.msg : "zlib error", consumed);
        break;
    }
    inflateEnd(&zs);
    return st;
#else
    (void)in;
    (void)max;
    (void)out;
    return ss_nt_fail(err, SS_E_UNSUPPORTED,
                      "ISF %s is gzip-compressed, but this build has no zlib: decompress it", path);
#endif
}

/* ---- ISF members ---------------------------------------------------------------- */

typedef struct isf {
    const char *path;
    json_t *user_types;
    ss_error *err;
} isf;

/* user_types[name] as an object, or NULL when absent; a non-object is corrupt. */
static ss_status find_struct(const isf *f, const char *name, json_t **out)
{
    json_t *t = json_object_get(f->user_types, name);
    *out = NULL;
    if (!t)
        return SS_OK;
    if (!json_is_object(t))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: user_types.%s is not an object", f->path, name);
    json_t *fields = json_object_get(t, "fields");
    if (!json_is_object(fields))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: user_types.%s.fields is missing or not an object",
                          f->path, name);
    *out = t;
    return SS_OK;
}

/* The field object user_types[sname].fields[fname], or NULL when absent. */
static ss_status find_field(const isf *f, json_t *st, const char *sname, const char *fname, json_t **out)
{
    json_t *fl = json_object_get(json_object_get(st, "fields"), fname);
    *out = NULL;
    if (!fl)
        return SS_OK;
    if (!json_is_object(fl))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: user_types.%s.fields.%s is not an object", f->path,
                          sname, fname);
    json_t *ty = json_object_get(fl, "type");
    if (ty && !json_is_object(ty))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: user_types.%s.fields.%s.type is not an object",
                          f->path, sname, fname);
    *out = fl;
    return SS_OK;
}

/*
 * Reads the offset of sname.fname into *dst. A missing field leaves SS_NT_NO_FIELD and
 * is an error only when `required`; a present one must be an integer in [0, 0x10000).
 */
static ss_status get_offset(const isf *f, json_t *st, const char *sname, const char *fname, int required,
                            uint32_t *dst)
{
    json_t *fl;
    ss_status s = find_field(f, st, sname, fname, &fl);
    *dst = SS_NT_NO_FIELD;
    if (s != SS_OK)
        return s;
    if (!fl) {
        if (required)
            return ss_nt_fail(f->err, SS_E_UNSUPPORTED,
                              "ISF %s: structure %s has no field %s, which the model needs", f->path, sname,
                              fname);
        return SS_OK;
    }
    json_t *off = json_object_get(fl, "offset");
    if (!json_is_integer(off))
        return ss_nt_fail(f->err, SS_E_CORRUPT,
                          "ISF %s: user_types.%s.fields.%s.offset is %s, not an integer", f->path, sname,
                          fname, off ? "of another type" : "missing");
    json_int_t v = json_integer_value(off);
    if (v < 0 || v >= 0x10000)
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: %s.%s offset %lld is outside any kernel structure",
                          f->path, sname, fname, (long long)v);
    *dst = (uint32_t)v;
    return SS_OK;
}

static ss_status need_struct(const isf *f, const char *name, const char *why, json_t **out)
{
    ss_status s = find_struct(f, name, out);
    if (s == SS_OK && !*out)
        return ss_nt_fail(f->err, SS_E_UNSUPPORTED, "ISF %s: no structure %s (needed for %s)", f->path, name,
                          why);
    return s;
}

/* The struct name a pointer field points to ("" when the type is not a struct pointer). */
static const char *pointee_name(json_t *field)
{
    json_t *ty = json_object_get(field, "type");
    if (!json_is_string(json_object_get(ty, "kind")) ||
        strcmp(json_string_value(json_object_get(ty, "kind")), "pointer"))
        return "";
    json_t *sub = json_object_get(ty, "subtype");
    const char *n = json_string_value(json_object_get(sub, "name"));
    return n ? n : "";
}

static ss_status get_u32(const isf *f, json_t *obj, const char *key, const char *where, uint32_t *dst)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return SS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xffffffffll)
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: %s.%s is not a 32-bit unsigned integer", f->path,
                          where, key);
    *dst = (uint32_t)json_integer_value(v);
    return SS_OK;
}

static ss_status read_metadata(const isf *f, json_t *root, ss_nt_isf_info *info)
{
    memset(info, 0, sizeof *info);
    json_t *meta = json_object_get(root, "metadata");
    if (meta && !json_is_object(meta))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: metadata is not an object", f->path);
    json_t *win = json_object_get(meta, "windows");
    if (!win)
        return SS_OK;
    if (!json_is_object(win))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: metadata.windows is not an object", f->path);
    ss_status s = get_u32(f, win, "build", "metadata.windows", &info->build);
    if (s != SS_OK)
        return s;
    json_t *pdb = json_object_get(win, "pdb");
    if (!pdb)
        return SS_OK;
    if (!json_is_object(pdb))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: metadata.windows.pdb is not an object", f->path);
    json_t *db = json_object_get(pdb, "database");
    if (db) {
        if (!json_is_string(db) || strlen(json_string_value(db)) >= sizeof info->pdb_name)
            return ss_nt_fail(f->err, SS_E_CORRUPT,
                              "ISF %s: metadata.windows.pdb.database is not a short string", f->path);
        strcpy(info->pdb_name, json_string_value(db));
    }
    json_t *guid = json_object_get(pdb, "GUID");
    if (guid) {
        const char *g = json_is_string(guid) ? json_string_value(guid) : NULL;
        size_t n = 0;
        for (; g && *g && n <= 32; g++) {
            if (*g == '-' || *g == '{' || *g == '}')
                continue;
            if (!((*g >= '0' && *g <= '9') || (*g >= 'a' && *g <= 'f') || (*g >= 'A' && *g <= 'F')))
                break;
            info->pdb_guid[n++] = (char)(*g >= 'a' ? *g - 'a' + 'A' : *g);
        }
        if (!g || *g || n != 32) {
            info->pdb_guid[0] = 0;
            return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: metadata.windows.pdb.GUID is not 32 hex digits",
                              f->path);
        }
        info->pdb_guid[32] = 0;
    }
    return get_u32(f, pdb, "age", "metadata.windows.pdb", &info->pdb_age);
}

static ss_status read_symbol(const isf *f, json_t *symbols, const char *name, uint32_t *dst)
{
    json_t *s = json_object_get(symbols, name);
    *dst = SS_NT_NO_FIELD;
    if (!s)
        return SS_OK;
    json_t *a = json_is_object(s) ? json_object_get(s, "address") : NULL;
    if (!json_is_integer(a) || json_integer_value(a) < 0 || json_integer_value(a) >= 0xffffffffll)
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: symbols.%s.address is not an image RVA", f->path,
                          name);
    *dst = (uint32_t)json_integer_value(a);
    return SS_OK;
}

#define TRY(x)                                                                                               \
    do {                                                                                                     \
        ss_status try_st_ = (x);                                                                             \
        if (try_st_ != SS_OK)                                                                                \
            return try_st_;                                                                                  \
    } while (0)

static ss_status fill_profile(const isf *f, json_t *root, const ss_nt_isf_info *info, ss_nt_profile *p)
{
    ss_nt_profile_init(p, SS_NT_PROFILE_VERSION);
    p->build = info->build;
    snprintf(p->name, sizeof p->name, "isf:%.43s", info->pdb_name[0] ? info->pdb_name : "kernel");

    /* Pointer size: base_types.pointer.size. */
    json_t *bt = json_object_get(root, "base_types");
    if (!json_is_object(bt))
        return ss_nt_fail(f->err, SS_E_FORMAT, "ISF %s: no base_types object: not a Volatility 3 ISF file",
                          f->path);
    json_t *ptr = json_object_get(bt, "pointer");
    if (!ptr)
        return ss_nt_fail(f->err, SS_E_UNSUPPORTED,
                          "ISF %s: base_types has no pointer (needed for the pointer size)", f->path);
    json_t *psz = json_is_object(ptr) ? json_object_get(ptr, "size") : NULL;
    if (!json_is_integer(psz) || (json_integer_value(psz) != 4 && json_integer_value(psz) != 8))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: base_types.pointer.size is not 4 or 8", f->path);
    p->pointer_size = (uint32_t)json_integer_value(psz);

    json_t *kp, *ep, *ss = NULL, *ie, *ldr;
    TRY(need_struct(f, "_KPROCESS", "the page-table root of a process", &kp));
    TRY(get_offset(f, kp, "_KPROCESS", "DirectoryTableBase", 1, &p->kprocess_directory_table_base));
    TRY(get_offset(f, kp, "_KPROCESS", "UserDirectoryTableBase", 0, &p->kprocess_user_directory_table_base));

    TRY(need_struct(f, "_EPROCESS", "the process list", &ep));
    TRY(get_offset(f, ep, "_EPROCESS", "UniqueProcessId", 1, &p->eprocess_unique_process_id));
    TRY(get_offset(f, ep, "_EPROCESS", "ActiveProcessLinks", 1, &p->eprocess_active_process_links));
    TRY(get_offset(f, ep, "_EPROCESS", "ImageFileName", 1, &p->eprocess_image_file_name));
    TRY(get_offset(f, ep, "_EPROCESS", "Session", 1, &p->eprocess_session));
    TRY(get_offset(f, ep, "_EPROCESS", "SessionProcessLinks", 1, &p->eprocess_session_process_links));

    TRY(find_struct(f, "_MM_SESSION_SPACE", &ss));
    if (!ss) {
        /* Windows 11 24H2: EPROCESS.Session points to an opaque _PSP_SESSION_SPACE whose
         * SessionId is at 0x8 and ProcessList at 0x10 (issue 9); anything still typed as
         * _MM_SESSION_SPACE needs that structure. */
        json_t *sf;
        TRY(find_field(f, ep, "_EPROCESS", "Session", &sf));
        const char *to = pointee_name(sf);
        if (!*to || !strcmp(to, "_MM_SESSION_SPACE"))
            return ss_nt_fail(f->err, SS_E_UNSUPPORTED,
                              "ISF %s: no structure _MM_SESSION_SPACE (needed for SessionId and ProcessList)",
                              f->path);
        p->session_session_id = 0x8;
        p->session_process_list = 0x10;
        p->session_images = SS_NT_IMAGES_NONE;
    } else {
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "SessionId", 1, &p->session_session_id));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "ProcessList", 1, &p->session_process_list));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "PagedPoolStart", 0, &p->session_paged_pool_start));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "PagedPoolEnd", 0, &p->session_paged_pool_end));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "NonPagablePages", 0, &p->session_non_pagable_pages));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "CommittedPages", 0, &p->session_committed_pages));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "ResidentProcessCount", 0,
                       &p->session_resident_process_count));
        TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "ImageList", 0, &p->session_image_list));
        if (p->session_image_list != SS_NT_NO_FIELD) {
            p->session_images = SS_NT_IMAGES_LIST;
        } else {
            TRY(get_offset(f, ss, "_MM_SESSION_SPACE", "ImageTree", 0, &p->session_image_list));
            if (p->session_image_list == SS_NT_NO_FIELD)
                return ss_nt_fail(
                    f->err, SS_E_UNSUPPORTED,
                    "ISF %s: structure _MM_SESSION_SPACE has neither field ImageList nor ImageTree, "
                    "which the model needs",
                    f->path);
            p->session_images = SS_NT_IMAGES_TREE;
        }

        /*
         * Windows 10+ kernel symbols may not describe _IMAGE_ENTRY_IN_SESSION at all
         * (readers that list session images hard-code it). Its absence costs only the
         * image list: the profile says so (SS_NT_IMAGES_NONE) and the model reports
         * the images as not described, rather than refusing the whole ISF.
         */
        TRY(find_struct(f, "_IMAGE_ENTRY_IN_SESSION", &ie));
        if (!ie) {
            p->session_images = SS_NT_IMAGES_NONE;
            p->session_image_list = SS_NT_NO_FIELD;
            goto symbols;
        }
        /* The list link is "Link"; a tree entry's node may carry another name. */
        TRY(get_offset(f, ie, "_IMAGE_ENTRY_IN_SESSION", "Link", 0, &p->image_link));
        if (p->image_link == SS_NT_NO_FIELD)
            TRY(get_offset(f, ie, "_IMAGE_ENTRY_IN_SESSION", "Node", 0, &p->image_link));
        if (p->image_link == SS_NT_NO_FIELD)
            return ss_nt_fail(
                f->err, SS_E_UNSUPPORTED,
                "ISF %s: structure _IMAGE_ENTRY_IN_SESSION has no field Link, which the model needs",
                f->path);
        TRY(get_offset(f, ie, "_IMAGE_ENTRY_IN_SESSION", "Address", 1, &p->image_address));
        /* Without LastAddress / DataTableEntry the images are listed by base only (as the
         * built-in Windows 10 layouts are): optional, like the pool counters. */
        TRY(get_offset(f, ie, "_IMAGE_ENTRY_IN_SESSION", "LastAddress", 0, &p->image_last_address));
        TRY(get_offset(f, ie, "_IMAGE_ENTRY_IN_SESSION", "DataTableEntry", 0, &p->image_data_table_entry));

        /* Windows 7's symbols call the kernel's loader entry _LDR_DATA_TABLE_ENTRY. */
        const char *ln = "_KLDR_DATA_TABLE_ENTRY";
        TRY(find_struct(f, ln, &ldr));
        if (!ldr) {
            ln = "_LDR_DATA_TABLE_ENTRY";
            TRY(find_struct(f, ln, &ldr));
        }
        if (!ldr)
            return ss_nt_fail(f->err, SS_E_UNSUPPORTED,
                              "ISF %s: no structure _KLDR_DATA_TABLE_ENTRY (needed for session image names)",
                              f->path);
        TRY(get_offset(f, ldr, ln, "DllBase", 1, &p->ldr_dll_base));
        TRY(get_offset(f, ldr, ln, "SizeOfImage", 1, &p->ldr_size_of_image));
        TRY(get_offset(f, ldr, ln, "BaseDllName", 1, &p->ldr_base_dll_name));
    }

symbols:;
    json_t *syms = json_object_get(root, "symbols");
    if (syms && !json_is_object(syms))
        return ss_nt_fail(f->err, SS_E_CORRUPT, "ISF %s: symbols is not an object", f->path);
    TRY(read_symbol(f, syms, "PsActiveProcessHead", &p->sym_ps_active_process_head));
    TRY(read_symbol(f, syms, "PsLoadedModuleList", &p->sym_ps_loaded_module_list));
    TRY(read_symbol(f, syms, "KdDebuggerDataBlock", &p->sym_kd_debugger_data_block));
    return ss_nt_profile_check(p, f->err);
}

static const unsigned char xz_magic[6] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};

ss_status ss_nt_isf_load_bounded(const char *path, size_t max_bytes, ss_nt_profile *out, ss_nt_isf_info *info,
                                 ss_error *err)
{
    if (!path || !out)
        return ss_nt_fail(err, SS_E_INVALID_ARG, "ss_nt_profile_from_isf: NULL %s",
                          path ? "profile" : "path");
    buf raw = {0}, plain = {0};
    const buf *json = &raw;
    ss_status st = read_file(path, max_bytes, &raw, err);
    if (st == SS_OK && raw.len >= sizeof xz_magic && !memcmp(raw.data, xz_magic, sizeof xz_magic)) {
        st = unxz(path, &raw, max_bytes, &plain, err);
        json = &plain;
    } else if (st == SS_OK && raw.len >= 2 && raw.data[0] == 0x1f && raw.data[1] == 0x8b) {
        st = ungzip(path, &raw, max_bytes, &plain, err);
        json = &plain;
    }
    json_t *root = NULL;
    if (st == SS_OK) {
        json_error_t jerr;
        root = json_loadb((const char *)json->data, json->len, 0, &jerr);
        if (!root)
            st = ss_nt_fail(err, SS_E_FORMAT, "ISF %s is not JSON: line %d column %d: %s", path, jerr.line,
                            jerr.column, jerr.text);
        else if (!json_is_object(root) || !json_object_get(root, "user_types"))
            st = ss_nt_fail(err, SS_E_FORMAT, "ISF %s: JSON without user_types: not a Volatility 3 ISF file",
                            path);
        else if (!json_is_object(json_object_get(root, "user_types")))
            st = ss_nt_fail(err, SS_E_CORRUPT, "ISF %s: user_types is not an object", path);
    }
    free(raw.data);
    free(plain.data);
    if (st == SS_OK) {
        isf f = {path, json_object_get(root, "user_types"), err};
        ss_nt_isf_info meta;
        ss_nt_profile p;
        st = read_metadata(&f, root, &meta);
        if (st == SS_OK)
            st = fill_profile(&f, root, &meta, &p);
        if (st == SS_OK) {
            *out = p;
            if (info)
                *info = meta;
        }
    }
    json_decref(root);
    return st;
}

ss_status ss_nt_profile_from_isf(const char *path, ss_nt_profile *out, ss_nt_isf_info *info, ss_error *err)
{
    return ss_nt_isf_load_bounded(path, SS_NT_ISF_MAX_BYTES, out, info, err);
}
