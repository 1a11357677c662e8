/*
 * libFuzzer harness for the GDB remote serial protocol packet layer (backend/gdbrsp.c):
 * the input is what a stub sends. It is fed to the parser in chunks whose sizes come
 * from the input's first byte, and every complete packet goes through everything kd.c
 * does with a reply: unescaping, error and qSupported parsing, hex decoding and the
 * target-description scanner.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/gdbrsp.h"

static void on_payload(uint8_t *buf, size_t len)
{
    int code;
    const char *text;
    size_t tl;
    (void)ss_rsp_is_error(buf, len, &code, &text, &tl);
    ss_rsp_features f;
    ss_rsp_parse_supported(buf, len, &f);
    uint8_t bytes[64];
    (void)ss_rsp_hex_decode(buf, len, bytes, len / 2 < sizeof bytes ? len / 2 : sizeof bytes);
    size_t n = ss_rsp_unescape(buf, len);
    size_t pos = 0;
    ss_rsp_xml_item it;
    for (int i = 0; i < 10000 && ss_rsp_xml_next((const char *)buf, n, &pos, &it) > SS_RSP_XML_END; i++)
        if (it.kind == SS_RSP_XML_ERROR)
            break;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static ss_rsp_parser p;
    ss_rsp_parser_init(&p);
    size_t step = (size_t)data[0] % 17 + 1;
    for (size_t off = 1; off < size;) {
        size_t len = size - off < step ? size - off : step, used = 0;
        ss_rsp_event ev = ss_rsp_feed(&p, data + off, len, &used);
        if (used == 0 || used > len)
            abort(); /* the parser must always make progress within its input */
        off += used;
        if (ev == SS_RSP_PACKET || ev == SS_RSP_NOTIFY) {
            if (p.len > SS_RSP_MAX_PAYLOAD || p.buf[p.len] != 0)
                abort();
            on_payload(p.buf, p.len);
        }
    }
    /* the whole input as a target description */
    size_t pos = 0;
    ss_rsp_xml_item it;
    for (int i = 0; i < 100000; i++) {
        ss_rsp_xml_kind k = ss_rsp_xml_next((const char *)data, size, &pos, &it);
        if (k == SS_RSP_XML_END || k == SS_RSP_XML_ERROR)
            break;
        if (pos > size)
            abort();
    }
    uint8_t out[256];
    (void)ss_rsp_frame((const char *)data, size, out, sizeof out);
    return 0;
}
