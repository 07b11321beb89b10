/* The control socket's answers for exfild run. */
#include <string.h>

#include "agent.h"
#include "clock.h"
#include "exehash.h"
#include "geo.h"
#include "json.h"
#include "proc.h"
#include "status_record.h"

/* The control socket's "status": the counters plus what the stages report now. */
char *agent_answer(void *arg, const char *req)
{
	struct agent *a = arg;
	struct agent_status *st = &a->st;
	struct proc_stats ps;
	struct exehash_stats hs;
	struct geo_stats gs;
	json_t *r;
	char *line;

	if (strcmp(req, "status"))
		return NULL;
	st->now_unix_ns = clock_ns(CLOCK_REALTIME);
	proc_table_get_stats(a->procs, &ps);
	exehash_get_stats(a->hashes, &hs);
	geo_get_stats(a->geo, &gs);
	st->proc_entries = ps.entries;
	st->proc_exited = ps.exited;
	st->hash_pending = hs.pending;
	st->hashed_files = hs.hashed_files;
	st->geo_lookups = gs.lookups;
	st->geo_cache_hits = gs.cache_hits;
	st->n_geo = 0;
	for (size_t i = 0; i < geo_count(a->geo) && st->n_geo < STATUS_MAX_GEO; i++) {
		struct geo_db_status *g = &st->geo[st->n_geo];

		if (geo_db_info(a->geo, i, &g->path, &g->type, &g->build_unix))
			st->n_geo++;
	}
	r = record_status(st);
	line = json_line(r);
	json_decref(r);
	return line;
}
