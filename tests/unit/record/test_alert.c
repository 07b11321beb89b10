/*
 * record/alert.c: the ECS alert of a finding, field by field, as a SIEM
 * reads it (the line parsed back with jansson).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "json.h"

#define T_NS 1767232800000000000LL	/* 2026-01-01T02:00:00Z */

static const struct record_ctx ctx = { .host_name = "fallback", .now_ns = 1 };

static struct enriched_flow flow;
static struct finding fd;

static void set_ip(struct ipaddr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->family = FLOW_AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, a->a), 1);
}

static int setup(void **state)
{
	memset(&flow, 0, sizeof(flow));
	flow.obs.end_ns = T_NS;
	set_ip(&flow.obs.local, "10.0.0.7");
	set_ip(&flow.obs.remote, "198.51.100.9");
	flow.obs.local_port = 40000;
	flow.obs.remote_port = 443;
	flow.obs.transport = FLOW_PROTO_TCP;
	flow.obs.direction = FLOW_EGRESS;
	flow.obs.bytes_sent = 1000;
	flow.obs.has_process = true;
	flow.obs.pid = 4242;
	flow.obs.has_uid = true;
	flow.obs.uid = 1000;
	flow.obs.host_name = "laptop-1";
	flow.process_name = "curl";
	flow.process_executable = "/usr/bin/curl";
	flow.user_name = "alice";
	snprintf(flow.geo.country_iso, sizeof(flow.geo.country_iso), "BR");
	snprintf(flow.geo.country_name, sizeof(flow.geo.country_name), "Brazil");
	snprintf(flow.geo.region_name, sizeof(flow.geo.region_name), "Sao Paulo");

	memset(&fd, 0, sizeof(fd));
	fd.score = 92;
	fd.threshold = 75;
	fd.direction = FLOW_EGRESS;
	fd.time_ns = T_NS;
	fd.bucket_start_ns = T_NS - 1800000000000LL;
	fd.bucket_span_ns = 3600000000000LL;
	fd.horizon_ns = 24 * 3600000000000LL;
	fd.top_view = VIEW_COUNTRY;
	fd.actual = 52400000;
	fd.typical = 65536;
	fd.probability = 0.00025;
	fd.views[VIEW_COUNTRY] = (struct finding_view){
		.judged = true, .kind = VIEW_COUNTRY, .member = "BR", .rare = true, .never_seen = true,
		.actual = 52400000, .typical = 65536, .probability = 0.00025, .evidence = 3.5,
		.points = 80.5, .first_seen_ns = T_NS - 600000000000LL, .active_buckets = 0.5,
	};
	fd.views[VIEW_IP] = (struct finding_view){
		.judged = true, .kind = VIEW_IP, .member = "198.51.100.9", .actual = 52000000,
		.typical = 24000, .probability = 0.5, .points = 11.5,
		.first_seen_ns = T_NS - 600000000000LL, .last_seen_ns = T_NS - 7200000000000LL,
	};
	fd.n_reasons = 1;
	snprintf(fd.reasons[0], sizeof(fd.reasons[0]), "country BR (never sent to before)");
	set_ip(&fd.dest, "198.51.100.9");
	fd.dest_bytes = 52000000;
	set_ip(&fd.others[0].ip, "198.51.100.10");
	fd.others[0].bytes = 400000;
	fd.n_others = 1;
	fd.ip_first_seen_ns = T_NS - 600000000000LL;
	fd.country_first_seen_ns = T_NS - 600000000000LL;
	fd.ip_bytes_window = 52000000;
	fd.country_bytes_window = 52400000;
	fd.window_ns = 24 * 3600000000000LL;
	snprintf(fd.other_procs[0], sizeof(fd.other_procs[0]), "firefox");
	fd.n_other_procs = 1;
	fd.repeat_count = 3;
	fd.rate_capped = 2;
	fd.flow = &flow;
	return 0;
}

/* The record as a consumer sees it: written, then parsed back. */
static json_t *written(void)
{
	json_t *r = record_alert(&fd, &ctx), *back;
	char *line = json_line(r);

	assert_non_null(line);
	back = json_loads(line, 0, NULL);
	assert_non_null(back);
	free(line);
	json_decref(r);
	return back;
}

