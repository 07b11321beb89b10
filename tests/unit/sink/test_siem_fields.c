/*
 * A flow record shipped through a sink carries every field the reference
 * SIEM's data-exfiltration jobs read (shared docs, reference-detection.md):
 * the transform's group-by and filter fields and the jobs' influencers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "record.h"
#include "sink.h"
#define SINKTEST_LOOP
#include "sinktest.h"

static const char *const siem_fields[] = {
	"source.bytes", "destination.ip", "destination.port",
	"destination.geo.country_iso_code", "destination.geo.country_name",
	"destination.geo.continent_name", "destination.geo.region_name",
	"destination.geo.city_name", "host.name", "user.name", "process.name", "source.ip",
	"network.direction", "event.category",
};

/* root[a][b]... for "a.b...", NULL if absent. */
static json_t *at(json_t *root, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && root; k = strtok_r(NULL, ".", &save))
		root = json_object_get(root, k);
	return root;
}

static void test_flow_record_has_siem_fields(void **state)
{
	struct proc_info pi = { .pid = 4242, .uid = 1000, .name = "curl", .user_name = "alice" };
	struct enriched_flow f = { .proc = &pi };
	struct record_ctx ctx = { .host_name = "web-01", .now_ns = 1796220599000000000LL };
	const char *path = in_dir(0, "flows.json");
	char spec[400], err[512], *text;
	struct sink_config c = { .host_name = "web-01", .state_dir = in_dir(1, "st") };
	struct sinkset *ss = sinkset_new(L, &c);
	size_t len;

	f.obs.has_process = true;
	f.obs.pid = 4242;
	f.obs.has_uid = true;
	f.obs.uid = 1000;
	f.obs.transport = FLOW_PROTO_TCP;
	f.obs.remote.family = FLOW_AF_INET;
	inet_pton(AF_INET, "203.0.113.9", f.obs.remote.a);
	f.obs.remote_port = 443;
	f.obs.local.family = FLOW_AF_INET;
	inet_pton(AF_INET, "10.1.2.3", f.obs.local.a);
	f.obs.local_port = 51000;
	f.obs.bytes_sent = 987654321;
	f.obs.start_ns = ctx.now_ns - 1000000000LL;
	f.obs.end_ns = ctx.now_ns;
	snprintf(f.geo.country_iso, sizeof(f.geo.country_iso), "NZ");
	snprintf(f.geo.country_name, sizeof(f.geo.country_name), "New Zealand");
	snprintf(f.geo.continent_name, sizeof(f.geo.continent_name), "Oceania");
	snprintf(f.geo.region_name, sizeof(f.geo.region_name), "Wellington");
	snprintf(f.geo.city_name, sizeof(f.geo.city_name), "Wellington");

	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(sinkset_add(ss, spec, REC_BIT(REC_FLOW), err, sizeof(err)), 0);
	json_t *r = record_flow(&f, &ctx);
	assert_int_equal(sinkset_emit(ss, REC_FLOW, r), 0);
	json_decref(r);
	sinkset_kick(ss);
	sinkset_free(ss);

	text = slurp(path, &len);
	assert_non_null(text);
	json_t *got = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(got);
	for (size_t i = 0; i < sizeof(siem_fields) / sizeof(siem_fields[0]); i++) {
		json_t *v = at(got, siem_fields[i]);

		if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
			fail_msg("the record has no %s", siem_fields[i]);
	}
	/* The values the jobs and the transform's filters compare. */
	assert_int_equal(json_integer_value(at(got, "source.bytes")), 987654321);
	assert_string_equal(json_string_value(at(got, "source.ip")), "10.1.2.3");
	assert_string_equal(json_string_value(at(got, "destination.ip")), "203.0.113.9");
	assert_int_equal(json_integer_value(at(got, "destination.port")), 443);
	assert_string_equal(json_string_value(at(got, "network.direction")), "egress");
	assert_string_equal(json_string_value(json_array_get(at(got, "event.category"), 0)), "network");
	assert_string_equal(json_string_value(at(got, "user.name")), "alice");
	assert_string_equal(json_string_value(at(got, "process.name")), "curl");
	assert_string_equal(json_string_value(at(got, "destination.geo.country_iso_code")), "NZ");
	json_decref(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow_record_has_siem_fields, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("siem_fields", tests, NULL, NULL);
}
