/*
 * user/opts.c: defaults, the config file, the command line over it, and
 * error messages that say where (file:line:key or the option).
 * File tests always pass --config so that a config installed on the host
 * (the default file) never changes what they see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "opts.h"

static char dir[256];
static char empty_conf[300];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A config file in the test directory with this text; returns its path. */
static const char *conf(const char *name, const char *text)
{
	static char path[320];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	put_file(path, text);
	return path;
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/exfild-opts-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(empty_conf, sizeof(empty_conf), "%s/empty.conf", dir);
	put_file(empty_conf, "# nothing set\n");
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * opts_parse on defaults with "run" + the NULL-terminated arguments.
 * Returns its result; err gets the message.
 */
static enum opts_result parse(struct opts *o, char *err, size_t errlen, ...)
{
	char *argv[32] = { "run" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	opts_defaults(o);
	err[0] = 0;
	return opts_parse(o, argc, argv, err, errlen);
}

/* Parse that must succeed; the empty config keeps the host's file out. */
#define PARSE_OK(o, ...) do { \
	char e_[512]; \
	enum opts_result r_ = parse(o, e_, sizeof(e_), "--config", empty_conf, __VA_ARGS__, NULL); \
	if (r_ != OPTS_OK) \
		fail_msg("opts_parse failed (%d): %s", r_, e_); \
} while (0)

/* Parse that must fail with exactly this message. */
#define PARSE_ERR(want, ...) do { \
	struct opts o_; \
	char e_[2048]; \
	assert_int_equal(parse(&o_, e_, sizeof(e_), "--config", empty_conf, __VA_ARGS__, NULL), \
			 OPTS_ERROR); \
	assert_string_equal(e_, want); \
} while (0)

static void test_defaults(void **state)
{
	struct opts o;

	memset(&o, 0x5a, sizeof(o));
	opts_defaults(&o);
	assert_int_equal(o.attach, TIER_AUTO);
	assert_int_equal(o.interval, 10);
	assert_int_equal(o.duration, 0);
	assert_false(o.flows);
	assert_false(o.include_reserved);
	assert_string_equal(o.output[0], "stdout");
	assert_string_equal(o.pin_path, "/sys/fs/bpf/exfild");
	assert_int_equal(o.max_flows, 65536);
	assert_string_equal(o.config, "");
	assert_int_equal(o.n_geoip, 0);
	assert_int_equal(o.log_level, LOG_INFO);
	assert_int_equal(o.n_output, 1);
	assert_int_equal(o.n_flow_output, 0);
	assert_int_equal(o.rotate_size, 0);
	assert_int_equal(o.rotate_keep, 5);
	assert_int_equal(o.spool_size, 64ull << 20);
	assert_string_equal(o.state_dir, "/var/lib/exfild");
	assert_string_equal(o.tls_ca, "");
}

/* No arguments at all: the defaults, plus the default file if the host has one. */
static void test_no_arguments(void **state)
{
	struct opts o, d;
	char err[512];

	if (access(OPTS_DEFAULT_CONFIG, F_OK) == 0) {
		print_message("# no_arguments: %s exists on this host\n", OPTS_DEFAULT_CONFIG);
		skip();
	}
	assert_int_equal(parse(&o, err, sizeof(err), NULL), OPTS_OK);
	opts_defaults(&d);
	assert_memory_equal(&o, &d, sizeof(o));
}

