/*
 * user/proc.c with real processes: context kept after exit, deleted and
 * memfd binaries, hostile command lines, containers by cgroup, pid reuse
 * and the executable hash. Runs as root (cgroups, /proc of others).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"
#include "json.h"
#include "proc.h"
#include "testutil.h"

extern char **environ;

static char dir[256], sleep_sha[65], cgdir[700];
static long ns_per_tick;
/* Left for teardown when an assertion jumps out of a test. */
static pid_t kids[16];
static const char *const files[] = { "mysleep", "gwsleep", "hsleep", "q\"\n\xfe" };

/* ---- helpers ------------------------------------------------------------ */


static void in_dir(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/*
 * Start a program (by path, or from memfd when path is NULL) with stdin
 * on a pipe; *hold gets the write end: closing it makes cat/sh exit.
 * Returns once the exec has happened.
 */
static pid_t spawn(const char *path, int memfd, char *const argv[], int *hold)
{
	int sync[2], in[2];
	char c;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) || pipe2(in, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		if (path)
			execv(path, argv);
		else
			fexecve(memfd, argv, environ);
		_exit(127);
	}
	close(sync[1]);
	close(in[0]);
	/* EOF: the close-on-exec write end went away with a successful exec. */
	while (read(sync[0], &c, 1) < 0 && errno == EINTR)
		;
	close(sync[0]);
	*hold = in[1];
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (!kids[i]) {
			kids[i] = pid;
			break;
		}
	return pid;
}

static void stop(pid_t pid, int hold)
{
	close(hold);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t start_ticks(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		char *r = strrchr(buf, ')');
		/* field 22, counted from field 3 just after the comm */
		if (r)
			sscanf(r + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			       "%*s %*s %*s %*s %*s %llu", &t);
	}
	fclose(f);
	return t;
}

/*
 * The event the kernel would send. The sub-tick remainder stands in for
 * the kernel's nanosecond start time, which /proc rounds to ticks.
 */
static struct task_event event(uint32_t kind, pid_t pid, const char *comm, const char *file)
{
	struct task_event ev = { .kind = kind, .pid = (uint32_t)pid, .ppid = (uint32_t)getpid() };

	ev.ts_ns = mono_ns();
	ev.start_ns = start_ticks(pid) * (uint64_t)ns_per_tick + 3456789;
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	if (file)
		snprintf(ev.filename, sizeof(ev.filename), "%s", file);
	return ev;
}

/* A pid that no process has now. */
static uint32_t free_pid(void)
{
	char path[64];

	for (uint32_t pid = 4000000; pid > 300000; pid -= 7919) {
		snprintf(path, sizeof(path), "/proc/%u", pid);
		if (access(path, F_OK))
			return pid;
	}
	return 0;
}

/* proc_to_json, printed by json_line and parsed back: it must round-trip. */
static json_t *record(const struct proc_info *pi)
{
	json_t *root = json_object(), *back;
	char *line;

	proc_to_json(pi, root);
	line = json_line(root);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	back = json_loads(line, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(root, back));
	free(line);
	json_decref(root);
	return back;
}

/* root["a"]["b"]... for "a.b" */
static json_t *at(json_t *root, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && root; k = strtok_r(NULL, ".", &save))
		root = json_object_get(root, k);
	return root;
}

static const char *str_at(json_t *root, const char *path)
{
	return json_string_value(at(root, path));
}

static void real_path(const char *p, char out[PATH_MAX])
{
	assert_non_null(realpath(p, out));
}

/* ---- tests -------------------------------------------------------------- */

