/*
 * Helpers shared by the process-context tests (test_proc, test_procfs,
 * test_container): start real processes, fake the kernel's task events and
 * read record_process's fields back. Header-only: each test is one binary.
 * Include after cmocka.h.
 */
#ifndef EXFILD_PROCTEST_H
#define EXFILD_PROCTEST_H

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "proc.h"
#include "record_parts.h"

extern char **environ;

static char dir[256];	/* the group's temp dir, for test binaries */
/* Left for teardown when an assertion jumps out of a test. */
static pid_t kids[16];

static inline void in_dir(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/*
 * Start a program (by path, or from memfd when path is NULL) with stdin
 * on a pipe; *hold gets the write end: closing it makes cat/sh exit.
 * Returns once the exec has happened.
 */
static inline pid_t spawn(const char *path, int memfd, char *const argv[], int *hold)
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

static inline void stop(pid_t pid, int hold)
{
	close(hold);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline long ns_per_tick(void)
{
	return 1000000000L / sysconf(_SC_CLK_TCK);
}

static inline uint64_t start_ticks(pid_t pid)
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

/* What the README says process.entity_id is: sha256(boot id:pid:ticks), 32 hex digits. */
static inline void want_entity_id(pid_t pid, uint64_t ticks, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char boot[64] = "", in[128];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	int n;

	if (f && !fgets(boot, sizeof(boot), f))
		boot[0] = '\0';
	if (f)
		fclose(f);
	boot[strcspn(boot, "\n")] = '\0';
	n = snprintf(in, sizeof(in), "%s:%d:%llu", boot, (int)pid, (unsigned long long)ticks);
	out[0] = '\0';
	if (EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		for (int i = 0; i < 16; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Is the record's time text (ms) within a tick of boot time + ticks? */
static inline bool start_near(const char *iso, uint64_t ticks)
{
	struct timespec rt, bt;
	struct tm tm = { 0 };
	int ms = -1;
	int64_t want, got;

	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	got = (int64_t)timegm(&tm) * 1000 + ms;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	want = (rt.tv_sec - bt.tv_sec) * 1000LL + (rt.tv_nsec - bt.tv_nsec) / 1000000 +
	       (int64_t)ticks * ns_per_tick() / 1000000;
	return got >= want - 11 && got <= want + 11;
}

/*
 * The event the kernel would send. The sub-tick remainder stands in for
 * the kernel's nanosecond start time, which /proc rounds to ticks.
 */
static inline struct proc_event event(uint32_t kind, pid_t pid, const char *comm,
				      const char *file)
{
	struct proc_event ev = { .kind = kind, .pid = (uint32_t)pid, .ppid = (uint32_t)getpid() };

	ev.ts_ns = mono_ns();
	ev.start_ns = start_ticks(pid) * (uint64_t)ns_per_tick() + 3456789;
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	if (file)
		snprintf(ev.filename, sizeof(ev.filename), "%.*s", (int)sizeof(ev.filename) - 1, file);
	return ev;
}

/* A pid that no process has now. */
static inline uint32_t free_pid(void)
{
	char path[64];

	for (uint32_t pid = 4000000; pid > 300000; pid -= 7919) {
		snprintf(path, sizeof(path), "/proc/%u", pid);
		if (access(path, F_OK))
			return pid;
	}
	return 0;
}

/*
 * record_process() of pi as the flow record would call it; a flow that
 * carries its own send-time uid and cgroup id passes them (has_uid).
 */
static inline void proc_json(const struct proc_info *pi, json_t *root, bool has_uid,
			     uint32_t uid, uint64_t cgroup_id)
{
	struct enriched_flow f = { .proc = pi };

	f.obs.has_uid = has_uid;
	f.obs.uid = uid;
	f.obs.cgroup_id = cgroup_id;
	proc_hash_view(pi, &f.hash);
	record_process(root, &f);
}

/* record_process, printed by json_line and parsed back: it must round-trip. */
static inline json_t *record(const struct proc_info *pi)
{
	json_t *root = json_object(), *back;
	char *line;

	proc_json(pi, root, false, 0, 0);
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
static inline json_t *at(json_t *root, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && root; k = strtok_r(NULL, ".", &save))
		root = json_object_get(root, k);
	return root;
}

static inline const char *str_at(json_t *root, const char *path)
{
	return json_string_value(at(root, path));
}

/* Group setup: dir becomes a new temp dir named after tag. 0 or -1. */
static inline int make_test_dir(const char *tag)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(dir, sizeof(dir), "%s/exfild-%s-XXXXXX", tmp, tag);
	return mkdtemp(dir) ? 0 : -1;
}

static inline void kill_kids(void)
{
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i]) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
}

/*
 * Group teardown: kill what a failed assertion left running, remove the
 * files tests may have left in dir, then dir itself.
 */
static inline int remove_test_dir(const char *const files[], size_t n)
{
	char path[300];

	kill_kids();
	for (size_t i = 0; i < n; i++) {
		in_dir(path, sizeof(path), files[i]);
		if (unlink(path) && errno == EISDIR)
			rmdir(path);	/* listed after the files in it */
	}
	return rmdir(dir);
}

#endif