static void test_each_cli_option(void **state)
{
	struct opts o;

	PARSE_OK(&o, "--attach", "kprobe");
	assert_int_equal(o.attach, TIER_KPROBE);
	assert_string_equal(o.config, empty_conf);
	PARSE_OK(&o, "--attach=fentry");
	assert_int_equal(o.attach, TIER_FENTRY);
	PARSE_OK(&o, "--attach", "tracepoint");
	assert_int_equal(o.attach, TIER_TRACEPOINT);
	PARSE_OK(&o, "--attach", "kprobe", "--attach", "auto");
	assert_int_equal(o.attach, TIER_AUTO);

	PARSE_OK(&o, "--interval", "1");
	assert_int_equal(o.interval, 1);
	PARSE_OK(&o, "--interval=86400");
	assert_int_equal(o.interval, 86400);
	PARSE_OK(&o, "--duration", "0");
	assert_int_equal(o.duration, 0);
	PARSE_OK(&o, "--duration", "4294967295");
	assert_int_equal(o.duration, 4294967295u);
	PARSE_OK(&o, "--max-flows", "16");
	assert_int_equal(o.max_flows, 16);
	PARSE_OK(&o, "--max-flows", "16777216");
	assert_int_equal(o.max_flows, 16777216);

	PARSE_OK(&o, "--output", "file:/var/log/exfild/flows.json");
	assert_string_equal(o.output[0], "file:/var/log/exfild/flows.json");
	PARSE_OK(&o, "--output=stdout");
	assert_string_equal(o.output[0], "stdout");
	PARSE_OK(&o, "--pin-path", "none");
	assert_string_equal(o.pin_path, "none");
	assert_int_equal(o.n_output, 1);
	assert_int_equal(o.n_flow_output, 0);
	assert_false(o.flows);

	/* --output repeats; the first one replaces the default stdout. */
	PARSE_OK(&o, "--output", "syslog+tls://[2001:db8::1]:6514", "--output",
		 "file:/var/log/exfild/alerts.json", "--flow-output", "syslog+udp://192.0.2.1:514");
	assert_int_equal(o.n_output, 2);
	assert_string_equal(o.output[0], "syslog+tls://[2001:db8::1]:6514");
	assert_string_equal(o.output[1], "file:/var/log/exfild/alerts.json");
	assert_int_equal(o.n_flow_output, 1);
	assert_string_equal(o.flow_output[0], "syslog+udp://192.0.2.1:514");
	assert_true(o.flows);	/* implied */
	PARSE_OK(&o, "--rotate-size", "64M", "--rotate-keep", "3", "--spool-size", "1k",
		 "--state-dir", "/tmp/st", "--tls-ca", "/ca.pem", "--tls-cert", "/c.pem",
		 "--tls-key", "/k.pem");
	assert_int_equal(o.rotate_size, 64ull << 20);
	assert_int_equal(o.rotate_keep, 3);
	assert_int_equal(o.spool_size, 1024);
	assert_string_equal(o.state_dir, "/tmp/st");
	assert_string_equal(o.tls_ca, "/ca.pem");
	assert_string_equal(o.tls_cert, "/c.pem");
	assert_string_equal(o.tls_key, "/k.pem");
	PARSE_OK(&o, "--rotate-size", "1000");
	assert_int_equal(o.rotate_size, 1000);
	PARSE_OK(&o, "--rotate-size", "2G");
	assert_int_equal(o.rotate_size, 2ull << 30);
	PARSE_OK(&o, "--pin-path", "/sys/fs/bpf/other");
	assert_string_equal(o.pin_path, "/sys/fs/bpf/other");

	PARSE_OK(&o, "--log-level", "error");
	assert_int_equal(o.log_level, LOG_ERR);
	PARSE_OK(&o, "--log-level", "warning");
	assert_int_equal(o.log_level, LOG_WARN);
	PARSE_OK(&o, "--log-level", "debug");
	assert_int_equal(o.log_level, LOG_DEBUG);
	PARSE_OK(&o, "-v");
	assert_int_equal(o.log_level, LOG_DEBUG);
	PARSE_OK(&o, "--verbose");
	assert_int_equal(o.log_level, LOG_DEBUG);
	/* The later of the two wins. */
	PARSE_OK(&o, "-v", "--log-level", "info");
	assert_int_equal(o.log_level, LOG_INFO);
	PARSE_OK(&o, "--log-level", "error", "-v");
	assert_int_equal(o.log_level, LOG_DEBUG);

	/* Only what was given changed. */
	PARSE_OK(&o, "--interval", "5");
	assert_int_equal(o.attach, TIER_AUTO);
	assert_int_equal(o.max_flows, 65536);
	assert_string_equal(o.output[0], "stdout");
	assert_false(o.flows);
}

static void test_bool_options(void **state)
{
	struct opts o;

	PARSE_OK(&o, "--flows");
	assert_true(o.flows);
	assert_false(o.include_reserved);
	PARSE_OK(&o, "--flows=false");
	assert_false(o.flows);
	PARSE_OK(&o, "--flows=true");
	assert_true(o.flows);
	PARSE_OK(&o, "--flows=no");
	assert_false(o.flows);
	PARSE_OK(&o, "--flows=yes");
	assert_true(o.flows);
	PARSE_OK(&o, "--flows=0");
	assert_false(o.flows);
	PARSE_OK(&o, "--flows=1");
	assert_true(o.flows);
	PARSE_OK(&o, "--include-reserved");
	assert_true(o.include_reserved);
	assert_false(o.flows);
	PARSE_OK(&o, "--include-reserved", "--include-reserved=false");
	assert_false(o.include_reserved);

	PARSE_ERR("--flows maybe: expected true or false", "--flows=maybe");
	/* A bool takes its value only after '=': a separate word is an argument. */
	PARSE_ERR("unexpected argument: false (see --help)", "--flows", "false");
}

