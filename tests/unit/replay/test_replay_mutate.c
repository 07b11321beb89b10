/*
 * Every reader on damaged input: real lines cut at every length and
 * mutated (deterministic xorshift, so a failure replays), under ASan and
 * UBSan. Each parse must return one of its documented results, and what it
 * accepts must be a sane record (terminated strings, valid families).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ndjson_flow.h"
#include "replay_sniff.h"
#include "replaytest.h"
#include "zeek_json.h"
#include "zeek_tsv.h"

#define MUTATIONS 2000

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void sane(const struct replay_rec *r)
{
	assert_true(r->obs.remote.family == FLOW_AF_INET || r->obs.remote.family == FLOW_AF_INET6);
	assert_true(r->obs.transport == FLOW_PROTO_TCP || r->obs.transport == FLOW_PROTO_UDP);
	assert_true(memchr(r->host, 0, sizeof(r->host)) != NULL);
	assert_true(memchr(r->process_executable, 0, sizeof(r->process_executable)) != NULL);
	assert_ptr_equal(r->obs.host_name, r->host);
}

/* Parse buf[0..len) with every reader; each must answer within its contract. */
static void parse_all(const char *buf, size_t len, const struct zeek_tsv *tsv)
{
	struct replay_rec r, two[2];
	struct zeek_conn c;
	struct localnets ln;
	char err[256];
	int rc;

	localnets_default(&ln);
	rc = ndjson_flow_line(buf, len, &r);
	assert_true(rc == PARSE_OK || rc == PARSE_SKIP || rc == PARSE_MALFORMED);
	if (rc == PARSE_OK)
		sane(&r);
	rc = zeek_tsv_line(tsv, buf, len, &c);
	assert_true(rc == PARSE_OK || rc == PARSE_MALFORMED);
	if (rc == PARSE_OK)
		for (int i = zeek_conn_obs(&c, &ln, two); i > 0; i--)
			sane(&two[i - 1]);
	rc = zeek_json_line(buf, len, &c);
	assert_true(rc == PARSE_OK || rc == PARSE_MALFORMED);
	if (rc == PARSE_OK)
		for (int i = zeek_conn_obs(&c, &ln, two); i > 0; i--)
			sane(&two[i - 1]);
	rc = (int)replay_sniff(buf, len, err, sizeof(err));
	assert_true(rc >= RF_UNKNOWN && rc <= RF_ZEEK_JSON);
	struct zeek_tsv h = *tsv;
	rc = zeek_tsv_header(&h, buf, len, err, sizeof(err));
	assert_true(rc == PARSE_OK || rc == PARSE_MALFORMED || rc == PARSE_WRONG_KIND);
}

static void damage(const char *line, const struct zeek_tsv *tsv)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 16);

	/* every prefix: lines cut anywhere (a truncated file, a torn write) */
	for (size_t n = 0; n <= len; n++) {
		char *cut = malloc(n ? n : 1);	/* exact size: ASan sees any overread */
		memcpy(cut, line, n);
		parse_all(cut, n, tsv);
		free(cut);
	}
	for (int m = 0; m < MUTATIONS; m++) {
		size_t n = len;

		memcpy(buf, line, len);
		for (int k = 0; k < 1 + (int)(next() % 4); k++) {
			size_t at = next() % n;
			switch (next() % 4) {
			case 0:
				buf[at] = (char)next();
				break;
			case 1:
				buf[at] = "\t:.,-{}\"0\\ 9e"[next() % 14];
				break;
			case 2:	/* delete a byte */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default:	/* duplicate a byte */
				if (n < len + 15) {
					memmove(buf + at + 1, buf + at, n - at);
					n++;
				}
			}
		}
		char *exact = malloc(n);
		memcpy(exact, buf, n);
		parse_all(exact, n, tsv);
		free(exact);
	}
	free(buf);
}

/* The lines of a fixture, header lines applied to the TSV state. */
static void damage_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], err[256];
	struct zeek_tsv tsv;

	assert_non_null(f);
	zeek_tsv_init(&tsv);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#')
			zeek_tsv_header(&tsv, line, strlen(line), err, sizeof(err));
		damage(line, &tsv);
	}
	fclose(f);
}

static void test_zeek_tsv_damaged(void **state)
{
	damage_file(FIX "conn.log");
}

static void test_zeek_json_damaged(void **state)
{
	damage_file(FIX "conn.json");
}

static void test_ndjson_damaged(void **state)
{
	damage_file(FIX "flows.ndjson");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeek_tsv_damaged),
		cmocka_unit_test(test_zeek_json_damaged),
		cmocka_unit_test(test_ndjson_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
