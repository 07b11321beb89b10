/* Kernel flows as observations; see kobs.h. */
#include <stdbool.h>
#include <string.h>

#include "kobs.h"

static bool addr_is_zero(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

void kobs_of(const struct flow *f, int64_t mono_to_wall, int64_t now_wall, const char *tier,
	     struct flow_obs *obs)
{
	const struct flow_key *k = &f->key;
	const struct flow_val *v = &f->val;

	*obs = (struct flow_obs){
		.start_ns = (int64_t)v->first_ns + mono_to_wall,
		/* The kernel keeps no per-send clock (too dear on the hot
		 * path): the interval ends at the drain. */
		.end_ns = now_wall,
		.remote_port = k->rport,
		.local_port = k->lport,
		.transport = k->proto,
		.direction = k->direction == EXFILD_INGRESS ? FLOW_INGRESS : FLOW_EGRESS,
		.bytes_sent = v->bytes,
		.calls = v->calls,
		.has_process = true,
		.pid = k->tgid,
		.has_uid = true,
		.uid = v->uid,
		.cgroup_id = v->cgroup_id,
		.tier = tier,
	};
	obs->remote.family = k->family;
	memcpy(obs->remote.a, k->raddr, k->family == FLOW_AF_INET ? 4 : 16);
	/* All zero: the kernel kept no local address (unconnected UDP from a
	 * wildcard-bound socket); family 0 says unknown, ksource asks routing. */
	if (!addr_is_zero(k->laddr)) {
		obs->local.family = k->family;
		memcpy(obs->local.a, k->laddr, k->family == FLOW_AF_INET ? 4 : 16);
	}
}
