/* Number parsing in kd's notations (sessionspace/common.h: ss_parse_u64). */
#include "../backend/backend.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

ss_status ss_parse_u64(const char *text, uint64_t *out)
{
    if (!text || !out)
        return SS_E_INVALID_ARG;
    const char *p = text;
    while (blank(*p))
        p++;
    const char *end = p + strlen(p);
    while (end > p && blank(end[-1]))
        end--;
    if (p == end)
        return SS_E_BAD_NUMBER;

    uint64_t v = 0;
    if (end - p > 2 && p[0] == '0' && (p[1] == 'n' || p[1] == 'N')) { /* kd decimal */
        for (p += 2; p < end; p++) {
            if (*p < '0' || *p > '9')
                return SS_E_BAD_NUMBER;
            unsigned d = (unsigned)(*p - '0');
            if (v > (UINT64_MAX - d) / 10)
                return SS_E_BAD_NUMBER;
            v = v * 10 + d;
        }
        *out = v;
        return SS_OK;
    }
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    const char *tick = NULL;
    unsigned digits = 0;
    for (const char *q = p; q < end; q++) {
        if (*q == '`') {
            /* kd's separator: once, with hex digits before it and exactly 8 after it */
            if (tick || q == p || end - q - 1 != 8)
                return SS_E_BAD_NUMBER;
            tick = q;
            continue;
        }
        int h = ss_hex_digit(*q);
        if (h < 0)
            return SS_E_BAD_NUMBER;
        if (digits == 0 && h == 0)
            continue; /* leading zeros do not count toward the 16-digit limit */
        if (++digits > 16)
            return SS_E_BAD_NUMBER;
        v = (v << 4) | (uint64_t)h;
    }
    if (p == end)
        return SS_E_BAD_NUMBER;
    *out = v;
    return SS_OK;
}
