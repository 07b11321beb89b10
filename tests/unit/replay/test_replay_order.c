/*
 * Replay order and input handling: records sorted by end time within a
 * file and merged across files, late records beyond the window counted and
 * replayed at the current time (never lost), gzip recognised by its magic
 * bytes whatever the name, corrupt gzip an error naming the file, stdin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <zlib.h>

#include "replaytest.h"

#define HDR "#separator \\x09\n#unset_field\t-\n#path\tconn\n" \
	    "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\n"

static struct replay_merge *merge_of(const char *const *paths, size_t n, int64_t window,
				     size_t cap)
{
	struct replay_file *f[8];
	struct localnets ln;
	char err[256];
	static struct localnets keep;

	localnets_default(&ln);
	keep = ln;
	for (size_t i = 0; i < n; i++)
		if (!(f[i] = replay_file_open(paths[i], &keep, err, sizeof(err))))
			fail_msg("%s", err);
	return replay_merge_new(f, n, window, cap);
}

/* End times (s) and bytes out of a merge, until it ends. */
static size_t drain(struct replay_merge *m, int64_t *end_s, uint64_t *bytes, size_t max)
{
	struct replay_rec r;
	size_t n = 0;

	while (n < max && replay_merge_next(m, &r) == 1) {
		end_s[n] = r.obs.end_ns / NS;
		bytes[n++] = r.obs.bytes_sent;
	}
	return n;
}

static void test_sorted_by_end(void **state)
{
	char p[128];
	int64_t e[8];
	uint64_t b[8];

	/* ts order A(100+50) B(110+1) C(120+0): end order B C A */
	write_tmp(p, sizeof(p), "sort", HDR
		  "100\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t50\t1\t-\n"
		  "110\t10.0.0.1\t2\t192.0.2.1\t443\ttcp\t1\t2\t-\n"
		  "120\t10.0.0.1\t3\t192.0.2.1\t443\ttcp\t-\t3\t-\n");
	const char *paths[] = { p };
	struct replay_merge *m = merge_of(paths, 1, REPLAY_WINDOW_NS, REPLAY_WINDOW_RECORDS);
	size_t n = drain(m, e, b, 8);

	unlink(p);
	assert_int_equal(n, 3);
	assert_int_equal(e[0], 111);
	assert_int_equal(b[0], 2);
	assert_int_equal(e[1], 120);
	assert_int_equal(b[1], 3);
	assert_int_equal(e[2], 150);
	assert_int_equal(b[2], 1);
	assert_int_equal(replay_merge_late(m), 0);
	replay_merge_free(m);
}

static void test_merge_files(void **state)
{
	char p1[128], p2[128];
	int64_t e[8];
	uint64_t b[8];

	write_tmp(p1, sizeof(p1), "m1", HDR "100\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t11\t-\n"
					     "300\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t13\t-\n");
	write_tmp(p2, sizeof(p2), "m2", HDR "200\t10.0.0.2\t1\t192.0.2.1\t443\ttcp\t-\t22\t-\n"
					     "300\t10.0.0.2\t1\t192.0.2.1\t443\ttcp\t-\t23\t-\n");
	/* Named in reverse order: the timeline is still one */
	const char *paths[] = { p2, p1 };
	struct replay_merge *m = merge_of(paths, 2, REPLAY_WINDOW_NS, REPLAY_WINDOW_RECORDS);
	size_t n = drain(m, e, b, 8);

	unlink(p1);
	unlink(p2);
	assert_int_equal(n, 4);
	assert_int_equal(b[0], 11);
	assert_int_equal(b[1], 22);
	assert_int_equal(b[2], 23);	/* a tie goes to the file named first */
	assert_int_equal(b[3], 13);
	assert_int_equal(e[3], 300);
	replay_merge_free(m);
}

static void test_late_beyond_window(void **state)
{
	char p[128];
	int64_t e[8];
	uint64_t b[8];

	write_tmp(p, sizeof(p), "late", HDR "100\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t1\t-\n"
					    "200\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t2\t-\n"
					    "195\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t3\t-\n"
					    "300\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t4\t-\n"
					    "150\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t5\t-\n"
					    "400\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t6\t-\n");
	const char *paths[] = { p };
	/* a 10 s window: 195 comes within it of 200, 150 after 200 went out */
	struct replay_merge *m = merge_of(paths, 1, 10 * NS, REPLAY_WINDOW_RECORDS);
	size_t n = drain(m, e, b, 8);
	const uint64_t want_b[] = { 1, 3, 2, 5, 4, 6 };
	const int64_t want_e[] = { 100, 195, 200, 200, 300, 400 };

	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(b[i], want_b[i]);
		assert_int_equal(e[i], want_e[i]);	/* the late one replayed now, not lost */
	}
	assert_int_equal(replay_merge_late(m), 1);
	replay_merge_free(m);

	/* a record cap of 1 holds nothing back: every step back is late */
	m = merge_of(paths, 1, REPLAY_WINDOW_NS, 1);
	n = drain(m, e, b, 8);
	unlink(p);
	assert_int_equal(n, 6);
	assert_int_equal(replay_merge_late(m), 2);
	replay_merge_free(m);
}

