// SPDX-License-Identifier: GPL-2.0-only
/*
 * itest: who opened the connection, and which side is which. Egress (this
 * host opened it): source = the local address the packets left from and
 * the port of one of the sockets that sent, destination = the peer, bytes
 * in source.bytes. Ingress (the peer opened it): source = the peer, with
 * no port (exfild groups a client's connections by service), destination
 * = the local address and the service port, bytes in destination.bytes.
 * related.ip lists both addresses. traffic says what it used: src= and
 * sports= on each sent line.
 */
#include <stdio.h>
#include <string.h>

#include "itest.h"

static int same_ip(const char *a, const char *b)
{
	uint8_t x[16], y[16];

	return ip_parse(a, x) == 0 && ip_parse(b, y) == 0 && !memcmp(x, y, 16);
}

static int in_related(json_t *j, const char *ip)
{
	json_t *rel = jget(j, "related.ip"), *v;
	size_t i;

	json_array_foreach(rel, i, v)
		if (json_is_string(v) && same_ip(json_string_value(v), ip))
			return 1;
	return 0;
}

static int port_used(const struct sent *s, json_int_t port)
{
	for (int i = 0; i < s->nsports; i++)
		if (s->sports[i] == port)
			return 1;
	return 0;
}

int sides_ok(const struct run_case *c, const struct sent *s, json_t *j,
	     const struct output *o, char *why, size_t n)
{
	const char *dir = jstr(j, "network.direction");
	const char *local = jstr(j, s->ingress ? "destination.ip" : "source.ip");
	const char *peer = jstr(j, s->ingress ? "source.ip" : "destination.ip");
	json_t *sport = jget(j, "source.port");

	(void)c;
	(void)o;
	if (strcmp(dir, s->ingress ? "ingress" : "egress")) {
		snprintf(why, n, "expected network.direction=%s, got '%s'",
			 s->ingress ? "ingress" : "egress", dir);
		return 0;
	}
	if (!same_ip(local, s->src)) {
		snprintf(why, n, "expected %s.ip=%s (the local address), got '%s'",
			 s->ingress ? "destination" : "source", s->src, local);
		return 0;
	}
	if (!s->ingress && !(json_is_integer(sport) && port_used(s, json_integer_value(sport)))) {
		snprintf(why, n, "expected source.port to be one of the %d local ports the sender "
			 "used (first %d), got %lld", s->nsports, s->nsports ? s->sports[0] : -1,
			 json_is_integer(sport) ? (long long)json_integer_value(sport) : -1LL);
		return 0;
	}
	if (s->ingress && (sport || jget(j, "source.bytes"))) {
		snprintf(why, n, "expected no source.port or source.bytes on ingress (grouped by "
			 "service), got them");
		return 0;
	}
	if (!in_related(j, local) || !in_related(j, peer)) {
		snprintf(why, n, "expected related.ip to list %s and %s", local, peer);
		return 0;
	}
	return 1;
}
