/*
 * Zeek conn.log readers on real-format files (TSV with Zeek's header
 * lines, JSON lines): exact observations, both local rules, Zeek's
 * local_orig/local_resp winning, malformed lines counted with their line
 * numbers, wrong-kind files refused at open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "replaytest.h"

static void check_common(const struct replay_rec *r, size_t n)
{
	assert_int_equal(n, 6);
	/* 10.1.2.3 -> 192.0.2.10:443: a local originator sent orig_bytes */
	assert_string_equal(r[0].obs.host_name, "10.1.2.3");
	assert_addr(&r[0].obs.local, "10.1.2.3");
	assert_addr(&r[0].obs.remote, "192.0.2.10");
	assert_int_equal(r[0].obs.local_port, 51000);
	assert_int_equal(r[0].obs.remote_port, 443);
	assert_int_equal(r[0].obs.transport, FLOW_PROTO_TCP);
	assert_int_equal(r[0].obs.direction, FLOW_EGRESS);
	assert_int_equal(r[0].obs.bytes_sent, 1200000);
	assert_int_equal(r[0].obs.start_ns, 1764288000LL * NS + 100000000);
	assert_int_equal(r[0].obs.end_ns, 1764288030LL * NS + 600000000);	/* ts + duration */
	assert_false(r[0].obs.has_process);
	/* 198.51.100.7 -> 10.1.2.4:80: a local responder sent resp_bytes */
	assert_string_equal(r[1].obs.host_name, "10.1.2.4");
	assert_addr(&r[1].obs.remote, "198.51.100.7");
	assert_int_equal(r[1].obs.direction, FLOW_INGRESS);
	assert_int_equal(r[1].obs.local_port, 80);
	assert_int_equal(r[1].obs.remote_port, 0);
	assert_int_equal(r[1].obs.bytes_sent, 250000);
	assert_int_equal(r[1].obs.end_ns, 1764288007LL * NS + 250000000);
}

static void test_tsv(void **state)
{
	struct replay_rec r[16];
	struct replay_file_stats st;
	struct localnets ln;

	localnets_default(&ln);
	size_t n = read_all(FIX "conn.log", &ln, r, 16, &st);
	check_common(r, n);
	/* internal DNS: both sides local, both sent */
	assert_string_equal(r[2].obs.host_name, "10.1.2.3");
	assert_addr(&r[2].obs.remote, "10.1.2.53");
	assert_int_equal(r[2].obs.transport, FLOW_PROTO_UDP);
	assert_int_equal(r[2].obs.bytes_sent, 40);
	assert_int_equal(r[2].obs.end_ns, 1764288001LL * NS + 10000000);
	assert_string_equal(r[3].obs.host_name, "10.1.2.53");
	assert_int_equal(r[3].obs.direction, FLOW_INGRESS);
	assert_int_equal(r[3].obs.bytes_sent, 120);
	/* local_orig F / local_resp T win over the local nets */
	assert_string_equal(r[4].obs.host_name, "203.0.113.50");
	assert_addr(&r[4].obs.remote, "10.9.9.9");
	assert_int_equal(r[4].obs.direction, FLOW_INGRESS);
	assert_int_equal(r[4].obs.local_port, 8443);
	assert_int_equal(r[4].obs.bytes_sent, 5000);
	/* IPv6 responder, local_orig T */
	assert_string_equal(r[5].obs.host_name, "10.1.2.9");
	assert_addr(&r[5].obs.remote, "2001:db8:1::5");
	assert_int_equal(r[5].obs.bytes_sent, 7000);
	assert_int_equal(r[5].obs.end_ns, 1764288010LL * NS);
	assert_int_equal(st.lines, 18);
	assert_int_equal(st.malformed, 3);		/* lines 13, 16, 17 */
	assert_int_equal(st.first_malformed_line, 13);
	assert_int_equal(st.skipped, 1);		/* icmp */
	assert_false(st.gzip);
}

static void test_json(void **state)
{
	struct replay_rec r[16];
	struct replay_file_stats st;
	struct localnets ln;

	localnets_default(&ln);
	size_t n = read_all(FIX "conn.json", &ln, r, 16, &st);
	check_common(r, n);
	/* ISO 8601 ts, local flags as JSON booleans */
	assert_string_equal(r[2].obs.host_name, "203.0.113.50");
	assert_int_equal(r[2].obs.start_ns, 1764288002LL * NS);
	assert_int_equal(r[2].obs.end_ns, 1764288005LL * NS);
	assert_int_equal(r[2].obs.bytes_sent, 5000);
	assert_addr(&r[3].obs.remote, "2001:db8:1::5");
	assert_string_equal(r[4].obs.host_name, "10.1.2.3");
	assert_int_equal(r[4].obs.bytes_sent, 40);
	assert_string_equal(r[5].obs.host_name, "10.1.2.53");
	assert_int_equal(st.malformed, 2);		/* lines 4 (no orig_p) and 7 (cut) */
	assert_int_equal(st.first_malformed_line, 4);
	assert_int_equal(st.skipped, 1);
}

