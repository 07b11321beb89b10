/*
 * The ECS alert record of a finding (event.kind "alert", dataset
 * exfild.alert): the seed rule's identity, MITRE ATT&CK, the flow context
 * with source = the side that opened the connection, the anomaly's
 * explanation under exfild.anomaly.* and the investigation context under
 * exfild.investigation.*.
 */
#ifndef EXFILD_ALERT_H
#define EXFILD_ALERT_H

#include <jansson.h>

#include "finding.h"
#include "record.h"

/* The seed rule this answers ("../shared/seed/"). */
#define ALERT_RULE_NAME "Potential Data Exfiltration Activity to an Unusual IP Address"
#define ALERT_RULE_ID "exfild-exfiltration-unusual-destination"
#define ALERT_RISK_SCORE 21	/* the seed rule's; SIEMs read 21 as "low" */

/*
 * The alert for fd (fd->flow must be set). ctx->host_name is used when
 * the flow names no host. @timestamp and everything else come from the
 * finding, and event.id is derived from the record's content, so the same
 * finding always gives the same bytes. NULL on OOM.
 */
json_t *record_alert(const struct finding *fd, const struct record_ctx *ctx);

#endif
