/*
 * Symbol-less discovery, part 1: scan a source for top-level page tables that map
 * themselves (sessionspace/scan.h).
 *
 * Windows x64 keeps one entry of every PML4 pointing at the PML4's own frame (the
 * self-map: slot 0x1ED up to Windows 10 1511, a random kernel-half slot since 1607).
 * Other readers find DTBs the same way; the checks below combine theirs:
 *  - Volatility 3 (framework/automagic/windows.py, the self-referential DTB test):
 *    exactly one entry references the page itself, and no present entry has the
 *    PS bit (bit 7, reserved in a PML4E; Intel SDM Vol. 3A, Table 4-15);
 *  - MemProcFS (vmm/vmmwininit.c, the x64 DTB validation): the self entry is P+RW
 *    with PS clear, at least 6 present supervisor kernel-half entries whose frames
 *    lie below the top of physical memory, and more than 64 zero entries in each
 *    half.
 * We require all of them (thresholds adjustable through ss_scan_options), and the
 * shape of the halves: the self entry in the kernel half (slot >= 256) and every
 * present user-half entry user-accessible (US set: a user page needs US at every
 * level, Intel SDM Vol. 3A 4.6.1). The US bit of the self entry itself is not
 * checked: the March 2018 Windows 7 update ("Total Meltdown") shipped it set.
 *
 * False positives and what rejects them:
 *  - a copy of a PML4 in another frame (a page written out and read back through
 *    the pagefile, a hibernation or crash-dump buffer, a debugger's copy): its
 *    self entry names the original frame, not its own, so it has no self-reference;
 *  - a page with the PFN pattern repeated (two self-references), random data with
 *    bit 7 set in a "present" word, or frames past the end of memory;
 *  - all-zero pages and most data pages: no present entry names the page itself.
 * Not rejected: a freed PML4 of an exited process whose frame has not been reused
 * (it is a real table, with the right self-map); and a PML4 that the boot loader
 * built and the kernel left behind. Both show up as extra DTBs; the process list
 * (where symbols are available) tells them apart.
 *
 * Speed: the hot loop looks only at the kernel half (where the self entry must be)
 * and only for "present and names this frame"; the full checks run on the rare
 * pages that pass. Pages come zero-copy from ss_source_page() where the backend
 * allows it; ss_source_read() into one stack buffer otherwise.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace/scan.h"

#include "../backend/backend.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define ENTRIES                 512u
#define HALF                    256u
#define E_P                     0x1ull
#define E_RW                    0x2ull
#define E_US                    0x4ull
#define E_PS                    0x80ull
#define E_FRAME                 0x000ffffffffff000ull /* bits 12-51: the frame (MAXPHYADDR <= 52) */
#define DEFAULT_MIN_KERNEL_X64  6u
#define DEFAULT_MIN_KERNEL_LA57 1u
#define DEFAULT_MIN_ZERO        64u
#define DEFAULT_PROGRESS_STEP   (64ull << 20)

typedef struct scan_params {
    uint32_t min_kernel;
    uint32_t min_zero;
    uint64_t max_pa;
    unsigned va_shift; /* 39 for a PML4, 48 for a PML5 */
} scan_params;

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* x86 hosts: little-endian, as the tables */
    return v;
}

/* The VA whose top-level index is slot: slot << shift, sign-extended from bit shift + 8. */
static uint64_t slot_va(uint32_t slot, unsigned shift)
{
    uint64_t va = (uint64_t)slot << shift;
    if (slot >= HALF)
        va |= ~0ull << (shift + 9);
    return va;
}

/*
 * Hot path: does the kernel half hold an entry that is present and names this
 * frame? Only "any" matters here (check_table counts). SSE2 has no 64-bit compare,
 * so an entry matches when both of its 32-bit halves compare equal.
 */
static inline bool kernel_self_hit(const uint8_t *page, uint64_t pa)
{
    const uint64_t want = pa | E_P;
#if defined(__SSE2__)
    const __m128i m = _mm_set1_epi64x((long long)(E_FRAME | E_P));
    const __m128i w = _mm_set1_epi64x((long long)want);
    __m128i acc = _mm_setzero_si128();
    for (unsigned i = HALF; i < ENTRIES; i += 4) {
        __m128i a = _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128((const __m128i *)(page + 8 * i)), m), w);
        __m128i b =
            _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128((const __m128i *)(page + 8 * i + 16)), m), w);
        acc = _mm_or_si128(acc, _mm_and_si128(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 3, 0, 1))));
        acc = _mm_or_si128(acc, _mm_and_si128(b, _mm_shuffle_epi32(b, _MM_SHUFFLE(2, 3, 0, 1))));
    }
    return _mm_movemask_epi8(acc) != 0;
