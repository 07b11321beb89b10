#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "record.h"
#include "record_parts.h"

void record_ip(const struct ipaddr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == FLOW_AF_INET ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

json_t *record_base(int64_t now_ns, const char *kind, const char *dataset)
{
	json_t *r = json_object();

	json_set_path(r, "@timestamp", json_time(now_ns));
	json_set_path(r, "event.kind", json_string(kind));
	json_set_path(r, "event.module", json_string("exfild"));
	json_set_path(r, "event.dataset", json_string(dataset));
	return r;
}

/* One side of the flow: ip and address when known, and the port. */
static void put_side(json_t *r, const char *side, const struct ipaddr *a, uint16_t port,
		     bool with_port)
{
	char path[32], ip[INET6_ADDRSTRLEN];

	if (a->family) {
		record_ip(a, ip, sizeof(ip));
		snprintf(path, sizeof(path), "%s.ip", side);
		json_set_path(r, path, json_string(ip));
		snprintf(path, sizeof(path), "%s.address", side);
		json_set_path(r, path, json_string(ip));
	}
	if (with_port) {
		snprintf(path, sizeof(path), "%s.port", side);
		json_set_path(r, path, json_integer(port));
	}
}

/*
 * ECS: the side that opened the connection is the source. Egress (this
 * host opened it): source = local, destination = peer, the bytes sent are
 * source.bytes. Ingress (the peer opened it): source = peer (no port: its
 * connections to one service are grouped), destination = local address
 * and service port, the bytes sent are destination.bytes.
 */
static void record_sides(json_t *r, const struct flow_obs *o)
{
	bool in = o->direction == FLOW_INGRESS;
	const struct ipaddr *src = in ? &o->remote : &o->local, *dst = in ? &o->local : &o->remote;
	json_t *related = json_array();
	char ip[2][INET6_ADDRSTRLEN];

	json_set_path(r, "network.direction", json_string(in ? "ingress" : "egress"));
	put_side(r, "source", src, in ? 0 : o->local_port, !in);
	put_side(r, "destination", dst, in ? o->local_port : o->remote_port, true);
	json_set_path(r, in ? "destination.bytes" : "source.bytes",
		      json_integer((json_int_t)o->bytes_sent));
	/* related.ip: both addresses, each once. */
	record_ip(&o->local, ip[0], sizeof(ip[0]));
	record_ip(&o->remote, ip[1], sizeof(ip[1]));
	if (o->local.family)
		json_array_append_new(related, json_string(ip[0]));
	if (!o->local.family || strcmp(ip[0], ip[1]))
		json_array_append_new(related, json_string(ip[1]));
	json_set_path(r, "related.ip", related);
}

/* ["word"], the same array in every record: a new reference. */
static json_t *constant_list(json_t **keep, const char *word)
{
	if (!*keep)
		*keep = json_pack("[s]", word);
	return *keep ? json_incref(*keep) : json_pack("[s]", word);
}

/* A number as a JSON string ("17"), as ECS wants ids. */
static json_t *decimal(uint32_t v)
{
	char buf[12];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return json_stringn_nocheck(buf + i, sizeof(buf) - i);
}

static json_t *category, *type;

json_t *record_flow(const struct enriched_flow *f, const struct record_ctx *ctx)
{
	const struct flow_obs *o = &f->obs;
	/* A flow happened when its interval ended (the drain's swap). */
	json_t *r = record_base(o->end_ns, "event", "exfild.flow");

	json_set_path(r, "event.category", constant_list(&category, "network"));
	json_set_path(r, "event.type", constant_list(&type, "connection"));
	json_set_path(r, "event.action", json_string("network-send"));
	json_set_path(r, "event.start", json_time(o->start_ns));
	json_set_path(r, "event.end", json_time(o->end_ns));
	json_set_path(r, "event.duration", json_integer(o->end_ns - o->start_ns));
	json_set_path(r, "host.name", json_cstr(o->host_name ? o->host_name : ctx->host_name));
	/* With a context, record_process puts the whole (shared) object here. */
	if (f->proc)
		json_object_set_new(r, "process", json_null());
	else if (o->has_process)
		json_set_path(r, "process.pid", json_integer(o->pid));
	if (o->has_uid)
		json_set_path(r, "user.id", decimal(o->uid));
	json_set_path(r, "network.transport",
		      json_string(o->transport == FLOW_PROTO_TCP ? "tcp" : "udp"));
	json_set_path(r, "network.iana_number", decimal(o->transport));
	json_set_path(r, "network.type",
		      json_string(o->remote.family == FLOW_AF_INET ? "ipv4" : "ipv6"));
	json_set_path(r, "network.bytes", json_integer((json_int_t)o->bytes_sent));
	record_sides(r, o);
	if (o->calls)
		json_set_path(r, "exfild.calls", json_integer((json_int_t)o->calls));
	if (o->cgroup_id)
		json_set_path(r, "exfild.cgroup_id", json_integer((json_int_t)o->cgroup_id));
	if (o->tier)
		json_set_path(r, "exfild.tier", json_string(o->tier));
	record_process(r, f);
	/* Geo and AS describe the peer: the destination of egress flows,
	 * the source of ingress ones. */
	record_geo(json_object_get(r, o->direction == FLOW_INGRESS ? "source" : "destination"),
		   &f->geo);
	return r;
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
