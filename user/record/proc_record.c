#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record_parts.h"
#include "rtree.h"
#include "shared.h"

static void put_id(json_t *root, const char *path, uint32_t id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	json_set_path(root, path, json_string(buf));
}

static void put_args(const struct proc_info *pi, json_t *root)
{
	json_t *arr = json_array();
	char *line = malloc(pi->args_len ? pi->args_len : 1);
	size_t off = 0;

	if (!arr || !line) {
		json_decref(arr);
		free(line);
		return;
	}
	for (uint32_t i = 0; i < pi->argc && off < pi->args_len; i++) {
		size_t n = strnlen(pi->args + off, pi->args_len - off);
		json_array_append_new(arr, json_bytes(pi->args + off, n));
		off += n + 1;
	}
	/* The command line is argv joined by spaces, as ps shows it. */
	memcpy(line, pi->args, pi->args_len);
	for (size_t i = 0; i + 1 < pi->args_len; i++)
		if (!line[i])
			line[i] = ' ';
	json_set_path(root, "process.args", arr);
	json_set_path(root, "process.command_line", json_bytes(line, pi->args_len ? pi->args_len - 1 : 0));
	free(line);
}

static void put_parent(json_t *root, const struct proc_info *pi)
{
	const struct proc_parent *pp = &pi->parent;

	if (pi->ppid)
		json_set_path(root, "process.parent.pid", json_integer(pi->ppid));
	if (!pp->known)
		return;
	json_set_path(root, "process.parent.name", json_cstr(pp->name));
	json_set_str(root, "process.parent.executable", pp->executable);
	json_set_path(root, "process.parent.entity_id", json_string(pp->entity_id));
	json_set_path(root, "process.parent.start", json_time(pp->start_unix_ns));
}

/* exfild.process.* into root (a scratch object: see build_facts). */
static void put_facts(json_t *root, const struct proc_info *pi, const struct hash_view *h)
{
	static const char *const src[] = {
		[PROC_SRC_EXEC] = "exec", [PROC_SRC_SCAN] = "scan",
		[PROC_SRC_LOOKUP] = "lookup", [PROC_SRC_EVENT] = "event",
		[PROC_SRC_EXIT] = "exit_event",
	};
	static const char *const status[] = {
		[HASH_OK] = "ok", [HASH_PENDING] = "pending", [HASH_SKIPPED] = "skipped",
	};

	if (pi->facts_known) {
		json_set_path(root, "exfild.process.executable_deleted", json_boolean(pi->exe_deleted));
		json_set_path(root, "exfild.process.fileless", json_boolean(pi->fileless));
		json_set_path(root, "exfild.process.executable_writable_by_others",
		    json_boolean(pi->exe_writable_by_others));
	}
	if (pi->args_truncated)
		json_set_path(root, "exfild.process.args_truncated", json_true());
	json_set_path(root, "exfild.process.hash_status", json_string(status[h->status]));
	if (h->status == HASH_SKIPPED)
		json_set_path(root, "exfild.process.hash_reason", json_string(h->reason ? h->reason : "unknown"));
	json_set_path(root, "exfild.process.context_source", json_string(src[pi->source]));
	if (pi->names_pending)
		json_set_path(root, "exfild.process.names_pending", json_true());
	if (pi->exited)
		json_set_path(root, "exfild.process.exited", json_true());
}

/* The "process" object of pi: a new reference, NULL on OOM. */
static json_t *build_process(const struct proc_info *pi, const struct hash_view *h)
{
	json_t *root = json_object(), *obj;

	json_set_path(root, "process.pid", json_integer(pi->pid));
	json_set_path(root, "process.name", json_cstr(pi->name));
	json_set_str(root, "process.executable", pi->executable);
	if (pi->argc)
		put_args(pi, root);
	json_set_path(root, "process.start", json_time(pi->start_unix_ns));
	json_set_path(root, "process.entity_id", json_string(pi->entity_id));
	json_set_str(root, "process.working_directory", pi->cwd);
	if (h->status == HASH_OK && h->sha256)
		json_set_path(root, "process.hash.sha256", json_string(h->sha256));
	put_parent(root, pi);
	obj = json_incref(json_object_get(root, "process"));
	json_decref(root);
	return obj;
}

