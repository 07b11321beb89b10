/*
 * exfild replay: recorded flows (exfild NDJSON, Zeek conn.log TSV or JSON,
 * plain or gzip, "-" for stdin) through the same stages as the live agent:
 * readers -> enrich (scope, geo) -> detect (one detector per host) ->
 * alert records -> sink. Event time is the clock, and nothing here reads
 * the wall clock for anything that reaches the output, so the same input
 * gives byte-identical output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "cmd.h"
#include "detect.h"
#include "duration.h"
#include "enrich.h"
#include "geo.h"
#include "localnet.h"
#include "log.h"
#include "opts.h"
#include "record.h"
#include "replay_file.h"
#include "replay_hosts.h"
#include "replay_merge.h"
#include "loop.h"
#include "outputs.h"
#include "sink.h"

/* Records written between waits for the output: far below what a sink
 * queues (8 MiB), so a slow reader slows the replay, never drops a record. */
#define FLUSH_EVERY 256
#define FLUSH_TIMEOUT_NS (60 * 1000000000LL)
#define MAX_FILES 256
/* Event time between detect_tick calls: the agent's default drain interval. */
#define TICK_NS (10 * 1000000000LL)

struct replay_opts {
	struct opts base;		/* geoip, include_reserved, output, log level */
	struct localnets ln;
	bool local_net_given;
	bool flows;
	struct detect_config dc;
	const char *load_state, *save_state;
	const char *files[MAX_FILES];
	size_t n_files;
};

struct replay {
	struct replay_opts *o;
	struct loop *loop;
	struct sinkset *sinks;
	struct geo *geo;
	struct enricher enr;
	struct replay_hosts *hosts;
	int64_t next_tick;
	uint64_t records, in_scope, written, alerts, unscored;
	int rc;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exfild replay [OPTION]... FILE...\n"
		"Run recorded flows through exfild's stages, with event time as the clock.\n"
		"FILE: exfild NDJSON flow records, Zeek conn.log (TSV or JSON lines), plain or\n"
		"gzip; '-' reads stdin. Files are merged into one timeline by end time.\n\n"
		"  --config PATH            config file (geoip, include_reserved, output,\n"
		"                           alert_threshold, learning_period, ...)\n"
		"  --geoip PATH             MaxMind DB file for geo data (repeatable)\n"
		"  --include-reserved       also score reserved destinations\n"
		"  --output SINK            stdout (default) or file:/path (appended)\n"
		"  --load-state FILE        start every host from this baseline\n"
		"  --save-state FILE        write the baseline at the end (several hosts:\n"
		"                           FILE.HOST each), as a live agent loads it\n"
		"  --alert-threshold N      score 1-100 that alerts (75)\n"
		"  --learning-period DUR    no alerts before this much history (24h; 90m,\n"
		"                           2d, 3600s, or seconds)\n"
		"  --local-net CIDR         this side of a Zeek log (repeatable; default 10/8,\n"
		"                           172.16/12, 192.168/16, fc00::/7; Zeek's local_orig/\n"
		"                           local_resp win when present)\n"
		"  --flows                  also write a flow record per replayed observation\n"
		"  -v, --verbose            debug messages\n"
		"  -h, --help               this text\n\n"
		"Malformed lines are counted and reported with file and line, never fatal.\n"
		"Exit status: 0 ok, 1 an input or the output failed, 2 bad usage or input kind.\n");
}

enum { O_CONFIG = 1, O_GEOIP, O_RESERVED, O_OUTPUT, O_LOCALNET, O_FLOWS, O_LOAD, O_SAVE,
       O_THRESHOLD, O_LEARNING };

