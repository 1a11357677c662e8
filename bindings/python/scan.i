/*
 * scan.i — symbol-less discovery (sessionspace/scan.h) for sessionspace.capi. Included
 * by sessionspace.i only when CMake finds ss_scan_collect in the public scan.h
 * (SS_HAVE_SCAN). The scan runs without callbacks into Python (ss_scan_collect);
 * options are built here from plain arguments.
 */
%{
#include <sessionspace/scan.h>

static PyObject *ssp_candidates(const ss_scan_candidate *c, size_t n)
{
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *d = Py_BuildValue("{s:K,s:K,s:I,s:I,s:I}", "dtb", (unsigned long long)c[i].dtb, "self_map_base",
                                    (unsigned long long)c[i].self_map_base, "self_map_slot",
                                    (unsigned)c[i].self_map_slot, "kernel_present", (unsigned)c[i].kernel_present,
                                    "user_present", (unsigned)c[i].user_present);
        if (!d || PyList_Append(list, d) < 0) {
            Py_XDECREF(d);
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}
%}

%inline %{
/* ss_scan_collect with options from arguments (0: default): [status, candidates, stats]. */
PyObject *ssp_scan(ss_source *src, int mode, unsigned min_kernel_entries, unsigned min_zero_entries,
                   unsigned long long max_pa)
{
    ss_scan_options o = SS_SCAN_OPTIONS_INIT;
    o.mode = (ss_mode)mode;
    o.min_kernel_entries = min_kernel_entries;
    o.min_zero_entries = min_zero_entries;
    o.max_pa = max_pa;
    ss_scan_candidate *c = NULL;
    size_t n = 0;
    ss_scan_stats st;
    memset(&st, 0, sizeof st);
    ss_status status = ss_scan_collect(src, &o, &c, &n, &st);
    PyObject *list = ssp_candidates(c, n);
    ss_scan_free(c);
    if (!list)
        return NULL;
    return Py_BuildValue("(iN{s:K,s:K,s:K,s:K})", (int)status, list, "pages_scanned",
                         (unsigned long long)st.pages_scanned, "pages_unreadable",
                         (unsigned long long)st.pages_unreadable, "bytes_total", (unsigned long long)st.bytes_total,
                         "candidates", (unsigned long long)st.candidates);
}

/* ss_scan_cluster over dtbs (any iterable or u64 buffer): [status, clusters, nclusters, kinds]. */
PyObject *ssp_scan_cluster(ss_source *src, PyObject *dtbs)
{
    ssp_vas v;
    const uint64_t *d = NULL;
    size_t n = 0;
    if (ssp_vas_get(dtbs, &v, &d, &n) < 0) {
        ssp_vas_release(&v);
        return NULL;
    }
    uint32_t *cluster = calloc(n ? n : 1, sizeof *cluster);
    uint8_t kinds[512];
    memset(kinds, 0, sizeof kinds);
    size_t nclusters = 0;
    if (!cluster) {
        ssp_vas_release(&v);
        return PyErr_NoMemory();
    }
    ss_status status = ss_scan_cluster(src, d, n, cluster, &nclusters, kinds);
    ssp_vas_release(&v);
    PyObject *cl = PyList_New((Py_ssize_t)n), *kl = PyList_New(512);
    if (!cl || !kl) {
        Py_XDECREF(cl);
        Py_XDECREF(kl);
        free(cluster);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        PyList_SET_ITEM(cl, (Py_ssize_t)i, PyLong_FromUnsignedLong(cluster[i]));
    for (size_t i = 0; i < 512; i++)
        PyList_SET_ITEM(kl, (Py_ssize_t)i, PyUnicode_FromString(ss_slot_kind_name((ss_slot_kind)kinds[i])));
    free(cluster);
    return Py_BuildValue("(iNnN)", (int)status, cl, (Py_ssize_t)nclusters, kl);
}
%}
