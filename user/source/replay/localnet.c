/* Address and CIDR text parsing and the local-net membership test. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localnet.h"

int addr_parse(const char *s, size_t len, struct ipaddr *out)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char buf[INET6_ADDRSTRLEN + 1];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = FLOW_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->a) != 1)
		return -1;
	out->family = FLOW_AF_INET6;
	/* The rest of exfild sees v4-mapped peers as IPv4 (flow.h). */
	if (!memcmp(out->a, mapped, sizeof(mapped))) {
		memmove(out->a, out->a + 12, 4);
		memset(out->a + 4, 0, 12);
		out->family = FLOW_AF_INET;
	}
	return 0;
}

static void clear_host_bits(struct ipaddr *a, unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;

		if (keep < 8)
			a->a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int cidr_parse(const char *s, struct cidr *out)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (addr_parse(s, alen, &out->net))
		return -1;
	max = out->net.family == FLOW_AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		unsigned long b;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -1;
		b = strtoul(slash + 1, &end, 10);
		if (*end || b > max)
			return -1;
		out->bits = (unsigned)b;
	}
	clear_host_bits(&out->net, out->bits);
	return 0;
}

void localnets_default(struct localnets *l)
{
	static const char *const def[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					   "fc00::/7" };

	l->n = 0;
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		localnets_add(l, def[i], NULL, 0);
}

int localnets_add(struct localnets *l, const char *s, char *err, size_t errlen)
{
	if (l->n >= LOCALNET_MAX) {
		snprintf(err, errlen, "--local-net: at most %d networks", LOCALNET_MAX);
		return -1;
	}
	if (cidr_parse(s, &l->net[l->n])) {
		snprintf(err, errlen, "--local-net: '%s' is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)", s);
		return -1;
	}
	l->n++;
	return 0;
}

bool localnets_contains(const struct localnets *l, const struct ipaddr *a)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cidr *c = &l->net[i];
		struct ipaddr m = *a;

		if (c->net.family != a->family)
			continue;
		clear_host_bits(&m, c->bits);
		if (!memcmp(m.a, c->net.a, sizeof(m.a)))
			return true;
	}
	return false;
}
