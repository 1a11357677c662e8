/*
 * The GDB remote serial protocol packet layer (backend/gdbrsp.c, private: a white-box
 * suite): framing, checksums, acks, run-length encoding, escapes, error replies,
 * qSupported and the target-description scanner, fed byte by byte.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/gdbrsp.h"
#include "elfwriter.h"
#include "ss_check.h"

/* ---- the packet layer ---------------------------------------------------------------- */

/* Feeds s one byte at a time; returns the first event and how many bytes it took. */
static ss_rsp_event feed_bytewise(ss_rsp_parser *p, const char *s, size_t *taken)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        size_t used = 0;
        ss_rsp_event ev = ss_rsp_feed(p, (const uint8_t *)s + i, 1, &used);
        ck_assert_uint_eq(used, 1);
        if (ev != SS_RSP_NEED_MORE) {
            *taken = i + 1;
            return ev;
        }
    }
    *taken = n;
    return SS_RSP_NEED_MORE;
}

/* Seeds for fuzz_gdbrsp (scripts/fuzz.sh): what a stub sends, first byte = chunk size. */
static void save_seeds(void)
{
    static const char *const streams[] = {
        "\x03+$PacketSize=1000;qXfer:features:read+;multiprocess+;QStartNoAckMode+#f6+$OK#9a",
        "\x05$T05thread:p01.01;#06$mp01.01,p01.02#1d$l#6c",
        "\x01$0* #7a%Stop:T05#99$E14#aa$E.no such page#00",
        ("\x07$l<target><xi:include href=\"i386-64bit.xml\"/><!--reg name=\"a\" bitsize=\"8\"/--><reg "
         "name=\"cr3\" bitsize=\"64\" regnum=\"29\"/></target>#00"),
        "\x02$m}\x03}\x04}]}\x0a#00-garbage$O68690a#00",
    };
    if (!getenv("SS_FUZZ_SEED_DIR"))
        return;
    for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
        char name[32];
        snprintf(name, sizeof name, "stream%zu", i);
        const char *path = ss_check_spit(name, streams[i], strlen(streams[i]));
        ssw_save_seed("fuzz_gdbrsp", name, path);
    }
}

START_TEST(rsp_framing)
{
    save_seeds();
    ss_rsp_parser *p = malloc(sizeof *p);
    ss_rsp_parser_init(p);
    size_t used;
    /* "OK": 'O' 0x4f + 'K' 0x4b = 0x9a */
    ck_assert_int_eq(feed_bytewise(p, "$OK#9a", &used), SS_RSP_PACKET);
    ck_assert_uint_eq(p->len, 2);
    ck_assert_str_eq((char *)p->buf, "OK");
    ck_assert_int_eq(feed_bytewise(p, "+", &used), SS_RSP_ACK);
    ck_assert_int_eq(feed_bytewise(p, "-", &used), SS_RSP_NAK);
    ck_assert_int_eq(feed_bytewise(p, "$OK#9b", &used), SS_RSP_BAD_CHECKSUM);
    ck_assert_int_eq(feed_bytewise(p, "$OK#zz", &used), SS_RSP_BAD_CHECKSUM);
    ck_assert_int_eq(feed_bytewise(p, "x", &used), SS_RSP_JUNK);
    ck_assert_uint_eq(p->junk_byte, 'x');
    ck_assert_int_eq(feed_bytewise(p, "%Stop:T05#99", &used), SS_RSP_NOTIFY); /* 'S'..'5' sum 0x299 */
    /* a packet cut short by the start of the next: the second one counts */
    ck_assert_int_eq(feed_bytewise(p, "$O$OK#9a", &used), SS_RSP_PACKET);
    ck_assert_str_eq((char *)p->buf, "OK");
    /* several events in one buffer: one at a time */
    const char *two = "+$OK#9a";
    ck_assert_int_eq(ss_rsp_feed(p, (const uint8_t *)two, 7, &used), SS_RSP_ACK);
    ck_assert_uint_eq(used, 1);
    ck_assert_int_eq(ss_rsp_feed(p, (const uint8_t *)two + 1, 6, &used), SS_RSP_PACKET);
    ck_assert_uint_eq(used, 6);
    free(p);
}
END_TEST

START_TEST(rsp_rle_and_escapes)
{
    ss_rsp_parser *p = malloc(sizeof *p);
    ss_rsp_parser_init(p);
    size_t used;
    /* E.1's example: "0* " is '0' and 3 more (' ' = 32 = 29 + 3) -> "0000" */
    char pkt[32];
    unsigned sum = '0' + '*' + ' ';
    snprintf(pkt, sizeof pkt, "$0* #%02x", sum & 255);
    ck_assert_int_eq(feed_bytewise(p, pkt, &used), SS_RSP_PACKET);
    ck_assert_str_eq((char *)p->buf, "0000");
    /* a count first is invalid */
    sum = '*' + ' ';
    snprintf(pkt, sizeof pkt, "$* #%02x", sum & 255);
    ck_assert_int_eq(feed_bytewise(p, pkt, &used), SS_RSP_BAD_RLE);
    /* frame() escapes the four specials and unescape() undoes it */
    uint8_t out[64];
    size_t n = ss_rsp_frame("a$b#c}d*e", 9, out, sizeof out);
    ck_assert_uint_gt(n, 0);
    out[n] = 0;
    const char want[] = "$a}\x04"
                        "b}\x03"
                        "c}]d}\x0a"
                        "e#";
    ck_assert_uint_eq(n, sizeof want - 1 + 2);
    ck_assert_int_eq(memcmp(out, want, sizeof want - 1), 0);
    ck_assert_int_eq(ss_rsp_feed(p, out, n, &used), SS_RSP_PACKET);
    ck_assert_uint_eq(used, n);
    size_t u = ss_rsp_unescape(p->buf, p->len);
    ck_assert_uint_eq(u, 9);
    ck_assert_int_eq(memcmp(p->buf, "a$b#c}d*e", 9), 0);
    ck_assert_uint_eq(ss_rsp_frame("abc", 3, out, 6), 0); /* does not fit */
    /* too long: 70000 bytes by run-length */
    ss_rsp_parser_init(p);
    const uint8_t start[] = "$a";
    ck_assert_int_eq(ss_rsp_feed(p, start, 2, &used), SS_RSP_NEED_MORE);
    unsigned s2 = 'a';
    for (int i = 0; i < 800; i++) {
        const uint8_t r[] = "*~"; /* 97 more each */
        ck_assert_int_eq(ss_rsp_feed(p, r, 2, &used), SS_RSP_NEED_MORE);
        s2 += '*' + '~';
    }
    char tail[8];
    snprintf(tail, sizeof tail, "#%02x", s2 & 255);
    ck_assert_int_eq(ss_rsp_feed(p, (const uint8_t *)tail, 3, &used), SS_RSP_TOO_LONG);
    free(p);
}
END_TEST

