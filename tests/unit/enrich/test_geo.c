/*
 * user/geo.c against small databases built at test time by tools/mkmmdb.pl
 * from the JSON sources in tests/fixtures/geo/ (run from the repo top; EXFILD_MKMMDB may
 * name the tool elsewhere). The .mmdb files go to a temporary directory
 * under build/tests/ and are removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "geo.h"
#include "record_parts.h"
#include "log.h"

#define FIX "tests/fixtures/geo/"

static char dir[256];   /* temporary directory for the built files */

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

/* Run tools/mkmmdb.pl without a shell; extra may add "--type"/"--ip-version" pairs. */
static int mkmmdb(const char *schema, const char *src, const char *out,
		  const char *opt, const char *val)
{
	const char *tool = getenv("EXFILD_MKMMDB") ? getenv("EXFILD_MKMMDB") : "tools/mkmmdb.pl";
	char dst[512];
	int status;
	pid_t pid;

	path_of(dst, sizeof(dst), out);
	pid = fork();
	if (pid == 0) {
		if (opt)
			execlp("perl", "perl", tool, "--schema", schema, "--in", src,
			       "--out", dst, opt, val, (char *)NULL);
		else
			execlp("perl", "perl", tool, "--schema", schema, "--in", src,
			       "--out", dst, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int write_file(const char *name, const void *data, size_t len)
{
	char p[512];
	FILE *f;

	path_of(p, sizeof(p), name);
	if (!(f = fopen(p, "wb")))
		return -1;
	fwrite(data, 1, len, f);
	return fclose(f);
}

/* Copy a built file to another name, via a temporary file and rename(). */
static void replace_with(const char *from, const char *to)
{
	char a[512], b[512], tmp[600];
	char buf[65536];
	size_t n;
	FILE *in, *out;

	path_of(a, sizeof(a), from);
	path_of(b, sizeof(b), to);
	snprintf(tmp, sizeof(tmp), "%s.new", b);
	in = fopen(a, "rb");
	out = fopen(tmp, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(rename(tmp, b), 0);
}

static int setup(void **state)
{
	static const char mapped_src[] =
		"{ \"192.0.2.0/24\": { \"country\": \"SE\", \"city\": "
		"\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"x\" } }";
	char src[512];

	mkdir("build", 0755);
	mkdir("build/tests", 0755);
	snprintf(dir, sizeof(dir), "build/tests/geo.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "test_geo: cannot create %s (run from the repo top)\n", dir);
		return -1;
	}
	if (access(getenv("EXFILD_MKMMDB") ? getenv("EXFILD_MKMMDB") : "tools/mkmmdb.pl", R_OK) < 0) {
		fprintf(stderr, "test_geo: tools/mkmmdb.pl not found: run from the repo top or set EXFILD_MKMMDB\n");
		return -1;
	}
	write_file("long.json", mapped_src, sizeof(mapped_src) - 1);
	path_of(src, sizeof(src), "long.json");
	if (mkmmdb("city", FIX "geo-city.json", "city.mmdb", NULL, NULL) ||
	    mkmmdb("city", FIX "geo-city.json", "city4.mmdb", "--ip-version", "4") ||
	    mkmmdb("country", FIX "geo-city.json", "country.mmdb", NULL, NULL) ||
	    mkmmdb("asn", FIX "geo-asn.json", "asn.mmdb", NULL, NULL) ||
	    mkmmdb("flat", FIX "geo-flat.json", "flat.mmdb", NULL, NULL) ||
	    mkmmdb("flat", FIX "geo-flat.json", "flat4.mmdb", "--ip-version", "4") ||
	    mkmmdb("flat", FIX "geo-asn.json", "flatasn.mmdb", NULL, NULL) ||
	    mkmmdb("city", FIX "geo-city.json", "custom.mmdb", "--type", "Example-Geo") ||
	    mkmmdb("flat", FIX "geo-flat.json", "customflat.mmdb", "--type", "Example-Flat") ||
	    mkmmdb("city", src, "long.mmdb", NULL, NULL)) {
		fprintf(stderr, "test_geo: building test databases with mkmmdb.pl failed\n");
		return -1;
	}
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	/* Only our own mkdtemp directory under build/tests. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Open the named built files, failing the test if that fails. */
static struct geo *open_names(const char *a, const char *b, const char *c)
{
	char p[3][512], err[512] = "";
	const char *paths[3];
	const char *names[3] = { a, b, c };
	size_t n = 0;
	struct geo *g;

	for (int i = 0; i < 3 && names[i]; i++) {
		path_of(p[i], sizeof(p[i]), names[i]);
		paths[n++] = p[i];
	}
	g = geo_open(paths, n, err, sizeof(err));
	if (!g)
		fail_msg("geo_open: %s", err);
	return g;
}

static bool look(struct geo *g, const char *ip, struct geo_info *gi)
{
	uint8_t a[16] = { 0 };

	if (strchr(ip, ':')) {
		assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
		return geo_lookup(g, AF_INET6, a, gi);
	}
	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return geo_lookup(g, AF_INET, a, gi);
}

static void assert_near(double a, double b)
{
	if (a - b > 1e-6 || b - a > 1e-6)
		fail_msg("%f != %f", a, b);
}

/* What was logged to stderr while captured (static buffer). */
static const char *captured(void)
{
	static char buf[4096];
	char p[512];
	FILE *f;
	size_t n;

	path_of(p, sizeof(p), "stderr.txt");
	f = fopen(p, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static int saved_fd = -1;

static void capture_start(void)
{
	char p[512];
	int fd;

	path_of(p, sizeof(p), "stderr.txt");
	fflush(stderr);
	saved_fd = dup(2);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved_fd >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
}

static const char *capture_end(void)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	return captured();
}

static void test_city_ipv4(void **state)
{
	struct geo *g = open_names("city.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_int_equal(geo_count(g), 1);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "DE");
	assert_string_equal(gi.country_name, "Germany");
	assert_string_equal(gi.continent_name, "Europe");
	assert_string_equal(gi.region_name, "Bavaria");
	assert_string_equal(gi.region_iso, "DE-BY");
	assert_string_equal(gi.city_name, "Munich");
	assert_true(gi.has_location);
	assert_near(gi.lat, 48.1371);
	assert_near(gi.lon, 11.5754);
	assert_false(gi.has_as);
	assert_string_equal(gi.as_org, "");

	/* Country-only record inside a City db. */
	assert_true(look(g, "127.1.2.3", &gi));
	assert_string_equal(gi.country_iso, "US");
	assert_string_equal(gi.city_name, "");
	assert_string_equal(gi.region_iso, "");
	assert_false(gi.has_location);

	/* IPv4-mapped IPv6 is looked up as IPv4. */
	assert_true(look(g, "::ffff:203.0.113.9", &gi));
	assert_string_equal(gi.city_name, "Tokyo");
	assert_string_equal(gi.region_iso, "JP-13");
	geo_close(g);
}

static void test_city_ipv6(void **state)
{
	struct geo *g = open_names("city.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_true(look(g, "2001:db8:2::5", &gi));
	assert_string_equal(gi.country_iso, "CA");
	assert_string_equal(gi.region_name, "Quebec");
	assert_string_equal(gi.region_iso, "CA-QC");
	assert_string_equal(gi.city_name, "Montreal");
	assert_near(gi.lon, -73.5878);

	assert_true(look(g, "2001:db8:1:ffff::1", &gi));
	assert_string_equal(gi.region_name, "\xc3\x8ele-de-France");
	assert_string_equal(gi.continent_name, "Europe");
	geo_close(g);
}

static void test_ipv4_only_tree(void **state)
{
	struct geo *g = open_names("city4.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_true(look(g, "198.51.100.200", &gi));
	assert_string_equal(gi.country_iso, "BR");
	assert_string_equal(gi.city_name, "S\xc3\xa3o Paulo");
	/* IPv6 in an IPv4 file: simply nothing, no error. */
	assert_false(look(g, "2001:db8:1::1", &gi));
	geo_close(g);
}

static void test_country(void **state)
{
	struct geo *g = open_names("country.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "DE");
	assert_string_equal(gi.country_name, "Germany");
	assert_string_equal(gi.continent_name, "Europe");
	assert_string_equal(gi.region_name, "");
	assert_string_equal(gi.region_iso, "");
	assert_string_equal(gi.city_name, "");
	assert_false(gi.has_location);
	assert_true(look(g, "2001:db8:1::1", &gi));
	assert_string_equal(gi.country_iso, "FR");
	geo_close(g);
}

static void test_asn(void **state)
{
	struct geo *g = open_names("asn.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_true(look(g, "192.0.2.7", &gi));
	assert_true(gi.has_as);
	assert_int_equal(gi.as_number, 64500);
	assert_string_equal(gi.as_org, "Example Transit GmbH");
	assert_string_equal(gi.country_iso, "");
	assert_true(look(g, "127.2.0.9", &gi));
	assert_int_equal(gi.as_number, 64502);
	assert_string_equal(gi.as_org, "");
	assert_true(look(g, "2001:db8:1::1", &gi));
	assert_string_equal(gi.as_org, "Exemple R\xc3\xa9seau SA");
	assert_false(look(g, "198.51.100.1", &gi));
	geo_close(g);
}

static void test_flat(void **state)
{
	const char *files[] = { "flat.mmdb", "flat4.mmdb" };

	for (int i = 0; i < 2; i++) {
		struct geo *g = open_names(files[i], NULL, NULL);
		struct geo_info gi;

		assert_true(look(g, "192.0.2.7", &gi));
		assert_string_equal(gi.country_iso, "AT");
		/* Flat files have codes only: the names come from the generated table. */
		assert_string_equal(gi.country_name, "Austria");
		assert_string_equal(gi.continent_name, "Europe");
		assert_string_equal(gi.region_name, "Tyrol");
		assert_string_equal(gi.region_iso, "");
		assert_string_equal(gi.city_name, "Innsbruck");
		assert_true(gi.has_location);
		assert_true(gi.lat == 47.2627);            /* float rounded to 4 decimals */
		assert_true(gi.lon == 11.3945);
		assert_int_equal(gi.as_number, 64510);
		assert_string_equal(gi.as_org, "Flat Example AS");

		/* "" for unknown state/city in the file means absent. */
		assert_true(look(g, "198.51.100.3", &gi));
		assert_string_equal(gi.country_iso, "AR");
		assert_string_equal(gi.country_name, "Argentina");
		assert_string_equal(gi.continent_name, "South America");
		assert_string_equal(gi.region_name, "");
		assert_string_equal(gi.city_name, "");
		assert_true(gi.has_location);
		assert_false(gi.has_as);

		assert_true(look(g, "127.3.0.1", &gi));
		assert_string_equal(gi.country_iso, "NZ");
		assert_string_equal(gi.country_name, "New Zealand");
		assert_string_equal(gi.continent_name, "Oceania");
		assert_false(gi.has_location);
		if (i == 0) {
			assert_true(look(g, "2001:db8:3::1", &gi));
			assert_string_equal(gi.city_name, "Amsterdam");
		} else {
			assert_false(look(g, "2001:db8:3::1", &gi));
		}
		geo_close(g);
	}
}

static void test_flat_asn(void **state)
{
	struct geo *g = open_names("flatasn.mmdb", NULL, NULL);
	struct geo_info gi;

	assert_true(look(g, "203.0.113.77", &gi));
	assert_int_equal(gi.as_number, 64501);
	assert_string_equal(gi.as_org, "Example Net KK");
	assert_string_equal(gi.country_iso, "");
	geo_close(g);
}

/* Unknown database_type: the record's shape decides. */
static void test_unknown_type(void **state)
{
	struct geo *g = open_names("custom.mmdb", "customflat.mmdb", NULL);
	struct geo_info gi;

	assert_true(look(g, "203.0.113.1", &gi));
	assert_string_equal(gi.region_iso, "JP-13");
	assert_string_equal(gi.city_name, "Tokyo");
	assert_true(look(g, "2001:db8:3::1", &gi));
	assert_string_equal(gi.city_name, "Amsterdam");
	geo_close(g);
}

static void test_combined(void **state)
{
	struct geo *g = open_names("city.mmdb", "asn.mmdb", NULL);
	struct geo_info gi;

	assert_int_equal(geo_count(g), 2);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.city_name, "Munich");
	assert_int_equal(gi.as_number, 64500);
	assert_true(look(g, "127.2.0.1", &gi));       /* only the ASN db knows it */
	assert_string_equal(gi.country_iso, "");
	assert_int_equal(gi.as_number, 64502);
	geo_close(g);

	/* First file wins; a later one only details the same country. */
	g = open_names("country.mmdb", "city.mmdb", "asn.mmdb");
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_name, "Germany");
	assert_string_equal(gi.city_name, "Munich");
	assert_string_equal(gi.region_iso, "DE-BY");
	assert_int_equal(gi.as_number, 64500);
	geo_close(g);

	g = open_names("flat.mmdb", "city.mmdb", "asn.mmdb");
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "AT");
	/* city.mmdb says DE: not mixed in; the name is AT's, from the table. */
	assert_string_equal(gi.country_name, "Austria");
	assert_string_equal(gi.continent_name, "Europe");
	assert_string_equal(gi.city_name, "Innsbruck");
	assert_int_equal(gi.as_number, 64510);        /* flat had an AS: it wins */
	assert_true(look(g, "2001:db8:1::1", &gi));    /* flat has nothing here */
	assert_string_equal(gi.country_name, "France");
	assert_int_equal(gi.as_number, 64503);
	geo_close(g);
}

static void test_missing_address(void **state)
{
	struct geo *g = open_names("city.mmdb", "asn.mmdb", NULL);
	struct geo_info gi;
	struct geo_stats st;
	json_t *dst = json_object();

	assert_false(look(g, "127.9.9.9", &gi));
	assert_false(look(g, "2001:db8:ffff::1", &gi));
	assert_string_equal(gi.country_iso, "");
	assert_false(gi.has_location || gi.has_as);
	record_geo(dst, &gi);
	assert_int_equal(json_object_size(dst), 0);
	geo_get_stats(g, &st);
	assert_int_equal(st.lookups, 2);
	assert_int_equal(st.misses, 2);
	json_decref(dst);
	geo_close(g);
}

static void test_no_database(void **state)
{
	char err[256] = "";
	struct geo *g = geo_open(NULL, 0, err, sizeof(err));
	struct geo_info gi;

	assert_non_null(g);
	assert_int_equal(geo_count(g), 0);
	assert_false(look(g, "192.0.2.1", &gi));
	assert_int_equal(geo_reload(g), 0);
	assert_int_equal(geo_maybe_reload(g), 0);
	geo_close(g);
}

static void test_corrupt_at_open(void **state)
{
	static const char junk[] = "this is not a MaxMind DB file\n";
	char bad[512], good[512], missing[512], err[512] = "";
	const char *paths[2];

	assert_int_equal(write_file("junk.mmdb", junk, sizeof(junk) - 1), 0);
	path_of(bad, sizeof(bad), "junk.mmdb");
	path_of(good, sizeof(good), "city.mmdb");
	path_of(missing, sizeof(missing), "nope.mmdb");

	paths[0] = good;
	paths[1] = bad;
	assert_null(geo_open(paths, 2, err, sizeof(err)));
	assert_non_null(strstr(err, bad));
	assert_null(strstr(err, good));

	paths[0] = missing;
	assert_null(geo_open(paths, 1, err, sizeof(err)));
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "No such file"));
}

/* Read a built file whole into buf (failing the test if it does not fit). */
static size_t read_built(const char *name, char *buf, size_t size)
{
	char p[512];
	FILE *f;
	size_t n;

	path_of(p, sizeof(p), name);
	f = fopen(p, "rb");
	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	assert_true(n > 200 && n < size);
	return n;
}

/* A truncated copy of a real file: the metadata at the end is gone. */
static void make_truncated(const char *from, const char *to)
{
	char buf[65536];
	size_t n = read_built(from, buf, sizeof(buf));

	assert_int_equal(write_file(to, buf, n / 2), 0);
}

static void test_corrupt_at_reload(void **state)
{
	struct geo *g;
	struct geo_info gi;
	char live[512];
	const char *log;

	replace_with("city.mmdb", "live1.mmdb");
	path_of(live, sizeof(live), "live1.mmdb");
	g = open_names("live1.mmdb", NULL, NULL);
	make_truncated("flat.mmdb", "half.mmdb");

	/* geoipupdate-style replace, but with a broken file. */
	replace_with("half.mmdb", "live1.mmdb");
	capture_start();
	assert_int_equal(geo_maybe_reload(g), 0);
	assert_int_equal(geo_maybe_reload(g), 0);  /* same bad file: no second warning */
	log = capture_end();
	assert_non_null(strstr(log, live));
	assert_null(strstr(strstr(log, live) + 1, live));
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "DE");  /* old db kept */

	capture_start();
	assert_int_equal(geo_reload(g), -1);
	log = capture_end();
	assert_non_null(strstr(log, live));
	assert_non_null(strstr(log, "warning"));
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.city_name, "Munich");
	assert_int_equal(geo_count(g), 1);

	/* Fixed later: picked up. */
	replace_with("flat.mmdb", "live1.mmdb");
	assert_int_equal(geo_maybe_reload(g), 1);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "AT");
	geo_close(g);
}

static void test_atomic_replace(void **state)
{
	struct geo *g;
	struct geo_info gi;
	char live[512], gone[512];

	replace_with("city.mmdb", "live2.mmdb");
	g = open_names("live2.mmdb", NULL, NULL);
	assert_int_equal(geo_maybe_reload(g), 0);   /* unchanged */
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "DE");

	replace_with("flat.mmdb", "live2.mmdb");
	assert_int_equal(geo_maybe_reload(g), 1);
	assert_int_equal(geo_maybe_reload(g), 0);
	assert_true(look(g, "192.0.2.7", &gi));     /* cache was cleared */
	assert_string_equal(gi.country_iso, "AT");

	/* Vanished file: keep serving the loaded copy. */
	path_of(live, sizeof(live), "live2.mmdb");
	path_of(gone, sizeof(gone), "live2.gone");
	assert_int_equal(rename(live, gone), 0);
	capture_start();
	assert_int_equal(geo_maybe_reload(g), 0);
	assert_int_equal(geo_maybe_reload(g), 0);
	assert_non_null(strstr(capture_end(), live));
	assert_true(look(g, "203.0.113.1", &gi) == false);  /* flat has no JP entry */
	assert_true(look(g, "127.3.0.1", &gi));
	assert_int_equal(rename(gone, live), 0);
	geo_close(g);
}

/* Overwrite name with from's bytes in place (same inode), as cp or curl -o do. */
static void overwrite_in_place(const char *from, const char *to, size_t len)
{
	char a[512], b[512];
	int in, out;
	char *buf = malloc(1 << 20);
	ssize_t n;

	path_of(a, sizeof(a), from);
	path_of(b, sizeof(b), to);
	assert_non_null(buf);
	in = open(a, O_RDONLY);
	out = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0644);	/* same inode: truncated */
	assert_true(in >= 0 && out >= 0);
	n = read(in, buf, 1 << 20);
	assert_true(n > 0 && n < (1 << 20));
	if (len && len < (size_t)n)
		n = (ssize_t)len;
	assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	free(buf);
}

static off_t size_of(const char *name)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/*
 * Defect: the database was mapped straight from the file, so truncating
 * it in place (truncate -s 0, the first step of cp or curl -o over it)
 * killed the agent with SIGBUS at the next uncached lookup. Now the
 * loaded copy keeps answering; a half-written file is refused; the
 * complete one is taken.
 */
static void test_truncate_in_place(void **state)
{
	struct geo *g;
	struct geo_info gi;
	char live[512];
	const char *log;

	overwrite_in_place("city.mmdb", "live3.mmdb", 0);
	path_of(live, sizeof(live), "live3.mmdb");
	g = open_names("live3.mmdb", NULL, NULL);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "DE");

	assert_int_equal(truncate(live, 0), 0);
	assert_true(look(g, "203.0.113.5", &gi));	/* not cached: walks the tree */
	assert_string_equal(gi.country_iso, "JP");
	capture_start();
	assert_int_equal(geo_maybe_reload(g), 0);
	log = capture_end();
	assert_non_null(strstr(log, "empty file"));
	assert_true(look(g, "2001:db8:1::1", &gi));
	assert_string_equal(gi.country_name, "France");

	/* Half written: refused, the loaded copy stays. */
	overwrite_in_place("flat.mmdb", "live3.mmdb", (size_t)size_of("flat.mmdb") / 2);
	capture_start();
	assert_int_equal(geo_maybe_reload(g), 0);
	assert_non_null(strstr(capture_end(), live));
	assert_true(look(g, "198.51.100.1", &gi) == false || gi.country_iso[0] != 'A');

	/* Complete: used. */
	overwrite_in_place("flat.mmdb", "live3.mmdb", 0);
	assert_int_equal(geo_maybe_reload(g), 1);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.country_iso, "AT");
	geo_close(g);
}

