/*
 * kd: a live guest through a gdbstub, over the GDB remote serial protocol (GDB manual,
 * appendix E). The packet layer is gdbrsp.c; this file owns the socket, the
 * conversation and the caches. User-facing contract: include/sessionspace/kd.h.
 *
 * Speed: a round trip to a stub costs far more than a memory read (QEMU answers in
 * tens of microseconds at best), so memory is fetched a whole 4 KiB page at a time,
 * in chunks of PacketSize / 2 bytes (hex doubles them; QEMU 7.2 refuses an `m` longer
 * than MAX_PACKET_LENGTH / 2 with E22), several chunks in flight at once once
 * acknowledgements are off (QStartNoAckMode), and kept in a direct-mapped page cache
 * tagged with the generation, which changes on every halt and continue.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "gdbrsp.h"
#include "sessionspace/kd.h"

#define KD_CACHE_SLOTS        2048u /* 8 MiB of pages, direct-mapped by PFN */
#define KD_MAX_CPUS           256u
#define KD_TID_MAX            32u
#define KD_BATCH_PAGES        16u            /* pages fetched by one batch */
#define KD_WINDOW             32u            /* requests in flight (no-ack mode only) */
#define KD_XML_MAX            (256u * 1024u) /* one target-description document */
#define KD_XML_DOCS           16u
#define KD_XML_DEPTH          4
#define KD_JUNK_MAX           256u /* junk bytes tolerated between packets */
#define KD_RETRIES            3
#define KD_DEFAULT_TIMEOUT_MS 5000
#define KD_DEFAULT_MAXPA      (1ull << 52) /* MAXPHYADDR's architectural limit (SDM Vol. 3A 4.1.4) */

enum { R_CR0, R_CR2, R_CR3, R_CR4, R_EFER, R_COUNT };
static const char *const reg_names[R_COUNT] = {"cr0", "cr2", "cr3", "cr4", "efer"};

typedef struct kd_ctx {
    pthread_mutex_t lock;
    int fd;
    int timeout_ms;
    bool resume_on_close;
    bool noack;
    bool halted;
    bool broken;        /* the conversation is out of step: every call fails fast */
    bool heard;         /* the stub has sent at least one byte */
    size_t packet_size; /* qSupported's PacketSize (0: not given) */
    size_t chunk;       /* bytes per `m` request: divides 4096 */
    size_t inflight;    /* requests sent and not yet answered (pipelined reads) */
    bool multiprocess;  /* both sides said multiprocess+: thread ids are pPID.TID */
    _Atomic uint64_t gen;
    ss_source *src; /* the source wrapping this context: its explicit bumps count too */
    unsigned long long round_trips;
    char where[128]; /* "HOST:PORT" for messages */
    char host[256], port[16];
    char err[256];
    ss_phys_range range;

    uint8_t rx[16384];
    size_t rx_off, rx_len;
    ss_rsp_parser *parser;
    uint8_t tx[2048]; /* the last framed request (resent on `-`) */
    size_t tx_len;

    size_t ncpu;
    char tid[KD_MAX_CPUS][KD_TID_MAX];
    long regnum[R_COUNT];
    unsigned regbits[R_COUNT];
    unsigned xml_docs;
    ss_cpu_state cpus[KD_MAX_CPUS];
    uint64_t cpu_gen[KD_MAX_CPUS]; /* generation cpus[i] was read at, 0: never */

    uint64_t *tag;     /* pfn + 1 per slot, 0: empty */
    uint64_t *tag_gen; /* generation of the slot's data */
    uint8_t *pages;    /* KD_CACHE_SLOTS * 4096 */
} kd_ctx;

static const ss_backend_ops kd_ops;

/* ---- errors and time ----------------------------------------------------------- */

