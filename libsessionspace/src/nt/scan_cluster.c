/*
 * Symbol-less discovery, part 2: classify the kernel-half PML4 slots of a set of
 * page-table roots and group the roots into sessions (sessionspace/scan.h).
 *
 * The slot rule (kernel-global, session, per-process, from the frames each slot names in
 * each table) is the one the Windows model uses too: nt/pml4.c, here without labels.
 * Tables that share a frame in a session slot are in one session.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pml4.h"
#include "sessionspace/scan.h"

#define ENTRIES SS_PML4_ENTRIES
#define HALF    SS_PML4_HALF

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

ss_status ss_scan_session_slots(ss_source *src, const uint64_t *dtbs, size_t n, uint8_t kinds[512])
{
    if (!src || !dtbs || !kinds || n == 0)
        return SS_E_INVALID_ARG;
    uint64_t *keys;
    ss_status st = ss_pml4_load(src, dtbs, n, &keys);
    if (st == SS_OK)
        st = ss_pml4_classify(keys, n, NULL, kinds);
    free(keys);
    return st;
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
    if (!src || !dtbs || !cluster || !nclusters || n == 0)
        return SS_E_INVALID_ARG;
    uint64_t *keys;
    ss_status st = ss_pml4_load(src, dtbs, n, &keys);
    if (st != SS_OK)
        return st;
    uint8_t local_kinds[ENTRIES];
    uint8_t *k = kinds ? kinds : local_kinds;
    size_t *parent = malloc(n * sizeof *parent);
    bool *in_session = calloc(n, sizeof *in_session);
    keyed *col = malloc(n * sizeof *col);
    if (!parent || !in_session || !col || (st = ss_pml4_classify(keys, n, NULL, k)) != SS_OK) {
        st = SS_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        parent[i] = i;
    for (unsigned s = HALF; s < ENTRIES; s++) {
        if (k[s] != SS_SLOT_SESSION)
            continue;
        for (size_t i = 0; i < n; i++) {
            col[i].key = keys[i * ENTRIES + s];
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
    free(col);
    free(in_session);
    free(parent);
    free(keys);
    return st;
}