static void test_geoip_cli(void **state)
{
	struct opts o;

	PARSE_OK(&o, "--geoip", "/a.mmdb");
	assert_int_equal(o.n_geoip, 1);
	assert_string_equal(o.geoip[0], "/a.mmdb");
	PARSE_OK(&o, "--geoip", "/a.mmdb", "--geoip=/b.mmdb", "--geoip", "/c.mmdb");
	assert_int_equal(o.n_geoip, 3);
	assert_string_equal(o.geoip[0], "/a.mmdb");
	assert_string_equal(o.geoip[1], "/b.mmdb");
	assert_string_equal(o.geoip[2], "/c.mmdb");
	PARSE_OK(&o, "--geoip", "1", "--geoip", "2", "--geoip", "3", "--geoip", "4",
		 "--geoip", "5", "--geoip", "6", "--geoip", "7", "--geoip", "8");
	assert_int_equal(o.n_geoip, OPTS_MAX_GEOIP);
	assert_string_equal(o.geoip[7], "8");
	PARSE_ERR("--geoip 9: too many geo databases",
		  "--geoip", "1", "--geoip", "2", "--geoip", "3", "--geoip", "4",
		  "--geoip", "5", "--geoip", "6", "--geoip", "7", "--geoip", "8", "--geoip", "9");
}

static void test_cli_errors(void **state)
{
	PARSE_ERR("--interval 0: expected a whole number from 1 to 86400", "--interval", "0");
	PARSE_ERR("--interval 86401: expected a whole number from 1 to 86400", "--interval", "86401");
	PARSE_ERR("--interval -1: expected a whole number from 1 to 86400", "--interval=-1");
	PARSE_ERR("--interval ten: expected a whole number from 1 to 86400", "--interval", "ten");
	PARSE_ERR("--interval 5s: expected a whole number from 1 to 86400", "--interval", "5s");
	PARSE_ERR("--interval : expected a whole number from 1 to 86400", "--interval=");
	PARSE_ERR("--duration 4294967296: expected a whole number from 0 to 4294967295",
		  "--duration", "4294967296");
	PARSE_ERR("--duration 99999999999999999999999: expected a whole number from 0 to 4294967295",
		  "--duration", "99999999999999999999999");
	PARSE_ERR("--max-flows 15: expected a whole number from 16 to 16777216", "--max-flows", "15");
	PARSE_ERR("--attach xdp: expected auto, fentry, kprobe or tracepoint", "--attach", "xdp");
	PARSE_ERR("--log-level loud: expected error, warning, info or debug", "--log-level", "loud");
	PARSE_ERR("--output syslog: output syslog: unknown sink (use stdout, file:/path, syslog+tcp://host:port, syslog+tls://host:port, syslog+udp://host:port or syslog+unix:/path)",
		  "--output", "syslog");
	PARSE_ERR("--output file:rel.json: output file:rel.json: takes an absolute path",
		  "--output", "file:rel.json");
	PARSE_ERR("--output syslog+tcp://[::1]514: output syslog+tcp://[::1]514: an IPv6 address "
		  "is written [addr]:port", "--output", "syslog+tcp://[::1]514");
	PARSE_ERR("--output syslog+tcp://::1:514: output syslog+tcp://::1:514: an IPv6 address "
		  "is written [addr]:port", "--output", "syslog+tcp://::1:514");
	PARSE_ERR("--output syslog+udp://h:0: output syslog+udp://h:0: the port is a number from 1 "
		  "to 65535", "--output", "syslog+udp://h:0");
	PARSE_ERR("--output syslog+tls://:6514: output syslog+tls://:6514: needs a host name or "
		  "address before the port", "--output", "syslog+tls://:6514");
	PARSE_ERR("--rotate-size 10X: expected a size in bytes (with k, M or G)",
		  "--rotate-size", "10X");
	PARSE_ERR("--output stdout: too many outputs", "--output", "stdout", "--output", "stdout",
		  "--output", "stdout", "--output", "stdout", "--output", "stdout", "--output",
		  "stdout", "--output", "stdout", "--output", "stdout", "--output", "stdout");
	PARSE_ERR("unknown option or missing value: --bogus (see --help)", "--bogus");
	PARSE_ERR("unknown option or missing value: -x (see --help)", "-x");
	PARSE_ERR("unknown option or missing value: --interval (see --help)", "--interval");
	PARSE_ERR("unexpected argument: extra (see --help)", "extra");

	char longpath[301];
	char want[400];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	snprintf(want, sizeof(want), "--pin-path %s: too long (at most 255 bytes)", longpath);
	PARSE_ERR(want, "--pin-path", longpath);
	snprintf(want, sizeof(want), "--geoip %s: path too long", longpath);
	PARSE_ERR(want, "--geoip", longpath);
}

