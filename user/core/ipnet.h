/*
 * Addresses and networks as text: "192.0.2.1", "2001:db8::/32". Used by
 * the config (allowlists) and anything else that reads a CIDR.
 */
#ifndef EXFILD_IPNET_H
#define EXFILD_IPNET_H

#include <stdbool.h>
#include <stddef.h>

#include "flow.h"

struct ipnet {
	struct ipaddr net;	/* host bits cleared */
	unsigned bits;		/* prefix length: 0-32 (v4), 0-128 (v6) */
};

/* Text address -> 0 (IPv4-mapped IPv6 folded to IPv4), or -1. */
int ipaddr_parse(const char *s, struct ipaddr *out);

/* "10.0.0.0/8", "fc00::/7" or a bare address (/32, /128) -> 0, or -1. */
int ipnet_parse(const char *s, struct ipnet *out);

/* a is inside n (same family). */
bool ipnet_contains(const struct ipnet *n, const struct ipaddr *a);

#endif
