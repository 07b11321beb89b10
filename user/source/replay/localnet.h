/*
 * Which addresses are this host's side in a replayed Zeek log: the local
 * nets (--local-net CIDR, repeatable). Zeek's own local_orig/local_resp
 * win when the log has them (zeek_conn.c).
 */
#ifndef EXFILD_LOCALNET_H
#define EXFILD_LOCALNET_H

#include <stdbool.h>
#include <stddef.h>

#include "flow.h"
#include "ipnet.h"

#define LOCALNET_MAX 64

struct localnets {
	size_t n;
	struct ipnet net[LOCALNET_MAX];
};

/* ipaddr_parse() of a text span that need not be NUL-terminated. 0 or -1. */
int addr_parse(const char *s, size_t len, struct ipaddr *out);

/* 10/8, 172.16/12, 192.168/16, fc00::/7. */
void localnets_default(struct localnets *l);

/* Add one CIDR; -1 with err when it does not parse or the list is full. */
int localnets_add(struct localnets *l, const char *s, char *err, size_t errlen);

bool localnets_contains(const struct localnets *l, const struct ipaddr *a);

#endif
