/*
 * user/procfs.c, through the process table, with real processes: deleted
 * and memfd binaries, binaries others could have replaced, hostile and
 * oversized command lines. Runs as root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exehash.h"
#include "json.h"
#include "proc.h"
#include "proctest.h"
#include "testutil.h"

static char sleep_sha[65];
static const char *const files[] = { "mysleep", "gwsleep", "q\"\n\xfe", "ctr/csleep", "ctr",
				     "host" };

/* Copy /bin/sleep away, run it, delete it: flagged, path clean, hash right. */
static void test_deleted_binary(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	struct proc_table *pt = proc_table_new(64, eh);
	char bin[300], *argv[] = { "mysleep", "30", NULL };
	int hold;
	pid_t pid;
	const struct proc_info *pi;
	json_t *r;

	in_dir(bin, sizeof(bin), "mysleep");
	assert_int_equal(copy_file("/bin/sleep", bin, 0755), 0);
	pid = spawn(bin, -1, argv, &hold);
	assert_int_equal(unlink(bin), 0);
	pi = proc_table_get(pt, (uint32_t)pid);
	assert_non_null(pi);
	assert_true(pi->exe_deleted);
	assert_false(pi->fileless);
	assert_false(pi->exe_writable_by_others);	/* root's 0755 file in a 0700 dir */
	exehash_pump(eh, UINT64_MAX);
	r = record(pi);
	assert_string_equal(str_at(r, "process.executable"), bin);
	assert_true(json_is_true(at(r, "exfild.process.executable_deleted")));
	assert_true(json_is_false(at(r, "exfild.process.fileless")));
	assert_string_equal(str_at(r, "process.hash.sha256"), sleep_sha);
	assert_string_equal(str_at(r, "exfild.process.hash_status"), "ok");
	json_decref(r);
	stop(pid, hold);
	proc_table_free(pt);
	exehash_free(eh);
}

/* A group-writable binary is one another user could have replaced. */
static void test_writable_by_others(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char bin[300], *argv[] = { "gwsleep", "30", NULL };
	int hold;
	pid_t pid;
	json_t *r;

	in_dir(bin, sizeof(bin), "gwsleep");
	assert_int_equal(copy_file("/bin/sleep", bin, 0755), 0);
	assert_int_equal(chmod(bin, 0775), 0);
	pid = spawn(bin, -1, argv, &hold);
	r = record(proc_table_get(pt, (uint32_t)pid));
	assert_true(json_is_true(at(r, "exfild.process.executable_writable_by_others")));
	assert_true(json_is_false(at(r, "exfild.process.executable_deleted")));
	json_decref(r);
	stop(pid, hold);
	unlink(bin);
	proc_table_free(pt);
}

/*
 * Run dir/host/NAME in a mount namespace of its own where dir/ctr (mode
 * 0777) is bind-mounted over dir/host (0755 for the agent), as a container
 * sees its own /usr/bin. Returns the pid once exec'd, or -1 if this host
 * cannot make the namespace (not root).
 */
