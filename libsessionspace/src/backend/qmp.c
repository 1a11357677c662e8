/* A minimal QMP client with bounded waits (see qmp.h). JSON through jansson. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_LINE_MAX (1u << 20) /* `info registers` is ~2 KiB; a longer line is not QMP */

struct ss_qmp {
    int fd;
    int timeout_ms;
    char *buf; /* received bytes not yet consumed */
    size_t len, cap;
    json_int_t next_id; /* the "id" of the next command (QEMU echoes it in the reply) */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One line (without its "\r\n" / "\n") parsed as JSON, waiting at most until deadline. */
static ss_status read_json(ss_qmp *q, int64_t deadline, json_t **out, ss_error *err)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf);
            json_error_t je;
            json_t *j = json_loadb(q->buf, n, JSON_DISABLE_EOF_CHECK, &je);
            memmove(q->buf, nl + 1, q->len - n - 1);
            q->len -= n + 1;
            if (!j || !json_is_object(j)) {
                json_decref(j);
                return ss_fail(err, SS_E_FORMAT, "QMP: a reply that is not a JSON object (%s)",
                               j ? "not an object" : je.text);
            }
            *out = j;
            return SS_OK;
        }
        if (q->len >= QMP_LINE_MAX)
            return ss_fail(err, SS_E_FORMAT, "QMP: a reply line longer than %u bytes", QMP_LINE_MAX);
        if (q->cap - q->len < 4096) {
            size_t cap = q->cap ? q->cap * 2 : 8192;
            char *b = realloc(q->buf, cap);
            if (!b)
                return ss_fail(err, SS_E_NOMEM, "out of memory");
            q->buf = b;
            q->cap = cap;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return ss_fail(err, SS_E_IO, "QMP: QEMU did not answer within %d ms", q->timeout_ms);
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ss_fail(err, SS_E_IO, "QMP: poll: %s", strerror(errno));
        if (r == 0)
            continue; /* the deadline check above reports it */
        ssize_t got = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ss_fail(err, SS_E_IO, "QMP: recv: %s", strerror(errno));
        if (got == 0)
            return ss_fail(err, SS_E_IO, "QMP: QEMU closed the socket");
        q->len += (size_t)got;
    }
}

static ss_status send_all(ss_qmp *q, const char *s, size_t n, int64_t deadline, ss_error *err)
{
    while (n) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return ss_fail(err, SS_E_IO, "QMP: QEMU did not take the command within %d ms", q->timeout_ms);
        struct pollfd p = {.fd = q->fd, .events = POLLOUT};
        int r = poll(&p, 1, (int)left);
        if (r <= 0) {
            if (r < 0 && errno != EINTR)
                return ss_fail(err, SS_E_IO, "QMP: poll: %s", strerror(errno));
            continue;
        }
        ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ss_fail(err, SS_E_IO, "QMP: send: %s", strerror(errno));
        s += w;
        n -= (size_t)w;
    }
    return SS_OK;
}

/* Sends cmd (consumed) and returns the "return" member of its reply (a new reference). */
static ss_status execute(ss_qmp *q, json_t *cmd, json_t **ret, ss_error *err)
{
    /* Every command carries an id, and a reply with another id is dropped: after a timeout
       the late reply to the earlier command must not be taken for this one's (QMP
       specification, docs/interop/qmp-spec: "id" is copied into the response). */
    json_int_t id = ++q->next_id;
    if (cmd && json_object_set_new(cmd, "id", json_integer(id)) != 0) {
        json_decref(cmd);
        cmd = NULL;
    }
    char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
    const char *name = cmd ? json_string_value(json_object_get(cmd, "execute")) : NULL;
    char shown[64];
    snprintf(shown, sizeof shown, "%s", name ? name : "?");
    json_decref(cmd);
    if (!text)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    int64_t deadline = now_ms() + q->timeout_ms;
    size_t n = strlen(text);
    ss_status st = send_all(q, text, n, deadline, err);
    if (st == SS_OK)
        st = send_all(q, "\n", 1, deadline, err);
    free(text);
    while (st == SS_OK) {
        json_t *reply = NULL;
        if ((st = read_json(q, deadline, &reply, err)) != SS_OK)
            break;
        json_t *rid = json_object_get(reply, "id");
        if (json_object_get(reply, "event") ||
            (rid && !(json_is_integer(rid) && json_integer_value(rid) == id))) {
            json_decref(reply); /* an event, or the reply to an earlier command that timed out */
            continue;
        }
        json_t *e = json_object_get(reply, "error");
        if (e) {
            const char *desc = json_string_value(json_object_get(e, "desc"));
            st = ss_fail(err, SS_E_IO, "QMP %s: QEMU says: %.160s", shown, desc ? desc : "(no description)");
        } else if (!json_object_get(reply, "return")) {
            st = ss_fail(err, SS_E_FORMAT, "QMP %s: a reply with neither return nor error", shown);
        } else if (ret) {
            *ret = json_incref(json_object_get(reply, "return"));
        }
        json_decref(reply);
        return st;
    }
    return st;
}

