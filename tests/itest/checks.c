// SPDX-License-Identifier: GPL-2.0-only
/* itest: the result lines for each case (see main.c). */
#include <stdio.h>
#include <string.h>

#include "itest.h"

/* The checks for one case: bytes, TCP acks, and for short ones the name. */
void check_case(const struct run_case *c, const struct output *o, int check_name)
{
	char d[160], name[96];
	int bad = 0, tcp = 0, bad_ack = 0, bad_name = 0;
	const struct sent *first = NULL, *first_ack = NULL, *first_name = NULL;
	long long got_first = 0;

	if (c->failed) {
		report(0, c->name, "%s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct sent *s = &c->s[i];
		int nrec, names_ok;
		long long got = recorded(o, s, &nrec, &names_ok);

		if (got != s->bytes && !bad++) {
			first = s;
			got_first = got;
		}
		if (!strcmp(s->transport, "tcp")) {
			tcp++;
			if (s->acked != s->bytes && !bad_ack++)
				first_ack = s;
		}
		if ((!names_ok || !nrec) && !bad_name++)
			first_name = s;
	}
	if (bad)
		report(0, c->name, "%d of %zu destinations differ; first: %s: expected bytes=%lld, got %lld",
		       bad, c->n, sent_desc(first, d, sizeof(d)), first->bytes, got_first);
	else
		report(1, c->name, NULL);

	if (tcp) {
		snprintf(name, sizeof(name), "%.64s/acked", c->name);
		if (bad_ack)
			report(0, name, "%s: expected acked=%lld (bytes sent), got acked=%lld",
			       sent_desc(first_ack, d, sizeof(d)), first_ack->bytes, first_ack->acked);
		else
			report(1, name, NULL);
	}
	if (check_name) {
		snprintf(name, sizeof(name), "%.64s/name", c->name);
		if (bad_name) {
			const char *got = "(no record)";

			for (size_t i = 0; i < o->n; i++)
				if (rec_matches(&o->r[i], first_name) &&
				    strcmp(o->r[i].name, first_name->comm) != 0)
					got = o->r[i].name;
			report(0, name, "%s: expected process.name=%s, got %s",
			       sent_desc(first_name, d, sizeof(d)), first_name->comm, got);
		} else {
			report(1, name, NULL);
		}
	}
}

/* Run one record check over every record of a case: one result line. */
void check_records(const struct run_case *c, const struct output *o, const char *what,
			  rec_check fn)
{
	char name[96], why[1100] = "", w[900], d[160];
	int bad = 0;

	snprintf(name, sizeof(name), "%.64s/%s", c->name, what);
	if (c->failed) {
		report(0, name, "traffic did not run: %s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct sent *s = &c->s[i];
		int nrec = 0;

		for (size_t k = 0; k < o->n; k++) {
			if (!rec_matches(&o->r[k], s))
				continue;
			nrec++;
			if (!fn(c, s, o->r[k].j, o, w, sizeof(w)) && !bad++)
				snprintf(why, sizeof(why), "%s: %s", sent_desc(s, d, sizeof(d)), w);
		}
		if (!nrec && !bad++)
			snprintf(why, sizeof(why), "%s: no record to check", sent_desc(s, d, sizeof(d)));
	}
	report(!bad, name, "%d wrong; first: %s", bad, why);
}

/* The map swapped while drain-race sent: each destination spans drains
 * (records of distinct @timestamp; one drain may hold several records of a
 * destination, one per local port). */
void check_race(const struct run_case *c, const struct output *o)
{
	char d[160], name[96];

	snprintf(name, sizeof(name), "%.64s/drains", c->name);
	if (c->failed) {
		report(0, name, "traffic did not run: %s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const char *first_ts = NULL;
		int drains = 0, nrec = 0;

		for (size_t k = 0; k < o->n; k++) {
			if (!rec_matches(&o->r[k], &c->s[i]))
				continue;
			nrec++;
			if (!first_ts)
				first_ts = o->r[k].ts, drains = 1;
			else if (strcmp(first_ts, o->r[k].ts))
				drains = 2;
		}
		if (drains < 2) {
			report(0, name, "%s: expected records from at least 2 drains (sent for %s s, "
			       "interval 1 s), got %d record(s), all at %s (last drain %s)",
			       sent_desc(&c->s[i], d, sizeof(d)), race_seconds, nrec,
			       first_ts ? first_ts : "-", o->last_ts);
			return;
		}
	}
	report(1, name, NULL);
}

/* The namespace destinations must lie in at least three countries. */
void check_countries(const struct run_case *cases, size_t n, const struct output *o)
{
	char seen[8][8], list[80] = "";
	int n_seen = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; cases[i].netns && k < o->n; k++) {
			int found = 0;
			const char *cc;

			if (o->r[k].pid != (int)cases[i].traffic_pid)
				continue;
			cc = jstr(o->r[k].j, "destination.geo.country_iso_code");
			for (int x = 0; x < n_seen; x++)
				found |= !strcmp(seen[x], cc);
			if (cc[0] && !found && n_seen < 8) {
				scopy(seen[n_seen++], sizeof(seen[0]), cc);
				snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s", cc);
			}
		}
	}
	report(n_seen >= 3, "geo-countries", "expected netns destinations in at least 3 countries, "
	       "got %d:%s", n_seen, list);
}
