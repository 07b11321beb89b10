#include <string.h>

#include "scope.h"

struct range {
	uint8_t addr[16];
	uint8_t bits;
};

/* ../shared reference list: the reference job's excluded destinations. */
static const struct range v4[] = {
	{ { 0 }, 8 },			/* "this" network */
	{ { 10 }, 8 },			/* private */
	{ { 100, 64 }, 10 },		/* CGNAT */
	{ { 127 }, 8 },			/* loopback */
	{ { 169, 254 }, 16 },		/* link-local */
	{ { 172, 16 }, 12 },		/* private */
	{ { 192, 0, 0 }, 24 },		/* IETF protocol assignments */
	{ { 192, 0, 2 }, 24 },		/* TEST-NET-1 */
	{ { 192, 88, 99 }, 24 },	/* 6to4 relay anycast */
	{ { 192, 168 }, 16 },		/* private */
	{ { 198, 18 }, 15 },		/* benchmarking */
	{ { 198, 51, 100 }, 24 },	/* TEST-NET-2 */
	{ { 203, 0, 113 }, 24 },	/* TEST-NET-3 */
	{ { 224 }, 4 },			/* multicast */
	{ { 233, 252, 0 }, 24 },	/* MCAST-TEST-NET */
	{ { 240 }, 4 },			/* reserved, and broadcast */
	{ { 255, 255, 255, 255 }, 32 },	/* limited broadcast */
};

/* The IPv6 equivalents (RFC 6890 and successors). */
static const struct range v6[] = {
	{ { 0 }, 128 },					/* unspecified */
	{ { [15] = 1 }, 128 },				/* loopback */
	{ { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48 },		/* local-use NAT64 */
	{ { 0x01 }, 64 },				/* discard-only 100::/64 */
	{ { 0x20, 0x01, 0x00, 0x02 }, 48 },		/* benchmarking 2001:2::/48 */
	{ { 0x20, 0x01, 0x00, 0x10 }, 28 },		/* ORCHID 2001:10::/28 */
	{ { 0x20, 0x01, 0x00, 0x20 }, 28 },		/* ORCHIDv2 2001:20::/28 */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		/* documentation */
	{ { 0x3f, 0xff }, 20 },				/* documentation 3fff::/20 */
	{ { 0xfc }, 7 },				/* unique local */
	{ { 0xfe, 0x80 }, 10 },				/* link-local */
	{ { 0xfe, 0xc0 }, 10 },				/* site-local (deprecated) */
	{ { 0xff }, 8 },				/* multicast */
};

static bool in_range(const uint8_t *a, const struct range *r)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(a, r->addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (r->addr[full] & mask);
}

bool scope_reserved(int family, const uint8_t addr[16])
{
	const struct range *t = family == 2 ? v4 : v6;
	size_t n = family == 2 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++)
		if (in_range(addr, &t[i]))
			return true;
	return false;
}
