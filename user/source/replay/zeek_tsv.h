/*
 * Zeek conn.log in its native TSV form: '#' header lines (#separator,
 * #unset_field, #empty_field, #path, #fields, ...) then one tab-separated
 * line per connection. A file may hold several header blocks (logs cat'ed
 * together); each #fields line re-maps the columns.
 */
#ifndef EXFILD_ZEEK_TSV_H
#define EXFILD_ZEEK_TSV_H

#include <stdbool.h>
#include <stddef.h>

#include "zeek_conn.h"

struct zeek_tsv {
	char sep;
	char unset[32];
	size_t unset_len;
	int col[ZF_COUNT];	/* column of each field, -1 absent */
	int ncols;
	bool have_fields;
};

void zeek_tsv_init(struct zeek_tsv *t);

/*
 * One '#' line. PARSE_OK; PARSE_WRONG_KIND (err set) for a header of a log
 * that is not conn.log; PARSE_MALFORMED for a header line that makes no
 * sense.
 */
int zeek_tsv_header(struct zeek_tsv *t, const char *line, size_t len, char *err, size_t errlen);

/* One connection line -> *c. PARSE_OK or PARSE_MALFORMED (before #fields too). */
int zeek_tsv_line(const struct zeek_tsv *t, const char *line, size_t len, struct zeek_conn *c);

#endif
