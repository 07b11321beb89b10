/*
 * `make bench` for the send path:
 *  1. in-kernel cost per accounted send: with kernel.bpf_stats_enabled, the
 *     run_time_ns / run_cnt of every exfild program that fires for one send,
 *     summed, for TCP, connected UDP and unconnected UDP; next to it the
 *     same for empty programs on the same hooks (the floor any program pays);
 *  2. syscall throughput of 64-byte sends in three variants: no programs,
 *     empty programs on the same hooks, the agent. Many short rounds, each
 *     running every variant (in an order that rotates from round to
 *     round), the sender pinned to a CPU of its own (it reads its TCP
 *     connection itself), the agent to another;
 *     per send type, the median over rounds of each round's ratio to no
 *     agent, with a bootstrap 95% confidence interval, and the rounds'
 *     spread. --save FILE keeps the figures; a FILE from an earlier run is
 *     read first, and the two runs' intervals are compared.
 * Traffic goes to loopback only.
 *
 *   bench_send --exfild PATH [--calib PATH.bpf.o] [--rounds N] [--secs S]
 *              [--save FILE]
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench/stats.h"

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

/* ---- CPUs ------------------------------------------------------------------- */

/* The sender (which also reads its TCP connection) on one CPU; the agent on another. */
static int cpu_send = -1, cpu_recv = -1;

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		die("sched_setaffinity");
}

/* ---- loopback peers ------------------------------------------------------- */

struct peer {
	int listen_fd, udp_fd;
	struct sockaddr_in tcp_addr, udp_addr;
};

static void peer_start(struct peer *p)
{
	socklen_t l = sizeof(struct sockaddr_in);

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
	 * costs the sender nothing extra. TCP is read by the sender itself
	 * (send_loop), so that every send does the same work: with a reader
	 * thread, a send into a closed window (the reader not scheduled)
	 * only queues, and the rate follows the reader's luck. */
}

