// SPDX-License-Identifier: GPL-2.0-only
/* itest: reading the agent's output (see main.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* Dotted lookup: "process.pid" -> root["process"]["pid"]. */
json_t *jget(json_t *root, const char *path)
{
	char key[64];

	while (root && *path) {
		size_t k = strcspn(path, ".");

		if (k >= sizeof(key))
			return NULL;
		memcpy(key, path, k);
		key[k] = '\0';
		root = json_is_object(root) ? json_object_get(root, key) : NULL;
		path += k + (path[k] == '.');
	}
	return root;
}

static long long jint(json_t *root, const char *path, long long dflt)
{
	json_t *v = jget(root, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

const char *jstr(json_t *root, const char *path)
{
	const char *s = json_string_value(jget(root, path));

	return s ? s : "";
}

void load_output(const char *path, struct output *o)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(o, 0, sizeof(*o));
	o->missing = !f;
	while (f && (len = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *j = json_loadb(line, len, 0, &e);
		const char *ds;

		if (!j) {
			if (o->bad_lines++ < 3)
				fprintf(stderr, "itest: bad JSON line in output: %s", line);
			continue;
		}
		ds = jstr(j, "event.dataset");
		if (!strcmp(ds, "exfild.loss")) {
			o->loss_records++;
			o->loss_bytes += jint(j, "exfild.loss.bytes", 0);
			o->loss_entries += jint(j, "exfild.loss.entries", 0);
		} else if (!strcmp(ds, "exfild.flow")) {
			struct rec r, *grown;

			memset(&r, 0, sizeof(r));
			r.pid = jint(j, "process.pid", -1);
			r.ingress = !strcmp(jstr(j, "network.direction"), "ingress");
			r.port = jint(j, "destination.port", -1);
			r.bytes = jint(j, r.ingress ? "destination.bytes" : "source.bytes", 0);
			r.calls = jint(j, "exfild.calls", -1);
			scopy(r.ipstr, sizeof(r.ipstr), jstr(j, r.ingress ? "source.ip" : "destination.ip"));
			scopy(r.transport, sizeof(r.transport), jstr(j, "network.transport"));
			scopy(r.name, sizeof(r.name), jstr(j, "process.name"));
			scopy(r.ts, sizeof(r.ts), jstr(j, "@timestamp"));
			/* Same fixed-width UTC format in every record: text order is time order. */
			if (strcmp(r.ts, o->last_ts) > 0)
				scopy(o->last_ts, sizeof(o->last_ts), r.ts);
			if (ip_parse(jstr(j, r.ingress ? "source.ip" : "destination.ip"), r.ip) == 0 &&
			    (grown = realloc(o->r, (o->n + 1) * sizeof(*o->r)))) {
				r.j = json_incref(j);
				o->r = grown;
				o->r[o->n++] = r;
			}
		}
		json_decref(j);
	}
	free(line);
	if (f)
		fclose(f);
}

void free_output(struct output *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->r[i].j);
	free(o->r);
	o->r = NULL;
	o->n = 0;
}

/*
 * The destination as text, exactly: traffic prints IPv4 (also what it sent
 * v4-mapped) as a.b.c.d, so a record saying ::ffff:a.b.c.d matches nothing.
 */
int rec_matches(const struct rec *r, const struct sent *s)
{
	return r->pid == s->pid && r->port == s->port && r->ingress == s->ingress &&
	       !strcmp(r->transport, s->transport) && !strcmp(r->ipstr, s->ipstr);
}

/* The agent's bytes (and calls) for one sent line; *names_ok: every record named comm. */
long long recorded(const struct output *o, const struct sent *s, int *nrec, int *names_ok,
		   long long *calls)
{
	long long sum = 0;

	*nrec = 0;
	*names_ok = 1;
	*calls = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (!rec_matches(&o->r[i], s))
			continue;
		sum += o->r[i].bytes;
		*calls += o->r[i].calls;
		(*nrec)++;
		if (strcmp(o->r[i].name, s->comm) != 0)
			*names_ok = 0;
	}
	return sum;
}

const char *sent_desc(const struct sent *s, char *out, size_t n)
{
	snprintf(out, n, "pid %d %s %s port %d", s->pid, s->transport, s->ipstr, s->port);
	return out;
}
