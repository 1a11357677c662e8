/*
 * The kd backend (its packet layer: test_backend_gdbrsp.c): a fake gdbstub (tests/support/fakestub.c) serves
 * an image-builder image over the GDB remote serial protocol; translations through
 * kd:tcp: equal the builder's mappings, halts and continues change the generation so
 * no stale answer is served, and each kind of misbehaving peer gives its specific
 * status and message within a bounded time.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "elfwriter.h"
#include "fakestub.h"
#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

#define CR0_PE_PG 0x80000011ull
#define CR4_PAE   0x20ull
#define EFER_LMA  0x500ull

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the backend against the fake stub --------------------------------------------- */

typedef struct fixture {
    ssb_image *img;
    uint64_t cr3, cr3b;
    uint64_t vas[64];
    size_t nvas;
    uint64_t own_va[32], own_pa[32];
} fixture;

static void fixture_init(fixture *f)
{
    f->img = ssw_sample_image(SS_MODE_X64, &f->cr3, f->vas, &f->nvas);
    ck_assert_ptr_nonnull(f->img);
    f->cr3b = ssb_new_root(f->img);
    /* own mappings under the second root, to pages the sample wrote (PFN patterns) */
    uint64_t rng = 11;
    for (int i = 0; i < 32; i++) {
        f->own_va[i] = 0x7ff700000000ull + ((ss_test_rand(&rng) & 0xffffull) << 12);
        f->own_pa[i] = (0x100ull + (ss_test_rand(&rng) & 0x1fffull)) << 12; /* below the tables at 32 MiB */
        for (int j = 0; j < i; j++)
            if (f->own_va[j] == f->own_va[i])
                f->own_va[i] += 0x1000ull * 0x10000;
        ck_assert_int_eq(ssb_map(f->img, f->cr3b, f->own_va[i], f->own_pa[i], 4096, SSB_RW | SSB_US), 0);
    }
}

static fstub *start_stub(const fixture *f, bool ack_mode, bool rle, fstub_fault fault, char fault_on)
{
    fstub_config c = {.img = f->img,
                      .cr3 = {f->cr3, f->cr3b},
                      .cr0 = CR0_PE_PG,
                      .cr4 = CR4_PAE,
                      .efer = EFER_LMA,
                      .ack_mode = ack_mode,
                      .rle = rle,
                      .fault = fault,
                      .fault_on = fault_on};
    fstub *s = fstub_start(&c);
    ck_assert_ptr_nonnull(s);
    return s;
}

static ss_source *open_kd(fstub *s, const char *opts, ss_status want, ss_error *err)
{
    char spec[128];
    snprintf(spec, sizeof spec, "kd:tcp:127.0.0.1:%u%s", fstub_port(s), opts ? opts : "");
    ss_source *src = NULL;
    ss_status st = ss_source_open(spec, &src, err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", spec, ss_status_name(st), err->message,
                  ss_status_name(want));
    return src;
}

/* Every VA of the sample translates through kd: as through the raw image, and the
 * second vCPU's own mappings give exactly the PAs the test mapped, with their bytes. */
static void check_translations(fixture *f, ss_source *src)
{
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_KD);
    ck_assert_str_eq(ss_format_name(SS_FORMAT_KD), "kd");
    ck_assert_uint_eq(ss_source_cpu_count(src), 2);
    ss_cpu_state c0, c1;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c0), SS_OK);
    ck_assert_int_eq(ss_source_cpu(src, 1, &c1), SS_OK);
    /* register 29 is cr3 (the commented-out base registers do not count) */
    ck_assert_uint_eq(c0.cr3, f->cr3);
    ck_assert_uint_eq(c1.cr3, f->cr3b);
    ck_assert_uint_eq(c0.cr0, CR0_PE_PG);
    ck_assert_uint_eq(c0.cr2, 0xdead000);
    ck_assert_uint_eq(c0.cr4, CR4_PAE);
    ck_assert_uint_eq(c0.efer, EFER_LMA);
    ss_mode mode;
    uint64_t dtb;
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_X64);
    ck_assert_uint_eq(dtb, f->cr3);

    ss_source *raw = ss_test_open_raw(f->img, "kd-peer.raw");
    ss_space *a, *b;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, f->cr3, NULL, &a), SS_OK);
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, f->cr3, NULL, &b), SS_OK);
    size_t mapped = 0;
    for (size_t i = 0; i < f->nvas; i++) {
        ss_xlat x, y;
        ss_status sa = ss_space_walk(a, f->vas[i], &x), sb = ss_space_walk(b, f->vas[i], &y);
        ck_assert_msg(sa == sb, "va %#llx: kd %s, raw %s", (unsigned long long)f->vas[i], ss_status_name(sa),
                      ss_status_name(sb));
        ck_assert_int_eq(x.state, y.state);
        ck_assert_uint_eq(x.pa, y.pa);
        mapped += sa == SS_OK;
    }
    ck_assert_uint_gt(mapped, 8);
    ck_assert_int_eq(ss_space_set_dtb(a, c1.cr3), SS_OK);
    for (int i = 0; i < 32; i++) {
        uint64_t pa = 0;
        ck_assert_int_eq(ss_translate(a, f->own_va[i] + 0x123, &pa), SS_OK);
        ck_assert_uint_eq(pa, f->own_pa[i] + 0x123);
        uint8_t got[64], want[64];
        ck_assert_int_eq(ss_space_read(a, f->own_va[i] + 0x100, got, 64, NULL), SS_OK);
        ck_assert_int_eq(ssb_read(f->img, f->own_pa[i] + 0x100, want, 64), 0);
        ck_assert_int_eq(memcmp(got, want, 64), 0);
    }
    ss_space_close(a);
    ss_space_close(b);
    ss_source_close(raw);
}

