/* Replay input kind detection. */
#include <stdio.h>
#include <string.h>

#include "ndjson_flow.h"
#include "replay_json.h"
#include "replay_sniff.h"
#include "zeek_json.h"

static const char wrong[] = "not exfild NDJSON flow records, a Zeek conn.log (TSV) "
			    "or Zeek conn.log JSON lines";

enum replay_format replay_sniff(const char *line, size_t len, char *err, size_t errlen)
{
	enum replay_format f = RF_UNKNOWN;
	json_t *o;

	if (len >= 10 && !memcmp(line, "#separator", 10))
		return RF_ZEEK_TSV;
	if (len && line[0] == '#') {
		snprintf(err, errlen, "%s (a '#' header without #separator)", wrong);
		return RF_UNKNOWN;
	}
	o = rj_load(line, len);
	if (!o) {
		snprintf(err, errlen, "%s (the first line is not a JSON object)", wrong);
		return RF_UNKNOWN;
	}
	if (ndjson_is_exfild(o))
		f = RF_EXFILD;
	else if (zeek_json_is_conn(o))
		f = RF_ZEEK_JSON;
	else if (zeek_json_is_zeek(o))
		snprintf(err, errlen, "a Zeek JSON log, but not conn.log");
	else
		snprintf(err, errlen, "%s (a JSON object of another kind)", wrong);
	json_decref(o);
	return f;
}

const char *replay_format_name(enum replay_format f)
{
	switch (f) {
	case RF_EXFILD:
		return "exfild NDJSON";
	case RF_ZEEK_TSV:
		return "Zeek conn.log TSV";
	case RF_ZEEK_JSON:
		return "Zeek conn.log JSON";
	default:
		return "unknown";
	}
}