static void test_help(void **state)
{
	struct opts o;
	char err[512], text[8192];
	FILE *out = tmpfile();
	int saved;
	size_t n;

	/* --help prints on stdout; keep it out of the TAP stream. */
	assert_non_null(out);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(out), STDOUT_FILENO) >= 0);
	enum opts_result r = parse(&o, err, sizeof(err), "--interval", "5", "--help", NULL);
	enum opts_result r2 = parse(&o, err, sizeof(err), "-h", NULL);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(r, OPTS_EXIT);
	assert_int_equal(r2, OPTS_EXIT);

	rewind(out);
	n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = 0;
	fclose(out);
	assert_non_null(strstr(text, "usage: exfild run"));
	static const char *const names[] = {
		"--config PATH", "--attach TIER", "--interval SEC", "--duration SEC", "--flows ",
		"--include-reserved ", "--output SINK", "--pin-path DIR", "--max-flows N",
		"--geoip PATH", "--log-level LEVEL", "--verbose", "--help",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(text, names[i]))
			fail_msg("--help does not mention %s", names[i]);
	/* Twice: once per --help, nothing else on stdout. */
	assert_non_null(strstr(strstr(text, "usage: exfild run") + 1, "usage: exfild run"));
}

static const char all_keys[] =
	"# every key\n"
	"attach = \"kprobe\";\n"
	"interval = 30;\n"
	"duration = 120;\n"
	"flows = true;\n"
	"include_reserved = true;\n"
	"output = \"file:/var/log/exfild.json\";\n"
	"pin_path = \"none\";\n"
	"max_flows = 1024;\n"
	"geoip = [ \"/geo/city.mmdb\", \"/geo/asn.mmdb\" ];\n"
	"log_level = \"debug\";\n";

static void check_all_keys(const struct opts *o)
{
	assert_int_equal(o->attach, TIER_KPROBE);
	assert_int_equal(o->interval, 30);
	assert_int_equal(o->duration, 120);
	assert_true(o->flows);
	assert_true(o->include_reserved);
	assert_string_equal(o->output[0], "file:/var/log/exfild.json");
	assert_string_equal(o->pin_path, "none");
	assert_int_equal(o->max_flows, 1024);
	assert_int_equal(o->n_geoip, 2);
	assert_string_equal(o->geoip[0], "/geo/city.mmdb");
	assert_string_equal(o->geoip[1], "/geo/asn.mmdb");
	assert_int_equal(o->log_level, LOG_DEBUG);
}

static void test_config_every_key(void **state)
{
	const char *path = conf("all.conf", all_keys);
	struct opts o;
	char err[512] = "";

	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), 0);
	check_all_keys(&o);
	assert_string_equal(o.config, path);

	/* The same through opts_parse --config. */
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_OK);
	check_all_keys(&o);
	assert_string_equal(o.config, path);

	/* Keys given as on the command line ('-') are accepted too. */
	path = conf("dash.conf", "max-flows = 2048;\ninclude-reserved = true;\n");
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_OK);
	assert_int_equal(o.max_flows, 2048);
	assert_true(o.include_reserved);

	/* Keys not in the file keep their defaults. */
	path = conf("one.conf", "interval = 60;\n");
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_OK);
	assert_int_equal(o.interval, 60);
	assert_int_equal(o.max_flows, 65536);
	assert_string_equal(o.output[0], "stdout");
	assert_int_equal(o.attach, TIER_AUTO);
}

