/*
 * ELF notes of memory dumps, shared by the ELF backend (PT_NOTE segments) and the
 * kdump backend (the note area its sub-header points at): named notes such as
 * VMCOREINFO, and QEMU's per-vCPU "QEMU" notes (QEMUCPUState) turned into
 * ss_cpu_state.
 */
#ifndef SS_BACKEND_DUMPNOTES_H
#define SS_BACKEND_DUMPNOTES_H

#include "backend.h"

typedef struct ss_note {
    const char *name; /* not NUL-terminated */
    size_t namelen;
    uint32_t type;
    const uint8_t *desc;
    size_t desclen;
} ss_note;

typedef struct ss_dumpnotes {
    ss_note *notes;
    size_t nnotes, cap_notes;
    ss_cpu_state *cpus;
    size_t ncpus, cap_cpus;
    /* VMCOREINFO text when the container stores it outside the notes (kdump). */
    const char *vmcoreinfo;
    size_t vmcoreinfo_len;
} ss_dumpnotes;

/*
 * At most this many notes are kept: QEMU writes two per vCPU (NT_PRSTATUS, QEMU) and
 * one VMCOREINFO, so 2^16 covers 32,000 vCPUs, while a crafted file of nothing but
 * 12-byte notes cannot make the index grow past ~2.6 MB.
 */
#define SS_MAX_NOTES 65536u

/*
 * Appends the notes of one note area (4-byte aligned Elf_Nhdr records) to n. The
 * bytes must outlive n. long_mode says the container itself marks the CPUs as being
 * in IA-32e mode (ELF e_machine EM_X86_64). Notes with neither name nor descriptor
 * are skipped. Errors: SS_E_CORRUPT (a record runs past the area; a QEMU note too
 * short for CR0..CR4; more than SS_MAX_NOTES notes), SS_E_NOMEM.
 */
ss_status ss_notes_parse(ss_dumpnotes *n, const uint8_t *p, uint64_t len, bool long_mode, ss_error *err,
                         const char *path);

void ss_notes_free(ss_dumpnotes *n);

/*
 * ops->note, ops->cpu_count, ops->cpu, ops->info over the parsed notes, ready to
 * go in a backend's table as they are: ctx is the backend's context, whose FIRST
 * member is its ss_dumpnotes (a pointer to a struct is one to its first member).
 */
ss_status ss_notes_note(void *ctx, const char *name, const char **data, size_t *len);
size_t ss_notes_cpu_count(void *ctx);
ss_status ss_notes_cpu(void *ctx, size_t i, ss_cpu_state *out);
ss_status ss_notes_info(void *ctx, ss_dump_info *info);

#endif
