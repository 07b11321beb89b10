// SPDX-License-Identifier: GPL-2.0-only
/* itest: child processes (see main.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/*
 * fork/exec; out/err are dup'd onto stdout/stderr when >= 0; with
 * cgroup_procs the child first moves itself into that cgroup.
 */
pid_t spawn_in(char *const argv[], int out, int err, const char *cgroup_procs)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	if (cgroup_procs) {
		int fd = open(cgroup_procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1) {
			fprintf(stderr, "itest: joining %s: %s\n", cgroup_procs, strerror(errno));
			_exit(126);
		}
		close(fd);
	}
	if (out >= 0)
		dup2(out, STDOUT_FILENO);
	if (err >= 0)
		dup2(err, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "itest: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

pid_t spawn(char *const argv[], int out, int err)
{
	return spawn_in(argv, out, err, NULL);
}

/*
 * Wait for pid up to ms; 0 and *status when it exited, -1 on timeout (or on
 * a stop signal when interruptible: cleanup steps are not).
 */
int wait_for(pid_t pid, int ms, int *status, int interruptible)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if ((interruptible && g_stop) || now_ms() > deadline)
			return -1;
		sleep_ms(10);
	}
}

void kill_wait(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

void status_str(int st, char *out, size_t n)
{
	if (WIFEXITED(st))
		snprintf(out, n, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, n, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, n, "status 0x%x", st);
}

/* Run `ip ARGS...`; its output goes to our stderr. 0 on success. */
int ip_cmd(const char *first, ...)
{
	char *argv[24];
	int argc = 0, st;
	va_list ap;
	pid_t pid;

	argv[argc++] = "ip";
	va_start(ap, first);
	for (const char *a = first; a && argc < 23; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	pid = spawn(argv, STDERR_FILENO, -1);
	if (pid < 0)
		return -1;
	if (wait_for(pid, IP_TIMEOUT_MS, &st, 0) != 0) {
		kill_wait(pid);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "itest: 'ip %s ...' failed\n", first);
		return -1;
	}
	return 0;
}
