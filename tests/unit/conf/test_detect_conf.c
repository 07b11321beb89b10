/*
 * conf/detect_conf.c: the config file's `detect` group, every key and
 * allowlist kind, and errors that name file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "detect_conf.h"
#include "opts.h"

static struct detect_config c;
static char err[256];

static int parse(const char *text)
{
	detect_config_defaults(&c);
	err[0] = 0;
	return detect_conf_parse(text, "exfild.conf", &c, err, sizeof(err));
}

static void test_full_group(void **state)
{
	assert_int_equal(parse(
		"interval = 10;\n"
		"detect = {\n"
		"  alert_threshold = 80;\n"
		"  learning_period = \"14d\";\n"
		"  bucket_span = \"30m\";\n"
		"  suppression_window = 7200;\n"
		"  rate_cap = 10;\n"
		"  rate_window = \"5m\";\n"
		"  half_life = \"3d\";\n"
		"  min_bytes = 4000000;\n"
		"  max_members = 4096;\n"
		"  allow = (\n"
		"    { net = \"203.0.113.0/24\"; reason = \"partner SFTP\"; },\n"
		"    { country = \"de\"; reason = \"Frankfurt office\"; },\n"
		"    { asn = 64500; reason = \"backup provider\"; },\n"
		"    { process = \"/usr/bin/restic\"; reason = \"nightly backup\"; },\n"
		"    { user = \"backup\"; reason = \"backup account\"; }\n"
		"  );\n"
		"};\n"), 0);
	assert_int_equal(c.alert_threshold, 80);
	assert_int_equal(c.learning_ns, 14 * 86400 * DETECT_SEC);
	assert_int_equal(c.bucket_ns, 1800 * DETECT_SEC);
	assert_int_equal(c.suppress_ns, 7200 * DETECT_SEC);
	assert_int_equal(c.rate_cap, 10);
	assert_int_equal(c.rate_window_ns, 300 * DETECT_SEC);
	assert_int_equal(c.half_life_ns, 3 * 86400 * DETECT_SEC);
	assert_int_equal(c.min_bytes, 4000000);
	assert_int_equal(c.max_members, 4096);
	assert_int_equal(c.n_allow, 5);
	assert_int_equal(c.allow[0].kind, ALLOW_NET);
	assert_int_equal(c.allow[0].net.bits, 24);
	assert_int_equal(c.allow[0].net.net.a[0], 203);
	assert_string_equal(c.allow[0].reason, "partner SFTP");
	assert_int_equal(c.allow[1].kind, ALLOW_COUNTRY);
	assert_string_equal(c.allow[1].value, "DE");
	assert_int_equal(c.allow[2].kind, ALLOW_ASN);
	assert_int_equal(c.allow[2].asn, 64500);
	assert_int_equal(c.allow[3].kind, ALLOW_PROCESS);
	assert_string_equal(c.allow[3].value, "/usr/bin/restic");
	assert_int_equal(c.allow[4].kind, ALLOW_USER);
	assert_string_equal(c.allow[4].reason, "backup account");
}

static void test_defaults_without_group(void **state)
{
	struct detect_config d;

	assert_int_equal(parse("interval = 10;\n"), 0);
	detect_config_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(d.alert_threshold, 75);
	assert_int_equal(d.learning_ns, 86400 * DETECT_SEC);
	assert_int_equal(d.bucket_ns, 3600 * DETECT_SEC);
	assert_int_equal(d.suppress_ns, 3600 * DETECT_SEC);
	assert_int_equal(d.rate_cap, 100);
	assert_int_equal(d.rate_window_ns, 900 * DETECT_SEC);
}

static void test_errors_name_file_line_key(void **state)
{
	assert_int_equal(parse("detect = {\n  alert_treshold = 80;\n};\n"), -1);
	assert_string_equal(err, "exfild.conf:2: key 'detect.alert_treshold': unknown key");
	assert_int_equal(parse("detect = {\n\n  alert_threshold = 101;\n};\n"), -1);
	assert_string_equal(err, "exfild.conf:3: key 'detect.alert_threshold': out of range");
	assert_int_equal(parse("detect = { learning_period = \"1 day\"; };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.learning_period': expected a duration "
				 "such as \"90s\", \"15m\", \"24h\", \"7d\" or seconds");
	assert_int_equal(parse("detect = { include_reserved = true; };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.include_reserved': unknown key");
	assert_int_equal(parse("detect = { bucket_span = \"10s\"; };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect': bucket_span must be 1 minute to 24 hours");
	assert_int_equal(parse("detect = 3;\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect': expected a group: detect = { ... };");
	assert_int_equal(parse("detect = {\n alert_threshold = ;\n};\n"), -1);
	assert_string_equal(err, "exfild.conf:2: syntax error");
}

static void test_allow_errors(void **state)
{
	assert_int_equal(parse("detect = { allow = (\n { country = \"DE\"; }\n); };\n"), -1);
	assert_string_equal(err, "exfild.conf:2: key 'detect.allow.[0]': missing 'reason' (a non-empty "
				 "string: it is logged when the entry suppresses)");
	assert_int_equal(parse("detect = { allow = ( { country = \"DE\"; reason = \"x\"; },\n"
			       " { net = \"203.0.113.0/33\"; reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:2: key 'detect.allow.[1]': net: expected an address or "
				 "CIDR such as 203.0.113.0/24 or 2001:db8::/32");
	assert_int_equal(parse("detect = { allow = ( { country = \"DEU\"; reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow.[0]': country: expected a two-letter "
				 "ISO 3166 code such as DE");
	assert_int_equal(parse("detect = { allow = ( { country = \"DE\"; user = \"a\"; reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow.[0]': more than one of net, country, "
				 "asn, process, user");
	assert_int_equal(parse("detect = { allow = ( { reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow.[0]': needs one of net, country, asn, "
				 "process or user");
	assert_int_equal(parse("detect = { allow = ( { hostname = \"x\"; reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow.[0]': unknown key (expected net, "
				 "country, asn, process or user, and reason)");
	assert_int_equal(parse("detect = { allow = ( { asn = \"AS1\"; reason = \"x\"; } ); };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow.[0]': asn: expected an AS number");
	assert_int_equal(parse("detect = { allow = \"DE\"; };\n"), -1);
	assert_string_equal(err, "exfild.conf:1: key 'detect.allow': expected a list ( { ... }, { ... } )");
}

/* The agent's config reader hands the group over (conf/opts.c). */
static void test_opts_reads_the_group(void **state)
{
	static const char text[] = "interval = 5;\n"
				   "detect = {\n  alert_threshold = 90;\n"
				   "  allow = ( { user = \"backup\"; reason = \"backups\"; } );\n};\n";
	static const char bad[] = "detect = {\n  rate_cap = 0;\n};\n";
	struct opts o;

	opts_defaults(&o);
	assert_int_equal(opts_parse_config(&o, "exfild.conf", text, sizeof(text) - 1, err,
					   sizeof(err)), 0);
	assert_int_equal(o.interval, 5);
	assert_int_equal(o.detect.alert_threshold, 90);
	assert_int_equal(o.detect.n_allow, 1);
	assert_string_equal(o.detect.allow[0].reason, "backups");
	assert_int_equal(opts_parse_config(&o, "exfild.conf", bad, sizeof(bad) - 1, err,
					   sizeof(err)), -1);
	assert_string_equal(err, "exfild.conf:2: key 'detect.rate_cap': out of range");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_group),
		cmocka_unit_test(test_defaults_without_group),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_allow_errors),
		cmocka_unit_test(test_opts_reads_the_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