SS_PRINTF(3, 4) static ss_status kd_fail(kd_ctx *k, ss_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(k->err, sizeof k->err, "kd %s: ", k->where);
    if (n > 0 && (size_t)n < sizeof k->err)
        vsnprintf(k->err + n, sizeof k->err - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

/* A failure that leaves the conversation out of step: every later call fails fast. */
SS_PRINTF(3, 4) static ss_status kd_break(kd_ctx *k, ss_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(k->err, sizeof k->err, "kd %s: ", k->where);
    if (n > 0 && (size_t)n < sizeof k->err)
        vsnprintf(k->err + n, sizeof k->err - (size_t)n, fmt, ap);
    va_end(ap);
    k->broken = true;
    return st;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
    int64_t l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

/* ---- the socket ------------------------------------------------------------------ */

static ss_status send_all(kd_ctx *k, const uint8_t *buf, size_t len, const char *what)
{
    int64_t deadline = now_ms() + k->timeout_ms;
    while (len) {
        ssize_t n = send(k->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = k->fd, .events = POLLOUT};
            if (poll(&p, 1, left_ms(deadline)) <= 0)
                return kd_break(k, SS_E_IO, "cannot send %s: the stub reads nothing for %d ms", what,
                                k->timeout_ms);
            continue;
        }
        return kd_break(k, SS_E_IO, "cannot send %s: %s (the stub closed the connection?)", what,
                        n < 0 ? strerror(errno) : "nothing sent");
    }
    return SS_OK;
}

/* Reads what the socket has into rx (waiting until deadline). */
static ss_status fill(kd_ctx *k, int64_t deadline, const char *what)
{
    if (k->rx_off == k->rx_len)
        k->rx_off = k->rx_len = 0;
    if (k->rx_len == sizeof k->rx) { /* all parsed bytes are consumed: compact */
        memmove(k->rx, k->rx + k->rx_off, k->rx_len - k->rx_off);
        k->rx_len -= k->rx_off;
        k->rx_off = 0;
    }
    for (;;) {
        struct pollfd p = {.fd = k->fd, .events = POLLIN};
        int r = poll(&p, 1, left_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!k->heard)
                return kd_break(k, SS_E_IO,
                                "no reply to %s within %d ms: connected, but the stub says nothing "
                                "(QEMU serves one gdb client at a time: is another debugger attached?)",
                                what, k->timeout_ms);
            if (k->parser->state != 0)
                return kd_break(k, SS_E_IO,
                                "truncated reply to %s: a packet began but did not end within %d ms", what,
                                k->timeout_ms);
            return kd_break(k, SS_E_IO, "no reply to %s within %d ms: the stub went silent", what,
                            k->timeout_ms);
        }
        ssize_t n = recv(k->fd, k->rx + k->rx_len, sizeof k->rx - k->rx_len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return kd_break(k, SS_E_IO, "while waiting for the reply to %s: %s", what, strerror(errno));
        if (n == 0)
            return kd_break(k, SS_E_IO, "the stub closed the connection while %s was unanswered%s", what,
                            k->parser->state != 0 ? " (in the middle of a packet)" : "");
        k->heard = true;
        k->rx_len += (size_t)n;
        return SS_OK;
    }
}

static ss_status next_event(kd_ctx *k, int64_t deadline, ss_rsp_event *ev, const char *what)
{
    for (;;) {
        if (k->rx_off < k->rx_len) {
            size_t used = 0;
            *ev = ss_rsp_feed(k->parser, k->rx + k->rx_off, k->rx_len - k->rx_off, &used);
            k->rx_off += used;
            if (*ev != SS_RSP_NEED_MORE)
                return SS_OK;
        }
        ss_status st = fill(k, deadline, what);
        if (st != SS_OK)
            return st;
    }
}

/* Waits for the next `$` packet (acknowledging it unless acks are off); the payload is in
 * k->parser->buf / len, NUL-terminated. */
static ss_status recv_packet(kd_ctx *k, const char *what)
{
    int64_t deadline = now_ms() + k->timeout_ms;
    int bad = 0, naks = 0;
    size_t junk = 0;
    for (;;) {
        ss_rsp_event ev;
        ss_status st = next_event(k, deadline, &ev, what);
        if (st != SS_OK)
            return st;
        switch (ev) {
        case SS_RSP_PACKET:
            if (!k->noack && (st = send_all(k, (const uint8_t *)"+", 1, "an acknowledgement")) != SS_OK)
                return st;
            return SS_OK;
        case SS_RSP_NOTIFY:
        case SS_RSP_ACK:
        case SS_RSP_NEED_MORE: continue;
        case SS_RSP_NAK:
            if (k->noack)
                continue;
            if (k->inflight > 1)
                return kd_break(k, SS_E_CORRUPT,
                                "the stub asked for a resend while %zu requests were in flight", k->inflight);
            if (++naks > KD_RETRIES)
                return kd_break(k, SS_E_CORRUPT, "the stub asked %d times for %s to be sent again", naks,
                                what);
            if ((st = send_all(k, k->tx, k->tx_len, what)) != SS_OK)
                return st;
            continue;
        case SS_RSP_BAD_CHECKSUM:
            if (k->noack || ++bad > KD_RETRIES)
                return kd_break(k, SS_E_CORRUPT, "bad checksum in the reply to %s%s", what,
                                k->noack ? "" : " (after 3 resends)");
            if ((st = send_all(k, (const uint8_t *)"-", 1, "a resend request")) != SS_OK)
                return st;
            continue;
        case SS_RSP_BAD_RLE:
            return kd_break(k, SS_E_CORRUPT, "invalid run-length encoding in the reply to %s", what);
        case SS_RSP_TOO_LONG:
            return kd_break(k, SS_E_CORRUPT, "the reply to %s is longer than %u bytes", what,
                            SS_RSP_MAX_PAYLOAD);
        case SS_RSP_JUNK:
            if (++junk > KD_JUNK_MAX)
                return kd_break(k, SS_E_CORRUPT,
                                "garbage from the stub while waiting for the reply to %s (byte 0x%02x, "
                                "not a packet)",
                                what, k->parser->junk_byte);
            continue;
        }
    }
}

static ss_status send_packet(kd_ctx *k, const char *payload, const char *what)
{
    size_t n = ss_rsp_frame(payload, strlen(payload), k->tx, sizeof k->tx);
    if (!n)
        return kd_fail(k, SS_E_INVALID_ARG, "%s does not fit in a packet", what);
    k->tx_len = n;
    k->round_trips++;
    return send_all(k, k->tx, n, what);
}

/* One request, one reply. */
static ss_status request(kd_ctx *k, const char *payload, const char *what)
{
    ss_status st = send_packet(k, payload, what);
    return st != SS_OK ? st : recv_packet(k, what);
}

static bool reply_is(const kd_ctx *k, const char *s)
{
    return k->parser->len == strlen(s) && memcmp(k->parser->buf, s, k->parser->len) == 0;
}

/* An `Exx` / `E.msg` reply as a message (for kd_fail). */
static const char *error_text(const kd_ctx *k, char *buf, size_t cap)
{
    int code;
    const char *t;
    size_t tl;
    if (!ss_rsp_is_error(k->parser->buf, k->parser->len, &code, &t, &tl))
        snprintf(buf, cap, "an unexpected reply '%.40s'", (const char *)k->parser->buf);
    else if (code >= 0)
        snprintf(buf, cap, "error E%02x", (unsigned)code);
    else
        snprintf(buf, cap, "error '%.*s'", (int)(tl > 80 ? 80 : tl), t);
    return buf;
}

/* ---- connecting ---------------------------------------------------------------- */

static ss_status parse_spec(kd_ctx *k, const char *spec, char *host, size_t hcap, char *port, size_t pcap,
                            ss_error *err)
{
    if (strncmp(spec, "tcp:", 4) != 0)
        return ss_fail(err, SS_E_INVALID_ARG, "kd:%s: expected kd:tcp:HOST:PORT[,OPTION...]", spec);
    const char *h = spec + 4, *opts = strchr(h, ',');
    size_t hl = opts ? (size_t)(opts - h) : strlen(h);
    const char *colon = NULL;
    if (hl && *h == '[') { /* [v6]:port */
        const char *rb = memchr(h, ']', hl);
        if (rb && rb + 1 < h + hl && rb[1] == ':')
            colon = rb + 1;
    } else {
        for (size_t i = hl; i-- > 0;)
            if (h[i] == ':') {
                colon = h + i;
                break;
            }
    }
    if (!colon || colon == h || (size_t)(colon - h) >= hcap || (size_t)(h + hl - colon - 1) >= pcap ||
        colon + 1 == h + hl)
        return ss_fail(err, SS_E_INVALID_ARG, "kd:%s: expected kd:tcp:HOST:PORT[,OPTION...]", spec);
    const char *hs = h, *he = colon;
    if (*h == '[') {
        hs++;
        he--;
    }
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = 0;
    memcpy(port, colon + 1, (size_t)(h + hl - colon - 1));
    port[h + hl - colon - 1] = 0;
    for (const char *c = port; *c; c++)
        if (*c < '0' || *c > '9')
            return ss_fail(err, SS_E_BAD_NUMBER, "kd:%s: port '%s' is not a number", spec, port);
    if (atol(port) < 1 || atol(port) > 65535)
        return ss_fail(err, SS_E_BAD_NUMBER, "kd:%s: port %s is outside 1..65535", spec, port);
    snprintf(k->where, sizeof k->where, "%.100s:%s", host, port);

    while (opts) {
        const char *o = opts + 1, *next = strchr(o, ',');
        size_t ol = next ? (size_t)(next - o) : strlen(o);
        char opt[64];
        if (ol >= sizeof opt)
            return ss_fail(err, SS_E_INVALID_ARG, "kd:%s: option too long", spec);
        memcpy(opt, o, ol);
        opt[ol] = 0;
        uint64_t v;
        if (strncmp(opt, "timeout=", 8) == 0) {
            if (ss_parse_u64(opt + 8, &v) != SS_OK) {
                /* kd users type decimal milliseconds: accept plain decimal too */
                char *e;
                unsigned long long d = strtoull(opt + 8, &e, 10);
                if (*e || e == opt + 8)
                    return ss_fail(err, SS_E_BAD_NUMBER, "kd:%s: bad timeout '%s'", spec, opt + 8);
                v = d;
            } else {
                v = strtoull(opt + 8, NULL, 10); /* decimal, as documented */
            }
            if (v < 1 || v > 600000)
                return ss_fail(err, SS_E_INVALID_ARG, "kd:%s: timeout must be 1..600000 ms", spec);
            k->timeout_ms = (int)v;
        } else if (strcmp(opt, "onclose=resume") == 0) {
            k->resume_on_close = true;
        } else if (strcmp(opt, "onclose=stay") == 0) {
            k->resume_on_close = false;
        } else if (strncmp(opt, "maxpa=", 6) == 0) {
            if (ss_parse_u64(opt + 6, &v) != SS_OK || v < SS_PAGE_SIZE || (v & (SS_PAGE_SIZE - 1)))
                return ss_fail(err, SS_E_BAD_NUMBER, "kd:%s: maxpa must be a page multiple (0x... hex)",
                               spec);
            k->range.size = v;
        } else {
            return ss_fail(err, SS_E_INVALID_ARG,
                           "kd:%s: unknown option '%s' (timeout=MS, onclose=resume|stay, maxpa=N)", spec,
                           opt);
        }
        opts = next;
    }
    return SS_OK;
}

static ss_status connect_to(kd_ctx *k, const char *host, const char *port, ss_error *err)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0)
        return ss_fail(err, SS_E_NOT_FOUND, "kd %s: cannot resolve host: %s", k->where, gai_strerror(r));
    ss_status st = SS_E_IO;
    int last_errno = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int pr;
            do
                pr = poll(&p, 1, k->timeout_ms);
            while (pr < 0 && errno == EINTR);
            if (pr == 0) {
                close(fd);
                last_errno = ETIMEDOUT;
                continue;
            }
            int so = 0;
            socklen_t sl = sizeof so;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
            rc = so ? -1 : 0;
            errno = so;
        }
        if (rc < 0) {
            last_errno = errno;
            close(fd);
            continue;
        }
        int one = 1; /* requests are small and wait for their reply: no Nagle delay */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        k->fd = fd;
        st = SS_OK;
        break;
    }
    freeaddrinfo(res);
    if (st != SS_OK) {
        if (last_errno == ETIMEDOUT)
            return ss_fail(err, SS_E_IO, "kd %s: connect timed out after %d ms", k->where, k->timeout_ms);
        return ss_fail(err, SS_E_IO, "kd %s: cannot connect: %s%s", k->where, strerror(last_errno),
                       last_errno == ECONNREFUSED ? " (is QEMU running with -gdb tcp::PORT?)" : "");
    }
    return SS_OK;
}