/* 1500 connections in reverse end order, all within the hour window. */
static void write_reversed(char *path, size_t len, const char *tag)
{
	static char text[1500 * 64 + 512];
	size_t o = (size_t)snprintf(text, sizeof(text), "%s", HDR);

	for (int i = 0; i < 1500; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "%d\t10.0.0.1\t1\t192.0.2.1\t443\ttcp\t-\t1\t-\n", 5000 - i);
	write_tmp(path, len, tag, text);
}

/* The record cap is for all files together: two files get half each. */
static void test_cap_shared_by_files(void **state)
{
	char p1[128], p2[128];
	static int64_t e[3000];
	static uint64_t b[3000];

	write_reversed(p1, sizeof(p1), "cap1");
	write_reversed(p2, sizeof(p2), "cap2");
	const char *one[] = { p1 }, *two[] = { p1, p2 };
	struct replay_merge *m = merge_of(one, 1, REPLAY_WINDOW_NS, 2048);

	assert_int_equal(drain(m, e, b, 3000), 1500);
	assert_int_equal(replay_merge_late(m), 0);	/* 1500 fit in 2048 */
	replay_merge_free(m);
	m = merge_of(two, 2, REPLAY_WINDOW_NS, 2048);
	assert_int_equal(drain(m, e, b, 3000), 3000);	/* nothing lost */
	/* 1024 held per file: the other 476 of each come too late to sort */
	assert_int_equal(replay_merge_late(m), 2 * 476);
	replay_merge_free(m);
	unlink(p1);
	unlink(p2);
}

static void write_gz(const char *path, const char *text, size_t len)
{
	gzFile g = gzopen(path, "wb");

	assert_non_null(g);
	assert_int_equal(gzwrite(g, text, (unsigned)len), (int)len);
	assert_int_equal(gzclose(g), Z_OK);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);

	assert_non_null(f);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void test_gzip_by_magic(void **state)
{
	struct replay_rec plain[16], gz[16];
	struct replay_file_stats st;
	struct localnets ln;
	char p[64];
	size_t len, n, ng;
	char *text = slurp(FIX "conn.log", &len);

	localnets_default(&ln);
	n = read_all(FIX "conn.log", &ln, plain, 16, NULL);
	/* gzip under a name that does not say so */
	snprintf(p, sizeof(p), "/tmp/exfild-replay-gz-%d.log", (int)getpid());
	write_gz(p, text, len);
	ng = read_all(p, &ln, gz, 16, &st);
	assert_true(st.gzip);
	assert_int_equal(ng, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(gz[i].obs.end_ns, plain[i].obs.end_ns);
		assert_int_equal(gz[i].obs.bytes_sent, plain[i].obs.bytes_sent);
		assert_string_equal(gz[i].host, plain[i].host);
	}
	assert_int_equal(st.malformed, 3);
	unlink(p);
	/* plain text under a .gz name */
	snprintf(p, sizeof(p), "/tmp/exfild-replay-plain-%d.gz", (int)getpid());
	FILE *f = fopen(p, "wb");
	fwrite(text, 1, len, f);
	fclose(f);
	ng = read_all(p, &ln, gz, 16, &st);
	assert_false(st.gzip);
	assert_int_equal(ng, n);
	unlink(p);
	free(text);
}

static void test_gzip_truncated(void **state)
{
	struct localnets ln;
	struct replay_rec r;
	char p[64], err[512];
	size_t len, glen;
	char *text = slurp(FIX "conn.json", &len);
	int rc;

	localnets_default(&ln);
	snprintf(p, sizeof(p), "/tmp/exfild-replay-trunc-%d.gz", (int)getpid());
	write_gz(p, text, len);
	free(text);
	char *g = slurp(p, &glen);
	FILE *f = fopen(p, "wb");
	fwrite(g, 1, glen - 30, f);	/* the end of the stream and its trailer gone */
	fclose(f);
	free(g);
	struct replay_file *rf = replay_file_open(p, &ln, err, sizeof(err));
	assert_non_null(rf);
	while ((rc = replay_file_next(rf, &r, err, sizeof(err))) == 1)
		;
	replay_file_close(rf);
	unlink(p);
	assert_int_equal(rc, -1);
	if (!strstr(err, "gzip data corrupt or truncated") || strncmp(err, p, strlen(p)))
		fail_msg("unexpected error: %s", err);
}

static void test_stdin(void **state)
{
	struct replay_rec r[16];
	struct localnets ln;
	int saved = dup(0), fd = open(FIX "flows.ndjson", O_RDONLY);

	localnets_default(&ln);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 0);
	close(fd);
	size_t n = read_all("-", &ln, r, 16, NULL);
	dup2(saved, 0);
	close(saved);
	assert_int_equal(n, 3);
	assert_string_equal(r[1].host, "web1");
}

static void test_empty_and_missing(void **state)
{
	struct localnets ln;
	char p[128], err[256];
	struct replay_rec r[2];

	localnets_default(&ln);
	write_tmp(p, sizeof(p), "empty", "\n\n");
	assert_int_equal(read_all(p, &ln, r, 2, NULL), 0);
	unlink(p);
	assert_null(replay_file_open("/nonexistent/conn.log", &ln, err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/conn.log: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_by_end),
		cmocka_unit_test(test_merge_files),
		cmocka_unit_test(test_late_beyond_window),
		cmocka_unit_test(test_cap_shared_by_files),
		cmocka_unit_test(test_gzip_by_magic),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_empty_and_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
