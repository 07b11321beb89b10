#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "alert.h"
#include "bytes_text.h"
#include "json.h"
#include "record_parts.h"

static const char *const view_field[VIEW_COUNT] = {
	[VIEW_IP] = "destination.ip", [VIEW_COUNTRY] = "destination.geo.country_iso_code",
	[VIEW_REGION] = "destination.geo.region_name", [VIEW_PORT] = "destination.port",
	[VIEW_PROCESS] = "process.name", [VIEW_USER] = "user.name",
};
static const char *const view_id[VIEW_COUNT] = {
	[VIEW_IP] = "ip", [VIEW_COUNTRY] = "country", [VIEW_REGION] = "region",
	[VIEW_PORT] = "port", [VIEW_PROCESS] = "process", [VIEW_USER] = "user",
};

/* The reference engine's bands of the 0-100 score. */
static const char *score_band(int score)
{
	return score < 25 ? "warning" : score < 50 ? "minor" : score < 75 ? "major" : "critical";
}

static json_t *ip_json(const struct ipaddr *a)
{
	char ip[64];

	record_ip(a, ip, sizeof(ip));
	return json_string(ip);
}

static void put_rule(json_t *r)
{
	json_set_path(r, "rule.name", json_string(ALERT_RULE_NAME));
	json_set_path(r, "rule.id", json_string(ALERT_RULE_ID));
	json_set_path(r, "rule.description", json_string(
		"exfild judged the bytes a process sent against this host's baseline of destination "
		"IPs, countries, regions, ports, processes and users: an unusually high sum to a "
		"rarely or never used destination could indicate exfiltration over a command and "
		"control channel."));
	json_set_path(r, "rule.reference", json_string(
		"https://www.elastic.co/blog/detect-data-exfiltration-activity-with-kibanas-new-integration"));
	json_set_path(r, "rule.ruleset", json_string("exfild"));
	json_set_path(r, "threat.framework", json_string("MITRE ATT&CK"));
	json_set_path(r, "threat.tactic.id", json_string("TA0010"));
	json_set_path(r, "threat.tactic.name", json_string("Exfiltration"));
	json_set_path(r, "threat.tactic.reference", json_string("https://attack.mitre.org/tactics/TA0010/"));
	json_set_path(r, "threat.technique.id", json_string("T1041"));
	json_set_path(r, "threat.technique.name", json_string("Exfiltration Over C2 Channel"));
	json_set_path(r, "threat.technique.reference",
		      json_string("https://attack.mitre.org/techniques/T1041/"));
}

/*
 * source = the side that opened the connection: egress, this host (what it
 * sent is source.bytes); ingress, the peer (what this host sent back is
 * destination.bytes). The peer named is the finding's main destination.
 */
static void put_sides(json_t *r, const struct finding *fd)
{
	const struct enriched_flow *f = fd->flow;
	const struct flow_obs *o = &f->obs;
	bool ingress = fd->direction == FLOW_INGRESS;
	const char *host = ingress ? "destination" : "source";
	const char *peer = ingress ? "source" : "destination";
	bool same = !memcmp(&fd->dest, &o->remote, sizeof(o->remote));
	char path[64];

	json_set_path(r, "network.direction", json_string(ingress ? "ingress" : "egress"));
	json_set_path(r, "network.transport", json_string(o->transport == FLOW_PROTO_UDP ? "udp" : "tcp"));
	json_set_path(r, "network.type", json_string(fd->dest.family == FLOW_AF_INET6 ? "ipv6" : "ipv4"));
	json_set_path(r, "network.bytes", json_integer((json_int_t)fd->actual));
	if (o->local.family) {
		snprintf(path, sizeof(path), "%s.ip", host);
		json_set_path(r, path, ip_json(&o->local));
	}
	if (o->local_port) {
		snprintf(path, sizeof(path), "%s.port", host);
		json_set_path(r, path, json_integer(o->local_port));
	}
	snprintf(path, sizeof(path), "%s.bytes", host);
	json_set_path(r, path, json_integer((json_int_t)fd->actual));
	snprintf(path, sizeof(path), "%s.ip", peer);
	json_set_path(r, path, ip_json(&fd->dest));
	snprintf(path, sizeof(path), "%s.address", peer);
	json_set_path(r, path, ip_json(&fd->dest));
	if (o->remote_port) {
		snprintf(path, sizeof(path), "%s.port", peer);
		json_set_path(r, path, json_integer(o->remote_port));
	}
	/* Geo and AS of the flow's peer: only where the named peer is that one. */
	if (same) {
		record_geo(json_object_get(r, peer), &f->geo);
	} else if (fd->top_view != VIEW_PORT) {
		/* Another IP of the same country (and region): those facts hold. */
		struct geo_info g;

		memset(&g, 0, sizeof(g));
		memcpy(g.country_iso, f->geo.country_iso, sizeof(g.country_iso));
		memcpy(g.country_name, f->geo.country_name, sizeof(g.country_name));
		memcpy(g.continent_name, f->geo.continent_name, sizeof(g.continent_name));
		if (fd->top_view == VIEW_REGION) {
			memcpy(g.region_name, f->geo.region_name, sizeof(g.region_name));
			memcpy(g.region_iso, f->geo.region_iso, sizeof(g.region_iso));
		}
		record_geo(json_object_get(r, peer), &g);
	}
	json_set_path(r, "related.ip", json_pack("[o]", ip_json(&fd->dest)));
	if (o->local.family)
		json_array_append_new(json_object_get(json_object_get(r, "related"), "ip"),
				      ip_json(&o->local));
}

