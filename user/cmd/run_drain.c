/* One drain of exfild run: each flow through enrich -> record, detect -> sink. */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "clock.h"
#include "exehash.h"
#include "geo.h"
#include "log.h"
#include "proc.h"
#include "sink.h"

void agent_on_proc_event(void *arg, const struct proc_event *ev)
{
	struct agent *a = arg;

	if (ev->kind == PROC_EV_EXEC)
		proc_table_on_exec(a->procs, ev);
	else
		proc_table_on_exit(a->procs, ev);
}

/* One flow of the drain, through the stages. */
static void on_flow(void *arg, const struct flow_obs *obs)
{
	struct agent *a = arg;
	struct enriched_flow f;
	const char *line;
	size_t len = 0;

	if (!enrich_flow(&a->enr, obs, &f))
		return;
	if (a->o->flows) {
		/* Straight to its line: no jansson tree per flow. */
		line = record_flow_line(&f, &a->rctx, &len);
		a->st.flow_records++;
		sinkset_emit_line(a->sinks, REC_FLOW, line, len);
	}
	agent_detect_flow(a, &f);
}

static void report_loss(struct agent *a, const struct loss_counts *loss)
{
	uint64_t dropped = sinkset_dropped(a->sinks) - a->dropped_seen;
	json_t *r;

	a->dropped_seen += dropped;
	a->st.lost_bytes += loss->bytes;
	a->st.lost_entries += loss->entries;
	a->st.lost_events += loss->events;
	a->st.lost_records += dropped;
	if (!loss->bytes && !loss->entries && !loss->events && !dropped)
		return;
	log_warn("lost %llu bytes in %llu sends, %llu process events and %llu records "
		 "this interval (accounting map full: raise --max-flows; ring buffer or "
		 "output queue full)",
		 (unsigned long long)loss->bytes, (unsigned long long)loss->entries,
		 (unsigned long long)loss->events, (unsigned long long)dropped);
	r = record_loss(loss, dropped, &a->rctx);
	sinkset_emit(a->sinks, REC_LOSS, r);
	json_decref(r);
}

void agent_drain(struct agent *a)
{
	struct loss_counts loss;
	int64_t swap_mono, t0 = clock_ns(CLOCK_MONOTONIC);
	long n;

	geo_maybe_reload(a->geo);
	/* Exec events first, so this interval's new executables are hashed
	 * (within the budget) before their flows are written. */
	ksource_consume_events(a->ks);
	/* Executables wait to be hashed; a budget keeps a huge one from stalling us. */
	exehash_pump(a->hashes, exehash_budget(a->o->interval));
	a->rctx.now_ns = clock_ns(CLOCK_REALTIME);
	enrich_begin(&a->enr, clock_ns(CLOCK_MONOTONIC));
	/* Set again to the swap's time, before any record is written. */
	n = ksource_drain(a->ks, &a->rctx.now_ns, on_flow, a, &loss, &swap_mono);
	if (n < 0) {
		log_err("draining the accounting map failed: %s", strerror(errno));
		a->rc = 1;
		return;
	}
	report_loss(a, &loss);
	agent_detect_tick(a, a->rctx.now_ns);
	/* Flow records went out as the drain went; what is left goes now. */
	sinkset_kick(a->sinks);
	/* Processes that exited before the swap have had their last flow. */
	proc_table_gc(a->procs, (uint64_t)swap_mono);
	a->st.drains++;
	a->st.last_drain_flows = (uint64_t)n;
	a->st.last_drain_unix_ns = a->rctx.now_ns;
	a->st.last_drain_ns = clock_ns(CLOCK_MONOTONIC) - t0;
}