/* A valid database of the same size with other content: "Munich" spelt "Munikh". */
static void make_variant(const char *from, const char *to)
{
	char buf[65536], *at;
	size_t n = read_built(from, buf, sizeof(buf));

	at = memmem(buf, n, "Munich", 6);
	assert_non_null(at);
	memcpy(at, "Munikh", 6);
	assert_null(memmem(buf, n, "Munich", 6));
	assert_int_equal(write_file(to, buf, n), 0);
}

/*
 * Defect: rewriting the file in place at the same size changed the data
 * under the mapping (the old code read whatever was there). Now lookups
 * answer from the copy until the new version is loaded whole.
 */
static void test_rewrite_same_size(void **state)
{
	struct geo *g;
	struct geo_info gi;

	make_variant("city.mmdb", "variant.mmdb");
	assert_int_equal(size_of("variant.mmdb"), size_of("city.mmdb"));
	overwrite_in_place("city.mmdb", "live4.mmdb", 0);
	g = open_names("live4.mmdb", NULL, NULL);

	overwrite_in_place("variant.mmdb", "live4.mmdb", 0);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.city_name, "Munich");	/* the copy loaded before */
	assert_int_equal(geo_maybe_reload(g), 1);
	assert_true(look(g, "192.0.2.7", &gi));
	assert_string_equal(gi.city_name, "Munikh");
	assert_string_equal(gi.country_name, "Germany");
	geo_close(g);
}

