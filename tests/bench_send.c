/*
 * `make bench` for the send path:
 *  1. in-kernel cost per accounted send: with kernel.bpf_stats_enabled, the
 *     run_time_ns / run_cnt of every exfild program that fires for one send,
 *     summed, for TCP, connected UDP and unconnected UDP; next to it the
 *     same for empty programs on the same hooks (the floor any program pays);
 *  2. syscall throughput of 64-byte sends with and without the agent,
 *     alternated A/B over several rounds, as a ratio.
 * Traffic goes to loopback only.
 *
 *   bench_send --exfild PATH [--calib PATH.bpf.o] [--rounds N] [--secs S]
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

enum kind { K_TCP, K_UDP_CONN, K_UDP_UNCONN, K_COUNT };
static const char *const kind_name[K_COUNT] = { "tcp send", "udp send (connected)",
						"udp sendto (unconnected)" };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_send: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- loopback peers ------------------------------------------------------- */

struct peer {
	int listen_fd, udp_fd;
	struct sockaddr_in tcp_addr, udp_addr;
};

static void *tcp_reader(void *arg)
{
	int lfd = *(int *)arg;
	char buf[65536];

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static void peer_start(struct peer *p)
{
	socklen_t l = sizeof(struct sockaddr_in);
	pthread_t t;

	memset(p, 0, sizeof(*p));
	p->tcp_addr.sin_family = p->udp_addr.sin_family = AF_INET;
	p->tcp_addr.sin_addr.s_addr = p->udp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	p->udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (p->listen_fd < 0 || p->udp_fd < 0 ||
	    bind(p->listen_fd, (struct sockaddr *)&p->tcp_addr, l) || listen(p->listen_fd, 16) ||
	    getsockname(p->listen_fd, (struct sockaddr *)&p->tcp_addr, &l) ||
	    bind(p->udp_fd, (struct sockaddr *)&p->udp_addr, l) ||
	    getsockname(p->udp_fd, (struct sockaddr *)&p->udp_addr, &l))
		die("setting up loopback peers");
	/* Datagrams are not read: a full receive queue drops them, which
	 * costs the sender nothing extra. */
	if (pthread_create(&t, NULL, tcp_reader, &p->listen_fd))
		die("reader thread");
	pthread_detach(t);
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Send 64-byte messages for secs seconds (or n sends if n > 0); returns
 * sends. *cpu gets the sending thread's CPU seconds: sends per CPU second
 * is the syscall throughput of one busy core, which, unlike wall-clock
 * rate, does not depend on when the receiving thread gets to run.
 */
static long send_loop(const struct peer *p, enum kind k, double secs, long n, double *cpu)
{
	double cpu0 = thread_cpu_s();
	char msg[64] = { 0 };
	int fd = socket(AF_INET, k == K_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	const struct sockaddr_in *to = k == K_TCP ? &p->tcp_addr : &p->udp_addr;
	double end = now_s() + secs;
	long sent = 0;

	if (fd < 0)
		die("socket");
	if (k != K_UDP_UNCONN && connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		die("connect");
	/* One segment per send: Nagle would make the work per send depend on
	 * timing, and the comparison noisy. */
	if (k == K_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	for (;;) {
		ssize_t r = k == K_UDP_UNCONN ?
			sendto(fd, msg, sizeof(msg), 0, (const struct sockaddr *)to, sizeof(*to)) :
			send(fd, msg, sizeof(msg), 0);
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN)
			die("send");
		sent++;
		if (n > 0 ? sent >= n : ((sent & 1023) == 0 && now_s() >= end))
			break;
	}
	if (cpu)
		*cpu = thread_cpu_s() - cpu0;
	close(fd);
	return sent;
}

static double rate(const struct peer *p, enum kind k, double secs)
{
	double cpu = 0;
	long sent = send_loop(p, k, secs, 0, &cpu);

	return cpu > 0 ? sent / cpu : 0;
}

/* ---- program statistics ------------------------------------------------------ */

#define MAX_PROGS 64
struct prog_stat {
	char name[16];
	__u64 ns, cnt;
};

/*
 * Does process pid hold program id open? Other agents and benchmarks may
 * run on the same machine with programs of the same names; only the ones
 * this benchmark loaded (itself or its agent) count. /proc/PID/fdinfo
 * names the program id of each BPF program fd.
 */
static int owns_prog(pid_t pid, __u32 id)
{
	char dir[64], path[320], line[128];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	while (d && !found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		while (f && !found && fgets(line, sizeof(line), f)) {
			unsigned v;

			found = sscanf(line, "prog_id: %u", &v) == 1 && v == id;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Programs of process owner whose name starts with one of the prefixes. */
static int prog_stats(pid_t owner, const char *const *prefixes, struct prog_stat *out)
{
	__u32 id = 0;
	int n = 0;

	while (n < MAX_PROGS && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!owns_prog(owner, id)) {
			close(fd);
			continue;
		}
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			for (const char *const *p = prefixes; *p; p++) {
				if (!strncmp(info.name, *p, strlen(*p))) {
					snprintf(out[n].name, sizeof(out[n].name), "%s", info.name);
					out[n].ns = info.run_time_ns;
					out[n].cnt = info.run_cnt;
					n++;
					break;
				}
			}
		}
		close(fd);
	}
	return n;
}

/*
 * ns per send: run the loop, and sum delta(ns)/delta(cnt) over the programs
 * that fired about once per send (others fire for unrelated traffic).
 */
static double cost_per_send(const struct peer *p, enum kind k, pid_t owner,
			    const char *const *prefixes, long sends, char *which, size_t wlen)
{
	struct prog_stat a[MAX_PROGS], b[MAX_PROGS];
	int na = prog_stats(owner, prefixes, a), nb;
	double sum = 0;
	size_t off = 0;

	send_loop(p, k, 0, sends, NULL);
	nb = prog_stats(owner, prefixes, b);
	which[0] = 0;
	for (int i = 0; i < nb; i++) {
		for (int j = 0; j < na; j++) {
			__u64 dc, dn;

			if (strcmp(a[j].name, b[i].name))
				continue;
			dc = b[i].cnt - a[j].cnt;
			dn = b[i].ns - a[j].ns;
			if (dc >= (__u64)sends * 9 / 10 && dc > 0) {
				sum += (double)dn / (double)dc;
				off += (size_t)snprintf(which + off, off < wlen ? wlen - off : 0,
							"%s%s %.0f", off ? " + " : "", b[i].name,
							(double)dn / (double)dc);
			}
		}
	}
	return sum;
}

/* ---- the agent ---------------------------------------------------------------- */

static pid_t agent_start(const char *exfild)
{
	int pfd[2];
	pid_t pid;
	char buf[4096];
	size_t have = 0;

	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl(exfild, exfild, "run", "--interval", "10", "--pin-path", "none",
		      "--log-level", "info", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (have < sizeof(buf) - 1) {
		ssize_t r = read(pfd[0], buf + have, sizeof(buf) - 1 - have);

		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = 0;
		if (strstr(buf, "exfild: running"))
			break;
	}
	if (!strstr(buf, "exfild: running")) {
		fprintf(stderr, "bench_send: the agent did not start:\n%s\n", buf);
		exit(1);
	}
	/* Keep draining its stderr so it never blocks on a full pipe. */
	if (fork() == 0) {
		while (read(pfd[0], buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(pfd[0]);
	return pid;
}

static void agent_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static struct bpf_object *calib_start(const char *path)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int cg;

	if (!o || bpf_object__load(o)) {
		fprintf(stderr, "bench_send: cannot load %s\n", path);
		exit(1);
	}
	cg = open(getenv("EXFILD_CGROUP2") ? getenv("EXFILD_CGROUP2") : "/sys/fs/cgroup/unified",
		  O_RDONLY);
	if (cg < 0)
		cg = open("/sys/fs/cgroup", O_RDONLY);
	bpf_object__for_each_program(prog, o) {
		if (bpf_program__type(prog) == BPF_PROG_TYPE_CGROUP_SOCK_ADDR) {
			if (!bpf_program__attach_cgroup(prog, cg))
				die("attaching the calibration cgroup program");
		} else if (!bpf_program__attach(prog)) {
			die("attaching the calibration program");
		}
	}
	close(cg);
	return o;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const ours[] = { "tp_sock_send", "cg_sendmsg", "fexit_", "kprobe_",
					    "kretprobe_", NULL };
	static const char *const calib[] = { "calib_", NULL };
	const char *exfild = "build/exfild", *calib_obj = "build/calib.bpf.o";
	int rounds = 5, c;
	double secs = 1.0;
	long sends = 200000;
	struct peer peer;
	FILE *stats;
	int old_stats = 0;

	static const struct option lo[] = {
		{ "exfild", required_argument, NULL, 'x' }, { "calib", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' }, { "secs", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 } };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'x')
			exfild = optarg;
		else if (c == 'c')
			calib_obj = optarg;
		else if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 's')
			secs = atof(optarg);
		else
			return 2;
	}
	if (rounds < 1 || rounds > 50 || secs <= 0 || secs > 30) {
		fprintf(stderr, "bench_send: --rounds 1..50, --secs up to 30\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	peer_start(&peer);
	stats = fopen("/proc/sys/kernel/bpf_stats_enabled", "r+");
	if (!stats)
		die("/proc/sys/kernel/bpf_stats_enabled");
	if (fscanf(stats, "%d", &old_stats) != 1)
		old_stats = 0;

	/* 1. In-kernel cost per accounted send. */
	rewind(stats);
	fputs("1\n", stats);
	fflush(stats);
	{
		struct bpf_object *o = calib_start(calib_obj);
		char which[256];
		double floor_tp, floor_cg;

		floor_tp = cost_per_send(&peer, K_UDP_CONN, getpid(), calib, sends, which, sizeof(which));
		floor_cg = cost_per_send(&peer, K_UDP_UNCONN, getpid(), calib, sends, which,
					 sizeof(which)) - floor_tp;
		bpf_object__close(o);
		printf("## In-kernel cost per accounted send (%ld sends each)\n\n", sends);
		printf("| send | exfild programs (ns per call) | total ns | empty programs on the same hooks | exfild minus empty |\n");
		printf("|---|---|---|---|---|\n");
		pid_t a = agent_start(exfild);
		for (int k = 0; k < K_COUNT; k++) {
			double cost = cost_per_send(&peer, (enum kind)k, a, ours, sends, which,
						    sizeof(which));
			double fl = k == K_UDP_UNCONN ? floor_tp + floor_cg : floor_tp;

			printf("| %s | %s | %.0f | %.0f | %.0f |\n", kind_name[k], which, cost, fl, cost - fl);
		}
		agent_stop(a);
	}
	rewind(stats);
	fprintf(stats, "%d\n", old_stats);
	fflush(stats);
	fclose(stats);

	/* 2. Throughput, A/B alternated. */
	printf("\n## Send throughput, 64-byte messages, %d rounds of %.1f s, A/B alternated\n\n",
	       rounds, secs);
	printf("| send | without agent (sends per CPU second, median) | with agent | change | empty programs on the same hooks instead | change |\n"
	       "|---|---|---|---|---|---|\n");
	{
		double without[K_COUNT][50], with[K_COUNT][50], empty[K_COUNT][50];

		for (int r = 0; r < rounds; r++) {
			struct bpf_object *o;
			pid_t a;

			for (int k = 0; k < K_COUNT; k++)
				without[k][r] = rate(&peer, (enum kind)k, secs);
			a = agent_start(exfild);
			for (int k = 0; k < K_COUNT; k++)
				with[k][r] = rate(&peer, (enum kind)k, secs);
			agent_stop(a);
			/* What merely having a program on these hooks costs. */
			o = calib_start(calib_obj);
			for (int k = 0; k < K_COUNT; k++)
				empty[k][r] = rate(&peer, (enum kind)k, secs);
			bpf_object__close(o);
		}
		for (int k = 0; k < K_COUNT; k++) {
			double m0, m1, m2;

			qsort(without[k], (size_t)rounds, sizeof(double), cmp_double);
			qsort(with[k], (size_t)rounds, sizeof(double), cmp_double);
			qsort(empty[k], (size_t)rounds, sizeof(double), cmp_double);
			m0 = without[k][rounds / 2];
			m1 = with[k][rounds / 2];
			m2 = empty[k][rounds / 2];
			printf("| %s | %.0f | %.0f | %+.1f%% | %.0f | %+.1f%% |\n", kind_name[k], m0, m1,
			       (m1 / m0 - 1) * 100, m2, (m2 / m0 - 1) * 100);
		}
	}
	return 0;
}