#else
    uint64_t hit = 0;
    for (unsigned i = HALF; i < ENTRIES; i++)
        hit |= (load_le64(page + 8 * i) & (E_FRAME | E_P)) == want;
    return hit != 0;
#endif
}

/* The full checks (see the file comment). Fills *c and returns 1 when the page passes. */
static int check_table(const uint8_t *page, uint64_t pa, const scan_params *p, ss_scan_candidate *c)
{
    unsigned self_count = 0, self_slot = 0;
    unsigned zero[2] = {0, 0}, present[2] = {0, 0}, kernel_supervisor = 0;
    for (unsigned i = 0; i < ENTRIES; i++) {
        uint64_t e = load_le64(page + 8 * i);
        unsigned half = i >= HALF;
        if (e == 0) {
            zero[half]++;
            continue;
        }
        if (!(e & E_P))
            continue; /* not present: software bits, never followed */
        if (e & E_PS)
            return 0;
        if ((e & E_FRAME) >= p->max_pa)
            return 0;
        present[half]++;
        if ((e & E_FRAME) == pa) {
            self_count++;
            self_slot = i;
        } else if (half && !(e & E_US)) {
            kernel_supervisor++;
        } else if (!half && !(e & E_US)) {
            return 0; /* user space is user-accessible at every level, the PML4E first */
        }
    }
    if (self_count != 1 || self_slot < HALF)
        return 0;
    uint64_t self = load_le64(page + 8 * self_slot);
    if (!(self & E_RW))
        return 0;
    if (kernel_supervisor < p->min_kernel || zero[0] < p->min_zero || zero[1] < p->min_zero)
        return 0;
    c->dtb = pa;
    c->self_map_slot = self_slot;
    c->self_map_base = slot_va(self_slot, p->va_shift);
    c->kernel_present = present[1];
    c->user_present = present[0];
    c->reserved = 0;
    return 1;
}

/* The whole pages of a range: frames [*first, *end). */
static void range_pages(const ss_phys_range *r, uint64_t *first, uint64_t *end)
{
    *first = (r->start + SS_PAGE_SIZE - 1) >> SS_PAGE_SHIFT;
    *end = (r->start + r->size) >> SS_PAGE_SHIFT;
    if (*end < *first)
        *end = *first;
}

static ss_status params_from(ss_source *src, const ss_scan_options *opts, scan_params *p, uint64_t *step)
{
    ss_scan_options def = SS_SCAN_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->version < 1 || opts->version > SS_SCAN_OPTIONS_VERSION)
        return SS_E_INVALID_ARG;
    bool la57;
    switch (opts->mode) {
    case SS_MODE_AUTO:
    case SS_MODE_X64: la57 = false; break;
    case SS_MODE_LA57: la57 = true; break;
    default: return SS_E_INVALID_ARG;
    }
    p->va_shift = la57 ? 48 : 39;
    p->min_kernel = opts->min_kernel_entries ? opts->min_kernel_entries
                                             : (la57 ? DEFAULT_MIN_KERNEL_LA57 : DEFAULT_MIN_KERNEL_X64);
    p->min_zero = opts->min_zero_entries ? opts->min_zero_entries : DEFAULT_MIN_ZERO;
    if (p->min_zero > HALF)
        return SS_E_INVALID_ARG;
    p->max_pa = opts->max_pa ? opts->max_pa : ss_source_max_pa(src);
    *step = opts->progress_step ? opts->progress_step : DEFAULT_PROGRESS_STEP;
    return SS_OK;
}

ss_status ss_scan_options_init(ss_scan_options *opts, unsigned version)
{
    _Static_assert(offsetof(ss_scan_options, version) == 0, "version first");
    /* all in version 1; mode 0 (SS_MODE_AUTO) means the default, x64 */
    return ss_versioned_init(opts, sizeof *opts, version, SS_SCAN_OPTIONS_VERSION);
}

