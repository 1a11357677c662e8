/*
 * vmi: a running QEMU/KVM guest's physical memory, read through a shared mapping of
 * its RAM file. QEMU keeps guest RAM in such a file when started with
 *   -object memory-backend-file,id=mem,size=SIZE,mem-path=FILE,share=on
 *   -machine memory-backend=mem
 * (share=on makes it MAP_SHARED on QEMU's side, so our MAP_SHARED read-only mapping
 * sees the guest's stores as they happen).
 *
 * Spec: vmi:PATH[,OPTION...] (PATH ends at the first comma), options:
 *   machine=pc|q35   the PC layout of the RAM file (default pc, QEMU's default machine)
 *   lowmem=N         bytes of RAM below 4 GiB; the rest of the file continues at 4 GiB
 *   run=GPA:OFF:SIZE an explicit run (repeatable; replaces machine / lowmem)
 *   interval=MS      the generation also advances every MS milliseconds
 *   qmp=SOCK         QEMU's QMP socket: CPU state (CR0/CR3/CR4/EFER) through HMP
 *                    `info registers`, and ss_vmi_pause() / ss_vmi_resume()
 *   timeout=MS       bound of every QMP wait (default 5000)
 *
 * Layout. QEMU's PC machines put the first `below_4g` bytes of RAM at guest-physical
 * 0 and the rest at 4 GiB (pc_memory_init: the "ram-below-4g" alias at file offset 0,
 * "ram-above-4g" at offset below_4g mapped at 0x100000000). The split, for machine
 * types with gigabyte_align (every one since QEMU 2.1) and no max-ram-below-4g:
 *   pc (i440fx, hw/i386/pc_piix.c): RAM >= 0xe0000000 (3.5 GiB) -> below_4g = 0xc0000000
 *   q35 (hw/i386/pc_q35.c):         RAM >= 0xb0000000 (2.75 GiB) -> below_4g = 0x80000000
 * and all RAM below 4 GiB otherwise. A guest started with max-ram-below-4g, or another
 * machine, needs lowmem= or run=. The legacy VGA / option-ROM window (0xa0000-0xfffff)
 * is served from the file like any RAM: the guest sees device memory there.
 *
 * Live semantics: see sessionspace/vmi.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "qmp.h"
#include "sessionspace/vmi.h"

#define VMI_MAX_RUNS 64
#define GIB4         0x100000000ull

typedef struct vmi_run {
    uint64_t start, size; /* guest-physical: first (ss_runs_search) */
    uint64_t off;         /* file offset */
} vmi_run;

typedef struct vmi_ctx {
    ss_file file;
    vmi_run runs[VMI_MAX_RUNS];
    ss_phys_range ranges[VMI_MAX_RUNS];
    size_t nruns;
    uint64_t interval_ms; /* 0: no time-based generation */
    ss_qmp *qmp;          /* NULL without qmp= */
    pthread_mutex_t qmp_lock;
    size_t ncpus;
    ss_cpu_state *cpus; /* last registers read, one per vCPU */
} vmi_ctx;

static ss_status vmi_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    vmi_ctx *v = ctx;
    uint8_t *out = buf;
    *nread = 0;
    while (len) {
        size_t i = ss_runs_search(v->runs, v->nruns, sizeof *v->runs, pa);
        if (i == v->nruns)
            return SS_E_RANGE;
        const vmi_run *r = &v->runs[i];
        if (pa < r->start)
            return SS_E_NO_PAGE; /* a hole (the PCI window below 4 GiB) */
        uint64_t avail = r->start + r->size - pa;
        size_t n = avail < len ? (size_t)avail : len;
        memcpy(out, v->file.data + r->off + (pa - r->start), n);
        out += n;
        *nread += n;
        pa += n;
        len -= n;
    }
    return SS_OK;
}

static const uint8_t *vmi_page(void *ctx, uint64_t pfn, ss_status *status)
{
    vmi_ctx *v = ctx;
    uint64_t pa = pfn << SS_PAGE_SHIFT;
    size_t i = ss_runs_search(v->runs, v->nruns, sizeof *v->runs, pa);
    if (i == v->nruns) {
        *status = SS_E_RANGE;
        return NULL;
    }
    const vmi_run *r = &v->runs[i];
    if (pa < r->start || r->start + r->size - pa < SS_PAGE_SIZE) {
        *status = pa < r->start ? SS_E_NO_PAGE : SS_E_UNSUPPORTED; /* a run ending mid-page: read() */
        return NULL;
    }
    *status = SS_OK;
    return v->file.data + r->off + (pa - r->start);
}

static ss_status vmi_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    vmi_ctx *v = ctx;
    *ranges = v->ranges;
    *count = v->nruns;
    return SS_OK;
}

