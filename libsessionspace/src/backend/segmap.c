/*
 * Sorted segment index (see segmap.h). Overlaps are resolved once at build time
 * so that lookups never have to choose between candidates: a paging ELF dump
 * maps the same physical page from many PT_LOADs, and a flattened makedumpfile
 * stream may rewrite a region of its logical file.
 */
#include <stdlib.h>

#include "segmap.h"

typedef struct seq_seg {
    ss_seg s;
    size_t seq; /* position in the caller's array: higher wins */
} seq_seg;

static int cmp_seq_seg(const void *a, const void *b)
{
    const seq_seg *x = a, *y = b;
    if (x->s.start != y->s.start)
        return x->s.start < y->s.start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Max-heap of indexes into v ordered by seq. */
static void heap_push(size_t *h, size_t *n, const seq_seg *v, size_t x)
{
    size_t i = (*n)++;
    h[i] = x;
    while (i && v[h[(i - 1) / 2]].seq < v[h[i]].seq) {
        size_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void heap_pop(size_t *h, size_t *n, const seq_seg *v)
{
    h[0] = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && v[h[l]].seq > v[h[m]].seq)
            m = l;
        if (r < *n && v[h[r]].seq > v[h[m]].seq)
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* Appends [start, end) at file offset off to out, merging with the previous piece. */
static void emit(ss_seg *out, size_t *n, uint64_t start, uint64_t end, uint64_t off)
{
    if (*n) {
        ss_seg *p = &out[*n - 1];
        if (p->start + p->size == start && p->off + p->size == off) {
            p->size += end - start;
            return;
        }
    }
    out[(*n)++] = (ss_seg){start, end - start, off};
}

/*
 * Overlap resolution by sweeping the elementary intervals between all segment
 * boundaries: inside each, the covering segment with the highest seq wins.
 * O(n log n); out has room for 2n pieces.
 */
static ss_status sweep(const seq_seg *v, size_t n, ss_seg *out, size_t *nout)
{
    uint64_t *b = malloc(2 * n * sizeof *b);
    size_t *heap = malloc(n * sizeof *heap);
    if (!b || !heap) {
        free(b);
        free(heap);
        return SS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        b[2 * i] = v[i].s.start;
        b[2 * i + 1] = v[i].s.start + v[i].s.size;
    }
    qsort(b, 2 * n, sizeof *b, cmp_u64);
    size_t nb = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (!nb || b[nb - 1] != b[i])
            b[nb++] = b[i];
    size_t hn = 0, next = 0;
    *nout = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        while (next < n && v[next].s.start == b[k])
            heap_push(heap, &hn, v, next++);
        while (hn && v[heap[0]].s.start + v[heap[0]].s.size <= b[k])
            heap_pop(heap, &hn, v); /* lazily drop segments that ended */
        if (hn) {
            const ss_seg *w = &v[heap[0]].s;
            emit(out, nout, b[k], b[k + 1], w->off + (b[k] - w->start));
        }
    }
    free(b);
    free(heap);
    return SS_OK;
}

ss_status ss_segmap_build(ss_segmap *m, ss_seg *in, size_t n, bool allow_overlap)
{
    memset(m, 0, sizeof *m);
    seq_seg *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return SS_E_NOMEM;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i].size)
            v[nv++] = (seq_seg){in[i], i};
    qsort(v, nv, sizeof *v, cmp_seq_seg);

    bool overlap = false;
    for (size_t i = 1; i < nv && !overlap; i++)
        overlap = v[i].s.start < v[i - 1].s.start + v[i - 1].s.size;
    if (overlap && !allow_overlap) {
        free(v);
        return SS_E_CORRUPT;
    }
    ss_seg *out = malloc((2 * nv + 1) * sizeof *out);
    if (!out) {
        free(v);
        return SS_E_NOMEM;
    }
    size_t nout = 0;
    if (overlap) {
        ss_status st = sweep(v, nv, out, &nout);
        if (st != SS_OK) {
            free(v);
            free(out);
            return st;
        }
    } else {
        for (size_t i = 0; i < nv; i++)
            emit(out, &nout, v[i].s.start, v[i].s.start + v[i].s.size, v[i].s.off);
    }
    free(v);

    size_t nr = 0;
    for (size_t i = 0; i < nout; i++)
        if (!i || out[i - 1].start + out[i - 1].size != out[i].start)
            nr++;
    ss_phys_range *r = malloc((nr ? nr : 1) * sizeof *r);
    if (!r) {
        free(out);
        return SS_E_NOMEM;
    }
    nr = 0;
    for (size_t i = 0; i < nout; i++) {
        if (nr && r[nr - 1].start + r[nr - 1].size == out[i].start)
            r[nr - 1].size += out[i].size;
        else
            r[nr++] = (ss_phys_range){out[i].start, out[i].size};
    }
    m->segs = out;
    m->n = nout;
    m->ranges = r;
    m->nranges = nr;
    m->end = nout ? out[nout - 1].start + out[nout - 1].size : 0;
    return SS_OK;
}