/* A name the database gives wins over the table; a missing one is filled. */
static void test_names_from_table(void **state)
{
	static const char src[] =
		"{ \"192.0.2.0/24\": { \"country\": \"KR\", \"country_name\": \"Republic of Korea\" },"
		"  \"198.51.100.0/24\": { \"country\": \"XK\" },"
		"  \"203.0.113.0/24\": { \"country\": \"ZZ\" } }";
	char p[512];
	struct geo *g;
	struct geo_info gi;

	assert_int_equal(write_file("names.json", src, sizeof(src) - 1), 0);
	path_of(p, sizeof(p), "names.json");
	assert_int_equal(mkmmdb("city", p, "names.mmdb", NULL, NULL), 0);
	g = open_names("names.mmdb", NULL, NULL);
	assert_true(look(g, "192.0.2.1", &gi));
	assert_string_equal(gi.country_name, "Republic of Korea");
	assert_string_equal(gi.continent_name, "Asia");
	assert_true(look(g, "198.51.100.1", &gi));	/* not in ISO 3166-1: CLDR's name */
	assert_string_equal(gi.country_name, "Kosovo");
	assert_string_equal(gi.continent_name, "Europe");
	assert_true(look(g, "203.0.113.1", &gi));	/* unknown code: left without */
	assert_string_equal(gi.country_iso, "ZZ");
	assert_string_equal(gi.country_name, "");
	assert_string_equal(gi.continent_name, "");
	geo_close(g);
}

