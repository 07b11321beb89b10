#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "tier.h"
#include "log.h"
#include "conf_read.h"
#include "duration.h"
#include "detect_conf.h"
#include "opts.h"
#include "sink.h"

enum kind { K_TIER, K_UINT, K_BOOL, K_STR, K_PIN, K_LIST, K_SINKS, K_SIZE, K_DUR, K_LEVEL };

struct optdef {
	const char *name;	/* --name on the command line, name in the config */
	enum kind kind;
	size_t off, size;	/* the field in struct opts, and its own size */
	uint32_t min, max;	/* K_UINT bounds */
	const char *arg;
	const char *help;
};

#define OFF(f) offsetof(struct opts, f), sizeof(((struct opts *)0)->f)

/* A repeatable option: an array of strings and its count, found by offset. */
struct listinfo {
	size_t off;
	size_t elem;		/* bytes of one element */
	size_t count_off;	/* the element count */
	size_t max_n;		/* most elements */
	const char *too_many;	/* said past max_n */
};

#define LIST(f, n_f, msg) { offsetof(struct opts, f), sizeof(((struct opts *)0)->f[0]), \
	offsetof(struct opts, n_f), \
	sizeof(((struct opts *)0)->f) / sizeof(((struct opts *)0)->f[0]), msg }

static const struct listinfo lists[] = {
	LIST(geoip, n_geoip, "too many geo databases"),
	LIST(output, n_output, "too many outputs"),
	LIST(flow_output, n_flow_output, "too many outputs"),
};

static const struct listinfo *list_of(const struct optdef *d)
{
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (lists[i].off == d->off)
			return &lists[i];
	return NULL;
}

static size_t *list_count(struct opts *o, const struct optdef *d)
{
	return (size_t *)((char *)o + list_of(d)->count_off);
}

static const struct optdef defs[] = {
	{ "attach", K_TIER, OFF(attach), 0, 0, "TIER",
	  "auto (default), fentry, kprobe or tracepoint" },
	{ "interval", K_UINT, OFF(interval), 1, 86400, "SEC", "seconds between drains (10)" },
	{ "duration", K_UINT, OFF(duration), 0, UINT32_MAX, "SEC",
	  "run this long, drain once more and exit (0: until SIGINT/SIGTERM)" },
	{ "flows", K_BOOL, OFF(flows), 0, 0, NULL, "write a flow record per process and destination" },
	{ "include-reserved", K_BOOL, OFF(include_reserved), 0, 0, NULL,
	  "also report loopback, private, documentation and other reserved destinations" },
	{ "output", K_SINKS, OFF(output), 0, 0, "SINK",
	  "alerts and loss records (and flow records without --flow-output): stdout (default), "
	  "file:/path, syslog+tcp://host:port, syslog+tls://host:port, syslog+udp://host:port, "
	  "syslog+unix:/path (repeatable)" },
	{ "flow-output", K_SINKS, OFF(flow_output), 0, 0, "SINK",
	  "flow records go here instead (repeatable; implies --flows)" },
	{ "rotate-size", K_SIZE, OFF(rotate_size), 0, 0, "BYTES",
	  "file sinks: rotate past this size (k, M, G suffixes; 0: never, the default)" },
	{ "rotate-keep", K_UINT, OFF(rotate_keep), 0, 1000, "N", "rotated files kept (5)" },
	{ "state-dir", K_STR, OFF(state_dir), 0, 0, "DIR",
	  "the alert spool and the detection baseline live here (/var/lib/exfild)" },
	{ "spool-size", K_SIZE, OFF(spool_size), 0, 0, "BYTES",
	  "alert spool bound; past it the oldest alerts are dropped and counted (64M)" },
	{ "tls-ca", K_STR, OFF(tls_ca), 0, 0, "FILE",
	  "CA certificates for syslog+tls (default: the system store)" },
	{ "tls-cert", K_STR, OFF(tls_cert), 0, 0, "FILE", "client certificate for syslog+tls" },
	{ "tls-key", K_STR, OFF(tls_key), 0, 0, "FILE", "client key for syslog+tls" },
	{ "pin-path", K_PIN, OFF(pin_path), 0, 0, "DIR",
	  "pin maps under DIR on a bpffs (/sys/fs/bpf/exfild; none: do not pin)" },
	{ "control", K_STR, OFF(control), 0, 0, "PATH",
	  "control socket for exfild status (/run/exfild/control.sock; none: no socket)" },
	{ "max-flows", K_UINT, OFF(max_flows), 16, 1u << 24, "N",
	  "entries per accounting map (65536); more in one interval are counted as lost" },
	{ "geoip", K_LIST, OFF(geoip), 0, 0, "PATH", "MaxMind DB file for geo data (repeatable)" },
	{ "alert-threshold", K_UINT, OFF(detect.alert_threshold), 0, 100, "N",
	  "score (0-100) from which a destination's sum becomes an alert (75)" },
	{ "learning-period", K_DUR, OFF(detect.learning_ns), 0, 0, "DUR",
	  "history the baseline needs before any alert: 90s, 15m, 24h, 14d (24h)" },
	{ "log-level", K_LEVEL, OFF(log_level), 0, 0, "LEVEL", "error, warning, info (default) or debug" },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const char *const levels[] = { "error", "warning", "info", "debug" };

void opts_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->attach = TIER_AUTO;
	o->interval = 10;
	o->max_flows = 65536;
	o->log_level = LOG_INFO;
	snprintf(o->output[0], sizeof(o->output[0]), "stdout");
	o->n_output = 1;
	o->rotate_keep = SINK_DEFAULT_ROTATE_KEEP;
	o->spool_size = SINK_DEFAULT_SPOOL_MAX;
	snprintf(o->state_dir, sizeof(o->state_dir), "%s", SINK_DEFAULT_STATE_DIR);
	snprintf(o->pin_path, sizeof(o->pin_path), "/sys/fs/bpf/exfild");
	snprintf(o->control, sizeof(o->control), "/run/exfild/control.sock");
	detect_config_defaults(&o->detect);
}