/* process.* / user.* without a process table (replay): what the flow names. */
static void put_who(json_t *r, const struct enriched_flow *f)
{
	if (f->proc) {
		record_process(r, f);
		return;
	}
	if (f->obs.has_process)
		json_set_path(r, "process.pid", json_integer(f->obs.pid));
	if (f->process_name)
		json_set_path(r, "process.name", json_cstr(f->process_name));
	if (f->process_executable)
		json_set_path(r, "process.executable", json_cstr(f->process_executable));
	if (f->obs.has_uid)
		json_set_path(r, "user.id", json_sprintf("%u", f->obs.uid));
	if (f->user_name)
		json_set_path(r, "user.name", json_cstr(f->user_name));
}

static json_t *view_json(const struct finding_view *v)
{
	json_t *o = json_object();

	json_set_path(o, "view", json_string(view_id[v->kind]));
	json_set_path(o, "field", json_string(view_field[v->kind]));
	json_set_path(o, "member", json_cstr(v->member));
	json_set_path(o, "sum", json_string(v->horizon ? "horizon" : "bucket"));
	json_set_path(o, "actual", json_integer((json_int_t)v->actual));
	json_set_path(o, "typical", json_integer((json_int_t)v->typical));
	json_set_path(o, "probability", json_real(v->probability));
	json_set_path(o, "evidence", json_real(v->evidence));
	json_set_path(o, "points", json_real(v->points));
	json_set_path(o, "rare", json_boolean(v->rare));
	json_set_path(o, "never_seen", json_boolean(v->never_seen));
	json_set_path(o, "first_seen", json_time(v->first_seen_ns));
	if (v->last_seen_ns)
		json_set_path(o, "last_seen", json_time(v->last_seen_ns));
	json_set_path(o, "active_buckets", json_real(v->active_buckets));
	return o;
}

static void put_anomaly(json_t *r, const struct finding *fd)
{
	json_t *views = json_array(), *reasons = json_array(), *others = json_array();

	json_set_path(r, "exfild.anomaly.score", json_integer(fd->score));
	json_set_path(r, "exfild.anomaly.threshold", json_integer(fd->threshold));
	json_set_path(r, "exfild.anomaly.severity", json_string(score_band(fd->score)));
	json_set_path(r, "exfild.anomaly.view", json_string(view_id[fd->top_view]));
	json_set_path(r, "exfild.anomaly.actual", json_integer((json_int_t)fd->actual));
	json_set_path(r, "exfild.anomaly.typical", json_integer((json_int_t)fd->typical));
	json_set_path(r, "exfild.anomaly.probability", json_real(fd->probability));
	json_set_path(r, "exfild.anomaly.bucket_start", json_time(fd->bucket_start_ns));
	json_set_path(r, "exfild.anomaly.bucket_span_s", json_integer(fd->bucket_span_ns / 1000000000));
	json_set_path(r, "exfild.anomaly.horizon_s", json_integer(fd->horizon_ns / 1000000000));
	for (int v = 0; v < VIEW_COUNT; v++)
		if (fd->views[v].judged)
			json_array_append_new(views, view_json(&fd->views[v]));
	json_set_path(r, "exfild.anomaly.views", views);
	for (unsigned i = 0; i < fd->n_reasons; i++)
		json_array_append_new(reasons, json_cstr(fd->reasons[i]));
	json_set_path(r, "exfild.anomaly.reasons", reasons);
	json_set_path(r, "exfild.anomaly.destination_bytes", json_integer((json_int_t)fd->dest_bytes));
	for (unsigned i = 0; i < fd->n_others; i++)
		json_array_append_new(others, json_pack("{s:o,s:I}", "ip", ip_json(&fd->others[i].ip),
							"bytes", (json_int_t)fd->others[i].bytes));
	json_set_path(r, "exfild.anomaly.other_destinations", others);
	json_set_path(r, "exfild.anomaly.repeat_count", json_integer(fd->repeat_count));
	json_set_path(r, "exfild.anomaly.rate_capped", json_integer((json_int_t)fd->rate_capped));
}

