/* Zeek conn.log written as JSON lines (LogAscii::use_json): flat keys
 * "id.orig_h", ts as epoch seconds or ISO 8601, unset fields left out. */
#ifndef EXFILD_ZEEK_JSON_H
#define EXFILD_ZEEK_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "zeek_conn.h"

/* One line -> *c: PARSE_OK or PARSE_MALFORMED. */
int zeek_json_line(const char *line, size_t len, struct zeek_conn *c);

/* Does a parsed object look like a conn.log line (for sniffing)? */
int zeek_json_is_conn(const json_t *o);
/* Does it look like any Zeek log line? */
int zeek_json_is_zeek(const json_t *o);

#endif