static int parse_args(struct replay_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "geoip", required_argument, NULL, O_GEOIP },
		{ "include-reserved", no_argument, NULL, O_RESERVED },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "local-net", required_argument, NULL, O_LOCALNET },
		{ "flows", no_argument, NULL, O_FLOWS },
		{ "load-state", required_argument, NULL, O_LOAD },
		{ "save-state", required_argument, NULL, O_SAVE },
		{ "alert-threshold", required_argument, NULL, O_THRESHOLD },
		{ "learning-period", required_argument, NULL, O_LEARNING },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	bool geo_cli = false;
	int c;

	opts_defaults(&o->base);
	localnets_default(&o->ln);
	/* The config file first, so that the command line wins. */
	for (int i = 1; i < argc && argv[i]; i++) {
		const char *a = argv[i];
		const char *path = !strncmp(a, "--config=", 9)			    ? a + 9
				   : !strcmp(a, "--config") && i + 1 < argc ? argv[i + 1]
									     : NULL;

		if (!strcmp(a, "--"))
			break;
		if (path && opts_load_config(&o->base, path, err, sizeof(err))) {
			log_err("%s", err);
			return 2;
		}
	}
	/* Detection settings (threshold, learning, allowlists) as the agent's. */
	o->dc = o->base.detect;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+hv", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			o->base.log_level = LOG_DEBUG;
			break;
		case O_CONFIG:
			break;
		case O_GEOIP:
			if (!geo_cli)
				o->base.n_geoip = 0;	/* the command line replaces the file's list */
			geo_cli = true;
			if (o->base.n_geoip >= OPTS_MAX_GEOIP ||
			    strlen(optarg) >= sizeof(o->base.geoip[0])) {
				log_err("--geoip %s: too many databases or path too long", optarg);
				return 2;
			}
			snprintf(o->base.geoip[o->base.n_geoip++], sizeof(o->base.geoip[0]), "%s",
				 optarg);
			break;
		case O_RESERVED:
			o->base.include_reserved = true;
			break;
		case O_OUTPUT:
			if (strlen(optarg) >= sizeof(o->base.output[0]) ||
			    sink_check_spec(optarg, err, sizeof(err))) {
				log_err("--output %s: %s", optarg, err);
				return 2;
			}
			snprintf(o->base.output[0], sizeof(o->base.output[0]), "%s", optarg);
			o->base.n_output = 1;
			break;
		case O_LOCALNET:
			if (!o->local_net_given)
				o->ln.n = 0;	/* given nets replace the defaults */
			o->local_net_given = true;
			if (localnets_add(&o->ln, optarg, err, sizeof(err))) {
				log_err("%s", err);
				return 2;
			}
			break;
		case O_FLOWS:
			o->flows = true;
			break;
		case O_LOAD:
			o->load_state = optarg;
			break;
		case O_SAVE:
			o->save_state = optarg;
			break;
		case O_THRESHOLD: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 1 || v > 100) {
				log_err("--alert-threshold %s: expected a score from 1 to 100", optarg);
				return 2;
			}
			o->dc.alert_threshold = (int)v;
			break;
		}
		case O_LEARNING:
			if (duration_parse(optarg, &o->dc.learning_ns)) {
				log_err("--learning-period %s: expected a duration such as 24h, 90m, 2d "
					"or seconds", optarg);
				return 2;
			}
			break;
		default:
			log_err("unknown option or missing value: %s (see exfild replay --help)",
				argv[optind - 1]);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		if (o->n_files >= MAX_FILES) {
			log_err("at most %d input files", MAX_FILES);
			return 2;
		}
		o->files[o->n_files++] = argv[optind];
	}
	if (!o->n_files) {
		log_err("no input files (see exfild replay --help)");
		return 2;
	}
	o->dc.include_reserved = o->base.include_reserved;
	const char *bad = detect_config_check(&o->dc);
	if (bad) {
		log_err("%s", bad);
		return 2;
	}
	return -1;
}

/* After each record: now and then, wait for the output to take what is queued. */
static int written(struct replay *r)
{
	if (++r->written % FLUSH_EVERY == 0 && !outputs_flush(r->loop, r->sinks, FLUSH_TIMEOUT_NS)) {
		log_err("cannot write the output (%s)", r->o->base.output[0]);
		return -1;
	}
	return 0;
}

