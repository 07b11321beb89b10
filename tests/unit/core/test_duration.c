#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "duration.h"

static void test_units(void **state)
{
	int64_t ns;

	assert_int_equal(duration_parse("90s", &ns), 0);
	assert_int_equal(ns, 90000000000LL);
	assert_int_equal(duration_parse("15m", &ns), 0);
	assert_int_equal(ns, 900000000000LL);
	assert_int_equal(duration_parse("24h", &ns), 0);
	assert_int_equal(ns, 86400000000000LL);
	assert_int_equal(duration_parse("14d", &ns), 0);
	assert_int_equal(ns, 14 * 86400000000000LL);
	assert_int_equal(duration_parse("3600", &ns), 0);
	assert_int_equal(ns, 3600000000000LL);
	assert_int_equal(duration_parse("0", &ns), 0);
	assert_int_equal(ns, 0);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "h", "-5m", "+5m", " 5m", "5m ", "5 m", "1.5h", "5w", "5mm", "5ms",
		"99999999999999999999", "106752d",	/* > INT64_MAX ns */
	};
	int64_t ns = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(duration_parse(bad[i], &ns), -1);
		assert_int_equal(ns, 42);
	}
	assert_int_equal(duration_parse(NULL, &ns), -1);
	/* The largest whole day count that fits. */
	assert_int_equal(duration_parse("106751d", &ns), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
