#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "tier.h"
#include "log.h"
#include "opts.h"
#include "sink.h"

enum kind { K_TIER, K_UINT, K_BOOL, K_STR, K_LIST, K_SINKS, K_SIZE, K_LEVEL };

struct optdef {
	const char *name;	/* --name on the command line, name in the config */
	enum kind kind;
	size_t off;
	uint32_t min, max;	/* K_UINT bounds */
	const char *arg;
	const char *help;
};

/* What a string or list field holds, found by its offset (fields below). */
struct fieldinfo {
	size_t off;
	size_t size;		/* bytes of the field (of one element) */
	size_t count_off;	/* lists: the element count */
	size_t max_n;		/* lists: most elements */
	const char *too_many;	/* lists: said past max_n */
};

#define OFF(f) offsetof(struct opts, f)
#define STR(f) { OFF(f), sizeof(((struct opts *)0)->f), 0, 0, NULL }
#define LIST(f, n_f, msg) { OFF(f), sizeof(((struct opts *)0)->f[0]), OFF(n_f), \
	sizeof(((struct opts *)0)->f) / sizeof(((struct opts *)0)->f[0]), msg }

/* Every K_STR, K_LIST and K_SINKS field: each is bounded by its own size. */
static const struct fieldinfo fields[] = {
	STR(pin_path), STR(control), STR(state_dir), STR(tls_ca), STR(tls_cert), STR(tls_key),
	LIST(geoip, n_geoip, "too many geo databases"),
	LIST(output, n_output, "too many outputs"),
	LIST(flow_output, n_flow_output, "too many outputs"),
};

static const struct fieldinfo *field_of(const struct optdef *d)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].off == d->off)
			return &fields[i];
	return NULL;
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
	  "the alert spool lives here (/var/lib/exfild)" },
	{ "spool-size", K_SIZE, OFF(spool_size), 0, 0, "BYTES",
	  "alert spool bound; past it the oldest alerts are dropped and counted (64M)" },
	{ "tls-ca", K_STR, OFF(tls_ca), 0, 0, "FILE",
	  "CA certificates for syslog+tls (default: the system store)" },
	{ "tls-cert", K_STR, OFF(tls_cert), 0, 0, "FILE", "client certificate for syslog+tls" },
	{ "tls-key", K_STR, OFF(tls_key), 0, 0, "FILE", "client key for syslog+tls" },
	{ "pin-path", K_STR, OFF(pin_path), 0, 0, "DIR",
	  "pin maps under DIR on a bpffs (/sys/fs/bpf/exfild; none: do not pin)" },
	{ "control", K_STR, OFF(control), 0, 0, "PATH",
	  "control socket for exfild status (/run/exfild/control.sock; none: no socket)" },
	{ "max-flows", K_UINT, OFF(max_flows), 16, 1u << 24, "N",
	  "entries per accounting map (65536); more in one interval are counted as lost" },
	{ "geoip", K_LIST, OFF(geoip), 0, 0, "PATH", "MaxMind DB file for geo data (repeatable)" },
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
}

/* Set one option from its text form. Returns NULL or why it is bad. */
static const char *set_text(struct opts *o, const struct optdef *d, const char *v,
			    char *why, size_t whylen)
{
	char *p = (char *)o + d->off;
	const struct fieldinfo *f = field_of(d);

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

		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || n < d->min || n > d->max) {
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
	case K_STR:
		if (!f || strlen(v) >= f->size)
			return "too long";
		snprintf(p, f->size, "%s", v);
		return NULL;
	case K_LIST:
	case K_SINKS: {
		size_t *n = (size_t *)((char *)o + f->count_off);

		if (*n >= f->max_n)
			return f->too_many;
		if (strlen(v) >= f->size)
			return "path too long";
		if (d->kind == K_SINKS && sink_check_spec(v, why, whylen))
			return why;
		snprintf(p + *n * f->size, f->size, "%s", v);
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
		if (errno || end == v || *end || v[0] == '-' || n > (UINT64_MAX >> 30))
			return "expected a size in bytes (with k, M or G)";
		*(uint64_t *)p = (uint64_t)n << shift;
		return NULL;
	}
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
	case K_SIZE:
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
			snprintf(num, sizeof(num), "%lld", config_setting_get_int64(s));
			return set_text(o, d, num, why, whylen);
		}
		break;	/* "64M" as a string */
	case K_LIST:
	case K_SINKS:
		*(size_t *)((char *)o + field_of(d)->count_off) = 0;	/* the file's list replaces the default */
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

int opts_load_config(struct opts *o, const char *path, char *err, size_t errlen)
{
	config_t cfg;
	config_setting_t *root;
	int rc = -1;

	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cfg),
				 config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, i);
		const char *name = config_setting_name(s);
		const struct optdef *d = find_def(name);
		char why[160];
		const char *bad;

		if (!d || !strcmp(name, "config")) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path,
				 config_setting_source_line(s), name);
			goto out;
		}
		if ((bad = set_setting(o, d, s, why, sizeof(why)))) {
			snprintf(err, errlen, "%s:%d: key '%s': %s", path,
				 config_setting_source_line(s), name, bad);
			goto out;
		}
	}
	if (o->n_flow_output)
		o->flows = true;	/* flow_output implies flows */
	snprintf(o->config, sizeof(o->config), "%s", path);
	rc = 0;
out:
	config_destroy(&cfg);
	return rc;
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
			*(size_t *)((char *)o + field_of(d)->count_off) = 0;
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
