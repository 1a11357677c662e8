/*
 * Test-support dump writers: turn an ssb_image (imagebuilder.h) into the files
 * the ELF, LiME and kdump backends read, written independently of the library
 * from the format descriptions in docs/formats-elf-kdump-lime.md.
 *
 * Every writer stores exactly the pages ssb_for_each_page() visits (the pages the
 * image ever wrote), one contiguous run of PFNs per segment / range; the other
 * pages of the image are absent from the dump.
 */
#ifndef SS_ELFWRITER_H
#define SS_ELFWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "imagebuilder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One vCPU as QEMU records it in its "QEMU" note (QEMUCPUState). */
typedef struct ssw_cpu {
    uint64_t cr0, cr2, cr3, cr4;
    uint32_t cs_flags; /* QEMU's segment flags: bit 21 is CS.L */
} ssw_cpu;

typedef struct ssw_opts {
    int elf_class;       /* ELF: 32 or 64 (0: 64) */
    uint16_t machine;    /* ELF e_machine (0: EM_X86_64 for class 64, EM_386 for 32) */
    const ssw_cpu *cpus; /* QEMU CPU notes, one per vCPU */
    size_t ncpus;
    const char *vmcoreinfo;    /* VMCOREINFO note text, or NULL */
    uint64_t min_phdrs;        /* ELF: add single-page alias PT_LOADs (as a paging dump
                                  has) until there are at least this many headers;
                                  over 65,534 uses extended numbering */
    uint64_t tail_memsz;       /* ELF: extra p_memsz past p_filesz on the last PT_LOAD */
    unsigned kdump_raw_every;  /* kdump: store every Nth page uncompressed (0: never) */
    int kdump_flat;            /* kdump: write makedumpfile's flattened stream */
    unsigned kdump_method;     /* kdump: SSW_ZLIB (0 means zlib), SSW_LZO, SSW_SNAPPY, SSW_ZSTD */
    int kdump_32;              /* kdump: the 32-bit header layout (i386 makedumpfile, QEMU for
                                  guests not in IA-32e mode) */
    const char *kdump_machine; /* kdump utsname.machine (NULL: "x86_64", or "i686" when kdump_32) */
} ssw_opts;

/* kdump compression methods (the page_desc.flags values). */
#define SSW_ZLIB   0x1u
#define SSW_LZO    0x2u
#define SSW_SNAPPY 0x4u
#define SSW_ZSTD   0x20u

#define SSW_OPTS_INIT                                                                                        \
    {                                                                                                        \
        0, 0, NULL, 0, NULL, 0, 0, 0, 0, 0, 0, NULL                                                          \
    }

/* Writes an ELF core of img's pages (PT_LOAD by physical address). 0 / -1. */
int ssw_write_elf(const ssb_image *img, const char *path, const ssw_opts *o);

/* Writes a LiME file, one range per run of pages. 0 / -1. */
int ssw_write_lime(const ssb_image *img, const char *path);

/* Writes a kdump-compressed file, plain or flattened. 0 / -1 (-1 also when the
 * method's library was not available at build time). */
int ssw_write_kdump(const ssb_image *img, const char *path, const ssw_opts *o);

/* Runs of pages the writers store: [pfn, pfn + count). Returns the number of runs
 * written to runs (at most max; the total may be larger). */
size_t ssw_runs(const ssb_image *img, uint64_t (*runs)[2], size_t max);

/*
 * A sample image for the dump tests: in `mode` (X64, LA57 or PAE), 64 MiB of
 * physical memory with page tables from 32 MiB, a contiguous run of 16 pages, 8
 * scattered pages, a fully written 2 MiB large page
 * and, under LA57, mappings that need bits 48-56. *cr3 gets the root; vas[] (room
 * for 64) gets mapped and unmapped VAs to translate; returns their count via *nvas.
 * Every page is filled with a pattern unique to its PFN. NULL on failure.
 */
ssb_image *ssw_sample_image(ss_mode mode, uint64_t *cr3, uint64_t *vas, size_t *nvas);

/* The source's ranges() are exactly the image's runs of pages and max_pa their end. 0 / -1 with msg. */
int ssw_check_ranges(ss_source *src, const ssb_image *img, char *msg, size_t msglen);

/*
 * Checks src against img page by page: pages the writers store read back (read,
 * and page() where zero-copy) exactly as in img; others give SS_E_NO_PAGE below
 * ss_source_max_pa() and SS_E_RANGE above; reads across stored page boundaries
 * match too. 0 on success, else -1 with a description in msg.
 */
int ssw_check_pages(ss_source *src, const ssb_image *img, char *msg, size_t msglen);

/* As ssw_check_pages, but missing pages below hole_end (not ss_source_max_pa) give
 * SS_E_NO_PAGE: a kdump knows the machine's size (max_mapnr) past its last page. */
int ssw_check_pages_to(ss_source *src, const ssb_image *img, uint64_t hole_end, char *msg, size_t msglen);

/*
 * Checks that a, b agree on every VA (same state, PA, page size) in `mode` under
 * cr3 (mode may be AUTO for b: then b's own mode is used and must equal mode).
 */
int ssw_check_translations(ss_source *a, ss_source *b, ss_mode mode, uint64_t cr3, const uint64_t *vas,
                           size_t nvas, char *msg, size_t msglen);

/* When $SS_FUZZ_SEED_DIR is set, copies file `path` to $SS_FUZZ_SEED_DIR/harness/name. */
void ssw_save_seed(const char *harness, const char *name, const char *path);

#ifdef __cplusplus
}
#endif
#endif
