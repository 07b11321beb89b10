/* Zeek connection -> what each local side sent (see zeek_conn.h). */
#include <arpa/inet.h>
#include <string.h>

#include "zeek_conn.h"

const char *const zeek_field_name[ZF_COUNT] = {
	[ZF_TS] = "ts", [ZF_ORIG_H] = "id.orig_h", [ZF_ORIG_P] = "id.orig_p",
	[ZF_RESP_H] = "id.resp_h", [ZF_RESP_P] = "id.resp_p", [ZF_PROTO] = "proto",
	[ZF_DURATION] = "duration", [ZF_ORIG_BYTES] = "orig_bytes",
	[ZF_RESP_BYTES] = "resp_bytes", [ZF_LOCAL_ORIG] = "local_orig",
	[ZF_LOCAL_RESP] = "local_resp",
};

int zeek_proto(const char *s, size_t len)
{
	if (len == 0)
		return -1;
	if (len == 3 && !memcmp(s, "tcp", 3))
		return FLOW_PROTO_TCP;
	if (len == 3 && !memcmp(s, "udp", 3))
		return FLOW_PROTO_UDP;
	return 0;	/* icmp, unknown_transport: exfild does not count them */
}

static bool is_local(int zeek_flag, const struct ipaddr *a, const struct localnets *ln)
{
	if (zeek_flag != ZEEK_UNSET)
		return zeek_flag == ZEEK_T;
	return localnets_contains(ln, a);
}

/* The host a Zeek line speaks for is named by its address (host.ip too). */
static void one(struct replay_rec *r, const struct zeek_conn *c, const struct ipaddr *local,
		const struct ipaddr *remote, uint16_t lport, uint16_t rport, uint8_t dir,
		uint64_t bytes)
{
	replay_rec_init(r);
	r->obs.start_ns = c->ts_ns;
	r->obs.end_ns = c->ts_ns + c->duration_ns;
	r->obs.local = *local;
	r->obs.remote = *remote;
	r->obs.local_port = lport;
	r->obs.remote_port = rport;
	r->obs.transport = c->transport;
	r->obs.direction = dir;
	r->obs.bytes_sent = bytes;
	if (!inet_ntop(local->family == FLOW_AF_INET ? AF_INET : AF_INET6, local->a, r->host,
		       sizeof(r->host)))
		r->host[0] = '\0';
}

int zeek_conn_obs(const struct zeek_conn *c, const struct localnets *ln,
		  struct replay_rec out[2])
{
	int n = 0;

	if (c->transport != FLOW_PROTO_TCP && c->transport != FLOW_PROTO_UDP)
		return 0;
	if (c->orig_bytes && is_local(c->local_orig, &c->orig, ln))
		one(&out[n++], c, &c->orig, &c->resp, c->orig_p, c->resp_p, FLOW_EGRESS,
		    c->orig_bytes);
	/* Ingress: the peer's ephemeral port says nothing, the service port
	 * does, as in the live agent's grouped ingress flows. */
	if (c->resp_bytes && is_local(c->local_resp, &c->resp, ln))
		one(&out[n++], c, &c->resp, &c->orig, c->resp_p, 0, FLOW_INGRESS, c->resp_bytes);
	return n;
}
