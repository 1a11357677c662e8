/*
 * sessionspace.i — SWIG interface: the low-level module sessionspace.capi over the
 * public C API (libsessionspace/include/sessionspace.h and the headers it includes).
 *
 * Users import `sessionspace` (sessionspace/__init__.py), the Pythonic layer that
 * owns the handles; this module only converts arguments and results:
 *  - out-parameters come back as extra results: a call returns [status, out1, ...];
 *  - reads take a length and return bytes (the valid prefix on a partial read);
 *  - ss_translate_many takes any iterable of ints / VA strings, or a buffer of
 *    unsigned 64-bit integers (array('Q'), memoryview) or of little-endian u64
 *    bytes, and returns array('Q') PAs and array('i') statuses filled by one C call;
 *  - errors in arguments (lengths, VA values) raise the exception the Pythonic layer
 *    registers with ssp_set_error_factory (a sessionspace.Error carrying an ss_status).
 * Functions that hand out pointers into the source's memory (ss_source_page,
 * ss_source_mapping) are not wrapped: a Python object could outlive the mapping.
 */
%module(package="sessionspace") capi

%{
#define SWIG_FILE_WITH_INIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sessionspace.h>

/* array('i') holds the statuses: ss_status must be an int. */
_Static_assert(sizeof(ss_status) == sizeof(int), "ss_status is not an int");

/* Bounds on what one call may allocate for its results (checked before allocating). */
#define SSP_MAX_READ  (1ull << 30) /* bytes per read */
#define SSP_MAX_BATCH (1ull << 26) /* pages per ss_translate_range */

/* The callable (status, message) -> exception instance, set by the Pythonic layer. */
static PyObject *ssp_error_factory = NULL;

/* Raises the registered error for status with a formatted message (ValueError before
 * registration). Returns NULL so callers can `return ssp_raise(...)`. */
static PyObject *ssp_raise(int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ssp_error_factory) {
        PyObject *exc = PyObject_CallFunction(ssp_error_factory, "is", status, msg);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
        return NULL;
    }
    PyErr_SetString(PyExc_ValueError, msg);
    return NULL;
}

