/*
 * embed.c — libsessionspace inside a debugger extension, in one page.
 *
 * A debugger extension (WinDbg, gdb, LLDB) links the static library and lets the
 * debugger supply physical memory and what it knows of the CPU through a callback
 * source (sessionspace/callback.h). In a real extension read_phys() would call the
 * debugger (dbgeng's IDebugDataSpaces::ReadPhysical, QEMU's `xp` through gdb); here the
 * "debugger" is a crash dump read through the library itself, so the example runs
 * anywhere. It lists the Windows sessions and translates one VA in each of them.
 *
 *   usage: embed DUMP VA
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
    ss_error err;
    ss_source *dump, *src;
    if (argc != 3 || ss_parse_u64(argv[2], &va) != SS_OK) {
        fprintf(stderr, "usage: %s DUMP VA\n", argv[0]);
        return 2;
    }
    if (ss_source_open(argv[1], &dump, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* What the debugger knows: its registers and its symbols (here: the dump header). */
    ss_dump_info info;
    ss_source_info(dump, &info);
    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.name = "debugger";
    ops.read_phys = debugger_read_phys;
    ops.phys_size = (ss_source_max_pa(dump) + 4095) & ~4095ull;
    ss_source_paging(dump, &ops.paging_mode, &ops.dtb); /* or ops.cpu: CR0 / CR3 / CR4 / EFER */
    if (ss_source_open_callback(&ops, dump, &src, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        ss_source_close(dump);
        return 1;
    }

    ss_nt_options o = SS_NT_OPTIONS_INIT;
    o.build = info.minor_version;                           /* picks the built-in structure layout */
    o.ps_active_process_head = info.ps_active_process_head; /* nt!PsActiveProcessHead */
    ss_nt *nt;
    int rc = 1;
    if (ss_nt_open(src, &o, &nt, &err) == SS_OK) {
        rc = 0;
        printf("%zu sessions, %zu processes\n", ss_nt_session_count(nt), ss_nt_process_count(nt));
        for (size_t i = 0; i < ss_nt_session_count(nt); i++) {
            ss_nt_session s;
            ss_space *space; /* the session's context: kd's !session -s */
            if (ss_nt_session_at(nt, i, &s) != SS_OK || ss_nt_session_space(nt, s.id, &space, &err) != SS_OK)
                continue;
            uint64_t pa;
            ss_status st = ss_translate(space, va, &pa);
            if (st == SS_OK)
                printf("session %u: %#" PRIx64 " -> %#" PRIx64 "\n", s.id, va, pa);
            else
                printf("session %u: %#" PRIx64 " -> %s\n", s.id, va, ss_status_name(st));
            ss_space_close(space);
        }
        ss_nt_close(nt);
    } else {
        fprintf(stderr, "no Windows model: %s\n", err.message);
    }
    ss_source_close(src); /* the callback source first: it reads through the dump */
    ss_source_close(dump);
    return rc;
}
