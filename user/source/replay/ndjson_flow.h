/*
 * exfild's own NDJSON flow records (event.dataset "exfild.flow") back into
 * observations. Time is event.end, the host host.name. Both record shapes
 * are read: egress (source = this host, source.bytes = what it sent; the
 * older records have no source.ip) and ingress (the peer opened it:
 * source.* is the peer, destination.* this host's service, and what this
 * host sent is destination.bytes). Other datasets (alerts, loss records)
 * are skipped.
 */
#ifndef EXFILD_NDJSON_FLOW_H
#define EXFILD_NDJSON_FLOW_H

#include <stddef.h>
#include <jansson.h>

#include "replay_rec.h"

/* PARSE_OK (*r filled), PARSE_SKIP (not a flow record), PARSE_MALFORMED. */
int ndjson_flow_line(const char *line, size_t len, struct replay_rec *r);

/* Does a parsed object look like an exfild record (for sniffing)? */
int ndjson_is_exfild(const json_t *o);

#endif