/* Sinks in the config: a list or one string; flow_output implies flows. */
static void test_config_sinks(void **state)
{
	const char *path = conf("sinks.conf",
				"output = [ \"stdout\", \"syslog+tcp://127.0.0.1:514\" ];\n"
				"flow_output = \"file:/var/log/exfild/flows.json\";\n"
				"rotate_size = \"10M\";\nrotate_keep = 2;\nspool_size = 4096;\n"
				"state_dir = \"/tmp/exfild-state\";\n");
	struct opts o;
	char err[512] = "";

	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), 0);
	assert_int_equal(o.n_output, 2);
	assert_string_equal(o.output[0], "stdout");
	assert_string_equal(o.output[1], "syslog+tcp://127.0.0.1:514");
	assert_int_equal(o.n_flow_output, 1);
	assert_string_equal(o.flow_output[0], "file:/var/log/exfild/flows.json");
	assert_true(o.flows);
	assert_int_equal(o.rotate_size, 10u << 20);
	assert_int_equal(o.rotate_keep, 2);
	assert_int_equal(o.spool_size, 4096);
	assert_string_equal(o.state_dir, "/tmp/exfild-state");
	/* The command line's --output replaces the file's list. */
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, "--output", "file:/a.json",
			       NULL), OPTS_OK);
	assert_int_equal(o.n_output, 1);
	assert_string_equal(o.output[0], "file:/a.json");
	assert_int_equal(o.n_flow_output, 1);
}

static void test_cli_overrides_file(void **state)
{
	const char *path = conf("all.conf", all_keys);
	struct opts o;
	char err[512] = "";

	/* --config after the options it is overridden by: order does not matter. */
	assert_int_equal(parse(&o, err, sizeof(err), "--attach", "tracepoint", "--interval", "5",
			       "--duration", "0", "--flows=false", "--include-reserved=no",
			       "--output", "stdout", "--pin-path", "/sys/fs/bpf/x", "--max-flows",
			       "4096", "--geoip", "/cli.mmdb", "--log-level", "warning",
			       "--config", path, NULL),
			 OPTS_OK);
	assert_int_equal(o.attach, TIER_TRACEPOINT);
	assert_int_equal(o.interval, 5);
	assert_int_equal(o.duration, 0);
	assert_false(o.flows);
	assert_false(o.include_reserved);
	assert_string_equal(o.output[0], "stdout");
	assert_string_equal(o.pin_path, "/sys/fs/bpf/x");
	assert_int_equal(o.max_flows, 4096);
	/* The command line's list replaces the file's, it does not add to it. */
	assert_int_equal(o.n_geoip, 1);
	assert_string_equal(o.geoip[0], "/cli.mmdb");
	assert_int_equal(o.log_level, LOG_WARN);
	assert_string_equal(o.config, path);

	/* Partly overridden: the rest comes from the file. */
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, "--interval", "7",
			       "--geoip", "/x.mmdb", "--geoip", "/y.mmdb", NULL),
			 OPTS_OK);
	assert_int_equal(o.interval, 7);
	assert_int_equal(o.attach, TIER_KPROBE);
	assert_int_equal(o.max_flows, 1024);
	assert_true(o.flows);
	assert_int_equal(o.n_geoip, 2);
	assert_string_equal(o.geoip[0], "/x.mmdb");
	assert_string_equal(o.geoip[1], "/y.mmdb");
}

static void test_config_geoip(void **state)
{
	struct opts o;
	char err[512] = "";

	assert_int_equal(parse(&o, err, sizeof(err), "--config",
			       conf("g1.conf", "geoip = \"/only.mmdb\";\n"), NULL), OPTS_OK);
	assert_int_equal(o.n_geoip, 1);
	assert_string_equal(o.geoip[0], "/only.mmdb");

	assert_int_equal(parse(&o, err, sizeof(err), "--config",
			       conf("g2.conf", "geoip = ( \"/a.mmdb\", \"/b.mmdb\", \"/c.mmdb\" );\n"),
			       NULL), OPTS_OK);
	assert_int_equal(o.n_geoip, 3);
	assert_string_equal(o.geoip[2], "/c.mmdb");

	assert_int_equal(parse(&o, err, sizeof(err), "--config",
			       conf("g3.conf", "geoip = [ ];\n"), NULL), OPTS_OK);
	assert_int_equal(o.n_geoip, 0);
}

/* opts_parse with --config PATH must fail with exactly PATH + tail. */
static void config_err(const char *name, const char *text, const char *tail)
{
	const char *path = conf(name, text);
	char want[600], err[512];
	struct opts o;

	snprintf(want, sizeof(want), "%s%s", path, tail);
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_ERROR);
	assert_string_equal(err, want);
	/* opts_load_config says the same. */
	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_string_equal(o.config, "");
}

