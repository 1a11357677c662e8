/* Status codes, names and error reports (sessionspace/common.h). */
#include <stdio.h>

#include "../backend/backend.h"

typedef struct status_text {
    ss_status status;
    const char *name;
    const char *text;
} status_text;

static const status_text status_table[] = {
    {SS_OK, "ok", "success"},
    {SS_E_INVALID_ARG, "invalid_arg", "invalid argument"},
    {SS_E_NOMEM, "nomem", "out of memory"},
    {SS_E_IO, "io", "I/O error"},
    {SS_E_NOT_FOUND, "not_found", "not found"},
    {SS_E_IS_DIR, "is_dir", "is a directory"},
    {SS_E_EMPTY, "empty", "file is empty"},
    {SS_E_TRUNCATED, "truncated", "file is truncated"},
    {SS_E_FORMAT, "format", "unrecognised format"},
    {SS_E_CORRUPT, "corrupt", "corrupt or inconsistent data"},
    {SS_E_UNSUPPORTED, "unsupported", "not supported"},
    {SS_E_SHORT_READ, "short_read", "short read"},
    {SS_E_NO_PAGE, "no_page", "physical page not present in the source"},
    {SS_E_RANGE, "range", "physical address past the end of the source"},
    {SS_E_NONCANONICAL, "noncanonical", "virtual address not canonical for the paging mode"},
    {SS_E_NOT_PRESENT, "not_present", "page not present"},
    {SS_E_TRANSITION, "transition", "page in transition"},
    {SS_E_PROTOTYPE, "prototype", "page referenced through a prototype PTE"},
    {SS_E_PAGEFILE, "pagefile", "page is in a paging file"},
    {SS_E_DEMAND_ZERO, "demand_zero", "demand-zero page (never touched)"},
    {SS_E_BAD_PFN, "bad_pfn", "paging entry names a paging structure outside the source"},
    {SS_E_PT_READ, "read_error", "paging-structure entry could not be read"},
    {SS_E_BAD_NUMBER, "bad_number", "malformed number"},
    {SS_E_BUSY, "busy", "source busy"},
    {SS_E_STALE, "stale", "live source changed"},
    {SS_E_RESERVED_BIT, "reserved_bit", "paging entry sets a reserved bit"},
    {SS_E_CANCELLED, "cancelled", "cancelled by the caller"},
    {SS_E_NO_PHYS_MEMORY, "no_physical_memory",
     "the source holds no physical memory this reader knows (header-only, triage or unknown dump type)"},
};

static const status_text *status_lookup(ss_status status)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].status == status)
            return &status_table[i];
    return NULL;
}

bool ss_status_known(ss_status status)
{
    return status_lookup(status) != NULL;
}

#define SS_STR_(x) #x
#define SS_STR(x)  SS_STR_(x)
const char *ss_version(void)
{
    return SS_STR(SS_VERSION_MAJOR) "." SS_STR(SS_VERSION_MINOR) "." SS_STR(SS_VERSION_PATCH);
}

const char *ss_strerror(ss_status status)
{
    const status_text *t = status_lookup(status);
    return t ? t->text : "unknown status code";
}

const char *ss_status_name(ss_status status)
{
    const status_text *t = status_lookup(status);
    return t ? t->name : "unknown";
}

ss_status ss_fail(ss_error *err, ss_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *ss_format_name(ss_format format)
{
    switch (format) {
    case SS_FORMAT_RAW: return "raw";
    case SS_FORMAT_CRASHDUMP64: return "crashdump64";
    case SS_FORMAT_CRASHDUMP32: return "crashdump32";
    case SS_FORMAT_ELF: return "elf";
    case SS_FORMAT_KDUMP: return "kdump";
    case SS_FORMAT_LIME: return "lime";
    case SS_FORMAT_CUSTOM: return "custom";
    case SS_FORMAT_VMI: return "vmi";
    case SS_FORMAT_KD: return "kd";
    case SS_FORMAT_UNKNOWN: break;
    }
    return "unknown";
}

const char *ss_mode_name(ss_mode mode)
{
    switch (mode) {
    case SS_MODE_AUTO: return "auto";
    case SS_MODE_X86: return "x86";
    case SS_MODE_PAE: return "pae";
    case SS_MODE_X64: return "x64";
    case SS_MODE_LA57: return "la57";
    }
    return "unknown";
}

const char *ss_xlat_state_name(ss_xlat_state state)
{
    switch (state) {
    case SS_XLAT_VALID: return "valid";
    case SS_XLAT_TRANSITION: return "transition";
    case SS_XLAT_PROTOTYPE: return "prototype";
    case SS_XLAT_PAGEFILE: return "pagefile";
    case SS_XLAT_DEMAND_ZERO: return "demand_zero";
    case SS_XLAT_NOT_PRESENT: return "not_present";
    case SS_XLAT_BAD_PFN: return "bad_pfn";
    case SS_XLAT_READ_ERROR: return "read_error";
    case SS_XLAT_NONCANONICAL: return "noncanonical";
    case SS_XLAT_RESERVED_BIT: return "reserved_bit";
    }
    return "unknown";
}

ss_status ss_xlat_state_status(ss_xlat_state state)
{
    switch (state) {
    case SS_XLAT_VALID:
    case SS_XLAT_TRANSITION: return SS_OK;
    case SS_XLAT_PROTOTYPE: return SS_E_PROTOTYPE;
    case SS_XLAT_PAGEFILE: return SS_E_PAGEFILE;
    case SS_XLAT_DEMAND_ZERO: return SS_E_DEMAND_ZERO;
    case SS_XLAT_NOT_PRESENT: return SS_E_NOT_PRESENT;
    case SS_XLAT_BAD_PFN: return SS_E_BAD_PFN;
    case SS_XLAT_READ_ERROR: return SS_E_PT_READ;
    case SS_XLAT_NONCANONICAL: return SS_E_NONCANONICAL;
    case SS_XLAT_RESERVED_BIT: return SS_E_RESERVED_BIT;
    }
    return SS_E_INVALID_ARG;
}
