/* enrich/geo_cache.c: answers by address, each distinct answer stored once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "geo_cache.h"

/* The answer's fields, not its id; a cached answer has an id. */
static void assert_same_answer(const struct geo_info *got, const struct geo_info *want)
{
	assert_memory_equal(got, want, offsetof(struct geo_info, answer_id));
	assert_true(got->answer_id != 0);
}

static void key_of(uint32_t i, uint8_t key[16])
{
	memset(key, 0, 16);
	memcpy(key, &i, 4);
}

static void info_of(uint32_t i, struct geo_info *gi)
{
	memset(gi, 0, sizeof(*gi));
	snprintf(gi->country_iso, sizeof(gi->country_iso), "C%u", i % 100);
	snprintf(gi->city_name, sizeof(gi->city_name), "city %u", i);
}

/* 100,000 active destinations (a busy host) all stay cached, answers right. */
static void test_busy_host_fits(void **state)
{
	struct geo_cache *c = geo_cache_new();
	struct geo_info gi, want;
	uint8_t key[16];
	bool found;
	long hits = 0;

	for (uint32_t i = 0; i < 100000; i++) {
		key_of(i * 2654435761u, key);
		info_of(i % 500, &gi);
		geo_cache_put(c, 2, key, (i % 7) ? &gi : NULL);
	}
	for (uint32_t i = 0; i < 100000; i++) {
		key_of(i * 2654435761u, key);
		if (!geo_cache_get(c, 2, key, &gi, &found))
			continue;
		hits++;
		assert_int_equal(found, (i % 7) != 0);
		info_of(i % 500, &want);
		if (found)
			assert_same_answer(&gi, &want);
		else
			assert_string_equal(gi.country_iso, "");
	}
	assert_true(hits >= 99500);
	/* Equal answers, one id; different answers, different ids. */
	{
		struct geo_info a, b, d;

		key_of(1 * 2654435761u, key);
		assert_true(geo_cache_get(c, 2, key, &a, &found));
		key_of(501 * 2654435761u, key);
		assert_true(geo_cache_get(c, 2, key, &b, &found));
		key_of(2 * 2654435761u, key);
		assert_true(geo_cache_get(c, 2, key, &d, &found));
		assert_true(a.answer_id == b.answer_id);
		assert_true(a.answer_id != d.answer_id);
	}	/* a few set collisions may evict */
	key_of(12345, key);
	assert_false(geo_cache_get(c, 10, key, &gi, &found));	/* other family: other key */
	geo_cache_free(c);
}

/* More distinct answers than it keeps: it starts over and stays correct. */
static void test_answers_bounded(void **state)
{
	struct geo_cache *c = geo_cache_new();
	struct geo_info gi, want;
	uint8_t key[16];
	bool found;

	for (uint32_t i = 0; i < GEO_CACHE_INFOS + 10; i++) {
		key_of(i, key);
		info_of(i, &gi);
		geo_cache_put(c, 2, key, &gi);
	}
	key_of(GEO_CACHE_INFOS + 5, key);
	assert_true(geo_cache_get(c, 2, key, &gi, &found));
	info_of(GEO_CACHE_INFOS + 5, &want);
	assert_same_answer(&gi, &want);
	key_of(0, key);
	assert_false(geo_cache_get(c, 2, key, &gi, &found));	/* dropped when it started over */
	geo_cache_clear(c);
	key_of(GEO_CACHE_INFOS + 5, key);
	assert_false(geo_cache_get(c, 2, key, &gi, &found));
	geo_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_host_fits),
		cmocka_unit_test(test_answers_bounded),
	};

	return cmocka_run_group_tests_name("geo_cache", tests, NULL, NULL);
}