/* Context captured at exec time outlives the process until gc. */
static void test_exited_before_lookup(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char *argv[] = { "cat", "-u", NULL }, cat[PATH_MAX];
	int hold;
	pid_t pid = spawn("/bin/cat", -1, argv, &hold);
	struct task_event ev = event(PROC_EXEC, pid, "cat", "/bin/cat");
	const struct proc_info *pi;
	json_t *r;

	real_path("/bin/cat", cat);
	proc_table_on_exec(pt, &ev);
	close(hold);
	waitpid(pid, NULL, 0);
	ev.kind = PROC_EXIT;
	ev.ts_ns = mono_ns();
	proc_table_on_exit(pt, &ev);

	pi = proc_table_get(pt, (uint32_t)pid);
	assert_non_null(pi);
	assert_true(pi->exited);
	assert_int_equal(pi->source, PROC_SRC_EXEC);
	r = record(pi);
	assert_int_equal(json_integer_value(at(r, "process.pid")), pid);
	assert_string_equal(str_at(r, "process.name"), "cat");
	assert_string_equal(str_at(r, "process.executable"), cat);
	assert_string_equal(str_at(r, "process.command_line"), "cat -u");
	assert_int_equal(json_array_size(at(r, "process.args")), 2);
	assert_string_equal(json_string_value(json_array_get(at(r, "process.args"), 1)), "-u");
	assert_int_equal(json_integer_value(at(r, "process.parent.pid")), getpid());
	assert_non_null(str_at(r, "process.parent.name"));
	assert_non_null(str_at(r, "process.parent.executable"));
	assert_non_null(str_at(r, "process.start"));
	assert_int_equal(strlen(str_at(r, "process.entity_id")), 32);
	assert_non_null(str_at(r, "process.working_directory"));
	assert_string_equal(str_at(r, "user.id"), "0");
	assert_string_equal(str_at(r, "user.name"), "root");
	assert_string_equal(str_at(r, "group.id"), "0");
	assert_true(json_is_true(at(r, "exfild.process.exited")));
	assert_string_equal(str_at(r, "exfild.process.hash_status"), "skipped");
	assert_string_equal(str_at(r, "exfild.process.hash_reason"), "disabled");
	json_decref(r);

	/* The flow's own (send-time) user.id and cgroup id are kept. */
	r = json_object();
	json_set_path(r, "user.id", json_string("33"));
	json_set_path(r, "exfild.cgroup_id", json_integer(77));
	proc_to_json(pi, r);
	assert_string_equal(str_at(r, "user.id"), "33");
	assert_null(at(r, "user.name"));
	assert_int_equal(json_integer_value(at(r, "exfild.cgroup_id")), 77);
	assert_string_equal(str_at(r, "process.name"), "cat");
	json_decref(r);
	char name[64];
	assert_true(proc_table_user_name(pt, 0, name, sizeof(name)));
	assert_string_equal(name, "root");
	assert_false(proc_table_user_name(pt, 0x7ffffff0, name, sizeof(name)));

	/* The drain that wrote its last flow started before the exit: keep it. */
	proc_table_gc(pt, ev.ts_ns);
	assert_non_null(proc_table_get(pt, (uint32_t)pid));
	proc_table_gc(pt, ev.ts_ns + 1);
	assert_null(proc_table_get(pt, (uint32_t)pid));	/* reaped: /proc has nothing */
	proc_table_free(pt);
}

/* Entity id and start time agree whether built from the event or /proc. */
static void test_entity_id_sources_agree(void **state)
{
	struct proc_table *a = proc_table_new(64, NULL), *b = proc_table_new(64, NULL);
	char *argv[] = { "cat", NULL };
	int hold;
	pid_t pid = spawn("/bin/cat", -1, argv, &hold);
	struct task_event ev = event(PROC_EXEC, pid, "cat", "/bin/cat");
	const struct proc_info *pa, *pb;
	json_t *ra, *rb;

	pa = proc_table_get(a, (uint32_t)pid);
	assert_int_equal(pa->source, PROC_SRC_LOOKUP);
	proc_table_on_exec(b, &ev);
	pb = proc_table_get(b, (uint32_t)pid);
	assert_int_equal(pb->source, PROC_SRC_EXEC);
	ra = record(pa);
	rb = record(pb);
	assert_string_equal(str_at(ra, "process.entity_id"), str_at(rb, "process.entity_id"));
	assert_string_equal(str_at(ra, "process.start"), str_at(rb, "process.start"));
	assert_string_equal(str_at(ra, "process.parent.entity_id"),
			    str_at(rb, "process.parent.entity_id"));
	json_decref(ra);
	json_decref(rb);
	stop(pid, hold);
	proc_table_free(a);
	proc_table_free(b);
}

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
	struct task_event ev = event(PROC_EXEC, pid, "ghost", "/bin/ghost");
	ev.pid = free_pid();
	ev.cgroup_id = st.st_ino;
	proc_table_on_exec(pt, &ev);
	r = record(proc_table_get(pt, ev.pid));
	assert_string_equal(str_at(r, "exfild.process.context_source"), "event");
	assert_string_equal(str_at(r, "container.id"), id);
	json_decref(r);

	stop(pid, hold);
	/* The cgroup empties asynchronously after the reap. */
	for (int i = 0; i < 100 && rmdir(cg) && errno == EBUSY; i++)
		usleep(10000);
	assert_int_equal(access(cg, F_OK), -1);
	cgdir[0] = '\0';
	proc_table_free(pt);
}

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
		assert_true(proc_container_id(yes[i], strlen(yes[i]), out));
		assert_string_equal(out, H);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(proc_container_id(no[i], strlen(no[i]), out));
