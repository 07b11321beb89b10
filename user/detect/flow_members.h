/*
 * Which member of each view a flow belongs to: the value that is hashed
 * into the member key, and the text the explanation shows for it.
 */
#ifndef EXFILD_FLOW_MEMBERS_H
#define EXFILD_FLOW_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "flow.h"

struct flow_keys {
	bool has[VIEW_COUNT];		/* the view applies to this flow */
	uint64_t key[VIEW_COUNT];
	uint8_t dir;			/* population: 0 egress, 1 ingress */
	const char *cc;			/* destination country, "" unknown */
	const char *proc;		/* process name (or executable), NULL unknown */
	uint32_t proc_hash;		/* of proc; 0 when unknown */
	uint32_t region_hash;		/* 0 without a region */
	uint32_t port_tag;		/* transport << 16 | service port */
};

void flow_keys_of(const struct enriched_flow *f, struct flow_keys *k);

/* The IP view's key of address a in population dir. */
uint64_t ip_member_key(uint8_t dir, const struct ipaddr *a);

/* The text of f's member in view v, e.g. "DE", "tcp/443", "curl>DE". */
void flow_member_label(const struct enriched_flow *f, int view, char *buf, size_t len);

/* 32-bit hash of a process name (never 0): IP members remember these. */
uint32_t proc_name_hash(const char *name);

/* Service port: the peer's for egress, ours for ingress. */
uint16_t flow_service_port(const struct flow_obs *o);

#endif