START_TEST(translations_match_builder)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    ss_error err;
    ss_source *src = open_kd(s, NULL, SS_OK, &err);
    check_translations(&f, src);
    /* a page read twice costs no second request: the backend caches per generation */
    uint8_t a[16], b[16];
    ck_assert_int_eq(ss_source_read(src, 0x5000, a, 16, NULL), SS_OK);
    unsigned long before = fstub_mem_requests(s);
    ck_assert_int_eq(ss_source_read(src, 0x5ff0, b, 16, NULL), SS_OK);
    ck_assert_uint_eq(fstub_mem_requests(s), before);
    ck_assert_int_eq(ssb_read(f.img, 0x5000, b, 16), 0);
    ck_assert_int_eq(memcmp(a, b, 16), 0);
    /* a read across pages and past the default chunk, compared with the image */
    uint8_t *big = malloc(5 * 4096), *ref = malloc(5 * 4096);
    size_t nread = 0;
    ck_assert_int_eq(ss_source_read(src, 0x10800, big, 5 * 4096, &nread), SS_OK);
    ck_assert_uint_eq(nread, 5 * 4096);
    ck_assert_int_eq(ssb_read(f.img, 0x10800, ref, 5 * 4096), 0);
    ck_assert_int_eq(memcmp(big, ref, 5 * 4096), 0);
    /* past the image: the stub's E14 is a page the source does not hold */
    ck_assert_int_eq(ss_source_read(src, ssb_size(f.img) + 0x1000, big, 8, &nread), SS_E_NO_PAGE);
    ck_assert_uint_eq(nread, 0);
    ck_assert_ptr_nonnull(strstr(ss_kd_last_error(src), "E14"));
    free(big);
    free(ref);
    ck_assert(ss_kd_round_trips(src) > 0);
    char out[64];
    size_t olen;
    ck_assert_int_eq(ss_kd_monitor(src, "echo hello monitor", out, sizeof out, &olen), SS_OK);
    ck_assert_str_eq(out, "hello monitor\n");
    ck_assert_uint_eq(olen, 14);
    ck_assert_int_eq(ss_kd_monitor(src, "echo hello monitor", out, 6, &olen), SS_OK);
    ck_assert_str_eq(out, "hello"); /* cut, full length still told */
    ck_assert_uint_eq(olen, 14);
    ss_source_close(src);
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

/* Acks on (no QStartNoAckMode) and run-length encoded replies: the same answers. */
START_TEST(ack_mode_and_rle)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, true, true, FSTUB_NONE, 0);
    ss_error err;
    ss_source *src = open_kd(s, NULL, SS_OK, &err);
    check_translations(&f, src);
    ss_source_close(src);
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

typedef struct remap_arg {
    fixture *f;
    uint64_t new_pa;
} remap_arg;

static void remap(void *arg)
{
    remap_arg *r = arg;
    /* the guest moves own_va[0] to another frame and writes a marker there */
    ck_assert_int_eq(ssb_map(r->f->img, r->f->cr3b, r->f->own_va[0], r->new_pa, 4096, SSB_RW | SSB_US), 0);
    ck_assert_int_eq(ssb_write(r->f->img, r->new_pa + 0x100, "fresh!", 6), 0);
}

static void overwrite(void *arg)
{
    remap_arg *r = arg;
    ck_assert_int_eq(ssb_write(r->f->img, r->new_pa + 0x100, "again!", 6), 0);
}

