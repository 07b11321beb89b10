// SPDX-License-Identifier: GPL-2.0-only
/* itest: starting and stopping the agent under test (see main.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

struct agent *live_agent;

/* The last non-empty line of a file, for short failure reasons. */
static void last_line(const char *path, char *out, size_t n)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	snprintf(out, n, "(no stderr)");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			scopy(out, n, line);
	}
	if (f)
		fclose(f);
}

static void dump_file(const char *path, const char *what)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	fprintf(stderr, "itest: ---- %s ----\n", what);
	/* Prefixed: a console reader must never take these for result lines. */
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "itest: | %s%s", line, strchr(line, '\n') ? "" : "\n");
	if (f)
		fclose(f);
	fprintf(stderr, "itest: ---- end of %s ----\n", what);
}

/* Remove a flat directory of our own (pins, temp files). */
void remove_dir(const char *dir, int verbose)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	if (verbose)
		fprintf(stderr, "itest: removing pins the agent left in %s\n", dir);
	while ((e = readdir(d))) {
		char p[1024];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Start the agent; 0 once it printed "exfild: running", else *why is set. */
int agent_start(struct agent *a, const char *tag, const char *out_path,
		       const char *pins, const char *max_flows, char *why, size_t n)
{
	char out_arg[600], line[1024];
	char *argv[24 + 2 * MAX_GEO];
	int argc = 0, err, st;
	long long deadline = now_ms() + START_TIMEOUT_MS;

	memset(a, 0, sizeof(*a));
	snprintf(a->err_path, sizeof(a->err_path), "%s/agent-%s.stderr", tmpdir, tag);
	snprintf(out_arg, sizeof(out_arg), "file:%s", out_path);
	argv[argc++] = (char *)exfild_path;
	argv[argc++] = "run";
	argv[argc++] = "--attach";
	argv[argc++] = (char *)tier;
	argv[argc++] = "--flows";
	argv[argc++] = "--include-reserved";
	argv[argc++] = "--interval";
	argv[argc++] = "1";
	argv[argc++] = "--output";
	argv[argc++] = out_arg;
	argv[argc++] = "--pin-path";
	argv[argc++] = (char *)pins;
	if (max_flows) {
		argv[argc++] = "--max-flows";
		argv[argc++] = (char *)max_flows;
	}
	for (int i = 0; i < n_geoip; i++) {
		argv[argc++] = "--geoip";
		argv[argc++] = (char *)geoip[i];
	}
	argv[argc] = NULL;

	/* stderr to a file we poll: a pipe nobody drains could block the agent. */
	err = open(a->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (err < 0) {
		snprintf(why, n, "cannot create %s: %s", a->err_path, strerror(errno));
		return -1;
	}
	a->pid = spawn(argv, err, err);	/* its stdout too: ours is for results */
	close(err);
	if (a->pid < 0) {
		snprintf(why, n, "fork: %s", strerror(errno));
		return -1;
	}
	live_agent = a;
	for (;;) {
		FILE *f = fopen(a->err_path, "r");

		while (f && fgets(line, sizeof(line), f)) {
			if (strstr(line, "exfild: running")) {
				line[strcspn(line, "\n")] = '\0';
				scopy(a->running, sizeof(a->running), line);
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
			char s[64], last[512];

			live_agent = NULL;
			status_str(st, s, sizeof(s));
			last_line(a->err_path, last, sizeof(last));
			dump_file(a->err_path, "agent stderr");
			snprintf(why, n, "agent exited before 'exfild: running' (%s): %s", s, last);
			return -1;
		}
		if (g_stop || now_ms() > deadline) {
			char last[512];

			kill_wait(a->pid);
			live_agent = NULL;
			last_line(a->err_path, last, sizeof(last));
			dump_file(a->err_path, "agent stderr");
			snprintf(why, n, "no 'exfild: running' within %d s%s; last stderr: %s",
				 START_TIMEOUT_MS / 1000, g_stop ? " (interrupted)" : "", last);
			return -1;
		}
		sleep_ms(50);
	}
}

/* SIGTERM, wait for the final drain; 0 when it exited with status 0. */
int agent_stop(struct agent *a, char *why, size_t n)
{
	int st;
	char s[64];

	if (!a->pid)
		return -1;
	kill(a->pid, SIGTERM);
	if (wait_for(a->pid, STOP_TIMEOUT_MS, &st, 0) != 0) {
		kill_wait(a->pid);
		live_agent = NULL;
		dump_file(a->err_path, "agent stderr");
		snprintf(why, n, "expected exit within %d s of SIGTERM, got none (killed)",
			 STOP_TIMEOUT_MS / 1000);
		return -1;
	}
	live_agent = NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	status_str(st, s, sizeof(s));
	dump_file(a->err_path, "agent stderr");
	snprintf(why, n, "expected exit status 0 after SIGTERM, got %s", s);
	return -1;
}