ss_status ss_scan_run(ss_source *src, const ss_scan_options *opts, ss_scan_found_fn found, void *arg,
                      ss_scan_stats *stats)
{
    ss_scan_stats local;
    if (!stats)
        stats = &local;
    if (!src || !found)
        return SS_E_INVALID_ARG;
    scan_params p;
    uint64_t step;
    ss_status st = params_from(src, opts, &p, &step);
    if (st != SS_OK)
        return st;
    ss_scan_progress_fn progress = opts ? opts->progress : NULL;
    void *progress_arg = opts ? opts->progress_arg : NULL;

    memset(stats, 0, sizeof *stats);
    const ss_phys_range *ranges;
    size_t nranges;
    st = ss_source_ranges(src, &ranges, &nranges);
    if (st != SS_OK)
        return st;
    for (size_t r = 0; r < nranges; r++) {
        uint64_t first, end;
        range_pages(&ranges[r], &first, &end);
        stats->bytes_total += (end - first) << SS_PAGE_SHIFT;
    }

    uint64_t done = 0, next_report = step;
    uint8_t buf[SS_PAGE_SIZE];
    if (progress && progress(progress_arg, 0, stats->bytes_total))
        return SS_E_CANCELLED;
    for (size_t r = 0; r < nranges; r++) {
        uint64_t first, end;
        range_pages(&ranges[r], &first, &end);
        for (uint64_t pfn = first; pfn < end; pfn++) {
            uint64_t pa = pfn << SS_PAGE_SHIFT;
            const uint8_t *page = NULL;
            ss_status ps = ss_source_page(src, pfn, &page);
            if (ps == SS_E_UNSUPPORTED) {
                /* No pointer for this page: read the kernel half, which decides whether the
                   user half is worth reading at all. */
                page = buf;
                ps = ss_source_read(src, pa + SS_PAGE_SIZE / 2, buf + SS_PAGE_SIZE / 2, SS_PAGE_SIZE / 2,
                                    NULL);
                if (ps == SS_OK && kernel_self_hit(buf, pa))
                    ps = ss_source_read(src, pa, buf, SS_PAGE_SIZE / 2, NULL);
                else if (ps == SS_OK)
                    page = NULL; /* read, and not a candidate */
            }
            if (ps != SS_OK) {
                stats->pages_unreadable++;
            } else {
                stats->pages_scanned++;
                ss_scan_candidate c;
                if (page && kernel_self_hit(page, pa) && check_table(page, pa, &p, &c)) {
                    stats->candidates++;
                    if (found(arg, &c))
                        return SS_E_CANCELLED;
                }
            }
            done += SS_PAGE_SIZE;
            if (progress && done >= next_report) {
                next_report = done + step;
                if (progress(progress_arg, done, stats->bytes_total))
                    return SS_E_CANCELLED;
            }
        }
    }
    /* The final call: done == total, exactly once even when the last step landed there. */
    if (progress && next_report != done + step && progress(progress_arg, done, stats->bytes_total))
        return SS_E_CANCELLED;
    return SS_OK;
}

typedef struct collect_ctx {
    ss_scan_candidate *items;
    size_t count, cap;
    bool nomem;
} collect_ctx;

static int collect_one(void *arg, const ss_scan_candidate *c)
{
    collect_ctx *cc = arg;
    if (cc->count == cc->cap) {
        size_t cap = cc->cap ? cc->cap * 2 : 64;
        ss_scan_candidate *n = realloc(cc->items, cap * sizeof *n);
        if (!n) {
            cc->nomem = true;
            return 1;
        }
        cc->items = n;
        cc->cap = cap;
    }
    cc->items[cc->count++] = *c;
    return 0;
}

ss_status ss_scan_collect(ss_source *src, const ss_scan_options *opts, ss_scan_candidate **out, size_t *count,
                          ss_scan_stats *stats)
{
    if (!out || !count)
        return SS_E_INVALID_ARG;
    *out = NULL;
    *count = 0;
    collect_ctx cc = {NULL, 0, 0, false};
    ss_status st = ss_scan_run(src, opts, collect_one, &cc, stats);
    if (cc.nomem)
        st = SS_E_NOMEM;
    if (st != SS_OK) {
        free(cc.items);
        return st;
    }
    *out = cc.items;
    *count = cc.count;
    return SS_OK;
}

void ss_scan_free(ss_scan_candidate *candidates)
{
    free(candidates);
}
