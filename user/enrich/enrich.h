/*
 * The enrich stage: a flow observation becomes an enriched flow, with the
 * process context (live), geo and AS facts of the peer, and whether the
 * peer is in a reserved range. Returns values, never JSON.
 */
#ifndef EXFILD_ENRICH_H
#define EXFILD_ENRICH_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

struct geo;
struct proc_table;

struct enricher {
	struct proc_table *procs;	/* NULL: no process context (replay) */
	struct geo *geo;		/* NULL: no geo */
	bool include_reserved;		/* reserved peers are in scope too */
	int64_t budget_ns;		/* slow lookups per drain; 0: ENRICH_BUDGET_NS */
};

/*
 * Time one drain may spend on slow lookups: user and group names (NSS,
 * which may ask LDAP or sssd) and /proc reads of processes not seen
 * before. What is not answered in time is marked (names pending, process
 * context deferred) and filled in on a later drain.
 */
#define ENRICH_BUDGET_NS (100 * 1000000LL)

/* A drain starts (now_mono_ns: CLOCK_MONOTONIC): its budget starts now. */
void enrich_begin(const struct enricher *e, int64_t now_mono_ns);

/*
 * Fill *out from *obs. Pointers in *out (process context, names) stay
 * valid until the next call into the process table. Returns false, with
 * nothing looked up, for a flow out of scope (a reserved peer, unless
 * include_reserved): data sent there does not leave the organisation.
 */
bool enrich_flow(const struct enricher *e, const struct flow_obs *obs, struct enriched_flow *out);

#endif
