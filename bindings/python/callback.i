/*
 * callback.i — the callback source (sessionspace/callback.h) for sessionspace.capi:
 * physical reads served by Python callables (a debugger's memory, a hypervisor's).
 *
 * ssp_callback_open() builds an ss_callback_ops whose C trampolines call the Python
 * callables with the GIL held (PyGILState_Ensure: the wrapper calls C with the GIL, but
 * a host may call from elsewhere). The context (ssp_cb) holds strong references to the
 * callables until the library closes the source (ops.close), so a callable lives
 * exactly as long as the source. What a callable does wrong becomes a status, never a
 * crash, and is remembered (ssp_callback_error) so the Pythonic layer can say it:
 *  - read_phys(pa, n) raises: the status of a sessionspace.Error it raises (an
 *    attribute `status` that is a read status: no_page, range, io, short_read), else
 *    SS_E_IO; the exception is kept for the caller (__cause__);
 *  - returns fewer than n bytes: those bytes and SS_E_SHORT_READ;
 *  - returns more than n bytes: SS_E_CORRUPT, nothing stored (a host that answers
 *    another question than the one asked is not trusted);
 *  - returns something that is not bytes-like (no buffer protocol): SS_E_INVALID_ARG.
 * cpu() must return a dict with cr0, cr3, cr4 and efer (and cr2): otherwise SS_E_IO /
 * SS_E_INVALID_ARG likewise. generation() must return an int: otherwise the previous
 * value plus one (a flush is the safe answer to a host that cannot say).
 */
%{
#include <sessionspace/callback.h>

typedef struct ssp_cb {
    PyObject *read, *cpu, *generation; /* strong references; cpu / generation may be NULL */
    PyObject *error;                   /* the last exception a callable raised (or NULL) */
    char message[256];                 /* what the last failing call did wrong ("" when none) */
    uint64_t last_generation;
    unsigned long long calls;
} ssp_cb;

/* Remembers a failure: message, and the pending exception (if any) taken out of the
 * interpreter so the C caller goes on as if nothing was raised. GIL held. */
static void ssp_cb_fail(ssp_cb *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    PyObject *exc = NULL;
    if (PyErr_Occurred()) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (value && tb)
            PyException_SetTraceback(value, tb);
        exc = value;
        Py_XINCREF(exc);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    Py_XSETREF(c->error, exc);
}

/* The name and text of the pending exception, for messages. */
static void ssp_cb_describe(char *out, size_t size)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *s = value ? PyObject_Str(value) : NULL;
    const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
    if (!text)
        PyErr_Clear();
    snprintf(out, size, "%s: %s", type ? ((PyTypeObject *)type)->tp_name : "exception", text ? text : "?");
    Py_XDECREF(s);
    PyErr_Restore(type, value, tb);
}

/* A status an exception carries (sessionspace.Error.status) when it is one a read may
 * report; SS_E_IO otherwise. Leaves the exception pending. */
static ss_status ssp_cb_exc_status(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    ss_status st = SS_E_IO;
    if (value && PyObject_HasAttrString(value, "status")) {
        PyObject *s = PyObject_GetAttrString(value, "status");
        long v = s && PyLong_Check(s) ? PyLong_AsLong(s) : 0;
        if (v == -1 && PyErr_Occurred())
            v = 0;
        PyErr_Clear();
        Py_XDECREF(s);
        if (v == SS_E_NO_PAGE || v == SS_E_RANGE || v == SS_E_IO || v == SS_E_SHORT_READ)
            st = (ss_status)v;
    }
    PyErr_Restore(type, value, tb);
    return st;
}

