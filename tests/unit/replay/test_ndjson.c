/*
 * exfild's own flow records read back: the README's record (current
 * egress shape, no source.ip), the ingress shape (peer in source.*, this
 * host's bytes in destination.bytes), an egress record with source.ip and
 * a time-zone offset; loss records skipped, malformed ones counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ndjson_flow.h"
#include "replaytest.h"
#include "zeek_conn.h"

static void test_records(void **state)
{
	struct replay_rec r[8];
	struct replay_file_stats st;
	struct localnets ln;

	localnets_default(&ln);
	size_t n = read_all(FIX "flows.ndjson", &ln, r, 8, &st);
	assert_int_equal(n, 3);

	assert_string_equal(r[0].obs.host_name, "vm");
	assert_int_equal(r[0].obs.end_ns, 1795829587597000000LL);
	assert_int_equal(r[0].obs.start_ns, 1795829586480000000LL);
	assert_int_equal(r[0].obs.direction, FLOW_EGRESS);
	assert_int_equal(r[0].obs.local.family, 0);	/* older records have no source.ip */
	assert_addr(&r[0].obs.remote, "127.1.2.3");
	assert_int_equal(r[0].obs.remote_port, 4444);
	assert_int_equal(r[0].obs.transport, FLOW_PROTO_UDP);
	assert_int_equal(r[0].obs.bytes_sent, 3000);
	assert_int_equal(r[0].obs.calls, 1);
	assert_true(r[0].obs.has_uid);
	assert_int_equal(r[0].obs.uid, 0);
	assert_string_equal(r[0].process_name, "head");
	assert_string_equal(r[0].process_executable, "/usr/bin/head");
	assert_string_equal(r[0].user_name, "root");
	assert_true(r[0].has_geo);
	assert_string_equal(r[0].geo.country_iso, "US");
	assert_string_equal(r[0].geo.country_name, "United States");
	assert_string_equal(r[0].geo.continent_name, "North America");
	assert_false(r[0].geo.has_as);

	assert_string_equal(r[1].obs.host_name, "web1");
	assert_int_equal(r[1].obs.direction, FLOW_INGRESS);
	assert_addr(&r[1].obs.remote, "203.0.113.77");
	assert_int_equal(r[1].obs.remote_port, 51844);
	assert_addr(&r[1].obs.local, "192.168.1.20");
	assert_int_equal(r[1].obs.local_port, 443);
	assert_int_equal(r[1].obs.bytes_sent, 90000);	/* destination.bytes, not network.bytes */
	assert_int_equal(r[1].obs.end_ns, 1795829597600000000LL);
	assert_string_equal(r[1].geo.country_iso, "JP");
	assert_true(r[1].geo.has_as);
	assert_int_equal(r[1].geo.as_number, 64500);
	assert_string_equal(r[1].geo.as_org, "Example Net");
	assert_string_equal(r[1].user_name, "www-data");
	assert_int_equal(r[1].obs.uid, 33);

	assert_string_equal(r[2].obs.host_name, "laptop");
	assert_int_equal(r[2].obs.end_ns, 1795829607600000000LL);	/* +02:00 */
	assert_int_equal(r[2].obs.start_ns, 1795829600000000000LL);
	assert_addr(&r[2].obs.local, "fd00::12");
	assert_int_equal(r[2].obs.local_port, 40001);
	assert_addr(&r[2].obs.remote, "2001:db8:2::9");
	assert_int_equal(r[2].obs.remote_port, 8443);
	assert_int_equal(r[2].obs.bytes_sent, 4096);
	assert_false(r[2].has_geo);
	assert_string_equal(r[2].process_name, "curl");

	assert_int_equal(st.skipped, 1);	/* the loss record */
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.first_malformed_line, 4);
}

static int line(const char *s, struct replay_rec *r)
{
	return ndjson_flow_line(s, strlen(s), r);
}

#define FLOW "{\"event\":{\"dataset\":\"exfild.flow\",\"end\":\"2026-01-01T00:00:00Z\"},"

static void test_bad_records(void **state)
{
	struct replay_rec r;

	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\"},\"destination\":{\"ip\":\"192.0.2.1\"},"
			      "\"source\":{\"bytes\":5}}", &r), PARSE_OK);
	assert_int_equal(r.obs.end_ns, 1767225600LL * NS);
	assert_int_equal(r.obs.start_ns, r.obs.end_ns);	/* no event.start */
	/* no bytes, negative bytes, bad address, port out of range, bad direction */
	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\"},\"destination\":{\"ip\":\"192.0.2.1\"}}", &r),
			 PARSE_MALFORMED);
	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\"},\"destination\":{\"ip\":\"192.0.2.1\"},"
			      "\"source\":{\"bytes\":-5}}", &r), PARSE_MALFORMED);
	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\"},\"destination\":{\"ip\":\"192.0.2.300\"},"
			      "\"source\":{\"bytes\":5}}", &r), PARSE_MALFORMED);
	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\"},\"destination\":{\"ip\":\"192.0.2.1\","
			      "\"port\":70000},\"source\":{\"bytes\":5}}", &r), PARSE_MALFORMED);
	assert_int_equal(line(FLOW "\"network\":{\"transport\":\"tcp\",\"direction\":\"sideways\"},"
			      "\"destination\":{\"ip\":\"192.0.2.1\"},\"source\":{\"bytes\":5}}", &r),
			 PARSE_MALFORMED);
	assert_int_equal(line("[1,2]", &r), PARSE_MALFORMED);
	assert_int_equal(line("{\"event\":{}}", &r), PARSE_MALFORMED);
	assert_int_equal(line("{\"event\":{\"dataset\":\"exfild.alert\"}}", &r), PARSE_SKIP);
	/* strings longer than the record's fields are cut, not overrun */
	char big[3000];
	int o = snprintf(big, sizeof(big), FLOW "\"network\":{\"transport\":\"udp\"},\"destination\":{\"ip\":"
			 "\"::ffff:192.0.2.7\"},\"source\":{\"bytes\":1},\"process\":{\"name\":\"");
	memset(big + o, 'x', 2000);
	snprintf(big + o + 2000, sizeof(big) - (size_t)o - 2000, "\"}}");
	assert_int_equal(line(big, &r), PARSE_OK);
	assert_int_equal(strlen(r.process_name), REPLAY_NAME_LEN - 1);
	assert_addr(&r.obs.remote, "192.0.2.7");	/* v4-mapped folded */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_bad_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