/* `S xx` or `T xx...`: a stop reply (E.3 "Stop Reply Packets"). */
static bool is_stop_reply(const kd_ctx *k)
{
    const uint8_t *b = k->parser->buf;
    return k->parser->len >= 3 && (b[0] == 'S' || b[0] == 'T') && ss_rsp_hexval(b[1]) >= 0 &&
           ss_rsp_hexval(b[2]) >= 0 && (b[0] == 'T' || k->parser->len == 3);
}

/* The stop reply to `?` or to an interrupt: `S xx` or `T xx ...` (E.3). */
static ss_status expect_stop(kd_ctx *k, const char *what)
{
    for (int i = 0; i < 64; i++) {
        const uint8_t *b = k->parser->buf;
        if (k->parser->len >= 3 && (b[0] == 'S' || b[0] == 'T'))
            return SS_OK;
        if (k->parser->len >= 1 && (b[0] == 'W' || b[0] == 'X'))
            return kd_break(k, SS_E_IO, "the target has exited ('%.20s' in reply to %s)", (const char *)b,
                            what);
        if (k->parser->len >= 1 && b[0] == 'O' && !reply_is(k, "OK")) { /* console output */
            ss_status st = recv_packet(k, what);
            if (st != SS_OK)
                return st;
            continue;
        }
        char e[128];
        return kd_break(k, SS_E_CORRUPT, "%s got %s, not a stop reply", what, error_text(k, e, sizeof e));
    }
    return kd_break(k, SS_E_CORRUPT, "%s: too many console packets before the stop reply", what);
}

