/*
 * user/exehash.c: hashes equal sha256sum, arrive in budgeted steps, are
 * cached per file and survive the process exiting. Runs as root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exehash.h"
#include "testutil.h"

static char dir[256], bin[300], want[65];
static off_t bin_size;


/* Run bin with "sleep 30"; returns once the exec has happened. */
static pid_t spawn(void)
{
	int sync[2];
	char c;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		execl(bin, "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	/* EOF: the close-on-exec write end went away with a successful exec. */
	while (read(sync[0], &c, 1) < 0 && errno == EINTR)
		;
	close(sync[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int setup(void **state)
{
	struct stat st;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(dir, sizeof(dir), "%s/exfild-exehash-XXXXXX", tmp);
	if (!mkdtemp(dir))
		return -1;
	snprintf(bin, sizeof(bin), "%s/sleep", dir);
	if (copy_file("/bin/sleep", bin, 0755) || stat(bin, &st) || sha256sum(bin, want))
		return -1;
	bin_size = st.st_size;
	return 0;
}

static int teardown(void **state)
{
	unlink(bin);
	return rmdir(dir);
}

static void test_budgeted_progress(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	pid_t pid = spawn();
	struct exehash_entry *e = exehash_get(eh, -1, (uint32_t)pid);
	struct exehash_stats st;
	uint64_t total = 0, n;
	int calls = 0;

	assert_non_null(e);
	assert_int_equal(exehash_state(e), EXEHASH_PENDING);
	assert_null(exehash_hex(e));
	assert_int_equal(exehash_pump(eh, 0), 0);
	while (exehash_state(e) == EXEHASH_PENDING) {
		n = exehash_pump(eh, 4096);
		assert_true(n <= 4096);
		total += n;
		calls++;
		assert_true(calls < 100000);
	}
	assert_int_equal(exehash_state(e), EXEHASH_OK);
	assert_int_equal(total, (uint64_t)bin_size);
	assert_true(calls >= (int)(bin_size / 4096));
	assert_string_equal(exehash_hex(e), want);
	exehash_get_stats(eh, &st);
	assert_int_equal(st.hashed_files, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.open_fds, 0);
	exehash_put(e);
	reap(pid);
	exehash_free(eh);
}

/* A busy binary is hashed once: later processes share the entry. */
static void test_cached_once(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	pid_t a = spawn(), b = spawn();
	struct exehash_entry *ea = exehash_get(eh, -1, (uint32_t)a);
	struct exehash_entry *eb = exehash_get(eh, -1, (uint32_t)b);
	struct exehash_stats st;

	assert_ptr_equal(ea, eb);
	exehash_pump(eh, UINT64_MAX);
	assert_string_equal(exehash_hex(eb), want);
	exehash_put(ea);
	exehash_put(eb);
	/* Unreferenced results stay cached for the next process. */
	ea = exehash_get(eh, -1, (uint32_t)a);
	assert_int_equal(exehash_state(ea), EXEHASH_OK);
	exehash_get_stats(eh, &st);
	assert_int_equal(st.hashed_files, 1);
	assert_int_equal(st.hashed_bytes, (uint64_t)bin_size);
	assert_int_equal(st.entries, 1);
	exehash_put(ea);
	reap(a);
	reap(b);
	exehash_free(eh);
}

/* The fd taken at get time still reads the file after the process is gone. */
static void test_exit_while_pending(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	pid_t pid = spawn();
	struct exehash_entry *e = exehash_get(eh, -1, (uint32_t)pid);

	exehash_pump(eh, 8192);
	reap(pid);
	exehash_pump(eh, UINT64_MAX);
	assert_int_equal(exehash_state(e), EXEHASH_OK);
	assert_string_equal(exehash_hex(e), want);
	exehash_put(e);
	exehash_free(eh);
}

/* No fd budget: the file is opened when its turn comes, if still there. */
static void test_deferred_open(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 0);
	pid_t pid = spawn();
	struct exehash_entry *e = exehash_get(eh, -1, (uint32_t)pid);
	struct exehash_stats st;

	exehash_get_stats(eh, &st);
	assert_int_equal(st.open_fds, 0);
	assert_int_equal(exehash_state(e), EXEHASH_PENDING);
	exehash_pump(eh, UINT64_MAX);
	assert_string_equal(exehash_hex(e), want);
	exehash_put(e);
	exehash_free(eh);

	eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 0);
	e = exehash_get(eh, -1, (uint32_t)pid);
	exehash_pump(eh, 0);	/* opening happens in the pump */
	reap(pid);
	exehash_pump(eh, UINT64_MAX);
	assert_int_equal(exehash_state(e), EXEHASH_SKIPPED);
	assert_string_equal(exehash_reason(e), "open_failed");
	exehash_put(e);
	exehash_free(eh);
}

static void test_too_large(void **state)
{
	struct exehash *eh = exehash_new(1000, 16, 8);
	pid_t pid = spawn();
	struct exehash_entry *e = exehash_get(eh, -1, (uint32_t)pid);

	assert_int_equal(exehash_state(e), EXEHASH_SKIPPED);
	assert_string_equal(exehash_reason(e), "too_large");
	assert_null(exehash_hex(e));
	assert_int_equal(exehash_pump(eh, UINT64_MAX), 0);
	exehash_put(e);
	reap(pid);
	exehash_free(eh);
}

/* Nobody needs a pending hash any more: it is dropped, fd closed. */
static void test_abandon_and_evict(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 1, 8);
	pid_t pid = spawn();
	struct exehash_entry *e = exehash_get(eh, -1, (uint32_t)pid);
	struct exehash_stats st;

	exehash_put(e);
	exehash_get_stats(eh, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.open_fds, 0);

	/* A finished, unused entry makes room when the cache is full. */
	e = exehash_get(eh, -1, (uint32_t)pid);
	exehash_pump(eh, UINT64_MAX);
	exehash_put(e);
	e = exehash_get(eh, -1, (uint32_t)getpid());
	exehash_get_stats(eh, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.evicted, 1);
	exehash_put(e);
	assert_null(exehash_get(eh, -1, 0x7ffffff0));	/* no such process */
	reap(pid);
	exehash_free(eh);
}

/*
 * The cache is keyed by (device, inode, size, mtime): the same file
 * rewritten in place with the same size but a new mtime is hashed again,
 * and the old result is not served for it.
 */
static void test_changed_binary(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	pid_t a = spawn(), b;
	struct exehash_entry *ea = exehash_get(eh, -1, (uint32_t)a), *eb;
	struct timespec t[2] = { { 0, UTIME_OMIT } };
	struct stat st0, st1;
	char changed[65];
	unsigned char c;
	int fd;

	exehash_pump(eh, UINT64_MAX);
	assert_string_equal(exehash_hex(ea), want);
	reap(a);
	/* Flip the file's last byte (section headers: exec does not read them). */
	assert_int_equal(stat(bin, &st0), 0);
	fd = open(bin, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, st0.st_size - 1), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, st0.st_size - 1), 1);
	t[1].tv_sec = st0.st_mtim.tv_sec + 10;
	t[1].tv_nsec = 0;
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
	assert_int_equal(stat(bin, &st1), 0);
	assert_int_equal(st1.st_ino, st0.st_ino);
	assert_int_equal(st1.st_size, st0.st_size);
	assert_int_equal(sha256sum(bin, changed), 0);
	assert_string_not_equal(changed, want);

	b = spawn();
	eb = exehash_get(eh, -1, (uint32_t)b);
	assert_non_null(eb);
	assert_ptr_not_equal(eb, ea);
	assert_int_equal(exehash_state(eb), EXEHASH_PENDING);
	exehash_pump(eh, UINT64_MAX);
	assert_string_equal(exehash_hex(eb), changed);
	exehash_put(ea);
	exehash_put(eb);
	reap(b);
	exehash_free(eh);
	/* Back as it was, for any test that runs after this one. */
	fd = open(bin, O_RDWR);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, st0.st_size - 1), 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budgeted_progress),
		cmocka_unit_test(test_cached_once),
		cmocka_unit_test(test_exit_while_pending),
		cmocka_unit_test(test_deferred_open),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_abandon_and_evict),
		cmocka_unit_test(test_changed_binary),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("exehash", tests, setup, teardown);
}
