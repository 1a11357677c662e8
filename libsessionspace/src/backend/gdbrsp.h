/*
 * The GDB remote serial protocol's packet layer (GDB manual, appendix E "Remote
 * Serial Protocol": E.1 Overview — framing, checksums, acks, escaping, run-length
 * encoding). No sockets here: the parser is fed bytes and says what it saw, so it
 * can be fuzzed and tested without a peer. Used by the kd backend (kd.c).
 *
 * A packet on the wire is `$payload#cs`, cs two hex digits: the sum of the payload
 * bytes modulo 256. A receiver answers `+` (good) or `-` (resend) unless both sides
 * agreed on QStartNoAckMode. Inside a payload `}` escapes the next byte (XOR 0x20) in
 * binary data, and `X*n` repeats X (n - 29) more times (run-length encoding, replies
 * only). `%...#cs` is an asynchronous notification (non-stop mode).
 */
#ifndef SS_BACKEND_GDBRSP_H
#define SS_BACKEND_GDBRSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest decoded payload the parser keeps: 64 KiB, far above QEMU's PacketSize 0x1000. */
#define SS_RSP_MAX_PAYLOAD 65536u

/* What ss_rsp_feed() saw. */
typedef enum ss_rsp_event {
    SS_RSP_NEED_MORE = 0, /* every byte consumed, nothing complete yet */
    SS_RSP_ACK,           /* `+` */
    SS_RSP_NAK,           /* `-`: the peer asks for a resend */
    SS_RSP_PACKET,        /* a `$` packet with a good checksum: payload in p->buf, p->len */
    SS_RSP_NOTIFY,        /* a `%` notification with a good checksum (payload as for PACKET) */
    SS_RSP_BAD_CHECKSUM,  /* a complete packet whose checksum is wrong (or not hex) */
    SS_RSP_BAD_RLE,       /* a packet with a run-length count that is invalid or comes first */
    SS_RSP_TOO_LONG,      /* a packet longer than SS_RSP_MAX_PAYLOAD decoded bytes */
    SS_RSP_JUNK           /* one byte outside any packet that is not `+`, `-`, `$` or `%` */
} ss_rsp_event;

/* An incremental packet parser. Lives on the heap or in a context: buf is 64 KiB. */
typedef struct ss_rsp_parser {
    int state;                           /* idle, payload, first / second checksum digit (gdbrsp.c) */
    bool notify;                         /* the packet began with `%` */
    bool bad_rle;                        /* a bad run-length count was seen in this packet */
    bool too_long;                       /* the payload overflowed buf */
    bool rle_pending;                    /* the previous raw byte was `*` */
    uint8_t sum;                         /* running checksum of the raw payload bytes */
    uint8_t cs_hi;                       /* first checksum digit's value */
    uint8_t junk_byte;                   /* the byte an SS_RSP_JUNK event was about */
    size_t len;                          /* decoded payload length (run-length expanded, escapes kept) */
    uint8_t buf[SS_RSP_MAX_PAYLOAD + 1]; /* the payload, NUL-terminated after an event */
} ss_rsp_parser;

/* Resets p to expect a new packet. */
void ss_rsp_parser_init(ss_rsp_parser *p);

/*
 * Feeds up to len bytes; stops after the first event and sets *used to the number
 * of bytes consumed (all of them with SS_RSP_NEED_MORE). Run-length encoding is
 * expanded on the raw bytes as gdb does (the byte repeated is the previous raw
 * byte); escapes are left for ss_rsp_unescape(), since only binary replies use them.
 */
ss_rsp_event ss_rsp_feed(ss_rsp_parser *p, const uint8_t *data, size_t len, size_t *used);

/* Undoes `}` escaping in place (binary replies: qXfer, vFile, X). Returns the new length;
 * a trailing lone `}` is dropped. */
size_t ss_rsp_unescape(uint8_t *buf, size_t len);

/*
 * Frames payload as `$payload#cs`, escaping `$`, `#`, `}` and `*`, into out (cap bytes).
 * Returns the framed length, or 0 when it does not fit.
 */
size_t ss_rsp_frame(const char *payload, size_t len, uint8_t *out, size_t cap);

/*
 * An error reply: `Exx` (two hex digits, *code = xx) or `E.text` (*code = -1, *text
 * the message, *text_len its length). Returns false for anything else.
 */
bool ss_rsp_is_error(const uint8_t *buf, size_t len, int *code, const char **text, size_t *text_len);

/* Decodes 2 * n hex digits into n bytes. Returns false on a non-hex digit or a short input. */
bool ss_rsp_hex_decode(const uint8_t *hex, size_t hexlen, uint8_t *out, size_t n);

/* Value of one hex digit, or -1. */
int ss_rsp_hexval(uint8_t c);

/* What a qSupported reply offers (features this client uses). */
typedef struct ss_rsp_features {
    size_t packet_size; /* PacketSize=xx (hex); 0 when not given */
    bool no_ack_mode;   /* QStartNoAckMode+ */
    bool xfer_features; /* qXfer:features:read+ */
    bool multiprocess;  /* multiprocess+ */
} ss_rsp_features;

/* Parses a qSupported reply (`;`-separated `name+`, `name-`, `name?`, `name=value`). */
void ss_rsp_parse_supported(const uint8_t *buf, size_t len, ss_rsp_features *f);

/* One item of a target description (GDB manual, E.6 "Target Descriptions"). */
typedef enum ss_rsp_xml_kind {
    SS_RSP_XML_END = 0, /* no more items */
    SS_RSP_XML_REG,     /* <reg name=... bitsize=... [regnum=...]/> */
    SS_RSP_XML_INCLUDE, /* <xi:include href=.../> */
    SS_RSP_XML_ERROR    /* malformed: an unterminated tag or comment, a bad attribute */
} ss_rsp_xml_kind;

typedef struct ss_rsp_xml_item {
    ss_rsp_xml_kind kind;
    char name[64];    /* reg name, or include href (truncated names fail as ERROR) */
    unsigned bitsize; /* reg only */
    long regnum;      /* reg only: the regnum attribute, -1 when absent */
} ss_rsp_xml_item;

/*
 * Scans a target description from *pos for the next reg or include element,
 * skipping comments (`<!-- ... -->`, so regs commented out do not count), the
 * XML declaration, DOCTYPE and every other element. Advances *pos. A minimal,
 * bounded scanner for this subset of XML, not a general parser.
 */
ss_rsp_xml_kind ss_rsp_xml_next(const char *xml, size_t len, size_t *pos, ss_rsp_xml_item *item);

#endif /* SS_BACKEND_GDBRSP_H */
