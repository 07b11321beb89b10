// SPDX-License-Identifier: GPL-2.0-only
/*
 * traffic: generate known network traffic and report exactly what was sent.
 *
 * It starts its own receivers first (so every send succeeds), then sends one
 * traffic pattern and prints, per (sending pid, destination), the totals
 * summed from the return values of its own syscalls:
 *
 *   sent pid=P transport=tcp|udp dst=IP port=N bytes=N calls=N comm=NAME start=TICKS
 *        src=IP sports=N[,N...] [direction=ingress] [acked=N] [pieces=N] [uid=N]
 *        [argv=A,B,...]
 *
 * src is the local address the packets left from and sports the local
 * ports of the sockets that sent (exfild's source.ip / source.port);
 * direction=ingress marks what a server sent on connections its peers
 * opened (dst is then the peer, port this host's service port).
 *
 * start is the sender's start time (/proc/PID/stat field 22, read before it
 * is reaped); argv is given for a sender that exec'd with another argv than
 * traffic's own (short-exec's child); uid for sends made as another uid
 * than the one the process started with (setuid). pieces (sendfile, splice): the page
 * pieces the file ranges sent span, summed over the calls: kernels before
 * 6.5 hand a socket one tcp_sendpage() call per piece.
 *
 * --wait-go (short, short-exec): the sender first sends one marker (a
 * datagram of its own for short's parent, the first byte of the TCP stream
 * for short-exec's child), then waits for SIGUSR1 before the rest, so the
 * test can wait until the agent has seen the process alive. drain-race with
 * --until-usr1 sends until SIGUSR1 (--seconds is then only the upper bound),
 * so the test ends it once the agent's output shows it spanned drains.
 *
 * The integration test compares these lines with what exfild recorded.
 * Statically linked: it also runs in a busybox-only initramfs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/tcp.h>		/* struct tcp_info with tcpi_bytes_acked */
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_TIMEOUT_S	60	/* the whole run; SIGALRM ends it */
#define ACK_WAIT_MS	30000	/* bound on the wait for the peer to ack everything */
#define MAX_CHUNK	(4 << 20)
#define MAX_BYTES	(1LL << 32)
#define MAX_THREADS	64
#define MAX_DESTS	(254 * 254)
#define UDP_MAX		65000	/* below the IPv4 and IPv6 datagram limits */
#define MMSG_BATCH	64
/* Internal: the exec'd half of short-exec (named so its command line says so). */
#define CHILD_MODE	"short-exec-child"
#define RACE_TCP	4	/* drain-race: TCP sender threads (plus one UDP) */
#define RACE_CHUNK	16384

struct opts {
	const char *kase;
	const char *dst;
	int port;		/* 0: ephemeral */
	long long bytes;	/* per destination (and per thread) */
	int count;		/* calls per destination; 0: per-case default */
	int threads;
	int dests;
	const char *netns;	/* receivers live in this net namespace */
	long long ms;		/* drain-race: how long to send */
	int report_fd;		/* CHILD_MODE: where to write the totals */
	int wait_go;		/* marker, then SIGUSR1 before the payload */
	int until_usr1;		/* drain-race: until SIGUSR1 */
	int mptcp;		/* not-counted: MPTCP too */
};

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

#define MAX_PORTS	MAX_THREADS

struct tot {
	long long bytes;
	long long calls;
	long long acked;	/* TCP only, -1 otherwise */
	/* Where the sends left from: the first socket's local address, and
	 * the local port of each socket (see note_local). */
	struct addr src;
	int ports[MAX_PORTS];
	int nports;
	long long pieces;	/* sendfile/splice: page-cache pages each call spanned */
};

static struct opts o = { .threads = 4, .dests = 1100, .report_fd = -1, .ms = 3500 };
static char *buf;		/* payload, MAX(chunk) bytes */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "traffic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "traffic: timeout, giving up\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(2);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- addresses ----------------------------------------------------------- */