/*
 * A pin path: "none" (or ""), or an absolute directory, kept without
 * trailing slashes so that one directory has one name (and one lock).
 * The bpffs root itself is refused by the loader, which can see mounts.
 */
static const char *set_pin_path(char *p, size_t size, const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (!strcmp(v, "none") || !n) {
		snprintf(p, size, "%s", v);
		return NULL;
	}
	if (v[0] != '/')
		return "expected an absolute directory on a bpffs (/sys/fs/bpf/NAME) or none";
	while (n > 1 && v[n - 1] == '/')
		n--;
	if (n >= size) {
		snprintf(why, whylen, "too long (at most %zu bytes)", size - 1);
		return why;
	}
	if (n == 1)
		return "/ is no pin directory: use a directory on a bpffs (/sys/fs/bpf/NAME)";
	snprintf(p, size, "%.*s", (int)n, v);
	return NULL;
}

/* Set one option from its text form. Returns NULL or why it is bad. */
static const char *set_text(struct opts *o, const struct optdef *d, const char *v,
			    char *why, size_t whylen)
{
	char *p = (char *)o + d->off;

	switch (d->kind) {
	case K_TIER: {
		int t = tier_parse(v);
		if (t == -2)
			return "expected auto, fentry, kprobe or tracepoint";
		*(int *)p = t;
		return NULL;
	}
	case K_UINT: {
		char *end;
		unsigned long long n;

		/* Digits only: strtoull alone would take "+5", " 5" and "-1". */
		errno = 0;
		n = strtoull(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || errno || *end || n < d->min || n > d->max) {
			snprintf(why, whylen, "expected a whole number from %u to %u", d->min, d->max);
			return why;
		}
		*(uint32_t *)p = (uint32_t)n;
		return NULL;
	}
	case K_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
			*(bool *)p = true;
		else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
			*(bool *)p = false;
		else
			return "expected true or false";
		return NULL;
	case K_PIN:
		return set_pin_path(p, d->size, v, why, whylen);
	case K_STR:
		if (strlen(v) >= d->size) {
			snprintf(why, whylen, "too long (at most %zu bytes)", d->size - 1);
			return why;
		}
		snprintf(p, d->size, "%s", v);
		return NULL;
	case K_LIST:
	case K_SINKS: {
		const struct listinfo *l = list_of(d);
		size_t *n = list_count(o, d);

		if (*n >= l->max_n)
			return l->too_many;
		if (strlen(v) >= l->elem && d->kind == K_LIST)
			return "path too long";
		if (strlen(v) >= l->elem) {
			snprintf(why, whylen, "too long (at most %zu bytes)", l->elem - 1);
			return why;
		}
		if (d->kind == K_SINKS && sink_check_spec(v, why, whylen))
			return why;
		snprintf(p + *n * l->elem, l->elem, "%s", v);
		(*n)++;
		return NULL;
	}
	case K_SIZE: {
		char *end;
		unsigned long long n;
		int shift = 0;

		errno = 0;
		n = strtoull(v, &end, 10);
		if (*end == 'k' || *end == 'K')
			shift = 10;
		else if (*end == 'm' || *end == 'M')
			shift = 20;
		else if (*end == 'g' || *end == 'G')
			shift = 30;
		end += shift != 0;
		if (v[0] < '0' || v[0] > '9' || errno || *end || n > (UINT64_MAX >> 30))
			return "expected a size in bytes (with k, M or G)";
		*(uint64_t *)p = (uint64_t)n << shift;
		return NULL;
	}
	case K_DUR:
		if (duration_parse(v, (int64_t *)p))
			return "expected a duration: seconds, or a number with s, m, h or d (24h)";
		return NULL;
	case K_LEVEL:
		for (int i = 0; i < 4; i++)
			if (!strcmp(v, levels[i])) {
				*(int *)p = i;
				return NULL;
			}
		return "expected error, warning, info or debug";
	}
	return "unknown option kind";
}

