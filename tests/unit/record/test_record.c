/*
 * user/record.c: the ECS flow and loss records, field by field, as a
 * consumer sees them (the line parsed back with jansson).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"

/* 2023-11-14T22:13:20.123456789Z, and a monotonic clock that started 10 s before. */
#define NOW_NS 1700000000123456789LL
#define MONO_TO_WALL 1699999990000000000LL

static const struct record_ctx ctx = {
	.host_name = "web-01",
	.now_ns = NOW_NS,
};

static struct enriched_flow make_flow(int family, const char *ip, uint8_t proto)
{
	struct enriched_flow f;

	memset(&f, 0, sizeof(f));
	f.obs.has_process = true;
	f.obs.pid = 4242;
	f.obs.remote_port = 443;
	f.obs.transport = proto;
	f.obs.remote.family = (uint8_t)family;
	assert_int_equal(inet_pton(family == FLOW_AF_INET ? AF_INET : AF_INET6, ip,
				   f.obs.remote.a), 1);
	/* This host's side: an address of the same family, an ephemeral port. */
	f.obs.local.family = (uint8_t)family;
	assert_int_equal(inet_pton(family == FLOW_AF_INET ? AF_INET : AF_INET6,
				   family == FLOW_AF_INET ? "192.0.2.10" : "2001:db8::10",
				   f.obs.local.a), 1);
	f.obs.local_port = 50000;
	f.obs.bytes_sent = 123456789012ULL;
	f.obs.calls = 77;
	f.obs.start_ns = 1500000000LL + MONO_TO_WALL;	/* 1.5 s after the monotonic start */
	f.obs.end_ns = NOW_NS;
	f.obs.cgroup_id = 8812;
	f.obs.has_uid = true;
	f.obs.uid = 1000;
	f.obs.tier = "fentry";
	return f;
}

/* The record as a consumer gets it: one line, parsed back. */
static json_t *round_trip(json_t *r)
{
	char *line;
	json_t *back;
	json_error_t e;

	assert_non_null(r);
	line = json_line(r);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	back = json_loads(line, 0, &e);
	if (!back)
		fail_msg("record does not parse: %s: %s", e.text, line);
	free(line);
	json_decref(r);
	return back;
}

static json_t *at(json_t *root, const char *path)
{
	char buf[128], *save, *seg;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); seg && cur; seg = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, seg);
	if (!cur)
		fail_msg("field %s missing", path);
	return cur;
}

/* The field at path is not there. */
static void absent(json_t *root, const char *a, const char *b)
{
	json_t *o = json_object_get(root, a);

	if (b ? json_object_get(o, b) != NULL : o != NULL)
		fail_msg("field %s%s%s present", a, b ? "." : "", b ? b : "");
}

static void str_is(json_t *root, const char *path, const char *want)
{
	json_t *v = at(root, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	assert_string_equal(json_string_value(v), want);
}

static void int_is(json_t *root, const char *path, json_int_t want)
{
	json_t *v = at(root, path);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	assert_int_equal(json_integer_value(v), want);
}

static void one_string_array(json_t *root, const char *path, const char *want)
{
	json_t *v = at(root, path);

	if (!json_is_array(v) || json_array_size(v) != 1)
		fail_msg("%s is not an array of one", path);
	assert_string_equal(json_string_value(json_array_get(v, 0)), want);
}

static void two_strings(json_t *root, const char *path, const char *a, const char *b)
{
	json_t *v = at(root, path);

	if (!json_is_array(v) || json_array_size(v) != 2)
		fail_msg("%s is not an array of two", path);
	assert_string_equal(json_string_value(json_array_get(v, 0)), a);
	assert_string_equal(json_string_value(json_array_get(v, 1)), b);
}

/* Every leaf of obj as a dotted path, appended to out (";"-separated). */
static void leaves(json_t *obj, const char *prefix, char *out, size_t len)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		char path[128];

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			leaves(v, path, out, len);
		} else {
			size_t n = strlen(out);
			snprintf(out + n, len - n, "%s;", path);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The record has exactly these fields, no more, no fewer. */
static void fields_are(json_t *r, const char *const *want, size_t n)
{
	char all[4096] = "", *list[64], *save, *f;
	const char *sorted[64];
	size_t got = 0;

	leaves(r, "", all, sizeof(all));
	for (f = strtok_r(all, ";", &save); f && got < 64; f = strtok_r(NULL, ";", &save))
		list[got++] = f;
	assert_int_equal(got, n);
	assert_true(n <= 64);
	memcpy(sorted, want, n * sizeof(*want));
	qsort(list, got, sizeof(list[0]), cmp_str);
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i], sorted[i]);
}