void ss_segmap_free(ss_segmap *m)
{
    free(m->segs);
    free(m->ranges);
    memset(m, 0, sizeof *m);
}

const ss_seg *ss_segmap_find(const ss_segmap *m, uint64_t addr)
{
    size_t lo = ss_runs_search(m->segs, m->n, sizeof *m->segs, addr);
    if (lo == m->n || addr < m->segs[lo].start)
        return NULL;
    return &m->segs[lo];
}

ss_status ss_segmap_read(const ss_segmap *m, const ss_file *f, uint64_t addr, void *buf, size_t len,
                         size_t *nread)
{
    uint8_t *out = buf;
    size_t done = 0;
    *nread = 0;
    while (done < len) {
        uint64_t a = addr + done;
        if (a < addr || a >= m->end)
            return SS_E_RANGE;
        const ss_seg *s = ss_segmap_find(m, a);
        if (!s)
            return SS_E_NO_PAGE;
        uint64_t avail = s->start + s->size - a;
        size_t n = avail < len - done ? (size_t)avail : len - done;
        ss_status st = ss_file_copy(f, s->off + (a - s->start), out + done, n);
        if (st != SS_OK)
            return st;
        done += n;
        *nread = done;
    }
    return SS_OK;
}

bool ss_segmap_holds(const ss_segmap *m, uint64_t addr, uint64_t len)
{
    if (len > UINT64_MAX - addr)
        return false;
    uint64_t end = addr + len;
    while (addr < end) {
        const ss_seg *s = ss_segmap_find(m, addr);
        if (!s)
            return false;
        addr = s->start + s->size; /* segments are merged where contiguous, but may abut */
    }
    return true;
}

const uint8_t *ss_segmap_ptr(const ss_segmap *m, const ss_file *f, uint64_t addr, uint64_t len)
{
    if (!f->data)
        return NULL;
    const ss_seg *s = ss_segmap_find(m, addr);
    if (!s || s->start + s->size - addr < len)
        return NULL;
    return f->data + s->off + (addr - s->start);
}

const uint8_t *ss_segmap_page(const ss_segmap *m, const ss_file *f, uint64_t pfn, ss_status *status)
{
    if (pfn > (UINT64_MAX >> SS_PAGE_SHIFT) || (pfn << SS_PAGE_SHIFT) >= m->end) {
        *status = SS_E_RANGE;
        return NULL;
    }
    uint64_t pa = pfn << SS_PAGE_SHIFT;
    const uint8_t *p = ss_segmap_ptr(m, f, pa, SS_PAGE_SIZE);
    if (p) {
        *status = SS_OK;
        return p;
    }
    /* Is any byte of the page held? The first segment ending above pa tells. */
    size_t lo = ss_runs_search(m->segs, m->n, sizeof *m->segs, pa);
    bool any = lo < m->n && m->segs[lo].start < pa + SS_PAGE_SIZE;
    *status = any ? SS_E_UNSUPPORTED : SS_E_NO_PAGE;
    return NULL;
}
