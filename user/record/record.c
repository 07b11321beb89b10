#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jbuf.h"
#include "json.h"
#include "record.h"
#include "record_parts.h"
#include "rtree.h"

/* Dotted decimal, as inet_ntop writes it; out has room for 16. */
static size_t ip4_text(const uint8_t a[4], char *out)
{
	size_t o = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (i)
			out[o++] = '.';
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return o;
}

void record_ip(const struct ipaddr *a, char *buf, size_t len)
{
	if (a->family == FLOW_AF_INET && len >= 16)
		ip4_text(a->a, buf);
	else if (!inet_ntop(a->family == FLOW_AF_INET ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* record_ip() into the tree's memory. */
static const char *ip_text(struct rtree *t, const struct ipaddr *a)
{
	char *buf = rt_alloc(t, INET6_ADDRSTRLEN);

	if (buf)
		record_ip(a, buf, INET6_ADDRSTRLEN);
	return buf;
}

void record_base_tree(struct rtree *t, int64_t now_ns, const char *kind, const char *dataset)
{
	rt_time(t, 0, "@timestamp", now_ns);
	rt_lit(t, 0, "event.kind", kind);
	rt_lit(t, 0, "event.module", "exfild");
	rt_lit(t, 0, "event.dataset", dataset);
}

json_t *record_base(int64_t now_ns, const char *kind, const char *dataset)
{
	struct rtree t;
	json_t *r;

	rt_init(&t);
	record_base_tree(&t, now_ns, kind, dataset);
	r = rt_to_json(&t);
	rt_free(&t);
	return r;
}

/* The paths of one side: source or destination. */
struct side_paths {
	const char *ip, *address, *port;
};
static const struct side_paths source_paths = { "source.ip", "source.address", "source.port" };
static const struct side_paths destination_paths = { "destination.ip", "destination.address",
						     "destination.port" };

/* One side of the flow: ip and address when known (text), and the port. */
static void put_side(struct rtree *t, const struct side_paths *p, const char *text,
		     uint16_t port, bool with_port)
{
	if (text) {
		rt_lit(t, 0, p->ip, text);
		rt_lit(t, 0, p->address, text);
	}
	if (with_port)
		rt_int(t, 0, p->port, port);
}

/*
 * ECS: the side that opened the connection is the source. Egress (this
 * host opened it): source = local, destination = peer, the bytes sent are
 * source.bytes. Ingress (the peer opened it): source = peer (no port: its
 * connections to one service are grouped), destination = local address
 * and service port, the bytes sent are destination.bytes.
 */
static void record_sides(struct rtree *t, int network, const struct flow_obs *o)
{
	bool in = o->direction == FLOW_INGRESS;
	/* Each address as text once: both sides and related.ip. */
	const char *local = o->local.family ? ip_text(t, &o->local) : NULL;
	const char *remote = ip_text(t, &o->remote);
	int related;

	rt_lit(t, network, "direction", in ? "ingress" : "egress");
	put_side(t, &source_paths, in ? (o->remote.family ? remote : NULL) : local,
		 in ? 0 : o->local_port, !in);
	put_side(t, &destination_paths, in ? local : (o->remote.family ? remote : NULL),
		 in ? o->local_port : o->remote_port, true);
	rt_int(t, 0, in ? "destination.bytes" : "source.bytes", (json_int_t)o->bytes_sent);
	/* related.ip: both addresses, each once. */
	related = rt_arr(t, 0, "related.ip");
	if (local)
		rt_push_lit(t, related, local);
	if (remote && (!local || strcmp(local, remote)))
		rt_push_lit(t, related, remote);
}

void record_flow_tree(struct rtree *t, const struct enriched_flow *f, const struct record_ctx *ctx)
{
	const struct flow_obs *o = &f->obs;
	int event, network;

	/* A flow happened when its interval ended (the drain's swap). */
	record_base_tree(t, o->end_ns, "event", "exfild.flow");
	event = rt_obj(t, 0, "event");
	rt_push_lit(t, rt_arr(t, event, "category"), "network");
	rt_push_lit(t, rt_arr(t, event, "type"), "connection");
	rt_lit(t, event, "action", "network-send");
	rt_time(t, event, "start", o->start_ns);
	rt_time(t, event, "end", o->end_ns);
	rt_int(t, event, "duration", o->end_ns - o->start_ns);
	rt_cstr(t, 0, "host.name", o->host_name ? o->host_name : ctx->host_name);
	/* With a context, record_process puts the whole (shared) object here. */
	if (f->proc)
		rt_null(t, 0, "process");
	else if (o->has_process)
		rt_int(t, 0, "process.pid", o->pid);
	if (o->has_uid)
		rt_decimal(t, 0, "user.id", o->uid);
	network = rt_obj(t, 0, "network");
	rt_lit(t, network, "transport", o->transport == FLOW_PROTO_TCP ? "tcp" : "udp");
	rt_decimal(t, network, "iana_number", o->transport);
	rt_lit(t, network, "type", o->remote.family == FLOW_AF_INET ? "ipv4" : "ipv6");
	rt_int(t, network, "bytes", (json_int_t)o->bytes_sent);
	record_sides(t, network, o);
	if (o->calls)
		rt_int(t, 0, "exfild.calls", (json_int_t)o->calls);
	if (o->cgroup_id)
		rt_int(t, 0, "exfild.cgroup_id", (json_int_t)o->cgroup_id);
	if (o->tier)
		rt_utf8(t, 0, "exfild.tier", o->tier);
	record_process_tree(t, f);
	/* Geo and AS describe the peer: the destination of egress flows,
	 * the source of ingress ones. */
	record_geo_tree(t, rt_get(t, 0, o->direction == FLOW_INGRESS ? "source" : "destination"),
			&f->geo);
}

json_t *record_flow(const struct enriched_flow *f, const struct record_ctx *ctx)
{
	struct rtree t;
	json_t *r;

	rt_init(&t);
	record_flow_tree(&t, f, ctx);
	r = t.failed ? NULL : rt_to_json(&t);
	rt_free(&t);
	return r;
}

const char *record_flow_line(const struct enriched_flow *f, const struct record_ctx *ctx,
			     size_t *len)
{
	/* One record at a time (one thread writes records): its line is kept here. */
	static struct rtree t;
	static struct jbuf b;

	rt_init(&t);
	record_flow_tree(&t, f, ctx);
	b.len = 0;
	b.failed = false;
	if (!t.failed)
		rt_line(&t, &b);
	rt_free(&t);
	if (t.failed || b.failed || !jbuf_reserve(&b, 0))
		return NULL;
	b.p[b.len] = '\0';
	*len = b.len;
	return b.p;
}

json_t *record_loss(const struct loss_counts *d, uint64_t sink_dropped, const struct record_ctx *ctx)
{
	json_t *r = record_base(ctx->now_ns, "metric", "exfild.loss");

	json_set_path(r, "event.category", json_pack("[s]", "host"));
	json_set_path(r, "event.type", json_pack("[s]", "info"));
	json_set_path(r, "host.name", json_cstr(ctx->host_name));
	json_set_path(r, "message", json_string(
		"exfild could not account everything in this interval: the accounting map was "
		"full or the event ring buffer overflowed (raise --max-flows or lower --interval)"));
	json_set_path(r, "exfild.loss.bytes", json_integer((json_int_t)d->bytes));
	json_set_path(r, "exfild.loss.entries", json_integer((json_int_t)d->entries));
	json_set_path(r, "exfild.loss.events", json_integer((json_int_t)d->events));
	json_set_path(r, "exfild.loss.records", json_integer((json_int_t)sink_dropped));
	return r;
}
