/*
 * The alert spool: record parser (torn, damaged, resync), positions,
 * append + fsync + read back across a reopen, torn tails and damaged
 * records skipped, the size bound dropping the oldest (counted).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "spool.h"
#include "spool_rec.h"
#include "sinktest.h"

static size_t make_rec(uint8_t *buf, uint64_t seq, const char *payload)
{
	size_t n = strlen(payload);

	spool_rec_header(buf, seq, payload, (uint32_t)n);
	memcpy(buf + SPOOL_REC_HDR, payload, n);
	return SPOOL_REC_HDR + n;
}

static void test_rec_parse(void **state)
{
	uint8_t buf[256];
	struct spool_rec r;
	size_t n = make_rec(buf, 42, "4{\"a\":1}");

	assert_int_equal(n, SPOOL_REC_HDR + 8);
	assert_int_equal(spool_rec_parse(buf, n, &r), SPOOL_REC_OK);
	assert_int_equal(r.seq, 42);
	assert_int_equal(r.len, 8);
	assert_int_equal(r.size, n);
	assert_memory_equal(r.payload, "4{\"a\":1}", 8);
	/* Every cut of a record is SHORT (torn), never OK. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(spool_rec_parse(buf, cut, &r), SPOOL_REC_SHORT);
	/* Every flipped byte is BAD (magic, length, seq, crc or payload). */
	for (size_t i = 0; i < n; i++) {
		buf[i] ^= 0x20;
		enum spool_parse p = spool_rec_parse(buf, n, &r);
		/* A larger length reads as a record running past the buffer. */
		if (p != SPOOL_REC_BAD && !(i >= 4 && i < 8 && p == SPOOL_REC_SHORT))
			fail_msg("byte %zu flipped: %d", i, p);
		buf[i] ^= 0x20;
	}
	/* Zero and oversized lengths are BAD, not a wait for more bytes. */
	uint8_t z[SPOOL_REC_HDR];
	spool_rec_header(z, 1, "", 0);
	assert_int_equal(spool_rec_parse(z, sizeof(z), &r), SPOOL_REC_BAD);
	memcpy(z, buf, SPOOL_REC_HDR);
	z[7] = 0x7f;
	assert_int_equal(spool_rec_parse(z, sizeof(z), &r), SPOOL_REC_BAD);
	/* Resync finds the next good record after garbage. */
	uint8_t two[300];
	memset(two, 'E', 17);
	size_t m = make_rec(two + 17, 7, "5{}");
	assert_int_equal(spool_rec_resync(two, 17 + m, 0), 17);
	assert_int_equal(spool_rec_resync(two, 17 + m - 1, 0), 17 + m - 1);
}

