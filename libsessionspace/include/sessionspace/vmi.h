/*
 * sessionspace/vmi.h — live guests: the vmi: source and its QMP helper.
 *
 * Open a running QEMU/KVM guest with ss_source_open("vmi:PATH[,OPTIONS]") where PATH
 * is the guest's RAM file (-object memory-backend-file,...,mem-path=PATH,share=on
 * -machine memory-backend=mem). Options (comma-separated after PATH):
 *   machine=pc|q35     PC RAM layout of the file (default pc): RAM above the split
 *                      continues at 4 GiB (pc: 3 GiB split when RAM >= 3.5 GiB;
 *                      q35: 2 GiB split when RAM >= 2.75 GiB; else all RAM is low)
 *   lowmem=N           the split, for guests started with max-ram-below-4g
 *   run=GPA:OFF:SIZE   an explicit run of guest-physical memory at file offset OFF
 *                      (repeatable, replaces the PC layout; other machines)
 *   interval=MS        the generation also advances every MS milliseconds
 *   qmp=SOCK           QEMU's QMP socket: ss_source_cpu() / ss_source_paging() read
 *                      CR0/CR2/CR3/CR4/EFER from HMP `info registers`, and the calls
 *                      below pause and resume the guest
 *   timeout=MS         bound of every QMP wait (default 5000)
 *
 * Live semantics. The guest keeps running while we read. ss_source_generation() of a
 * vmi: source changes on ss_source_bump_generation(), on ss_vmi_pause() and
 * ss_vmi_resume(), and every MS milliseconds with interval=MS. A caller that watches
 * QMP events itself (STOP, RESUME, ...) calls ss_source_bump_generation() on the ones it
 * cares about; it is callable from any thread. Each ss_translate*()
 * call compares it with the generation its cache was filled under and drops every
 * cached translation and paging-structure entry when it moved, so no answer older than
 * the last bump is ever returned; frames are not cached for live sources at all.
 * Between bumps a running guest's translations are served from the cache as they were
 * at the bump (a snapshot policy the caller picks with the bump rate: bump before each
 * question, or use interval=, or pause).
 *
 * Torn reads. Bytes are read straight from the shared mapping, so a running guest can
 * store into them during the read: a multi-byte value may mix old and new bytes (a
 * torn read), and a walk may read a PML4E of one moment and a PTE of another (a page
 * table changed between levels). An aligned 8-byte paging entry is loaded with a single
 * load on x86-64 hosts and is not torn in practice; longer reads and walks can be. To
 * avoid both: pause the guest (ss_vmi_pause(), or QMP `stop`) around reads that must
 * be consistent, then ss_vmi_resume(); or read, then check that the generation did not
 * change (with interval= or a caller that bumps on QMP events) and retry.
 *
 * Zero-copy pages. ss_source_page() on a vmi: source points into the live mapping:
 * the pointer stays valid until ss_source_close(), but the bytes behind it change
 * while the guest runs (they are never remapped).
 *
 * raw: on a RAM file. raw: (and a path without prefix) maps files the same way but
 * has no generation: its caches are never invalidated, and ss_source_bump_generation()
 * answers SS_E_UNSUPPORTED. A running guest's RAM opened as raw: therefore serves the
 * translations of the moment each was first cached, forever. Use vmi: for live RAM.
 */
#ifndef SESSIONSPACE_VMI_H
#define SESSIONSPACE_VMI_H

#include "common.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Pauses the guest (QMP `stop`), re-reads every vCPU's registers and bumps the
 * generation. Errors: SS_E_INVALID_ARG (NULL or not a vmi: source), SS_E_UNSUPPORTED
 * (opened without qmp=), SS_E_IO (socket error, timeout, QEMU's error reply),
 * SS_E_FORMAT (a reply that is not QMP).
 */
ss_status ss_vmi_pause(ss_source *src, ss_error *err);

/* Resumes the guest (QMP `cont`), re-reads registers and bumps the generation.
 * Errors as ss_vmi_pause(). */
ss_status ss_vmi_resume(ss_source *src, ss_error *err);

/*
 * Runs one HMP command line through QMP human-monitor-command and copies its text into
 * out (cap bytes, NUL-terminated). Errors as ss_vmi_pause(), and SS_E_TRUNCATED when
 * the text did not fit (out holds its start).
 */
ss_status ss_vmi_hmp(ss_source *src, const char *line, char *out, size_t cap, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_VMI_H */