ss_status ss_qmp_open(const char *path, int timeout_ms, ss_qmp **out, ss_error *err)
{
    *out = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || !*path || strlen(path) >= sizeof sa.sun_path)
        return ss_fail(err, SS_E_INVALID_ARG, "QMP socket path %s", path && *path ? "too long" : "empty");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ss_qmp *q = calloc(1, sizeof *q);
    if (!q)
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    q->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0) {
        free(q);
        return ss_fail(err, SS_E_IO, "QMP: socket: %s", strerror(errno));
    }
    /* A Unix-socket connect either succeeds or fails at once (no handshake to wait for). */
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        ss_qmp_close(q);
        return ss_fail(err, e == ENOENT ? SS_E_NOT_FOUND : SS_E_IO, "%s: cannot connect to QMP: %s", path,
                       strerror(e));
    }
    json_t *greeting = NULL;
    ss_status st = read_json(q, now_ms() + q->timeout_ms, &greeting, err);
    if (st == SS_E_IO && err && strstr(err->message, "did not answer")) {
        /* QEMU's QMP chardev serves one client; a second one is accepted and left silent */
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n,
                 " on %s (no greeting: is another QMP client connected?)", path);
    }
    if (st == SS_OK && !json_object_get(greeting, "QMP"))
        st = ss_fail(err, SS_E_FORMAT, "%s: no QMP greeting (not a QMP socket?)", path);
    json_decref(greeting);
    if (st == SS_OK)
        st = execute(q, json_pack("{s:s}", "execute", "qmp_capabilities"), NULL, err);
    if (st != SS_OK) {
        ss_qmp_close(q);
        return st;
    }
    *out = q;
    return SS_OK;
}

void ss_qmp_close(ss_qmp *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    free(q->buf);
    free(q);
}

ss_status ss_qmp_simple(ss_qmp *q, const char *command, ss_error *err)
{
    return execute(q, json_pack("{s:s}", "execute", command), NULL, err);
}

ss_status ss_qmp_hmp(ss_qmp *q, const char *line, int cpu_index, char *out, size_t cap, ss_error *err)
{
    json_t *args = cpu_index >= 0 ? json_pack("{s:s, s:i}", "command-line", line, "cpu-index", cpu_index)
                                  : json_pack("{s:s}", "command-line", line);
    json_t *cmd =
        args ? json_pack("{s:s, s:o}", "execute", "human-monitor-command", "arguments", args) : NULL;
    json_t *ret = NULL;
    ss_status st = execute(q, cmd, &ret, err);
    if (st != SS_OK)
        return st;
    const char *text = json_string_value(ret);
    if (!text) {
        json_decref(ret);
        return ss_fail(err, SS_E_FORMAT, "QMP human-monitor-command '%.40s': the reply is not text", line);
    }
    size_t n = strlen(text);
    if (cap) {
        size_t c = n < cap ? n : cap - 1;
        memcpy(out, text, c);
        out[c] = 0;
    }
    json_decref(ret);
    if (n >= cap)
        return ss_fail(err, SS_E_TRUNCATED, "HMP '%.40s': %zu bytes of text, room for %zu", line, n, cap);
    return SS_OK;
}

ss_status ss_qmp_cpu_count(ss_qmp *q, size_t *count, ss_error *err)
{
    json_t *ret = NULL;
    ss_status st = execute(q, json_pack("{s:s}", "execute", "query-cpus-fast"), &ret, err);
    if (st != SS_OK)
        return st;
    if (!json_is_array(ret)) {
        json_decref(ret);
        return ss_fail(err, SS_E_FORMAT, "QMP query-cpus-fast: the reply is not a list");
    }
    *count = json_array_size(ret);
    json_decref(ret);
    return SS_OK;
}

/* The hex value after "NAME=" where NAME starts a word; false when absent or not hex. */
static bool reg_value(const char *text, const char *name, uint64_t *v)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        if (p != text && p[-1] != ' ' && p[-1] != '\n')
            continue; /* "CR0=" inside another word */
        if (p[n] != '=')
            continue;
        const char *h = p + n + 1;
        uint64_t x = 0;
        size_t digits = 0;
        for (; digits < 17; digits++, h++) {
            char c = *h;
            unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                         : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                : 16u;
            if (d == 16)
                break;
            x = x << 4 | d;
        }
        if (digits == 0 || digits > 16)
            return false;
        *v = x;
        return true;
    }
    return false;
}

ss_status ss_qmp_parse_registers(const char *text, ss_cpu_state *out)
{
    ss_cpu_state c = {0};
    if (!reg_value(text, "CR0", &c.cr0) || !reg_value(text, "CR2", &c.cr2) ||
        !reg_value(text, "CR3", &c.cr3) || !reg_value(text, "CR4", &c.cr4))
        return SS_E_FORMAT;
    if (!reg_value(text, "EFER", &c.efer))
        c.efer = 0; /* a 32-bit-only QEMU (qemu-system-i386) prints no EFER */
    *out = c;
    return SS_OK;
}