static int parse_addr(const char *s, int port, struct addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		a->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		a->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int addr_family(const struct addr *a)
{
	return a->ss.ss_family;
}

static void set_port(struct addr *a, int port)
{
	if (addr_family(a) == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

static int get_port(const struct addr *a)
{
	if (addr_family(a) == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/* IPv4 in an IPv6 socket address: ::ffff:a.b.c.d */
static struct addr v4mapped(const struct addr *a4)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a4->ss;
	struct addr m;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m.ss;

	memset(&m, 0, sizeof(m));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = s4->sin_port;
	s6->sin6_addr.s6_addr[10] = 0xff;
	s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
	m.len = sizeof(*s6);
	return m;
}

/* As exfild prints it: v4-mapped IPv6 folded to plain IPv4. */
static void addr_str(const struct addr *a, char *out, size_t n)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

	if (addr_family(a) == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, out, n);
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, n);
	else
		inet_ntop(AF_INET6, &s6->sin6_addr, out, n);
}

/* A local port, once. */
static void add_port(struct tot *t, int port)
{
	for (int i = 0; i < t->nports; i++)
		if (t->ports[i] == port)
			return;
	if (t->nports < MAX_PORTS)
		t->ports[t->nports++] = port;
}

/* Remember the local side of a socket that has sent (getsockname is
 * async-signal-safe: the short case calls this in a forked child). */
static void note_local(struct tot *t, int fd)
{
	struct addr l = { .len = sizeof(l.ss) };

	if (getsockname(fd, (struct sockaddr *)&l.ss, &l.len) != 0)
		return;
	if (!t->nports)
		t->src = l;
	add_port(t, get_port(&l));
}

/* Sum of two totals of the same destination. */
static void tot_add(struct tot *t, const struct tot *x)
{
	t->bytes += x->bytes;
	t->calls += x->calls;
	t->pieces += x->pieces;
	if (x->acked >= 0)
		t->acked = (t->acked < 0 ? 0 : t->acked) + x->acked;
	if (!t->nports)
		t->src = x->src;
	for (int i = 0; i < x->nports; i++)
		add_port(t, x->ports[i]);
}

static int is_wildcard(const struct addr *a)
{
	if (addr_family(a) == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

/*
 * The local address as printed. A socket bound to the wildcard that never
 * connected names none: the packets left from the address the routing
 * table chose for dst, which a UDP socket connected to dst reports.
 */
static void src_str(const struct tot *t, const struct addr *dst, char *out, size_t n)
{
	struct addr r = { .len = sizeof(r.ss) };
	int fd;

	if (t->nports && !is_wildcard(&t->src)) {
		addr_str(&t->src, out, n);
		return;
	}
	snprintf(out, n, "?");
	fd = socket(addr_family(dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)&dst->ss, dst->len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&r.ss, &r.len) == 0)
		addr_str(&r, out, n);
	if (fd >= 0)
		close(fd);
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot; -1 if unknown. */
static long long start_ticks(pid_t pid)
{
	char path[64], b[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	p = strrchr(b, ')');	/* comm may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return -1;
	return (long long)v;
}

static int line_uid = -1;	/* setuid: the uid the next line's sends ran as */

/*
 * One line. port is the service port: the peer's for what this host
 * opened, this host's own for what a peer opened (ingress: a server's
 * answers to the client at peer).
 */
static void print_sent_ex(pid_t pid, long long start, int proto, const struct addr *peer, int port,
			  int ingress, const struct tot *t, const char *comm, const char *argv)
{
	char ip[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN];

	addr_str(peer, ip, sizeof(ip));
	src_str(t, peer, src, sizeof(src));
	printf("sent pid=%d transport=%s dst=%s port=%d bytes=%lld calls=%lld comm=%s start=%lld "
	       "src=%s sports=", (int)pid, proto == SOCK_STREAM ? "tcp" : "udp", ip, port,
	       t->bytes, t->calls, comm, start, src);
	for (int i = 0; i < t->nports; i++)
		printf("%s%d", i ? "," : "", t->ports[i]);
	if (ingress)
		printf(" direction=ingress");
	if (t->acked >= 0)
		printf(" acked=%lld", t->acked);
	if (t->pieces > 0)
		printf(" pieces=%lld", t->pieces);
	if (line_uid >= 0)
		printf(" uid=%d", line_uid);
	if (argv)
		printf(" argv=%s", argv);
	putchar('\n');
}

static void print_line_ex(pid_t pid, long long start, int proto, const struct addr *a,
			  const struct tot *t, const char *comm, const char *argv)
{
	print_sent_ex(pid, start, proto, a, get_port(a), 0, t, comm, argv);
}

static void print_sent(pid_t pid, int proto, const struct addr *peer, int port, int ingress,
		       const struct tot *t, const char *comm)
{
	print_sent_ex(pid, start_ticks(pid), proto, peer, port, ingress, t, comm, NULL);
}

/* A line for this process (or a child not reaped yet: start is read now). */
static void print_line(pid_t pid, int proto, const struct addr *a,
		       const struct tot *t, const char *comm)
{
	print_line_ex(pid, start_ticks(pid), proto, a, t, comm, NULL);
}

/* --wait-go: block until SIGUSR1 (SIGUSR1 is blocked from main on). */
static void wait_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) != 0)
		;
}

static void my_comm(char out[16])
{
	memset(out, 0, 16);
	if (prctl(PR_GET_NAME, out) != 0)
		snprintf(out, 16, "?");
}

/* ---- receivers ------------------------------------------------------------- */

struct rx {
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	struct addr bind;	/* port 0: ephemeral; filled in when ready */
	sem_t ready;
	const char *err;	/* set when setup failed */
	int err_no;
};

static void *rx_reader(void *arg)
{
	int fd = (int)(long)arg;
	char b[65536];

	/* Read until EOF; the sender's close ends it. */
	for (;;) {
		ssize_t r = read(fd, b, sizeof(b));

		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	close(fd);
	return NULL;
}

static void rx_fail(struct rx *r, const char *what)
{
	r->err = what;
	r->err_no = errno;
	sem_post(&r->ready);
}

static void *rx_main(void *arg)
{
	struct rx *r = arg;
	char b[65536];
	int one = 1, fd;

	/* A net namespace is per thread: only the receivers move into it. */
	if (o.netns) {
		int nfd = open(o.netns, O_RDONLY | O_CLOEXEC);

		if (nfd < 0 || setns(nfd, CLONE_NEWNET) != 0) {
			rx_fail(r, "setns");
			return NULL;
		}
		close(nfd);
	}
	fd = socket(addr_family(&r->bind), r->type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rx_fail(r, "socket");
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (r->type == SOCK_DGRAM) {
		int sz = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (struct sockaddr *)&r->bind.ss, r->bind.len) != 0) {
		rx_fail(r, "bind");
		return NULL;
	}
	if (r->type == SOCK_STREAM && listen(fd, 128) != 0) {
		rx_fail(r, "listen");
		return NULL;
	}
	r->bind.len = sizeof(r->bind.ss);
	getsockname(fd, (struct sockaddr *)&r->bind.ss, &r->bind.len);
	sem_post(&r->ready);

	for (;;) {
		if (r->type == SOCK_DGRAM) {
			(void)!recv(fd, b, sizeof(b), 0);
			continue;
		}
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, rx_reader, (void *)(long)c) != 0)
			close(c);
		else
			pthread_detach(t);
	}
	return NULL;
}

/* Start a receiver on addr (any port given is kept); return its port. */
static int start_rx(int type, const struct addr *at)
{
	struct rx *r = calloc(1, sizeof(*r));
	pthread_t t;

	if (!r)
		die("out of memory");
	r->type = type;
	r->bind = *at;
	sem_init(&r->ready, 0, 0);
	if (pthread_create(&t, NULL, rx_main, r) != 0)
		die("pthread_create: %s", strerror(errno));
	pthread_detach(t);
	while (sem_wait(&r->ready) != 0)
		;
	if (r->err)
		die("receiver %s: %s", r->err, strerror(r->err_no));
	return get_port(&r->bind);
}

/* The wildcard address of a family, with a port. */
static struct addr any_addr(int family, int port)
{
	struct addr a;

	parse_addr(family == AF_INET ? "0.0.0.0" : "::", port, &a);
	return a;
}

/* ---- senders --------------------------------------------------------------- */

enum how { H_SEND, H_WRITE, H_WRITEV, H_SENDTO };

static int sock_to(int type, const struct addr *dst, int do_connect)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(addr_family(dst), type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* Bounded: a send never blocks longer than this. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (do_connect && connect(fd, (const struct sockaddr *)&dst->ss, dst->len) != 0)
		die("connect: %s", strerror(errno));
	return fd;
}

static long long chunk_of(long long bytes, int count)
{
	long long c = (bytes + count - 1) / count;

	if (c > MAX_CHUNK)
		die("chunk of %lld bytes is too big; raise --count", c);
	return c;
}

/* Send `bytes` in chunks; totals come from what each call returned. */
static void send_loop(int fd, enum how how, const struct addr *dst,
		      long long bytes, long long chunk, struct tot *t)
{
	long long left = bytes;

	while (left > 0) {
		size_t n = left < chunk ? (size_t)left : (size_t)chunk;
		ssize_t r;

		switch (how) {
		case H_WRITE:
			r = write(fd, buf, n);
			break;
		case H_WRITEV: {
			/* Three pieces, so the kernel sees a real iovec. */
			struct iovec iov[3] = {
				{ buf, n / 3 }, { buf + n / 3, n / 3 },
				{ buf + 2 * (n / 3), n - 2 * (n / 3) },
			};
			r = writev(fd, iov, 3);
			break;
		}
		case H_SENDTO:
			r = sendto(fd, buf, n, 0, (const struct sockaddr *)&dst->ss, dst->len);
			break;
		default:
			r = send(fd, buf, n, 0);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("send: %s", strerror(errno));
		}
		if (r == 0)
			die("send returned 0");
		t->bytes += r;
		t->calls++;
		left -= r;
	}
	note_local(t, fd);
}

/*
 * Wait (bounded) until the peer acked all `sent` bytes; return the acked
 * count. On a socket that connected, tcpi_bytes_acked also counts the
 * SYN's sequence number, so one is subtracted: what is left is payload
 * only (an accepted socket's count starts after its SYN-ACK). Measured
 * before close, so the FIN is not in it.
 */
static long long tcp_acked_as(int fd, long long sent, int connected)
{
	long long deadline = now_ms() + ACK_WAIT_MS, acked = -1;

	for (;;) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
			die("TCP_INFO: %s", strerror(errno));
		if (len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
			die("kernel has no tcpi_bytes_acked");
		acked = (long long)ti.tcpi_bytes_acked - (connected && ti.tcpi_bytes_acked > 0);
		if (acked >= sent || now_ms() > deadline)
			return acked;
		usleep(1000);
	}
}

static long long tcp_acked(int fd, long long sent)
{
	return tcp_acked_as(fd, sent, 1);
}

/* One TCP connection: connect, send, wait for acks, close. */
static void tcp_one(const struct addr *dst, enum how how, struct tot *t)
{
	int fd = sock_to(SOCK_STREAM, dst, 1);
	struct tot mine = { 0 };

	send_loop(fd, how, dst, o.bytes, chunk_of(o.bytes, o.count), &mine);
	mine.acked = tcp_acked(fd, mine.bytes);
	close(fd);
	tot_add(t, &mine);
}

/* Pages of the file that [off, off + len) touches. */
static long long page_pieces(long long off, long long len)
{
	long page = sysconf(_SC_PAGESIZE);

	return (off % page + len + page - 1) / page;
}

/* A temp file holding `bytes` bytes, already unlinked. */
static int temp_file(long long bytes)
{
	const char *base = getenv("TMPDIR");
	char dir[512], path[600];
	int fd = -1;

	snprintf(dir, sizeof(dir), "%s/exf-traffic.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(dir)) {
		snprintf(path, sizeof(path), "%s/payload", dir);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		unlink(path);
		rmdir(dir);
	}
	if (fd < 0)	/* no writable temp dir (e.g. a bare initramfs) */
		fd = memfd_create("exf-traffic", MFD_CLOEXEC);
	if (fd < 0)
		die("temp file: %s", strerror(errno));
	for (long long left = bytes; left > 0;) {
		size_t n = left < 65536 ? (size_t)left : 65536;
		ssize_t r = write(fd, buf, n);

		if (r <= 0)
			die("temp file write: %s", strerror(errno));
		left -= r;
	}
	return fd;
}

static void tcp_sendfile(const struct addr *dst, struct tot *t)
{
	int file = temp_file(o.bytes), fd = sock_to(SOCK_STREAM, dst, 1);
	long long chunk = chunk_of(o.bytes, o.count);
	off_t off = 0;

	while (off < o.bytes) {
		long long left = o.bytes - off, at = off;
		ssize_t r = sendfile(fd, file, &off, left < chunk ? left : chunk);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("sendfile: %s", r < 0 ? strerror(errno) : "returned 0");
		t->bytes += r;
		t->calls++;
		t->pieces += page_pieces(at, r);
	}
	note_local(t, fd);
	t->acked = tcp_acked(fd, t->bytes);
	close(fd);
	close(file);
}

/* file -> pipe -> socket; only the pipe -> socket splices are counted. */
static void tcp_splice(const struct addr *dst, struct tot *t)
{
	int file = temp_file(o.bytes), fd = sock_to(SOCK_STREAM, dst, 1), p[2];
	long long chunk = chunk_of(o.bytes, o.count);
	loff_t off = 0;

	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	while (off < o.bytes) {
		long long left = o.bytes - off, at = off;
		ssize_t in = splice(file, &off, p[1], NULL, left < chunk ? left : chunk, 0);

		if (in < 0 && errno == EINTR)
			continue;
		if (in <= 0)
			die("splice from file: %s", in < 0 ? strerror(errno) : "returned 0");
		t->pieces += page_pieces(at, in);
		while (in > 0) {
			ssize_t r = splice(p[0], NULL, fd, NULL, in, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("splice to socket: %s", r < 0 ? strerror(errno) : "returned 0");
			t->bytes += r;
			t->calls++;
			in -= r;
		}
	}
	note_local(t, fd);
	t->acked = tcp_acked(fd, t->bytes);
	close(fd);
	close(p[0]);
	close(p[1]);
	close(file);
}

/* ---- cases ------------------------------------------------------------------- */

static struct addr dst_addr;	/* --dst with the receiver's port */
static char comm[16];

/* Receiver for the main destination; fills in dst_addr's port. */
static void rx_for_dst(int type)
{
	set_port(&dst_addr, start_rx(type, &dst_addr));
}

static void case_tcp(enum how how)
{
	struct tot t = { .acked = -1 };

	rx_for_dst(SOCK_STREAM);
	tcp_one(&dst_addr, how, &t);
	print_line(getpid(), SOCK_STREAM, &dst_addr, &t, comm);
}

static void case_udp(int connected)
{
	struct tot t = { .acked = -1 };
	int fd;

	rx_for_dst(SOCK_DGRAM);
	fd = sock_to(SOCK_DGRAM, &dst_addr, connected);
	send_loop(fd, connected ? H_SEND : H_SENDTO, &dst_addr, o.bytes,
		  chunk_of(o.bytes, o.count), &t);
	close(fd);
	print_line(getpid(), SOCK_DGRAM, &dst_addr, &t, comm);
}

static void case_v4mapped(void)
{
	struct addr m;
	struct tot u = { .acked = -1 }, t = { .acked = -1 };
	int fd;

	if (addr_family(&dst_addr) != AF_INET)
		die("v4mapped needs an IPv4 --dst");
	if (chunk_of(o.bytes, o.count) > UDP_MAX)
		die("datagrams would be too big; raise --count");
	/* UDP: an AF_INET6 socket sending to ::ffff:a.b.c.d */
	rx_for_dst(SOCK_DGRAM);
	m = v4mapped(&dst_addr);
	fd = sock_to(SOCK_DGRAM, &m, 0);
	send_loop(fd, H_SENDTO, &m, o.bytes, chunk_of(o.bytes, o.count), &u);
	close(fd);
	print_line(getpid(), SOCK_DGRAM, &m, &u, comm);

	/* TCP: an AF_INET6 connection to the same mapped address. */
	set_port(&dst_addr, o.port);	/* TCP and UDP may share a port number */
	rx_for_dst(SOCK_STREAM);
	m = v4mapped(&dst_addr);
	tcp_one(&m, H_SEND, &t);
	print_line(getpid(), SOCK_STREAM, &m, &t, comm);
}

/* Unconnected UDP, messages alternating between two receivers. */
static void case_sendmmsg(void)
{
	struct addr d[2] = { dst_addr, dst_addr };
	struct tot t[2] = { { .acked = -1 }, { .acked = -1 } };
	long long chunk = chunk_of(o.bytes, o.count);
	int total = 2 * o.count, done = 0, fd;

	if (chunk > UDP_MAX)
		die("datagram of %lld bytes is too big; raise --count", chunk);
	set_port(&d[0], start_rx(SOCK_DGRAM, &d[0]));
	set_port(&d[1], 0);
	set_port(&d[1], start_rx(SOCK_DGRAM, &d[1]));
	fd = sock_to(SOCK_DGRAM, &d[0], 0);
	while (done < total) {
		struct mmsghdr m[MMSG_BATCH];
		struct iovec iov[MMSG_BATCH];
		int n = total - done < MMSG_BATCH ? total - done : MMSG_BATCH, r;

		memset(m, 0, sizeof(m));
		for (int i = 0; i < n; i++) {
			int k = done + i, which = k % 2;
			/* Message k is this destination's (k/2)th share. */
			long long left = o.bytes - (long long)(k / 2) * chunk;

			iov[i].iov_base = buf;
			iov[i].iov_len = left < chunk ? (size_t)left : (size_t)chunk;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &d[which].ss;
			m[i].msg_hdr.msg_namelen = d[which].len;
		}
		r = sendmmsg(fd, m, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("sendmmsg: %s", r < 0 ? strerror(errno) : "returned 0");
		/* Each message the kernel sent is one udp_sendmsg call. */
		for (int i = 0; i < r; i++) {
			struct tot *x = &t[(done + i) % 2];

			x->bytes += m[i].msg_len;
			x->calls++;
		}
		done += r;
	}
	note_local(&t[0], fd);
	note_local(&t[1], fd);
	close(fd);
	print_line(getpid(), SOCK_DGRAM, &d[0], &t[0], comm);
	print_line(getpid(), SOCK_DGRAM, &d[1], &t[1], comm);
}

/*
 * A connected UDP socket that also sends elsewhere with sendto(): each
 * datagram must be counted for the address it really went to, not for
 * the socket's peer (else a connect() to a harmless host would hide
 * where the data went).
 */
static void case_udp_conn_sendto(void)
{
	struct addr d[2] = { dst_addr, dst_addr };
	struct tot t[2] = { { .acked = -1 }, { .acked = -1 } };
	long long chunk = chunk_of(o.bytes, o.count);
	int fd;

	if (chunk > UDP_MAX)
		die("datagram of %lld bytes is too big; raise --count", chunk);
	set_port(&d[0], start_rx(SOCK_DGRAM, &d[0]));
	set_port(&d[1], 0);
	set_port(&d[1], start_rx(SOCK_DGRAM, &d[1]));
	fd = sock_to(SOCK_DGRAM, &d[0], 1);
	for (int k = 0; k < 2 * o.count; k++) {
		int which = k % 2;
		long long left = o.bytes - (long long)(k / 2) * chunk;
		size_t len = left < chunk ? (size_t)left : (size_t)chunk;
		ssize_t r = which ? sendto(fd, buf, len, 0, (struct sockaddr *)&d[1].ss, d[1].len)
				  : send(fd, buf, len, 0);

		if (r < 0 && errno == EINTR) {
			k--;
			continue;
		}
		if (r < 0)
			die("%s: %s", which ? "sendto" : "send", strerror(errno));
		t[which].bytes += r;
		t[which].calls++;
	}
	note_local(&t[0], fd);
	note_local(&t[1], fd);
	close(fd);
	print_line(getpid(), SOCK_DGRAM, &d[0], &t[0], comm);
	print_line(getpid(), SOCK_DGRAM, &d[1], &t[1], comm);
}

static void case_file(int use_splice)
{
	struct tot t = { .acked = -1 };

	rx_for_dst(SOCK_STREAM);
	if (use_splice)
		tcp_splice(&dst_addr, &t);
	else
		tcp_sendfile(&dst_addr, &t);
	print_line(getpid(), SOCK_STREAM, &dst_addr, &t, comm);
}

static void *thread_send(void *arg)
{
	tcp_one(&dst_addr, H_SEND, arg);
	return NULL;
}

static void case_threads(void)
{
	pthread_t th[MAX_THREADS];
	struct tot per[MAX_THREADS], t = { .acked = -1 };

	rx_for_dst(SOCK_STREAM);
	for (int i = 0; i < o.threads; i++) {
		per[i] = (struct tot){ .acked = -1 };
		if (pthread_create(&th[i], NULL, thread_send, &per[i]) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	for (int i = 0; i < o.threads; i++) {
		pthread_join(th[i], NULL);
		tot_add(&t, &per[i]);
	}
	print_line(getpid(), SOCK_STREAM, &dst_addr, &t, comm);
}

static pid_t wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child %d failed (status 0x%x)", (int)pid, st);
	return pid;
}

/* Wait until pid exited, read its start time, then reap it. */
static long long wait_child_start(pid_t pid)
{
	siginfo_t si;
	long long start;

	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) != 0)
		if (errno != EINTR)
			die("waitid: %s", strerror(errno));
	start = start_ticks(pid);
	wait_child(pid);
	return start;
}

/* A short-lived child sends a UDP burst and exits at once. */
static void case_short(void)
{
	struct { struct tot t; char comm[16]; int err; } *sh;
	long long start;
	pid_t pid;

	rx_for_dst(SOCK_DGRAM);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (o.wait_go) {
		/* The parent's marker: once the agent wrote it, it knows us alive. */
		struct tot m = { .acked = -1 };
		int fd = sock_to(SOCK_DGRAM, &dst_addr, 0);

		send_loop(fd, H_SENDTO, &dst_addr, 1, 1, &m);
		close(fd);
		wait_go();
		print_line(getpid(), SOCK_DGRAM, &dst_addr, &m, comm);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only async-signal-safe calls here: the parent has threads. */
		long long chunk = (o.bytes + o.count - 1) / o.count, left = o.bytes;
		int fd = socket(addr_family(&dst_addr), SOCK_DGRAM, 0);

		prctl(PR_SET_NAME, "exf-short");
		prctl(PR_GET_NAME, sh->comm);
		if (fd < 0 || chunk > UDP_MAX)
			_exit(3);
		while (left > 0) {
			ssize_t r = sendto(fd, buf, left < chunk ? left : chunk, 0,
					   (struct sockaddr *)&dst_addr.ss, dst_addr.len);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				_exit(4);
			sh->t.bytes += r;
			sh->t.calls++;
			left -= r;
		}
		note_local(&sh->t, fd);
		_exit(0);
	}
	start = wait_child_start(pid);
	sh->t.acked = -1;
	print_line_ex(pid, start, SOCK_DGRAM, &dst_addr, &sh->t, sh->comm, NULL);
}

/* A child execs this program again, which sends over TCP and reports back. */
static void case_short_exec(void)
{
	char self[4096], a_port[16], a_bytes[32], a_count[16], a_fd[16], ip[INET6_ADDRSTRLEN];
	char rep[192], ccomm[16] = "", args[4400];
	struct tot t = { .acked = -1 };
	long long start;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1), got = 0;
	int p[2];
	pid_t pid;

	/* The real path, not /proc/self/exe: comm is the exec'd file's name. */
	if (n <= 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	rx_for_dst(SOCK_STREAM);
	if (pipe(p) != 0)
		die("pipe: %s", strerror(errno));
	addr_str(&dst_addr, ip, sizeof(ip));
	snprintf(a_port, sizeof(a_port), "%d", get_port(&dst_addr));
	snprintf(a_bytes, sizeof(a_bytes), "%lld", o.bytes);
	snprintf(a_count, sizeof(a_count), "%d", o.count);
	snprintf(a_fd, sizeof(a_fd), "%d", p[1]);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { self, CHILD_MODE, "--dst", ip, "--port", a_port, "--bytes",
				 a_bytes, "--count", a_count, "--report-fd", a_fd,
				 o.wait_go ? "--wait-go" : NULL, NULL };

		close(p[0]);
		execv(self, argv);
		_exit(127);
	}
	/* What the child's process.args must be (no argument holds a comma). */
	snprintf(args, sizeof(args), "%s,%s,--dst,%s,--port,%s,--bytes,%s,--count,%s,--report-fd,%s%s",
		 self, CHILD_MODE, ip, a_port, a_bytes, a_count, a_fd, o.wait_go ? ",--wait-go" : "");
	close(p[1]);
	while (got < (ssize_t)sizeof(rep) - 1) {
		ssize_t r = read(p[0], rep + got, sizeof(rep) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	rep[got] = '\0';
	close(p[0]);
	start = wait_child_start(pid);
	if (sscanf(rep, "%lld %lld %lld %15s %45s %d", &t.bytes, &t.calls, &t.acked, ccomm,
		   ip, &t.ports[0]) != 6 || parse_addr(ip, t.ports[0], &t.src) != 0)
		die("child report unreadable: '%s'", rep);
	t.nports = 1;
	print_line_ex(pid, start, SOCK_STREAM, &dst_addr, &t, ccomm, args);
}

/* The exec'd half of short-exec: send, then report totals on a pipe. */
static void child_tcp(void)
{
	struct tot t = { .acked = -1 };
	char rep[192], ip[INET6_ADDRSTRLEN];
	int n;

	if (o.wait_go) {
		/* The first byte is the marker; the rest once the test says go. */
		int fd = sock_to(SOCK_STREAM, &dst_addr, 1);

		send_loop(fd, H_SEND, &dst_addr, 1, 1, &t);
		wait_go();
		send_loop(fd, H_SEND, &dst_addr, o.bytes - 1, chunk_of(o.bytes, o.count), &t);
		t.acked = tcp_acked(fd, t.bytes);
		close(fd);
	} else {
		tcp_one(&dst_addr, H_SEND, &t);
	}
	addr_str(&t.src, ip, sizeof(ip));
	n = snprintf(rep, sizeof(rep), "%lld %lld %lld %s %s %d\n", t.bytes, t.calls, t.acked,
		     comm, ip, t.ports[0]);
	if (o.report_fd < 0 || write(o.report_fd, rep, n) != n)
		die("cannot report to the parent");
}

/* One datagram of a distinct size to each of N addresses 127.1.x.y. */
static void case_many(void)
{
	struct addr any = any_addr(AF_INET, o.port), *d;
	int port = start_rx(SOCK_DGRAM, &any), fd;
	struct tot t;

	d = calloc(o.dests, sizeof(*d));
	if (!d)
		die("out of memory");
	fd = sock_to(SOCK_DGRAM, &any, 0);
	for (int i = 0; i < o.dests; i++) {
		char ip[32];
		size_t n = 64 + i;	/* distinct, so a misattribution shows */
		ssize_t r;

		snprintf(ip, sizeof(ip), "127.1.%d.%d", i / 254, i % 254 + 1);
		parse_addr(ip, port, &d[i]);
		do
			r = sendto(fd, buf, n, 0, (struct sockaddr *)&d[i].ss, d[i].len);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			die("sendto %s: %s", ip, r < 0 ? strerror(errno) : "returned 0");
		t = (struct tot){ .bytes = r, .calls = 1, .acked = -1 };
		note_local(&t, fd);
		print_line(getpid(), SOCK_DGRAM, &d[i], &t, comm);
	}
	close(fd);
	free(d);
}

/*
 * drain-race: send without pause for o.ms while the agent swaps and drains
 * its map; every byte must show up in exactly one interval's record.
 */
static volatile int race_stop;	/* drain-race: SIGUSR1 came */

struct race {
	int type;
	struct addr dst;
	long long deadline;
	struct tot t;
};

static void *race_send(void *arg)
{
	struct race *r = arg;
	int fd = sock_to(r->type, &r->dst, r->type == SOCK_STREAM);
	enum how how = r->type == SOCK_STREAM ? H_SEND : H_SENDTO;
	long long chunk = r->type == SOCK_STREAM ? RACE_CHUNK : 1000;

	/* Small sends, so many of them land right at a map swap. */
	while (!race_stop && now_ms() < r->deadline)
		send_loop(fd, how, &r->dst, chunk, chunk, &r->t);
	if (r->type == SOCK_STREAM)
		r->t.acked = tcp_acked(fd, r->t.bytes);
	close(fd);
	return NULL;
}

static void case_race(void)
{
	struct race r[RACE_TCP + 1];
	pthread_t th[RACE_TCP + 1];
	struct tot tcp = { .acked = 0 }, udp = { .acked = -1 };
	struct addr u = dst_addr;
	long long deadline;

	rx_for_dst(SOCK_STREAM);
	set_port(&u, 0);
	set_port(&u, start_rx(SOCK_DGRAM, &u));
	deadline = now_ms() + o.ms;
	for (int i = 0; i <= RACE_TCP; i++) {
		r[i] = (struct race){ i < RACE_TCP ? SOCK_STREAM : SOCK_DGRAM,
				      i < RACE_TCP ? dst_addr : u, deadline, { .acked = -1 } };
		if (pthread_create(&th[i], NULL, race_send, &r[i]) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	if (o.until_usr1) {
		sigset_t set;
		long long left;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		while ((left = deadline - now_ms()) > 0) {
			struct timespec ts = { left / 1000, (left % 1000) * 1000000 };

			if (sigtimedwait(&set, NULL, &ts) == SIGUSR1)
				break;
		}
		__atomic_store_n(&race_stop, 1, __ATOMIC_SEQ_CST);
	}
	for (int i = 0; i <= RACE_TCP; i++) {
		struct tot *x = i < RACE_TCP ? &tcp : &udp;

		pthread_join(th[i], NULL);
		tot_add(x, &r[i].t);
	}
	print_line(getpid(), SOCK_STREAM, &dst_addr, &tcp, comm);
	print_line(getpid(), SOCK_DGRAM, &u, &udp, comm);
}

/*
 * setuid: a marker as root, then (once the test says go) setresuid to
 * nobody and a payload to a second receiver: that record's user.id is the
 * uid of its first send (65534), not the process's uid when it started.
 */
#define SETUID_UID 65534

static void case_setuid(void)
{
	struct addr d2 = dst_addr;
	struct tot m = { .acked = -1 }, t = { .acked = -1 };
	long long start = start_ticks(getpid());	/* before: nobody may not read it */
	int fd;

	rx_for_dst(SOCK_DGRAM);
	set_port(&d2, 0);
	set_port(&d2, start_rx(SOCK_DGRAM, &d2));
	fd = sock_to(SOCK_DGRAM, &dst_addr, 1);
	send_loop(fd, H_SEND, &dst_addr, 1, 1, &m);
	close(fd);
	if (o.wait_go)
		wait_go();
	if (setresuid(SETUID_UID, SETUID_UID, SETUID_UID) != 0)
		die("setresuid: %s", strerror(errno));
	fd = sock_to(SOCK_DGRAM, &d2, 1);
	send_loop(fd, H_SEND, &d2, o.bytes, chunk_of(o.bytes, o.count), &t);
	close(fd);
	print_line_ex(getpid(), start, SOCK_DGRAM, &dst_addr, &m, comm, NULL);
	line_uid = SETUID_UID;
	print_line_ex(getpid(), start, SOCK_DGRAM, &d2, &t, comm, NULL);
	line_uid = -1;
}

/*
 * ticker: one TICK_BYTES datagram to its own receiver every TICK_MS until
 * SIGUSR1, so the sender lives across drains (the hashing budget tests).
 * "ticking pid=P" once the first datagram went, so a test knows it sent;
 * the sent line at the end.
 */
#define TICK_BYTES	100
#define TICK_MS		20

static void tick_until_usr1(int fd, struct tot *t)
{
	struct timespec ts = { 0, TICK_MS * 1000000L };
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	for (int first = 1;; first = 0) {
		send_loop(fd, H_SEND, &dst_addr, TICK_BYTES, TICK_BYTES, t);
		if (first) {
			printf("ticking pid=%d\n", (int)getpid());
			fflush(stdout);
		}
		if (sigtimedwait(&usr1, NULL, &ts) == SIGUSR1)
			return;
	}
}

static void case_ticker(void)
{
	struct tot t = { .acked = -1 };
	int fd;

	rx_for_dst(SOCK_DGRAM);
	fd = sock_to(SOCK_DGRAM, &dst_addr, 1);
	tick_until_usr1(fd, &t);
	close(fd);
	print_line(getpid(), SOCK_DGRAM, &dst_addr, &t, comm);
}

/*
 * leader-exit: one datagram, then "ready pid=P"; at SIGUSR1 the main
 * thread exits while a second thread lives on. /proc/P/exe then resolves
 * to nothing (the leader's memory is gone), as an agent reading it now
 * finds. The thread says "leader-gone pid=P", then ticks as the ticker
 * does until the next SIGUSR1; the sent line counts every datagram.
 */
static struct tot lx_tot = { .acked = -1 };

static void *leader_exit_worker(void *arg)
{
	char path[64], b[PATH_MAX];
	int fd = (int)(long)arg;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)getpid());
	while (readlink(path, b, sizeof(b)) >= 0)
		usleep(1000);	/* bounded by the run's alarm */
	printf("leader-gone pid=%d\n", (int)getpid());
	fflush(stdout);
	tick_until_usr1(fd, &lx_tot);
	print_line(getpid(), SOCK_DGRAM, &dst_addr, &lx_tot, comm);
	fflush(stdout);
	exit(0);
}

static void case_leader_exit(void)
{
	pthread_t th;
	int fd;

	rx_for_dst(SOCK_DGRAM);
	fd = sock_to(SOCK_DGRAM, &dst_addr, 1);
	send_loop(fd, H_SEND, &dst_addr, TICK_BYTES, TICK_BYTES, &lx_tot);
	if (pthread_create(&th, NULL, leader_exit_worker, (void *)(long)fd) != 0)
		die("pthread_create: %s", strerror(errno));
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	wait_go();
	pthread_exit(NULL);
}

/*
 * memfd CASE [ARGS]: run CASE from a copy of this program in a memfd: a
 * fileless process (its /proc/PID/exe is "/memfd:exf-memfd (deleted)").
 */
static void exec_from_memfd(char **argv)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int fd = memfd_create("exf-memfd", MFD_CLOEXEC);
	char b[65536];
	ssize_t n;

	if (in < 0 || fd < 0)
		die("memfd: %s", strerror(errno));
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(fd, b, (size_t)n) != n)
			die("memfd write: %s", strerror(errno));
	if (n < 0)
		die("memfd read: %s", strerror(errno));
	close(in);
	argv[1] = argv[0];
	fexecve(fd, argv + 1, environ);
	die("fexecve: %s", strerror(errno));
}

/*
 * accept4: this process is also a TCP server, listening on the wildcard
 * address. Client i, bound to 127.0.0.(11+i), connects to 127.0.0.(21+i)
 * (the first client twice), sends 100 bytes, and the server answers
 * connection k with --bytes + 1000 * k bytes. The clients' sends are
 * egress; the server's answers are ingress (the peers opened the
 * connections), one line per client: the two connections of the first
 * client make one total, as exfild groups them by service. Distinct
 * addresses on both sides keep every line's records apart.
 */
#define ACCEPT_CLIENTS	3
#define ACCEPT_CONNS	4
#define ACCEPT_ASK	100

struct reader {
	int fd;
	long long n;
};

/* The client reads its answer meanwhile, so the server never blocks. */
static void *read_exactly(void *arg)
{
	struct reader *rd = arg;
	long long n = rd->n;
	int fd = rd->fd;
	char b[65536];

	while (n > 0) {
		ssize_t r = read(fd, b, n < (long long)sizeof(b) ? (size_t)n : sizeof(b));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read answer: %s", r < 0 ? strerror(errno) : "early EOF");
		n -= r;
	}
	return NULL;
}

/*
 * The UDP rule, both ways: a client at 127.0.0.14 sends to a server at
 * 127.0.0.24, which answers from its service port. UDP has no connection
 * state, so both sends are egress: the client's to the service port, the
 * server's from it to the client's port.
 */
#define UDP_ASK		300
#define UDP_ANSWER	700

static void udp_both_ways(void)
{
	struct addr c, sv, from = { .len = sizeof(from.ss) };
	struct tot ask = { .acked = -1 }, answer = { .acked = -1 };
	int cfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	parse_addr("127.0.0.14", 0, &c);
	parse_addr("127.0.0.24", 0, &sv);
	if (cfd < 0 || sfd < 0 || bind(cfd, (struct sockaddr *)&c.ss, c.len) ||
	    bind(sfd, (struct sockaddr *)&sv.ss, sv.len) ||
	    getsockname(sfd, (struct sockaddr *)&sv.ss, &sv.len))
		die("udp sockets: %s", strerror(errno));
	send_loop(cfd, H_SENDTO, &sv, UDP_ASK, UDP_ASK, &ask);
	if (recvfrom(sfd, buf, UDP_ASK, 0, (struct sockaddr *)&from.ss, &from.len) != UDP_ASK)
		die("udp recvfrom: %s", strerror(errno));
	send_loop(sfd, H_SENDTO, &from, UDP_ANSWER, UDP_ANSWER, &answer);
	if (recv(cfd, buf, UDP_ANSWER, 0) != UDP_ANSWER)
		die("udp recv: %s", strerror(errno));
	close(cfd);
	close(sfd);
	print_line(getpid(), SOCK_DGRAM, &sv, &ask, comm);
	print_line(getpid(), SOCK_DGRAM, &from, &answer, comm);
}

static void case_accept(void)
{
	struct tot ask[ACCEPT_CLIENTS], answer[ACCEPT_CLIENTS];
	struct addr client[ACCEPT_CLIENTS], server[ACCEPT_CLIENTS], srv = any_addr(AF_INET, o.port);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&srv.ss, srv.len) || listen(lfd, ACCEPT_CONNS) ||
	    getsockname(lfd, (struct sockaddr *)&srv.ss, &srv.len))
		die("server socket: %s", strerror(errno));
	for (int i = 0; i < ACCEPT_CLIENTS; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "127.0.0.%d", 11 + i);
		parse_addr(ip, 0, &client[i]);
		snprintf(ip, sizeof(ip), "127.0.0.%d", 21 + i);
		parse_addr(ip, get_port(&srv), &server[i]);
		ask[i] = answer[i] = (struct tot){ .acked = 0 };
	}
	for (int k = 0; k < ACCEPT_CONNS; k++) {
		int who = k % ACCEPT_CLIENTS, cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), afd;
		long long n = o.bytes + 1000LL * k;
		struct tot mine = { .acked = 0 };
		struct reader rd = { cfd, n };
		pthread_t th;

		if (cfd < 0 || bind(cfd, (struct sockaddr *)&client[who].ss, client[who].len) ||
		    connect(cfd, (struct sockaddr *)&server[who].ss, server[who].len))
			die("client %d: %s", who, strerror(errno));
		send_loop(cfd, H_SEND, &server[who], ACCEPT_ASK, ACCEPT_ASK, &mine);
		mine.acked = tcp_acked(cfd, mine.bytes);
		tot_add(&ask[who], &mine);
		do
			afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		while (afd < 0 && errno == EINTR);
		if (afd < 0)
			die("accept: %s", strerror(errno));
		mine = (struct tot){ .acked = 0 };
		if (pthread_create(&th, NULL, read_exactly, &rd) != 0)
			die("pthread_create: %s", strerror(errno));
		send_loop(afd, H_SEND, &client[who], n, chunk_of(o.bytes, o.count), &mine);
		pthread_join(th, NULL);
		mine.acked = tcp_acked_as(afd, mine.bytes, 0);
		tot_add(&answer[who], &mine);
		close(afd);
		close(cfd);
	}
	close(lfd);
	udp_both_ways();
	for (int i = 0; i < ACCEPT_CLIENTS; i++) {
		print_line(getpid(), SOCK_STREAM, &server[i], &ask[i], comm);
		print_sent(getpid(), SOCK_STREAM, &client[i], get_port(&srv), 1, &answer[i], comm);
	}
}

