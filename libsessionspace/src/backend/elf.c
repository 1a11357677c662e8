/* elf backend: placeholder until its format reader lands (always declines). */
#include "../core/internal.h"

static bool elf_probe(const uint8_t *data, uint64_t size)
{
    (void)data;
    (void)size;
    return false;
}

static ss_status elf_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_error *err)
{
    (void)ops;
    (void)ctx;
    return ss_fail(err, SS_E_UNSUPPORTED, "%s: the elf reader is not built yet", file->path);
}

const ss_file_backend ss_elf_backend = {"elf", SS_FORMAT_ELF, elf_probe, elf_open};
