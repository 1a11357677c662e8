/*
 * Test-support image builder: lays out x86 / PAE / x64 (4- and 5-level) page
 * tables and data in a sparse physical memory held in RAM, then writes it as a
 * raw image (and, through the dump writers, other formats).
 *
 * The builder is the independent source of truth for the tests: it encodes
 * entries straight from the Intel SDM and Windows' PTE layouts; the tests assert
 * that the library's walks give back exactly the addresses and states that were
 * put in.
 */
#ifndef SS_IMAGEBUILDER_H
#define SS_IMAGEBUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "sessionspace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssb_image ssb_image;

/* Hardware bits for ssb_map()'s flags (SDM names). */
#define SSB_P  0x1ull
#define SSB_RW 0x2ull
#define SSB_US 0x4ull
#define SSB_PS 0x80ull
#define SSB_G  0x100ull
#define SSB_XD (1ull << 63)

/*
 * A new, empty physical memory of phys_size bytes (a multiple of 4 KiB) for page
 * tables of `mode`. Page tables are allocated bottom-up from table_base, so tests
 * can put their data pages elsewhere. Returns NULL on bad arguments or no memory.
 */
ssb_image *ssb_new(ss_mode mode, uint64_t phys_size, uint64_t table_base);
void ssb_free(ssb_image *img);

ss_mode ssb_mode(const ssb_image *img);
uint64_t ssb_size(const ssb_image *img);

/* Allocates a zeroed top-level table (a PDPT for PAE) and returns its CR3 value. */
uint64_t ssb_new_root(ssb_image *img);

/* Allocates a zeroed 4 KiB page from the table area; returns its PA. */
uint64_t ssb_alloc_page(ssb_image *img);

/*
 * Maps va -> pa with a page of page_size bytes (4 KiB; 2 MiB or 4 MiB large pages
 * at the PDE; 1 GiB at the PDPTE) under root. flags are the hardware bits to set
 * in the leaf and (except XD/G/PS) in new intermediate entries: SSB_RW, SSB_US,
 * SSB_XD, SSB_G. Intermediate tables are created as needed. Returns 0, or -1 for
 * an impossible request (misaligned, page size not in this mode, a table would
 * have to be built under a large page).
 */
int ssb_map(ssb_image *img, uint64_t root, uint64_t va, uint64_t pa, uint64_t page_size, uint64_t flags);

/*
 * Stores a raw entry value at `level` (ss_level) for va, creating the tables above
 * it. This is how tests place software PTEs and corrupt entries. Returns the PA of
 * the entry written, or 0 on error.
 */
uint64_t ssb_set_entry(ssb_image *img, uint64_t root, uint64_t va, int level, uint64_t value);

/* Physical memory access (any address inside the image). Return 0 / -1. */
int ssb_write(ssb_image *img, uint64_t pa, const void *buf, size_t len);
int ssb_read(const ssb_image *img, uint64_t pa, void *buf, size_t len);

/* The page at pfn if it was ever written (or allocated), else NULL (all zero). */
const uint8_t *ssb_page(const ssb_image *img, uint64_t pfn);

/* Calls fn for every page that has ever been written, in ascending PFN order. */
int ssb_for_each_page(const ssb_image *img, int (*fn)(void *arg, uint64_t pfn, const uint8_t *page),
                      void *arg);

/* Writes the image as a sparse raw file of ssb_size() bytes. Returns 0 / -1. */
int ssb_write_raw(const ssb_image *img, const char *path);

/* ---- Windows software PTE encoders (the layouts in mmu/walk.c's comment) ---- */
uint64_t ssb_sw_transition(ss_mode mode, uint64_t pfn, uint32_t protection);
uint64_t ssb_sw_pagefile(ss_mode mode, ss_pte_layout layout, uint32_t number, uint64_t offset,
                         uint32_t protection);
uint64_t ssb_sw_demand_zero(ss_mode mode, ss_pte_layout layout, uint32_t protection);
/* x64: VA of the prototype PTE; PAE: 32-bit VA; x86: offset from MmProtopteBase (multiple of 4). */
uint64_t ssb_sw_prototype(ss_mode mode, ss_pte_layout layout, uint64_t proto, uint32_t protection);

#ifdef __cplusplus
}
#endif
#endif
