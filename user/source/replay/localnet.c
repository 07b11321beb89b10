/* The local-net list, on core's address and CIDR parsing (ipnet.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "localnet.h"

int addr_parse(const char *s, size_t len, struct ipaddr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return ipaddr_parse(buf, out);
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
	if (ipnet_parse(s, &l->net[l->n])) {
		snprintf(err, errlen, "--local-net: '%s' is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)", s);
		return -1;
	}
	l->n++;
	return 0;
}

bool localnets_contains(const struct localnets *l, const struct ipaddr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (ipnet_contains(&l->net[i], a))
			return true;
	return false;
}