/*
 * not-counted: sends the README says exfild does not count: UDP-Lite, a
 * raw IPv4 socket and (--mptcp) MPTCP. Prints "uncounted kind=K bytes=N"
 * per kind and no sent line: any record of this process is wrong.
 */
static void send_uncounted(const char *kind, int type, int proto, int listen_proto)
{
	struct addr a = dst_addr;
	long long bytes = 0;
	int rx, fd, one = 1;

	set_port(&a, 0);
	rx = socket(AF_INET, type | SOCK_CLOEXEC, listen_proto);
	if (rx < 0)
		die("%s receiver: %s", kind, strerror(errno));
	setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(rx, (struct sockaddr *)&a.ss, a.len) != 0 ||
	    (type == SOCK_STREAM && listen(rx, 4) != 0))
		die("%s receiver: %s", kind, strerror(errno));
	a.len = sizeof(a.ss);
	getsockname(rx, (struct sockaddr *)&a.ss, &a.len);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		die("%s socket: %s", kind, strerror(errno));
	if (type == SOCK_STREAM && connect(fd, (struct sockaddr *)&a.ss, a.len) != 0)
		die("%s connect: %s", kind, strerror(errno));
	for (int i = 0; i < 10; i++) {
		ssize_t r = type == SOCK_STREAM ? send(fd, buf, 1000, 0) :
			    sendto(fd, buf, 1000, 0, (struct sockaddr *)&a.ss, a.len);

		if (r < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (r <= 0)
			die("%s send: %s", kind, r < 0 ? strerror(errno) : "returned 0");
		bytes += r;
	}
	close(fd);
	close(rx);
	printf("uncounted kind=%s bytes=%lld\n", kind, bytes);
}