static void test_config_errors(void **state)
{
	config_err("u.conf", "interval = 5;\n\nx = 1;\n", ":3: unknown key 'x'");
	config_err("u2.conf", "flows = true;\nmax_flow = 5;\n", ":2: unknown key 'max_flow'");
	config_err("c.conf", "config = \"/etc/other.conf\";\n", ":1: unknown key 'config'");
	config_err("t1.conf", "# c\ninterval = \"ten\";\n",
		   ":2: key 'interval': expected a number");
	config_err("t2.conf", "interval = 0;\n",
		   ":1: key 'interval': expected a whole number from 1 to 86400");
	config_err("t3.conf", "interval = -5;\n",
		   ":1: key 'interval': expected a whole number from 1 to 86400");
	config_err("t4.conf", "interval = 1.5;\n", ":1: key 'interval': expected a number");
	config_err("t5.conf", "duration = 4294967296L;\n",
		   ":1: key 'duration': expected a whole number from 0 to 4294967295");
	config_err("t6.conf", "flows = \"yes\";\n", ":1: key 'flows': expected true or false");
	config_err("t7.conf", "flows = 1;\n", ":1: key 'flows': expected true or false");
	config_err("t8.conf", "output = 5;\n", ":1: key 'output': expected a string");
	config_err("t9.conf", "output = \"syslog\";\n",
		   ":1: key 'output': output syslog: unknown sink (use stdout, file:/path, syslog+tcp://host:port, syslog+tls://host:port, syslog+udp://host:port or syslog+unix:/path)");
	config_err("ta.conf", "attach = \"xdp\";\n",
		   ":1: key 'attach': expected auto, fentry, kprobe or tracepoint");
	config_err("tb.conf", "log_level = \"loud\";\n",
		   ":1: key 'log_level': expected error, warning, info or debug");
	config_err("tc.conf", "geoip = [ 1, 2 ];\n",
		   ":1: key 'geoip': expected a list of file paths");
	config_err("td.conf", "geoip = 7;\n", ":1: key 'geoip': expected a string");
	config_err("te.conf", "pin_path = true;\n", ":1: key 'pin_path': expected a string");
	config_err("tf.conf",
		   "geoip = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"];\n",
		   ":1: key 'geoip': too many geo databases");
	config_err("tg.conf", "nested = { interval = 5; };\n", ":1: unknown key 'nested'");
}

static void test_config_syntax(void **state)
{
	const char *path = conf("s.conf", "interval = 5;\nflows = true;\nmax_flows = = 3;\n");
	char want[400], err[512];
	struct opts o;

	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_ERROR);
	snprintf(want, sizeof(want), "%s:3: ", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got '%s', want it to start with '%s'", err, want);
	assert_non_null(strstr(err, "syntax error"));

	path = conf("s2.conf", "interval = 5;\n\n\nflows = ( true;\n");
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_ERROR);
	snprintf(want, sizeof(want), "%s:4: ", path);
	if (strncmp(err, want, strlen(want)))
		fail_msg("got '%s', want it to start with '%s'", err, want);
	/* libconfig makes ';' optional: a missing one is no error. */
	assert_int_equal(parse(&o, err, sizeof(err), "--config",
			       conf("s3.conf", "interval = 5\nflows = true\n"), NULL), OPTS_OK);
	assert_int_equal(o.interval, 5);

	/* An empty file and a file of comments are fine. */
	assert_int_equal(parse(&o, err, sizeof(err), "--config", conf("e.conf", ""), NULL), OPTS_OK);
}

static void test_config_missing(void **state)
{
	char path[300], want[400], err[512];
	struct opts o;

	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	assert_int_equal(parse(&o, err, sizeof(err), "--config", path, NULL), OPTS_ERROR);
	assert_string_equal(err, want);
	assert_int_equal(parse(&o, err, sizeof(err), "--config", NULL), OPTS_ERROR);
	assert_string_equal(err, "unknown option or missing value: --config (see --help)");
}

/* Issue 7 defect 4: each string option is bounded by its own field, not pin_path's. */
static void test_own_field_sizes(void **state)
{
	struct opts o;
	char spec[sizeof(o.output[0]) + 8], want[sizeof(spec) + 64];

	/* "file:/" + a's: 511 bytes fit output[512], twice pin_path's bound. */
	memset(spec, 'a', sizeof(spec));
	memcpy(spec, "file:/", 6);
	spec[sizeof(o.output[0]) - 1] = 0;
	PARSE_OK(&o, "--output", spec);
	assert_int_equal(strlen(o.output[0]), sizeof(o.output[0]) - 1);
	assert_string_equal(o.output[0], spec);
	spec[sizeof(o.output[0]) - 1] = 'a';
	spec[sizeof(o.output[0])] = 0;
	snprintf(want, sizeof(want), "--output %s: too long (at most 511 bytes)", spec);
	PARSE_ERR(want, "--output", spec);

	/* control[] has its own size too. */
	char ctl[sizeof(o.control) + 1];
	memset(ctl, 'c', sizeof(ctl));
	ctl[0] = '/';
	ctl[sizeof(o.control) - 1] = 0;
	PARSE_OK(&o, "--control", ctl);
	assert_string_equal(o.control, ctl);
	ctl[sizeof(o.control) - 1] = 'c';
	ctl[sizeof(o.control)] = 0;
	snprintf(want, sizeof(want), "--control %s: too long (at most 255 bytes)", ctl);
	PARSE_ERR(want, "--control", ctl);
}