/* exfild.process: the facts about pi's executable and context. */
static json_t *build_facts(const struct proc_info *pi, const struct hash_view *h)
{
	json_t *root = json_object(), *obj;

	put_facts(root, pi, h);
	obj = json_incref(json_object_get(json_object_get(root, "exfild"), "process"));
	json_decref(root);
	return obj;
}

static json_t *build_group(const struct proc_info *pi, const struct hash_view *h)
{
	json_t *root = json_object(), *obj;

	put_id(root, "group.id", pi->gid);
	json_set_str(root, "group.name", pi->group_name);
	obj = json_incref(json_object_get(root, "group"));
	json_decref(root);
	return obj;
}

/*
 * Every flow of a process carries the same process, group and
 * exfild.process objects, and a busy host writes thousands of flows per
 * process: each is built once per process (table entry, by serial) and
 * state it depends on (tag), and shared by the records (jansson counts
 * the references). Returns a new reference.
 */
#define PROCESS_CACHE 4096

static struct shared_slot process_objs[PROCESS_CACHE], facts_objs[PROCESS_CACHE],
	group_objs[PROCESS_CACHE];

static json_t *part(struct shared_slot *slots, uint64_t tag,
		    json_t *(*build)(const struct proc_info *, const struct hash_view *),
		    const struct proc_info *pi, const struct hash_view *h)
{
	json_t *obj = shared_get(slots, PROCESS_CACHE, pi->serial, tag);

	if (obj)
		return json_incref(obj);
	obj = build(pi, h);
	if (!pi->serial)	/* not from a process table: nothing to key it by */
		return obj;
	return json_incref(shared_put(slots, PROCESS_CACHE, pi->serial, tag, obj));
}

void record_process_tree(struct rtree *t, const struct enriched_flow *f)
{
	const struct proc_info *pi = f->proc;
	const struct flow_obs *o = &f->obs;

	if (!pi) {
		/* Not read within the drain's budget: said so, filled in later. */
		if (f->proc_deferred) {
			rt_int(t, 0, "process.pid", o->pid);
			rt_lit(t, 0, "exfild.process.context_source", "deferred");
		}
		/* No live context (replay): what the source knew by name. */
		rt_set_str(t, 0, "process.name", f->process_name);
		rt_set_str(t, 0, "process.executable", f->process_executable);
		rt_set_str(t, 0, "user.name", f->user_name);
		return;
	}
	if (rt_json(t, 0, "process", part(process_objs, f->hash.status, build_process, pi,
					  &f->hash)) < 0) {
		rt_del(t, 0, "process");	/* out of memory: the pid at least */
		rt_int(t, 0, "process.pid", pi->pid);
	}
	/* The flow's send-time uid wins over the exec-time one. */
	if (!o->has_uid)
		rt_decimal(t, 0, "user.id", pi->uid);
	if (pi->user_name[0] && (!o->has_uid || o->uid == pi->uid))
		rt_cstr(t, 0, "user.name", pi->user_name);
	rt_json(t, 0, "group", part(group_objs, pi->names_pending, build_group, pi, &f->hash));
	if (pi->container_id[0])
		rt_utf8(t, 0, "container.id", pi->container_id);
	if (pi->cgroup_id && !o->cgroup_id)
		rt_int(t, 0, "exfild.cgroup_id", (json_int_t)pi->cgroup_id);
	rt_json(t, 0, "exfild.process",
		part(facts_objs, (uint64_t)f->hash.status | (uint64_t)pi->names_pending << 2 |
					 (uint64_t)pi->exited << 3,
		     build_facts, pi, &f->hash));
}

void record_process(json_t *root, const struct enriched_flow *f)
{
	struct rtree t;

	if (!root)
		return;
	rt_init(&t);
	record_process_tree(&t, f);
	rt_merge(&t, root);
	rt_free(&t);
}
