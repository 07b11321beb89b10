/* Kernel flows as observations; see kobs.h. */
#include <string.h>

#include "kobs.h"

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
		.remote_port = k->dport,
		.transport = k->proto,
		.direction = FLOW_EGRESS,
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
	memcpy(obs->remote.a, k->daddr, k->family == FLOW_AF_INET ? 4 : 16);
}
