/*
 * The detection model on scenarios: what must alert does, within the
 * drain that made it anomalous; what is the host's normal life does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "scen.h"

#define DAY_DRAINS (24 * 6)

static void test_steady_laptop_no_alert(void **state)
{
	struct detect *d = new_detect();
	struct collect c = { 0 };
	uint64_t s = 42;
	struct detect_stats st;

	laptop_run(d, T0, 5 * DAY_DRAINS, &s, &c);
	detect_get_stats(d, &st);
	if (c.n)
		fprintf(stderr, "unexpected alert: %s\n", c.first.reasons[0]);
	assert_int_equal(c.n, 0);
	assert_true(st.flows > 5 * DAY_DRAINS * 12);
	detect_free(d);
}

/* 20x a familiar country's hour, to a country the host never used. */
static void test_burst_new_country_alerts(void **state)
{
	struct detect *d = new_detect();
	struct collect c = { 0 };
	uint64_t s = 7;
	int64_t t = laptop_run(d, T0, 3 * DAY_DRAINS + 3, &s, &c), fire = 0;
	int fed = 0;	/* addresses fed in the drain that fired */

	assert_int_equal(c.n, 0);
	/* Another process and another address in that country first, small. */
	{
		struct fl a = { t, 0xc6336401u, "BR", "Sao Paulo", 443, "curl", "alice", 20000, 0 };
		struct fl b = { t, 0xc6336402u, "BR", "Sao Paulo", 443, "firefox", "alice", 2 * MB, 0 };

		feed(d, &a, &c);
		feed(d, &b, &c);
		assert_int_equal(c.n, 0);
	}
	/* DE gets a few MB an hour; this is 60 MB in the next hour. */
	for (int i = 0; i < 6 && !c.n; i++, t += DRAIN) {
		static const uint32_t ips[] = { 0xc6336401u, 0xc6336403u, 0xc6336404u };

		laptop_drain(d, t, &s, &c);
		for (fed = 0; fed < 3 && !c.n; fed++) {
			struct fl x = { t, ips[fed], "BR", "Sao Paulo", 443, "firefox", "alice",
					10 * MB / 3, 0 };

			feed(d, &x, &c);
		}
		fire = t;
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(c.first_t, fire);
	assert_true(c.first.score >= 75);
	assert_true(c.first.views[VIEW_COUNTRY].judged);
	assert_true(c.first.views[VIEW_COUNTRY].never_seen);
	assert_true(c.first.views[VIEW_COUNTRY].rare);
	assert_string_equal(c.first.views[VIEW_COUNTRY].member, "BR");
	assert_int_equal(c.first.direction, FLOW_EGRESS);
	assert_int_equal(c.first.dest.a[0], 0xc6);
	assert_int_equal(c.first.repeat_count, 1);
	assert_true(c.first.n_reasons >= 1);
	/* No address dominates: a country-level alert names its biggest
	 * address (.1, the one curl also used) and lists the others. */
	assert_int_not_equal(c.first.top_view, VIEW_IP);
	assert_int_equal(c.first.dest.a[3], 0x01);
	assert_int_equal(c.first.n_others, (unsigned)fed);	/* .2 and the others fed */
	assert_int_equal(c.first.others[fed - 1].ip.a[3], 0x02);	/* the smallest */
	assert_int_equal(c.first.others[fed - 1].bytes, 2 * MB);
	assert_int_equal(c.first.n_other_procs, 1);
	assert_string_equal(c.first.other_procs[0], "curl");
	assert_int_equal(c.first.ip_bytes_window, c.first.dest_bytes);
	/* First contact with that IP and country is this hour. */
	assert_true(c.first.ip_first_seen_ns > t - HOUR);
	assert_true(c.first.country_first_seen_ns > t - HOUR);
	detect_free(d);
}

/* 3 MB an hour to a new country: no single hour stands out, the day does. */
static void test_slow_exfiltration_alerts(void **state)
{
	struct detect *d = new_detect();
	struct collect c = { 0 };
	uint64_t s = 9;
	int64_t t = laptop_run(d, T0, 3 * DAY_DRAINS, &s, &c), start = t;

	assert_int_equal(c.n, 0);

	for (int i = 0; i < 12 * 6 && !c.n; i++, t += DRAIN) {
		struct fl x = { t, 0xcb007109u, "VN", "Hanoi", 443, "curl", "alice",
				500000, 0 };

		laptop_drain(d, t, &s, &c);
		feed(d, &x, &c);
	}
	assert_int_equal(c.n, 1);
	assert_true(c.first_t - start >= 2 * HOUR);	/* not from one bucket */
	assert_true(c.first_t - start <= 12 * HOUR);
	assert_true(c.first.views[c.first.top_view].horizon);
	assert_true(c.first.actual > 3 * MB);
	detect_free(d);
}

/*
 * A public web server answering clients (ingress): 30 countries at first,
 * 20 more arriving after learning, new client addresses all the time.
 */
static void test_server_responses_50_countries_no_alert(void **state)
{
	static char cc[50][3];
	struct detect *d = new_detect();
	struct collect c = { 0 };
	uint64_t s = 11;
	int64_t t = T0;

	for (int i = 0; i < 50; i++)
		snprintf(cc[i], sizeof(cc[i]), "%c%c", 'A' + i / 26, 'A' + i % 26);
	for (int drain = 0; drain < 4 * DAY_DRAINS; drain++, t += DRAIN) {
		int known = drain < DAY_DRAINS ? 30 : 30 + (drain - DAY_DRAINS) * 20 / (2 * DAY_DRAINS);

		if (known > 50)
			known = 50;
		for (int i = 0; i < 30; i++) {
			unsigned k = (unsigned)(rnd(&s) % (unsigned)known);
			struct fl x = { t, 0x14000000u + (uint32_t)(k << 16) + (uint32_t)(rnd(&s) % 60000),
					cc[k], NULL, 443, "nginx", "www-data", rbytes(&s, 12, 22), 1 };
			feed(d, &x, &c);
		}
		detect_tick(d, t, NULL, NULL);
	}
	if (c.n)
		fprintf(stderr, "unexpected alert: %s\n", c.first.reasons[0]);
	assert_int_equal(c.n, 0);
	/* An unusual volume to one client still can alert. */
	for (int i = 0; i < 6 && !c.n; i++, t += DRAIN) {
		struct fl x = { t, 0x14050505u, cc[5], NULL, 443, "nginx", "www-data", 400 * MB, 1 };
		feed(d, &x, &c);
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(c.first.direction, FLOW_INGRESS);
	detect_free(d);
}

static void test_reserved_skipped_unless_included(void **state)
{
	struct detect_config cfg;
	struct detect_stats st;
	struct collect c = { 0 };
	struct fl x = { T0, 0xc0000201u, "US", NULL, 443, "curl", "alice", 5000 * MB, 0 };
	struct enriched_flow f = mkflow(&x);
	struct detect *d;

	detect_config_defaults(&cfg);
	d = detect_new(&cfg);
	f.reserved = true;
	detect_observe(d, &f, collect_emit, &c);
	detect_get_stats(d, &st);
	assert_int_equal(st.skipped_reserved, 1);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.members, 0);
	detect_free(d);
	cfg.include_reserved = true;
	d = detect_new(&cfg);
	detect_observe(d, &f, collect_emit, &c);
	detect_get_stats(d, &st);
	assert_int_equal(st.skipped_reserved, 0);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.members, 5);	/* no region: ip, country, port, process, user */
	detect_free(d);
}

static void test_no_alert_while_learning(void **state)
{
	struct detect *d = new_detect();
	struct collect c = { 0 };
	uint64_t s = 3;
	int64_t t = laptop_run(d, T0, 6, &s, &c);
	struct fl x = { t, 0xc6336401u, "BR", NULL, 443, "curl", "alice", 5000 * MB, 0 };

	feed(d, &x, &c);
	assert_int_equal(c.n, 0);
	/* learning started at T0 with the first flow; t - T0 = 1 h of 24 */
	assert_float_equal(detect_learning_progress(d, T0 + 12 * HOUR), 0.5, 1e-12);
	assert_float_equal(detect_learning_progress(d, T0 + 30 * HOUR), 1.0, 0);
	detect_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_laptop_no_alert),
		cmocka_unit_test(test_burst_new_country_alerts),
		cmocka_unit_test(test_slow_exfiltration_alerts),
		cmocka_unit_test(test_server_responses_50_countries_no_alert),
		cmocka_unit_test(test_no_alert_while_learning),
		cmocka_unit_test(test_reserved_skipped_unless_included),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
