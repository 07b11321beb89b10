/*
 * The baseline file: an exact round trip, atomic replace, and every kind
 * of bad file refused with a message that says what is wrong, leaving the
 * detector as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "scen.h"

/* A small table keeps the many parses of the bad-file tests quick. */
static struct detect *small_detect(void)
{
	struct detect_config cfg;

	detect_config_defaults(&cfg);
	cfg.include_reserved = true;
	cfg.max_members = 4096;
	return detect_new(&cfg);
}

struct fixture {
	struct detect *d;
	uint8_t *buf;
	size_t len;
	char dir[200], path[240];
	int64_t t;
	uint64_t seed;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	struct collect c = { 0 };

	fx->d = small_detect();
	fx->seed = 5;
	fx->t = laptop_run(fx->d, T0, 2 * 24 * 6 + 3, &fx->seed, &c);
	assert_int_equal(detect_state_encode(fx->d, &fx->buf, &fx->len), 0);
	snprintf(fx->dir, sizeof(fx->dir), "%s/exfild-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/baseline.state", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	detect_free(fx->d);
	free(fx->buf);
	free(fx);
	return 0;
}

/* Parse buf into a fresh detector; the error text, or "" on success. */
static const char *parse_err(const uint8_t *buf, size_t len)
{
	static char err[256];
	struct detect *d = small_detect();
	int rc = detect_state_parse(d, buf, len, err, sizeof(err));

	detect_free(d);
	if (!rc)
		err[0] = 0;
	return err;
}

static void fix_crc(uint8_t *buf, size_t len)
{
	uint32_t crc = (uint32_t)crc32(0, buf, (uInt)(len - 4));

	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void test_round_trip_exact(void **state)
{
	struct fixture *fx = *state;
	struct detect *d2 = small_detect();
	struct collect c1 = { 0 }, c2 = { 0 };
	uint8_t *again;
	size_t len2;
	char err[256] = "";
	uint64_t s1 = 77, s2 = 77;
	int64_t t;

	assert_int_equal(detect_save(fx->d, fx->path, err, sizeof(err)), 0);
	assert_int_equal(detect_load(d2, fx->path, err, sizeof(err)), 0);
	assert_int_equal(detect_state_encode(d2, &again, &len2), 0);
	assert_int_equal(len2, fx->len);
	assert_memory_equal(again, fx->buf, fx->len);
	free(again);
	/* Both go on identically, including what they alert on. */
	laptop_run(fx->d, fx->t, 30, &s1, &c1);
	t = laptop_run(d2, fx->t, 30, &s2, &c2);
	for (int i = 0; i < 3; i++, t += DRAIN) {
		struct fl x = { t, 0xc6336401u, "BR", NULL, 443, "curl", "alice", 300 * MB, 0 };

		feed(fx->d, &x, &c1);
		feed(d2, &x, &c2);
	}
	assert_int_equal(c1.n, 1);
	assert_int_equal(c2.n, 1);
	assert_int_equal(c1.first.score, c2.first.score);
	assert_string_equal(c1.first.reasons[0], c2.first.reasons[0]);
	detect_free(d2);
}

/*
 * An agent stopped before it saw any flow (an idle host, a quick restart)
 * saved a baseline with no bucket yet: it loads as empty, again and again,
 * instead of being moved aside as corrupt on every start.
 */
static void test_empty_baseline_loads(void **state)
{
	struct fixture *fx = *state;
	struct detect *empty = small_detect(), *d2 = small_detect();
	uint8_t *a, *b;
	size_t la, lb;
	char err[256] = "";

	assert_int_equal(detect_save(empty, fx->path, err, sizeof(err)), 0);
	assert_int_equal(detect_load(d2, fx->path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(detect_state_encode(empty, &a, &la), 0);
	assert_int_equal(detect_state_encode(d2, &b, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	/* A member count or a bucket with the empty marker is still corrupt. */
	a[8 + 4 + 8 + 8 + 4] = 1;
	fix_crc(a, la);
	assert_string_not_equal(parse_err(a, la), "");
	free(a);
	free(b);
	detect_free(empty);
	detect_free(d2);
}

static void test_save_replaces_atomically(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	assert_int_equal(detect_save(fx->d, fx->path, err, sizeof(err)), 0);
	assert_int_equal(detect_save(fx->d, fx->path, err, sizeof(err)), 0);
	dir = opendir(fx->dir);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.') {
			assert_string_equal(e->d_name, "baseline.state");
			n++;
		}
	closedir(dir);
	assert_int_equal(n, 1);	/* no temporary file left behind */
}

static void test_corrupt_files_rejected(void **state)
{
	struct fixture *fx = *state;
	uint8_t *b = malloc(fx->len);

	assert_string_equal(parse_err(fx->buf, fx->len), "");
	assert_string_equal(parse_err(fx->buf, 0), "truncated: shorter than a baseline header");
	assert_string_equal(parse_err(fx->buf, fx->len - 100),
			    "truncated: fewer bytes than the header announces");

	memcpy(b, fx->buf, fx->len);
	b[fx->len / 2] ^= 0x40;
	assert_string_equal(parse_err(b, fx->len), "corrupt: checksum mismatch");

	memcpy(b, fx->buf, fx->len);
	b[0] = 'X';
	assert_string_equal(parse_err(b, fx->len), "not an exfild baseline (bad magic)");

	memcpy(b, fx->buf, fx->len);
	b[8] = 9;	/* version 9, checksum fixed: still refused for what it is */
	fix_crc(b, fx->len);
	assert_string_equal(parse_err(b, fx->len),
			    "incompatible: format version 9, this exfild reads 1");

	/* A valid checksum over a NaN in a population must not get in. */
	memcpy(b, fx->buf, fx->len);
	memset(b + 36, 0xff, 4);
	fix_crc(b, fx->len);
	assert_string_equal(parse_err(b, fx->len), "corrupt: bad population value");

	/* Same for a member record (the last one's view byte). */
	memcpy(b, fx->buf, fx->len);
	b[fx->len - 4 - 48 - 1 - 4 - 4 - 8 - 16 - 1 - 1 - 1 - 1] = 200;
	fix_crc(b, fx->len);
	assert_string_equal(parse_err(b, fx->len), "corrupt: bad member record");
	free(b);
}

static void test_bucket_span_mismatch(void **state)
{
	struct fixture *fx = *state;
	struct detect_config cfg;
	struct detect *d;
	char err[256];

	detect_config_defaults(&cfg);
	cfg.bucket_ns = 1800 * DETECT_SEC;
	cfg.max_members = 4096;
	d = detect_new(&cfg);
	assert_int_equal(detect_state_parse(d, fx->buf, fx->len, err, sizeof(err)), -1);
	assert_string_equal(err, "incompatible: saved with a bucket span of 3600 s, configured 1800 s");
	detect_free(d);
}

static void test_failed_load_leaves_detector(void **state)
{
	struct fixture *fx = *state;
	char err[512], bad[300];
	uint8_t *before, *after;
	size_t lb, la;
	FILE *f;

	assert_int_equal(detect_state_encode(fx->d, &before, &lb), 0);
	snprintf(bad, sizeof(bad), "%s/short.state", fx->dir);
	f = fopen(bad, "w");
	fwrite(fx->buf, 1, fx->len / 3, f);
	fclose(f);
	assert_int_equal(detect_load(fx->d, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "short.state: truncated"));
	snprintf(bad, sizeof(bad), "%s/missing.state", fx->dir);
	assert_int_equal(detect_load(fx->d, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.state: cannot open: No such file or directory"));
	assert_int_equal(detect_load(fx->d, fx->dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(detect_state_encode(fx->d, &after, &la), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	free(before);
	free(after);
}

/* 300 prefixes and 300 byte flips spread over the file: refused, no crash. */
static void test_every_truncation_and_flip(void **state)
{
	struct fixture *fx = *state;
	uint8_t *b = malloc(fx->len);
	size_t step = fx->len / 300 + 1;

	for (size_t n = 0; n < fx->len; n += step)
		assert_string_not_equal(parse_err(fx->buf, n), "");
	for (size_t i = 0; i < fx->len; i += step) {
		memcpy(b, fx->buf, fx->len);
		b[i] ^= 0x01;
		assert_string_not_equal(parse_err(b, fx->len), "");
	}
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_baseline_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_replaces_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_files_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_span_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_load_leaves_detector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation_and_flip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
