/* user/cgroup.c: finding the cgroup v2 mount in a mounts table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup2.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char path_buf[256];

/* A mounts file with this text; removed by the caller. */
static void fake_mounts(char *path, size_t len, const char *text)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/exfild-mounts-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* cgroup2_find on a fake table: its result, and the path in path_buf. */
static int find_in(const char *text)
{
	char file[256];
	int r;

	fake_mounts(file, sizeof(file), text);
	memset(path_buf, 'x', sizeof(path_buf));
	r = cgroup2_find(file, path_buf, sizeof(path_buf));
	unlink(file);
	return r;
}

static void test_found(void **state)
{
	assert_int_equal(find_in("sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
				 "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
				 "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,"
				 "nsdelegate,memory_recursiveprot 0 0\n"
				 "tmpfs /run tmpfs rw,nosuid,nodev,size=1000k 0 0\n"), 0);
	assert_string_equal(path_buf, "/sys/fs/cgroup");

	/* The type decides, not the device name; the first one wins. */
	assert_int_equal(find_in("none /mnt/cg2 cgroup2 rw 0 0\n"
				 "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"), 0);
	assert_string_equal(path_buf, "/mnt/cg2");

	/* Hybrid hosts: cgroup v1 lines come first and do not count. */
	assert_int_equal(find_in("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
				 "cgroup /sys/fs/cgroup/cgroup2 cgroup rw,memory 0 0\n"
				 "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"), 0);
	assert_string_equal(path_buf, "/sys/fs/cgroup/unified");

	/* The kernel writes a space in a path as \040. */
	assert_int_equal(find_in("cgroup2 /mnt/my\\040cgroups cgroup2 rw 0 0\n"), 0);
	assert_string_equal(path_buf, "/mnt/my cgroups");
}

static void test_not_found(void **state)
{
	assert_int_equal(find_in("sysfs /sys sysfs rw 0 0\n"
				 "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
				 "cgroup2fs /x cgroup2fs rw 0 0\n"), -1);
	assert_string_equal(path_buf, "");
	assert_int_equal(find_in(""), -1);
	assert_string_equal(path_buf, "");
	assert_int_equal(find_in("# not a mounts line\n\n"), -1);
	assert_string_equal(path_buf, "");

	memset(path_buf, 'x', sizeof(path_buf));
	assert_int_equal(cgroup2_find("/nonexistent/mounts", path_buf, sizeof(path_buf)), -1);
	assert_string_equal(path_buf, "");
}

/* Independent reading of /proc/mounts: the first cgroup2 mount point, or "". */
static void first_cgroup2(char *out, size_t len)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[4096];

	out[0] = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[256], type[64];

		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			break;
		}
	}
	fclose(f);
}

static void test_proc_mounts(void **state)
{
	char want[256];
	int r = cgroup2_find("/proc/mounts", path_buf, sizeof(path_buf));
	struct statfs st;

	first_cgroup2(want, sizeof(want));
	if (!want[0]) {
		assert_int_equal(r, -1);
		assert_string_equal(path_buf, "");
		print_message("# no cgroup2 mounted on this host\n");
		return;
	}
	assert_int_equal(r, 0);
	if (!strchr(want, '\\'))	/* escaped names are checked in test_found */
		assert_string_equal(path_buf, want);
	assert_int_equal(statfs(path_buf, &st), 0);
	assert_int_equal(st.f_type, CGROUP2_SUPER_MAGIC);
}

/* With cgroup2 already mounted, the root fd is that mount (nothing is mounted). */
static void test_root_open(void **state)
{
	char want[256], err[256] = "";
	struct statfs st;
	int fd;

	first_cgroup2(want, sizeof(want));
	if (!want[0] || access(want, R_OK)) {
		print_message("# root_open: no readable cgroup2 mount\n");
		skip();
	}
	fd = cgroup2_root_open(err, sizeof(err));
	if (fd < 0)
		fail_msg("cgroup2_root_open: %s", err);
	assert_int_equal(fstatfs(fd, &st), 0);
	assert_int_equal(st.f_type, CGROUP2_SUPER_MAGIC);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_proc_mounts),
		cmocka_unit_test(test_root_open),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
