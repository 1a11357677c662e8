/*
 * ss-mkscan — writes a discovery test image (tests/support/scanimage.h): sessions x
 * processes laid out like Windows' top-level tables, plus decoy pages; prints what it
 * built, one "name value..." line each, for the CLI tests:
 *   root PA SESSION        (SESSION: 0.., or - for a root without session space)
 *   decoy PA KIND
 *   self_slot N / session_slot N / private_slot N / global_slot N
 *
 * usage: ss-mkscan [--random] [--dmp OUT.dmp] OUT.raw
 *   --random  randomized self-map and session slots (Windows 10 1607+ style),
 *             else 0x1ED and 0x1F2 (Windows 7).
 */
#include <stdio.h>
#include <string.h>

#include "dmpwriter.h"
#include "scanimage.h"

int main(int argc, char **argv)
{
    const char *dmp = NULL, *raw = NULL;
    int random_slots = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--random") == 0)
            random_slots = 1;
        else if (strcmp(argv[i], "--dmp") == 0 && i + 1 < argc)
            dmp = argv[++i];
        else if (!raw)
            raw = argv[i];
        else
            raw = NULL, i = argc;
    }
    if (!raw) {
        fprintf(stderr, "usage: ss-mkscan [--random] [--dmp OUT.dmp] OUT.raw\n");
        return 2;
    }
    ssb_scan_spec spec = {0x1ed, 0x1f2, 3, 3, 2, 0, 1, 0, 0};
    if (random_slots) {
        spec.self_slot = 0x13b;
        spec.session_slot = 0x1b7;
        spec.procs_per_session = 4;
        spec.nx_self = 1;
    }
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&spec, &t);
    if (!img) {
        fprintf(stderr, "ss-mkscan: cannot build the image\n");
        return 1;
    }
    int ok = ssb_write_raw(img, raw) == 0;
    if (ok && dmp) {
        ssb_dmp_fields f = {0};
        f.dtb = t.root[0];
        f.major_version = 0xf;
        f.minor_version = 19041;
        f.number_processors = 1;
        ok = ssb_write_dmp(img, SSB_DMP64_FULL_BITMAP, &f, NULL, 0, dmp) == 0;
    }
    if (!ok) {
        fprintf(stderr, "ss-mkscan: cannot write the image\n");
        ssb_free(img);
        return 1;
    }
    for (size_t i = 0; i < t.nroots; i++) {
        if (t.session[i] < 0)
            printf("root %#llx -\n", (unsigned long long)t.root[i]);
        else
            printf("root %#llx %d\n", (unsigned long long)t.root[i], t.session[i]);
    }
    for (size_t i = 0; i < t.ndecoys; i++)
        printf("decoy %#llx %d\n", (unsigned long long)t.decoy[i], t.decoy_kind[i]);
    printf("self_slot %u\nsession_slot %u\nprivate_slot %u\n", t.self_slot, t.session_slot, t.private_slot);
    for (unsigned g = 0; g < SSB_SCAN_GLOBALS; g++)
        printf("global_slot %u\n", t.global_slot[g]);
    ssb_free(img);
    return 0;
}
