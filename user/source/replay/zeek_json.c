/* Zeek JSON conn.log lines. */
#include <string.h>

#include "replay_json.h"
#include "replay_time.h"
#include "zeek_json.h"

/* Zeek JSON time: a number of seconds, or ISO 8601 (JSON::TS_ISO8601). */
static int zeek_time(const json_t *v, int64_t *ns)
{
	if (json_is_number(v))
		return real_seconds_to_ns(json_number_value(v), ns);
	if (json_is_string(v))
		return rfc3339_parse(json_string_value(v), json_string_length(v), ns);
	return -1;
}

static int addr(const json_t *o, const char *key, struct ipaddr *a)
{
	size_t n;
	const char *s = rj_str(o, key, &n);

	return s ? addr_parse(s, n, a) : -1;
}

static int port(const json_t *o, const char *key, uint16_t *p)
{
	uint64_t v;

	if (rj_uint(o, key, 65535, &v) != 1)
		return -1;
	*p = (uint16_t)v;
	return 0;
}

static int flag(const json_t *o, const char *key, int *v)
{
	json_t *j = rj_get(o, key);

	if (!j)
		*v = ZEEK_UNSET;
	else if (json_is_boolean(j))
		*v = json_is_true(j) ? ZEEK_T : ZEEK_F;
	else
		return -1;
	return 0;
}

static int parse(const json_t *o, struct zeek_conn *c)
{
	const char *proto;
	size_t plen;
	json_t *dur;
	int p;

	memset(c, 0, sizeof(*c));
	if (zeek_time(rj_get(o, "ts"), &c->ts_ns) || addr(o, "id.orig_h", &c->orig) ||
	    addr(o, "id.resp_h", &c->resp) || port(o, "id.orig_p", &c->orig_p) ||
	    port(o, "id.resp_p", &c->resp_p))
		return PARSE_MALFORMED;
	proto = rj_str(o, "proto", &plen);
	if (!proto || (p = zeek_proto(proto, plen)) < 0)
		return PARSE_MALFORMED;
	c->transport = (uint8_t)p;
	dur = rj_get(o, "duration");
	if (dur && (!json_is_number(dur) || real_seconds_to_ns(json_number_value(dur), &c->duration_ns)))
		return PARSE_MALFORMED;
	if (rj_uint(o, "orig_bytes", UINT64_MAX, &c->orig_bytes) < 0 ||
	    rj_uint(o, "resp_bytes", UINT64_MAX, &c->resp_bytes) < 0 ||
	    flag(o, "local_orig", &c->local_orig) || flag(o, "local_resp", &c->local_resp))
		return PARSE_MALFORMED;
	return PARSE_OK;
}

int zeek_json_line(const char *line, size_t len, struct zeek_conn *c)
{
	json_t *o = rj_load(line, len);
	int rc;

	if (!o)
		return PARSE_MALFORMED;
	rc = parse(o, c);
	json_decref(o);
	return rc;
}

int zeek_json_is_zeek(const json_t *o)
{
	return rj_get(o, "ts") && (rj_get(o, "uid") || rj_get(o, "id.orig_h"));
}

int zeek_json_is_conn(const json_t *o)
{
	return zeek_json_is_zeek(o) && rj_get(o, "id.orig_h") && rj_get(o, "id.resp_h") &&
	       rj_get(o, "proto") &&
	       (rj_get(o, "conn_state") || rj_get(o, "orig_bytes") || rj_get(o, "resp_bytes"));
}