#undef H
}

/* One pid, two start times: two processes, two contexts, two entity ids. */
static void test_pid_reuse(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	struct task_event ev = { .kind = PROC_EXEC, .pid = free_pid(), .ppid = 1,
				 .uid = 1000, .gid = 1000, .ts_ns = 100,
				 .start_ns = 5000000000ull, .comm = "first",
				 .filename = "/opt/first" };
	char first_id[33];
	const struct proc_info *pi;
	json_t *r;

	assert_true(ev.pid != 0);
	proc_table_on_exec(pt, &ev);
	pi = proc_table_get(pt, ev.pid);
	assert_int_equal(pi->source, PROC_SRC_EVENT);
	r = record(pi);
	assert_string_equal(str_at(r, "process.executable"), "/opt/first");
	assert_string_equal(str_at(r, "user.id"), "1000");
	assert_string_equal(str_at(r, "exfild.process.hash_reason"), "process_gone");
	json_decref(r);
	snprintf(first_id, sizeof(first_id), "%s", pi->entity_id);

	ev.kind = PROC_EXIT;
	ev.ts_ns = 200;
	proc_table_on_exit(pt, &ev);

	ev.kind = PROC_EXEC;
	ev.ts_ns = 300;
	ev.start_ns = 9000000000ull;
	snprintf(ev.comm, sizeof(ev.comm), "second");
	snprintf(ev.filename, sizeof(ev.filename), "/opt/second");
	proc_table_on_exec(pt, &ev);
	pi = proc_table_get(pt, ev.pid);
	assert_string_equal(pi->name, "second");
	assert_string_equal(pi->executable, "/opt/second");
	assert_false(pi->exited);
	assert_string_not_equal(pi->entity_id, first_id);

	/* A late exit of the older process must not clobber the newer one. */
	ev.kind = PROC_EXIT;
	ev.start_ns = 5000000000ull;
	proc_table_on_exit(pt, &ev);
	pi = proc_table_get(pt, ev.pid);
	assert_string_equal(pi->name, "second");
	assert_false(pi->exited);

	/* A newer process with no exec seen replaces a stale live entry. */
	ev.start_ns = 12000000000ull;
	snprintf(ev.comm, sizeof(ev.comm), "third");
	proc_table_on_exit(pt, &ev);
	pi = proc_table_get(pt, ev.pid);
	assert_string_equal(pi->name, "third");
	assert_int_equal(pi->source, PROC_SRC_EXIT);
	assert_true(pi->exited);
	proc_table_free(pt);
}

/* A forked child that never exec'd: exit event + the parent's image. */
static void test_fork_without_exec(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	const struct proc_info *me = proc_table_get(pt, (uint32_t)getpid());
	char self_exe[PATH_MAX];
	int p[2];
	pid_t pid;
	char c;

	assert_non_null(me);
	snprintf(self_exe, sizeof(self_exe), "%s", me->executable);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	struct task_event ev = event(PROC_EXIT, pid, "test_proc", NULL);
	close(p[1]);
	waitpid(pid, NULL, 0);
	proc_table_on_exit(pt, &ev);
	const struct proc_info *pi = proc_table_get(pt, (uint32_t)pid);
	assert_non_null(pi);
	assert_int_equal(pi->source, PROC_SRC_EXIT);
	assert_string_equal(pi->executable, self_exe);
	assert_true(pi->parent.known);
	proc_table_free(pt);
}

