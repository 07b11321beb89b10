/* Field groups shared by flow records and alerts. */
#ifndef EXFILD_RECORD_PARTS_H
#define EXFILD_RECORD_PARTS_H

#include <jansson.h>

#include "flow.h"
#include "record.h"

/* The ECS event header: @timestamp, event.kind/module/dataset. */
json_t *record_base(int64_t now_ns, const char *kind, const char *dataset);

/*
 * Add geo.* and as.* (ECS) for the fields present in gi to side (the
 * "destination" or "source" object). Absent fields are left out, never
 * written as empty strings.
 */
void record_geo(json_t *side, const struct geo_info *gi);

/*
 * process.*, user.*, group.*, container.id and exfild.process.* of f's
 * process context. The "process" object is shared by every record of the
 * same process (built once, see proc_record.c): never change it in a
 * record; replace it with a copy (json_deep_copy) to add to it. The flow's own send-time user.id and cgroup id (from
 * the observation) win: user.name is added only when it names that user.
 */
void record_process(json_t *root, const struct enriched_flow *f);

/*
 * The same, into a record tree (rtree.h): the one implementation of each
 * group, which the jansson forms above merge into their root. side: the
 * node of "destination" or "source" (nothing when it is not an object).
 */
struct rtree;
void record_base_tree(struct rtree *t, int64_t now_ns, const char *kind, const char *dataset);
void record_geo_tree(struct rtree *t, int side, const struct geo_info *gi);
void record_process_tree(struct rtree *t, const struct enriched_flow *f);
void record_flow_tree(struct rtree *t, const struct enriched_flow *f, const struct record_ctx *ctx);

#endif
