/* Fake gdbstub for the kd tests (see fakestub.h). */
#define _POSIX_C_SOURCE 200809L
#include "fakestub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fstub {
    fstub_config cfg;
    int lfd, cfd;
    unsigned port;
    pthread_t th;
    pthread_mutex_t img_lock;
    atomic_bool stop;
    atomic_ulong mem_requests;
    atomic_bool running;
    atomic_uint detaches;
    bool noack;
    int cpu;
    uint8_t in[8192];
    size_t in_off, in_len;
    size_t last_len; /* the last reply in out, resent on '-' */
    char out[150000], pkt[70000], hout[8200], big[70001], xout[8192]; /* per stub: stubs may run at once */
};

/* A target description shaped like QEMU 7.2's (gdb-xml/i386-64bit.xml): 24 core
 * registers numbered from regnum 0, four base registers commented out (they must not
 * be counted), fs_base / gs_base / k_gs_base, then cr0 (27), cr2, cr3 (29), cr4, cr8,
 * efer (32) and a few 80-bit x87 registers. */
static const char target_xml[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                                 "<target>\n  <architecture>i386:x86-64</architecture>\n"
                                 "  <xi:include href=\"i386-64bit.xml\"/>\n</target>\n";
static const char i386_64bit_xml[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "  <flags id=\"x64_cr0\" size=\"8\">\n\t<field name=\"PG\" start=\"31\" end=\"31\"/>\n"
    "\t<!--field name=\"\" start=\"3\" end=\"11\"/>\n  </flags>\n"
    "  <!-- General registers -->\n"
    "  <reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
    "  <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"rcx\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"rsi\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"rbp\" bitsize=\"64\" "
    "type=\"data_ptr\"/>\n"
    "  <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n  <reg name=\"r8\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"r10\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"r12\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"r14\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"rip\" bitsize=\"64\" "
    "type=\"code_ptr\"/>\n"
    "  <reg name=\"eflags\" bitsize=\"32\" type=\"x64_eflags\"/>\n"
    "  <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n  <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n  <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n  <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <!-- Segment descriptor caches and TLS base MSRs -->\n"
    "  <!--reg name=\"cs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"ss_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"ds_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"es_base\" bitsize=\"64\" type=\"int64\"/-->\n"
    "  <reg name=\"fs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"k_gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <!-- Control registers -->\n"
    "  <reg name=\"cr0\" bitsize=\"64\" type=\"x64_cr0\"/>\n  <reg name=\"cr2\" bitsize=\"64\" "
    "type=\"int64\"/>\n"
    "  <reg name=\"cr3\" bitsize=\"64\" type=\"x64_cr3\"/>\n  <reg name=\"cr4\" bitsize=\"64\" "
    "type=\"x64_cr4\"/>\n"
    "  <reg name=\"cr8\" bitsize=\"64\" type=\"int64\"/>\n  <reg name=\"efer\" bitsize=\"64\" "
    "type=\"x64_efer\"/>\n"
    "  <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n  <reg name=\"st1\" bitsize=\"80\" "
    "type=\"i387_ext\"/>\n"
    "</feature>\n";

static const char hexd[] = "0123456789abcdef";

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int send_bytes(fstub *s, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    if (buf == s->out)
        s->last_len = len;
    while (len) {
        ssize_t n = send(s->cfd, b, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Frames payload (optionally run-length encoded, gdbserver style: runs of 4 or more,
 * counts that would be '#' or '$' avoided). */
static size_t frame(const fstub *s, const char *payload, size_t len, char *out, size_t cap, bool bad_cs)
{
    size_t o = 0;
    unsigned sum = 0;
    out[o++] = '$';
    for (size_t i = 0; i < len && o + 8 < cap;) {
        size_t run = 1;
        while (s->cfg.rle && i + run < len && payload[i + run] == payload[i] && run < 98)
            run++;
        out[o++] = payload[i];
        sum += (uint8_t)payload[i];
        if (run >= 4) {
            size_t rep = run - 1;
            if (rep == 6 || rep == 7)
                rep = 5;
            out[o++] = '*';
            out[o++] = (char)(rep + 29);
            sum += '*' + (unsigned)(rep + 29);
            i += rep + 1;
        } else {
            i++;
        }
    }
    if (bad_cs)
        sum++;
    out[o++] = '#';
    out[o++] = hexd[(sum >> 4) & 15];
    out[o++] = hexd[sum & 15];
    return o;
}

/* Sends a reply to the request whose first letter is req; applies the configured fault.
 * Returns -1 to end the connection. */
static int reply(fstub *s, char req, const char *payload)
{
    bool fault = s->cfg.fault != FSTUB_NONE && (s->cfg.fault_on == 0 || s->cfg.fault_on == req);
    char *out = s->out;
    size_t n;
    if (!fault) {
        n = frame(s, payload, strlen(payload), out, sizeof s->out, false);
        return send_bytes(s, out, n);
    }
    switch (s->cfg.fault) {
    case FSTUB_BAD_CHECKSUM:
        n = frame(s, payload, strlen(payload), out, sizeof s->out, true);
        return send_bytes(s, out, n);
    case FSTUB_TRUNCATED:
        n = frame(s, payload, strlen(payload), out, sizeof s->out, false);
        return send_bytes(s, out, n / 2);
    case FSTUB_CLOSE_MID:
        n = frame(s, payload, strlen(payload), out, sizeof s->out, false);
        send_bytes(s, out, n / 2);
        return -1;
    case FSTUB_GARBAGE:
        for (n = 0; n < 1000; n++)
            out[n] = "garbage!"[n % 8];
        return send_bytes(s, out, n);
    case FSTUB_SILENT: return 0;
    case FSTUB_E01: n = frame(s, "E01", 3, out, sizeof s->out, false); return send_bytes(s, out, n);
    case FSTUB_OVERLONG: {
        memset(s->big, 'a', 70000);
        n = frame(s, s->big, 70000, out, sizeof s->out, false);
        return send_bytes(s, out, n);
    }
    case FSTUB_NONE: break;
    }
    return 0;
}

/* Next byte from the connection; -1 on close or stop. */
static int next_byte(fstub *s)
{
    while (s->in_off == s->in_len) {
        if (atomic_load(&s->stop))
            return -1;
        struct pollfd p = {.fd = s->cfd, .events = POLLIN};
        int r = poll(&p, 1, 50);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r <= 0)
            continue;
        ssize_t n = recv(s->cfd, s->in, sizeof s->in, 0);
        if (n <= 0)
            return -1;
        s->in_off = 0;
        s->in_len = (size_t)n;
    }
    return s->in[s->in_off++];
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[b[i] >> 4];
        out[2 * i + 1] = hexd[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int xfer(fstub *s, const char *args)
{
    char annex[64];
    unsigned long off, len;
    if (sscanf(args, "%63[^:]:%lx,%lx", annex, &off, &len) != 3)
        return reply(s, 'q', "E00");
    const char *doc = strcmp(annex, "target.xml") == 0       ? target_xml
                      : strcmp(annex, "i386-64bit.xml") == 0 ? i386_64bit_xml
                                                             : NULL;
    if (!doc)
        return reply(s, 'q', "E00");
    size_t dl = strlen(doc);
    char *out = s->xout;
    if (off >= dl)
        return reply(s, 'q', "l");
    size_t n = dl - off < len ? dl - off : len;
    if (n > sizeof s->xout - 2)
        n = sizeof s->xout - 2;
    out[0] = off + n >= dl ? 'l' : 'm';
    memcpy(out + 1, doc + off, n);
    out[n + 1] = 0;
    return reply(s, 'q', out);
}

static int handle(fstub *s, char *pkt)
{
    char *out = s->hout;
    char c = pkt[0];
    if (atomic_load(&s->running)) { /* QEMU: any byte stops a running guest; the packet is lost */
        atomic_store(&s->running, false);
        return reply(s, '?', "T02thread:p01.01;");
    }
    if (strncmp(pkt, "qSupported", 10) == 0)
        return reply(s, c,
                     s->cfg.ack_mode ? "PacketSize=1000;qXfer:features:read+;multiprocess+"
                                     : "PacketSize=1000;qXfer:features:read+;multiprocess+;QStartNoAckMode+");
    if (strcmp(pkt, "QStartNoAckMode") == 0) {
        int r = reply(s, c, "OK");
        s->noack = true;
        return r;
    }
    if (strcmp(pkt, "?") == 0)
        return reply(s, c, "T05thread:p01.01;");
    if (strcmp(pkt, "Qqemu.PhyMemMode:1") == 0)
        return reply(s, c, "OK");
    if (strcmp(pkt, "qfThreadInfo") == 0)
        return reply(s, c, "mp01.01,p01.02");
    if (strcmp(pkt, "qsThreadInfo") == 0)
        return reply(s, c, "l");
    if (strncmp(pkt, "qXfer:features:read:", 20) == 0)
        return xfer(s, pkt + 20);
    if (strncmp(pkt, "Hg", 2) == 0) {
        if (strcmp(pkt + 2, "p01.01") == 0 || strcmp(pkt + 2, "p1.1") == 0)
            s->cpu = 0;
        else if (strcmp(pkt + 2, "p01.02") == 0 || strcmp(pkt + 2, "p1.2") == 0)
            s->cpu = 1;
        else
            return reply(s, c, "E22");
        return reply(s, c, "OK");
    }
    if (c == 'p') {
        char *e;
        unsigned long r = strtoul(pkt + 1, &e, 16);
        if (*e || r > 40)
            return reply(s, c, "E14");
        uint64_t v = 0;
        if (r == 27)
            v = s->cfg.cr0;
        else if (r == 28)
            v = 0xdead000; /* cr2 */
        else if (r == 29)
            v = s->cfg.cr3[s->cpu];
        else if (r == 30)
            v = s->cfg.cr4;
        else if (r == 32)
            v = s->cfg.efer;
        else if (r >= 33)
            v = 0x1111111111111111ull * r; /* a register the client must not take for a control register */
        uint8_t b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)(v >> (8 * i)); /* little-endian, as QEMU's x86 target */
        to_hex(b, 8, out);
        return reply(s, c, out);
    }
    if (c == 'm') {
        unsigned long long addr;
        unsigned long len;
        if (sscanf(pkt + 1, "%llx,%lx", &addr, &len) != 2)
            return reply(s, c, "E22");
        if (len > 2048) /* QEMU: more than MAX_PACKET_LENGTH / 2 */
            return reply(s, c, "E22");
        atomic_fetch_add(&s->mem_requests, 1);
        uint8_t buf[2048];
        pthread_mutex_lock(&s->img_lock);
        int rc = ssb_read(s->cfg.img, addr, buf, len);
        pthread_mutex_unlock(&s->img_lock);
        if (rc != 0)
            return reply(s, c, "E14");
        to_hex(buf, len, out);
        return reply(s, c, out);
    }
    if (strcmp(pkt, "c") == 0) {
        atomic_store(&s->running, true);
        return 0;
    }
    if (strcmp(pkt, "D") == 0) /* QEMU with multiprocess on: a detach must name the process */
        return reply(s, c, "E22");
    if (strcmp(pkt, "D;1") == 0) {
        int r = reply(s, c, "OK");
        atomic_store(&s->running, true);
        atomic_fetch_add(&s->detaches, 1);
        return r;
    }
    if (strncmp(pkt, "qRcmd,", 6) == 0) {
        char cmd[512];
        size_t n = 0;
        for (const char *h = pkt + 6; h[0] && h[1] && n + 1 < sizeof cmd; h += 2)
            cmd[n++] = (char)(hexv(h[0]) * 16 + hexv(h[1]));
        cmd[n] = 0;
        char text[600];
        if (strncmp(cmd, "echo ", 5) == 0)
            snprintf(text, sizeof text, "%s\n", cmd + 5);
        else
            snprintf(text, sizeof text, "unknown command: '%s'\n", cmd);
        out[0] = 'O';
        to_hex((const uint8_t *)text, strlen(text), out + 1);
        if (reply(s, c, out) != 0)
            return -1;
        return reply(s, c, "OK");
    }
    return reply(s, c, "");
}

static void serve(fstub *s)
{
    char *pkt = s->pkt;
    s->noack = false;
    s->cpu = 0;
    s->in_off = s->in_len = 0;
    atomic_store(&s->running, false); /* connecting stops the guest, as in QEMU */
    /* ... which QEMU announces with an unsolicited stop reply before any request */
    if ((s->cfg.fault == FSTUB_NONE || s->cfg.fault_on) && reply(s, 0, "T02thread:01;") != 0)
        return;
    for (;;) {
        int b = next_byte(s);
        if (b < 0)
            return;
        if (b == 0x03) {
            if (atomic_load(&s->running)) { /* a stopped guest gets no reply, as in QEMU */
                atomic_store(&s->running, false);
                if (reply(s, '?', "T02thread:p01.01;") != 0)
                    return;
            }
            continue;
        }
        if (b == '-' && !s->noack && s->last_len) { /* resend */
            if (send_bytes(s, s->out, s->last_len) != 0)
                return;
            continue;
        }
        if (b != '$')
            continue; /* acks */
        size_t n = 0;
        unsigned sum = 0;
        while ((b = next_byte(s)) >= 0 && b != '#') {
            if (n + 1 < sizeof s->pkt)
                pkt[n++] = (char)b;
            sum += (unsigned)b;
        }
        int h = b < 0 ? -1 : next_byte(s), l = h < 0 ? -1 : next_byte(s);
        if (l < 0)
            return;
        pkt[n] = 0;
        if (hexv(h) * 16 + hexv(l) != (int)(sum & 255)) {
            if (!s->noack)
                send_bytes(s, "-", 1);
            continue;
        }
        bool silent = s->cfg.fault == FSTUB_SILENT && (s->cfg.fault_on == 0 || s->cfg.fault_on == pkt[0]);
        if (!s->noack && !silent && send_bytes(s, "+", 1) != 0)
            return;
        if (handle(s, pkt) != 0)
            return;
    }
}

static void *run(void *arg)
{
    fstub *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        s->cfd = accept(s->lfd, NULL, NULL);
        if (s->cfd < 0)
            continue;
        int one = 1; /* replies go out at once (no Nagle wait for the client's delayed ACK) */
        setsockopt(s->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        serve(s);
        close(s->cfd);
        s->cfd = -1;
    }
    return NULL;
}

fstub *fstub_start(const fstub_config *cfg)
{
    fstub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->cfd = -1;
    pthread_mutex_init(&s->img_lock, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, 4) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0) {
        if (s->lfd >= 0)
            close(s->lfd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->th, NULL, run, s) != 0) {
        close(s->lfd);
        free(s);
        return NULL;
    }
    return s;
}

unsigned fstub_port(const fstub *s)
{
    return s->port;
}

void fstub_stop(fstub *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    close(s->lfd);
    pthread_mutex_destroy(&s->img_lock);
    free(s);
}

void fstub_locked(fstub *s, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&s->img_lock);
    fn(arg);
    pthread_mutex_unlock(&s->img_lock);
}

unsigned long fstub_mem_requests(fstub *s)
{
    return atomic_load(&s->mem_requests);
}

bool fstub_running(fstub *s)
{
    return atomic_load(&s->running);
}

unsigned fstub_detaches(fstub *s)
{
    return atomic_load(&s->detaches);
}
