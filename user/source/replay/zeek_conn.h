/*
 * One Zeek conn.log connection, whichever way it was written (TSV or
 * JSON), and the rule that turns it into what local hosts sent:
 *  - a local originator sent orig_bytes to id.resp_h:id.resp_p (egress);
 *  - a local responder sent resp_bytes to id.orig_h (ingress).
 * Both can hold (traffic inside the local nets); neither gives nothing.
 * Zeek's local_orig/local_resp win over the local nets when present.
 * The bytes count at the connection's end, ts + duration.
 */
#ifndef EXFILD_ZEEK_CONN_H
#define EXFILD_ZEEK_CONN_H

#include <stdint.h>

#include "flow.h"
#include "localnet.h"
#include "replay_rec.h"

enum zeek_tristate { ZEEK_UNSET = -1, ZEEK_F = 0, ZEEK_T = 1 };

struct zeek_conn {
	int64_t ts_ns, duration_ns;
	struct ipaddr orig, resp;
	uint16_t orig_p, resp_p;
	uint8_t transport;	/* FLOW_PROTO_*, 0 = other (icmp): not counted */
	uint64_t orig_bytes, resp_bytes;	/* 0 when unset */
	int local_orig, local_resp;		/* enum zeek_tristate */
};

/* The parse results every reader shares. */
enum { PARSE_WRONG_KIND = -2, PARSE_MALFORMED = -1, PARSE_SKIP = 0, PARSE_OK = 1 };

/*
 * Fill out[0..] with the observations of c (at most 2); returns how many.
 * Connections that sent nothing or are not TCP/UDP give 0.
 */
int zeek_conn_obs(const struct zeek_conn *c, const struct localnets *ln,
		  struct replay_rec out[2]);

/* Field names Zeek uses, shared by the TSV and JSON readers. */
enum zeek_field {
	ZF_TS, ZF_ORIG_H, ZF_ORIG_P, ZF_RESP_H, ZF_RESP_P, ZF_PROTO, ZF_DURATION,
	ZF_ORIG_BYTES, ZF_RESP_BYTES, ZF_LOCAL_ORIG, ZF_LOCAL_RESP, ZF_COUNT
};
extern const char *const zeek_field_name[ZF_COUNT];
/* Fields a conn.log cannot do without. */
#define ZF_REQUIRED_LAST ZF_PROTO

/* "tcp"/"udp" -> FLOW_PROTO_*, other known protocols -> 0; -1 if empty. */
int zeek_proto(const char *s, size_t len);

#endif
