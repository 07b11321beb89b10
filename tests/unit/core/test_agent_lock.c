/*
 * core/agent_lock.c: one agent per pin path (issue 7, defect 5). A second
 * taker (another process, or this one) is refused with the holder's pid; other pin paths have their own lock; a lock dies with
 * its holder.
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
#include <sys/wait.h>
#include <unistd.h>

#include "agent_lock.h"

static char base[256], dir[300];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/exfild-lock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base))
		return -1;
	snprintf(dir, sizeof(dir), "%s/run", base);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* agent_lock_take in a child process: its exit status 0 if it got the lock;
 * what it said goes to msg. */
static int take_in_child(const char *pin, char *msg, size_t len)
{
	int p[2], st;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[1024] = "";
		int fd = agent_lock_take(dir, pin, err, sizeof(err));

		(void)!write(p[1], err, strlen(err));
		_exit(fd < 0 ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_paths(void **state)
{
	char a[512], b[512], c[512];

	assert_int_equal(agent_lock_path("/run/exfild", AGENT_DEFAULT_PIN, a, sizeof(a)), 0);
	assert_string_equal(a, "/run/exfild/exfild.lock");
	assert_int_equal(agent_lock_path("/run/exfild", "/sys/fs/bpf/exfild-1", b, sizeof(b)), 0);
	assert_int_equal(agent_lock_path("/run/exfild", "/sys/fs/bpf/exfild-2", c, sizeof(c)), 0);
	assert_int_equal(strncmp(b, "/run/exfild/exfild-", 19), 0);
	assert_int_equal(strlen(b), strlen("/run/exfild/exfild-") + 16 + strlen(".lock"));
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, b);
	/* Stable: the same pin path always has the same lock. */
	assert_int_equal(agent_lock_path("/run/exfild", "/sys/fs/bpf/exfild-1", c, sizeof(c)), 0);
	assert_string_equal(b, c);
	assert_int_equal(agent_lock_path("/run/exfild", AGENT_DEFAULT_PIN, a, 10), -1);
}

static void test_second_taker_refused(void **state)
{
	char err[1024] = "", msg[1024], want[1024], path[512], text[32];
	struct stat st;
	int fd, n, pfd;

	fd = agent_lock_take(dir, "/sys/fs/bpf/one", err, sizeof(err));
	if (fd < 0)
		fail_msg("first take failed: %s", err);
	/* The directory 0700, the lock 0600 with our pid in it. */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(agent_lock_path(dir, "/sys/fs/bpf/one", path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	pfd = open(path, O_RDONLY);
	assert_true(pfd >= 0);
	n = (int)read(pfd, text, sizeof(text) - 1);
	close(pfd);
	assert_true(n > 0);
	text[n] = 0;
	assert_int_equal(atol(text), (long)getpid());

	/* Another process on the same pins: refused, naming us. */
	assert_int_equal(take_in_child("/sys/fs/bpf/one", msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want), "another exfild agent (pid %ld) is running with pin path "
		 "/sys/fs/bpf/one (lock %s): stop it first, or give this one its own --pin-path",
		 (long)getpid(), path);
	assert_string_equal(msg, want);
	/* In this process too, and reading the lock file does not drop it. */
	assert_int_equal(agent_lock_take(dir, "/sys/fs/bpf/one", msg, sizeof(msg)), -1);
	assert_string_equal(msg, want);
	/* Its own pins: fine, side by side. */
	assert_int_equal(take_in_child("/sys/fs/bpf/two", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");

	/* The holder gone (close is what its exit does): the next one takes it. */
	close(fd);
	assert_int_equal(take_in_child("/sys/fs/bpf/one", msg, sizeof(msg)), 0);
}

static void test_bad_dir(void **state)
{
	char err[1024] = "", file[400];
	int fd;

	snprintf(file, sizeof(file), "%s/file", base);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(file, sizeof(file), "%s/file/sub", base);
	assert_int_equal(agent_lock_take(file, "/sys/fs/bpf/x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
	assert_non_null(strstr(err, "Not a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_second_taker_refused),
		cmocka_unit_test(test_bad_dir),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("agent_lock", tests, setup, teardown);
}
