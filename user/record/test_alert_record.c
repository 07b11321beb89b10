#include <stdio.h>

#include "json.h"
#include "record_parts.h"
#include "test_alert_record.h"

json_t *record_test_alert(const struct record_ctx *ctx, unsigned i, unsigned n, const char *id)
{
	json_t *r = record_base(ctx->now_ns, "alert", "exfild.alert");
	char msg[160];

	snprintf(msg, sizeof(msg), "exfild test alert %u of %u: checks that alerts reach the "
		 "SIEM; not a detection", i, n);
	json_set_path(r, "event.id", json_string(id));
	json_set_path(r, "event.category", json_pack("[s]", "network"));
	json_set_path(r, "event.type", json_pack("[s]", "info"));
	/* The SIEM's lowest band: 21 reads as "low". */
	json_set_path(r, "event.severity", json_integer(21));
	json_set_path(r, "event.risk_score", json_real(21.0));
	json_set_path(r, "rule.name", json_string("exfild test alert"));
	json_set_path(r, "message", json_string(msg));
	json_set_path(r, "host.name", json_cstr(ctx->host_name));
	json_set_path(r, "exfild.test", json_true());
	json_set_path(r, "exfild.test_alert.seq", json_integer(i));
	json_set_path(r, "exfild.test_alert.count", json_integer(n));
	return r;
}