static ss_status ssp_cb_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    ssp_cb *c = ctx;
    *nread = 0;
    PyGILState_STATE g = PyGILState_Ensure();
    c->calls++;
    ss_status st = SS_OK;
    PyObject *r = PyObject_CallFunction(c->read, "Kn", (unsigned long long)pa, (Py_ssize_t)len);
    if (!r) {
        char why[200];
        ssp_cb_describe(why, sizeof why);
        st = ssp_cb_exc_status();
        ssp_cb_fail(c, "read_phys(%#llx, %zu) raised %s", (unsigned long long)pa, len, why);
        goto out;
    }
    Py_buffer view;
    if (!PyObject_CheckBuffer(r) || PyObject_GetBuffer(r, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        ssp_cb_fail(c, "read_phys(%#llx, %zu) returned a %.64s, not bytes", (unsigned long long)pa, len,
                    Py_TYPE(r)->tp_name);
        st = SS_E_INVALID_ARG;
        Py_DECREF(r);
        goto out;
    }
    size_t got = (size_t)view.len;
    if (got > len) {
        ssp_cb_fail(c, "read_phys(%#llx, %zu) returned %zu bytes, more than asked", (unsigned long long)pa, len,
                    got);
        st = SS_E_CORRUPT;
    } else {
        memcpy(buf, view.buf, got);
        *nread = got;
        if (got < len) {
            ssp_cb_fail(c, "read_phys(%#llx, %zu) returned only %zu bytes", (unsigned long long)pa, len, got);
            st = SS_E_SHORT_READ;
        }
    }
    PyBuffer_Release(&view);
    Py_DECREF(r);
out:
    PyGILState_Release(g);
    return st;
}

/* An unsigned 64-bit item of a dict; 0 when absent. -1 with an error set when not an int. */
static int ssp_cb_u64(PyObject *d, const char *key, uint64_t *out)
{
    PyObject *v = PyDict_GetItemString(d, key); /* borrowed */
    *out = 0;
    if (!v)
        return 0;
    unsigned long long x = PyLong_Check(v) ? PyLong_AsUnsignedLongLong(v) : (unsigned long long)-1;
    if (!PyLong_Check(v) || (x == (unsigned long long)-1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1;
    }
    *out = x;
    return 0;
}

static ss_status ssp_cb_cpu(void *ctx, ss_cpu_state *out)
{
    ssp_cb *c = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    ss_status st = SS_OK;
    PyObject *r = PyObject_CallFunction(c->cpu, NULL);
    if (!r) {
        char why[200];
        ssp_cb_describe(why, sizeof why);
        ssp_cb_fail(c, "cpu() raised %s", why);
        st = SS_E_IO;
    } else if (!PyDict_Check(r) || ssp_cb_u64(r, "cr0", &out->cr0) < 0 || ssp_cb_u64(r, "cr2", &out->cr2) < 0 ||
               ssp_cb_u64(r, "cr3", &out->cr3) < 0 || ssp_cb_u64(r, "cr4", &out->cr4) < 0 ||
               ssp_cb_u64(r, "efer", &out->efer) < 0) {
        ssp_cb_fail(c, "cpu() returned a %.64s, not a dict of cr0, cr3, cr4, efer ints", Py_TYPE(r)->tp_name);
        st = SS_E_INVALID_ARG;
    }
    Py_XDECREF(r);
    PyGILState_Release(g);
    return st;
}

static uint64_t ssp_cb_generation(void *ctx)
{
    ssp_cb *c = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallFunction(c->generation, NULL);
    unsigned long long v = 0;
    if (r && PyLong_Check(r))
        v = PyLong_AsUnsignedLongLong(r);
    if (!r || !PyLong_Check(r) || (v == (unsigned long long)-1 && PyErr_Occurred())) {
        char why[200] = "a value that is not an int in 0 .. 2^64-1";
        if (PyErr_Occurred())
            ssp_cb_describe(why, sizeof why);
        ssp_cb_fail(c, "generation() gave %s", why);
        v = c->last_generation + 1; /* the safe answer: flush */
    }
    Py_XDECREF(r);
    c->last_generation = v;
    PyGILState_Release(g);
    return v;
}

static void ssp_cb_free(ssp_cb *c)
{
    if (!c)
        return;
    if (Py_IsInitialized()) { /* after finalisation the references are gone with the interpreter */
        PyGILState_STATE g = PyGILState_Ensure();
        Py_CLEAR(c->read);
        Py_CLEAR(c->cpu);
        Py_CLEAR(c->generation);
        Py_CLEAR(c->error);
        PyGILState_Release(g);
    }
    free(c);
}

static void ssp_cb_close(void *ctx) { ssp_cb_free(ctx); }

static int ssp_callable_or_none(PyObject *o, const char *what)
{
    if (o == Py_None || PyCallable_Check(o))
        return 0;
    ssp_raise(SS_E_INVALID_ARG, "%s must be callable, not a %.64s", what, Py_TYPE(o)->tp_name);
    return -1;
}
%}

