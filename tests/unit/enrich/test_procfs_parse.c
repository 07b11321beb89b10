/*
 * enrich/procfs_parse.c: the text of /proc/PID/stat, status and cmdline as
 * a process can shape it (its comm and argv are its own), as bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "procfs_parse.h"

#define TAIL " S 77 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10 " \
	     "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"

static int stat_of(const char *text, char *name, size_t namesz, uint32_t *pp, uint64_t *t)
{
	return procfs_parse_stat(text, strlen(text), name, namesz, pp, t);
}

static void test_stat(void **state)
{
	char name[64];
	uint32_t pp = 0;
	uint64_t t = 0;

	assert_int_equal(stat_of("42 (bash)" TAIL, name, sizeof(name), &pp, &t), 0);
	assert_string_equal(name, "bash");
	assert_int_equal(pp, 77);
	assert_int_equal(t, 123456);
	/* A comm with ") (" and a newline: the last ')' ends it. */
	assert_int_equal(stat_of("42 (a) (b\nc)" TAIL, name, sizeof(name), &pp, &t), 0);
	assert_string_equal(name, "a) (b\nc");
	assert_int_equal(stat_of("42 ()" TAIL, name, sizeof(name), &pp, &t), 0);
	assert_string_equal(name, "");
	/* Cut to the caller's size. */
	assert_int_equal(stat_of("42 (abcdefgh)" TAIL, name, 4, &pp, &t), 0);
	assert_string_equal(name, "abc");
	/* Broken forms. */
	assert_int_equal(stat_of("", name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 bash" TAIL, name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 )bash(" TAIL, name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 (bash) S 77 1", name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 (bash) S x 1 1 0 -1 4 1 0 0 0 1 2 0 0 20 0 1 0 9 1",
				 name, sizeof(name), &pp, &t), -1);
	/* Numbers that do not fit are refused, not wrapped. */
	assert_int_equal(stat_of("42 (bash) S 4294967296 1 1 0 -1 4 1 0 0 0 1 2 0 0 20 0 1 0 9 1",
				 name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 (bash) S 77 1 1 0 -1 4 1 0 0 0 1 2 0 0 20 0 1 0 "
				 "99999999999999999999 1", name, sizeof(name), &pp, &t), -1);
	assert_int_equal(stat_of("42 (bash) S 77x 1 1 0 -1 4 1 0 0 0 1 2 0 0 20 0 1 0 9 1",
				 name, sizeof(name), &pp, &t), -1);
	/* Only len bytes count, and no terminator is needed. */
	static const char cut[] = "42 (bash)" TAIL;
	assert_int_equal(procfs_parse_stat(cut, 20, name, sizeof(name), &pp, &t), -1);
	char big[3000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "1 (", 3);
	assert_int_equal(procfs_parse_stat(big, sizeof(big), name, sizeof(name), &pp, &t), -1);
}

static void test_ids(void **state)
{
	static const char status[] = "Name:\tbash\nUmask:\t0022\nState:\tS\nTgid:\t42\n"
				     "Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n";
	uint32_t uid = 7, gid = 8;

	procfs_parse_ids(status, strlen(status), &uid, &gid);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 100);
	uid = 7, gid = 8;
	procfs_parse_ids("Name:\tx\n", 8, &uid, &gid);
	assert_int_equal(uid, 7);
	assert_int_equal(gid, 8);
	/* A name holding "\nUid:" cannot: status escapes newlines in Name, and
	 * only the first "\nUid:" line counts. */
	procfs_parse_ids("Name:\tx\\nUid: 0\nUid:\t5\nGid:\t6\n", 31, &uid, &gid);
	assert_int_equal(uid, 5);
	assert_int_equal(gid, 6);
	/* Too big for an id: left as it was. */
	uid = 7;
	procfs_parse_ids("x\nUid:\t4294967296\n", 18, &uid, &gid);
	assert_int_equal(uid, 7);
}

static void args_of(const char *buf, size_t len, struct proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	procfs_parse_args(buf, len, pi);
}

static void test_args(void **state)
{
	struct proc_info pi;

	args_of("ls\0-l\0/tmp\0", 11, &pi);
	assert_int_equal(pi.argc, 3);
	assert_int_equal(pi.args_len, 11);
	assert_memory_equal(pi.args, "ls\0-l\0/tmp\0", 11);
	assert_false(pi.args_truncated);
	free(pi.args);

	/* No NUL at the end (a rewritten argv): the last string keeps every byte. */
	args_of("nginx: worker", 13, &pi);
	assert_int_equal(pi.argc, 1);
	assert_int_equal(pi.args_len, 14);
	assert_string_equal(pi.args, "nginx: worker");
	free(pi.args);

	args_of("\0\0", 2, &pi);
	assert_int_equal(pi.argc, 2);
	assert_int_equal(pi.args_len, 2);
	free(pi.args);

	args_of("", 0, &pi);
	assert_null(pi.args);
	assert_int_equal(pi.argc, 0);

	/* More than PROC_ARGS_MAX strings: cut there. */
	char many[200];
	for (int i = 0; i < 100; i++)
		many[2 * i] = 'a', many[2 * i + 1] = '\0';
	args_of(many, sizeof(many), &pi);
	assert_int_equal(pi.argc, PROC_ARGS_MAX);
	assert_int_equal(pi.args_len, 2 * PROC_ARGS_MAX);
	assert_true(pi.args_truncated);
	free(pi.args);

	/* More than PROC_ARGS_BYTES: cut there, still terminated. */
	char *big = malloc(PROC_ARGS_BYTES + 2);
	assert_non_null(big);
	memset(big, 'b', PROC_ARGS_BYTES + 2);
	args_of(big, PROC_ARGS_BYTES + 2, &pi);
	assert_int_equal(pi.argc, 1);
	assert_int_equal(pi.args_len, PROC_ARGS_BYTES);
	assert_int_equal(strlen(pi.args), PROC_ARGS_BYTES - 1);
	assert_true(pi.args_truncated);
	free(pi.args);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_args),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("procfs_parse", tests, NULL, NULL);
}