static pid_t spawn_in_mount_ns(const char *name, int *hold)
{
	char host[300], ctr[300], bin[400];
	int sync[2], in[2];
	char c;
	ssize_t n;
	pid_t pid;

	in_dir(host, sizeof(host), "host");
	in_dir(ctr, sizeof(ctr), "ctr");
	snprintf(bin, sizeof(bin), "%s/%s", host, name);
	if (pipe2(sync, O_CLOEXEC) || pipe2(in, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)name, "30", NULL };

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(ctr, host, NULL, MS_BIND, NULL)) {
			c = 'x';
			(void)!write(sync[1], &c, 1);
			_exit(127);
		}
		dup2(in[0], 0);
		execv(bin, argv);
		_exit(127);
	}
	close(sync[1]);
	close(in[0]);
	while ((n = read(sync[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(sync[0]);
	if (n != 0) {
		close(in[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*hold = in[1];
	kids[0] = pid;
	return pid;
}

/*
 * Defect: the executable's directory was judged by its path in the agent's
 * mount namespace. A container's own world-writable directory must count
 * (and the agent's directory of the same name must not).
 */
static void test_writable_dir_in_container(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char host[300], ctr[300], bin[400];
	const struct proc_info *pi;
	int hold = -1;
	pid_t pid;

	in_dir(host, sizeof(host), "host");
	in_dir(ctr, sizeof(ctr), "ctr");
	assert_int_equal(mkdir(host, 0755), 0);
	assert_int_equal(mkdir(ctr, 0755), 0);
	assert_int_equal(chmod(ctr, 0777), 0);	/* the container's dir: anyone may write */
	snprintf(bin, sizeof(bin), "%s/csleep", ctr);
	assert_int_equal(copy_file("/bin/sleep", bin, 0755), 0);
	pid = spawn_in_mount_ns("csleep", &hold);
	if (pid < 0) {
		proc_table_free(pt);
		skip();
	}
	pi = proc_table_get(pt, (uint32_t)pid);
	assert_non_null(pi);
	snprintf(bin, sizeof(bin), "%s/csleep", host);
	assert_string_equal(pi->executable, bin);	/* the container's view of the path */
	assert_true(pi->facts_known);
	assert_false(pi->exe_deleted);
	assert_true(pi->exe_writable_by_others);
	stop(pid, hold);
	proc_table_free(pt);
}

/* memfd_create + fexecve: no file on disk at all, still hashed. */
static void test_memfd_binary(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	struct proc_table *pt = proc_table_new(64, eh);
	char *argv[] = { "ghost", "30", NULL };
	int fd = memfd_create("exfild-test", 0), in = open("/bin/sleep", O_RDONLY), hold;
	pid_t pid;
	const struct proc_info *pi;
	json_t *r;

	assert_true(fd >= 0 && in >= 0);
	assert_int_equal(copy_fd(in, fd), 0);
	close(in);
	pid = spawn(NULL, fd, argv, &hold);
	close(fd);
	pi = proc_table_get(pt, (uint32_t)pid);
	assert_non_null(pi);
	exehash_pump(eh, UINT64_MAX);
	r = record(pi);
	assert_true(json_is_true(at(r, "exfild.process.fileless")));
	assert_true(json_is_true(at(r, "exfild.process.executable_deleted")));
	assert_true(json_is_true(at(r, "exfild.process.executable_writable_by_others")));
	assert_memory_equal(str_at(r, "process.executable"), "/memfd:exfild-test", 18);
	assert_string_equal(str_at(r, "process.hash.sha256"), sleep_sha);
	json_decref(r);
	stop(pid, hold);
	proc_table_free(pt);
	exehash_free(eh);
}

/* Quotes, backslash, newline, \x01 and invalid UTF-8 in argv and in the name. */
static void test_hostile_command_line(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char link[300], *argv[] = { "sh", "-c", "read x", "a\"b\\c\nd\x01" "e\xff\xc0\xafz", NULL };
	int hold;
	pid_t pid;
	json_t *r, *args;

	/* exec through a symlink with a hostile name: comm becomes that name */
	in_dir(link, sizeof(link), "q\"\n\xfe");
	assert_int_equal(symlink("/bin/sh", link), 0);
	pid = spawn(link, -1, argv, &hold);
	r = record(proc_table_get(pt, (uint32_t)pid));
	assert_string_equal(str_at(r, "process.name"), "q\"\n\\xfe");
	args = at(r, "process.args");
	assert_int_equal(json_array_size(args), 4);
	assert_string_equal(json_string_value(json_array_get(args, 3)),
			    "a\"b\\c\nd\x01" "e\\xff\\xc0\\xafz");
	assert_string_equal(str_at(r, "process.command_line"),
			    "sh -c read x a\"b\\c\nd\x01" "e\\xff\\xc0\\xafz");
	json_decref(r);
	stop(pid, hold);
	unlink(link);
	proc_table_free(pt);
}

static void test_args_truncated(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char *argv[120], big[6000];
	int hold;
	pid_t pid;
	json_t *r;

	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = "read x";
	for (int i = 3; i < 119; i++)
		argv[i] = "arg";
	argv[119] = NULL;
	pid = spawn("/bin/sh", -1, argv, &hold);
	r = record(proc_table_get(pt, (uint32_t)pid));
	assert_int_equal(json_array_size(at(r, "process.args")), PROC_ARGS_MAX);
	assert_true(json_is_true(at(r, "exfild.process.args_truncated")));
	json_decref(r);
	stop(pid, hold);

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	argv[3] = big;
	argv[4] = NULL;
	pid = spawn("/bin/sh", -1, argv, &hold);
	r = record(proc_table_get(pt, (uint32_t)pid));
	assert_true(json_is_true(at(r, "exfild.process.args_truncated")));
	assert_int_equal(strlen(str_at(r, "process.command_line")), PROC_ARGS_BYTES - 1);
	json_decref(r);
	stop(pid, hold);
	proc_table_free(pt);
}

static int setup(void **state)
{
	if (make_test_dir("procfs"))
		return -1;
	return sha256sum("/bin/sleep", sleep_sha);
}

static int teardown(void **state)
{
	return remove_test_dir(files, sizeof(files) / sizeof(files[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deleted_binary),
		cmocka_unit_test(test_writable_by_others),
		cmocka_unit_test(test_writable_dir_in_container),
		cmocka_unit_test(test_memfd_binary),
		cmocka_unit_test(test_hostile_command_line),
		cmocka_unit_test(test_args_truncated),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("procfs", tests, setup, teardown);
}