static int write_record(struct replay *r, enum rec_kind kind, json_t *rec)
{
	if (!rec) {
		log_err("out of memory building a record");
		return -1;
	}
	sinkset_emit(r->sinks, kind, rec);
	json_decref(rec);
	return written(r);
}

/* A flow record, straight to its line. */
static int write_flow(struct replay *r, const struct enriched_flow *f, const struct record_ctx *ctx)
{
	size_t len = 0;
	const char *line = record_flow_line(f, ctx, &len);

	if (!line) {
		log_err("out of memory building a record");
		return -1;
	}
	sinkset_emit_line(r->sinks, REC_FLOW, line, len);
	return written(r);
}

struct emit_ctx {
	struct replay *r;
	const char *host;
	int failed;
};

static void on_finding(void *arg, const struct finding *fd)
{
	struct emit_ctx *e = arg;
	struct record_ctx ctx = { .host_name = e->host, .now_ns = fd->time_ns };

	e->r->alerts++;
	if (write_record(e->r, REC_ALERT, record_alert(fd, &ctx)))
		e->failed = 1;
}

/* Time moves on for every host, once per drain interval of event time. */
static void tick(struct replay *r, int64_t now)
{
	if (now < r->next_tick)
		return;
	replay_hosts_tick(r->hosts, now);
	r->next_tick = (now / TICK_NS + 1) * TICK_NS;
}

/* One replayed observation through enrich and detect, on to the records. */
static int one(struct replay *r, struct replay_rec *rec)
{
	struct enriched_flow f;
	struct record_ctx ctx = { .host_name = rec->host, .now_ns = rec->obs.end_ns };
	struct emit_ctx e = { .r = r, .host = rec->host };
	char err[512];
	struct detect *d;

	r->records++;
	tick(r, rec->obs.end_ns);
	if (!enrich_flow(&r->enr, &rec->obs, &f))
		return 0;
	r->in_scope++;
	/* The record's own geo is used when no database knows the peer. */
	if (!f.geo.country_iso[0] && !f.geo.has_as && rec->has_geo)
		f.geo = rec->geo;
	f.process_name = rec->process_name[0] ? rec->process_name : NULL;
	f.process_executable = rec->process_executable[0] ? rec->process_executable : NULL;
	f.user_name = rec->user_name[0] ? rec->user_name : NULL;
	if (r->o->flows && write_flow(r, &f, &ctx))
		return -1;
	d = replay_hosts_get(r->hosts, rec->host, err, sizeof(err));
	if (!d) {
		if (!r->unscored++)
			log_err("%s", err);
		return 0;
	}
	detect_observe(d, &f, on_finding, &e);
	return e.failed ? -1 : 0;
}

/* Fail early on a baseline that cannot be loaded, before any output. */
static int check_state(const struct replay_opts *o)
{
	char err[1024];
	struct detect *d;
	int rc = 0;

	if (!o->load_state)
		return 0;
	d = detect_new(&o->dc);
	if (!d || detect_load(d, o->load_state, err, sizeof(err))) {
		log_err("--load-state: %s", d ? err : "out of memory");
		rc = -1;
	}
	detect_free(d);
	return rc;
}

static struct replay_merge *open_inputs(const struct replay_opts *o, int *rc)
{
	struct replay_file *files[MAX_FILES];
	char err[1024];

	for (size_t i = 0; i < o->n_files; i++) {
		files[i] = replay_file_open(o->files[i], &o->ln, err, sizeof(err));
		if (!files[i]) {
			log_err("%s", err);
			for (size_t j = 0; j < i; j++)
				replay_file_close(files[j]);
			*rc = 2;
			return NULL;
		}
		log_debug("%s: %s", o->files[i], replay_format_name(replay_file_format(files[i])));
	}
	struct replay_merge *m = replay_merge_new(files, o->n_files, REPLAY_WINDOW_NS,
						  REPLAY_WINDOW_RECORDS);
	if (!m) {
		log_err("out of memory");
		*rc = 1;
	}
	return m;
}