/* Read what the sender's connection delivered (TCP), without waiting. */
static void drain_tcp(int fd)
{
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
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
	double cpu0 = 0, end = 0;
	char msg[64] = { 0 };
	int fd = socket(AF_INET, k == K_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	const struct sockaddr_in *to = k == K_TCP ? &p->tcp_addr : &p->udp_addr;
	long sent = 0, warm = cpu ? 2048 : 0;	/* timed runs: the first sends are not timed */
	int in = -1;	/* TCP: the accepted end, read here */

	if (fd < 0)
		die("socket");
	if (k != K_UDP_UNCONN && connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		die("connect");
	/* One segment per send: Nagle would make the work per send depend on
	 * timing, and the comparison noisy. */
	if (k == K_TCP) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		in = accept(p->listen_fd, NULL, NULL);
		if (in < 0 || fcntl(fd, F_SETFL, O_NONBLOCK))
			die("accept");
	}
	for (;;) {
		ssize_t r = k == K_UDP_UNCONN ?
			sendto(fd, msg, sizeof(msg), 0, (const struct sockaddr *)to, sizeof(*to)) :
			send(fd, msg, sizeof(msg), 0);
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN)
			die("send");
		if (in >= 0 && (r < 0 || (sent & 15) == 0)) {
			drain_tcp(in);	/* keeps the window open: each send is sent */
			if (r < 0)
				continue;	/* not sent: not counted */
		}
		if (warm > 0) {
			if (--warm == 0) {
				cpu0 = thread_cpu_s();
				end = now_s() + secs;
			}
			continue;
		}
		if (!sent && !cpu) {
			cpu0 = thread_cpu_s();
			end = now_s() + secs;
		}
		sent++;
		if (n > 0 ? sent >= n : ((sent & 1023) == 0 && now_s() >= end))
			break;
	}
	if (cpu)
		*cpu = thread_cpu_s() - cpu0;
	close(fd);
	if (in >= 0)
		close(in);
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

		pin(0, cpu_recv);	/* off the sender's CPU */
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
		pin(0, cpu_recv);
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

/* ---- throughput: interleaved rounds ----------------------------------------- */

enum variant { V_NONE, V_EMPTY, V_EXFILD, V_COUNT };
#define MAX_ROUNDS STATS_MAX

struct throughput {
	int rounds;
	double secs;
	double rate[V_COUNT][K_COUNT][MAX_ROUNDS];	/* sends per CPU second */
};

/* One variant's block of a round: its programs on, every send type, off again. */
static void run_variant(struct throughput *t, int r, enum variant v, const struct peer *p,
			const char *exfild, const char *calib_obj)
{
	struct bpf_object *o = NULL;
	pid_t a = 0;

	if (v == V_EMPTY)
		o = calib_start(calib_obj);
	else if (v == V_EXFILD)
		a = agent_start(exfild);
	/* Send types in an order that rotates too: none always goes first. */
	for (int i = 0; i < K_COUNT; i++) {
		int k = (i + r) % K_COUNT;

		t->rate[v][k][r] = rate(p, (enum kind)k, t->secs);
	}
	if (o)
		bpf_object__close(o);
	if (a)
		agent_stop(a);
}

static void run_rounds(struct throughput *t, const struct peer *p, const char *exfild,
		       const char *calib_obj)
{
	for (int r = 0; r < t->rounds; r++)
		for (int i = 0; i < V_COUNT; i++)
			run_variant(t, r, (enum variant)((i + r) % V_COUNT), p, exfild, calib_obj);
}

/* Per send type: what is printed and kept for the next run. */
struct row {
	double base, base_iqr;		/* no agent: median sends per CPU s, IQR / median */
	struct stats_ci empty, agent;	/* change against no agent, % */
	struct stats_ci diff;		/* agent's change minus empty programs', points */
};

static void summarise(const struct throughput *t, struct row rows[K_COUNT])
{
	for (int k = 0; k < K_COUNT; k++) {
		double e[MAX_ROUNDS], x[MAX_ROUNDS], d[MAX_ROUNDS];

		for (int r = 0; r < t->rounds; r++) {
			double base = t->rate[V_NONE][k][r];

			e[r] = (t->rate[V_EMPTY][k][r] / base - 1) * 100;
			x[r] = (t->rate[V_EXFILD][k][r] / base - 1) * 100;
			d[r] = x[r] - e[r];
		}
		rows[k].base = stats_median(t->rate[V_NONE][k], t->rounds);
		rows[k].base_iqr = stats_iqr_rel(t->rate[V_NONE][k], t->rounds);
		rows[k].empty = stats_bootstrap(e, t->rounds);
		rows[k].agent = stats_bootstrap(x, t->rounds);
		rows[k].diff = stats_bootstrap(d, t->rounds);
	}
}

static void print_ci(const struct stats_ci *c, const char *unit)
{
	printf(" %+.1f%s [%+.1f, %+.1f] |", c->median, unit, c->lo, c->hi);
}

/* The previous run's rows, from --save FILE; false when there are none. */
static bool load_rows(const char *path, struct row rows[K_COUNT], char *when, size_t wlen)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	int k = 0;
	char line[512];

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "# %255[^\n]", when) != 1)
		snprintf(when, wlen, "?");
	while (k < K_COUNT && fgets(line, sizeof(line), f)) {
		struct row *w = &rows[k];

		if (sscanf(line, "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf", &w->base, &w->base_iqr,
			   &w->empty.median, &w->empty.lo, &w->empty.hi, &w->agent.median,
			   &w->agent.lo, &w->agent.hi, &w->diff.median, &w->diff.lo,
			   &w->diff.hi) == 11)
			k++;
	}
	fclose(f);
	return k == K_COUNT;
}

static void save_rows(const char *path, const struct row rows[K_COUNT], const char *when)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	fprintf(f, "# %s\n", when);
	for (int k = 0; k < K_COUNT; k++) {
		const struct row *w = &rows[k];

		fprintf(f, "%.1f %.4f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", w->base,
			w->base_iqr, w->empty.median, w->empty.lo, w->empty.hi, w->agent.median,
			w->agent.lo, w->agent.hi, w->diff.median, w->diff.lo, w->diff.hi);
	}
	fclose(f);
}