static ss_status load_threads(kd_ctx *k)
{
    const char *q = "qfThreadInfo";
    k->ncpu = 0;
    for (int round = 0; round < 64; round++) {
        ss_status st = request(k, q, q);
        if (st != SS_OK)
            return st;
        q = "qsThreadInfo";
        const char *b = (const char *)k->parser->buf;
        if (b[0] == 'l' || k->parser->len == 0)
            break;
        if (b[0] != 'm') {
            char e[128];
            return kd_fail(k, SS_E_CORRUPT, "thread list: %s", error_text(k, e, sizeof e));
        }
        for (const char *t = b + 1; *t;) {
            const char *c = strchr(t, ',');
            size_t n = c ? (size_t)(c - t) : strlen(t);
            if (n == 0 || n >= KD_TID_MAX)
                return kd_fail(k, SS_E_CORRUPT, "thread list: bad thread id '%.*s'", (int)(n > 40 ? 40 : n),
                               t);
            for (size_t i = 0; i < n; i++)
                if (!(ss_rsp_hexval((uint8_t)t[i]) >= 0 || t[i] == 'p' || t[i] == '.' || t[i] == '-'))
                    return kd_fail(k, SS_E_CORRUPT, "thread list: bad thread id '%.*s'", (int)n, t);
            if (k->ncpu == KD_MAX_CPUS)
                return kd_fail(k, SS_E_UNSUPPORTED, "more than %u vCPUs", KD_MAX_CPUS);
            memcpy(k->tid[k->ncpu], t, n);
            k->tid[k->ncpu][n] = 0;
            k->ncpu++;
            t += n + (c ? 1 : 0);
        }
    }
    return SS_OK;
}

/* Fetches one target-description document (qXfer:features:read, E.4 "General Query
 * Packets") into a new buffer. */
static ss_status fetch_xml(kd_ctx *k, const char *annex, char **out, size_t *outlen)
{
    size_t cap = 4096, len = 0;
    char *doc = malloc(cap);
    if (!doc)
        return kd_fail(k, SS_E_NOMEM, "out of memory");
    size_t ask = (k->packet_size ? k->packet_size : 1024) - 5;
    if (ask > 0xffb)
        ask = 0xffb;
    for (;;) {
        char q[160];
        snprintf(q, sizeof q, "qXfer:features:read:%s:%zx,%zx", annex, len, ask);
        ss_status st = request(k, q, "qXfer:features:read");
        if (st != SS_OK) {
            free(doc);
            return st;
        }
        uint8_t *b = k->parser->buf;
        if (k->parser->len == 0 || (b[0] != 'm' && b[0] != 'l')) {
            char e[128];
            free(doc);
            return kd_fail(k, SS_E_CORRUPT, "target description '%s': %s", annex, error_text(k, e, sizeof e));
        }
        size_t n = ss_rsp_unescape(b + 1, k->parser->len - 1);
        if (len + n > KD_XML_MAX) {
            free(doc);
            return kd_fail(k, SS_E_CORRUPT, "target description '%s' is over %u bytes", annex, KD_XML_MAX);
        }
        if (len + n + 1 > cap) {
            while (len + n + 1 > cap)
                cap *= 2;
            char *d = realloc(doc, cap);
            if (!d) {
                free(doc);
                return kd_fail(k, SS_E_NOMEM, "out of memory");
            }
            doc = d;
        }
        memcpy(doc + len, b + 1, n);
        len += n;
        if (b[0] == 'l' || n == 0)
            break;
    }
    doc[len] = 0;
    *out = doc;
    *outlen = len;
    return SS_OK;
}

/* Numbers the registers of annex and its includes in document order (E.6: a reg without
 * regnum takes the previous one's number + 1) and notes the control registers'. */
static ss_status scan_xml(kd_ctx *k, const char *annex, int depth, long *next)
{
    if (depth > KD_XML_DEPTH || ++k->xml_docs > KD_XML_DOCS)
        return kd_fail(k, SS_E_CORRUPT, "target description: includes nest too deep or too many (at '%s')",
                       annex);
    for (const char *c = annex; *c; c++)
        if (*c == ':' || *c == ',' || *c == '$' || *c == '#' || *c == '}' || *c == '*' || *c < 33 || *c > 126)
            return kd_fail(k, SS_E_CORRUPT, "target description: bad include name '%s'", annex);
    char *doc = NULL;
    size_t len = 0;
    ss_status st = fetch_xml(k, annex, &doc, &len);
    if (st != SS_OK)
        return st;
    size_t pos = 0;
    ss_rsp_xml_item it;
    for (;;) {
        ss_rsp_xml_kind kind = ss_rsp_xml_next(doc, len, &pos, &it);
        if (kind == SS_RSP_XML_END)
            break;
        if (kind == SS_RSP_XML_ERROR) {
            st = kd_fail(k, SS_E_CORRUPT, "target description '%s' is malformed near byte %zu", annex, pos);
            break;
        }
        if (kind == SS_RSP_XML_INCLUDE) {
            if ((st = scan_xml(k, it.name, depth + 1, next)) != SS_OK)
                break;
            continue;
        }
        long num = it.regnum >= 0 ? it.regnum : *next;
        *next = num + 1;
        for (int r = 0; r < R_COUNT; r++)
            if (strcmp(it.name, reg_names[r]) == 0 && k->regnum[r] < 0) {
                k->regnum[r] = num;
                k->regbits[r] = it.bitsize;
            }
    }
    free(doc);
    return st;
}

