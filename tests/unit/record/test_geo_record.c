/*
 * record/geo_record.c shares the geo and as objects of one answer among
 * records: the bytes must be those of an unshared record, and an answer
 * whose slot another answer took must still show both of its parts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record_parts.h"

static char *dest_line(const struct geo_info *gi)
{
	json_t *d = json_object();
	char *line;

	json_object_set_new(d, "ip", json_string("192.0.2.1"));
	record_geo(d, gi);
	line = json_line(d);
	json_decref(d);
	assert_non_null(line);
	return line;
}

static void check(const struct geo_info *gi, const char *want)
{
	char *got = dest_line(gi);

	assert_string_equal(got, want);
	free(got);
}

static void test_shared_answers(void **state)
{
	struct geo_info both = { .country_iso = "AT", .city_name = "Innsbruck", .has_location = true,
				 .lat = 47.2627, .lon = 11.3945, .has_as = true, .as_number = 64510,
				 .as_org = "Flat AS" };
	struct geo_info geo_only = { .country_iso = "NZ" };
	struct geo_info as_only = { .has_as = true, .as_number = 64502 };
	char *want_both, *want_geo, *want_as;

	/* Unshared (no answer id): what the shared ones must equal. */
	want_both = dest_line(&both);
	want_geo = dest_line(&geo_only);
	want_as = dest_line(&as_only);
	assert_non_null(strstr(want_both, "\"as\":{\"number\":64510"));
	assert_non_null(strstr(want_both, "\"city_name\":\"Innsbruck\""));

	both.answer_id = 5;
	geo_only.answer_id = 5 + 4096;	/* the same slot */
	as_only.answer_id = 5 + 2 * 4096;
	check(&both, want_both);
	check(&both, want_both);		/* from the kept objects */
	check(&geo_only, want_geo);		/* takes the geo slot */
	check(&both, want_both);		/* both parts again, not as alone */
	check(&as_only, want_as);		/* takes the as slot */
	check(&geo_only, want_geo);		/* not as_only's as */
	check(&both, want_both);
	free(want_both);
	free(want_geo);
	free(want_as);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_answers),
	};

	return cmocka_run_group_tests_name("geo_record", tests, NULL, NULL);
}