static uint64_t vmi_generation(void *ctx)
{
    vmi_ctx *v = ctx;
    if (!v->interval_ms)
        return 0; /* only explicit bumps (ss_source_bump_generation, pause, resume) */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return ms / v->interval_ms;
}

static const uint8_t *vmi_flat(void *ctx, uint64_t *size)
{
    vmi_ctx *v = ctx;
    if (v->nruns != 1 || v->runs[0].start != 0 || v->runs[0].off != 0)
        return NULL;
    *size = v->runs[0].size;
    return v->file.data;
}

/* Reads every vCPU's registers over QMP (the caller holds qmp_lock). */
static ss_status refresh_cpus(vmi_ctx *v, ss_error *err)
{
    size_t n = 0;
    ss_status st = ss_qmp_cpu_count(v->qmp, &n, err);
    if (st != SS_OK)
        return st;
    if (n == 0 || n > 4096)
        return ss_fail(err, SS_E_FORMAT, "QMP query-cpus-fast: %zu vCPUs", n);
    if (n != v->ncpus) {
        ss_cpu_state *c = realloc(v->cpus, n * sizeof *c);
        if (!c)
            return ss_fail(err, SS_E_NOMEM, "out of memory");
        v->cpus = c;
        v->ncpus = n;
    }
    char text[8192];
    for (size_t i = 0; i < n; i++) {
        if ((st = ss_qmp_hmp(v->qmp, "info registers", (int)i, text, sizeof text, err)) != SS_OK)
            return st;
        if (ss_qmp_parse_registers(text, &v->cpus[i]) != SS_OK)
            return ss_fail(err, SS_E_FORMAT, "HMP info registers (vCPU %zu): no CR0/CR2/CR3/CR4 in '%.60s'",
                           i, text);
        v->cpus[i].index = (uint32_t)i;
    }
    return SS_OK;
}

static size_t vmi_cpu_count(void *ctx)
{
    vmi_ctx *v = ctx;
    return v->qmp ? v->ncpus : 0;
}

static ss_status vmi_cpu(void *ctx, size_t i, ss_cpu_state *out)
{
    vmi_ctx *v = ctx;
    if (!v->qmp || i >= v->ncpus)
        return SS_E_INVALID_ARG;
    /* Fresh registers: a running guest switches CR3 all the time. */
    pthread_mutex_lock(&v->qmp_lock);
    ss_status st = refresh_cpus(v, NULL);
    if (st == SS_OK && i < v->ncpus)
        *out = v->cpus[i];
    else if (st == SS_OK)
        st = SS_E_INVALID_ARG;
    pthread_mutex_unlock(&v->qmp_lock);
    return st;
}

static void vmi_close(void *ctx)
{
    vmi_ctx *v = ctx;
    if (v->qmp) {
        ss_qmp_close(v->qmp);
        pthread_mutex_destroy(&v->qmp_lock);
    }
    free(v->cpus);
    ss_file_unmap(&v->file);
    free(v);
}

static const ss_backend_ops vmi_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "vmi",
    .read = vmi_read,
    .page = vmi_page,
    .ranges = vmi_ranges,
    .generation = vmi_generation,
    .cpu_count = vmi_cpu_count,
    .cpu = vmi_cpu,
    .close = vmi_close,
    .flat = vmi_flat,
};

/* ---- the spec ------------------------------------------------------------- */