static ss_status kd_handshake(kd_ctx *k)
{
    ss_status st = request(k, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", "qSupported");
    /* QEMU announces the stop that connecting caused with an unsolicited stop reply
     * ("T02thread:01;"), which may come before the answer: skip it. */
    for (int i = 0; st == SS_OK && i < 4 && is_stop_reply(k); i++)
        st = recv_packet(k, "qSupported");
    if (st != SS_OK)
        return st;
    ss_rsp_features f;
    ss_rsp_parse_supported(k->parser->buf, k->parser->len, &f);
    k->packet_size = f.packet_size;
    k->multiprocess = f.multiprocess;
    size_t ps = f.packet_size ? f.packet_size : 1024;
    if (ps > SS_RSP_MAX_PAYLOAD)
        ps = SS_RSP_MAX_PAYLOAD;
    k->chunk = SS_PAGE_SIZE;
    while (k->chunk > 64 && k->chunk * 2 > ps) /* hex doubles every byte */
        k->chunk /= 2;
    if (k->chunk * 2 > ps)
        return kd_fail(k, SS_E_UNSUPPORTED, "PacketSize %#zx is too small to read memory", ps);
    if (f.no_ack_mode) {
        if ((st = request(k, "QStartNoAckMode", "QStartNoAckMode")) != SS_OK)
            return st;
        if (reply_is(k, "OK"))
            k->noack = true;
    }
    if ((st = request(k, "?", "the halt query '?'")) != SS_OK || (st = expect_stop(k, "'?'")) != SS_OK)
        return st;
    k->halted = true;
    /* QEMU's gdbstub reads guest-physical memory in this mode (gdbstub.c, "qemu.PhyMemMode") */
    if ((st = request(k, "Qqemu.PhyMemMode:1", "Qqemu.PhyMemMode:1")) != SS_OK)
        return st;
    if (!reply_is(k, "OK")) {
        char e[128];
        return kd_fail(k, SS_E_UNSUPPORTED,
                       "the stub cannot read physical memory (Qqemu.PhyMemMode:1 got %s; kd: needs QEMU's "
                       "gdbstub)",
                       k->parser->len ? error_text(k, e, sizeof e) : "an empty reply");
    }
    if ((st = load_threads(k)) != SS_OK)
        return st;
    for (int r = 0; r < R_COUNT; r++)
        k->regnum[r] = -1;
    if (f.xfer_features) {
        long next = 0;
        if ((st = scan_xml(k, "target.xml", 0, &next)) != SS_OK)
            return st;
    }
    return SS_OK;
}

/* ---- memory ------------------------------------------------------------------------ */

/* The generation the page cache is keyed by: the halts and continues, plus the caller's
 * ss_source_bump_generation() (so a bump drops this cache too, as the space caches). */
static uint64_t cache_gen(const kd_ctx *k)
{
    return k->src ? ss_source_gen(k->src) : atomic_load(&k->gen);
}

static size_t slot_of(uint64_t pfn)
{
    return (size_t)(pfn & (KD_CACHE_SLOTS - 1));
}

/* Fetches n consecutive pages from pfn into their cache slots; res[i] is each page's status. */
static ss_status fetch_pages(kd_ctx *k, uint64_t pfn, size_t n, ss_status *res)
{
    uint64_t gen = cache_gen(k);
    for (;;) {
        size_t per = SS_PAGE_SIZE / k->chunk, total = n * per, sent = 0, got = 0;
        /* Pipelined even with acks on: the reader of QEMU's gdbstub handles one packet after
         * another and never waits for our '+' (kd needs QEMU anyway, for PhyMemMode). */
        size_t window = KD_WINDOW;
        bool smaller = false;
        for (size_t i = 0; i < n; i++)
            res[i] = SS_OK;
        while (got < total) {
            while (sent < total && sent - got < window) {
                char q[64];
                uint64_t pa = ((pfn + sent / per) << SS_PAGE_SHIFT) + (sent % per) * k->chunk;
                snprintf(q, sizeof q, "m%llx,%zx", (unsigned long long)pa, k->chunk);
                ss_status st = send_packet(k, q, "a memory read 'm'");
                if (st != SS_OK)
                    return st;
                sent++;
            }
            k->inflight = sent - got;
            ss_status st = recv_packet(k, "a memory read 'm'");
            k->inflight = 0;
            if (st != SS_OK)
                return st;
            size_t page = got / per, off = (got % per) * k->chunk;
            got++;
            uint8_t *dst = k->pages + slot_of(pfn + page) * SS_PAGE_SIZE + off;
            int code;
            const char *t;
            size_t tl;
            if (ss_rsp_is_error(k->parser->buf, k->parser->len, &code, &t, &tl)) {
                if (code == 22 && k->chunk > 256) /* EINVAL: the stub wants smaller reads */
                    smaller = true;
                if (res[page] == SS_OK) {
                    char e[128];
                    res[page] = kd_fail(k, SS_E_NO_PAGE, "physical %#llx: the stub answered %s",
                                        (unsigned long long)(((pfn + page) << SS_PAGE_SHIFT) + off),
                                        error_text(k, e, sizeof e));
                }
                continue;
            }
            if (k->parser->len != 2 * k->chunk ||
                !ss_rsp_hex_decode(k->parser->buf, k->parser->len, dst, k->chunk)) {
                if (res[page] == SS_OK)
                    res[page] =
                        kd_fail(k, SS_E_CORRUPT,
                                "physical %#llx: the memory reply has %zu characters, not %zu hex digits",
                                (unsigned long long)(((pfn + page) << SS_PAGE_SHIFT) + off), k->parser->len,
                                2 * k->chunk);
            }
        }
        if (smaller) {
            k->chunk /= 2;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (res[i] == SS_OK) {
                k->tag[slot_of(pfn + i)] = pfn + i + 1;
                k->tag_gen[slot_of(pfn + i)] = gen;
            }
        return SS_OK;
    }
}

static bool cached(const kd_ctx *k, uint64_t pfn)
{
    size_t s = slot_of(pfn);
    return k->tag[s] == pfn + 1 && k->tag_gen[s] == cache_gen(k);
}

static ss_status usable(kd_ctx *k)
{
    if (k->broken)
        return SS_E_IO; /* k->err still says why */
    if (!k->halted)
        return kd_fail(k, SS_E_BUSY, "the guest is running: ss_kd_halt() first");
    return SS_OK;
}

static ss_status kd_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    kd_ctx *k = ctx;
    *nread = 0;
    pthread_mutex_lock(&k->lock);
    ss_status st = usable(k);
    uint8_t *out = buf;
    size_t done = 0;
    while (st == SS_OK && done < len) {
        uint64_t cur = pa + done;
        if (cur >= k->range.size || cur < pa) {
            st = SS_E_RANGE;
            break;
        }
        uint64_t pfn = cur >> SS_PAGE_SHIFT;
        if (!cached(k, pfn)) {
            /* batch: this page and the following missing ones the request covers */
            uint64_t last = (pa + len - 1) >> SS_PAGE_SHIFT, maxpfn = (k->range.size >> SS_PAGE_SHIFT) - 1;
            size_t n = 1;
            while (n < KD_BATCH_PAGES && pfn + n <= last && pfn + n <= maxpfn && !cached(k, pfn + n))
                n++;
            ss_status res[KD_BATCH_PAGES];
            if ((st = fetch_pages(k, pfn, n, res)) != SS_OK)
                break;
            if ((st = res[0]) != SS_OK)
                break;
        }
        size_t off = (size_t)(cur & (SS_PAGE_SIZE - 1)), take = SS_PAGE_SIZE - off;
        if (take > len - done)
            take = len - done;
        memcpy(out + done, k->pages + slot_of(pfn) * SS_PAGE_SIZE + off, take);
        done += take;
    }
    *nread = done;
    pthread_mutex_unlock(&k->lock);
    return st;
}

static ss_status kd_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    kd_ctx *k = ctx;
    *ranges = &k->range;
    *count = 1;
    return SS_OK;
}

