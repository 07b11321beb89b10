// SPDX-License-Identifier: GPL-2.0-only
/* itest: the result lines for each case (see main.c). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

/*
 * The checks for one case: bytes, calls (sends that returned > 0), for TCP
 * the agent's bytes against what the peer acked (the kernel's
 * tcpi_bytes_acked), and for short ones the name.
 */
void check_case(const struct run_case *c, const struct output *o, int check_name)
{
	char d[160], name[96];
	int bad = 0, tcp = 0, bad_ack = 0, bad_name = 0, bad_calls = 0;
	const struct sent *first = NULL, *first_ack = NULL, *first_name = NULL, *first_calls = NULL;
	long long got_first = 0, got_ack = 0, calls_first = 0;

	if (c->failed) {
		report(0, c->name, "%s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct sent *s = &c->s[i];
		int nrec, names_ok;
		long long calls, got = recorded(o, s, &nrec, &names_ok, &calls);

		if (got != s->bytes && !bad++) {
			first = s;
			got_first = got;
		}
		/* One per send that returned > 0; the kernel's calls where it splits them. */
		long long want_calls = s->pieces && sendpage_kernel() ? s->pieces : s->calls;

		if (calls != want_calls && !bad_calls++) {
			first_calls = s;
			calls_first = calls;
		}
		if (!strcmp(s->transport, "tcp")) {
			tcp++;
			if (s->acked != got && !bad_ack++) {
				first_ack = s;
				got_ack = got;
			}
		}
		if ((!names_ok || !nrec) && !bad_name++)
			first_name = s;
	}
	if (bad)
		report(0, c->name, "%d of %zu destinations differ; first: %s: expected bytes=%lld, got %lld",
		       bad, c->n, sent_desc(first, d, sizeof(d)), first->bytes, got_first);
	else
		report(1, c->name, NULL);

	snprintf(name, sizeof(name), "%.64s/calls", c->name);
	if (bad_calls)
		report(0, name, "%d of %zu destinations differ; first: %s: expected exfild.calls "
		       "summing to %lld, got %lld", bad_calls, c->n, sent_desc(first_calls, d, sizeof(d)),
		       first_calls->pieces && sendpage_kernel() ? first_calls->pieces :
		       first_calls->calls, calls_first);
	else
		report(1, name, NULL);
	if (tcp) {
		snprintf(name, sizeof(name), "%.64s/acked", c->name);
		if (bad_ack)
			report(0, name, "%s: expected the recorded bytes to equal what the kernel says "
			       "the peer acked (tcpi_bytes_acked %lld), got %lld",
			       sent_desc(first_ack, d, sizeof(d)), first_ack->acked, got_ack);
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
			report(0, name, "%s: expected records from at least 2 drains (traffic sent "
			       "until the output showed them), got %d record(s), all at %s (last drain %s)",
			       sent_desc(&c->s[i], d, sizeof(d)), nrec,
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

/* Equal, or both absent (jansson's json_equal says no to two NULLs). */
static int same_json(json_t *a, json_t *b)
{
	return a == b || json_equal(a, b);
}

/* A record's own consistency and the fields that follow from the send. */
int flow_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n)
{
	int v6 = strchr(s->ipstr, ':') != NULL, tcp = !strcmp(s->transport, "tcp");
	long long ts = iso_ms(jstr(j, "@timestamp")), start = iso_ms(jstr(j, "event.start"));
	long long end = iso_ms(jstr(j, "event.end"));
	json_t *dur = jget(j, "event.duration");

	size_t same_drain = 0;

	/* One record per process, source port (egress) and destination per interval. */
	for (size_t k = 0; k < o->n; k++)
		same_drain += rec_matches(&o->r[k], s) && !strcmp(o->r[k].ts, jstr(j, "@timestamp")) &&
			      same_json(jget(o->r[k].j, "source.port"), jget(j, "source.port"));
	if (same_drain != 1) {
		snprintf(why, n, "expected one record per drain and source port, got %zu at %s",
			 same_drain, jstr(j, "@timestamp"));
		return 0;
	}
	if (!str_is(j, "network.type", v6 ? "ipv6" : "ipv4", why, n) ||
	    !str_is(j, "network.iana_number", tcp ? "6" : "17", why, n) ||
	    !str_is(j, "network.direction", s->ingress ? "ingress" : "egress", why, n) ||
	    /* the peer: the destination of egress, the source of ingress (sides.c) */
	    !str_is(j, s->ingress ? "source.address" : "destination.address", s->ipstr, why, n) ||
	    !int_is(j, "network.bytes", json_integer_value(jget(j, s->ingress ? "destination.bytes" :
							     "source.bytes")), why, n) ||
	    !str_is(j, "exfild.tier", expect_tier ? expect_tier : running_tier, why, n) ||
	    !str_is(j, "event.action", "network-send", why, n))
		return 0;
	if (c->cgroup_id < 0) {
		snprintf(why, n, "cannot check exfild.cgroup_id: our cgroup v2 id is unknown");
		return 0;
	}
	if (!int_is(j, "exfild.cgroup_id", c->cgroup_id, why, n))
		return 0;
	if (c->container[0] ? !str_is(j, "container.id", c->container, why, n) :
	    !absent(j, "container.id", why, n))
		return 0;
	/* event.end is the drain; event.start the first send, within the traffic run. */
	if (ts < 0 || start < 0 || end != ts || !json_is_integer(dur)) {
		snprintf(why, n, "expected event.start, event.end = @timestamp and event.duration, "
			 "got start %s end %s @timestamp %s", jstr(j, "event.start"),
			 jstr(j, "event.end"), jstr(j, "@timestamp"));
		return 0;
	}
	if (start < c->t0_ms - 5 || start > c->t1_ms + 5 || start > end) {
		snprintf(why, n, "expected event.start within the traffic run [%lld, %lld] ms and "
			 "before event.end %lld, got %lld", c->t0_ms, c->t1_ms, end, start);
		return 0;
	}
	/* duration in ns; start and end are printed to the ms */
	if (json_integer_value(dur) / 1000000 < end - start - 1 ||
	    json_integer_value(dur) / 1000000 > end - start + 1) {
		snprintf(why, n, "expected event.duration = event.end - event.start (%lld ms), got %lld ns",
			 end - start, (long long)json_integer_value(dur));
		return 0;
	}
	return 1;
}

/* Is this record from a process the test started (traffic, its children, us)? */
static int ours(const struct run_case *cases, size_t n, const struct rec *r)
{
	json_t *ppid = jget(r->j, "process.parent.pid");

	if (!strcmp(jstr(r->j, "process.executable"), want.exe) ||
	    json_integer_value(ppid) == getpid())
		return 1;
	for (size_t i = 0; i < n; i++)
		if (r->pid == cases[i].traffic_pid || json_integer_value(ppid) == cases[i].traffic_pid)
			return 1;
	return 0;
}

/*
 * Every record must be accounted for: one of a sent line (exactly: pid,
 * destination text, port, transport), the agent's own, or a process the
 * test did not start (background). A record of ours that matches no sent
 * line (misattributed, v4-mapped, a thread id for a pid) fails.
 */
void check_accounted(const struct run_case *cases, size_t n, const struct output *o,
		     pid_t agent_pid)
{
	size_t bg = 0, agent = 0, bad = 0;
	char first[400] = "";

	for (size_t k = 0; k < o->n; k++) {
		const struct rec *r = &o->r[k];
		int matched = 0;

		for (size_t i = 0; i < n && !matched; i++)
			for (size_t x = 0; x < cases[i].n && !matched; x++)
				matched = rec_matches(r, &cases[i].s[x]);
		if (matched)
			continue;
		if (r->pid == agent_pid) {
			agent++;
		} else if (!ours(cases, n, r)) {
			bg++;
		} else if (!bad++) {
			snprintf(first, sizeof(first), "pid %d (%s) %s %s port %d bytes %lld at %s",
				 r->pid, r->name, r->transport, r->ipstr, r->port, r->bytes, r->ts);
		}
	}
	fprintf(stderr, "itest: %zu flow records: %zu of the agent, %zu of processes the test did "
		"not start\n", o->n, agent, bg);
	report(!bad, "records-accounted", "%zu records of processes the test started match no "
	       "sent line; first: %s", bad, first);
}

/* not-counted: traffic sent each kind, and no record names the process. */
void check_uncounted(const struct run_case *c, const struct output *o)
{
	int kinds = !strcmp(running_tier, "tracepoint") ? 3 : 2;
	size_t recs = 0;
	const struct rec *first = NULL;

	if (c->failed) {
		report(0, c->name, "%s", c->why);
		return;
	}
	for (size_t k = 0; k < o->n; k++)
		if (o->r[k].pid == c->traffic_pid && !recs++)
			first = &o->r[k];
	if (c->uncounted != kinds)
		report(0, c->name, "expected traffic to send %d uncounted kinds, got %d:%s", kinds,
		       c->uncounted, c->uncounted_kinds);
	else
		report(!recs, c->name, "expected no record for pid %d (sent%s), got %zu; first: %s %s "
		       "port %d bytes %lld", (int)c->traffic_pid, c->uncounted_kinds, recs,
		       first ? first->transport : "", first ? first->ipstr : "",
		       first ? first->port : 0, first ? first->bytes : 0);
}
