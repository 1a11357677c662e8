/*
 * nt/pml4.h — x64 top-level tables read and compared by frame. One implementation of
 * the Windows 10 1607+ session-space rule ("kernel-half PML4 entries equal within a
 * session, different between sessions, not the self-map"), shared by the model's
 * regions (region.c, sessions known from EPROCESS.Session) and symbol-less discovery
 * (scan_cluster.c, no labels: sessions inferred from shared frames). Internal to src/nt/.
 */
#ifndef SS_NT_PML4_H
#define SS_NT_PML4_H

#include <stddef.h>
#include <stdint.h>

#include "sessionspace/scan.h"
#include "sessionspace/source.h"

#define SS_PML4_ENTRIES 512u
#define SS_PML4_HALF    256u
#define SS_PML4_FRAME   0x000ffffffffff000ull
#define SS_PML4_SELF    UINT64_MAX /* the key of a table's self-map entry */

/* Reads the 512 entries of the table at dtb (flag and PCID bits of dtb ignored). Read statuses. */
ss_status ss_pml4_read(ss_source *src, uint64_t dtb, uint64_t entries[512]);

/*
 * An entry reduced to what is compared (ss_entry_key): frame | P, 0 when not present
 * (the accessed and dirty bits differ between copies of one entry); ss_pml4_key also
 * gives SS_PML4_SELF when it names the table's own frame table_pa (the self-map: a
 * different frame in every table).
 */
static inline uint64_t ss_entry_key(uint64_t e)
{
    return (e & 1) ? (e & SS_PML4_FRAME) | 1 : 0;
}

static inline uint64_t ss_pml4_key(uint64_t e, uint64_t table_pa)
{
    uint64_t k = ss_entry_key(e);
    return k && (k & SS_PML4_FRAME) == (table_pa & SS_PML4_FRAME) ? SS_PML4_SELF : k;
}

/* Reads the tables at dtbs[0 .. n) as keys: *keys (free()) holds keys[i * 512 + slot].
   Errors: SS_E_NOMEM, SS_E_INVALID_ARG (n too large), the read status of the first
   unreadable table. */
ss_status ss_pml4_load(ss_source *src, const uint64_t *dtbs, size_t n, uint64_t **keys);

/*
 * The session rule with the sessions known, over n rows of width keys (keys[i * width + c],
 * 0 = absent; any table width: PML4s, 32-bit page directories): session[c] = 1 when
 * column c is present in every row, holds one key within each label and different keys
 * for two labels at least, else 0. Errors: SS_E_NOMEM.
 */
ss_status ss_pml4_session_columns(const uint64_t *keys, size_t n, size_t width, const uint32_t *labels,
                                  uint8_t *session);

/*
 * Classifies the 512 slots of the n tables in keys (ss_pml4_load) into ss_slot_kind:
 * user half USER; a self-map key in any table SELF_MAP; no table maps it UNUSED; one key
 * in every table GLOBAL. Otherwise, without labels: SESSION when some frame is named by
 * two tables or more, else PRIVATE. With labels (every table labelled): SESSION by
 * ss_pml4_session_columns, else PRIVATE.
 * Errors: SS_E_NOMEM.
 */
ss_status ss_pml4_classify(const uint64_t *keys, size_t n, const uint32_t *labels, uint8_t kinds[512]);

#endif
