/*
 * user/proc.c with real processes: context kept after exit and gc, entity
 * ids, pid reuse, forks without exec, the table's bounds and the executable
 * hash in the record. Reading /proc is test_procfs's, containers are
 * test_container's. Runs as root (/proc of others).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "exehash.h"
#include "json.h"
#include "proc.h"
#include "proctest.h"
#include "testutil.h"

static const char *const files[] = { "hsleep" };

static void real_path(const char *p, char out[PATH_MAX])
{
	assert_non_null(realpath(p, out));
}

/* Context captured at exec time outlives the process until gc. */
static void test_exited_before_lookup(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	char *argv[] = { "cat", "-u", NULL }, cat[PATH_MAX];
	int hold;
	pid_t pid = spawn("/bin/cat", -1, argv, &hold);
	struct proc_event ev = event(PROC_EV_EXEC, pid, "cat", "/bin/cat");
	const struct proc_info *pi;
	uint64_t ticks = start_ticks(pid), my_ticks = start_ticks(getpid());
	char eid[33], peid[33], me[PATH_MAX], cwd[PATH_MAX], comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	json_t *r;

	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	real_path("/proc/self/exe", me);
	want_entity_id(pid, ticks, eid);
	want_entity_id(getpid(), my_ticks, peid);
	real_path("/bin/cat", cat);
	proc_table_on_exec(pt, &ev);
	close(hold);
	waitpid(pid, NULL, 0);
	ev.kind = PROC_EV_EXIT;
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
	assert_string_equal(str_at(r, "process.parent.name"), comm);
	assert_string_equal(str_at(r, "process.parent.executable"), me);
	assert_true(start_near(str_at(r, "process.start"), ticks));
	assert_true(start_near(str_at(r, "process.parent.start"), my_ticks));
	assert_string_equal(str_at(r, "process.entity_id"), eid);
	assert_string_equal(str_at(r, "process.parent.entity_id"), peid);
	assert_string_equal(str_at(r, "process.working_directory"), cwd);
	assert_string_equal(str_at(r, "user.id"), "0");
	assert_string_equal(str_at(r, "user.name"), "root");
	assert_string_equal(str_at(r, "group.id"), "0");
	assert_string_equal(str_at(r, "group.name"), "root");
	assert_true(json_is_true(at(r, "exfild.process.exited")));
	assert_string_equal(str_at(r, "exfild.process.hash_status"), "skipped");
	assert_string_equal(str_at(r, "exfild.process.hash_reason"), "disabled");
	json_decref(r);

	/* The flow's own (send-time) user.id and cgroup id are kept. */
	r = json_object();
	json_set_path(r, "user.id", json_string("33"));
	json_set_path(r, "exfild.cgroup_id", json_integer(77));
	proc_json(pi, r, true, 33, 77);
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
	struct proc_event ev = event(PROC_EV_EXEC, pid, "cat", "/bin/cat");
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

/* One pid, two start times: two processes, two contexts, two entity ids. */
static void test_pid_reuse(void **state)
{
	struct proc_table *pt = proc_table_new(64, NULL);
	struct proc_event ev = { .kind = PROC_EV_EXEC, .pid = free_pid(), .ppid = 1,
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

	ev.kind = PROC_EV_EXIT;
	ev.ts_ns = 200;
	proc_table_on_exit(pt, &ev);

	ev.kind = PROC_EV_EXEC;
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
	ev.kind = PROC_EV_EXIT;
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
	struct proc_event ev = event(PROC_EV_EXIT, pid, "test_proc", NULL);
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
	struct proc_event ev = { .kind = PROC_EV_EXEC, .pid = free_pid(), .start_ns = 1000000000ull,
				 .comm = "a" };
	proc_table_on_exec(pt, &ev);
	ev.kind = PROC_EV_EXIT;
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
	struct proc_event ev = event(PROC_EV_EXEC, pid, "hsleep", bin);
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
	return make_test_dir("proc");
}

static int teardown(void **state)
{
	return remove_test_dir(files, sizeof(files) / sizeof(files[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exited_before_lookup),
		cmocka_unit_test(test_entity_id_sources_agree),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_fork_without_exec),
		cmocka_unit_test(test_scan_and_bounds),
		cmocka_unit_test(test_hash_progress),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("proc", tests, setup, teardown);
}