static void test_scan_and_bounds(void **state)
{
	struct proc_table *pt = proc_table_new(4096, NULL);
	struct proc_stats st;
	const struct proc_info *pi;

	proc_table_scan(pt);
	proc_table_get_stats(pt, &st);
	assert_true(st.entries >= 2);
	pi = proc_table_get(pt, 1);
	assert_non_null(pi);
	assert_int_equal(pi->source, PROC_SRC_SCAN);
	pi = proc_table_get(pt, (uint32_t)getpid());
	assert_int_equal(pi->source, PROC_SRC_SCAN);
	assert_true(pi->parent.known);
	proc_table_free(pt);

	/* Full table: the oldest exited process goes first, then the LRU one. */
	pt = proc_table_new(2, NULL);
	struct task_event ev = { .kind = PROC_EXEC, .pid = free_pid(), .start_ns = 1000000000ull,
				 .comm = "a" };
	proc_table_on_exec(pt, &ev);
	ev.kind = PROC_EXIT;
	proc_table_on_exit(pt, &ev);
	assert_non_null(proc_table_get(pt, 1));
	assert_non_null(proc_table_get(pt, (uint32_t)getpid()));
	assert_null(proc_table_get(pt, ev.pid));
	assert_non_null(proc_table_get(pt, (uint32_t)getppid()));
	proc_table_get_stats(pt, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evicted_exited, 1);
	assert_int_equal(st.evicted_live, 1);
	proc_table_free(pt);
}

/* Under a tiny budget the record says pending, then ok with the right hash. */
static void test_hash_progress(void **state)
{
	struct exehash *eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, 16, 8);
	struct proc_table *pt = proc_table_new(64, eh);
	char bin[300], *argv[] = { "hsleep", "30", NULL }, want[65];
	int hold, steps = 0;
	pid_t pid;
	const struct proc_info *pi;
	json_t *r;

	in_dir(bin, sizeof(bin), "hsleep");
	assert_int_equal(copy_file("/bin/sleep", bin, 0755), 0);
	assert_int_equal(sha256sum(bin, want), 0);
	pid = spawn(bin, -1, argv, &hold);
	struct task_event ev = event(PROC_EXEC, pid, "hsleep", bin);
	proc_table_on_exec(pt, &ev);
	pi = proc_table_get(pt, (uint32_t)pid);
	r = record(pi);
	assert_string_equal(str_at(r, "exfild.process.hash_status"), "pending");
	assert_null(at(r, "process.hash.sha256"));
	json_decref(r);
	/* The process exits while its hash is pending: the open fd finishes it. */
	stop(pid, hold);
	while (exehash_state(pi->hash) == EXEHASH_PENDING) {
		exehash_pump(eh, 4096);
		steps++;
	}
	assert_true(steps > 2);
	r = record(pi);
	assert_string_equal(str_at(r, "exfild.process.hash_status"), "ok");
	assert_string_equal(str_at(r, "process.hash.sha256"), want);
	json_decref(r);
	unlink(bin);
	proc_table_free(pt);
	exehash_free(eh);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	ns_per_tick = 1000000000L / sysconf(_SC_CLK_TCK);
	snprintf(dir, sizeof(dir), "%s/exfild-proc-XXXXXX", tmp);
	if (!mkdtemp(dir))
		return -1;
	return sha256sum("/bin/sleep", sleep_sha);
}

static int teardown(void **state)
{
	char path[300];

	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i]) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		in_dir(path, sizeof(path), files[i]);
		unlink(path);
	}
	for (int i = 0; cgdir[0] && i < 100 && rmdir(cgdir) && errno == EBUSY; i++)
		usleep(10000);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exited_before_lookup),
		cmocka_unit_test(test_entity_id_sources_agree),
		cmocka_unit_test(test_deleted_binary),
		cmocka_unit_test(test_writable_by_others),
		cmocka_unit_test(test_memfd_binary),
		cmocka_unit_test(test_hostile_command_line),
		cmocka_unit_test(test_args_truncated),
		cmocka_unit_test(test_container_patterns),
		cmocka_unit_test(test_container_cgroup),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_fork_without_exec),
		cmocka_unit_test(test_scan_and_bounds),
		cmocka_unit_test(test_hash_progress),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("proc", tests, setup, teardown);
}