static uint64_t kd_generation(void *ctx)
{
    kd_ctx *k = ctx;
    return atomic_load(&k->gen);
}

/* ---- CPUs -------------------------------------------------------------------------- */

static bool have_regs(const kd_ctx *k)
{
    return k->regnum[R_CR0] >= 0 && k->regnum[R_CR3] >= 0 && k->regnum[R_CR4] >= 0;
}

static size_t kd_cpu_count(void *ctx)
{
    kd_ctx *k = ctx;
    return have_regs(k) ? k->ncpu : 0;
}

static ss_status read_cpu(kd_ctx *k, size_t i)
{
    char q[64];
    snprintf(q, sizeof q, "Hg%s", k->tid[i]);
    ss_status st = request(k, q, "the vCPU selection 'Hg'");
    if (st != SS_OK)
        return st;
    if (!reply_is(k, "OK")) {
        char e[128];
        return kd_fail(k, SS_E_IO, "selecting vCPU %zu ('%s'): %s", i, q, error_text(k, e, sizeof e));
    }
    ss_cpu_state c = {.index = (uint32_t)i};
    uint64_t *dst[R_COUNT] = {&c.cr0, &c.cr2, &c.cr3, &c.cr4, &c.efer};
    for (int r = 0; r < R_COUNT; r++) {
        if (k->regnum[r] < 0)
            continue;
        snprintf(q, sizeof q, "p%lx", k->regnum[r]);
        if ((st = request(k, q, "a register read 'p'")) != SS_OK)
            return st;
        size_t bytes = (k->regbits[r] + 7) / 8;
        const uint8_t *b = k->parser->buf;
        if (k->parser->len == 2 * bytes && b[0] == 'x') /* "xx..": the stub cannot read it */
            continue;
        uint8_t v[64] = {0};
        if (bytes > sizeof v || k->parser->len != 2 * bytes ||
            !ss_rsp_hex_decode(b, k->parser->len, v, bytes)) {
            char e[128];
            return kd_fail(k, SS_E_IO, "reading %s (register %ld) of vCPU %zu: %s", reg_names[r],
                           k->regnum[r], i, error_text(k, e, sizeof e));
        }
        uint64_t val = 0; /* target byte order: little-endian x86 */
        for (size_t j = 0; j < 8 && j < bytes; j++)
            val |= (uint64_t)v[j] << (8 * j);
        *dst[r] = val;
    }
    k->cpus[i] = c;
    k->cpu_gen[i] = atomic_load(&k->gen);
    return SS_OK;
}