/* Both renderings of the same connections give the same timeline. */
static void test_tsv_json_same_timeline(void **state)
{
	struct localnets ln;
	char err[256];
	struct replay_rec a, b;

	localnets_default(&ln);
	struct replay_file *ft = replay_file_open(FIX "conn.log", &ln, err, sizeof(err));
	struct replay_file *fj = replay_file_open(FIX "conn.json", &ln, err, sizeof(err));
	assert_non_null(ft);
	assert_non_null(fj);
	struct replay_merge *mt = replay_merge_new(&ft, 1, REPLAY_WINDOW_NS, REPLAY_WINDOW_RECORDS);
	struct replay_merge *mj = replay_merge_new(&fj, 1, REPLAY_WINDOW_NS, REPLAY_WINDOW_RECORDS);
	int n = 0;
	int64_t last = 0;

	for (;;) {
		int ra = replay_merge_next(mt, &a), rb = replay_merge_next(mj, &b);

		assert_int_equal(ra, rb);
		if (!ra)
			break;
		assert_true(a.obs.end_ns >= last);
		last = a.obs.end_ns;
		assert_int_equal(a.obs.end_ns, b.obs.end_ns);
		assert_int_equal(a.obs.bytes_sent, b.obs.bytes_sent);
		assert_string_equal(a.host, b.host);
		assert_memory_equal(&a.obs.remote, &b.obs.remote, sizeof(a.obs.remote));
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(replay_merge_late(mt), 0);
	replay_merge_free(mt);
	replay_merge_free(mj);
}

/* --local-net replaces the defaults: the same line can turn the other way. */
static void test_local_net_other_way(void **state)
{
	struct replay_rec r[16];
	struct localnets ln = { 0 };
	char err[128];

	assert_int_equal(localnets_add(&ln, "192.0.2.0/24", err, sizeof(err)), 0);
	size_t n = read_all(FIX "conn.log", &ln, r, 16, NULL);
	/* 10.1.2.3 -> 192.0.2.10 is now the local responder's 5400 bytes */
	assert_int_equal(n, 3);
	assert_string_equal(r[0].obs.host_name, "192.0.2.10");
	assert_int_equal(r[0].obs.direction, FLOW_INGRESS);
	assert_addr(&r[0].obs.remote, "10.1.2.3");
	assert_int_equal(r[0].obs.bytes_sent, 5400);
	assert_string_equal(r[1].obs.host_name, "203.0.113.50");	/* Zeek's flags */
	assert_string_equal(r[2].obs.host_name, "10.1.2.9");
}

static void expect_wrong_kind(const char *text, const char *want)
{
	char path[128], err[512];
	struct localnets ln;

	localnets_default(&ln);
	write_tmp(path, sizeof(path), "kind", text);
	struct replay_file *f = replay_file_open(path, &ln, err, sizeof(err));
	unlink(path);
	if (f)
		fail_msg("accepted a wrong-kind file (%s)", want);
	if (!strstr(err, want) || strncmp(err, path, strlen(path)))
		fail_msg("error '%s' does not name the file and say '%s'", err, want);
}

static void test_wrong_kind(void **state)
{
	expect_wrong_kind("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
			  "#unset_field\t-\n#path\tdns\n#fields\tts\tuid\tid.orig_h\n",
			  "a Zeek dns log, not conn.log");
	expect_wrong_kind("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\n",
			  "not a conn.log");
	expect_wrong_kind("{\"ts\":1.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,"
			  "\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":53,\"proto\":\"udp\",\"query\":\"x\"}\n",
			  "a Zeek JSON log, but not conn.log");
	expect_wrong_kind("hello, world\n", "not exfild NDJSON flow records");
	expect_wrong_kind("{\"a\":1}\n", "a JSON object of another kind");
	expect_wrong_kind("# just a comment\n", "without #separator");
}

/* A header value Zeek escapes (#separator \x2c) is honoured. */
static void test_tsv_other_separator(void **state)
{
	char path[128];
	struct replay_rec r[4];
	struct replay_file_stats st;
	struct localnets ln;

	localnets_default(&ln);
	write_tmp(path, sizeof(path), "sep",
		  "#separator \\x2c\n#unset_field,-\n#path,conn\n"
		  "#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,duration,orig_bytes,resp_bytes\n"
		  "100.5,10.0.0.1,5000,192.0.2.1,443,tcp,-,77,-\n");
	size_t n = read_all(path, &ln, r, 4, &st);
	unlink(path);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].obs.bytes_sent, 77);
	assert_int_equal(r[0].obs.end_ns, 100 * NS + 500000000);	/* duration unset: 0 */
	assert_int_equal(st.malformed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_tsv_json_same_timeline),
		cmocka_unit_test(test_local_net_other_way),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_tsv_other_separator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
