/*
 * sink/fsafe.c fsafe_dir: a state directory (the spool, the baseline) is
 * refused when someone other than root could replace it: the directory
 * itself, or any directory above it, writable by others (issue 11).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsafe.h"

static char base[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/exfild-fsafe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(base) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_state_dir_above_writable(void **state)
{
	char open_dir[300], dir[400], err[1024] = "", want[1400];
	struct stat st;

	snprintf(open_dir, sizeof(open_dir), "%s/shared", base);
	snprintf(dir, sizeof(dir), "%s/state", open_dir);
	assert_int_equal(mkdir(open_dir, 0755), 0);
	/* Fine while only root can write above it; created 0700. */
	assert_int_equal(fsafe_dir(dir, err, sizeof(err)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* Someone else could rename it away and put their own in its place. */
	assert_int_equal(chmod(open_dir, 0777), 0);
	assert_int_equal(fsafe_dir(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: directory %s is writable by others (mode 0777): "
		 "run chmod go-w %s", dir, open_dir, open_dir);
	assert_string_equal(err, want);

	/* A sticky one (like /tmp) keeps them from it. */
	assert_int_equal(chmod(open_dir, 01777), 0);
	assert_int_equal(fsafe_dir(dir, err, sizeof(err)), 0);
	assert_int_equal(chmod(open_dir, 0755), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_dir_above_writable),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("fsafe", tests, setup, teardown);
}