/* A Python int (or object with __index__) in [0, max] as size_t; -1 with an error set. */
static int ssp_size_arg(PyObject *obj, unsigned long long max, const char *what, size_t *out)
{
    PyObject *idx = PyNumber_Index(obj);
    if (!idx)
        return -1;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
    Py_DECREF(idx);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow || v < 0 || (unsigned long long)v > max) {
        ssp_raise(SS_E_INVALID_ARG, "%s must be 0 .. %llu", what, max);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* One VA from a Python item: an int in [0, 2^64) or text as kd prints it. */
static int ssp_va_item(PyObject *item, size_t i, uint64_t *out)
{
    if (PyUnicode_Check(item)) {
        const char *text = PyUnicode_AsUTF8(item);
        if (!text)
            return -1;
        if (ss_parse_u64(text, out) != SS_OK) {
            ssp_raise(SS_E_BAD_NUMBER, "item %zu: '%.64s' is not an address", i, text);
            return -1;
        }
        return 0;
    }
    PyObject *idx = PyNumber_Index(item);
    if (!idx) {
        PyErr_Clear();
        ssp_raise(SS_E_BAD_NUMBER, "item %zu: a %.64s is not an address (int or str)", i, Py_TYPE(item)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(idx);
    Py_DECREF(idx);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        ssp_raise(SS_E_BAD_NUMBER, "item %zu: not an address in 0 .. 2^64-1", i);
        return -1;
    }
    *out = v;
    return 0;
}

/* The VAs of a translate_many call: a borrowed buffer, or an array we own. */
typedef struct ssp_vas {
    Py_buffer view;
    int have_view;
    uint64_t *owned;
} ssp_vas;

static int ssp_host_is_little(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Fills *vas / *count from obj (see the file comment); -1 with an error set. */
static int ssp_vas_get(PyObject *obj, ssp_vas *v, const uint64_t **vas, size_t *count)
{
    memset(v, 0, sizeof *v);
    if (PyUnicode_Check(obj)) { /* iterating would read one VA per character */
        ssp_raise(SS_E_INVALID_ARG, "VAs must be an iterable of addresses, not one str");
        return -1;
    }
    if (PyObject_CheckBuffer(obj)) {
        if (PyObject_GetBuffer(obj, &v->view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            ssp_raise(SS_E_INVALID_ARG, "the VA buffer is not contiguous");
            return -1;
        }
        v->have_view = 1;
        const char *f = v->view.format ? v->view.format : "B";
        int swap = 0;
        if (*f == '@' || *f == '=')
            f++;
        else if (*f == '<' || *f == '>' || *f == '!') {
            swap = (*f == '<') != ssp_host_is_little();
            f++;
        }
        int words = v->view.itemsize == 8 && (strcmp(f, "Q") == 0 || (sizeof(long) == 8 && strcmp(f, "L") == 0));
        int bytes = v->view.itemsize == 1 && (strcmp(f, "B") == 0 || strcmp(f, "b") == 0 || strcmp(f, "c") == 0);
        if (!words && !bytes) {
            ssp_raise(SS_E_INVALID_ARG, "a VA buffer holds unsigned 64-bit integers ('Q') or bytes, not '%.16s'",
                      v->view.format ? v->view.format : "B");
            return -1;
        }
        if (v->view.len % 8 != 0) {
            ssp_raise(SS_E_INVALID_ARG, "a VA buffer of %zd bytes is not a whole number of 64-bit values",
                      v->view.len);
            return -1;
        }
        if (bytes) /* raw bytes are little-endian u64, whatever the host */
            swap = !ssp_host_is_little();
        *count = (size_t)v->view.len / 8;
        if (!swap && ((uintptr_t)v->view.buf % 8) == 0) {
            *vas = v->view.buf;
            return 0;
        }
        /* Unaligned (a memoryview slice) or foreign byte order: copy. */
        v->owned = malloc(*count ? *count * 8 : 8);
        if (!v->owned) {
            PyErr_NoMemory();
            return -1;
        }
        const uint8_t *b = v->view.buf;
        for (size_t i = 0; i < *count; i++) {
            uint64_t x;
            memcpy(&x, b + i * 8, 8);
            v->owned[i] = swap ? __builtin_bswap64(x) : x;
        }
        *vas = v->owned;
        return 0;
    }
    PyObject *it = PyObject_GetIter(obj);
    if (!it) {
        PyErr_Clear();
        ssp_raise(SS_E_INVALID_ARG, "VAs must be an iterable or a buffer, not a %.64s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t hint = PyObject_LengthHint(obj, 64);
    size_t cap = hint > 0 ? (size_t)hint : 64, n = 0;
    v->owned = malloc(cap * 8);
    if (!v->owned) {
        Py_DECREF(it);
        PyErr_NoMemory();
        return -1;
    }
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        if (n == cap) {
            uint64_t *grown = cap > SIZE_MAX / 16 ? NULL : realloc(v->owned, cap * 2 * 8);
            if (!grown) {
                Py_DECREF(item);
                Py_DECREF(it);
                PyErr_NoMemory();
                return -1;
            }
            v->owned = grown;
            cap *= 2;
        }
        int rc = ssp_va_item(item, n, &v->owned[n]);
        Py_DECREF(item);
        if (rc < 0) {
            Py_DECREF(it);
            return -1;
        }
        n++;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return -1;
    *vas = v->owned;
    *count = n;
    return 0;
}

static void ssp_vas_release(ssp_vas *v)
{
    if (v->have_view)
        PyBuffer_Release(&v->view);
    v->have_view = 0;
    free(v->owned);
    v->owned = NULL;
}

/* A new array(code) of n zero items and a writable view of it; NULL with an error set. */
static PyObject *ssp_new_array(const char *code, size_t n, Py_buffer *view)
{
    PyObject *mod = PyImport_ImportModule("array");
    if (!mod)
        return NULL;
    PyObject *one = PyObject_CallMethod(mod, "array", "s[i]", code, 0);
    Py_DECREF(mod);
    if (!one)
        return NULL;
    PyObject *arr = PySequence_Repeat(one, (Py_ssize_t)n);
    Py_DECREF(one);
    if (!arr)
        return NULL;
    if (PyObject_GetBuffer(arr, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* Results of a batch call: the PA and status arrays while C fills them. */
typedef struct ssp_batch {
    PyObject *pas, *statuses;
    Py_buffer pv, sv;
    int have_pv, have_sv;
    size_t ntranslated;
} ssp_batch;

static int ssp_batch_new(ssp_batch *b, size_t n)
{
    memset(b, 0, sizeof *b);
    b->pas = ssp_new_array("Q", n, &b->pv);
    if (!b->pas)
        return -1;
    b->have_pv = 1;
    b->statuses = ssp_new_array("i", n, &b->sv);
    if (!b->statuses)
        return -1;
    b->have_sv = 1;
    return 0;
}

/* Releases the views (arrays must not be exported while Python resizes them). */
static void ssp_batch_unview(ssp_batch *b)
{
    if (b->have_pv)
        PyBuffer_Release(&b->pv);
    if (b->have_sv)
        PyBuffer_Release(&b->sv);
    b->have_pv = b->have_sv = 0;
}

static PyObject *ssp_dict_u64(PyObject *d, const char *key, unsigned long long value)
{
    PyObject *v = PyLong_FromUnsignedLongLong(value);
    if (!v || PyDict_SetItemString(d, key, v) < 0) {
        Py_XDECREF(v);
        return NULL;
    }
    Py_DECREF(v);
    return d;
}

/* ss_xlat as a dict; the Pythonic layer turns it into a Translation. */
static PyObject *ssp_xlat_dict(const ss_xlat *x)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    PyObject *entries = PyList_New(0);
    if (!entries) {
        Py_DECREF(d);
        return NULL;
    }
    unsigned n = x->nentries <= 5 ? x->nentries : 5;
    for (unsigned i = 0; i < n; i++) {
        PyObject *e = Py_BuildValue("(iKK)", (int)x->entries[i].level, (unsigned long long)x->entries[i].pa,
                                    (unsigned long long)x->entries[i].value);
        if (!e || PyList_Append(entries, e) < 0) {
            Py_XDECREF(e);
            Py_DECREF(entries);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(e);
    }
    int ok = PyDict_SetItemString(d, "entries", entries) == 0;
    Py_DECREF(entries);
    ok = ok && ssp_dict_u64(d, "va", x->va) && ssp_dict_u64(d, "pa", x->pa) &&
         ssp_dict_u64(d, "page_size", x->page_size) && ssp_dict_u64(d, "state", (unsigned)x->state) &&
         ssp_dict_u64(d, "flags", x->flags) && ssp_dict_u64(d, "level", x->level) &&
         ssp_dict_u64(d, "protection", x->protection) && ssp_dict_u64(d, "pagefile_number", x->pagefile_number) &&
         ssp_dict_u64(d, "pagefile_offset", x->pagefile_offset) &&
         ssp_dict_u64(d, "proto_address", x->proto_address);
    if (!ok) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *ssp_info_dict(const ss_dump_info *i)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    PyObject *params = Py_BuildValue("(KKKK)", (unsigned long long)i->bugcheck_params[0],
                                     (unsigned long long)i->bugcheck_params[1],
                                     (unsigned long long)i->bugcheck_params[2],
                                     (unsigned long long)i->bugcheck_params[3]);
    int ok = params && PyDict_SetItemString(d, "bugcheck_params", params) == 0;
    Py_XDECREF(params);
    ok = ok && ssp_dict_u64(d, "flags", i->flags) && ssp_dict_u64(d, "paging_mode", (unsigned)i->paging_mode) &&
         ssp_dict_u64(d, "directory_table_base", i->directory_table_base) &&
         ssp_dict_u64(d, "ps_active_process_head", i->ps_active_process_head) &&
         ssp_dict_u64(d, "ps_loaded_module_list", i->ps_loaded_module_list) &&
         ssp_dict_u64(d, "kd_debugger_data_block", i->kd_debugger_data_block) &&
         ssp_dict_u64(d, "machine_type", i->machine_type) && ssp_dict_u64(d, "major_version", i->major_version) &&
         ssp_dict_u64(d, "minor_version", i->minor_version) &&
         ssp_dict_u64(d, "number_processors", i->number_processors) &&
         ssp_dict_u64(d, "bugcheck_code", i->bugcheck_code) && ssp_dict_u64(d, "dump_type", i->dump_type) &&
         ssp_dict_u64(d, "pae_enabled", i->pae_enabled);
    if (!ok) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}
%}

%include <stdint.i>

/* ---- Registration of the Pythonic layer's exception factory --------------------- */
%inline %{
/* Sets the callable (status, message) -> exception used for argument errors. */
void ssp_set_error_factory(PyObject *factory)
{
    if (factory == Py_None)
        factory = NULL;
    Py_XINCREF(factory);
    Py_XDECREF(ssp_error_factory);
    ssp_error_factory = factory;
}
/* Limits the typemaps enforce, for the Pythonic layer's messages and the tests. */
unsigned long long ssp_max_read(void) { return SSP_MAX_READ; }
unsigned long long ssp_max_batch(void) { return SSP_MAX_BATCH; }
%}

/* ---- Handles as out-parameters --------------------------------------------------- */
%define SSP_HANDLE_OUT(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) { $1 = &tmp; }
%typemap(argout) TYPE **out {
    $result = SWIG_Python_AppendOutput($result, tmp$argnum ? SWIG_NewPointerObj(tmp$argnum, $*1_descriptor, 0)
                                                            : (Py_INCREF(Py_None), Py_None));
}
%enddef
SSP_HANDLE_OUT(ss_source)
SSP_HANDLE_OUT(ss_space)

/* ss_error: a local one; its message comes back as a str ("" on success). */
%typemap(in, numinputs=0) ss_error *err (ss_error tmp) {
    memset(&tmp, 0, sizeof tmp);
    $1 = &tmp;
}
%typemap(argout) ss_error *err {
    tmp$argnum.message[sizeof tmp$argnum.message - 1] = '\0';
    $result = SWIG_Python_AppendOutput($result, PyUnicode_DecodeUTF8(tmp$argnum.message,
                                                                     strlen(tmp$argnum.message), "replace"));
}

/* ---- Plain out-parameters ------------------------------------------------------------ */
%typemap(in, numinputs=0) uint64_t *pa (uint64_t tmp = 0), uint64_t *out (uint64_t tmp = 0),
    uint64_t *dtb (uint64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint64_t *pa, uint64_t *out, uint64_t *dtb {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromUnsignedLongLong(tmp$argnum));
}
%typemap(in, numinputs=0) ss_mode *mode (ss_mode tmp = SS_MODE_AUTO) { $1 = &tmp; }
%typemap(argout) ss_mode *mode { $result = SWIG_Python_AppendOutput($result, PyLong_FromLong((long)tmp$argnum)); }

%typemap(in, numinputs=0) ss_xlat *out (ss_xlat tmp) {
    memset(&tmp, 0, sizeof tmp);
    $1 = &tmp;
}
%typemap(argout) ss_xlat *out {
    PyObject *d = ssp_xlat_dict(&tmp$argnum);
    if (!d)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, d);
}

%typemap(in, numinputs=0) ss_dump_info *info (ss_dump_info tmp) {
    memset(&tmp, 0, sizeof tmp);
    $1 = &tmp;
}
%typemap(argout) ss_dump_info *info {
    PyObject *d = ssp_info_dict(&tmp$argnum);
    if (!d)
        SWIG_fail;
    $result = SWIG_Python_AppendOutput($result, d);
}

%typemap(in, numinputs=0) ss_cpu_state *out (ss_cpu_state tmp) {
    memset(&tmp, 0, sizeof tmp);
    $1 = &tmp;
}
%typemap(argout) ss_cpu_state *out {
    $result = SWIG_Python_AppendOutput($result,
        Py_BuildValue("{s:I,s:K,s:K,s:K,s:K,s:K}", "index", (unsigned)tmp$argnum.index,
                      "cr0", (unsigned long long)tmp$argnum.cr0, "cr2", (unsigned long long)tmp$argnum.cr2,
                      "cr3", (unsigned long long)tmp$argnum.cr3, "cr4", (unsigned long long)tmp$argnum.cr4,
                      "efer", (unsigned long long)tmp$argnum.efer));
}

%typemap(in, numinputs=0) ss_cache_stats *stats (ss_cache_stats tmp) {
    memset(&tmp, 0, sizeof tmp);
    $1 = &tmp;
}
%typemap(argout) ss_cache_stats *stats {
    $result = SWIG_Python_AppendOutput($result,
        Py_BuildValue("{s:K,s:K,s:K,s:K,s:I,s:I}", "lookups", (unsigned long long)tmp$argnum.lookups,
                      "hits", (unsigned long long)tmp$argnum.hits, "misses", (unsigned long long)tmp$argnum.misses,
                      "flushes", (unsigned long long)tmp$argnum.flushes, "entries", (unsigned)tmp$argnum.entries,
                      "entry_bytes", (unsigned)tmp$argnum.entry_bytes));
}

/* ss_source_ranges: a list of (start, size) tuples (copied: the array is the source's). */
%typemap(in, numinputs=0) (const ss_phys_range **ranges, size_t *count) (const ss_phys_range *r = NULL, size_t n = 0) {
    $1 = ($1_ltype)&r;
    $2 = &n;
}
%typemap(argout) (const ss_phys_range **ranges, size_t *count) {
    PyObject *list = PyList_New(0);
    if (!list)
        SWIG_fail;
    for (size_t i = 0; r$argnum && i < n$argnum; i++) {
        PyObject *t = Py_BuildValue("(KK)", (unsigned long long)r$argnum[i].start, (unsigned long long)r$argnum[i].size);
        if (!t || PyList_Append(list, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(list);
            SWIG_fail;
        }
        Py_DECREF(t);
    }
    $result = SWIG_Python_AppendOutput($result, list);
}

/* ss_source_note: the note's bytes (copied), or None. */
%typemap(in, numinputs=0) (const char **data, size_t *len) (const char *d = NULL, size_t n = 0) {
    $1 = ($1_ltype)&d;
    $2 = &n;
}
%typemap(argout) (const char **data, size_t *len) {
    $result = SWIG_Python_AppendOutput($result, d$argnum ? PyBytes_FromStringAndSize(d$argnum, (Py_ssize_t)n$argnum)
                                                         : (Py_INCREF(Py_None), Py_None));
}

/* ---- Reads: a length in, bytes out ------------------------------------------------ */
%typemap(in) (void *buf, size_t len, size_t *nread) (PyObject *bytes = NULL, size_t nread = 0, size_t want = 0) {
    if (ssp_size_arg($input, SSP_MAX_READ, "a read length", &want) < 0)
        SWIG_fail;
    bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)want);
    if (!bytes)
        SWIG_fail;
    $1 = PyBytes_AS_STRING(bytes);
    $2 = want;
    $3 = &nread;
}
%typemap(argout) (void *buf, size_t len, size_t *nread) {
    PyObject *data = bytes$argnum;
    if (nread$argnum < want$argnum) {
        data = PyBytes_FromStringAndSize(PyBytes_AS_STRING(bytes$argnum), (Py_ssize_t)nread$argnum);
        if (!data)
            SWIG_fail;
    } else {
        bytes$argnum = NULL; /* handed over */
    }
    $result = SWIG_Python_AppendOutput($result, data);
}
%typemap(freearg) (void *buf, size_t len, size_t *nread) { Py_XDECREF(bytes$argnum); }

/* ---- Batch translation -------------------------------------------------------------- */
%typemap(in) (const uint64_t *vas, size_t count, uint64_t *pas, ss_status *statuses, size_t *ntranslated)
    (ssp_vas v, ssp_batch b, int have_v = 0, int have_b = 0) {
    const uint64_t *vas = NULL;
    size_t count = 0;
    have_v = 1;
    if (ssp_vas_get($input, &v, &vas, &count) < 0)
        SWIG_fail;
    have_b = 1;
    if (ssp_batch_new(&b, count) < 0)
        SWIG_fail;
    $1 = ($1_ltype)vas;
    $2 = count;
    $3 = ($3_ltype)b.pv.buf;
    $4 = ($4_ltype)b.sv.buf;
    $5 = &b.ntranslated;
}
%typemap(argout) (const uint64_t *vas, size_t count, uint64_t *pas, ss_status *statuses, size_t *ntranslated) {
    ssp_batch_unview(&b$argnum);
    $result = SWIG_Python_AppendOutput($result, b$argnum.pas);
    $result = SWIG_Python_AppendOutput($result, b$argnum.statuses);
    $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(b$argnum.ntranslated));
    b$argnum.pas = b$argnum.statuses = NULL; /* handed over */
}
%typemap(freearg) (const uint64_t *vas, size_t count, uint64_t *pas, ss_status *statuses, size_t *ntranslated) {
    if (have_v$argnum)
        ssp_vas_release(&v$argnum);
    if (have_b$argnum) {
        ssp_batch_unview(&b$argnum);
        Py_XDECREF(b$argnum.pas);
        Py_XDECREF(b$argnum.statuses);
    }
}

%typemap(in) (size_t npages, uint64_t *pas, ss_status *statuses, size_t *ntranslated) (ssp_batch b, int have_b = 0) {
    size_t n = 0;
    if (ssp_size_arg($input, SSP_MAX_BATCH, "npages", &n) < 0)
        SWIG_fail;
    have_b = 1;
    if (ssp_batch_new(&b, n) < 0)
        SWIG_fail;
    $1 = n;
    $2 = ($2_ltype)b.pv.buf;
    $3 = ($3_ltype)b.sv.buf;
    $4 = &b.ntranslated;
}
%typemap(argout) (size_t npages, uint64_t *pas, ss_status *statuses, size_t *ntranslated) {
    ssp_batch_unview(&b$argnum);
    $result = SWIG_Python_AppendOutput($result, b$argnum.pas);
    $result = SWIG_Python_AppendOutput($result, b$argnum.statuses);
    $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(b$argnum.ntranslated));
    b$argnum.pas = b$argnum.statuses = NULL;
}
%typemap(freearg) (size_t npages, uint64_t *pas, ss_status *statuses, size_t *ntranslated) {
    if (have_b$argnum) {
        ssp_batch_unview(&b$argnum);
        Py_XDECREF(b$argnum.pas);
        Py_XDECREF(b$argnum.statuses);
    }
}

/* ---- What is wrapped ------------------------------------------------------------------ */
/* Pointers into the source's memory would outlive it in Python: not wrapped. */
%ignore ss_source_page;
%ignore ss_source_mapping;
/* A borrowed source pointer; the Pythonic layer knows each space's source itself. */
%ignore ss_space_source;
/* Opaque in C, structs the typemaps convert: no proxy classes needed. */
%ignore ss_error;
%ignore ss_xlat;
%ignore ss_pte;
%ignore ss_dump_info;
%ignore ss_cpu_state;
%ignore ss_cache_stats;
%ignore ss_phys_range;

%include "sessionspace/common.h"
%include "sessionspace/source.h"
%include "sessionspace/space.h"

/* Physical reads served by Python callables (debuggers), and the disassembler. */
%include "callback.i"
%include "disasm.i"

/* The Windows model, when the library has it (CMake defines SS_HAVE_NT_MODEL). */
#ifdef SS_HAVE_NT_MODEL
%include "nt.i"
#endif
/* Symbol-less discovery, when the library has it (SS_HAVE_SCAN). */
#ifdef SS_HAVE_SCAN
%include "scan.i"
#endif