static bool overlap(const struct stats_ci *a, const struct stats_ci *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

static void throughput(int rounds, double secs, const struct peer *p, const char *exfild,
		       const char *calib_obj, const char *save)
{
	static struct throughput t;
	struct row rows[K_COUNT], prev[K_COUNT];
	char when[256], pwhen[256];
	time_t now = time(NULL);
	bool have_prev = load_rows(save, prev, pwhen, sizeof(pwhen));
	int disagree = 0;

	t.rounds = rounds;
	t.secs = secs;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	pin(0, cpu_send);
	run_rounds(&t, p, exfild, calib_obj);
	pin(0, -1);
	summarise(&t, rows);

	printf("\n## Send throughput, 64-byte messages: %d interleaved rounds, %.2f s per send "
	       "type and variant\n\n", rounds, secs);
	if (cpu_send >= 0)
		printf("Sender pinned to CPU %d (it reads its own TCP connection, so every send is "
		       "sent); the agent to CPU %d. ", cpu_send, cpu_recv);
	printf("Each round runs no agent, empty programs on the same hooks and exfild, in an "
	       "order that rotates from round to round. Change: median over rounds of each "
	       "round's ratio to no agent, [95%% bootstrap interval]; exfild minus empty: the "
	       "same of each round's difference, in points (negative: exfild loses more).\n\n");
	printf("| send | no agent (sends per CPU s, median; rounds' IQR) | empty programs | exfild | exfild minus empty |\n"
	       "|---|---|---|---|---|\n");
	for (int k = 0; k < K_COUNT; k++) {
		printf("| %s | %.0f (%.1f%%) |", kind_name[k], rows[k].base, rows[k].base_iqr * 100);
		print_ci(&rows[k].empty, "%");
		print_ci(&rows[k].agent, "%");
		print_ci(&rows[k].diff, " pt");
		printf("\n");
	}
	if (!have_prev) {
		printf("\nNo earlier run to compare with (%s).\n", save ? save : "no --save");
	} else {
		printf("\nAgainst the previous run (%s):", pwhen);
		for (int k = 0; k < K_COUNT; k++) {
			const char *what[3] = { NULL, NULL, NULL };
			int n = 0;

			if (!overlap(&rows[k].empty, &prev[k].empty))
				what[n++] = "empty programs";
			if (!overlap(&rows[k].agent, &prev[k].agent))
				what[n++] = "exfild";
			if (!overlap(&rows[k].diff, &prev[k].diff))
				what[n++] = "exfild minus empty";
			for (int i = 0; i < n; i++)
				printf("%s %s: %s", disagree++ ? ";" : "", kind_name[k], what[i]);
			if (n)
				printf(" (no agent then %.0f, now %.0f)", prev[k].base, rows[k].base);
		}
		printf(disagree ? " do not overlap.\n" : " every interval overlaps.\n");
	}
	save_rows(save, rows, when);
}

int main(int argc, char **argv)
{
	static const char *const ours[] = { "tp_sock_send", "cg_sendmsg", "fexit_", "kprobe_",
					    "kretprobe_", NULL };
	static const char *const calib[] = { "calib_", NULL };
	const char *exfild = "build/exfild", *calib_obj = "build/calib.bpf.o";
	const char *save = NULL;
	int rounds = 20, c;
	double secs = 0.25;
	long sends = 200000;
	struct peer peer;
	FILE *stats;
	int old_stats = 0;

	static const struct option lo[] = {
		{ "exfild", required_argument, NULL, 'x' }, { "calib", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' }, { "secs", required_argument, NULL, 's' },
		{ "save", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 } };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'x')
			exfild = optarg;
		else if (c == 'c')
			calib_obj = optarg;
		else if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 's')
			secs = atof(optarg);
		else if (c == 'w')
			save = optarg;
		else
			return 2;
	}
	if (rounds < 3 || rounds > MAX_ROUNDS || secs <= 0 || secs > 30) {
		fprintf(stderr, "bench_send: --rounds 3..%d, --secs up to 30\n", MAX_ROUNDS);
		return 2;
	}
	/* The last CPU sends; the first receives (and runs the agent). */
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		cpu_send = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
		cpu_recv = 0;
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

	/* 2. Throughput, interleaved rounds. */
	throughput(rounds, secs, &peer, exfild, calib_obj, save);
	return 0;
}
