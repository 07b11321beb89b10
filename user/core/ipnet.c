#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ipnet.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int ipaddr_parse(const char *s, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = FLOW_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) != 1)
		return -1;
	out->family = FLOW_AF_INET6;
	/* The sources fold IPv4-mapped addresses; so must whatever matches them. */
	if (!memcmp(out->a, v4mapped, sizeof(v4mapped))) {
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

int ipnet_parse(const char *s, struct ipnet *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (ipaddr_parse(buf, &out->net))
		return -1;
	max = out->net.family == FLOW_AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		unsigned long b;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		b = strtoul(slash + 1, &end, 10);
		if (*end || b > max)
			return -1;
		out->bits = (unsigned)b;
	}
	clear_host_bits(&out->net, out->bits);
	return 0;
}

bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a)
{
	unsigned full = n->bits / 8, rest = n->bits % 8;

	if (a->family != n->net.family)
		return false;
	if (memcmp(a->a, n->net.a, full))
		return false;
	return !rest || ((a->a[full] ^ n->net.a[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}
