#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "record.h"

void record_ip(const struct flow_key *k, char *buf, size_t len)
{
	if (!inet_ntop(k->family == EXFILD_AF_INET ? AF_INET : AF_INET6, k->daddr, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
}

static json_t *base(const struct record_ctx *ctx, const char *kind, const char *dataset)
{
	json_t *r = json_object();

	json_set_path(r, "@timestamp", json_time(ctx->now_ns));
	json_set_path(r, "event.kind", json_string(kind));
	json_set_path(r, "event.module", json_string("exfild"));
	json_set_path(r, "event.dataset", json_string(dataset));
	return r;
}

json_t *record_flow(const struct flow *f, const struct record_ctx *ctx)
{
	const struct flow_key *k = &f->key;
	const struct flow_val *v = &f->val;
	json_t *r = base(ctx, "event", "exfild.flow");
	char ip[INET6_ADDRSTRLEN];
	int64_t start = (int64_t)v->first_ns + ctx->mono_to_wall;
	/* The kernel keeps no per-send clock (too dear on the hot path):
	 * the interval ends at the drain. */
	int64_t end = ctx->now_ns;

	json_set_path(r, "event.category", json_pack("[s]", "network"));
	json_set_path(r, "event.type", json_pack("[s]", "connection"));
	json_set_path(r, "event.action", json_string("network-send"));
	json_set_path(r, "event.start", json_time(start));
	json_set_path(r, "event.end", json_time(end));
	json_set_path(r, "event.duration", json_integer(end - start));
	json_set_path(r, "host.name", json_cstr(ctx->host_name));
	json_set_path(r, "process.pid", json_integer(k->tgid));
	json_set_path(r, "user.id", json_sprintf("%u", v->uid));
	json_set_path(r, "network.transport",
		      json_string(k->proto == EXFILD_PROTO_TCP ? "tcp" : "udp"));
	json_set_path(r, "network.iana_number", json_sprintf("%u", k->proto));
	json_set_path(r, "network.type",
		      json_string(k->family == EXFILD_AF_INET ? "ipv4" : "ipv6"));
	json_set_path(r, "network.direction", json_string("egress"));
	json_set_path(r, "network.bytes", json_integer((json_int_t)v->bytes));
	record_ip(k, ip, sizeof(ip));
	json_set_path(r, "destination.ip", json_string(ip));
	json_set_path(r, "destination.address", json_string(ip));
	json_set_path(r, "destination.port", json_integer(k->dport));
	json_set_path(r, "source.bytes", json_integer((json_int_t)v->bytes));
	json_set_path(r, "exfild.calls", json_integer((json_int_t)v->calls));
	json_set_path(r, "exfild.cgroup_id", json_integer((json_int_t)v->cgroup_id));
	json_set_path(r, "exfild.tier", json_string(ctx->tier));
	return r;
}

json_t *record_loss(const struct loss *d, uint64_t sink_dropped, const struct record_ctx *ctx)
{
	json_t *r = base(ctx, "metric", "exfild.loss");

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
