/* Opens a raw image, translates one address and opens a disassembler: proves the installed
 * headers and library link, with their private dependencies (Capstone, ...). */
#include <inttypes.h>
#include <stdio.h>

#include <sessionspace.h>

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    ss_source *src;
    ss_error err;
    if (ss_source_open(argv[1], &src, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    uint64_t dtb, va, pa = 0;
    ss_parse_u64(argv[2], &dtb);
    ss_parse_u64(argv[3], &va);
    ss_space *space;
    ss_status st = ss_space_open(src, SS_MODE_X64, dtb, NULL, &space);
    if (st == SS_OK)
        st = ss_translate(space, va, &pa);
    /* links the disassembler too, so a static consumer must be given Capstone */
    ss_disasm *d = NULL;
    if (st == SS_OK && ss_disasm_open(space, NULL, &d, &err) != SS_OK) {
        fprintf(stderr, "%s\n", err.message);
        st = SS_E_UNSUPPORTED;
    }
    ss_disasm_close(d);
    printf("%s 0x%" PRIx64 "\n", ss_status_name(st), pa);
    ss_space_close(space);
    ss_source_close(src);
    return st == SS_OK ? 0 : 1;
}
