#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exfild.skel.h"
#include "clock.h"
#include "drain.h"
#include "kobs.h"
#include "ksource.h"
#include "listeners.h"
#include "loader.h"
#include "log.h"
#include "route_src.h"

struct ksource {
	struct loader ld;
	struct drain dr;
	bool drain_ready;
	struct ring_buffer *rb;
	ksource_event_fn on_event;
	void *event_arg;
};

int ksource_preflight(char *err, size_t errlen)
{
	return loader_preflight(err, errlen);
}

/* The contract's event, as the core type the process table takes. */
static int on_ring_event(void *ctx, void *data, size_t len)
{
	struct ksource *ks = ctx;
	const struct task_event *e = data;
	struct proc_event ev;

	if (len < sizeof(*e) || (e->kind != PROC_EXEC && e->kind != PROC_EXIT))
		return 0;
	ev.kind = e->kind == PROC_EXEC ? PROC_EV_EXEC : PROC_EV_EXIT;
	ev.pid = e->pid;
	ev.ppid = e->ppid;
	ev.uid = e->uid;
	ev.gid = e->gid;
	ev.ts_ns = e->ts_ns;
	ev.start_ns = e->start_ns;
	ev.cgroup_id = e->cgroup_id;
	_Static_assert(sizeof(ev.comm) == sizeof(e->comm), "comm sizes agree");
	_Static_assert(sizeof(ev.filename) == sizeof(e->filename), "path sizes agree");
	memcpy(ev.comm, e->comm, sizeof(ev.comm));
	memcpy(ev.filename, e->filename, sizeof(ev.filename));
	ev.comm[sizeof(ev.comm) - 1] = 0;
	ev.filename[sizeof(ev.filename) - 1] = 0;
	ks->on_event(ks->event_arg, &ev);
	return 0;
}

struct ksource *ksource_open(const struct ksource_opts *o, ksource_event_fn on_event,
			     void *event_arg, char *err, size_t errlen)
{
	struct loader_opts lo = { .attach = o->attach, .max_flows = o->max_flows,
				  .pin_path = o->pin_path };
	struct ksource *ks = calloc(1, sizeof(*ks));
	struct exfild_bpf *skel;

	if (!ks) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ks->on_event = on_event;
	ks->event_arg = event_arg;
	if (loader_start(&ks->ld, &lo, err, errlen))
		goto fail;
	skel = ks->ld.skel;
	if (drain_init(&ks->dr, bpf_map__fd(skel->maps.flows_active), bpf_map__fd(skel->maps.flows_a),
		       bpf_map__fd(skel->maps.flows_b), bpf_map__fd(skel->maps.losses), o->max_flows)) {
		snprintf(err, errlen, "out of memory for %u flows", o->max_flows);
		goto fail;
	}
	ks->drain_ready = true;
	if (listeners_seed(bpf_map__fd(skel->maps.listen_ports)) < 0)
		log_warn("cannot read the listening TCP ports (/proc/net/tcp): connections "
			 "accepted before the agent started count as egress");
	drain_set_cache(&ks->dr, bpf_map__fd(skel->maps.flow_cache), &skel->bss->parity);
	ks->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_ring_event, ks, NULL);
	if (!ks->rb) {
		snprintf(err, errlen, "cannot open the event ring buffer: %s", strerror(errno));
		goto fail;
	}
	return ks;
fail:
	ksource_close(ks);
	return NULL;
}

void ksource_close(struct ksource *ks)
{
	if (!ks)
		return;
	ring_buffer__free(ks->rb);
	if (ks->drain_ready)
		drain_free(&ks->dr);
	loader_stop(&ks->ld);
	free(ks);
}

int ksource_event_fd(const struct ksource *ks)
{
	return ring_buffer__epoll_fd(ks->rb);
}

void ksource_consume_events(struct ksource *ks)
{
	ring_buffer__consume(ks->rb);
}

long ksource_drain(struct ksource *ks, int64_t *now_wall, ksource_flow_fn fn, void *arg,
		   struct loss_counts *loss, int64_t *swap_mono)
{
	const char *tier = tier_name(ks->ld.tier);
	int64_t mono_to_wall;
	struct loss l;
	ssize_t n;

	/* Exec/exit events first, so processes that sent are known. */
	ring_buffer__consume(ks->rb);
	*swap_mono = clock_ns(CLOCK_MONOTONIC);
	n = drain_run(&ks->dr, &l);
	if (n < 0)
		return -1;
	ring_buffer__consume(ks->rb);
	loss->bytes = l.bytes;
	loss->entries = l.entries;
	loss->events = l.events;
	/* The interval ends now, after the swap: a send between a clock read
	 * before it and the swap would start after its own end. Both clocks
	 * read back to back and in this order (one expression would leave the
	 * order to the compiler), so event.start is not shifted either. */
	*now_wall = clock_ns(CLOCK_REALTIME);
	mono_to_wall = *now_wall;
	mono_to_wall -= clock_ns(CLOCK_MONOTONIC);
	for (ssize_t i = 0; i < n; i++) {
		struct flow_obs obs;

		/* The interval ends after the swap (*now_wall, read once
		 * drain_run returned): a send in between is in this interval,
		 * and its first_ns must not lie after the interval's end. */
		kobs_of(&ks->dr.flows[i], mono_to_wall, *now_wall, tier, &obs);
		/* The kernel kept no local address (see struct flow_key): ask
		 * the routing table which one the packets left from. */
		if (!obs.local.family)
			route_source(&obs.remote, obs.remote_port, &obs.local);
		fn(arg, &obs);
	}
	return (long)n;
}

int ksource_tier(const struct ksource *ks)
{
	return ks->ld.tier;
}

const char *ksource_pin_dir(const struct ksource *ks)
{
	return ks->ld.pinned ? ks->ld.pin_dir : NULL;
}

int ksource_maps_usable(const struct ksource *ks)
{
	uint32_t zero = 0, id;

	/* An array of maps answers with the id of the map it points at. */
	return !bpf_map_lookup_elem(bpf_map__fd(ks->ld.skel->maps.flows_active), &zero, &id);
}