/* Fields of every flow record, whichever its direction. */
#define FLOW_COMMON_FIELDS								\
	"@timestamp", "event.kind", "event.module", "event.dataset", "event.category",	\
	"event.type", "event.action", "event.start", "event.end", "event.duration",	\
	"host.name", "process.pid", "user.id", "network.transport",			\
	"network.iana_number", "network.type", "network.direction", "network.bytes",	\
	"destination.ip", "destination.address", "destination.port", "source.ip",	\
	"source.address", "related.ip", "exfild.calls", "exfild.cgroup_id", "exfild.tier"

static const char *const flow_fields[] = {
	FLOW_COMMON_FIELDS, "source.port", "source.bytes",
};

/* Ingress: the peer has no port (grouped by service), the bytes go on the
 * destination (this host). */
static const char *const ingress_fields[] = {
	FLOW_COMMON_FIELDS, "destination.bytes", "source.geo.country_iso_code",
};

static const char *const loss_fields[] = {
	"@timestamp", "event.kind", "event.module", "event.dataset", "event.category",
	"event.type", "host.name", "message", "exfild.loss.bytes", "exfild.loss.entries",
	"exfild.loss.events", "exfild.loss.records",
};

#define NELEM(a) (sizeof(a) / sizeof(a[0]))

static void test_flow_v4_tcp(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "203.0.113.7", FLOW_PROTO_TCP);
	json_t *r = round_trip(record_flow(&f, &ctx));

	fields_are(r, flow_fields, NELEM(flow_fields));
	str_is(r, "@timestamp", "2023-11-14T22:13:20.123Z");
	str_is(r, "event.kind", "event");
	str_is(r, "event.module", "exfild");
	str_is(r, "event.dataset", "exfild.flow");
	one_string_array(r, "event.category", "network");
	one_string_array(r, "event.type", "connection");
	str_is(r, "event.action", "network-send");
	str_is(r, "event.start", "2023-11-14T22:13:11.500Z");
	/* No per-send clock in the kernel: the interval ends at the drain. */
	str_is(r, "event.end", "2023-11-14T22:13:20.123Z");
	int_is(r, "event.duration", 8623456789LL);
	str_is(r, "host.name", "web-01");
	int_is(r, "process.pid", 4242);
	str_is(r, "user.id", "1000");
	str_is(r, "network.transport", "tcp");
	str_is(r, "network.iana_number", "6");
	str_is(r, "network.type", "ipv4");
	str_is(r, "network.direction", "egress");
	int_is(r, "network.bytes", 123456789012LL);
	str_is(r, "destination.ip", "203.0.113.7");
	str_is(r, "destination.address", "203.0.113.7");
	int_is(r, "destination.port", 443);
	str_is(r, "source.ip", "192.0.2.10");
	str_is(r, "source.address", "192.0.2.10");
	int_is(r, "source.port", 50000);
	int_is(r, "source.bytes", 123456789012LL);
	two_strings(r, "related.ip", "192.0.2.10", "203.0.113.7");
	int_is(r, "exfild.calls", 77);
	int_is(r, "exfild.cgroup_id", 8812);
	str_is(r, "exfild.tier", "fentry");
	json_decref(r);
}

static void test_flow_v6_udp(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET6, "2001:db8:0:0:0:0:0:53", FLOW_PROTO_UDP);
	struct record_ctx c = ctx;
	json_t *r;

	f.obs.remote_port = 65535;
	f.obs.pid = 1;
	f.obs.uid = 0;
	f.obs.bytes_sent = 1;
	f.obs.calls = 1;
	f.obs.start_ns = 42000000 + MONO_TO_WALL;
	c.host_name = "h\xff";				/* not UTF-8: still valid JSON */
	f.obs.tier = "tracepoint";
	r = round_trip(record_flow(&f, &c));
	fields_are(r, flow_fields, NELEM(flow_fields));
	str_is(r, "destination.ip", "2001:db8::53");
	str_is(r, "destination.address", "2001:db8::53");
	str_is(r, "network.type", "ipv6");
	str_is(r, "network.transport", "udp");
	str_is(r, "network.iana_number", "17");
	int_is(r, "destination.port", 65535);
	int_is(r, "process.pid", 1);
	str_is(r, "user.id", "0");
	int_is(r, "source.bytes", 1);
	str_is(r, "event.start", "2023-11-14T22:13:10.042Z");
	str_is(r, "event.end", "2023-11-14T22:13:20.123Z");
	int_is(r, "event.duration", 10081456789LL);
	str_is(r, "host.name", "h\\xff");
	str_is(r, "exfild.tier", "tracepoint");
	json_decref(r);
}

/* Accepted by this host: the client is the source, this host the
 * destination, the bytes this host sent are destination.bytes. */
