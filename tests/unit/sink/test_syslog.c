/*
 * RFC 5424 messages and the network sinks against listeners of the test's
 * own on loopback: octet counting over TCP, a datagram per record over
 * UDP and unix sockets, alerts spooled while the receiver is down and
 * delivered in order once it listens, each alert sink with its own
 * position.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "sink.h"
#include "syslog_fmt.h"
#define SINKTEST_LOOP
#include "sinktest.h"


static void test_severity_and_format(void **state)
{
	static const struct { int sev; int want; } bands[] = {
		{ 0, 5 }, { 21, 5 }, { 22, 4 }, { 47, 4 }, { 48, 3 }, { 73, 3 }, { 74, 2 }, { 99, 2 },
	};
	char host[300];
	size_t n;
	char *m;

	for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
		json_t *a = json_pack("{s:{s:i}}", "event", "severity", bands[i].sev);

		assert_int_equal(syslog_severity(REC_ALERT, a), bands[i].want);
		json_decref(a);
	}
	json_t *none = json_object();
	assert_int_equal(syslog_severity(REC_ALERT, none), 4);
	assert_int_equal(syslog_severity(REC_FLOW, none), 6);
	assert_int_equal(syslog_severity(REC_LOSS, none), 4);
	json_decref(none);

	syslog_hostname("my host\x01", host, sizeof(host));
	assert_string_equal(host, "my_host_");
	syslog_hostname("", host, sizeof(host));
	assert_string_equal(host, "-");

	/* 2026-12-02T14:09:59.123456Z */
	int64_t t = 1796220599123456789LL;
	m = syslog_format(REC_ALERT, 5, "{\"a\":1}", 7, "vm", 42, t, false, &n);
	assert_non_null(m);
	const char *want = "<37>1 2026-12-02T14:09:59.123456Z vm exfild 42 alert - {\"a\":1}";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(m, want, n);
	free(m);
	m = syslog_format(REC_FLOW, 6, "{}", 2, "vm", 7, t, true, &n);
	want = "55 <38>1 2026-12-02T14:09:59.123456Z vm exfild 7 flow - {}";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(m, want, n);
	free(m);
}

/* A TCP listener on 127.0.0.1, port chosen by the kernel. */
static int listen_tcp(uint16_t *port, int fixed)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)fixed) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Run the loop until the sink set is idle (or 10 s). */
static void settle(struct sinkset *ss)
{
	int64_t end = clock_ns(CLOCK_MONOTONIC) + 10 * NS_PER_SEC;

	while (!sinkset_idle(ss) && clock_ns(CLOCK_MONOTONIC) < end)
		loop_run_once(L, 50);
}

static size_t have;	/* bytes read past the frames of an earlier read_frames() */

/* Read octet-counted frames from c until n arrived; their MSGs' seq values. */
static void read_frames(int c, int n, int *seqs, const char *msgid)
{
	static char buf[1 << 20];
	int got = 0;

	while (got < n) {
		char *sp, *end;
		long len;
		ssize_t r;

		buf[have] = 0;
		sp = memchr(buf, ' ', have);
		len = sp ? strtol(buf, &end, 10) : 0;
		if (sp && end == sp && have >= (size_t)(sp - buf) + 1 + (size_t)len) {
			char *msg = sp + 1, *json = NULL;
			char want[64];

			snprintf(want, sizeof(want), " exfild %d %s - ", (int)getpid(), msgid);
			json = memmem(msg, (size_t)len, want, strlen(want));
			assert_non_null(json);
			json += strlen(want);
			json_t *j = json_loadb(json, (size_t)(msg + len - json), 0, NULL);
			assert_non_null(j);
			seqs[got++] = (int)json_integer_value(json_object_get(j, "seq"));
			json_decref(j);
			size_t used = (size_t)(msg + len - buf);
			memmove(buf, buf + used, have - used);
			have -= used;
			continue;
		}
		r = read(c, buf + have, sizeof(buf) - 1 - have);
		assert_true(r > 0);
		have += (size_t)r;
	}
}

static void emit(struct sinkset *ss, enum rec_kind k, int from, int to)
{
	for (int i = from; i < to; i++) {
		json_t *r = json_pack("{s:i, s:{s:i}}", "seq", i, "event", "severity", 73);

		assert_int_equal(sinkset_emit(ss, k, r), 0);
		json_decref(r);
	}
}

