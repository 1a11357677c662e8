/*
 * Test-support fake gdbstub: a thread that listens on 127.0.0.1 (an ephemeral port)
 * and serves an ssb_image's physical memory over the GDB remote serial protocol the
 * way QEMU 7.2's gdbstub does (qSupported with PacketSize=1000, QStartNoAckMode,
 * Qqemu.PhyMemMode, qXfer target description with i386-64bit.xml, two vCPUs p01.01
 * and p01.02, `m`, `p`, `Hg`, `?`, `c`, ^C, `D`, qRcmd), written here from the GDB
 * manual's appendix E and not from QEMU's code. It can misbehave on purpose.
 */
#ifndef SS_FAKESTUB_H
#define SS_FAKESTUB_H

#include <stdbool.h>
#include <stdint.h>

#include "imagebuilder.h"

typedef enum fstub_fault {
    FSTUB_NONE = 0,
    FSTUB_BAD_CHECKSUM, /* replies carry a wrong checksum */
    FSTUB_TRUNCATED,    /* replies stop half way (the connection stays open) */
    FSTUB_GARBAGE,      /* replies are replaced by bytes that are no packet */
    FSTUB_SILENT,       /* no reply at all (and no ack) */
    FSTUB_CLOSE_MID,    /* half a reply, then the connection is closed */
    FSTUB_E01,          /* replies are "E01" */
    FSTUB_OVERLONG      /* a reply longer than any packet a client keeps */
} fstub_fault;

typedef struct fstub_config {
    const ssb_image *img; /* served memory; PAs outside it answer E14 */
    uint64_t cr3[2];      /* per vCPU */
    uint64_t cr0, cr4, efer;
    bool ack_mode; /* refuse QStartNoAckMode (acks stay on) */
    bool rle;      /* run-length encode replies (as gdbserver does) */
    fstub_fault fault;
    char fault_on; /* first letter of the requests the fault applies to; 0: all */
} fstub_config;

typedef struct fstub fstub;

/* Starts the stub (listening; serves connections one after another). NULL on failure. */
fstub *fstub_start(const fstub_config *cfg);

/* Its port on 127.0.0.1. */
unsigned fstub_port(const fstub *s);

/* Stops the thread and frees everything. */
void fstub_stop(fstub *s);

/* Runs fn(arg) while the stub cannot read the image (to change it between halts). */
void fstub_locked(fstub *s, void (*fn)(void *arg), void *arg);

/* Counters: `m` requests served, and whether the guest runs (continued, or detached). */
unsigned long fstub_mem_requests(fstub *s);
bool fstub_running(fstub *s);
unsigned fstub_detaches(fstub *s);

#endif /* SS_FAKESTUB_H */
