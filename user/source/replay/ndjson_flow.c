/* exfild NDJSON flow records -> replay_rec (see ndjson_flow.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localnet.h"
#include "ndjson_flow.h"
#include "replay_json.h"
#include "replay_time.h"
#include "zeek_conn.h"

static int time_field(const json_t *o, const char *key, int64_t *ns)
{
	size_t n;
	const char *s = rj_str(o, key, &n);

	return s ? rfc3339_parse(s, n, ns) : -1;
}

static void str_field(const json_t *o, const char *key, char *dst, size_t size)
{
	size_t n;
	const char *s = rj_str(o, key, &n);

	if (s)
		replay_set_str(dst, size, s, n);
}

static int addr_field(const json_t *o, const char *key, struct ipaddr *a, int required)
{
	size_t n;
	const char *s = rj_str(o, key, &n);

	if (!s) {
		memset(a, 0, sizeof(*a));
		return required ? -1 : 0;
	}
	return addr_parse(s, n, a);
}

static int port_field(const json_t *o, const char *key, uint16_t *p)
{
	uint64_t v = 0;

	if (rj_uint(o, key, 65535, &v) < 0)
		return -1;
	*p = (uint16_t)v;
	return 0;
}

/* The peer's geo and AS, when the record was written with --geoip. */
static void geo_fields(const json_t *o, const char *side, struct replay_rec *r)
{
	static const struct {
		const char *key;
		size_t off, size;
	} s[] = {
#define G(k, f) { k, offsetof(struct geo_info, f), sizeof(((struct geo_info *)0)->f) }
		G("geo.country_iso_code", country_iso), G("geo.country_name", country_name),
		G("geo.continent_name", continent_name), G("geo.region_name", region_name),
		G("geo.region_iso_code", region_iso), G("geo.city_name", city_name),
		G("as.organization.name", as_org),
#undef G
	};
	char path[64];
	uint64_t asn;
	json_t *lat, *lon;

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		snprintf(path, sizeof(path), "%s.%s", side, s[i].key);
		if (rj_get(o, path)) {
			str_field(o, path, (char *)&r->geo + s[i].off, s[i].size);
			r->has_geo = true;
		}
	}
	snprintf(path, sizeof(path), "%s.as.number", side);
	if (rj_uint(o, path, UINT32_MAX, &asn) == 1) {
		r->geo.as_number = (uint32_t)asn;
		r->geo.has_as = r->has_geo = true;
	}
	snprintf(path, sizeof(path), "%s.geo.location.lat", side);
	lat = rj_get(o, path);
	snprintf(path, sizeof(path), "%s.geo.location.lon", side);
	lon = rj_get(o, path);
	if (json_is_number(lat) && json_is_number(lon)) {
		r->geo.lat = json_number_value(lat);
		r->geo.lon = json_number_value(lon);
		r->geo.has_location = r->has_geo = true;
	}
}

static int parse(const json_t *o, struct replay_rec *r)
{
	size_t n;
	const char *s = rj_str(o, "event.dataset", &n);
	const char *peer, *self;
	uint64_t v = 0, uid;
	int p;

	if (!s)
		return PARSE_MALFORMED;
	if (!(n == 11 && !memcmp(s, "exfild.flow", 11)))
		return PARSE_SKIP;
	replay_rec_init(r);
	if (time_field(o, "event.end", &r->obs.end_ns))
		return PARSE_MALFORMED;
	if (!rj_get(o, "event.start"))
		r->obs.start_ns = r->obs.end_ns;
	else if (time_field(o, "event.start", &r->obs.start_ns))
		return PARSE_MALFORMED;
	s = rj_str(o, "network.direction", &n);
	if (!s || (n == 6 && !memcmp(s, "egress", 6)) || (n == 8 && !memcmp(s, "outbound", 8)))
		r->obs.direction = FLOW_EGRESS;
	else if ((n == 7 && !memcmp(s, "ingress", 7)) || (n == 7 && !memcmp(s, "inbound", 7)))
		r->obs.direction = FLOW_INGRESS;
	else
		return PARSE_MALFORMED;
	/* ECS: source is the side that opened the connection. */
	peer = r->obs.direction == FLOW_EGRESS ? "destination" : "source";
	self = r->obs.direction == FLOW_EGRESS ? "source" : "destination";
	char key[48];
	snprintf(key, sizeof(key), "%s.ip", peer);
	if (addr_field(o, key, &r->obs.remote, 1))
		return PARSE_MALFORMED;
	snprintf(key, sizeof(key), "%s.ip", self);
	if (addr_field(o, key, &r->obs.local, 0))
		return PARSE_MALFORMED;
	snprintf(key, sizeof(key), "%s.port", peer);
	if (port_field(o, key, &r->obs.remote_port))
		return PARSE_MALFORMED;
	snprintf(key, sizeof(key), "%s.port", self);
	if (port_field(o, key, &r->obs.local_port))
		return PARSE_MALFORMED;
	snprintf(key, sizeof(key), "%s.bytes", self);
	p = rj_uint(o, key, UINT64_MAX, &v);
	if (p == 0 && r->obs.direction == FLOW_EGRESS)
		p = rj_uint(o, "network.bytes", UINT64_MAX, &v);
	if (p != 1)
		return PARSE_MALFORMED;
	r->obs.bytes_sent = v;
	s = rj_str(o, "network.transport", &n);
	if (!s || (p = zeek_proto(s, n)) <= 0)
		return PARSE_MALFORMED;
	r->obs.transport = (uint8_t)p;
	if (rj_uint(o, "exfild.calls", UINT64_MAX, &r->obs.calls) < 0)
		return PARSE_MALFORMED;
	s = rj_str(o, "user.id", &n);
	if (s && n && n <= 10 && strspn(s, "0123456789") == n) {
		uid = strtoull(s, NULL, 10);
		if (uid <= UINT32_MAX) {
			r->obs.uid = (uint32_t)uid;
			r->obs.has_uid = true;
		}
	}
	str_field(o, "host.name", r->host, sizeof(r->host));
	str_field(o, "process.name", r->process_name, sizeof(r->process_name));
	str_field(o, "process.executable", r->process_executable, sizeof(r->process_executable));
	str_field(o, "user.name", r->user_name, sizeof(r->user_name));
	geo_fields(o, peer, r);
	return PARSE_OK;
}

int ndjson_flow_line(const char *line, size_t len, struct replay_rec *r)
{
	json_t *o = rj_load(line, len);
	int rc;

	if (!o)
		return PARSE_MALFORMED;
	rc = parse(o, r);
	json_decref(o);
	return rc;
}

int ndjson_is_exfild(const json_t *o)
{
	size_t n;
	const char *s = rj_str(o, "event.module", &n);

	if (s && n == 6 && !memcmp(s, "exfild", 6))
		return 1;
	s = rj_str(o, "event.dataset", &n);
	return s && n > 7 && !memcmp(s, "exfild.", 7);
}