/* Numbers are digits only: no sign, no spaces. */
static void test_numbers_digits_only(void **state)
{
	PARSE_ERR("--interval +5: expected a whole number from 1 to 86400", "--interval", "+5");
	PARSE_ERR("--interval  5: expected a whole number from 1 to 86400", "--interval", " 5");
	PARSE_ERR("--interval 5 : expected a whole number from 1 to 86400", "--interval", "5 ");
	PARSE_ERR("--interval \t5: expected a whole number from 1 to 86400", "--interval", "\t5");
	PARSE_ERR("--max-flows +1024: expected a whole number from 16 to 16777216",
		  "--max-flows", "+1024");
	PARSE_ERR("--duration -0: expected a whole number from 0 to 4294967295", "--duration", "-0");
	struct opts o;
	PARSE_OK(&o, "--interval", "05");
	assert_int_equal(o.interval, 5);
}

static void test_pin_path_forms(void **state)
{
	struct opts o;

	PARSE_OK(&o, "--pin-path", "/sys/fs/bpf/x/");
	assert_string_equal(o.pin_path, "/sys/fs/bpf/x");
	PARSE_OK(&o, "--pin-path", "/sys/fs/bpf///");
	assert_string_equal(o.pin_path, "/sys/fs/bpf");
	PARSE_ERR("--pin-path rel/dir: expected an absolute directory on a bpffs "
		  "(/sys/fs/bpf/NAME) or none", "--pin-path", "rel/dir");
	PARSE_ERR("--pin-path /: / is no pin directory: use a directory on a bpffs "
		  "(/sys/fs/bpf/NAME)", "--pin-path", "/");
	PARSE_ERR("--pin-path //: / is no pin directory: use a directory on a bpffs "
		  "(/sys/fs/bpf/NAME)", "--pin-path", "//");
}

static void test_max_flows_note(void **state)
{
	struct opts o;
	char note[256] = "";

	PARSE_OK(&o, "--max-flows", "1048576");
	assert_int_equal(opts_max_flows_note(&o, note, sizeof(note)), 0);
	PARSE_OK(&o, "--max-flows", "16777216");
	assert_int_equal(opts_max_flows_note(&o, note, sizeof(note)), 1);
	assert_string_equal(note, "--max-flows 16777216: the accounting maps take about 4.0 GiB "
			    "of kernel memory and start-up takes about 10 s");
}

/* opts_load_config on PATH must fail with exactly PATH + tail. */
static void load_err(const char *path, const char *tail)
{
	char want[1600], err[1600];
	struct opts o;

	snprintf(want, sizeof(want), "%s%s", path, tail);
	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_string_equal(o.config, "");
}

