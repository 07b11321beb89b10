/*
 * exfild test-alert: send N clearly marked test alerts through the
 * configured alert sinks, with the same spool and guarantees as the
 * agent, and say whether they were delivered within --timeout. Exit 0:
 * every one delivered; 1: some stay spooled (the next agent run delivers
 * them) or were lost; 2: bad usage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "loop.h"
#include "opts.h"
#include "outputs.h"
#include "record.h"
#include "sink.h"
#include "test_alert_record.h"

#define TEST_ALERT_MAX 100000

static void usage(void)
{
	printf("usage: exfild test-alert [--count N] [--timeout SEC] [--config PATH] "
	       "[--state-dir DIR] [--output SINK]... [other sink options of exfild run]\n"
	       "Send N test alerts (rule.name \"exfild test alert\", exfild.test: true) through\n"
	       "the alert sinks, spooled like real ones; exit 0 once all are delivered, 1 with\n"
	       "the reason when some stay spooled after --timeout (default 10 s).\n");
}

/* Take "--name N" / "--name=N" out of argv; -1 on a bad number. */
static int take_uint(int *argc, char **argv, const char *name, unsigned max, unsigned *out)
{
	size_t nl = strlen(name);

	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;
		int used = 1;
		char *end;
		unsigned long n;

		if (!strcmp(argv[i], name) && i + 1 < *argc) {
			v = argv[i + 1];
			used = 2;
		} else if (!strncmp(argv[i], name, nl) && argv[i][nl] == '=') {
			v = argv[i] + nl + 1;
		} else if (!strcmp(argv[i], name)) {
			log_err("%s needs a value (see --help)", name);
			return -1;
		} else {
			continue;
		}
		n = strtoul(v, &end, 10);
		if (!*v || *end || v[0] == '-' || n < 1 || n > max) {
			log_err("%s %s: expected a whole number from 1 to %u", name, v, max);
			return -1;
		}
		*out = (unsigned)n;
		memmove(argv + i, argv + i + used, (size_t)(*argc - i - used + 1) * sizeof(*argv));
		*argc -= used;
		i--;
	}
	return 0;
}

static void random_id(char out[33])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)random();
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int cmd_test_alert(int argc, char **argv)
{
	unsigned count = 1, timeout = 10;
	char err[2048] = "", host[256], where[2048];
	struct opts o;
	struct loop *l;
	struct sinkset *ss;
	struct record_ctx ctx = { .host_name = host };
	struct sinkset_pending p;
	int rc = 1;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return 0;
		}
	if (take_uint(&argc, argv, "--count", TEST_ALERT_MAX, &count) ||
	    take_uint(&argc, argv, "--timeout", 86400, &timeout))
		return 2;
	opts_defaults(&o);
	if (opts_parse(&o, argc, argv, err, sizeof(err)) == OPTS_ERROR) {
		log_err("%s", err);
		return 2;
	}
	log_set_level(o.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = 0;
	l = loop_new();
	ss = l ? outputs_open(l, &o, host, err, sizeof(err)) : NULL;
	/* The same guarantee as the agent's, or none: no alerts from memory. */
	if (ss && sinkset_open_spool(ss, err, sizeof(err))) {
		sinkset_free(ss);
		ss = NULL;
	}
	if (!ss) {
		log_err("%s", l ? err : "out of memory");
		loop_free(l);
		return 1;
	}
	for (unsigned i = 1; i <= count; i++) {
		char id[33];
		json_t *r;

		random_id(id);
		ctx.now_ns = clock_ns(CLOCK_REALTIME);
		r = record_test_alert(&ctx, i, count, id);
		sinkset_emit(ss, REC_ALERT, r);
		json_decref(r);
		/* Let the sinks take what they can between alerts: the queue stays small. */
		loop_run_once(l, 0);
	}
	log_info("%u test alerts %s; waiting up to %u s for delivery", count,
		 sinkset_spooled(ss) ? "spooled" : "queued in memory (no spool)", timeout);
	outputs_flush(l, ss, (int64_t)timeout * NS_PER_SEC);
	sinkset_pending(ss, &p);
	sinkset_describe(ss, where, sizeof(where));
	if (!p.alerts && !p.alerts_lost) {
		printf("exfild: %u test alert%s delivered to every alert sink\n", count,
		       count == 1 ? "" : "s");
		rc = 0;
	} else if (p.alerts_lost) {
		log_err("%llu of %u test alerts were lost (spool full or unusable), %llu not "
			"delivered within %u s: %s", (unsigned long long)p.alerts_lost, count,
			(unsigned long long)p.alerts, timeout, where);
	} else {
		log_err("%llu alerts not delivered within %u s, they stay spooled in %s for the "
			"agent to deliver: %s", (unsigned long long)p.alerts, timeout,
			sinkset_spooled(ss) ? o.state_dir : "memory (lost now)", where);
	}
	sinkset_free(ss);
	loop_free(l);
	return rc;
}