static void case_not_counted(void)
{
	if (addr_family(&dst_addr) != AF_INET)
		die("not-counted needs an IPv4 --dst");
	send_uncounted("udplite", SOCK_DGRAM, IPPROTO_UDPLITE, IPPROTO_UDPLITE);
	/* protocol 253: reserved for experiments (RFC 3692); the kernel adds the header */
	send_uncounted("raw", SOCK_RAW, 253, 253);
	if (o.mptcp)
		send_uncounted("mptcp", SOCK_STREAM, IPPROTO_MPTCP, IPPROTO_MPTCP);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: traffic CASE [--dst ADDR] [--port N] [--bytes N] [--count N]\n"
		"               [--threads N] [--dests N] [--sink-netns PATH] [--seconds S]\n"
		"               [--wait-go] [--until-usr1] [--mptcp]\n"
		"cases: tcp4 tcp6 udp4-conn udp6-conn udp4-unconn udp6-unconn udp4-conn-sendto\n"
		"       udp6-conn-sendto v4mapped\n"
		"       sendmmsg writev sendfile splice write threads short short-exec many fill\n"
		"       not-counted (UDP-Lite, raw, with --mptcp MPTCP: no record may say them)\n"
		"       setuid (a marker as root, then with --wait-go's go a payload as 65534)\n"
		"       drain-race (sends for --seconds S, default 3.5, at most 30)\n"
		"       accept4 (a TCP server answering clients from 127.0.0.11-13, and\n"
		"       a UDP exchange 127.0.0.14 <-> 127.0.0.24)\n"
		"       ticker (100 bytes every 20 ms until SIGUSR1)\n"
		"       leader-exit (at SIGUSR1 the main thread exits, another ticks on)\n"
		"       memfd CASE ... (CASE run from a memfd copy of this program)\n");
	exit(2);
}