static void test_flow_ingress(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "203.0.113.7", FLOW_PROTO_TCP);
	json_t *r;

	f.obs.direction = FLOW_INGRESS;
	f.obs.local_port = 8443;
	f.obs.remote_port = 0;		/* grouped: the client's ports are dropped */
	snprintf(f.geo.country_iso, sizeof(f.geo.country_iso), "NL");
	r = round_trip(record_flow(&f, &ctx));
	fields_are(r, ingress_fields, NELEM(ingress_fields));
	str_is(r, "network.direction", "ingress");
	str_is(r, "source.ip", "203.0.113.7");
	str_is(r, "destination.ip", "192.0.2.10");
	int_is(r, "destination.port", 8443);
	int_is(r, "destination.bytes", 123456789012LL);
	int_is(r, "network.bytes", 123456789012LL);
	two_strings(r, "related.ip", "192.0.2.10", "203.0.113.7");
	json_decref(r);
	/* Geo describes the peer: on the source side here. */
	f.geo.country_iso[0] = 0;
	snprintf(f.geo.country_name, sizeof(f.geo.country_name), "Netherlands");
	r = round_trip(record_flow(&f, &ctx));
	str_is(r, "source.geo.country_name", "Netherlands");
	assert_null(json_object_get(json_object_get(r, "destination"), "geo"));
	json_decref(r);
}

/* Loopback to itself: one address, listed once. Unknown local side: only
 * the peer. */
static void test_related_ip(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "192.0.2.10", FLOW_PROTO_UDP);
	json_t *r = round_trip(record_flow(&f, &ctx)), *rel;

	rel = json_object_get(r, "related");
	assert_int_equal(json_array_size(json_object_get(rel, "ip")), 1);
	json_decref(r);
	memset(&f.obs.local, 0, sizeof(f.obs.local));
	r = round_trip(record_flow(&f, &ctx));
	rel = json_object_get(r, "related");
	assert_int_equal(json_array_size(json_object_get(rel, "ip")), 1);
	assert_null(json_object_get(json_object_get(r, "source"), "ip"));
	int_is(r, "source.port", 50000);
	json_decref(r);
}

static void test_flow_extremes(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "198.51.100.1", FLOW_PROTO_TCP);
	json_t *r;

	f.obs.pid = 4194304;		/* pid_max */
	f.obs.remote_port = 0;
	f.obs.uid = 4294967294u;	/* nobody on some systems: never negative */
	f.obs.bytes_sent = (1ULL << 53) + 1;	/* beyond a double's exact range */
	r = round_trip(record_flow(&f, &ctx));
	int_is(r, "process.pid", 4194304);
	int_is(r, "destination.port", 0);
	str_is(r, "user.id", "4294967294");
	int_is(r, "source.bytes", (json_int_t)((1ULL << 53) + 1));
	json_decref(r);
}

/* No live process context (replay): the names the source carried. */
static void test_flow_named_only(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "203.0.113.7", FLOW_PROTO_TCP);
	json_t *r;

	f.obs.has_process = false;
	f.process_name = "rsync";
	f.process_executable = "/usr/bin/rsync";
	f.user_name = "backup";
	r = round_trip(record_flow(&f, &ctx));
	str_is(r, "process.name", "rsync");
	str_is(r, "process.executable", "/usr/bin/rsync");
	str_is(r, "user.name", "backup");
	str_is(r, "user.id", "1000");
	absent(r, "process", "pid");
	json_decref(r);
	/* Unknown names are absent, not empty. */
	f.process_name = NULL;
	f.process_executable = "";
	f.user_name = NULL;
	r = round_trip(record_flow(&f, &ctx));
	absent(r, "process", NULL);
	absent(r, "user", "name");
	json_decref(r);
}