static ss_status kd_cpu(void *ctx, size_t i, ss_cpu_state *out)
{
    kd_ctx *k = ctx;
    pthread_mutex_lock(&k->lock);
    ss_status st = usable(k);
    if (st == SS_OK && k->cpu_gen[i] != atomic_load(&k->gen))
        st = read_cpu(k, i);
    if (st == SS_OK)
        *out = k->cpus[i];
    pthread_mutex_unlock(&k->lock);
    return st;
}

/* The processor count, and while the guest is halted vCPU 0's paging mode and CR3. */
static ss_status kd_info(void *ctx, ss_dump_info *info)
{
    kd_ctx *k = ctx;
    info->number_processors = (uint32_t)k->ncpu;
    pthread_mutex_lock(&k->lock);
    if (have_regs(k) && k->ncpu && !k->broken && k->halted &&
        (k->cpu_gen[0] == atomic_load(&k->gen) || read_cpu(k, 0) == SS_OK)) {
        if (ss_cpu_paging_mode(&k->cpus[0], &info->paging_mode))
            info->flags |= SS_INFO_PAGING_MODE;
        info->directory_table_base = k->cpus[0].cr3;
        info->flags |= SS_INFO_DTB;
    }
    pthread_mutex_unlock(&k->lock);
    return SS_OK;
}

/* ---- halt, continue, close ----------------------------------------------------------- */

static ss_status do_halt(kd_ctx *k)
{
    ss_status st;
    if (k->halted) {
        /* `^C` to a stopped QEMU gets no reply at all: ask `?` instead. */
        if ((st = request(k, "?", "the halt query '?'")) != SS_OK || (st = expect_stop(k, "'?'")) != SS_OK)
            return st;
    } else {
        /* An interrupt is one raw byte, no packet (E.8 "Interrupts"). If something else
         * (QMP) stopped the guest meanwhile, its stop reply is already on the way and
         * the interrupt is ignored: either way the next packet is a stop reply. */
        k->round_trips++;
        if ((st = send_all(k, (const uint8_t *)"\x03", 1, "an interrupt (^C)")) != SS_OK ||
            (st = recv_packet(k, "an interrupt (^C)")) != SS_OK ||
            (st = expect_stop(k, "an interrupt (^C)")) != SS_OK)
            return st;
    }
    k->halted = true;
    atomic_fetch_add(&k->gen, 1);
    return SS_OK;
}

static kd_ctx *kd_of(ss_source *src)
{
    return src && src->ops == &kd_ops ? src->ctx : NULL;
}

ss_status ss_kd_halt(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    if (!k)
        return SS_E_INVALID_ARG;
    pthread_mutex_lock(&k->lock);
    ss_status st = k->broken ? SS_E_IO : do_halt(k);
    pthread_mutex_unlock(&k->lock);
    return st;
}

ss_status ss_kd_continue(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    if (!k)
        return SS_E_INVALID_ARG;
    pthread_mutex_lock(&k->lock);
    ss_status st = k->broken ? SS_E_IO : SS_OK;
    if (st == SS_OK && k->halted) {
        /* `c` has no reply until the guest stops again (E.3); the ack, if acks are on,
         * is skipped by the next recv_packet(). */
        st = send_packet(k, "c", "continue 'c'");
        if (st == SS_OK)
            k->halted = false;
    }
    if (st == SS_OK)
        atomic_fetch_add(&k->gen, 1);
    pthread_mutex_unlock(&k->lock);
    return st;
}

int ss_kd_is_halted(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    if (!k)
        return 0;
    pthread_mutex_lock(&k->lock);
    int h = k->halted && !k->broken;
    pthread_mutex_unlock(&k->lock);
    return h;
}

ss_status ss_kd_monitor(ss_source *src, const char *command, char *out, size_t cap, size_t *outlen)
{
    kd_ctx *k = kd_of(src);
    size_t clen = command ? strlen(command) : 0;
    if (!k || !command || !out || cap == 0 || clen > 1024)
        return SS_E_INVALID_ARG;
    pthread_mutex_lock(&k->lock);
    ss_status st = usable(k);
    size_t total = 0;
    out[0] = 0;
    if (st == SS_OK) {
        static const char hex[] = "0123456789abcdef";
        char q[8 + 2 * 1024 + 1] = "qRcmd,";
        size_t o = 6;
        for (size_t i = 0; i < clen; i++) {
            q[o++] = hex[(uint8_t)command[i] >> 4];
            q[o++] = hex[(uint8_t)command[i] & 15];
        }
        q[o] = 0;
        st = request(k, q, "the monitor command 'qRcmd'");
        for (int guard = 0; st == SS_OK; guard++) {
            const uint8_t *b = k->parser->buf;
            size_t n = k->parser->len;
            bool output = n > 1 && b[0] == 'O' && !reply_is(k, "OK");
            int code;
            const char *t;
            size_t tl;
            if (n == 0) {
                st = kd_fail(k, SS_E_UNSUPPORTED, "the stub has no monitor (qRcmd got an empty reply)");
                break;
            }
            if (ss_rsp_is_error(b, n, &code, &t, &tl)) {
                char e[128];
                st = kd_fail(k, SS_E_IO, "monitor command '%.60s' failed: %s", command,
                             error_text(k, e, sizeof e));
                break;
            }
            if (reply_is(k, "OK"))
                break;
            /* "O" + hex: console output, more to come; bare hex: the final output */
            const uint8_t *h = output ? b + 1 : b;
            size_t hl = output ? n - 1 : n;
            for (size_t i = 0; i + 1 < hl; i += 2) {
                uint8_t byte;
                if (!ss_rsp_hex_decode(h + i, 2, &byte, 1)) {
                    st = kd_fail(k, SS_E_CORRUPT, "monitor output is not hex");
                    break;
                }
                if (total + 1 < cap)
                    out[total] = (char)byte;
                total++;
            }
            if (st != SS_OK || !output)
                break;
            if (guard > 100000) {
                st = kd_fail(k, SS_E_CORRUPT, "monitor output does not end");
                break;
            }
            st = recv_packet(k, "the monitor command 'qRcmd'");
        }
        out[total < cap ? total : cap - 1] = 0;
    }
    if (outlen)
        *outlen = total;
    pthread_mutex_unlock(&k->lock);
    return st;
}