static void put_context(json_t *r, const struct finding *fd)
{
	json_t *procs = json_array();

	json_set_path(r, "exfild.investigation.window_s", json_integer(fd->window_ns / 1000000000));
	json_set_path(r, "exfild.investigation.ip.first_seen", json_time(fd->ip_first_seen_ns));
	json_set_path(r, "exfild.investigation.ip.bytes", json_integer((json_int_t)fd->ip_bytes_window));
	if (fd->country_first_seen_ns) {
		json_set_path(r, "exfild.investigation.country.first_seen",
			      json_time(fd->country_first_seen_ns));
		json_set_path(r, "exfild.investigation.country.bytes",
			      json_integer((json_int_t)fd->country_bytes_window));
	}
	for (unsigned i = 0; i < fd->n_other_procs; i++)
		json_array_append_new(procs, json_cstr(fd->other_procs[i]));
	json_set_path(r, "exfild.investigation.other_processes", procs);
}

static void put_message(json_t *r, const struct finding *fd)
{
	const struct enriched_flow *f = fd->flow;
	const char *who = f->process_name ? f->process_name
			: f->process_executable ? f->process_executable : "a process";
	char ip[64], bytes[32], where[160], user[80] = "";
	const char *cc = f->geo.country_iso;

	record_ip(&fd->dest, ip, sizeof(ip));
	bytes_text(fd->actual, bytes, sizeof(bytes));
	if (cc[0] && f->geo.region_name[0])
		snprintf(where, sizeof(where), " (%s, %.64s)", cc, f->geo.region_name);
	else if (cc[0])
		snprintf(where, sizeof(where), " (%s)", cc);
	else
		where[0] = 0;
	if (f->user_name)
		snprintf(user, sizeof(user), " of user %.64s", f->user_name);
	json_set_path(r, "message", json_sprintf(
		"Possible exfiltration: %.64s%s sent %s %s %s%s%s, score %d%s%.200s",
		who, user, bytes, fd->direction == FLOW_INGRESS ? "in responses to" : "to", ip,
		where, fd->views[fd->top_view].horizon ? " over the horizon" : " in one bucket",
		fd->score, fd->n_reasons ? ": " : "", fd->n_reasons ? fd->reasons[0] : ""));
}

/* event.id: sha256 of the record without it, so replays give the same id
 * and different alerts different ones. */
static void put_id(json_t *r)
{
	char *line = json_line(r), hex[33];
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (!line)
		return;
	SHA256((const unsigned char *)line, strlen(line), md);
	free(line);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	json_set_path(r, "event.id", json_string(hex));
}

json_t *record_alert(const struct finding *fd, const struct record_ctx *ctx)
{
	const struct enriched_flow *f = fd->flow;
	json_t *r = record_base(fd->time_ns, "alert", "exfild.alert");

	if (!r)
		return NULL;
	json_set_path(r, "event.category", json_pack("[s]", "network"));
	json_set_path(r, "event.type", json_pack("[s]", "connection"));
	json_set_path(r, "event.action", json_string("exfiltration-suspected"));
	json_set_path(r, "event.start", json_time(fd->bucket_start_ns));
	json_set_path(r, "event.end", json_time(fd->time_ns));
	json_set_path(r, "event.risk_score", json_integer(ALERT_RISK_SCORE));
	json_set_path(r, "event.severity", json_integer(ALERT_RISK_SCORE));
	json_set_path(r, "exfild.severity", json_string("low"));
	put_message(r, fd);
	put_rule(r);
	json_set_path(r, "host.name", json_cstr(f->obs.host_name ? f->obs.host_name : ctx->host_name));
	/* The host's own address (a replayed Zeek host is named by it). */
	if (f->obs.local.family)
		json_set_path(r, "host.ip", json_pack("[o]", ip_json(&f->obs.local)));
	put_who(r, f);
	put_sides(r, fd);
	put_anomaly(r, fd);
	put_context(r, fd);
	put_id(r);
	return r;
}
