/*
 * user/container.c: container ids from cgroup paths, and end to end through
 * the process table: a process in a docker-style cgroup, live and gone.
 * Runs as root (creates a cgroup).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "json.h"
#include "proc.h"
#include "proctest.h"
#include "../../common/cgroup_wait.h"

static char cgdir[700];	/* left for teardown when an assertion jumps out */

#define EMPTY_WAIT_MS 30000	/* bound on a cgroup emptying after the reap */

static void test_container_patterns(void **state)
{
#define H "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	/* Parenthesised: each element is one concatenated literal. */
	static const char *const yes[] = {
		("/system.slice/docker-" H ".scope"),
		("/docker/" H),
		("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1_2.slice/"
		 "cri-containerd-" H ".scope"),
		("/kubepods/besteffort/pod0a1b2c3d-0000-1111-2222-333344445555/" H),
		("/machine.slice/libpod-" H ".scope/container"),
		("/kubepods.slice/crio-" H ".scope"),
		("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" H ".scope"),
	};
	static const char *const no[] = {
		"/",
		"/user.slice/user-0.slice/session-3.scope",
		("/machine.slice/libpod-conmon-" H ".scope"),	/* the monitor, not the container */
		("/docker/" H "0"),				/* 65 digits */
		("/docker/x" H),
		"/process_api/e79dd2f9ed0aaa03378ed1f0d92a4e9a",	/* 32 digits */
		"/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	};
	char out[65];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		out[0] = '\0';
		assert_true(container_id_from_path(yes[i], strlen(yes[i]), out));
		assert_string_equal(out, H);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(container_id_from_path(no[i], strlen(no[i]), out));
#undef H
}

static int cgroup2_mount(char *out, size_t n)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[1024], mnt[512], type[64];
	int r = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %511s %63s", mnt, type) == 2 && !strcmp(type, "cgroup2")) {
			snprintf(out, n, "%s", mnt);
			r = 0;
			break;
		}
	if (f)
		fclose(f);
	return r;
}

/* A docker-style child cgroup names the container; the id resolves back too. */
static void test_container_cgroup(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct proc_table *pt = proc_table_new(64, NULL);
	char mnt[512], *cg = cgdir, procs[800], buf[32], *argv[] = { "cat", NULL };
	struct stat st;
	int hold, fd;
	pid_t pid;
	json_t *r;

	if (cgroup2_mount(mnt, sizeof(mnt))) {
		proc_table_free(pt);
		skip();
	}
	snprintf(cg, sizeof(cgdir), "%s/docker-%s.scope", mnt, id);
	assert_int_equal(mkdir(cg, 0755), 0);
	assert_int_equal(stat(cg, &st), 0);
	pid = spawn("/bin/cat", -1, argv, &hold);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY);
	assert_true(fd >= 0);
	snprintf(buf, sizeof(buf), "%d", pid);
	assert_int_equal(write(fd, buf, strlen(buf)), (ssize_t)strlen(buf));
	close(fd);

	r = record(proc_table_get(pt, (uint32_t)pid));
	assert_string_equal(str_at(r, "container.id"), id);
	assert_int_equal(json_integer_value(at(r, "exfild.cgroup_id")), st.st_ino);
	json_decref(r);

	/* The process is gone at exec time: the event's cgroup id still finds it. */
	struct proc_event ev = event(PROC_EV_EXEC, pid, "ghost", "/bin/ghost");
	ev.pid = free_pid();
	ev.cgroup_id = st.st_ino;
	proc_table_on_exec(pt, &ev);
	r = record(proc_table_get(pt, ev.pid));
	assert_string_equal(str_at(r, "exfild.process.context_source"), "event");
	assert_string_equal(str_at(r, "container.id"), id);
	json_decref(r);

	stop(pid, hold);
	assert_int_equal(rmdir_when_empty(cg, EMPTY_WAIT_MS), 0);
	assert_int_equal(access(cg, F_OK), -1);
	cgdir[0] = '\0';
	proc_table_free(pt);
}

static int teardown(void **state)
{
	kill_kids();
	if (cgdir[0])
		rmdir_when_empty(cgdir, EMPTY_WAIT_MS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_patterns),
		cmocka_unit_test(test_container_cgroup),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("container", tests, NULL, teardown);
}