static double seconds_since(clockid_t clk, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(clk, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts *o = calloc(1, sizeof(*o));
	struct replay r = { .o = o };
	struct replay_merge *m = NULL;
	struct replay_rec *rec = malloc(sizeof(*rec));
	const char *paths[OPTS_MAX_GEOIP];
	struct timespec t0, c0;
	char err[1024];
	int rc;

	if (!o || !rec) {
		log_err("out of memory");
		free(o);
		free(rec);
		return 1;
	}
	rc = parse_args(o, argc, argv);
	if (rc >= 0)
		goto out;
	rc = 0;
	log_set_level(o->base.log_level);
	/* Throughput, on stderr only; CPU time too, which a busy machine
	 * disturbs less than the wall clock. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (size_t i = 0; i < o->base.n_geoip; i++)
		paths[i] = o->base.geoip[i];
	r.geo = geo_open(paths, o->base.n_geoip, err, sizeof(err));
	if (!r.geo) {
		log_err("%s", err);
		rc = 1;
		goto out;
	}
	r.enr = (struct enricher){ .geo = r.geo, .include_reserved = o->base.include_reserved };
	if (check_state(o)) {
		rc = 1;
		goto out;
	}
	r.hosts = replay_hosts_new(&o->dc, o->load_state);
	if (!r.hosts) {
		log_err("out of memory");
		rc = 1;
		goto out;
	}
	if (!(m = open_inputs(o, &rc)))
		goto out;
	r.loop = loop_new();
	/* syslog HOSTNAME "-"; replayed alerts never enter the agent's spool */
	struct sink_config sc = { .state_dir = o->base.state_dir, .no_spool = true };
	r.sinks = r.loop ? sinkset_new(r.loop, &sc) : NULL;
	if (!r.sinks || sinkset_add(r.sinks, o->base.output[0], SINK_OUTPUT_KINDS | REC_BIT(REC_FLOW), err, sizeof(err))) {
		log_err("%s", r.sinks ? err : "out of memory");
		rc = 1;
		goto out;
	}
	while (replay_merge_next(m, rec) == 1)
		if (one(&r, rec)) {
			rc = 1;
			break;
		}
	if (!outputs_flush(r.loop, r.sinks, FLUSH_TIMEOUT_NS)) {
		log_err("cannot write the output (%s)", o->base.output[0]);
		rc = 1;
	}
	if (r.unscored)
		log_warn("%llu records of hosts beyond the first %d were not scored",
			 (unsigned long long)r.unscored, REPLAY_MAX_HOSTS);
	if (!rc && o->save_state && replay_hosts_save(r.hosts, o->save_state, err, sizeof(err))) {
		log_err("--save-state: %s", err);
		rc = 1;
	}
	if (replay_merge_failed(m))
		rc = 1;
	double s = seconds_since(CLOCK_MONOTONIC, &t0);
	double cpu = seconds_since(CLOCK_PROCESS_CPUTIME_ID, &c0);
	log_info("replayed %llu records from %zu file%s (%llu in scope, %zu host%s, %llu alert%s, "
		 "%llu out of order beyond the sort window) in %.2f s (%.2f s CPU): %.0f records/s, "
		 "%.0f per CPU second",
		 (unsigned long long)r.records, o->n_files, o->n_files == 1 ? "" : "s",
		 (unsigned long long)r.in_scope, replay_hosts_count(r.hosts),
		 replay_hosts_count(r.hosts) == 1 ? "" : "s", (unsigned long long)r.alerts,
		 r.alerts == 1 ? "" : "s", (unsigned long long)replay_merge_late(m), s, cpu,
		 s > 0 ? (double)r.records / s : 0.0, cpu > 0 ? (double)r.records / cpu : 0.0);
out:
	replay_merge_free(m);	/* reports each file's malformed lines */
	replay_hosts_free(r.hosts);
	sinkset_free(r.sinks);
	loop_free(r.loop);
	if (r.geo)
		geo_close(r.geo);
	free(rec);
	free(o);
	return rc;
}
