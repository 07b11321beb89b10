/* Replay's time and address parsing, and the local-net test, at their edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "replay_time.h"
#include "replaytest.h"

static int64_t t3339(const char *s)
{
	int64_t ns = -1;

	if (rfc3339_parse(s, strlen(s), &ns))
		return -1;
	return ns;
}

static void test_rfc3339(void **state)
{
	assert_int_equal(t3339("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t3339("2026-11-28T01:33:07.597Z"), 1795829587597000000LL);
	assert_int_equal(t3339("2026-11-28T03:33:07.597+02:00"), 1795829587597000000LL);
	assert_int_equal(t3339("2026-11-27T20:03:07.597-05:30"), 1795829587597000000LL);
	assert_int_equal(t3339("2024-02-29T12:00:00.123456789Z"), 1709208000123456789LL);
	assert_int_equal(t3339("2024-02-29T12:00:00.1234567891Z"), 1709208000123456789LL);
	assert_int_equal(t3339("2024-02-29T12:00:00"), -1);		/* no zone */
	assert_int_equal(t3339("2024-13-01T00:00:00Z"), -1);
	assert_int_equal(t3339("2024-02-29T12:00:00.Z"), -1);
	assert_int_equal(t3339("2024-02-29T12:00:00Zjunk"), -1);
	assert_int_equal(t3339("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(t3339(""), -1);
}

static void test_decimal_seconds(void **state)
{
	int64_t ns = 0;

	assert_int_equal(decimal_seconds_parse("1764288000.100000", 17, &ns), 0);
	assert_int_equal(ns, 1764288000100000000LL);
	assert_int_equal(decimal_seconds_parse("0.000001", 8, &ns), 0);
	assert_int_equal(ns, 1000);
	assert_int_equal(decimal_seconds_parse("12", 2, &ns), 0);
	assert_int_equal(ns, 12 * NS);
	assert_int_equal(decimal_seconds_parse("-1", 2, &ns), -1);
	assert_int_equal(decimal_seconds_parse("1e9", 3, &ns), -1);
	assert_int_equal(decimal_seconds_parse("99999999999999999999", 20, &ns), -1);
	assert_int_equal(real_seconds_to_ns(1764288000.1, &ns), 0);
	assert_int_equal(ns, 1764288000100000000LL);
	assert_int_equal(real_seconds_to_ns(-0.5, &ns), -1);
}

static bool local(const struct localnets *ln, const char *a)
{
	struct ipaddr ip;

	if (addr_parse(a, strlen(a), &ip))
		fail_msg("bad test address %s", a);
	return localnets_contains(ln, &ip);
}

static void test_localnets(void **state)
{
	struct localnets ln;
	char err[128];

	localnets_default(&ln);
	assert_true(local(&ln, "10.0.0.0"));
	assert_true(local(&ln, "10.255.255.255"));
	assert_false(local(&ln, "11.0.0.0"));
	assert_true(local(&ln, "172.31.255.255"));
	assert_false(local(&ln, "172.32.0.0"));
	assert_true(local(&ln, "192.168.0.1"));
	assert_false(local(&ln, "192.169.0.1"));
	assert_true(local(&ln, "fd12::1"));
	assert_false(local(&ln, "fe00::1"));
	assert_true(local(&ln, "::ffff:10.1.1.1"));	/* folded to IPv4 */
	assert_false(local(&ln, "2001:db8::1"));

	struct localnets one = { 0 };
	assert_int_equal(localnets_add(&one, "198.51.100.77/25", err, sizeof(err)), 0);
	assert_true(local(&one, "198.51.100.0"));	/* host bits cleared */
	assert_true(local(&one, "198.51.100.127"));
	assert_false(local(&one, "198.51.100.128"));
	assert_false(local(&one, "10.0.0.1"));		/* the defaults are replaced */
	assert_int_equal(localnets_add(&one, "2001:db8::/33", err, sizeof(err)), 0);
	assert_true(local(&one, "2001:db8:7fff::1"));
	assert_false(local(&one, "2001:db8:8000::1"));
	assert_int_equal(localnets_add(&one, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(local(&one, "8.8.8.8"));

	assert_int_equal(localnets_add(&one, "10.0.0.0/33", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'10.0.0.0/33' is not a CIDR"));
	assert_int_equal(localnets_add(&one, "10.0.0.0/", err, sizeof(err)), -1);
	assert_int_equal(localnets_add(&one, "example.org/8", err, sizeof(err)), -1);
	assert_int_equal(localnets_add(&one, "10.0.0.0/+8", err, sizeof(err)), -1);
	while (one.n < LOCALNET_MAX)
		assert_int_equal(localnets_add(&one, "10.0.0.0/8", err, sizeof(err)), 0);
	assert_int_equal(localnets_add(&one, "10.0.0.0/8", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_decimal_seconds),
		cmocka_unit_test(test_localnets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