static void test_config_not_a_file(void **state)
{
	char sub[300], fifo[300];

	/* Was "cannot read: Success". */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	load_err(sub, ": is a directory, not a config file: give the path of a file (--config PATH)");
	/* Was a read that blocked forever, waiting for a writer. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	load_err(fifo, ": is a FIFO, not a config file: give the path of a file (--config PATH)");
	load_err("/dev/null", ": is a device, not a config file: give the path of a file "
		 "(--config PATH)");
}

/* libconfig's scanner exits the process on an @include of a directory. */
static void test_config_include_refused(void **state)
{
	char text[400];

	snprintf(text, sizeof(text), "interval = 5;\n  @include \"%s\"\n", dir);
	config_err("inc.conf", text, ":2: @include is not supported: put every key in this file");
	config_err("inc2.conf", "@include \"/etc/passwd\"\n",
		   ":1: @include is not supported: put every key in this file");
}

static void test_config_text_parser(void **state)
{
	static const char nul[] = "interval = 5;\0flows = true;\n";
	struct opts o;
	char err[256];

	opts_defaults(&o);
	assert_int_equal(opts_parse_config(&o, "mem", "interval = 7;\nflows = true;\n", 28,
					   err, sizeof(err)), 0);
	assert_int_equal(o.interval, 7);
	assert_true(o.flows);
	/* Only len bytes are read: no terminator needed. */
	assert_int_equal(opts_parse_config(&o, "mem", "interval = 9;XXXX", 13, err, sizeof(err)), 0);
	assert_int_equal(o.interval, 9);
	assert_int_equal(opts_parse_config(&o, "mem", nul, sizeof(nul) - 1, err, sizeof(err)), -1);
	assert_string_equal(err, "mem: contains a NUL byte: not a config file");
	assert_int_equal(opts_parse_config(&o, "mem", "interval = +5;", 14, err, sizeof(err)), 0);
	assert_int_equal(o.interval, 5);	/* libconfig's own integer syntax */
}

/* Refused when someone other than root could change the config. */
static void test_config_writable_by_others(void **state)
{
	char sub[300], path[320], tail[1200];

	snprintf(sub, sizeof(sub), "%s/perm", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/perm/x.conf", dir);
	put_file(path, "interval = 5;\n");
	assert_int_equal(chmod(path, 0644), 0);
	struct opts o;
	char err[1600];
	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), 0);

	assert_int_equal(chmod(path, 0666), 0);
	snprintf(tail, sizeof(tail), ": the config file is writable by others (mode 0666): "
		 "run chmod go-w %s", path);
	load_err(path, tail);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(chown(path, 0, 65534), 0);
	snprintf(tail, sizeof(tail), ": the config file is writable by others (mode 0620): "
		 "run chmod go-w %s", path);
	load_err(path, tail);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chown(path, 65534, 0), 0);
	snprintf(tail, sizeof(tail), ": the config file is owned by uid 65534, not root: "
		 "run chown root %s", path);
	load_err(path, tail);
	assert_int_equal(chown(path, 0, 0), 0);

	/* The directory above it counts too; a sticky one (like /tmp) is fine. */
	assert_int_equal(chmod(sub, 0777), 0);
	snprintf(tail, sizeof(tail), ": directory %s is writable by others (mode 0777): "
		 "run chmod go-w %s", sub, sub);
	load_err(path, tail);
	assert_int_equal(chmod(sub, 01777), 0);
	opts_defaults(&o);
	assert_int_equal(opts_load_config(&o, path, err, sizeof(err)), 0);
	assert_int_equal(chmod(sub, 0755), 0);
}

/* The shipped, commented config (etc/exfild.conf, run from the repo root) is the defaults. */
static void test_shipped_config_is_defaults(void **state)
{
	struct opts o, d;
	char err[512] = "";

	opts_defaults(&o);
	if (opts_load_config(&o, "etc/exfild.conf", err, sizeof(err)))
		fail_msg("etc/exfild.conf: %s", err);
	opts_defaults(&d);
	snprintf(d.config, sizeof(d.config), "etc/exfild.conf");
	assert_memory_equal(&o, &d, sizeof(o));
}

/* Parsing twice in one process works: getopt state does not leak. */
static void test_reparse(void **state)
{
	struct opts o;

	PARSE_OK(&o, "--interval", "3", "--flows");
	PARSE_OK(&o, "--interval", "4");
	assert_int_equal(o.interval, 4);
	assert_false(o.flows);
	PARSE_ERR("unknown option or missing value: --nope (see --help)", "--nope");
	PARSE_OK(&o, "--max-flows", "100");
	assert_int_equal(o.max_flows, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_no_arguments),
		cmocka_unit_test(test_each_cli_option),
		cmocka_unit_test(test_bool_options),
		cmocka_unit_test(test_geoip_cli),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_config_every_key),
		cmocka_unit_test(test_cli_overrides_file),
		cmocka_unit_test(test_config_geoip),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_syntax),
		cmocka_unit_test(test_config_missing),
		cmocka_unit_test(test_reparse),
		cmocka_unit_test(test_own_field_sizes),
		cmocka_unit_test(test_numbers_digits_only),
		cmocka_unit_test(test_pin_path_forms),
		cmocka_unit_test(test_max_flows_note),
		cmocka_unit_test(test_config_not_a_file),
		cmocka_unit_test(test_config_include_refused),
		cmocka_unit_test(test_config_text_parser),
		cmocka_unit_test(test_config_writable_by_others),
		cmocka_unit_test(test_config_sinks),
		cmocka_unit_test(test_shipped_config_is_defaults),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("opts", tests, setup, teardown);
}
