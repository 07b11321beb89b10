/*
 * libFuzzer: the replay line readers (source/replay/): exfild NDJSON, Zeek
 * JSON, Zeek TSV (lines before the first non-'#' line are headers), the
 * format sniffer, time stamps and CIDRs. The first byte picks one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localnet.h"
#include "ndjson_flow.h"
#include "replay_rec.h"
#include "replay_sniff.h"
#include "replay_time.h"
#include "zeek_json.h"
#include "zeek_tsv.h"

static void tsv(const char *p, size_t n)
{
	struct zeek_tsv t;
	struct zeek_conn c;
	char err[256];

	zeek_tsv_init(&t);
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;

		if (len && p[0] == '#')
			(void)zeek_tsv_header(&t, p, len, err, sizeof(err));
		else
			(void)zeek_tsv_line(&t, p, len, &c);
		p += len + (nl ? 1 : 0);
		n -= len + (nl ? 1 : 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	struct replay_rec r;
	struct zeek_conn c;
	char err[256], *s;
	int64_t ns;
	struct ipnet net;

	if (size < 1)
		return 0;
	size--;
	switch (data[0] % 6) {
	case 0:
		replay_rec_init(&r);
		(void)ndjson_flow_line(p, size, &r);
		break;
	case 1:
		(void)zeek_json_line(p, size, &c);
		break;
	case 2:
		tsv(p, size);
		break;
	case 3:
		(void)replay_sniff(p, size, err, sizeof(err));
		break;
	case 4:
		(void)rfc3339_parse(p, size, &ns);
		(void)decimal_seconds_parse(p, size, &ns);
		break;
	default:
		s = malloc(size + 1);
		if (!s)
			return 0;
		memcpy(s, p, size);
		s[size] = '\0';
		(void)ipnet_parse(s, &net);
		free(s);
	}
	return 0;
}