/* continue / halt bump the generation; while the guest runs nothing is read; after the
 * halt the new mapping and the new bytes are served, not the cached ones. */
START_TEST(generation_and_invalidation)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    ss_error err;
    ss_source *src = open_kd(s, ",onclose=stay", SS_OK, &err);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, f.cr3b, NULL, &sp), SS_OK);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, f.own_va[0], &pa), SS_OK);
    ck_assert_uint_eq(pa, f.own_pa[0]);
    char old[6];
    ck_assert_int_eq(ss_space_read(sp, f.own_va[0] + 0x100, old, 6, NULL), SS_OK);
    uint64_t g0 = ss_source_generation(src);
    ck_assert(ss_kd_is_halted(src));

    ck_assert_int_eq(ss_kd_continue(src), SS_OK);
    uint64_t g1 = ss_source_generation(src);
    ck_assert_uint_ne(g1, g0);
    ck_assert(!ss_kd_is_halted(src));
    for (int i = 0; i < 200 && !fstub_running(s); i++)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    ck_assert(fstub_running(s));
    ck_assert_int_eq(ss_translate(sp, f.own_va[0], &pa), SS_E_PT_READ); /* nothing read while it runs */
    uint8_t b[8];
    ck_assert_int_eq(ss_source_read(src, 0x5000, b, 8, NULL), SS_E_BUSY);
    ck_assert_ptr_nonnull(strstr(ss_kd_last_error(src), "running"));
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_E_BUSY);

    remap_arg r = {&f, 0x1f00000};
    fstub_locked(s, remap, &r);
    ck_assert_int_eq(ss_kd_halt(src), SS_OK); /* ^C to the running guest */
    ck_assert(!fstub_running(s));
    uint64_t g2 = ss_source_generation(src);
    ck_assert_uint_ne(g2, g1);
    ck_assert_int_eq(ss_translate(sp, f.own_va[0], &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x1f00000);
    char now[7] = {0};
    ck_assert_int_eq(ss_space_read(sp, f.own_va[0] + 0x100, now, 6, NULL), SS_OK);
    ck_assert_str_eq(now, "fresh!");
    /* halting a halted guest uses '?' (a ^C would get no reply) and still bumps */
    ck_assert_int_eq(ss_kd_halt(src), SS_OK);
    ck_assert_uint_ne(ss_source_generation(src), g2);
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_OK);
    ck_assert_uint_eq(c.cr3, f.cr3b);
    /* an explicit bump (the caller knows memory changed) drops the kd page cache too */
    ck_assert_int_eq(ss_space_read(sp, f.own_va[0] + 0x100, now, 6, NULL), SS_OK);
    fstub_locked(s, overwrite, &r);
    ck_assert_int_eq(ss_space_read(sp, f.own_va[0] + 0x100, now, 6, NULL), SS_OK);
    ck_assert_str_eq(now, "fresh!"); /* same generation: the cached page */
    ck_assert_int_eq(ss_source_bump_generation(src), SS_OK);
    ck_assert_int_eq(ss_space_read(sp, f.own_va[0] + 0x100, now, 6, NULL), SS_OK);
    ck_assert_str_eq(now, "again!");
    ss_space_close(sp);
    ss_source_close(src);
    ck_assert_uint_eq(fstub_detaches(s), 0); /* onclose=stay: no D, the guest stays halted */
    ck_assert(!fstub_running(s));
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

typedef struct reader_arg {
    ss_source *src;
    const ssb_image *img;
    unsigned seed;
    int bad;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *r = p;
    uint64_t rng = r->seed;
    for (int i = 0; i < 300; i++) {
        uint64_t pa = (ss_test_rand(&rng) % 8192) * 4096 + (ss_test_rand(&rng) % 4000);
        uint8_t got[64], want[64];
        if (ss_source_read(r->src, pa, got, 64, NULL) != SS_OK || ssb_read(r->img, pa, want, 64) != 0 ||
            memcmp(got, want, 64) != 0)
            r->bad++;
    }
    return NULL;
}

/* Sources may be shared by threads: four readers through one kd source (one stub
 * conversation, serialised inside) all get the image's bytes. */
START_TEST(threads_share_source)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    ss_error err;
    ss_source *src = open_kd(s, NULL, SS_OK, &err);
    pthread_t th[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){src, f.img, (unsigned)(i + 1) * 7919, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(args[i].bad, 0);
    }
    ss_source_close(src);
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

START_TEST(close_detaches_and_resumes)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    ss_error err;
    ss_source *src = open_kd(s, NULL, SS_OK, &err);
    ss_source_close(src);
    for (int i = 0; i < 200 && !fstub_detaches(s); i++)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    ck_assert_uint_eq(fstub_detaches(s), 1);
    ck_assert(fstub_running(s));
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

