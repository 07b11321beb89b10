/* user/json.c: hostile bytes always give valid JSON that says what was there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* json_bytes(in) must encode, parse back, and equal want. */
static void check_bytes(const void *in, size_t len, const char *want)
{
	json_t *s = json_bytes(in, len), *back;
	char *line;

	assert_non_null(s);
	assert_string_equal(json_string_value(s), want);
	assert_int_equal(json_string_length(s), strlen(want));
	line = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_non_null(line);
	back = json_loads(line, JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	assert_true(json_equal(s, back));
	json_decref(back);
	free(line);
	json_decref(s);
}

static void test_plain(void **state)
{
	check_bytes("curl", 4, "curl");
	check_bytes("", 0, "");
	check_bytes(NULL, 0, "");
}

static void test_json_specials(void **state)
{
	/* Quotes, backslashes and control characters are valid UTF-8: kept as is. */
	check_bytes("a\"b\\c\nd\te\x01" "f\x7f", 12, "a\"b\\c\nd\te\x01" "f\x7f");
	json_t *s = json_bytes("\"\\\n\x01", 4);
	char *line = json_dumps(s, JSON_ENCODE_ANY);
	assert_string_equal(line, "\"\\\"\\\\\\n\\u0001\"");
	free(line);
	json_decref(s);
}

static void test_valid_utf8(void **state)
{
	check_bytes("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9");			/* é */
	check_bytes("\xe2\x82\xac", 3, "\xe2\x82\xac");				/* € */
	check_bytes("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");			/* U+1F600 */
	check_bytes("\xef\xbf\xbf", 3, "\xef\xbf\xbf");				/* U+FFFF */
	check_bytes("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");			/* U+10FFFF */
	check_bytes("\xed\x9f\xbf", 3, "\xed\x9f\xbf");				/* U+D7FF */
}

static void test_invalid_bytes(void **state)
{
	check_bytes("a\xff" "b", 3, "a\\xffb");
	check_bytes("\x80", 1, "\\x80");
	check_bytes("\xfe\xfe", 2, "\\xfe\\xfe");
	/* NUL in the middle is shown, not a terminator. */
	check_bytes("a\0b", 3, "a\\x00b");
	/* Truncated sequences, at the end and in the middle. */
	check_bytes("x\xe2\x82", 3, "x\\xe2\\x82");
	check_bytes("\xe2\x82y", 3, "\\xe2\\x82y");
	check_bytes("\xf0\x9f\x98", 3, "\\xf0\\x9f\\x98");
}

static void test_overlong_and_surrogates(void **state)
{
	check_bytes("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong '/' */
	check_bytes("\xc1\xbf", 2, "\\xc1\\xbf");
	check_bytes("\xe0\x80\xaf", 3, "\\xe0\\x80\\xaf");	/* overlong '/' */
	check_bytes("\xf0\x80\x80\xaf", 4, "\\xf0\\x80\\x80\\xaf");
	check_bytes("\xc0\x80", 2, "\\xc0\\x80");		/* "modified UTF-8" NUL */
	check_bytes("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* U+D800 */
	check_bytes("\xed\xbf\xbf", 3, "\\xed\\xbf\\xbf");	/* U+DFFF */
	check_bytes("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");	/* > U+10FFFF */
	check_bytes("\xf5\x80\x80\x80", 4, "\\xf5\\x80\\x80\\x80");
}

/* Every possible byte, alone: always valid JSON, ASCII kept. */
static void test_all_single_bytes(void **state)
{
	for (int b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;
		json_t *s = json_bytes(&c, 1);
		assert_non_null(s);
		if (b > 0 && b < 0x80)
			assert_int_equal(json_string_length(s), 1);
		else
			assert_int_equal(json_string_length(s), 4);
		json_decref(s);
	}
}

static void test_cstr(void **state)
{
	json_t *s = json_cstr("x\xffy");
	assert_string_equal(json_string_value(s), "x\\xffy");
	json_decref(s);
	s = json_cstr(NULL);
	assert_string_equal(json_string_value(s), "");
	json_decref(s);
}

static void test_set_path(void **state)
{
	json_t *root = json_object();
	char *line;

	assert_int_equal(json_set_path(root, "process.pid", json_integer(7)), 0);
	assert_int_equal(json_set_path(root, "process.parent.pid", json_integer(1)), 0);
	assert_int_equal(json_set_path(root, "process.name", json_string("sh")), 0);
	assert_int_equal(json_set_path(root, "top", json_true()), 0);
	line = json_line(root);
	assert_string_equal(line,
		"{\"process\":{\"pid\":7,\"parent\":{\"pid\":1},\"name\":\"sh\"},\"top\":true}");
	free(line);
	/* Replacing a leaf works; walking through a leaf fails (and frees val). */
	assert_int_equal(json_set_path(root, "process.pid", json_integer(8)), 0);
	assert_int_equal(json_set_path(root, "process.pid.x", json_integer(9)), -1);
	assert_int_equal(json_set_path(root, "", json_integer(9)), -1);
	assert_int_equal(json_set_path(root, "a..b", json_integer(9)), -1);
	assert_int_equal(json_set_path(root, ".a", json_integer(9)), -1);
	assert_int_equal(json_set_path(root, "a.", json_integer(9)), -1);
	assert_int_equal(json_set_path(NULL, "a", json_integer(9)), -1);
	assert_int_equal(json_set_path(root, "a", NULL), -1);
	assert_null(json_object_get(root, "a"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "process"), "pid")), 8);
	json_decref(root);
}

static void test_time(void **state)
{
	json_t *t = json_time(0);
	assert_string_equal(json_string_value(t), "1970-01-01T00:00:00.000Z");
	json_decref(t);
	t = json_time(1795741323456789012LL);
	assert_string_equal(json_string_value(t), "2026-11-27T01:02:03.456Z");
	json_decref(t);
	t = json_time(-1);	/* floor: one ns before the epoch */
	assert_string_equal(json_string_value(t), "1969-12-31T23:59:59.999Z");
	json_decref(t);
}

static void test_line(void **state)
{
	json_t *root = json_object();
	char *line;

	json_object_set_new(root, "z", json_integer(1));
	json_object_set_new(root, "a", json_bytes("l1\nl2", 5));
	json_object_set_new(root, "m", json_array());
	line = json_line(root);
	assert_non_null(line);
	assert_string_equal(line, "{\"z\":1,\"a\":\"l1\\nl2\",\"m\":[]}");
	assert_null(strchr(line, '\n'));
	free(line);
	json_decref(root);
}

/* json_line() must give exactly jansson's own bytes. */
static void assert_same_as_jansson(const json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	char *got = json_line(v);

	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

static void test_line_as_jansson(void **state)
{
	static const double reals[] = { 0.0, -0.0, 1.0, -1.5, 47.2627, 11.3945, 0.1, 1e20, 1e21,
					1.5e-7, -3.25e-300, 1e308, 123456789012345.0,
					1234567890123456789.0, 2.5e15, 0.000123 };
	static const json_int_t ints[] = { 0, 1, -1, 9, 10, 1234567890123LL, INT64_MAX, INT64_MIN };
	json_t *root = json_object(), *arr = json_array(), *deep = root;
	char bytes[256];

	for (int i = 1; i < 256; i++)
		bytes[i - 1] = (char)i;
	/* Every byte value, through json_bytes, as a key and as a value. */
	json_object_set_new(root, "all", json_bytes(bytes, 255));
	json_object_set_new(root, "k\"\\\n\x01\x1f\x7f/\xc3\xa9", json_string("v/\xe2\x80\xa8"));
	json_object_set_new(root, "nul", json_stringn("a\0b", 3));
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		json_array_append_new(arr, json_real(reals[i]));
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		json_array_append_new(arr, json_integer(ints[i]));
	json_array_append_new(arr, json_true());
	json_array_append_new(arr, json_false());
	json_array_append_new(arr, json_null());
	json_array_append_new(arr, json_object());
	json_array_append_new(arr, json_array());
	json_array_append_new(arr, json_string(""));
	json_object_set_new(root, "arr", arr);
	for (int i = 0; i < 10; i++) {
		json_t *o = json_object();

		json_object_set_new(deep, "d", o);
		deep = o;
	}
	json_object_set_new(deep, "end", json_integer(1));
	assert_same_as_jansson(root);
	for (size_t i = 0; i < json_array_size(arr); i++)
		assert_same_as_jansson(json_array_get(arr, i));	/* each alone (ENCODE_ANY) */
	json_decref(root);
}

/* A frozen object is written from its text, the same bytes; thawed, it may change. */
static void test_frozen(void **state)
{
	json_t *shared = json_pack("{s:i,s:s}", "pid", 7, "name", "sh\n");
	json_t *r1 = json_pack("{s:i,s:O}", "a", 1, "process", shared);
	char *before = json_line(r1), *after;

	json_line_freeze(shared);
	after = json_line(r1);
	assert_string_equal(after, before);
	free(after);
	json_line_thaw(shared);
	json_object_set_new(shared, "pid", json_integer(8));
	after = json_line(r1);
	assert_non_null(strstr(after, "\"pid\":8"));
	free(after);
	free(before);
	json_decref(r1);
	json_decref(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_json_specials),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_overlong_and_surrogates),
		cmocka_unit_test(test_all_single_bytes),
		cmocka_unit_test(test_cstr),
		cmocka_unit_test(test_set_path),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_line_as_jansson),
		cmocka_unit_test(test_frozen),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