static const char *str_at(json_t *r, const char *path)
{
	json_t *v = r;
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *at(json_t *r, const char *path)
{
	json_t *v = r;
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return v;
}

#define assert_str(r, path, want) assert_string_equal(str_at(r, path) ? str_at(r, path) : "(absent)", want)
#define assert_int_at(r, path, want) assert_int_equal(json_integer_value(at(r, path)), want)

static void test_alert_fields_exact(void **state)
{
	json_t *r = written();

	assert_str(r, "@timestamp", "2026-01-01T02:00:00.000Z");
	assert_str(r, "event.kind", "alert");
	assert_str(r, "event.module", "exfild");
	assert_str(r, "event.dataset", "exfild.alert");
	assert_string_equal(json_string_value(json_array_get(at(r, "event.category"), 0)), "network");
	assert_int_equal(json_array_size(at(r, "event.category")), 1);
	assert_int_at(r, "event.risk_score", 21);
	assert_int_at(r, "event.severity", 21);
	assert_str(r, "exfild.severity", "low");
	assert_str(r, "event.start", "2026-01-01T01:30:00.000Z");
	assert_str(r, "event.end", "2026-01-01T02:00:00.000Z");
	assert_int_equal(strlen(str_at(r, "event.id")), 32);
	assert_str(r, "message",
		   "Possible exfiltration: curl of user alice sent 52.4 MB to 198.51.100.9 (BR, Sao Paulo)"
		   " in one bucket, score 92: country BR (never sent to before)");
	assert_str(r, "rule.name", "Potential Data Exfiltration Activity to an Unusual IP Address");
	assert_str(r, "rule.id", "exfild-exfiltration-unusual-destination");
	assert_non_null(str_at(r, "rule.description"));
	assert_str(r, "rule.reference",
		   "https://www.elastic.co/blog/detect-data-exfiltration-activity-with-kibanas-new-integration");
	assert_str(r, "threat.framework", "MITRE ATT&CK");
	assert_str(r, "threat.tactic.id", "TA0010");
	assert_str(r, "threat.tactic.name", "Exfiltration");
	assert_str(r, "threat.tactic.reference", "https://attack.mitre.org/tactics/TA0010/");
	assert_str(r, "threat.technique.id", "T1041");
	assert_str(r, "threat.technique.name", "Exfiltration Over C2 Channel");
	assert_str(r, "threat.technique.reference", "https://attack.mitre.org/techniques/T1041/");
	assert_str(r, "host.name", "laptop-1");
	assert_int_at(r, "process.pid", 4242);
	assert_str(r, "process.name", "curl");
	assert_str(r, "process.executable", "/usr/bin/curl");
	assert_str(r, "user.id", "1000");
	assert_str(r, "user.name", "alice");
	assert_str(r, "network.direction", "egress");
	assert_str(r, "network.transport", "tcp");
	assert_str(r, "network.type", "ipv4");
	/* egress: this host opened it, so it is the source */
	assert_str(r, "source.ip", "10.0.0.7");
	assert_int_at(r, "source.port", 40000);
	assert_int_at(r, "source.bytes", 52400000);
	assert_str(r, "destination.ip", "198.51.100.9");
	assert_int_at(r, "destination.port", 443);
	assert_str(r, "destination.geo.country_iso_code", "BR");
	assert_str(r, "destination.geo.country_name", "Brazil");
	assert_str(r, "destination.geo.region_name", "Sao Paulo");
	assert_int_at(r, "exfild.anomaly.score", 92);
	assert_str(r, "exfild.anomaly.severity", "critical");
	assert_str(r, "exfild.anomaly.view", "country");
	assert_int_at(r, "exfild.anomaly.actual", 52400000);
	assert_int_at(r, "exfild.anomaly.typical", 65536);
	assert_float_equal(json_real_value(at(r, "exfild.anomaly.probability")), 0.00025, 1e-15);
	assert_int_equal(json_array_size(at(r, "exfild.anomaly.views")), 2);
	{
		json_t *v0 = json_array_get(at(r, "exfild.anomaly.views"), 0);
		json_t *v1 = json_array_get(at(r, "exfild.anomaly.views"), 1);

		assert_str(v0, "view", "ip");
		assert_str(v0, "last_seen", "2026-01-01T00:00:00.000Z");
		assert_str(v1, "view", "country");
		assert_str(v1, "field", "destination.geo.country_iso_code");
		assert_str(v1, "member", "BR");
		assert_str(v1, "sum", "bucket");
		assert_float_equal(json_real_value(at(v1, "points")), 80.5, 0);
		assert_true(json_is_true(at(v1, "never_seen")));
		assert_str(v1, "first_seen", "2026-01-01T01:50:00.000Z");
		assert_null(at(v1, "last_seen"));
	}
	assert_string_equal(json_string_value(json_array_get(at(r, "exfild.anomaly.reasons"), 0)),
			    "country BR (never sent to before)");
	assert_str(json_array_get(at(r, "exfild.anomaly.other_destinations"), 0), "ip", "198.51.100.10");
	assert_int_at(json_array_get(at(r, "exfild.anomaly.other_destinations"), 0), "bytes", 400000);
	assert_int_at(r, "exfild.anomaly.repeat_count", 3);
	assert_int_at(r, "exfild.anomaly.rate_capped", 2);
	assert_int_at(r, "exfild.investigation.window_s", 86400);
	assert_str(r, "exfild.investigation.ip.first_seen", "2026-01-01T01:50:00.000Z");
	assert_int_at(r, "exfild.investigation.ip.bytes", 52000000);
	assert_str(r, "exfild.investigation.country.first_seen", "2026-01-01T01:50:00.000Z");
	assert_int_at(r, "exfild.investigation.country.bytes", 52400000);
	assert_string_equal(json_string_value(json_array_get(at(r, "exfild.investigation.other_processes"), 0)),
			    "firefox");
	json_decref(r);
}

static void test_ingress_peer_is_source(void **state)
{
	json_t *r;

	flow.obs.direction = FLOW_INGRESS;
	flow.obs.local_port = 443;
	flow.obs.remote_port = 51515;
	fd.direction = FLOW_INGRESS;
	r = written();
	assert_str(r, "network.direction", "ingress");
	assert_str(r, "source.ip", "198.51.100.9");
	assert_int_at(r, "source.port", 51515);
	assert_str(r, "source.geo.country_iso_code", "BR");
	assert_str(r, "destination.ip", "10.0.0.7");
	assert_int_at(r, "destination.port", 443);
	assert_int_at(r, "destination.bytes", 52400000);
	assert_null(at(r, "source.bytes"));
	json_decref(r);
}

static void test_event_id_deterministic(void **state)
{
	json_t *a = written(), *b = written(), *c;
	char id[40];

	snprintf(id, sizeof(id), "%s", str_at(a, "event.id"));
	assert_string_equal(id, str_at(b, "event.id"));
	fd.score = 93;
	c = written();
	assert_string_not_equal(id, str_at(c, "event.id"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_replay_flow_without_geo_or_process(void **state)
{
	json_t *r;

	flow.process_name = flow.process_executable = flow.user_name = NULL;
	flow.obs.has_process = flow.obs.has_uid = false;
	flow.obs.host_name = NULL;
	memset(&flow.geo, 0, sizeof(flow.geo));
	fd.n_reasons = 0;
	r = written();
	assert_str(r, "host.name", "fallback");
	assert_null(at(r, "process"));
	assert_null(at(r, "user"));
	assert_null(at(r, "destination.geo"));
	assert_str(r, "message",
		   "Possible exfiltration: a process sent 52.4 MB to 198.51.100.9 in one bucket, score 92");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_alert_fields_exact, setup),
		cmocka_unit_test_setup(test_ingress_peer_is_source, setup),
		cmocka_unit_test_setup(test_event_id_deterministic, setup),
		cmocka_unit_test_setup(test_replay_flow_without_geo_or_process, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
