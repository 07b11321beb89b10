/*
 * core/log.c: one line per message, whole. Defect: lines were cut at
 * 1,024 bytes, and the "no attach tier works" error, which carries each
 * tier's reason, is about 2 KB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/exfild-test-log.XXXXXX";
static int saved = -1;

static void capture_start(void)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	dup2(fd, 2);
	close(fd);
}

/* What was logged, as a new string. */
static char *capture_end(void)
{
	FILE *f;
	char *buf = malloc(1 << 16);
	size_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
	return buf;
}

static void test_long_message_whole(void **state)
{
	char *reason = malloc(5001), *want, *got;

	assert_non_null(reason);
	memset(reason, 'r', 5000);
	reason[4999] = 'Z';
	reason[5000] = '\0';
	want = malloc(6000);
	assert_non_null(want);
	snprintf(want, 6000, "exfild: error: no attach tier works: %s; fix it\n", reason);

	capture_start();
	log_err("no attach tier works: %s; fix it", reason);
	got = capture_end();
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(reason);
}

static void test_short_and_levels(void **state)
{
	char *got;

	log_set_level(LOG_INFO);
	capture_start();
	log_warn("x=%d", 7);
	log_info("plain");
	log_debug("hidden");
	got = capture_end();
	assert_string_equal(got, "exfild: warning: x=7\nexfild: plain\n");
	free(got);
}

/* Exactly at the old buffer's edge: neither cut nor doubled. */
static void test_edge_lengths(void **state)
{
	char msg[1100], want[1200], *got;

	for (size_t len = 1000; len < 1030; len++) {
		memset(msg, 'a', len);
		msg[len] = '\0';
		snprintf(want, sizeof(want), "exfild: %s\n", msg);
		capture_start();
		log_info("%s", msg);
		got = capture_end();
		assert_string_equal(got, want);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_message_whole),
		cmocka_unit_test(test_short_and_levels),
		cmocka_unit_test(test_edge_lengths),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