static void test_tcp_octet_counting(void **state)
{
	uint16_t port;
	int l = listen_tcp(&port, 0), c, seqs[200];
	char spec[64], err[512];
	struct sink_config cfg = { .host_name = "vm", .state_dir = in_dir(0, "state") };
	struct sinkset *ss = sinkset_new(L, &cfg);

	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%u", port);
	assert_int_equal(sinkset_add(ss, spec, SINK_OUTPUT_KINDS | REC_BIT(REC_FLOW), err, sizeof(err)), 0);
	emit(ss, REC_FLOW, 0, 100);
	emit(ss, REC_ALERT, 100, 150);
	settle(ss);
	assert_true(sinkset_idle(ss));
	c = accept(l, NULL, NULL);
	have = 0;
	assert_true(c >= 0);
	read_frames(c, 100, seqs, "flow");
	for (int i = 0; i < 100; i++)
		assert_int_equal(seqs[i], i);
	read_frames(c, 50, seqs, "alert");
	for (int i = 0; i < 50; i++)
		assert_int_equal(seqs[i], 100 + i);
	sinkset_free(ss);
	close(c);
	close(l);
}

/*
 * The receiver is down: alerts stay spooled (a second, healthy sink gets
 * them at once: its own position). After a restart of the agent the
 * receiver listens: every alert arrives, in order, once.
 */
static void test_receiver_down_then_up(void **state)
{
	uint16_t port;
	int l = listen_tcp(&port, 0), c, seqs[64];
	char spec[64], err[512], *text;
	const char *file = in_dir(1, "alerts.json");
	struct sink_config cfg = { .host_name = "vm", .state_dir = in_dir(0, "state") };
	struct sinkset *ss;
	struct sinkset_pending p;
	size_t len;

	close(l);	/* nobody listens on port now */
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%u", port);
	ss = sinkset_new(L, &cfg);
	assert_int_equal(sinkset_add(ss, spec, SINK_OUTPUT_KINDS, err, sizeof(err)), 0);
	assert_int_equal(sinkset_add(ss, spec_of(file), SINK_OUTPUT_KINDS, err, sizeof(err)), 0);
	emit(ss, REC_ALERT, 0, 20);
	int64_t end = clock_ns(CLOCK_MONOTONIC) + NS_PER_SEC;
	while (clock_ns(CLOCK_MONOTONIC) < end)
		loop_run_once(L, 100);
	sinkset_pending(ss, &p);
	assert_int_equal(p.alerts, 20);	/* the TCP sink has none yet */
	text = slurp(file, &len);
	int fseqs[64];
	assert_int_equal(parse_lines(text, fseqs, 64), 20);
	free(text);
	sinkset_free(ss);	/* the agent stops with them spooled */

	l = listen_tcp(&port, port);
	ss = sinkset_new(L, &cfg);
	assert_int_equal(sinkset_add(ss, spec, SINK_OUTPUT_KINDS, err, sizeof(err)), 0);
	assert_int_equal(sinkset_add(ss, spec_of(file), SINK_OUTPUT_KINDS, err, sizeof(err)), 0);
	assert_int_equal(sinkset_start(ss, err, sizeof(err)), 0);
	settle(ss);
	assert_true(sinkset_idle(ss));
	c = accept(l, NULL, NULL);
	have = 0;
	read_frames(c, 20, seqs, "alert");
	for (int i = 0; i < 20; i++)
		assert_int_equal(seqs[i], i);
	/* The file sink had them already: not written twice. */
	text = slurp(file, &len);
	assert_int_equal(parse_lines(text, fseqs, 64), 20);
	free(text);
	sinkset_free(ss);
	close(c);
	close(l);
}

static void test_unix_and_udp_datagrams(void **state)
{
	const char *path = in_dir(1, "log.sock");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0), d = socket(AF_INET, SOCK_DGRAM, 0);
	char spec[2][400], err[512], buf[2048];
	struct sink_config cfg = { .host_name = "vm", .state_dir = in_dir(0, "state") };
	struct sinkset *ss = sinkset_new(L, &cfg);

	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(u, (struct sockaddr *)&sun, sizeof(sun)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(d, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(d, (struct sockaddr *)&a, &alen);
	snprintf(spec[0], sizeof(spec[0]), "syslog+unix:%s", path);
	snprintf(spec[1], sizeof(spec[1]), "syslog+udp://127.0.0.1:%u", ntohs(a.sin_port));
	for (int i = 0; i < 2; i++)
		assert_int_equal(sinkset_add(ss, spec[i], REC_BIT(REC_LOSS), err, sizeof(err)), 0);
	settle(ss);
	emit(ss, REC_LOSS, 0, 3);
	settle(ss);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < 3; i++) {
			ssize_t r = recv(s ? d : u, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			char want[80];

			assert_true(r > 0);
			buf[r] = 0;
			/* One message per datagram, no octet count. */
			assert_int_equal(strncmp(buf, "<36>1 ", 6), 0);
			snprintf(want, sizeof(want), " vm exfild %d loss - {\"seq\":%d,", (int)getpid(), i);
			assert_non_null(strstr(buf, want));
		}
	sinkset_free(ss);
	close(u);
	close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity_and_format),
		cmocka_unit_test_setup_teardown(test_tcp_octet_counting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver_down_then_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_and_udp_datagrams, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("syslog", tests, NULL, NULL);
}