static void test_record_ip(void **state)
{
	struct enriched_flow f = make_flow(FLOW_AF_INET, "203.0.113.255", FLOW_PROTO_TCP);
	char buf[INET6_ADDRSTRLEN];

	record_ip(&f.obs.remote, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.255");
	f = make_flow(FLOW_AF_INET6, "2001:db8:1:2:3:4:5:6", FLOW_PROTO_TCP);
	record_ip(&f.obs.remote, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2:3:4:5:6");
	f = make_flow(FLOW_AF_INET6, "::1", FLOW_PROTO_TCP);
	record_ip(&f.obs.remote, buf, sizeof(buf));
	assert_string_equal(buf, "::1");
	/* Too small a buffer gives "?", never a cut address. */
	f = make_flow(FLOW_AF_INET6, "2001:db8:1:2:3:4:5:6", FLOW_PROTO_TCP);
	record_ip(&f.obs.remote, buf, 8);
	assert_string_equal(buf, "?");
}

static void test_loss(void **state)
{
	struct loss_counts d = { .bytes = 5000000000ULL, .entries = 12, .events = 3 };
	json_t *r = round_trip(record_loss(&d, 9, &ctx));

	fields_are(r, loss_fields, NELEM(loss_fields));
	str_is(r, "@timestamp", "2023-11-14T22:13:20.123Z");
	str_is(r, "event.kind", "metric");
	str_is(r, "event.module", "exfild");
	str_is(r, "event.dataset", "exfild.loss");
	one_string_array(r, "event.category", "host");
	one_string_array(r, "event.type", "info");
	str_is(r, "host.name", "web-01");
	assert_non_null(strstr(json_string_value(at(r, "message")), "--max-flows"));
	int_is(r, "exfild.loss.bytes", 5000000000LL);
	int_is(r, "exfild.loss.entries", 12);
	int_is(r, "exfild.loss.events", 3);
	int_is(r, "exfild.loss.records", 9);
	json_decref(r);

	struct loss_counts zero = { 0 };
	r = round_trip(record_loss(&zero, 0, &ctx));
	int_is(r, "exfild.loss.bytes", 0);
	int_is(r, "exfild.loss.records", 0);
	json_decref(r);
}

/* ECS type of a field in the CSV text, or NULL if it is no ECS field. */
static const char *ecs_type(const char *csv, const char *field)
{
	static char type[64];
	size_t flen = strlen(field);
	const char *line, *next;

	/* Columns: ECS_Version,Indexed,Field_Set,Field,Type,... (no commas in the first five). */
	for (line = csv; *line; line = next) {
		const char *p = line, *nl = strchr(line, '\n');

		next = nl ? nl + 1 : line + strlen(line);
		for (int i = 0; i < 3 && p; i++) {
			p = strchr(p, ',');
			p = p ? p + 1 : NULL;
		}
		if (!p || p >= next || strncmp(p, field, flen) || p[flen] != ',')
			continue;
		p += flen + 1;
		int n = (int)strcspn(p, ",\n");
		snprintf(type, sizeof(type), "%.*s", n, p);
		return type;
	}
	return NULL;
}

/* Every field is ECS (with a JSON type fitting its ECS type) or under exfild.*. */
static void check_ecs(json_t *r, const char *csv)
{
	char all[4096] = "", *save, *f;

	leaves(r, "", all, sizeof(all));
	for (f = strtok_r(all, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		if (!strncmp(f, "exfild.", 7))
			continue;
		const char *type = ecs_type(csv, f);
		if (!type)
			fail_msg("%s is not an ECS field", f);
		json_t *v = at(r, f);
		if (json_is_array(v))
			v = json_array_get(v, 0);	/* ECS fields may hold arrays */
		if (!strcmp(type, "long")) {
			if (!json_is_integer(v))
				fail_msg("%s is ECS long but not an integer", f);
		} else if (!strcmp(type, "keyword") || !strcmp(type, "ip") || !strcmp(type, "date") ||
			   !strcmp(type, "match_only_text") || !strcmp(type, "text") ||
			   !strcmp(type, "wildcard")) {
			if (!json_is_string(v))
				fail_msg("%s is ECS %s but not a string", f, type);
		} else {
			fail_msg("%s: ECS type %s not checked by this test", f, type);
		}
	}
}

static void test_ecs_fields(void **state)
{
	const char *path = getenv("EXFILD_ECS_CSV");
	FILE *fp;
	char *csv;
	long n;

	if (!path || !*path)
		path = "tests/fixtures/ecs/fields.csv";	/* committed; run from the repo top */
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("%s: %s (run from the repo top, or set EXFILD_ECS_CSV)", path, strerror(errno));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	assert_true(n > 0);
	csv = malloc((size_t)n + 1);
	assert_non_null(csv);
	assert_int_equal(fread(csv, 1, (size_t)n, fp), (size_t)n);
	csv[n] = 0;
	fclose(fp);
	/* The check itself must be able to fail. */
	assert_string_equal(ecs_type(csv, "destination.ip"), "ip");
	assert_null(ecs_type(csv, "destination.ipx"));

	struct enriched_flow f = make_flow(FLOW_AF_INET6, "2001:db8::1", FLOW_PROTO_UDP);
	struct loss_counts d = { 1, 2, 3 };
	json_t *r = round_trip(record_flow(&f, &ctx));
	check_ecs(r, csv);
	json_decref(r);
	r = round_trip(record_loss(&d, 4, &ctx));
	check_ecs(r, csv);
	json_decref(r);
	free(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_v4_tcp),
		cmocka_unit_test(test_flow_v6_udp),
		cmocka_unit_test(test_flow_extremes),
		cmocka_unit_test(test_flow_ingress),
		cmocka_unit_test(test_related_ip),
		cmocka_unit_test(test_flow_named_only),
		cmocka_unit_test(test_record_ip),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_ecs_fields),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