%inline %{
/*
 * Opens a callback source over Python callables: read (required), cpu and generation
 * (None: not given). Returns (status, source or None, context or None, message); the
 * context belongs to the source (freed when it closes) and is only for
 * ssp_callback_error / ssp_callback_calls while the source is open.
 */
PyObject *ssp_callback_open(PyObject *read, unsigned long long phys_size, PyObject *cpu, PyObject *generation,
                            int mode, unsigned long long dtb, const char *name)
{
    if (!PyCallable_Check(read))
        return ssp_raise(SS_E_INVALID_ARG, "read_phys must be callable, not a %.64s", Py_TYPE(read)->tp_name);
    if (ssp_callable_or_none(cpu, "cpu") < 0 || ssp_callable_or_none(generation, "generation") < 0)
        return NULL;
    ssp_cb *c = calloc(1, sizeof *c);
    if (!c)
        return PyErr_NoMemory();
    Py_INCREF(read);
    c->read = read;
    if (cpu != Py_None) {
        Py_INCREF(cpu);
        c->cpu = cpu;
    }
    if (generation != Py_None) {
        Py_INCREF(generation);
        c->generation = generation;
    }
    ss_callback_ops ops;
    ss_status st = ss_callback_ops_init(&ops, SS_CALLBACK_OPS_VERSION);
    ss_source *src = NULL;
    ss_error err;
    memset(&err, 0, sizeof err);
    if (st == SS_OK) {
        ops.name = name && *name ? name : NULL;
        ops.read_phys = ssp_cb_read;
        ops.phys_size = phys_size;
        ops.cpu = c->cpu ? ssp_cb_cpu : NULL;
        ops.paging_mode = (ss_mode)mode;
        ops.dtb = dtb;
        ops.generation = c->generation ? ssp_cb_generation : NULL;
        ops.close = ssp_cb_close;
        st = ss_source_open_callback(&ops, c, &src, &err);
    }
    if (st != SS_OK) {
        ssp_cb_free(c); /* not the source's on failure */
        return Py_BuildValue("(iOOs)", (int)st, Py_None, Py_None, err.message);
    }
    PyObject *s = SWIG_NewPointerObj(src, SWIGTYPE_p_ss_source, 0);
    PyObject *x = s ? PyCapsule_New(c, "sessionspace.ssp_cb", NULL) : NULL;
    if (!s || !x) {
        Py_XDECREF(s);
        ss_source_close(src); /* frees c */
        return NULL;
    }
    return Py_BuildValue("(iNNs)", (int)st, s, x, "");
}

/* (message, exception or None) of the last failing callback of a callback source's
 * context, and forgets them. */
PyObject *ssp_callback_error(PyObject *ctx)
{
    ssp_cb *c = PyCapsule_GetPointer(ctx, "sessionspace.ssp_cb");
    if (!c)
        return NULL;
    PyObject *r = Py_BuildValue("(sO)", c->message, c->error ? c->error : Py_None);
    c->message[0] = '\0';
    Py_CLEAR(c->error);
    return r;
}

/* How many times read_phys was called. */
unsigned long long ssp_callback_calls(PyObject *ctx)
{
    ssp_cb *c = PyCapsule_GetPointer(ctx, "sessionspace.ssp_cb");
    if (!c) {
        PyErr_Clear();
        return 0;
    }
    return c->calls;
}
%}