static bool parse_u64(const char *s, size_t n, uint64_t *v)
{
    char tmp[32];
    if (n == 0 || n >= sizeof tmp || *s == '-' || *s == '+')
        return false;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(tmp, &end, 0);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

/* Splits "A:B:C" into three numbers. */
static bool parse_run(const char *s, size_t n, uint64_t out[3])
{
    for (int k = 0; k < 3; k++) {
        const char *c = memchr(s, ':', n);
        size_t len = k < 2 ? (c ? (size_t)(c - s) : n + 1) : n;
        if (k < 2 && !c)
            return false;
        if (!parse_u64(s, len, &out[k]))
            return false;
        if (k < 2) {
            s += len + 1;
            n -= len + 1;
        }
    }
    return true;
}

typedef struct vmi_spec {
    char path[4096];
    int machine; /* 0 pc, 1 q35 */
    bool have_lowmem;
    uint64_t lowmem;
    vmi_run runs[VMI_MAX_RUNS];
    size_t nruns;
    uint64_t interval_ms;
    char qmp[108];
    int timeout_ms;
} vmi_spec;

static ss_status parse_spec(const char *rest, vmi_spec *s, ss_error *err)
{
    memset(s, 0, sizeof *s);
    s->timeout_ms = 5000;
    const char *comma = strchr(rest, ',');
    size_t plen = comma ? (size_t)(comma - rest) : strlen(rest);
    if (plen == 0)
        return ss_fail(err, SS_E_INVALID_ARG,
                       "vmi: no RAM file (vmi:PATH[,machine=pc|q35,lowmem=N,run=GPA:OFF:SIZE,"
                       "interval=MS,qmp=SOCK,timeout=MS])");
    if (plen >= sizeof s->path)
        return ss_fail(err, SS_E_INVALID_ARG, "vmi: path longer than %zu bytes", sizeof s->path - 1);
    memcpy(s->path, rest, plen);
    for (const char *o = comma; o && *o;) {
        o++;
        const char *next = strchr(o, ',');
        size_t n = next ? (size_t)(next - o) : strlen(o);
        const char *eq = memchr(o, '=', n);
        size_t klen = eq ? (size_t)(eq - o) : n;
        const char *val = eq ? eq + 1 : o + n;
        size_t vlen = eq ? n - klen - 1 : 0;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(o, k, klen) == 0)
        uint64_t x = 0;
        if (KEY("machine") && vlen == 2 && memcmp(val, "pc", 2) == 0)
            s->machine = 0;
        else if (KEY("machine") && vlen == 3 && memcmp(val, "q35", 3) == 0)
            s->machine = 1;
        else if (KEY("lowmem") && parse_u64(val, vlen, &s->lowmem))
            s->have_lowmem = true;
        else if (KEY("interval") && parse_u64(val, vlen, &s->interval_ms) && s->interval_ms > 0)
            ;
        else if (KEY("timeout") && parse_u64(val, vlen, &x) && x > 0 && x <= 600000)
            s->timeout_ms = (int)x;
        else if (KEY("qmp") && vlen > 0 && vlen < sizeof s->qmp)
            memcpy(s->qmp, val, vlen);
        else if (KEY("run") && s->nruns < VMI_MAX_RUNS) {
            uint64_t r[3];
            if (!parse_run(val, vlen, r) || r[2] == 0)
                return ss_fail(err, SS_E_BAD_NUMBER,
                               "vmi: run=%.*s is not GPA:OFFSET:SIZE (numbers, size > 0)",
                               (int)(vlen < 64 ? vlen : 64), val);
            s->runs[s->nruns++] = (vmi_run){.start = r[0], .size = r[2], .off = r[1]};
        } else {
            return ss_fail(err, SS_E_INVALID_ARG,
                           "vmi: bad option '%.*s' (machine=pc|q35, lowmem=N, run=GPA:OFF:SIZE (at most %d), "
                           "interval=MS, qmp=SOCK, timeout=MS)",
                           (int)(n < 64 ? n : 64), o, VMI_MAX_RUNS);
        }
#undef KEY
        o = next;
    }
    if (s->nruns && s->have_lowmem)
        return ss_fail(err, SS_E_INVALID_ARG, "vmi: lowmem= and run= exclude each other");
    return SS_OK;
}

/* The runs of a PC machine whose RAM is the whole file (see the comment at the top). */
static void pc_layout(const vmi_spec *s, uint64_t ram, vmi_ctx *v)
{
    uint64_t below = ram;
    if (s->have_lowmem)
        below = s->lowmem < ram ? s->lowmem : ram;
    else if (s->machine == 0 && ram >= 0xe0000000ull)
        below = 0xc0000000ull;
    else if (s->machine == 1 && ram >= 0xb0000000ull)
        below = 0x80000000ull;
    v->nruns = 0;
    if (below)
        v->runs[v->nruns++] = (vmi_run){.start = 0, .size = below, .off = 0};
    if (ram > below)
        v->runs[v->nruns++] = (vmi_run){.start = GIB4, .size = ram - below, .off = below};
}

