/*
 * user/sink.c: whole lines in order, nothing lost while the destination
 * refuses writes (up to the bound), and reopening after log rotation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/exfild-sink-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* "DIR/name" in a static buffer per slot (several paths live at once). */
static const char *in_dir(int slot, const char *name)
{
	static char p[4][320];

	snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
	return p[slot];
}

static const char *spec_of(const char *path)
{
	static char s[340];

	snprintf(s, sizeof(s), "file:%s", path);
	return s;
}

/* The whole file as a NUL-terminated string; caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	assert_non_null(f);
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static json_t *rec(int i)
{
	return json_pack("{s:i, s:s, s:{s:[s, s]}}", "seq", i, "text", "a \"quoted\"\nline é",
			 "event", "category", "network", "x");
}

static void write_recs(struct sink *s, int from, int to)
{
	for (int i = from; i < to; i++) {
		json_t *r = rec(i);

		assert_int_equal(sink_write(s, r), 0);
		json_decref(r);
	}
}

/*
 * text must be exactly `before` followed by records from..to-1, one
 * compact JSON object per line, each parsing back to what was written.
 */
static void check_lines(const char *text, const char *before, int from, int to)
{
	const char *p = text;

	assert_int_equal(strncmp(p, before, strlen(before)), 0);
	p += strlen(before);
	for (int i = from; i < to; i++) {
		const char *nl = strchr(p, '\n');
		json_error_t e;
		json_t *got, *want = rec(i);

		if (!nl)
			fail_msg("record %d missing or not ended by a newline", i);
		got = json_loadb(p, (size_t)(nl - p), 0, &e);
		if (!got)
			fail_msg("record %d: not one JSON object: %s", i, e.text);
		assert_true(json_equal(got, want));
		json_decref(got);
		json_decref(want);
		p = nl + 1;
	}
	assert_string_equal(p, "");
}

static void check_file(const char *path, const char *before, int from, int to)
{
	char *text = slurp(path, NULL);

	check_lines(text, before, from, to);
	free(text);
}

static void test_specs(void **state)
{
	char err[256];

	assert_int_equal(sink_check_spec("stdout", err, sizeof(err)), 0);
	assert_int_equal(sink_check_spec("file:/var/log/x.json", err, sizeof(err)), 0);

	static const struct { const char *spec, *msg; } bad[] = {
		{ "file:x.json", "output file:x.json: file sinks take an absolute path (file:/path)" },
		{ "file:", "output file:: file sinks take an absolute path (file:/path)" },
		{ "file:~/x", "output file:~/x: file sinks take an absolute path (file:/path)" },
		{ "syslog", "output syslog: unknown sink (use stdout or file:/path)" },
		{ "", "output : unknown sink (use stdout or file:/path)" },
		{ "STDOUT", "output STDOUT: unknown sink (use stdout or file:/path)" },
		{ "/var/log/x.json", "output /var/log/x.json: unknown sink (use stdout or file:/path)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(sink_check_spec(bad[i].spec, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].msg);
		err[0] = 0;
		assert_null(sink_open(bad[i].spec, err, sizeof(err)));
		assert_string_equal(err, bad[i].msg);
	}

	char want[400];
	const char *p = in_dir(0, "no/such/dir/x.json");
	snprintf(want, sizeof(want), "cannot open output file %s: No such file or directory", p);
	assert_null(sink_open(spec_of(p), err, sizeof(err)));
	assert_string_equal(err, want);
}

static void test_file_appends_lines(void **state)
{
	const char *p = in_dir(0, "flows.json");
	char err[256];
	struct sink *s;
	struct stat st;
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	/* What was there stays: the sink appends. */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old line\n", 9), 9);
	close(fd);

	s = sink_open(spec_of(p), err, sizeof(err));
	assert_non_null(s);
	write_recs(s, 0, 3);
	/* Queued until the flush: a drain's records go out together. */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 9);
	assert_int_equal(sink_flush(s), 0);
	check_file(p, "old line\n", 0, 3);
	/* A flush with nothing queued writes nothing. */
	assert_int_equal(sink_flush(s), 0);
	write_recs(s, 3, 500);
	assert_int_equal(sink_flush(s), 0);
	check_file(p, "old line\n", 0, 500);
	assert_int_equal(sink_dropped(s), 0);
	/* Closing flushes what is still queued. */
	write_recs(s, 500, 510);
	sink_close(s);
	check_file(p, "old line\n", 0, 510);

	/* A new file is created, mode 0600 (less the umask): output files are private. */
	mode_t mask = umask(0);
	umask(mask);
	p = in_dir(1, "new.json");
	s = sink_open(spec_of(p), err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600 & ~mask);
	assert_int_equal(st.st_size, 0);
	sink_close(s);
	sink_close(NULL);
}

static void test_stdout(void **state)
{
	const char *p = in_dir(0, "stdout.json");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600), saved;
	char err[256];
	struct sink *s;

	/* Point fd 1 at a file for the duration, so the TAP stream stays clean. */
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	s = sink_open("stdout", err, sizeof(err));
	if (s) {
		write_recs(s, 0, 4);
		sink_flush(s);
		write_recs(s, 4, 6);
		sink_reopen(s);		/* nothing to reopen: a no-op */
		sink_close(s);		/* must not close fd 1 */
	}
	int fd1_open = fcntl(STDOUT_FILENO, F_GETFD) >= 0;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_non_null(s);
	assert_true(fd1_open);
	check_file(p, "", 0, 6);
}

/*
 * /dev/full refuses every write with ENOSPC. The sink writes through a
 * symlink, so the test can later point the name at a real file and reopen.
 */
