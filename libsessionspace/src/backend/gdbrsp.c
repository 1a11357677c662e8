/*
 * The GDB remote serial protocol's packet layer (see gdbrsp.h). Everything here is
 * bounded by SS_RSP_MAX_PAYLOAD or by the caller's lengths; nothing allocates.
 */
#include "gdbrsp.h"

#include <stdlib.h>
#include <string.h>

enum { ST_IDLE = 0, ST_PAYLOAD, ST_CS1, ST_CS2 };

void ss_rsp_parser_init(ss_rsp_parser *p)
{
    p->state = ST_IDLE;
    p->notify = p->bad_rle = p->too_long = p->rle_pending = false;
    p->sum = p->cs_hi = p->junk_byte = 0;
    p->len = 0;
    p->buf[0] = 0;
}

int ss_rsp_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void start_packet(ss_rsp_parser *p, bool notify)
{
    p->state = ST_PAYLOAD;
    p->notify = notify;
    p->bad_rle = p->too_long = p->rle_pending = false;
    p->sum = 0;
    p->len = 0;
}

static void append(ss_rsp_parser *p, uint8_t c, size_t times)
{
    if (p->len + times > SS_RSP_MAX_PAYLOAD) {
        p->too_long = true;
        return;
    }
    memset(p->buf + p->len, c, times);
    p->len += times;
}

/* One payload byte (between `$` and `#`). */
static void payload_byte(ss_rsp_parser *p, uint8_t c)
{
    p->sum = (uint8_t)(p->sum + c);
    if (p->rle_pending) {
        /* E.1: "X*n" is X followed by n - 29 more copies; n is printable, not '#' or
         * '$' (a '$' never reaches here: it restarts the packet). */
        p->rle_pending = false;
        if (p->too_long)
            return;
        if (c < 32 || c > 126 || p->len == 0)
            p->bad_rle = true;
        else
            append(p, p->buf[p->len - 1], (size_t)(c - 29));
        return;
    }
    if (c == '*') {
        p->rle_pending = true;
        return;
    }
    append(p, c, 1);
}

ss_rsp_event ss_rsp_feed(ss_rsp_parser *p, const uint8_t *data, size_t len, size_t *used)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        switch (p->state) {
        case ST_IDLE:
            if (c == '$' || c == '%') {
                start_packet(p, c == '%');
                continue;
            }
            *used = i + 1;
            if (c == '+')
                return SS_RSP_ACK;
            if (c == '-')
                return SS_RSP_NAK;
            p->junk_byte = c;
            return SS_RSP_JUNK;
        case ST_PAYLOAD:
            if (c == '$') { /* a new packet inside one: the first was cut short */
                start_packet(p, false);
            } else if (c == '#') {
                if (p->rle_pending)
                    p->bad_rle = true;
                p->state = ST_CS1;
            } else {
                payload_byte(p, c);
            }
            continue;
        case ST_CS1: {
            int v = ss_rsp_hexval(c);
            if (v < 0) {
                *used = i + 1;
                p->state = ST_IDLE;
                p->buf[p->len] = 0;
                return SS_RSP_BAD_CHECKSUM;
            }
            p->cs_hi = (uint8_t)v;
            p->state = ST_CS2;
            continue;
        }
        case ST_CS2:
        default: {
            int v = ss_rsp_hexval(c);
            *used = i + 1;
            p->state = ST_IDLE;
            p->buf[p->len] = 0;
            if (v < 0 || (uint8_t)((p->cs_hi << 4) | v) != p->sum)
                return SS_RSP_BAD_CHECKSUM;
            if (p->too_long)
                return SS_RSP_TOO_LONG;
            if (p->bad_rle)
                return SS_RSP_BAD_RLE;
            return p->notify ? SS_RSP_NOTIFY : SS_RSP_PACKET;
        }
        }
    }
    *used = len;
    return SS_RSP_NEED_MORE;
}

size_t ss_rsp_unescape(uint8_t *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '}') {
            if (++i == len)
                break;
            buf[o++] = buf[i] ^ 0x20;
        } else {
            buf[o++] = buf[i];
        }
    }
    return o;
}

size_t ss_rsp_frame(const char *payload, size_t len, uint8_t *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    uint8_t sum = 0;
    if (cap < 4)
        return 0;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)payload[i];
        bool esc = c == '$' || c == '#' || c == '}' || c == '*';
        if (o + (esc ? 2 : 1) + 3 > cap)
            return 0;
        if (esc) {
            out[o++] = '}';
            sum = (uint8_t)(sum + '}');
            c ^= 0x20;
        }
        out[o++] = c;
        sum = (uint8_t)(sum + c);
    }
    out[o++] = '#';
    out[o++] = (uint8_t)hex[sum >> 4];
    out[o++] = (uint8_t)hex[sum & 15];
    return o;
}