static void test_pos_parse(void **state)
{
	char buf[64];
	uint64_t seq = 0;
	int n = spool_pos_format(buf, sizeof(buf), 123456789012ull);

	assert_string_equal(buf, "exfild-spool-position 1 123456789012\n");
	assert_int_equal(spool_pos_parse(buf, (size_t)n, &seq), 0);
	assert_int_equal(seq, 123456789012ull);
	static const char *const bad[] = {
		"", "exfild-spool-position 1 \n", "exfild-spool-position 1 12", "exfild-spool-position 2 1\n",
		"exfild-spool-position 1 1x\n", "exfild-spool-position 1 99999999999999999999999\n",
		"exfild-spool-position 1 1\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(spool_pos_parse(bad[i], strlen(bad[i]), &seq), -1);
}

static struct spool *open_sp(uint64_t max)
{
	char err[512];
	struct spool *sp = spool_open(in_dir(0, "state"), max, err, sizeof(err));

	if (!sp)
		fail_msg("%s", err);
	return sp;
}

static void append(struct spool *sp, const char *text, uint64_t min_acked, uint64_t want_seq)
{
	uint64_t seq = 0;

	assert_int_equal(spool_append(sp, text, (uint32_t)strlen(text), min_acked, &seq), 0);
	assert_int_equal(seq, want_seq);
}

static void expect_next(struct spool *sp, uint64_t after, uint64_t want_seq, const char *want)
{
	uint64_t seq;
	char *data;
	size_t len;

	assert_int_equal(spool_next(sp, after, &seq, &data, &len), 1);
	assert_int_equal(seq, want_seq);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
}

static void test_append_reopen_positions(void **state)
{
	struct spool *sp = open_sp(1 << 20);
	char err[512];
	uint64_t seq;
	char *data;
	size_t len;

	assert_int_equal(spool_start(sp), 0);
	append(sp, "4alert one", 0, 1);
	append(sp, "4alert two", 0, 2);
	append(sp, "4alert three", 0, 3);
	/* A second process cannot take the same spool. */
	assert_null(spool_open(in_dir(0, "state"), 1 << 20, err, sizeof(err)));
	assert_non_null(strstr(err, "is in use by another exfild"));
	/* Positions: per sink; an unknown sink starts before the first alert. */
	assert_int_equal(spool_pos_load(sp, "syslog+tcp://a:1"), 0);
	assert_int_equal(spool_pos_store(sp, "syslog+tcp://a:1", 2), 0);
	assert_int_equal(spool_pos_load(sp, "syslog+tcp://a:1"), 2);
	assert_int_equal(spool_count_after(sp, 2), 1);
	spool_close(sp);

	/* After a restart (or kill -9): the same alerts, the same positions. */
	sp = open_sp(1 << 20);
	assert_int_equal(spool_pos_load(sp, "syslog+tcp://a:1"), 2);
	assert_int_equal(spool_pos_load(sp, "file:/b"), 0);
	expect_next(sp, 0, 1, "4alert one");
	expect_next(sp, 2, 3, "4alert three");
	assert_int_equal(spool_next(sp, 3, &seq, &data, &len), 0);
	/* Trimmed only when every sink has everything. */
	spool_trim(sp, 2);
	assert_int_equal(spool_count_after(sp, 0), 3);
	spool_trim(sp, 3);
	assert_int_equal(spool_count_after(sp, 0), 0);
	/* Numbers go on after an emptied spool, past every stored position. */
	append(sp, "4four", 3, 4);
	spool_close(sp);
	sp = open_sp(1 << 20);
	append(sp, "4five", 3, 5);
	expect_next(sp, 3, 4, "4four");
	assert_int_equal(spool_damaged(sp), 0);
	spool_close(sp);
}

/* Positions of sinks long gone do not pile up: with nothing spooled they go. */
static void test_positions_cleaned_when_empty(void **state)
{
	struct spool *sp = open_sp(1 << 20);
	char p[400];

	append(sp, "4one", 0, 1);
	append(sp, "4two", 0, 2);
	assert_int_equal(spool_pos_store(sp, "file:/old-a", 2), 0);
	assert_int_equal(spool_pos_store(sp, "file:/old-b", 1), 0);
	spool_close(sp);
	/* Something is spooled (b has not got "two"): both positions stay. */
	sp = open_sp(1 << 20);
	assert_int_equal(spool_pos_load(sp, "file:/old-b"), 1);
	spool_trim(sp, 2);
	spool_close(sp);
	/* Empty now: the files go, and numbering still goes on past them. */
	sp = open_sp(1 << 20);
	DIR *d = opendir(in_dir(1, "state"));
	struct dirent *e;
	int pos_files = 0;
	while ((e = readdir(d)))
		pos_files += !strncmp(e->d_name, "pos-", 4);
	closedir(d);
	assert_int_equal(pos_files, 0);
	append(sp, "4three", 0, 3);
	assert_int_equal(spool_pos_load(sp, "file:/old-a"), 2);	/* a new sink: from "three" */
	spool_close(sp);
	snprintf(p, sizeof(p), "%s", in_dir(1, "state/alerts.spool"));
	assert_int_equal(access(p, F_OK), 0);
}

/* A crash mid-append leaves a torn tail; a bad disk a damaged record. */
static void test_torn_and_damaged(void **state)
{
	struct spool *sp = open_sp(1 << 20);
	const char *path = in_dir(1, "state/alerts.spool");
	size_t len;
	int fd;

	append(sp, "4first", 0, 1);
	append(sp, "4second", 0, 2);
	append(sp, "4third", 0, 3);
	spool_close(sp);
	/* Flip a payload byte of the second record. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, (SPOOL_REC_HDR + 6) + SPOOL_REC_HDR + 2), 1);
	/* And half a fourth record at the end, as a kill -9 mid-write would. */
	uint8_t rec[64];
	size_t n = make_rec(rec, 4, "4fourth");
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pwrite(fd, rec, n - 3, st.st_size), (ssize_t)(n - 3));
	close(fd);

	sp = open_sp(1 << 20);
	assert_int_equal(spool_damaged(sp), 2);
	assert_int_equal(spool_count_after(sp, 0), 2);
	expect_next(sp, 0, 1, "4first");
	expect_next(sp, 1, 3, "4third");	/* the damaged one is never delivered */
	/* The torn tail is cut off: new alerts follow the last good one. */
	append(sp, "4fifth", 0, 4);
	spool_close(sp);
	sp = open_sp(1 << 20);
	assert_int_equal(spool_damaged(sp), 1);	/* only the damaged middle one is left */
	expect_next(sp, 3, 4, "4fifth");
	spool_close(sp);
	char *text = slurp(path, &len);
	free(text);
	assert_int_equal(len, 4 * SPOOL_REC_HDR + 6 + 7 + 6 + 6);
}

/* Full: what every sink has goes first, then the oldest undelivered, counted. */
static void test_bound(void **state)
{
	struct spool *sp = open_sp(1000);	/* 10 records of 100 bytes */
	char payload[81];
	uint64_t seq;

	memset(payload, 'a', 80);
	payload[80] = 0;
	for (uint64_t i = 1; i <= 10; i++)
		append(sp, payload, 0, i);
	assert_int_equal(spool_dropped(sp), 0);
	/* Delivered through 3: those go, nothing undelivered is dropped yet... */
	append(sp, payload, 3, 11);
	assert_int_equal(spool_dropped(sp), 0);
	assert_int_equal(spool_count_after(sp, 0), 8);
	/* ...but a quarter is freed at once, so the next ones drop the oldest. */
	for (uint64_t i = 12; i <= 14; i++)
		append(sp, payload, 3, i);
	assert_true(spool_dropped(sp) > 0);
	assert_int_equal(spool_count_after(sp, 0) + spool_dropped(sp), 14 - 3);
	/* Never more than the bound. */
	struct stat st;
	assert_int_equal(stat(in_dir(1, "state/alerts.spool"), &st), 0);
	assert_true(st.st_size <= 1000);
	/* Too big for the spool at all: refused, nothing dropped for it. */
	char big[2000];
	memset(big, 'b', sizeof(big));
	uint64_t d = spool_dropped(sp);
	assert_int_equal(spool_append(sp, big, sizeof(big), 0, &seq), -1);
	assert_int_equal(spool_dropped(sp), d);
	spool_close(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_parse),
		cmocka_unit_test(test_pos_parse),
		cmocka_unit_test_setup_teardown(test_append_reopen_positions, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_torn_and_damaged, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_positions_cleaned_when_empty, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_bound, setup_dir, teardown_dir),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
