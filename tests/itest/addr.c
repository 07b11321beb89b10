// SPDX-License-Identifier: GPL-2.0-only
/* itest: addresses and the prefixes this host uses (see main.c). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "itest.h"

int ip_parse(const char *s, uint8_t out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

/* Do the first `bits` bits of a and b agree? */
int same_prefix(const uint8_t *a, const uint8_t *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest))) == 0;
}

static int mask_bits(const uint8_t *m, int len)
{
	int bits = 0;

	for (int i = 0; i < len; i++)
		bits += __builtin_popcount(m[i]);
	return bits;
}

/*
 * Is the prefix cand/plen (4 or 16 bytes) in use on this host: an interface
 * address or a non-default route overlapping it? Test machines may sit on
 * documentation networks themselves; the fixture must not shadow them.
 */
int prefix_in_use(int family, const uint8_t *cand, int plen)
{
	int alen = family == AF_INET ? 4 : 16, used = 0;
	struct ifaddrs *ifs, *i;
	char line[512];
	FILE *f;

	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i && !used; i = i->ifa_next) {
			const uint8_t *a, *m;

			if (!i->ifa_addr || i->ifa_addr->sa_family != family || !i->ifa_netmask)
				continue;
			if (family == AF_INET) {
				a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
				m = (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			} else {
				a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
				m = ((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr.s6_addr;
			}
			int b = mask_bits(m, alen);
			used = b > 0 && same_prefix(a, cand, b < plen ? b : plen);
		}
		freeifaddrs(ifs);
	}
	f = fopen(family == AF_INET ? "/proc/net/route" : "/proc/net/ipv6_route", "r");
	while (f && !used && fgets(line, sizeof(line), f)) {
		uint8_t dst[16] = { 0 };
		unsigned d, m, b;
		int bits;

		if (family == AF_INET) {
			if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &d, &m) != 2)
				continue;	/* the header */
			memcpy(dst, &d, 4);	/* printed from the network-order word */
			bits = mask_bits((uint8_t *)&m, 4);
		} else {
			for (int k = 0; k < 16; k++)
				if (sscanf(line + 2 * k, "%2x", &b) == 1)
					dst[k] = b;
			if (sscanf(line + 33, "%x", &b) != 1)
				continue;
			bits = b;
		}
		if (bits > 0)	/* the default route overlaps everything */
			used = same_prefix(dst, cand, bits < plen ? bits : plen);
	}
	if (f)
		fclose(f);
	return used;
}
