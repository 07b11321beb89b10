#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "detect_model.h"
#include "flow_members.h"

uint16_t flow_service_port(const struct flow_obs *o)
{
	return o->direction == FLOW_INGRESS ? o->local_port : o->remote_port;
}

/* Only what an IP member keeps of the name (IP_PROC_LEN - 1) is hashed. */
uint32_t proc_name_hash(const char *name)
{
	return (uint32_t)member_hash(0xfd, 0, name, strnlen(name, IP_PROC_LEN - 1)) | 1;
}

static const char *proc_of(const struct enriched_flow *f)
{
	if (f->process_name && f->process_name[0])
		return f->process_name;
	if (f->process_executable && f->process_executable[0])
		return f->process_executable;
	return NULL;
}

/* User name, else the send-time uid as digits (buf), else NULL. */
static const char *user_of(const struct enriched_flow *f, char *buf, size_t len)
{
	if (f->user_name && f->user_name[0])
		return f->user_name;
	if (f->obs.has_uid) {
		snprintf(buf, len, "%u", f->obs.uid);
		return buf;
	}
	return NULL;
}

/* "a\0b": two strings hashed as one value without ambiguity. */
static uint64_t pair_hash(int view, uint8_t dir, const char *a, const char *b)
{
	char buf[320];
	size_t la = strnlen(a, 255), lb = strnlen(b, GEO_COUNTRY_ISO_LEN);

	memcpy(buf, a, la);
	buf[la] = 0;
	memcpy(buf + la + 1, b, lb);
	return member_hash((uint8_t)view, dir, buf, la + 1 + lb);
}

uint64_t ip_member_key(uint8_t dir, const struct ipaddr *a)
{
	uint8_t ipv[17];

	ipv[0] = a->family;
	memcpy(ipv + 1, a->a, 16);
	return member_hash(VIEW_IP, dir, ipv, sizeof(ipv));
}

void flow_keys_of(const struct enriched_flow *f, struct flow_keys *k)
{
	const struct flow_obs *o = &f->obs;
	const char *user;
	char uid[16];

	memset(k, 0, sizeof(*k));
	k->dir = o->direction == FLOW_INGRESS ? 1 : 0;
	k->cc = f->geo.country_iso;
	k->proc = proc_of(f);
	if (k->proc)
		k->proc_hash = proc_name_hash(k->proc);
	k->port_tag = (uint32_t)o->transport << 16 | flow_service_port(o);

	k->has[VIEW_IP] = true;
	k->key[VIEW_IP] = ip_member_key(k->dir, &o->remote);

	k->has[VIEW_COUNTRY] = true;	/* "" (unknown) is a member too */
	k->key[VIEW_COUNTRY] = member_hash(VIEW_COUNTRY, k->dir, k->cc, strnlen(k->cc, GEO_COUNTRY_ISO_LEN));

	if (f->geo.region_name[0]) {
		k->has[VIEW_REGION] = true;
		k->key[VIEW_REGION] = pair_hash(VIEW_REGION, k->dir, f->geo.region_name, k->cc);
		k->region_hash = (uint32_t)(k->key[VIEW_REGION] >> 32) | 1;
	}

	k->has[VIEW_PORT] = true;
	k->key[VIEW_PORT] = member_hash(VIEW_PORT, k->dir, &k->port_tag, sizeof(k->port_tag));

	if (k->proc) {
		k->has[VIEW_PROCESS] = true;
		k->key[VIEW_PROCESS] = pair_hash(VIEW_PROCESS, k->dir, k->proc, k->cc);
	}
	if ((user = user_of(f, uid, sizeof(uid)))) {
		k->has[VIEW_USER] = true;
		k->key[VIEW_USER] = pair_hash(VIEW_USER, k->dir, user, k->cc);
	}
}

void flow_member_label(const struct enriched_flow *f, int view, char *buf, size_t len)
{
	const char *cc = f->geo.country_iso[0] ? f->geo.country_iso : "unknown";
	const char *p = proc_of(f);
	char uid[16];
	const char *u = user_of(f, uid, sizeof(uid));

	switch (view) {
	case VIEW_IP:
		if (!inet_ntop(f->obs.remote.family == FLOW_AF_INET ? AF_INET : AF_INET6,
			       f->obs.remote.a, buf, (socklen_t)len))
			snprintf(buf, len, "?");
		break;
	case VIEW_COUNTRY:
		snprintf(buf, len, "%s", cc);
		break;
	case VIEW_REGION:
		snprintf(buf, len, "%s/%s", cc, f->geo.region_name);
		break;
	case VIEW_PORT:
		snprintf(buf, len, "%s/%u", f->obs.transport == FLOW_PROTO_UDP ? "udp" : "tcp",
			 flow_service_port(&f->obs));
		break;
	case VIEW_PROCESS:
		snprintf(buf, len, "%s>%s", p ? p : "?", cc);
		break;
	case VIEW_USER:
		snprintf(buf, len, "%s>%s", u ? u : "?", cc);
		break;
	default:
		snprintf(buf, len, "?");
	}
}
