#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record_parts.h"

static void put(json_t *root, const char *path, json_t *v)
{
	if (v)
		json_set_path(root, path, v);
}

static void put_id(json_t *root, const char *path, uint32_t id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	put(root, path, json_string(buf));
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
	put(root, "process.args", arr);
	put(root, "process.command_line", json_bytes(line, pi->args_len ? pi->args_len - 1 : 0));
	free(line);
}

static void put_parent(json_t *root, const struct proc_info *pi)
{
	const struct proc_parent *pp = &pi->parent;

	if (pi->ppid)
		put(root, "process.parent.pid", json_integer(pi->ppid));
	if (!pp->known)
		return;
	put(root, "process.parent.name", json_cstr(pp->name));
	if (pp->executable)
		put(root, "process.parent.executable", json_cstr(pp->executable));
	put(root, "process.parent.entity_id", json_string(pp->entity_id));
	put(root, "process.parent.start", json_time(pp->start_unix_ns));
}

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
		put(root, "exfild.process.executable_deleted", json_boolean(pi->exe_deleted));
		put(root, "exfild.process.fileless", json_boolean(pi->fileless));
		put(root, "exfild.process.executable_writable_by_others",
		    json_boolean(pi->exe_writable_by_others));
	}
	if (pi->args_truncated)
		put(root, "exfild.process.args_truncated", json_true());
	put(root, "exfild.process.hash_status", json_string(status[h->status]));
	if (h->status == HASH_SKIPPED)
		put(root, "exfild.process.hash_reason", json_string(h->reason ? h->reason : "unknown"));
	put(root, "exfild.process.context_source", json_string(src[pi->source]));
	if (pi->names_pending)
		put(root, "exfild.process.names_pending", json_true());
	if (pi->exited)
		put(root, "exfild.process.exited", json_true());
}

void record_process(json_t *root, const struct enriched_flow *f)
{
	const struct proc_info *pi = f->proc;
	const struct flow_obs *o = &f->obs;

	if (!root)
		return;
	if (!pi) {
		/* Not read within the drain's budget: said so, filled in later. */
		if (f->proc_deferred) {
			put(root, "process.pid", json_integer(o->pid));
			put(root, "exfild.process.context_source", json_string("deferred"));
		}
		return;
	}
	put(root, "process.pid", json_integer(pi->pid));
	put(root, "process.name", json_cstr(pi->name));
	if (pi->executable)
		put(root, "process.executable", json_cstr(pi->executable));
	if (pi->argc)
		put_args(pi, root);
	put(root, "process.start", json_time(pi->start_unix_ns));
	put(root, "process.entity_id", json_string(pi->entity_id));
	if (pi->cwd)
		put(root, "process.working_directory", json_cstr(pi->cwd));
	if (f->hash.status == HASH_OK && f->hash.sha256)
		put(root, "process.hash.sha256", json_string(f->hash.sha256));
	put_parent(root, pi);
	/* The flow's send-time uid wins over the exec-time one. */
	if (!o->has_uid)
		put_id(root, "user.id", pi->uid);
	if (pi->user_name[0] && (!o->has_uid || o->uid == pi->uid))
		put(root, "user.name", json_cstr(pi->user_name));
	put_id(root, "group.id", pi->gid);
	if (pi->group_name[0])
		put(root, "group.name", json_cstr(pi->group_name));
	if (pi->container_id[0])
		put(root, "container.id", json_string(pi->container_id));
	if (pi->cgroup_id && !o->cgroup_id)
		put(root, "exfild.cgroup_id", json_integer((json_int_t)pi->cgroup_id));
	put_facts(root, pi, &f->hash);
}