bool ss_rsp_is_error(const uint8_t *buf, size_t len, int *code, const char **text, size_t *text_len)
{
    *code = -1;
    *text = NULL;
    *text_len = 0;
    if (len < 2 || buf[0] != 'E')
        return false;
    if (buf[1] == '.') { /* E.1.2 "E.errtext" (GDB 9+ stubs) */
        *text = (const char *)buf + 2;
        *text_len = len - 2;
        return true;
    }
    if (len == 3 && ss_rsp_hexval(buf[1]) >= 0 && ss_rsp_hexval(buf[2]) >= 0) {
        *code = ss_rsp_hexval(buf[1]) * 16 + ss_rsp_hexval(buf[2]);
        return true;
    }
    return false;
}

bool ss_rsp_hex_decode(const uint8_t *hex, size_t hexlen, uint8_t *out, size_t n)
{
    if (hexlen / 2 < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = ss_rsp_hexval(hex[2 * i]), lo = ss_rsp_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool item_is(const uint8_t *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && memcmp(s, name, k) == 0;
}

void ss_rsp_parse_supported(const uint8_t *buf, size_t len, ss_rsp_features *f)
{
    memset(f, 0, sizeof *f);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != ';')
            j++;
        const uint8_t *it = buf + i;
        size_t n = j - i;
        if (n > 11 && memcmp(it, "PacketSize=", 11) == 0) {
            size_t v = 0;
            bool ok = n - 11 <= 8;
            for (size_t k = 11; ok && k < n; k++) {
                int h = ss_rsp_hexval(it[k]);
                ok = h >= 0;
                v = v * 16 + (size_t)(h < 0 ? 0 : h);
            }
            if (ok)
                f->packet_size = v;
        } else if (item_is(it, n, "QStartNoAckMode+")) {
            f->no_ack_mode = true;
        } else if (item_is(it, n, "qXfer:features:read+")) {
            f->xfer_features = true;
        } else if (item_is(it, n, "multiprocess+")) {
            f->multiprocess = true;
        }
        i = j + 1;
    }
}

/* Finds needle in xml[from, len); returns its offset or len. */
static size_t find(const char *xml, size_t len, size_t from, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= len; i++)
        if (memcmp(xml + i, needle, k) == 0)
            return i;
    return len;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies attribute `name`'s value from the tag xml[start, end) into out (cap bytes). 1 found,
 * 0 absent, -1 malformed or too long. */
static int attr(const char *xml, size_t start, size_t end, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    for (size_t i = start; i + k + 2 < end; i++) {
        if (!is_space(xml[i]) || memcmp(xml + i + 1, name, k) != 0)
            continue;
        size_t j = i + 1 + k;
        while (j < end && is_space(xml[j]))
            j++;
        if (j >= end || xml[j] != '=')
            continue;
        j++;
        while (j < end && is_space(xml[j]))
            j++;
        if (j >= end || (xml[j] != '"' && xml[j] != '\''))
            return -1;
        char q = xml[j++];
        size_t v = j;
        while (j < end && xml[j] != q)
            j++;
        if (j >= end || j - v >= cap)
            return -1;
        memcpy(out, xml + v, j - v);
        out[j - v] = 0;
        return 1;
    }
    return 0;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (unsigned long)(*s - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return true;
}

ss_rsp_xml_kind ss_rsp_xml_next(const char *xml, size_t len, size_t *pos, ss_rsp_xml_item *item)
{
    memset(item, 0, sizeof *item);
    item->regnum = -1;
    size_t i = *pos;
    for (;;) {
        i = find(xml, len, i, "<");
        if (i >= len) {
            *pos = len;
            return item->kind = SS_RSP_XML_END;
        }
        if (len - i >= 4 && memcmp(xml + i, "<!--", 4) == 0) {
            size_t e = find(xml, len, i + 4, "-->");
            if (e >= len) {
                *pos = len;
                return item->kind = SS_RSP_XML_ERROR;
            }
            i = e + 3;
            continue;
        }
        size_t end = find(xml, len, i, ">");
        if (end >= len) {
            *pos = len;
            return item->kind = SS_RSP_XML_ERROR;
        }
        size_t start = i + 1;
        i = end + 1;
        bool reg = end - start >= 4 && memcmp(xml + start, "reg", 3) == 0 && is_space(xml[start + 3]);
        bool inc =
            end - start >= 11 && memcmp(xml + start, "xi:include", 10) == 0 && is_space(xml[start + 10]);
        if (!reg && !inc)
            continue;
        *pos = i;
        if (inc) {
            if (attr(xml, start, end, "href", item->name, sizeof item->name) != 1)
                return item->kind = SS_RSP_XML_ERROR;
            return item->kind = SS_RSP_XML_INCLUDE;
        }
        char num[24];
        unsigned long v;
        if (attr(xml, start, end, "name", item->name, sizeof item->name) != 1 ||
            attr(xml, start, end, "bitsize", num, sizeof num) != 1 || !parse_ulong(num, 4096, &v) || v == 0)
            return item->kind = SS_RSP_XML_ERROR;
        item->bitsize = (unsigned)v;
        int r = attr(xml, start, end, "regnum", num, sizeof num);
        if (r < 0 || (r == 1 && !parse_ulong(num, 65535, &v)))
            return item->kind = SS_RSP_XML_ERROR;
        if (r == 1)
            item->regnum = (long)v;
        return item->kind = SS_RSP_XML_REG;
    }
}
