/*
 * The generated country and continent table (tools/gen-geonames.pl, from
 * iso-codes and CLDR): every ISO 3166-1 country is in it, names are
 * ISO's common names, continents the seven of the geo databases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "geo_names.h"

#define ISO3166 "/usr/share/iso-codes/json/iso_3166-1.json"

static void test_known(void **state)
{
	const struct geo_name *n = geo_names_find("DE");

	assert_non_null(n);
	assert_string_equal(n->code, "DE");
	assert_string_equal(n->country, "Germany");
	assert_string_equal(n->continent, "Europe");
	assert_string_equal(geo_names_find("us")->country, "United States");	/* any case */
	assert_string_equal(geo_names_find("US")->continent, "North America");
	assert_string_equal(geo_names_find("MX")->continent, "North America");	/* Central America */
	assert_string_equal(geo_names_find("CU")->continent, "North America");	/* Caribbean */
	assert_string_equal(geo_names_find("BR")->continent, "South America");
	assert_string_equal(geo_names_find("KR")->country, "South Korea");	/* common_name */
	assert_string_equal(geo_names_find("AX")->country, "\xc3\x85land Islands");	/* UTF-8 */
	assert_string_equal(geo_names_find("AQ")->continent, "Antarctica");
	assert_string_equal(geo_names_find("AU")->continent, "Oceania");
	assert_string_equal(geo_names_find("JP")->continent, "Asia");
	assert_string_equal(geo_names_find("NG")->continent, "Africa");
}

static void test_bad_codes(void **state)
{
	assert_null(geo_names_find(NULL));
	assert_null(geo_names_find(""));
	assert_null(geo_names_find("D"));
	assert_null(geo_names_find("DEU"));
	assert_null(geo_names_find("1A"));
	assert_null(geo_names_find("D\xc3"));
	assert_null(geo_names_find("ZZ"));	/* unknown */
	assert_null(geo_names_find("EU"));	/* a union, on no continent */
}

/* Independently of the generator: each alpha_2 of the source file is there. */
static void test_every_iso_country(void **state)
{
	static const char *const continents[] = { "Africa", "Antarctica", "Asia", "Europe",
						  "North America", "Oceania", "South America" };
	json_error_t e;
	json_t *root = json_load_file(ISO3166, 0, &e), *c;
	size_t i, total = 0;

	assert_non_null(root);
	json_array_foreach(json_object_get(root, "3166-1"), i, c) {
		const char *code = json_string_value(json_object_get(c, "alpha_2"));
		const struct geo_name *n = geo_names_find(code);
		bool ok = false;

		if (!n)
			fail_msg("%s missing", code);
		assert_true(n->country[0]);
		assert_non_null(n->continent);
		for (size_t k = 0; k < sizeof(continents) / sizeof(continents[0]); k++)
			ok |= !strcmp(n->continent, continents[k]);
		if (!ok)
			fail_msg("%s: continent %s", code, n->continent);
		total++;
	}
	assert_true(total >= 249);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_bad_codes),
		cmocka_unit_test(test_every_iso_country),
	};

	return cmocka_run_group_tests_name("geo_names", tests, NULL, NULL);
}
