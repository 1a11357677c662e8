/*
 * nt.i — the Windows model (sessionspace/nt.h) for sessionspace.capi. Included by
 * sessionspace.i only when CMake finds ss_nt_open in the public nt.h (SS_HAVE_NT_MODEL).
 *
 * Structs (ss_nt_process, ss_nt_session, ss_nt_where ...) are SWIG proxies the
 * Pythonic layer allocates and passes as out-parameters; the lists a call fills into a
 * caller's array come back as Python lists of owned proxies (copies).
 */
%{
#include <sessionspace/nt.h>

/* Opens the model with options built here (a char * member set from Python would
 * have to outlive the call: here it is the argument itself). */
static ss_status ssp_nt_open(ss_source *src, const char *isf_path, int mode, uint64_t dtb,
                             uint64_t ps_active_process_head, uint32_t build, ss_nt **out, ss_error *err)
{
    ss_nt_options o;
    ss_status st = ss_nt_options_init(&o, SS_NT_OPTIONS_VERSION);
    if (st != SS_OK)
        return st;
    o.isf_path = isf_path && *isf_path ? isf_path : NULL;
    o.mode = (ss_mode)mode;
    o.dtb = dtb;
    o.ps_active_process_head = ps_active_process_head;
    o.build = build;
    return ss_nt_open(src, &o, out, err);
}
%}

SSP_HANDLE_OUT(ss_nt)

/* Lists filled into a caller's array: a capacity in, a list of owned copies out. */
%define SSP_ARRAY_OUT(TYPE, NAME)
%typemap(in) (TYPE *NAME, size_t cap, size_t *count) (TYPE *arr = NULL, size_t n = 0, size_t cap = 0) {
    if (ssp_size_arg($input, 1u << 20, "a capacity", &cap) < 0)
        SWIG_fail;
    arr = calloc(cap ? cap : 1, sizeof(TYPE));
    if (!arr) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $1 = arr;
    $2 = cap;
    $3 = &n;
}
%typemap(argout) (TYPE *NAME, size_t cap, size_t *count) {
    PyObject *list = PyList_New(0);
    if (!list)
        SWIG_fail;
    for (size_t i = 0; i < n$argnum && i < cap$argnum; i++) {
        TYPE *copy = malloc(sizeof(TYPE));
        if (!copy) {
            Py_DECREF(list);
            PyErr_NoMemory();
            SWIG_fail;
        }
        *copy = arr$argnum[i];
        PyObject *o = SWIG_NewPointerObj(copy, $1_descriptor, SWIG_POINTER_OWN);
        if (!o || PyList_Append(list, o) < 0) {
            Py_XDECREF(o);
            Py_DECREF(list);
            SWIG_fail;
        }
        Py_DECREF(o);
    }
    $result = SWIG_Python_AppendOutput($result, list);
    $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(n$argnum));
}
%typemap(freearg) (TYPE *NAME, size_t cap, size_t *count) { free(arr$argnum); }
%enddef
SSP_ARRAY_OUT(ss_nt_process, procs)
SSP_ARRAY_OUT(ss_nt_image, images)

/* ss_nt_where_va: entries[0 .. cap) as a list of owned copies (no count: nsessions says). */
%typemap(in) (ss_nt_where_entry *entries, size_t cap) (ss_nt_where_entry *arr = NULL, size_t cap = 0) {
    if (ssp_size_arg($input, 1u << 16, "a capacity", &cap) < 0)
        SWIG_fail;
    arr = calloc(cap ? cap : 1, sizeof(ss_nt_where_entry));
    if (!arr) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $1 = arr;
    $2 = cap;
}
%typemap(argout) (ss_nt_where_entry *entries, size_t cap) {
    PyObject *list = PyList_New(0);
    if (!list)
        SWIG_fail;
    for (size_t i = 0; i < cap$argnum; i++) {
        ss_nt_where_entry *copy = malloc(sizeof *copy);
        if (!copy) {
            Py_DECREF(list);
            PyErr_NoMemory();
            SWIG_fail;
        }
        *copy = arr$argnum[i];
        PyObject *o = SWIG_NewPointerObj(copy, $1_descriptor, SWIG_POINTER_OWN);
        if (!o || PyList_Append(list, o) < 0) {
            Py_XDECREF(o);
            Py_DECREF(list);
            SWIG_fail;
        }
        Py_DECREF(o);
    }
    $result = SWIG_Python_AppendOutput($result, list);
}
%typemap(freearg) (ss_nt_where_entry *entries, size_t cap) { free(arr$argnum); }

%typemap(in, numinputs=0) ss_nt_region *out (ss_nt_region tmp = SS_NT_REGION_UNKNOWN) { $1 = &tmp; }
%typemap(argout) ss_nt_region *out { $result = SWIG_Python_AppendOutput($result, PyLong_FromLong((long)tmp$argnum)); }
%typemap(in, numinputs=0) uint64_t *start (uint64_t tmp = 0), uint64_t *end (uint64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint64_t *start, uint64_t *end {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromUnsignedLongLong(tmp$argnum));
}
%typemap(in, numinputs=0) size_t *index (size_t tmp = 0) { $1 = &tmp; }
%typemap(argout) size_t *index { $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(tmp$argnum)); }

/* Options go through ssp_nt_open; a borrowed profile pointer would outlive ss_nt_close;
 * the slot rule takes fixed arrays: not wrapped. */
%ignore ss_nt_open;
%ignore ss_nt_options;
%ignore ss_nt_options_init;
%ignore ss_nt_get_profile;
%ignore ss_nt_session_slots_x64;
ss_status ssp_nt_open(ss_source *src, const char *isf_path, int mode, uint64_t dtb, uint64_t ps_active_process_head,
                      uint32_t build, ss_nt **out, ss_error *err);

%include "sessionspace/profile.h"
%include "sessionspace/nt.h"