static void test_cache(void **state)
{
	struct geo *g = open_names("city.mmdb", NULL, NULL);
	struct geo_info gi;
	struct geo_stats st;

	for (int i = 0; i < 3; i++)
		assert_true(look(g, "198.51.100.9", &gi));
	for (int i = 0; i < 2; i++)
		assert_false(look(g, "127.200.0.1", &gi));
	/* Same bytes, other family: a different key. */
	assert_false(look(g, "c633:6409::", &gi));
	geo_get_stats(g, &st);
	assert_int_equal(st.lookups, 6);
	assert_int_equal(st.cache_hits, 3);
	assert_int_equal(st.misses, 3);
	assert_string_equal(gi.country_iso, "");

	assert_int_equal(geo_reload(g), 0);         /* clears the cache */
	assert_true(look(g, "198.51.100.9", &gi));
	assert_string_equal(gi.country_iso, "BR");
	geo_get_stats(g, &st);
	assert_int_equal(st.cache_hits, 3);

	/* 1,000 repeating destinations (a busy host) fit: nearly all hit. */
	geo_get_stats(g, &st);
	uint64_t hits0 = st.cache_hits;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 1000; i++) {
			uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0,
					  0, 0, (uint8_t)(i >> 8), (uint8_t)i };

			assert_true(geo_lookup(g, AF_INET6, a, &gi));
		}
	geo_get_stats(g, &st);
	assert_true(st.cache_hits - hits0 >= 990);

	/* Many distinct addresses stay bounded and correct. */
	for (int i = 0; i < 20000; i++) {
		uint8_t a[16] = { 192, 0, 2, (uint8_t)i };

		a[2] = (i & 1) ? 2 : 3;
		assert_int_equal(geo_lookup(g, AF_INET, a, &gi), (i & 1) != 0);
	}
	geo_close(g);
}