ss_status ss_kd_reconnect(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    if (!k)
        return SS_E_INVALID_ARG;
    pthread_mutex_lock(&k->lock);
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->rx_off = k->rx_len = k->inflight = 0;
    ss_rsp_parser_init(k->parser);
    k->noack = k->halted = k->heard = k->broken = false;
    k->xml_docs = 0;
    ss_error e;
    ss_status st = connect_to(k, k->host, k->port, &e);
    if (st != SS_OK)
        snprintf(k->err, sizeof k->err, "%s", e.message);
    else
        st = kd_handshake(k);
    if (st != SS_OK)
        k->broken = true;
    atomic_fetch_add(&k->gen, 1); /* whatever was cached came from the old conversation */
    pthread_mutex_unlock(&k->lock);
    return st;
}

const char *ss_kd_last_error(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    return k ? k->err : "";
}

unsigned long long ss_kd_round_trips(ss_source *src)
{
    kd_ctx *k = kd_of(src);
    if (!k)
        return 0;
    pthread_mutex_lock(&k->lock);
    unsigned long long n = k->round_trips;
    pthread_mutex_unlock(&k->lock);
    return n;
}

static void kd_free(kd_ctx *k)
{
    if (k->fd >= 0)
        close(k->fd);
    pthread_mutex_destroy(&k->lock);
    free(k->parser);
    free(k->tag);
    free(k->tag_gen);
    free(k->pages);
    free(k);
}

/*
 * Detaches: `D`, or `D;PID` once multiprocess is on (QEMU then answers a bare `D` with
 * E22 and keeps the guest stopped). QEMU resumes the guest when its last process is
 * detached — even a guest QMP had paused.
 */
static void detach(kd_ctx *k)
{
    if (k->timeout_ms > 2000)
        k->timeout_ms = 2000;
    char q[40] = "D";
    if (k->multiprocess && k->ncpu && k->tid[0][0] == 'p') {
        unsigned long pid = strtoul(k->tid[0] + 1, NULL, 16);
        snprintf(q, sizeof q, "D;%lx", pid);
    }
    if (request(k, q, "detach 'D'") == SS_OK && !reply_is(k, "OK") && q[1])
        (void)request(k, "D", "detach 'D'");
}

static void kd_close(void *ctx)
{
    kd_ctx *k = ctx;
    /* A running guest is left alone: any byte sent to it would stop it. */
    if (!k->broken && k->halted && k->resume_on_close)
        detach(k);
    kd_free(k);
}

static const ss_backend_ops kd_ops = {
    .version = SS_BACKEND_OPS_VERSION,
    .name = "kd",
    .read = kd_read,
    .ranges = kd_ranges,
    .generation = kd_generation,
    .info = kd_info,
    .cpu_count = kd_cpu_count,
    .cpu = kd_cpu,
    .close = kd_close,
};

static ss_status kd_open(void *user, const char *spec, uint32_t flags, ss_source **out, ss_error *err)
{
    (void)user;
    *out = NULL;
    if (flags & SS_OPEN_PREAD)
        return ss_fail(err, SS_E_UNSUPPORTED, "kd: SS_OPEN_PREAD does not apply (a stub is not a file)");
    kd_ctx *k = calloc(1, sizeof *k);
    if (!k)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    k->fd = -1;
    pthread_mutex_init(&k->lock, NULL);
    k->timeout_ms = KD_DEFAULT_TIMEOUT_MS;
    k->resume_on_close = true;
    k->range.size = KD_DEFAULT_MAXPA;
    atomic_init(&k->gen, 1);
    ss_status st = parse_spec(k, spec, k->host, sizeof k->host, k->port, sizeof k->port, err);
    if (st == SS_OK) {
        k->parser = malloc(sizeof *k->parser);
        k->tag = calloc(KD_CACHE_SLOTS, sizeof *k->tag);
        k->tag_gen = calloc(KD_CACHE_SLOTS, sizeof *k->tag_gen);
        k->pages = malloc((size_t)KD_CACHE_SLOTS * SS_PAGE_SIZE);
        if (!k->parser || !k->tag || !k->tag_gen || !k->pages)
            st = ss_fail(err, SS_E_NOMEM, "out of memory");
        else
            ss_rsp_parser_init(k->parser);
    }
    if (st == SS_OK)
        st = connect_to(k, k->host, k->port, err);
    if (st == SS_OK && (st = kd_handshake(k)) != SS_OK)
        ss_fail(err, st, "%s", k->err);
    if (st == SS_OK)
        st = ss_source_from_backend(&kd_ops, k, SS_FORMAT_KD, out, err);
    if (st == SS_OK)
        k->src = *out;
    if (st != SS_OK) {
        /* Connecting stopped the guest (QEMU): give it back as it was, unless told not to. */
        if (k->fd >= 0 && !k->broken && k->resume_on_close)
            detach(k);
        kd_free(k);
    }
    return st;
}

const ss_backend_factory ss_kd_factory = {
    .version = SS_BACKEND_FACTORY_VERSION,
    .prefix = "kd",
    .summary = "live guest through its gdbstub (kd:tcp:HOST:PORT[,timeout=MS,onclose=resume|stay,maxpa=N])",
    .open = kd_open,
};