static long long num_arg(const char *s, long long min, long long max, const char *name)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		die("bad %s '%s' (allowed %lld..%lld)", name, s, min, max);
	return v;
}

/* Decimal seconds (e.g. 3.5) as milliseconds; bounded well below the alarm. */
static long long seconds_arg(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= 0.1 && v <= 30))
		die("bad --seconds '%s' (allowed 0.1..30)", s);
	return (long long)(v * 1000 + 0.5);
}

static void parse_args(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		usage();
	o.kase = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "--wait-go")) {
			o.wait_go = 1;
			continue;
		}
		if (!strcmp(k, "--until-usr1")) {
			o.until_usr1 = 1;
			continue;
		}
		if (!strcmp(k, "--mptcp")) {
			o.mptcp = 1;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(k, "--dst"))
			o.dst = v;
		else if (!strcmp(k, "--port"))
			o.port = num_arg(v, 0, 65535, k);
		else if (!strcmp(k, "--bytes"))
			o.bytes = num_arg(v, 1, MAX_BYTES, k);
		else if (!strcmp(k, "--count"))
			o.count = num_arg(v, 1, 1000000, k);
		else if (!strcmp(k, "--threads"))
			o.threads = num_arg(v, 1, MAX_THREADS, k);
		else if (!strcmp(k, "--dests"))
			o.dests = num_arg(v, 1, MAX_DESTS, k);
		else if (!strcmp(k, "--sink-netns"))
			o.netns = v;
		else if (!strcmp(k, "--seconds"))
			o.ms = seconds_arg(v);
		else if (!strcmp(k, "--report-fd"))
			o.report_fd = num_arg(v, 0, 1 << 20, k);
		else
			usage();
		i++;
	}
}