START_TEST(rsp_replies)
{
    int code;
    const char *t;
    size_t tl;
    ck_assert(ss_rsp_is_error((const uint8_t *)"E14", 3, &code, &t, &tl));
    ck_assert_int_eq(code, 0x14);
    ck_assert(ss_rsp_is_error((const uint8_t *)"E.no such page", 14, &code, &t, &tl));
    ck_assert_int_eq(code, -1);
    ck_assert_uint_eq(tl, 12);
    ck_assert(!ss_rsp_is_error((const uint8_t *)"E1", 2, &code, &t, &tl));
    ck_assert(!ss_rsp_is_error((const uint8_t *)"e0e0", 4, &code, &t, &tl)); /* memory bytes, not an error */
    ss_rsp_features f;
    const char *sup = "PacketSize=1000;qXfer:features:read+;multiprocess+;QStartNoAckMode+;vContSupported+";
    ss_rsp_parse_supported((const uint8_t *)sup, strlen(sup), &f);
    ck_assert_uint_eq(f.packet_size, 0x1000);
    ck_assert(f.no_ack_mode && f.xfer_features && f.multiprocess);
    const char *sup2 = "PacketSize=zz;QStartNoAckMode-";
    ss_rsp_parse_supported((const uint8_t *)sup2, strlen(sup2), &f);
    ck_assert_uint_eq(f.packet_size, 0);
    ck_assert(!f.no_ack_mode && !f.xfer_features);
    uint8_t b[2];
    ck_assert(ss_rsp_hex_decode((const uint8_t *)"0aFf", 4, b, 2));
    ck_assert_uint_eq(b[0], 0x0a);
    ck_assert_uint_eq(b[1], 0xff);
    ck_assert(!ss_rsp_hex_decode((const uint8_t *)"0g", 2, b, 1));
    ck_assert(!ss_rsp_hex_decode((const uint8_t *)"0", 1, b, 1));
}
END_TEST

START_TEST(rsp_xml)
{
    const char *x =
        "<?xml version=\"1.0\"?><!-- <reg name=\"no\" bitsize=\"8\"/> -->"
        "<feature><reg name=\"a\" bitsize=\"64\" regnum=\"5\"/><!--reg name=\"b\" bitsize=\"64\"/-->"
        "<flags id=\"f\"><field name=\"x\" start=\"1\" end=\"1\"/></flags>"
        "<reg  bitsize='32' name='c'/><xi:include href=\"more.xml\"/></feature>";
    size_t pos = 0;
    ss_rsp_xml_item it;
    ck_assert_int_eq(ss_rsp_xml_next(x, strlen(x), &pos, &it), SS_RSP_XML_REG);
    ck_assert_str_eq(it.name, "a");
    ck_assert_uint_eq(it.bitsize, 64);
    ck_assert_int_eq(it.regnum, 5);
    ck_assert_int_eq(ss_rsp_xml_next(x, strlen(x), &pos, &it), SS_RSP_XML_REG);
    ck_assert_str_eq(it.name, "c");
    ck_assert_uint_eq(it.bitsize, 32);
    ck_assert_int_eq(it.regnum, -1);
    ck_assert_int_eq(ss_rsp_xml_next(x, strlen(x), &pos, &it), SS_RSP_XML_INCLUDE);
    ck_assert_str_eq(it.name, "more.xml");
    ck_assert_int_eq(ss_rsp_xml_next(x, strlen(x), &pos, &it), SS_RSP_XML_END);
    const char *bad[] = {"<reg name=\"a\" bitsize=\"64\"",  "<!-- open",
                         "<reg name=\"a\" bitsize=\"x\"/>", "<reg name=\"a\"/>",
                         "<reg name=\"a\" bitsize=\"0\"/>", "<xi:include hre=\"a\"/>"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pos = 0;
        ck_assert_msg(ss_rsp_xml_next(bad[i], strlen(bad[i]), &pos, &it) == SS_RSP_XML_ERROR, "%s", bad[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_gdbrsp");
    TCase *tc = tcase_create("rsp");
    tcase_add_test(tc, rsp_framing);
    tcase_add_test(tc, rsp_rle_and_escapes);
    tcase_add_test(tc, rsp_replies);
    tcase_add_test(tc, rsp_xml);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