static void test_full_device_keeps_records(void **state)
{
	const char *link = in_dir(0, "out.json");
	char err[256];
	struct sink *s;

	assert_int_equal(symlink("/dev/full", link), 0);
	s = sink_open(spec_of(link), err, sizeof(err));
	assert_non_null(s);
	write_recs(s, 0, 10);
	assert_int_equal(sink_flush(s), -1);
	assert_int_equal(sink_flush(s), -1);
	write_recs(s, 10, 20);
	assert_int_equal(sink_flush(s), -1);
	assert_int_equal(sink_dropped(s), 0);

	/* The disk has room again (here: the name is now a real file). */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(sink_reopen(s), 0);
	assert_int_equal(sink_flush(s), 0);
	check_file(link, "", 0, 20);
	write_recs(s, 20, 25);
	assert_int_equal(sink_flush(s), 0);
	check_file(link, "", 0, 25);
	assert_int_equal(sink_dropped(s), 0);
	sink_close(s);
}

/*
 * Past the queue bound, records are dropped and counted, and nothing
 * queued before is lost. The bound is not in the header; the test only
 * needs it to be at least 1 MiB and finite.
 */
static void test_queue_bound(void **state)
{
	const char *link = in_dir(0, "bound.json");
	char pad[1001], err[256];
	struct sink *s;
	int queued = 0;
	size_t line_len = 0;

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	assert_int_equal(symlink("/dev/full", link), 0);
	s = sink_open(spec_of(link), err, sizeof(err));
	assert_non_null(s);
	/* Fixed-size lines until the first refusal (the bound: 1 GiB at most). */
	for (;;) {
		json_t *r = json_pack("{s:s, s:s}", "pad", pad, "seq", "");
		char seq[16];

		snprintf(seq, sizeof(seq), "%09d", queued);
		json_object_set_new(r, "seq", json_string(seq));
		if (!line_len) {
			char *l = json_dumps(r, JSON_COMPACT);
			line_len = strlen(l) + 1;
			free(l);
		}
		int w = sink_write(s, r);
		json_decref(r);
		if (w)
			break;
		assert_int_equal(sink_dropped(s), 0);
		if (++queued % 4096 == 0)
			assert_int_equal(sink_flush(s), -1);
		assert_true((size_t)queued * line_len <= (1u << 30));
	}
	assert_true((size_t)queued * line_len >= (1u << 20));
	assert_int_equal(sink_dropped(s), 1);
	/* Only what is beyond the bound counts. */
	for (int i = 0; i < 9; i++) {
		json_t *r = json_pack("{s:s}", "pad", pad);
		assert_int_equal(sink_write(s, r), -1);
		json_decref(r);
	}
	assert_int_equal(sink_dropped(s), 10);

	/* Every queued line comes out, whole and in order. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(sink_reopen(s), 0);
	assert_int_equal(sink_flush(s), 0);
	size_t len;
	char *text = slurp(link, &len);
	assert_int_equal(len, (size_t)queued * line_len);
	const char *p = text;
	for (int i = 0; i < queued; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%09d", i);
		assert_int_equal(p[line_len - 1], '\n');
		if (memcmp(p + line_len - 2 - 9 - 1, want, 9))
			fail_msg("line %d is out of order", i);
		p += line_len;
	}
	free(text);
	/* The queue takes records again. */
	write_recs(s, 0, 2);
	assert_int_equal(sink_flush(s), 0);
	assert_int_equal(sink_dropped(s), 10);
	sink_close(s);
}

/* logrotate renames the file, then signals: the sink moves to the new one. */
static void test_reopen_after_rename(void **state)
{
	const char *p = in_dir(0, "rot.json"), *old = in_dir(1, "rot.json.1");
	char err[256];
	struct sink *s = sink_open(spec_of(p), err, sizeof(err));

	assert_non_null(s);
	write_recs(s, 0, 2);
	assert_int_equal(sink_flush(s), 0);
	assert_int_equal(rename(p, old), 0);
	/* Until reopened, records still go to the renamed file. */
	write_recs(s, 2, 3);
	assert_int_equal(sink_flush(s), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(sink_reopen(s), 0);
	write_recs(s, 3, 6);
	assert_int_equal(sink_flush(s), 0);
	check_file(old, "", 0, 3);
	check_file(p, "", 3, 6);

	/* Records queued before the reopen go to the new file. */
	write_recs(s, 6, 7);
	assert_int_equal(rename(p, old), 0);
	assert_int_equal(sink_reopen(s), 0);
	assert_int_equal(sink_flush(s), 0);
	check_file(p, "", 6, 7);
	sink_close(s);
}

/* If the new file cannot be opened, the sink keeps writing to the old one. */
static void test_reopen_fails(void **state)
{
	const char *sub = in_dir(0, "sub"), *sub2 = in_dir(1, "sub2");
	const char *p = in_dir(2, "sub/x.json"), *moved = in_dir(3, "sub2/x.json");
	char err[256];
	struct sink *s;

	assert_int_equal(mkdir(sub, 0700), 0);
	s = sink_open(spec_of(p), err, sizeof(err));
	assert_non_null(s);
	write_recs(s, 0, 1);
	assert_int_equal(sink_flush(s), 0);
	assert_int_equal(rename(sub, sub2), 0);
	assert_int_equal(sink_reopen(s), -1);
	write_recs(s, 1, 3);
	assert_int_equal(sink_flush(s), 0);
	check_file(moved, "", 0, 3);
	sink_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_file_appends_lines),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_full_device_keeps_records),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_reopen_after_rename),
		cmocka_unit_test(test_reopen_fails),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("sink", tests, setup, teardown);
}
