#include <string.h>

#include "enrich.h"
#include "geo.h"
#include "proc.h"
#include "scope.h"

void enrich_begin(const struct enricher *e, int64_t now_mono_ns)
{
	if (e->procs)
		proc_table_set_deadline(e->procs, now_mono_ns + (e->budget_ns ? e->budget_ns
									       : ENRICH_BUDGET_NS));
}

bool enrich_flow(const struct enricher *e, const struct flow_obs *obs, struct enriched_flow *out)
{
	memset(out, 0, sizeof(*out));
	out->obs = *obs;
	out->reserved = scope_reserved(obs->remote.family, obs->remote.a);
	if (out->reserved && !e->include_reserved)
		return false;
	if (e->procs && obs->has_process)
		out->proc = proc_table_lookup(e->procs, obs->pid, &out->proc_deferred);
	if (out->proc) {
		const struct proc_info *pi = out->proc;

		proc_hash_view(pi, &out->hash);
		out->process_name = pi->name;
		out->process_executable = pi->executable;
		/* The name belongs to the exec-time uid; the flow's may differ. */
		if (pi->user_name[0] && (!obs->has_uid || obs->uid == pi->uid))
			out->user_name = pi->user_name;
	}
	if (e->geo)
		geo_lookup(e->geo, obs->remote.family, obs->remote.a, &out->geo);
	return true;
}