static int run_cmp(const void *a, const void *b)
{
    const vmi_run *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static ss_status vmi_factory_open(void *user, const char *rest, uint32_t flags, ss_source **out,
                                  ss_error *err)
{
    (void)user;
    /* Reads, walks and zero-copy pages all go through the shared mapping: that is what
     * makes the guest's stores visible. QEMU does not shrink the file while it runs. */
    if (flags & SS_OPEN_PREAD)
        return ss_fail(
            err, SS_E_UNSUPPORTED,
            "vmi: SS_OPEN_PREAD is not supported (a live RAM file is read through its shared mapping)");
    vmi_spec *s = malloc(sizeof *s);
    if (!s)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    ss_status st = parse_spec(rest, s, err);
    if (st != SS_OK) {
        free(s);
        return st;
    }
    if (s->have_lowmem && (s->lowmem == 0 || s->lowmem > GIB4 || (s->lowmem & (SS_PAGE_SIZE - 1)))) {
        unsigned long long low = s->lowmem;
        free(s);
        return ss_fail(err, SS_E_INVALID_ARG,
                       "vmi: lowmem=%#llx must be a whole number of pages in (0, 4 GiB]", low);
    }
    vmi_ctx *v = calloc(1, sizeof *v);
    if (!v) {
        free(s);
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    }
    if ((st = ss_file_map(s->path, 0, &v->file, err)) != SS_OK) {
        free(v);
        free(s);
        return st;
    }
    if (s->nruns) {
        memcpy(v->runs, s->runs, s->nruns * sizeof *v->runs);
        v->nruns = s->nruns;
        qsort(v->runs, v->nruns, sizeof *v->runs, run_cmp);
        for (size_t i = 0; i < v->nruns && st == SS_OK; i++) {
            const vmi_run *r = &v->runs[i];
            if (r->start + r->size < r->start || r->off > v->file.size || v->file.size - r->off < r->size)
                st = ss_fail(err, SS_E_INVALID_ARG,
                             "vmi: run %#llx:%#llx:%#llx lies outside %s (%llu bytes) or wraps",
                             (unsigned long long)r->start, (unsigned long long)r->off,
                             (unsigned long long)r->size, s->path, (unsigned long long)v->file.size);
            else if (i && r->start < v->runs[i - 1].start + v->runs[i - 1].size)
                st = ss_fail(err, SS_E_INVALID_ARG, "vmi: runs overlap at guest-physical %#llx",
                             (unsigned long long)r->start);
        }
    } else {
        pc_layout(s, v->file.size, v);
    }
    for (size_t i = 0; i < v->nruns; i++)
        v->ranges[i] = (ss_phys_range){.start = v->runs[i].start, .size = v->runs[i].size};
    v->interval_ms = s->interval_ms;
    if (st == SS_OK && s->qmp[0]) {
        if ((st = ss_qmp_open(s->qmp, s->timeout_ms, &v->qmp, err)) == SS_OK) {
            pthread_mutex_init(&v->qmp_lock, NULL);
            st = refresh_cpus(v, err);
        }
    }
    free(s);
    if (st == SS_OK)
        st = ss_source_from_backend(&vmi_ops, v, SS_FORMAT_VMI, out, err);
    if (st != SS_OK)
        vmi_close(v);
    return st;
}

const ss_backend_factory ss_vmi_factory = {
    .version = SS_BACKEND_FACTORY_VERSION,
    .prefix = "vmi",
    .summary = "live QEMU/KVM guest RAM file (memory-backend-file,share=on)",
    .open = vmi_factory_open,
};

/* ---- the public live-guest calls (sessionspace/vmi.h) ----------------------- */

static ss_status as_vmi(ss_source *src, ss_error *err, const char *fn, vmi_ctx **out)
{
    if (!src || src->ops != &vmi_ops)
        return ss_fail(err, SS_E_INVALID_ARG, "%s: %s", fn, src ? "not a vmi: source" : "NULL source");
    *out = src->ctx;
    if (!(*out)->qmp)
        return ss_fail(err, SS_E_UNSUPPORTED, "%s: the vmi: source was opened without qmp=SOCK", fn);
    return SS_OK;
}

/* stop / cont, then new registers and a new generation. */
static ss_status run_state(ss_source *src, const char *cmd, ss_error *err, const char *fn)
{
    vmi_ctx *v;
    ss_status st = as_vmi(src, err, fn, &v);
    if (st != SS_OK)
        return st;
    pthread_mutex_lock(&v->qmp_lock);
    st = ss_qmp_simple(v->qmp, cmd, err);
    if (st == SS_OK)
        st = refresh_cpus(v, err);
    pthread_mutex_unlock(&v->qmp_lock);
    /* Bumped whatever happened: the guest may have run (or stopped) in between. */
    ss_source_bump_generation(src);
    return st;
}

ss_status ss_vmi_pause(ss_source *src, ss_error *err)
{
    return run_state(src, "stop", err, "ss_vmi_pause");
}

ss_status ss_vmi_resume(ss_source *src, ss_error *err)
{
    return run_state(src, "cont", err, "ss_vmi_resume");
}

ss_status ss_vmi_hmp(ss_source *src, const char *line, char *out, size_t cap, ss_error *err)
{
    vmi_ctx *v;
    ss_status st = as_vmi(src, err, "ss_vmi_hmp", &v);
    if (st != SS_OK)
        return st;
    if (!line || (!out && cap))
        return ss_fail(err, SS_E_INVALID_ARG, "ss_vmi_hmp: NULL %s", line ? "out" : "line");
    pthread_mutex_lock(&v->qmp_lock);
    st = ss_qmp_hmp(v->qmp, line, -1, out, cap, err);
    pthread_mutex_unlock(&v->qmp_lock);
    return st;
}
