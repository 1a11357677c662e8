/*
 * A minimal QMP client (QEMU Machine Protocol, QEMU's docs/interop/qmp-spec.rst):
 * a Unix socket, a greeting, `qmp_capabilities`, then one JSON object per line;
 * asynchronous {"event": ...} lines may arrive between a command and its reply and
 * are skipped. Every wait is bounded by the client's timeout. Not thread-safe: the
 * caller serialises (vmi.c holds a mutex).
 */
#ifndef SS_BACKEND_QMP_H
#define SS_BACKEND_QMP_H

#include "backend.h"

typedef struct ss_qmp ss_qmp;

/* Connects to the QMP socket at path and negotiates capabilities, each wait at most
 * timeout_ms. Errors: SS_E_NOT_FOUND (no socket), SS_E_IO (refused, timeout, no
 * greeting), SS_E_FORMAT (not QMP), SS_E_NOMEM. */
ss_status ss_qmp_open(const char *path, int timeout_ms, ss_qmp **out, ss_error *err);
void ss_qmp_close(ss_qmp *q);

/* Runs one command without arguments ("stop", "cont"). Errors: SS_E_IO (socket,
 * timeout, QEMU's error reply: its desc in err), SS_E_FORMAT (a reply that is not JSON). */
ss_status ss_qmp_simple(ss_qmp *q, const char *command, ss_error *err);

/* Runs an HMP command line through human-monitor-command (on vCPU cpu_index when it
 * is >= 0) and copies its text into out (cap bytes, NUL-terminated; truncated text
 * is SS_E_TRUNCATED). Errors as ss_qmp_simple. */
ss_status ss_qmp_hmp(ss_qmp *q, const char *line, int cpu_index, char *out, size_t cap, ss_error *err);

/* Number of vCPUs (query-cpus-fast). Errors as ss_qmp_simple. */
ss_status ss_qmp_cpu_count(ss_qmp *q, size_t *count, ss_error *err);

/*
 * Parses the control registers out of HMP `info registers` text (QEMU's
 * target/i386/cpu-dump.c x86_cpu_dump_state prints "CR0=%08x CR2=%016llx CR3=%016llx
 * CR4=%08x" on one line and "EFER=%016llx" on another, hex without 0x).
 * Errors: SS_E_FORMAT (a register missing or not hex).
 */
ss_status ss_qmp_parse_registers(const char *text, ss_cpu_state *out);

#endif /* SS_BACKEND_QMP_H */
