/*
 * embed.c — libsessionspace inside a debugger extension, in one page.
 *
 * A debugger extension (WinDbg, gdb, LLDB) links the static library and lets the
 * debugger supply physical memory and the CPU's registers through a callback source
 * (sessionspace/callback.h). In a real extension read_phys() would call the debugger
 * (dbgeng's IDebugDataSpaces::ReadPhysical, gdb's `maint packet` / QEMU's `xp`); here
 * the "debugger" is a dump file read through the library itself, so the example runs
 * anywhere.
 *
 *   usage: embed SOURCE VA      (a dump that records its DTB and paging mode)
 *   link:  target_link_libraries(ext PRIVATE sessionspace::sessionspace)
 *          or: cc ext.c $(pkg-config --cflags --libs --static sessionspace)
 */
#include <inttypes.h>
#include <stdio.h>

#include <sessionspace.h>

/* The debugger's physical read (here: the dump the "debugger" has open). */
static ss_status debugger_read_phys(void *debugger, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    return ss_source_read(debugger, pa, buf, len, nread);
}

int main(int argc, char **argv)
{
    uint64_t va;
    if (argc != 3 || ss_parse_u64(argv[2], &va) != SS_OK) {
        fprintf(stderr, "usage: %s SOURCE VA\n", argv[0]);
        return 2;
    }
    ss_error err;
    ss_source *dump;
    if (ss_source_open(argv[1], &dump, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    ss_mode mode; /* what the debugger knows: its registers (here: what the dump records) */
    uint64_t dtb;
    ss_source_paging(dump, &mode, &dtb);

    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.name = "debugger";
    ops.read_phys = debugger_read_phys;
    ops.phys_size = (ss_source_max_pa(dump) + 4095) & ~4095ull;
    ops.paging_mode = mode; /* or cpu(): CR0 / CR3 / CR4 / EFER, read when needed */
    ops.dtb = dtb;
    ss_source *src;
    if (ss_source_open_callback(&ops, dump, &src, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        ss_source_close(dump);
        return 1;
    }
    printf("source: %s, physical memory up to %#" PRIx64 "\n", ss_format_name(ss_source_format(src)),
           ss_source_max_pa(src));

    ss_space *space;
    ss_status st = ss_space_open(src, SS_MODE_AUTO, ops.dtb, NULL, &space);
    if (st == SS_OK) {
        uint64_t pa;
        st = ss_translate(space, va, &pa);
        if (st == SS_OK)
            printf("dtb %#" PRIx64 ": %#" PRIx64 " -> %#" PRIx64 "\n", ops.dtb, va, pa);
        else
            printf("dtb %#" PRIx64 ": %#" PRIx64 " -> %s\n", ops.dtb, va, ss_status_name(st));
        ss_space_close(space);
    } else {
        fprintf(stderr, "cannot walk DTB %#" PRIx64 ": %s\n", ops.dtb, ss_strerror(st));
    }
    ss_source_close(src); /* the callback source first: it reads through the dump */
    ss_source_close(dump);
    return st == SS_OK ? 0 : 1;
}
