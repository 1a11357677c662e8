/*
 * Test-support writers for Windows crash dumps: turn an ssb_image (plus the
 * header fields a test wants to see again) into each dump layout the crashdump
 * backend reads. Files are written sparsely: only the pages the image holds are
 * written, the rest of every present run is a hole (reads as zeros), so a
 * 64 GiB dump costs a few MiB of disk.
 *
 * The writers encode the layouts from the format descriptions (docs/formats.md),
 * independently of the reader in src/backend/crashdump.c.
 */
#ifndef SS_DMPWRITER_H
#define SS_DMPWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "imagebuilder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ssb_dmp_kind {
    SSB_DMP64_FULL = 0,         /* PAGEDU64, DumpType 1: PHYSICAL_MEMORY_DESCRIPTOR runs */
    SSB_DMP64_KERNEL_BITMAP,    /* PAGEDU64, DumpType 2: SDMP bitmap (kernel / summary) */
    SSB_DMP64_FULL_BITMAP,      /* PAGEDU64, DumpType 5: FDMP bitmap (full / active) */
    SSB_DMP64_LIVE_BITMAP,      /* PAGEDU64, DumpType 6: live kernel dump, FDMP bitmap */
    SSB_DMP64_RDMP_KERNEL,      /* PAGEDU64, DumpType 8: RDMP + PFN ranges */
    SSB_DMP64_RDMP_KERNEL_USER, /* PAGEDU64, DumpType 9 */
    SSB_DMP64_RDMP_COMPLETE,    /* PAGEDU64, DumpType 0xA (carries the total page count) */
    SSB_DMP32_FULL,             /* PAGEDUMP, DumpType 1 */
    SSB_DMP32_BITMAP,           /* PAGEDUMP, DumpType 5: FDMP bitmap at 0x1000 */
    SSB_DMP_KIND_COUNT
} ssb_dmp_kind;

/* Header fields the writer stores (the machine type and DumpType follow the kind). */
typedef struct ssb_dmp_fields {
    uint64_t dtb;
    uint64_t pfn_database;
    uint64_t ps_loaded_module_list;
    uint64_t ps_active_process_head;
    uint64_t kd_debugger_data_block;
    uint32_t major_version; /* 0xf */
    uint32_t minor_version; /* build */
    uint32_t number_processors;
    uint32_t bugcheck_code;
    uint64_t bugcheck_params[4];
    uint8_t pae_enabled; /* 32-bit kinds */
} ssb_dmp_fields;

/* A run of present physical frames. */
typedef struct ssb_pfn_run {
    uint64_t pfn;
    uint64_t count;
} ssb_pfn_run;

/* Stable short name of a kind ("dmp64-full", "dmp32-bitmap", ...). */
const char *ssb_dmp_kind_name(ssb_dmp_kind kind);

/* The DumpType, MachineImageType and header size a kind writes. */
uint32_t ssb_dmp_kind_type(ssb_dmp_kind kind);
uint32_t ssb_dmp_kind_machine(ssb_dmp_kind kind);
uint32_t ssb_dmp_kind_header_size(ssb_dmp_kind kind);

/*
 * Writes img as a crash dump of `kind` to path. runs[0 .. nruns) are the frames
 * the dump holds (in this order for run and range layouts; bitmaps need them
 * sorted and disjoint); runs == NULL: exactly the pages the image holds, merged
 * into runs. Image pages outside the runs are left out. Bitmaps cover
 * max(image size, end of the last run). Returns 0, or -1 (bad arguments, more
 * runs than a full dump header holds, I/O error).
 */
int ssb_write_dmp(const ssb_image *img, ssb_dmp_kind kind, const ssb_dmp_fields *fields,
                  const ssb_pfn_run *runs, size_t nruns, const char *path);

/*
 * Writes a crash dump that is a header and no memory the reader knows: DumpType
 * dump_type (4: triage) with the header fields of `fields`, 64-bit (width 8,
 * PAGEDU64, 0x2000 bytes) or 32-bit (width 4, PAGEDUMP, 0x1000 bytes), followed by
 * one page of zeros standing for the triage data. Returns 0 or -1.
 */
int ssb_write_dmp_header_only(unsigned width, uint32_t dump_type, const ssb_dmp_fields *fields,
                              const char *path);

#ifdef __cplusplus
}
#endif
#endif
