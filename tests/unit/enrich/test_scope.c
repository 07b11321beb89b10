/* user/scope.c: every reserved range, at its edges and just outside them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "scope.h"

static bool reserved(const char *text)
{
	uint8_t a[16] = { 0 };
	int family = strchr(text, ':') ? 10 : 2;

	if (inet_pton(family == 2 ? AF_INET : AF_INET6, text, a) != 1)
		fail_msg("bad address in test: %s", text);
	return scope_reserved(family, a);
}

static void check_all(const char *const *list, size_t n, bool want)
{
	for (size_t i = 0; i < n; i++)
		if (reserved(list[i]) != want)
			fail_msg("%s: expected %s", list[i], want ? "reserved" : "reported");
}

#define CHECK(list, want) check_all(list, sizeof(list) / sizeof(list[0]), want)

/* First and last address of each range in the reference list. */
static const char *const v4_in[] = {
	"0.0.0.0", "0.255.255.255",
	"10.0.0.0", "10.255.255.255",
	"100.64.0.0", "100.127.255.255",
	"127.0.0.0", "127.0.0.1", "127.255.255.255",
	"169.254.0.0", "169.254.255.255",
	"172.16.0.0", "172.31.255.255",
	"192.0.0.0", "192.0.0.255",
	"192.0.2.0", "192.0.2.255",
	"192.88.99.0", "192.88.99.255",
	"192.168.0.0", "192.168.255.255",
	"198.18.0.0", "198.19.255.255",
	"198.51.100.0", "198.51.100.255",
	"203.0.113.0", "203.0.113.255",
	"224.0.0.0", "239.255.255.255",
	"233.252.0.0", "233.252.0.255",
	/* 233.252.0/24 sits inside 224/4, so its neighbours stay reserved */
	"233.251.255.255", "233.252.1.0",
	"240.0.0.0", "254.255.255.255", "255.255.255.254",
	"255.255.255.255",
};

/* The address just before and just after each range, when not reserved. */
static const char *const v4_out[] = {
	"1.0.0.0",
	"9.255.255.255", "11.0.0.0",
	"100.63.255.255", "100.128.0.0",
	"126.255.255.255", "128.0.0.0",
	"169.253.255.255", "169.255.0.0",
	"172.15.255.255", "172.32.0.0",
	"191.255.255.255", "192.0.1.0", "192.0.1.255", "192.0.3.0",
	"192.88.98.255", "192.88.100.0",
	"192.167.255.255", "192.169.0.0",
	"198.17.255.255", "198.20.0.0",
	"198.51.99.255", "198.51.101.0",
	"203.0.112.255", "203.0.114.0",
	"223.255.255.255",
	"8.8.8.8", "1.1.1.1", "9.9.9.9",
};

static void test_v4_reserved(void **state)
{
	CHECK(v4_in, true);
}

static void test_v4_reported(void **state)
{
	CHECK(v4_out, false);
}

/* For IPv4 only addr[0..3] count: stray bytes after them change nothing. */
static void test_v4_ignores_tail(void **state)
{
	uint8_t a[16];

	memset(a, 0xff, sizeof(a));
	memcpy(a, (uint8_t[]){ 8, 8, 8, 8 }, 4);
	assert_false(scope_reserved(2, a));
	memcpy(a, (uint8_t[]){ 10, 1, 2, 3 }, 4);
	assert_true(scope_reserved(2, a));
	memset(a + 4, 0, 12);
	memcpy(a, (uint8_t[]){ 255, 255, 255, 255 }, 4);
	assert_true(scope_reserved(2, a));
}

static const char *const v6_in[] = {
	"::", "::1",
	"fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"fec0::1", "feff::1",
	"fc00::1", "fd12::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"ff02::1", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	"3fff::1", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
	"64:ff9b:1::1", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
	"100::1", "100::ffff:ffff:ffff:ffff",
	"2001:2::1", "2001:2:0:ffff::1",
	"2001:10::1", "2001:1f:ffff::1",
	"2001:20::1", "2001:2f:ffff::1",
};

static const char *const v6_out[] = {
	"2606:4700::1", "2001:4860::8888", "2a00:1450:4001::1",
	"::2", "fbff:ffff::1", "fe00::1", "fe7f:ffff::1",
	"2001:db7:ffff::1", "2001:db9::1",
	"3ffe:ffff::1", "3fff:1000::1", "4000::1",
	"64:ff9b::1", "64:ff9b:2::1",		/* well-known NAT64 prefix is global */
	"100:0:0:1::1",
	"2001:2:1::1", "2001:f:ffff::1", "2001:30::1",
};

static void test_v6_reserved(void **state)
{
	CHECK(v6_in, true);
}

static void test_v6_reported(void **state)
{
	CHECK(v6_out, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_reserved),
		cmocka_unit_test(test_v4_reported),
		cmocka_unit_test(test_v4_ignores_tail),
		cmocka_unit_test(test_v6_reserved),
		cmocka_unit_test(test_v6_reported),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("scope", tests, NULL, NULL);
}
