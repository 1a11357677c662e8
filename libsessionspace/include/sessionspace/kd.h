/*
 * sessionspace/kd.h — live kernel-debugger stubs over the GDB remote serial protocol.
 *
 * ss_source_open("kd:tcp:HOST:PORT[,OPTION...]") connects to a gdbstub (QEMU's
 * `-gdb tcp::PORT` / `-s`; VMware's and bochs' speak the same protocol) and reads the
 * guest's *physical* memory through it (QEMU's `Qqemu.PhyMemMode:1`), its vCPUs'
 * control registers from the stub's target description (so SS_MODE_AUTO and
 * ss_source_paging() work), and halts and resumes the guest. Options:
 *   timeout=MS       bound on every connect and every reply (default 5000, max 600000)
 *   onclose=resume   ss_source_close() detaches with `D`, which RESUMES the guest (default)
 *   onclose=stay     ss_source_close() just closes the connection: the guest stays halted
 *   maxpa=N          one past the highest physical address (default 2^52, MAXPHYADDR's
 *                    architectural limit: the stub does not say how much RAM there is)
 *
 * What QEMU does (7.2, checked against a live guest):
 *  - connecting stops the guest, and ss_source_open() leaves it halted;
 *  - detaching (ss_source_close() with onclose=resume: `D;PID`, since QEMU answers a bare
 *    `D` with E22 once multiprocess is on) resumes it, even when QMP had paused it
 *    before; use onclose=stay to leave it paused;
 *  - only one client is served at a time: a second connection is accepted by the
 *    kernel but never answered, so ss_source_open() fails with SS_E_IO and a message
 *    saying so after `timeout` ms;
 *  - any byte sent while the guest runs stops it, so reads while it runs are refused
 *    (SS_E_BUSY) rather than sent.
 *
 * Generations: ss_source_generation() changes on every ss_kd_halt() and
 * ss_kd_continue(); the backend's page cache and every space's translation cache
 * are keyed by it, so no answer read before a continue is served after it.
 *
 * Failures of the peer (silence, a closed socket, bad checksums, garbage, truncated
 * or over-long packets) give SS_E_IO or SS_E_CORRUPT within `timeout` ms; the message
 * is in ss_kd_last_error(). After such a failure the connection is out of step and
 * every later call fails fast with SS_E_IO until ss_kd_reconnect() (or close and reopen).
 *
 * Thread safety: as every source, shared by any number of readers; calls on one kd
 * source are serialised by a lock inside it (one stub, one conversation).
 */
#ifndef SESSIONSPACE_KD_H
#define SESSIONSPACE_KD_H

#include <stddef.h>

#include "common.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Halts the guest (a `^C` when it runs, `?` when it is already stopped, which needs no
 * interrupt and gets the stop reason) and bumps the generation.
 * Errors: SS_E_INVALID_ARG (NULL, or not a kd source), SS_E_IO (timeout, closed),
 * SS_E_CORRUPT (the stub's reply is malformed).
 */
ss_status ss_kd_halt(ss_source *src);

/*
 * Resumes the guest (`c`) and bumps the generation. Until ss_kd_halt(), reads and CPU
 * state fail with SS_E_BUSY. Errors: as ss_kd_halt().
 */
ss_status ss_kd_continue(ss_source *src);

/* True when src is a kd source and the guest was last seen halted. */
int ss_kd_is_halted(ss_source *src);

/*
 * Runs a monitor command through `qRcmd` (QEMU: the HMP monitor — `xp`, `gva2gpa`,
 * `info registers`) and stores its output, NUL-terminated, in out (cap bytes; longer
 * output is cut and *outlen still tells its full length). outlen may be NULL.
 * Errors: SS_E_INVALID_ARG (NULL, not a kd source, cap 0, a command over 1024 bytes),
 * SS_E_BUSY (the guest runs), SS_E_UNSUPPORTED (the stub has no qRcmd), SS_E_IO (an
 * error reply, timeout, closed), SS_E_CORRUPT.
 */
ss_status ss_kd_monitor(ss_source *src, const char *command, char *out, size_t cap, size_t *outlen);

/*
 * After a failure that broke the conversation (or to take over from a client that went
 * away): closes the connection, connects again and redoes the handshake. The guest is
 * halted afterwards (connecting stops it), and the generation changes.
 * Errors: SS_E_INVALID_ARG (NULL, not a kd source), and those of ss_source_open(); on
 * failure the source stays broken (every call fails with SS_E_IO) and may be retried.
 */
ss_status ss_kd_reconnect(ss_source *src);

/* The message of the last failure on src (empty when none; "" for a non-kd source).
 * Valid until the next call on src. */
const char *ss_kd_last_error(ss_source *src);

/* Round trips to the stub so far (packets sent that wanted a reply), for benchmarks. */
unsigned long long ss_kd_round_trips(ss_source *src);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_KD_H */
