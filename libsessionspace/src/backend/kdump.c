/* kdump backend: placeholder until its format reader lands (always declines). */
#include "../core/internal.h"

static bool kdump_probe(const uint8_t *data, uint64_t size)
{
    (void)data;
    (void)size;
    return false;
}

static ss_status kdump_open(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_error *err)
{
    (void)ops;
    (void)ctx;
    return ss_fail(err, SS_E_UNSUPPORTED, "%s: the kdump reader is not built yet", file->path);
}

const ss_file_backend ss_kdump_backend = {"kdump", SS_FORMAT_KDUMP, kdump_probe, kdump_open};