static int is(const char *name)
{
	return !strcmp(o.kase, name);
}

int main(int argc, char **argv)
{
	int udp, v6;
	size_t bufsz;

	sigset_t usr1;

	if (argc > 2 && !strcmp(argv[1], "memfd"))
		exec_from_memfd(argv);
	parse_args(argc, argv);
	/* Blocked in every thread: wait_go() and drain-race take it with sigwait. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a send error is reported, not fatal */
	signal(SIGALRM, on_alarm);
	alarm(RUN_TIMEOUT_S);

	udp = !strncmp(o.kase, "udp", 3) || is("sendmmsg") || is("short");
	v6 = strchr(o.kase, '6') != NULL;
	if (!o.bytes)
		o.bytes = 100000;
	if (!o.count)
		o.count = udp ? 100 : 10;	/* 1000-byte datagrams, 10000-byte writes */
	if (!o.dst)
		o.dst = v6 ? "::1" : "127.0.0.1";
	if (parse_addr(o.dst, o.port, &dst_addr) != 0)
		die("bad --dst '%s'", o.dst);
	if (udp && chunk_of(o.bytes, o.count) > UDP_MAX)
		die("datagrams would be too big; raise --count");
	my_comm(comm);

	bufsz = (size_t)chunk_of(o.bytes, o.count);
	if (bufsz < 64 + MAX_DESTS)
		bufsz = 64 + MAX_DESTS;	/* case_many's largest datagram */
	if (bufsz < 65536)
		bufsz = 65536;		/* temp_file writes 64 KiB at a time */
	buf = malloc(bufsz);
	if (!buf)
		die("out of memory");
	for (size_t i = 0; i < bufsz; i++)
		buf[i] = (char)('a' + i % 26);

	if (is("tcp4") || is("tcp6"))
		case_tcp(H_SEND);
	else if (is("write"))
		case_tcp(H_WRITE);
	else if (is("writev"))
		case_tcp(H_WRITEV);
	else if (is("udp4-conn") || is("udp6-conn"))
		case_udp(1);
	else if (is("udp4-unconn") || is("udp6-unconn"))
		case_udp(0);
	else if (is("udp4-conn-sendto") || is("udp6-conn-sendto"))
		case_udp_conn_sendto();
	else if (is("v4mapped"))
		case_v4mapped();
	else if (is("sendmmsg"))
		case_sendmmsg();
	else if (is("sendfile"))
		case_file(0);
	else if (is("splice"))
		case_file(1);
	else if (is("threads"))
		case_threads();
	else if (is("short"))
		case_short();
	else if (is("short-exec"))
		case_short_exec();
	else if (is(CHILD_MODE))
		child_tcp();
	else if (is("many") || is("fill"))
		case_many();
	else if (is("drain-race"))
		case_race();
	else if (is("accept4"))
		case_accept();
	else if (is("not-counted"))
		case_not_counted();
	else if (is("setuid"))
		case_setuid();
	else if (is("ticker"))
		case_ticker();
	else if (is("leader-exit"))
		case_leader_exit();
	else
		usage();
	if (fflush(stdout) != 0)
		die("stdout: %s", strerror(errno));
	return 0;
}