/* Every string anywhere in v is non-empty. */
static void assert_no_empty_strings(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v))
		assert_true(json_string_length(v) > 0);
	json_object_foreach(v, k, x)
		assert_no_empty_strings(x);
	json_array_foreach(v, i, x)
		assert_no_empty_strings(x);
}

static void test_json(void **state)
{
	struct geo *g = open_names("city.mmdb", "asn.mmdb", "flat.mmdb");
	struct geo_info gi;
	json_t *dst = json_object(), *geo;
	char *s;

	assert_true(look(g, "2001:db8:2::1", &gi));
	json_object_set_new(dst, "ip", json_string("2001:db8:2::1"));
	record_geo(dst, &gi);
	geo = json_object_get(dst, "geo");
	assert_string_equal(json_string_value(json_object_get(geo, "country_iso_code")), "CA");
	assert_string_equal(json_string_value(json_object_get(geo, "country_name")), "Canada");
	assert_string_equal(json_string_value(json_object_get(geo, "continent_name")), "North America");
	assert_string_equal(json_string_value(json_object_get(geo, "region_name")), "Quebec");
	assert_string_equal(json_string_value(json_object_get(geo, "region_iso_code")), "CA-QC");
	assert_string_equal(json_string_value(json_object_get(geo, "city_name")), "Montreal");
	assert_near(json_real_value(json_object_get(json_object_get(geo, "location"), "lat")), 45.5088);
	assert_near(json_real_value(json_object_get(json_object_get(geo, "location"), "lon")), -73.5878);
	assert_null(json_object_get(dst, "as"));
	assert_no_empty_strings(dst);
	json_decref(dst);

	/* Flat record with "" fields, plus AS. */
	dst = json_object();
	assert_true(look(g, "198.51.100.1", &gi));
	record_geo(dst, &gi);
	s = json_dumps(dst, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	assert_no_empty_strings(dst);
	/* city.mmdb (BR) wins over flat (AR); no AS anywhere for this address. */
	assert_non_null(strstr(s, "\"country_iso_code\":\"BR\""));
	assert_null(strstr(s, "\"as\""));
	free(s);
	json_decref(dst);

	/* AS without organization: number only. */
	dst = json_object();
	assert_true(look(g, "127.2.0.1", &gi));
	record_geo(dst, &gi);
	assert_null(json_object_get(dst, "geo"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(dst, "as"), "number")), 64502);
	assert_null(json_object_get(json_object_get(dst, "as"), "organization"));
	json_decref(dst);

	/* AS with organization. */
	dst = json_object();
	assert_true(look(g, "203.0.113.5", &gi));
	record_geo(dst, &gi);
	s = json_dumps(dst, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(strstr(s, "\"as\":{\"number\":64501,\"organization\":{\"name\":\"Example Net KK\"}}"));
	free(s);
	json_decref(dst);
	geo_close(g);
}

/* A name longer than the field is cut at a character boundary (valid UTF-8). */
static void test_long_name(void **state)
{
	struct geo *g = open_names("long.mmdb", NULL, NULL);
	struct geo_info gi;
	json_t *dst = json_object();

	assert_true(look(g, "192.0.2.1", &gi));
	assert_true(strlen(gi.city_name) == 94);  /* 47 two-byte chars fit in 95 bytes */
	record_geo(dst, &gi);
	assert_non_null(json_object_get(json_object_get(dst, "geo"), "city_name"));
	json_decref(dst);
	geo_close(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_city_ipv4),
		cmocka_unit_test(test_city_ipv6),
		cmocka_unit_test(test_ipv4_only_tree),
		cmocka_unit_test(test_country),
		cmocka_unit_test(test_asn),
		cmocka_unit_test(test_flat),
		cmocka_unit_test(test_flat_asn),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_missing_address),
		cmocka_unit_test(test_no_database),
		cmocka_unit_test(test_corrupt_at_open),
		cmocka_unit_test(test_corrupt_at_reload),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_truncate_in_place),
		cmocka_unit_test(test_rewrite_same_size),
		cmocka_unit_test(test_names_from_table),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_long_name),
	};

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("geo", tests, setup, teardown);
}