/* One misbehaviour: the open (fault_on 0) or a memory read ('m') fails with want, a
 * message containing needle, within the 300 ms timeout plus slack. */
static void check_fault(fstub_fault fault, char fault_on, ss_status want, const char *needle)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, fault, fault_on);
    ss_error err = {0};
    double t0 = now_s();
    ss_source *src = open_kd(s, ",timeout=300", fault_on ? SS_OK : want, &err);
    const char *msg = err.message;
    if (fault_on) {
        uint8_t b[8];
        size_t nread = 99;
        t0 = now_s();
        ck_assert_int_eq(ss_source_read(src, 0x5000, b, 8, &nread), want);
        ck_assert_uint_eq(nread, 0);
        msg = ss_kd_last_error(src);
    } else {
        ck_assert_ptr_null(src);
        ck_assert_int_eq(err.status, want);
    }
    double dt = now_s() - t0;
    ck_assert_msg(dt < 2.0, "fault %d took %.2f s", (int)fault, dt);
    ck_assert_msg(strstr(msg, needle) != NULL, "fault %d: message '%s' lacks '%s'", (int)fault, msg, needle);
    ck_assert_msg(strstr(msg, "127.0.0.1") != NULL, "message '%s' does not name the stub", msg);
    if (src) {
        /* a connection-level failure leaves the source failing fast; an error reply does not */
        ss_cpu_state c;
        t0 = now_s();
        ss_status st = ss_source_cpu(src, 0, &c);
        ck_assert_int_eq(st, want == SS_E_NO_PAGE ? SS_OK : SS_E_IO);
        ck_assert(now_s() - t0 < 1.0);
        ss_source_close(src);
    }
    fstub_stop(s);
    ssb_free(f.img);
}

/* A conversation broken by the stub (closed mid-packet) comes back with ss_kd_reconnect():
 * halted, a new generation, the same answers. */
START_TEST(reconnect_after_failure)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_CLOSE_MID, 'm');
    ss_error err;
    ss_source *src = open_kd(s, ",timeout=500", SS_OK, &err);
    uint8_t b[8];
    ck_assert_int_eq(ss_source_read(src, 0x5000, b, 8, NULL), SS_E_IO);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_E_IO); /* broken: fails fast */
    uint64_t g = ss_source_generation(src);
    ck_assert_int_eq(ss_kd_reconnect(src), SS_OK);
    ck_assert_uint_ne(ss_source_generation(src), g);
    ck_assert(ss_kd_is_halted(src));
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_OK);
    ck_assert_uint_eq(c.cr3, f.cr3b);
    ss_source_close(src);
    fstub_stop(s);
    /* nobody there any more: the reconnect fails, the source stays broken */
    s = start_stub(&f, false, false, FSTUB_NONE, 0);
    src = open_kd(s, ",timeout=500", SS_OK, &err);
    fstub_stop(s);
    ck_assert_int_eq(ss_kd_reconnect(src), SS_E_IO);
    ck_assert_ptr_nonnull(strstr(ss_kd_last_error(src), "cannot connect"));
    ck_assert_int_eq(ss_source_read(src, 0x5000, b, 8, NULL), SS_E_IO);
    ss_source_close(src);
    ck_assert_int_eq(ss_kd_reconnect(NULL), SS_E_INVALID_ARG);
    ssb_free(f.img);
}
END_TEST

START_TEST(fault_bad_checksum)
{
    check_fault(FSTUB_BAD_CHECKSUM, 0, SS_E_CORRUPT, "bad checksum");
    check_fault(FSTUB_BAD_CHECKSUM, 'm', SS_E_CORRUPT, "bad checksum");
}
END_TEST

START_TEST(fault_truncated)
{
    check_fault(FSTUB_TRUNCATED, 0, SS_E_IO, "truncated reply");
    check_fault(FSTUB_TRUNCATED, 'm', SS_E_IO, "truncated reply");
}
END_TEST

START_TEST(fault_garbage)
{
    check_fault(FSTUB_GARBAGE, 0, SS_E_CORRUPT, "garbage");
    check_fault(FSTUB_GARBAGE, 'm', SS_E_CORRUPT, "garbage");
}
END_TEST

START_TEST(fault_silence)
{
    /* silent from the start: said to look like QEMU busy with another client */
    check_fault(FSTUB_SILENT, 0, SS_E_IO, "another debugger attached");
    check_fault(FSTUB_SILENT, 'm', SS_E_IO, "went silent");
}
END_TEST