/* ---- config file ----------------------------------------------------------- */

static const struct optdef *find_def(const char *name)
{
	for (size_t i = 0; i < NDEFS; i++) {
		/* Config keys use '_' where options use '-'. */
		const char *a = defs[i].name, *b = name;
		while (*a && *b && (*a == *b || (*a == '-' && *b == '_')))
			a++, b++;
		if (!*a && !*b)
			return &defs[i];
	}
	return NULL;
}

static const char *set_setting(struct opts *o, const struct optdef *d, config_setting_t *s,
			       char *why, size_t whylen)
{
	char num[32];
	int type = config_setting_type(s);

	switch (d->kind) {
	case K_UINT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return "expected a number";
		snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
		return set_text(o, d, num, why, whylen);
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return "expected true or false";
		*(bool *)((char *)o + d->off) = config_setting_get_bool(s);
		return NULL;
	case K_DUR:
	case K_SIZE:
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
			snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
			return set_text(o, d, num, why, whylen);
		}
		break;	/* "64M" as a string */
	case K_LIST:
	case K_SINKS:
		*list_count(o, d) = 0;	/* the file's list replaces the default */
		if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST) {
			for (int i = 0; i < config_setting_length(s); i++) {
				const char *v = config_setting_get_string_elem(s, i);
				const char *bad;

				if (!v)
					return d->kind == K_SINKS ? "expected a list of sinks"
								  : "expected a list of file paths";
				if ((bad = set_text(o, d, v, why, whylen)))
					return bad;
			}
			return NULL;
		}
		break;	/* a single one */
	default:
		break;
	}
	if (type != CONFIG_TYPE_STRING)
		return "expected a string";
	return set_text(o, d, config_setting_get_string(s), why, whylen);
}

/*
 * libconfig reads @include'd files itself, from inside its scanner, where
 * a directory or a FIFO ends the process or blocks it. A config names
 * every key itself: refuse the directive before libconfig sees it.
 */
static int find_include(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 1;

	for (; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		/* cppcheck-suppress knownConditionTrueFalse ; the loop above may stop early */
		if (e - p >= 8 && !memcmp(p, "@include", 8))
			return line;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int opts_parse_config(struct opts *o, const char *name, const char *text, size_t len,
		      char *err, size_t errlen)
{
	config_t cfg;
	config_setting_t *root;
	char *copy;
	int rc = -1, line;

	if (memchr(text, 0, len)) {
		snprintf(err, errlen, "%s: contains a NUL byte: not a config file", name);
		return -1;
	}
	if ((line = find_include(text, len))) {
		snprintf(err, errlen, "%s:%d: @include is not supported: put every key in this file",
			 name, line);
		return -1;
	}
	copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = 0;
	config_init(&cfg);
	if (!config_read_string(&cfg, copy)) {
		snprintf(err, errlen, "%s:%d: %s", name, config_error_line(&cfg),
			 config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, i);
		const char *key = config_setting_name(s);
		const struct optdef *d = find_def(key);
		char why[160];
		const char *bad;

		/* The detection's own group (conf/detect_conf.c); the command line
		 * still overrides its threshold and learning period. */
		if (!strcmp(key, "detect")) {
			if (detect_conf_apply(s, name, &o->detect, err, errlen))
				goto out;
			continue;
		}
		if (!d || !strcmp(key, "config")) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", name,
				 config_setting_source_line(s), key);
			goto out;
		}
		if ((bad = set_setting(o, d, s, why, sizeof(why)))) {
			snprintf(err, errlen, "%s:%d: key '%s': %s", name,
				 config_setting_source_line(s), key, bad);
			goto out;
		}
	}
	if (o->n_flow_output)
		o->flows = true;	/* flow_output implies flows */
	rc = 0;
out:
	config_destroy(&cfg);
	free(copy);
	return rc;
}

