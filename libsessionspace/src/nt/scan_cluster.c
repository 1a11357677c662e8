/*
 * Symbol-less discovery, part 2: classify the kernel-half PML4 slots of a set of
 * page-table roots and group the roots into sessions (sessionspace/scan.h).
 *
 * Windows gives every process its own PML4 and copies the kernel-half entries into
 * it, so kernel-global space is the same PDPT frame in every process. Session space
 * is not: each session has its own PDPT(s) for the session-space slot(s), and every
 * process of the session points at them (MiSessionCreate / MiSessionAddProcess copy
 * the session's top-level entries into the new process). Per-process regions
 * (hyperspace: the working-set list) get a PDPT of their own in every process. So,
 * looking only at the frames each slot names in each table:
 *   same frame everywhere            -> kernel-global;
 *   some frame shared by >= 2 tables -> session space (equal within, different between);
 *   every frame in one table only    -> per-process.
 * On Windows 10 1607+ the session-space slot is randomized (as the self-map slot is);
 * this is how it is found from the page tables themselves.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace/scan.h"

#define ENTRIES 512u
#define HALF    256u
#define E_P     0x1ull
#define E_FRAME 0x000ffffffffff000ull

const char *ss_slot_kind_name(ss_slot_kind kind)
{
    switch (kind) {
    case SS_SLOT_UNUSED: return "unused";
    case SS_SLOT_USER: return "user";
    case SS_SLOT_SELF_MAP: return "self_map";
    case SS_SLOT_GLOBAL: return "global";
    case SS_SLOT_SESSION: return "session";
    case SS_SLOT_PRIVATE: return "private";
    }
    return "unknown";
}

/* An entry reduced to what is compared: frame | P, or 0 when not present. */
static inline uint64_t key_of(uint64_t e)
{
    return (e & E_P) ? (e & E_FRAME) | E_P : 0;
}

typedef struct tables {
    uint64_t *keys; /* keys[i * 512 + slot] */
    size_t n;
} tables;

static ss_status load_tables(ss_source *src, const uint64_t *dtbs, size_t n, tables *t)
{
    t->n = n;
    t->keys = malloc(n * ENTRIES * sizeof(uint64_t));
    if (!t->keys)
        return SS_E_NOMEM;
    uint8_t page[SS_PAGE_SIZE];
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = dtbs[i] & E_FRAME;
        ss_status st = ss_source_read(src, pa, page, sizeof page, NULL);
        if (st != SS_OK) {
            free(t->keys);
            t->keys = NULL;
            return st;
        }
        for (unsigned s = 0; s < ENTRIES; s++) {
            uint64_t e;
            memcpy(&e, page + 8 * s, 8);
            uint64_t k = key_of(e);
            /* The self-map entry is marked apart: it names a different frame in every table. */
            t->keys[i * ENTRIES + s] = (k && (k & E_FRAME) == pa) ? ~0ull : k;
        }
    }
    return SS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void classify(const tables *t, uint8_t kinds[512], uint64_t *column)
{
    for (unsigned s = 0; s < ENTRIES; s++) {
        if (s < HALF) {
            kinds[s] = SS_SLOT_USER;
            continue;
        }
        bool self = false, all_same = true, any = false;
        uint64_t k0 = t->keys[s];
        for (size_t i = 0; i < t->n; i++) {
            uint64_t k = t->keys[i * ENTRIES + s];
            column[i] = k;
            self |= k == ~0ull;
            any |= k != 0;
            all_same &= k == k0;
        }
        if (self)
            kinds[s] = SS_SLOT_SELF_MAP;
        else if (!any)
            kinds[s] = SS_SLOT_UNUSED;
        else if (all_same)
            kinds[s] = SS_SLOT_GLOBAL;
        else {
            qsort(column, t->n, sizeof *column, cmp_u64);
            bool shared = false;
            for (size_t i = 1; i < t->n && !shared; i++)
                shared = column[i] != 0 && column[i] == column[i - 1];
            kinds[s] = shared ? SS_SLOT_SESSION : SS_SLOT_PRIVATE;
        }
    }
}

ss_status ss_scan_session_slots(ss_source *src, const uint64_t *dtbs, size_t n, uint8_t kinds[512])
{
    if (!src || !dtbs || !kinds || n == 0 || n > SIZE_MAX / (ENTRIES * sizeof(uint64_t)))
        return SS_E_INVALID_ARG;
    tables t;
    ss_status st = load_tables(src, dtbs, n, &t);
    if (st != SS_OK)
        return st;
    uint64_t *column = malloc(n * sizeof *column);
    if (!column) {
        free(t.keys);
        return SS_E_NOMEM;
    }
    classify(&t, kinds, column);
    free(column);
    free(t.keys);
    return SS_OK;
}

/* Union-find with path halving; the root of a set is its smallest index. */
static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

typedef struct keyed {
    uint64_t key;
    size_t index;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

ss_status ss_scan_cluster(ss_source *src, const uint64_t *dtbs, size_t n, uint32_t *cluster,
                          size_t *nclusters, uint8_t kinds[512])
{
    if (!src || !dtbs || !cluster || !nclusters || n == 0 || n > SIZE_MAX / (ENTRIES * sizeof(uint64_t)))
        return SS_E_INVALID_ARG;
    tables t;
    ss_status st = load_tables(src, dtbs, n, &t);
    if (st != SS_OK)
        return st;
    uint8_t local_kinds[ENTRIES];
    uint8_t *k = kinds ? kinds : local_kinds;
    size_t *parent = malloc(n * sizeof *parent);
    bool *in_session = calloc(n, sizeof *in_session);
    keyed *col = malloc(n * sizeof *col);
    uint64_t *column = malloc(n * sizeof *column);
    if (!parent || !in_session || !col || !column) {
        st = SS_E_NOMEM;
        goto out;
    }
    classify(&t, k, column);
    for (size_t i = 0; i < n; i++)
        parent[i] = i;
    for (unsigned s = HALF; s < ENTRIES; s++) {
        if (k[s] != SS_SLOT_SESSION)
            continue;
        for (size_t i = 0; i < n; i++) {
            col[i].key = t.keys[i * ENTRIES + s];
            col[i].index = i;
            in_session[i] |= col[i].key != 0;
        }
        qsort(col, n, sizeof *col, cmp_keyed);
        for (size_t i = 1; i < n; i++)
            if (col[i].key != 0 && col[i].key == col[i - 1].key)
                uf_union(parent, col[i].index, col[i - 1].index);
    }
    /* Number the sessions by their first table in dtbs[] (the root is the smallest index). */
    size_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_session[i]) {
            cluster[i] = 0;
            continue;
        }
        size_t r = uf_find(parent, i);
        if (r == i)
            cluster[i] = (uint32_t)++next;
        else
            cluster[i] = cluster[r];
    }
    *nclusters = next;
out:
    free(column);
    free(col);
    free(in_session);
    free(parent);
    free(t.keys);
    return st;
}