START_TEST(fault_closed)
{
    check_fault(FSTUB_CLOSE_MID, 0, SS_E_IO, "closed the connection");
    check_fault(FSTUB_CLOSE_MID, 'm', SS_E_IO, "closed the connection");
}
END_TEST

START_TEST(fault_error_reply)
{
    check_fault(FSTUB_E01, 0, SS_E_CORRUPT, "error E01, not a stop reply");
    check_fault(FSTUB_E01, 'm', SS_E_NO_PAGE, "answered error E01");
}
END_TEST

START_TEST(fault_overlong)
{
    check_fault(FSTUB_OVERLONG, 0, SS_E_CORRUPT, "longer than");
    check_fault(FSTUB_OVERLONG, 'm', SS_E_CORRUPT, "longer than");
}
END_TEST

/* QEMU serves one client: a second one is accepted by the kernel and never answered. */
START_TEST(stale_client_blocks)
{
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    ss_error err;
    ss_source *first = open_kd(s, ",onclose=stay", SS_OK, &err);
    double t0 = now_s();
    ss_source *second = open_kd(s, ",timeout=300", SS_E_IO, &err);
    ck_assert_ptr_null(second);
    ck_assert(now_s() - t0 < 2.0);
    ck_assert_ptr_nonnull(strstr(err.message, "one gdb client at a time"));
    ss_source_close(first);
    fstub_stop(s);
    ssb_free(f.img);
}
END_TEST

START_TEST(bad_specs)
{
    ss_source *src;
    ss_error err;
    const struct {
        const char *spec;
        ss_status want;
    } cases[] = {
        {"kd:tcp:127.0.0.1", SS_E_INVALID_ARG},
        {"kd:udp:127.0.0.1:1234", SS_E_INVALID_ARG},
        {"kd:tcp::1234", SS_E_INVALID_ARG},
        {"kd:tcp:127.0.0.1:", SS_E_INVALID_ARG},
        {"kd:tcp:127.0.0.1:0", SS_E_BAD_NUMBER},
        {"kd:tcp:127.0.0.1:99999", SS_E_BAD_NUMBER},
        {"kd:tcp:127.0.0.1:12a", SS_E_BAD_NUMBER},
        {"kd:tcp:127.0.0.1:1234,color=red", SS_E_INVALID_ARG},
        {"kd:tcp:127.0.0.1:1234,timeout=0", SS_E_INVALID_ARG},
        {"kd:tcp:127.0.0.1:1234,maxpa=0x123", SS_E_BAD_NUMBER},
        {"kd:tcp:no-such-host.invalid:1234", SS_E_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ss_status st = ss_source_open(cases[i].spec, &src, &err);
        ck_assert_msg(st == cases[i].want, "%s: %s (%s)", cases[i].spec, ss_status_name(st), err.message);
        ck_assert_ptr_null(src);
        ck_assert_uint_gt(strlen(err.message), 10);
    }
    /* nobody listening: refused at once */
    fixture f;
    fixture_init(&f);
    fstub *s = start_stub(&f, false, false, FSTUB_NONE, 0);
    unsigned port = fstub_port(s);
    fstub_stop(s);
    char spec[64];
    snprintf(spec, sizeof spec, "kd:tcp:127.0.0.1:%u", port);
    ck_assert_int_eq(ss_source_open(spec, &src, &err), SS_E_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot connect"));
    ck_assert_int_eq(ss_kd_halt(NULL), SS_E_INVALID_ARG);
    const ss_backend_factory *kd = ss_registry_find(NULL, "kd");
    ck_assert_ptr_nonnull(kd); /* a built-in prefix of the registry */
    ck_assert_str_eq(kd->prefix, "kd");
    ck_assert_str_eq(ss_kd_last_error(NULL), "");
    ssb_free(f.img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_kd");
    TCase *tc = tcase_create("kd");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, translations_match_builder);
    tcase_add_test(tc, ack_mode_and_rle);
    tcase_add_test(tc, generation_and_invalidation);
    tcase_add_test(tc, close_detaches_and_resumes);
    tcase_add_test(tc, threads_share_source);
    tcase_add_test(tc, reconnect_after_failure);
    tcase_add_test(tc, fault_bad_checksum);
    tcase_add_test(tc, fault_truncated);
    tcase_add_test(tc, fault_garbage);
    tcase_add_test(tc, fault_silence);
    tcase_add_test(tc, fault_closed);
    tcase_add_test(tc, fault_error_reply);
    tcase_add_test(tc, fault_overlong);
    tcase_add_test(tc, stale_client_blocks);
    tcase_add_test(tc, bad_specs);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