int opts_load_config(struct opts *o, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	if (strlen(path) >= sizeof(o->config)) {
		snprintf(err, errlen, "--config %s: path too long (at most %zu bytes)", path,
			 sizeof(o->config) - 1);
		return -1;
	}
	if (conf_read_file(path, &text, &len, err, errlen))
		return -1;
	rc = opts_parse_config(o, path, text, len, err, errlen);
	free(text);
	if (!rc)
		snprintf(o->config, sizeof(o->config), "%s", path);
	return rc;
}

/*
 * A big accounting map costs kernel memory (two maps of max_flows entries,
 * about 128 bytes each with the hash table's overhead) and start-up time
 * (the kernel preallocates every entry, about 0.6 us each). Said out loud
 * past 1M entries.
 */
int opts_max_flows_note(const struct opts *o, char *buf, size_t len)
{
	double gib = (double)o->max_flows * 2 * 128 / (1024.0 * 1024 * 1024);
	double secs = (double)o->max_flows * 0.6e-6;

	if (o->max_flows <= (1u << 20))
		return 0;
	snprintf(buf, len, "--max-flows %u: the accounting maps take about %.1f GiB of kernel "
		 "memory and start-up takes about %.0f s", o->max_flows, gib, secs);
	return 1;
}

/* ---- command line ------------------------------------------------------------ */

void opts_usage(FILE *f)
{
	fprintf(f, "usage: exfild run [OPTION]...\n"
		   "Count the bytes each process sends to each destination, in the kernel,\n"
		   "and write ECS JSON records.\n\n"
		   "  --config PATH            config file (default %s if it exists)\n",
		OPTS_DEFAULT_CONFIG);
	for (size_t i = 0; i < NDEFS; i++) {
		char left[48];

		snprintf(left, sizeof(left), "--%s%s%s", defs[i].name, defs[i].arg ? " " : "",
			 defs[i].arg ? defs[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, defs[i].help);
	}
	fprintf(f, "  -v, --verbose            same as --log-level debug\n"
		   "  -h, --help               this text\n\n"
		   "Every option can be set in the config file as key = value; (libconfig syntax,\n"
		   "'-' written '_'); the command line wins. Exit status: 0 ok, 1 runtime failure,\n"
		   "2 bad usage or config.\n");
}

enum opts_result opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen)
{
	struct option lo[NDEFS + 4];
	const char *config = NULL;
	int c, idx;

	for (size_t i = 0; i < NDEFS; i++)
		lo[i] = (struct option){ defs[i].name,
			defs[i].kind == K_BOOL ? optional_argument : required_argument, NULL, 0 };
	lo[NDEFS] = (struct option){ "config", required_argument, NULL, 0 };
	lo[NDEFS + 1] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[NDEFS + 2] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lo[NDEFS + 3] = (struct option){ NULL, 0, NULL, 0 };

	/* Pass 1: find the config file, and reject bad options early. */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+hv", lo, &idx)) != -1) {
		if (c == 'h') {
			opts_usage(stdout);
			return OPTS_EXIT;
		}
		if (c == '?' || c == ':') {
			snprintf(err, errlen, "unknown option or missing value: %s (see --help)",
				 argv[optind - 1]);
			return OPTS_ERROR;
		}
		if (c == 0 && idx == (int)NDEFS)
			config = optarg;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %s (see --help)", argv[optind]);
		return OPTS_ERROR;
	}
	if (config && opts_load_config(o, config, err, errlen))
		return OPTS_ERROR;
	if (!config && access(OPTS_DEFAULT_CONFIG, F_OK) == 0 &&
	    opts_load_config(o, OPTS_DEFAULT_CONFIG, err, errlen))
		return OPTS_ERROR;

	/* Pass 2: the command line overrides the file. */
	bool list_from_cli[NDEFS] = { false };
	optind = 0;
	while ((c = getopt_long(argc, argv, "+hv", lo, &idx)) != -1) {
		const struct optdef *d;
		char why[160];
		const char *bad;

		if (c == 'v') {
			o->log_level = LOG_DEBUG;
			continue;
		}
		if (c != 0 || idx >= (int)NDEFS)
			continue;
		d = &defs[idx];
		if ((d->kind == K_LIST || d->kind == K_SINKS) && !list_from_cli[idx]) {
			/* The command line replaces the file's (or the default) list. */
			*list_count(o, d) = 0;
			list_from_cli[idx] = true;
		}
		bad = set_text(o, d, d->kind == K_BOOL && !optarg ? "true" : optarg, why, sizeof(why));
		if (bad) {
			snprintf(err, errlen, "--%s %s: %s", d->name, optarg ? optarg : "", bad);
			return OPTS_ERROR;
		}
	}
	if (o->n_flow_output)
		o->flows = true;	/* --flow-output implies --flows */
	return OPTS_OK;
}
