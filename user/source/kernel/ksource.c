#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "exfild.skel.h"
#include "clock.h"
#include "drain.h"
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

static void key_addr(struct ipaddr *out, uint8_t family, const uint8_t *a)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->a, a, family == FLOW_AF_INET ? 4 : 16);
}

static bool addr_is_zero(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

/* The observation's two sides, from the kernel's key. */
static void key_sides(struct flow_obs *obs, const struct flow_key *k)
{
	obs->direction = k->direction == EXFILD_INGRESS ? FLOW_INGRESS : FLOW_EGRESS;
	obs->remote_port = k->rport;
	obs->local_port = k->lport;
	key_addr(&obs->remote, k->family, k->raddr);
	/* No local address in the kernel (see struct flow_key): ask routing. */
	if (!addr_is_zero(k->laddr) || !route_source(&obs->remote, k->rport, &obs->local))
		key_addr(&obs->local, k->family, k->laddr);
}

long ksource_drain(struct ksource *ks, int64_t now_wall, ksource_flow_fn fn, void *arg,
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
	mono_to_wall = now_wall - clock_ns(CLOCK_MONOTONIC);
	for (ssize_t i = 0; i < n; i++) {
		const struct flow_key *k = &ks->dr.flows[i].key;
		const struct flow_val *v = &ks->dr.flows[i].val;
		struct flow_obs obs = {
			.start_ns = (int64_t)v->first_ns + mono_to_wall,
			/* The kernel keeps no per-send clock (too dear on the hot
			 * path): the interval ends at the drain. */
			.end_ns = now_wall,
			.transport = k->proto,
			.bytes_sent = v->bytes,
			.calls = v->calls,
			.has_process = true,
			.pid = k->tgid,
			.has_uid = true,
			.uid = v->uid,
			.cgroup_id = v->cgroup_id,
			.tier = tier,
		};

		key_sides(&obs, k);
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
