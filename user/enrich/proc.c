/* Process context table; see proc.h. Reading /proc is procfs.c's job. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "clock.h"
#include "container.h"
#include "exehash.h"
#include "idnames.h"
#include "log.h"
#include "proc.h"
#include "procfs.h"

struct link {
	struct link *prev, *next;
};

struct node {
	struct proc_info pi;	/* first: &node->pi converts back */
	struct node *hnext;	/* pid hash chain */
	struct link lru;	/* in live (LRU order) or exited (exit order) */
};

struct proc_table {
	struct node **bucket;
	size_t nbucket, max;
	struct link live, exited;
	struct exehash *eh;
	char boot_id[64];
	int64_t boot_unix_ns;	/* wall-clock time of boot */
	uint64_t ns_per_tick;
	struct cgroup2_mount cg2;
	struct idnames *names, *own_names;	/* own_names: made here, freed here */
	int64_t deadline;	/* CLOCK_MONOTONIC: slow lookups may wait until then */
	struct proc_stats st;
};

/* ---- small helpers ---------------------------------------------------- */

static void list_init(struct link *l) { l->prev = l->next = l; }

static void list_del(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	list_init(l);
}

static void list_add_tail(struct link *head, struct link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static struct node *lru_node(struct link *l)
{
	return (struct node *)((char *)l - offsetof(struct node, lru));
}

static void entity_id(const struct proc_table *pt, uint32_t pid, uint64_t ticks, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[128];
	int n = snprintf(in, sizeof(in), "%s:%u:%llu", pt->boot_id, pid,
			 (unsigned long long)ticks);

	out[0] = '\0';
	if (n < 0 || !EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		return;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- users and groups ------------------------------------------------- */

/*
 * Names come from a worker (idnames.h), waited for at most until the
 * drain's deadline: a name not answered by then is pending, and the entry
 * is filled in on a later get.
 */
static void fill_names(struct proc_table *pt, struct proc_info *pi)
{
	enum idname_state u, g;

	u = idnames_get(pt->names, IDNAME_USER, pi->uid, pt->deadline, pi->user_name,
			sizeof(pi->user_name));
	g = idnames_get(pt->names, IDNAME_GROUP, pi->gid, pt->deadline, pi->group_name,
			sizeof(pi->group_name));
	pi->names_pending = u == IDNAME_PENDING || g == IDNAME_PENDING;
}

/* ---- one process: from /proc or from an event --------------------------- */

static void fill_common(struct proc_table *pt, struct proc_info *pi)
{
	pi->start_unix_ns = pt->boot_unix_ns + (int64_t)(pi->start_ticks * pt->ns_per_tick);
	entity_id(pt, pi->pid, pi->start_ticks, pi->entity_id);
	fill_names(pt, pi);
}

static struct node *find(const struct proc_table *pt, uint32_t pid)
{
	struct node *n = pt->bucket[pid & (pt->nbucket - 1)];

	while (n && n->pi.pid != pid)
		n = n->hnext;
	return n;
}

/* The parent as it is now; a parent cannot have started after its child. */
static void fill_parent(struct proc_table *pt, struct proc_info *pi)
{
	struct proc_parent *pp = &pi->parent;
	struct node *n;

	if (!pi->ppid)
		return;
	n = find(pt, pi->ppid);
	if (n && n->pi.start_ticks <= pi->start_ticks) {
		memcpy(pp->name, n->pi.name, sizeof(pp->name));
		pp->executable = n->pi.executable ? strdup(n->pi.executable) : NULL;
		pp->start_ticks = n->pi.start_ticks;
		pp->known = true;
	} else {
		procfs_read_parent(pi->ppid, pi->start_ticks, pp);
	}
	if (!pp->known)
		return;
	pp->start_unix_ns = pt->boot_unix_ns + (int64_t)(pp->start_ticks * pt->ns_per_tick);
	entity_id(pt, pi->ppid, pp->start_ticks, pp->entity_id);
}

/*
 * Read /proc/PID into pi. want_ticks (or UINT64_MAX for any) guards
 * against a pid that was reused before we got to read it.
 */
static int capture(struct proc_table *pt, uint32_t pid, uint64_t want_ticks, struct proc_info *pi)
{
	int r = procfs_read(pid, want_ticks, pt->eh, &pt->cg2, pi);

	if (r == PROCFS_OTHER_START)
		pt->st.start_mismatch++;
	if (r)
		return -1;
	fill_common(pt, pi);
	fill_parent(pt, pi);
	return 0;
}

/* What the event alone says (the process is gone or unreadable). */
static void from_event(struct proc_table *pt, const struct proc_event *ev, struct proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = ev->pid;
	pi->ppid = ev->ppid;
	pi->uid = ev->uid;
	pi->gid = ev->gid;
	pi->start_ticks = ev->start_ns / pt->ns_per_tick;
	pi->cgroup_id = ev->cgroup_id;
	snprintf(pi->name, sizeof(pi->name), "%.*s", (int)strnlen(ev->comm, sizeof(ev->comm)),
		 ev->comm);
	if (ev->kind == PROC_EV_EXEC && ev->filename[0])
		pi->executable = strndup(ev->filename, strnlen(ev->filename, sizeof(ev->filename)));
	pi->hash_reason = "process_gone";
	container_from_cgroup_id(&pt->cg2, ev->cgroup_id, pi->container_id);
	fill_common(pt, pi);
	fill_parent(pt, pi);
}

/* ---- the table -------------------------------------------------------- */

static void info_free(struct proc_info *pi)
{
	free(pi->executable);
	free(pi->cwd);
	free(pi->args);
	free(pi->parent.executable);
	exehash_put(pi->hash);
}

static void remove_node(struct proc_table *pt, struct node *n)
{
	struct node **pp = &pt->bucket[n->pi.pid & (pt->nbucket - 1)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	list_del(&n->lru);
	pt->st.entries--;
	if (n->pi.exited)
		pt->st.exited--;
	info_free(&n->pi);
	free(n);
}

/* Full: drop the oldest exited process first, else the least recently used. */
static void evict_one(struct proc_table *pt)
{
	if (pt->exited.next != &pt->exited) {
		remove_node(pt, lru_node(pt->exited.next));
		pt->st.evicted_exited++;
	} else if (pt->live.next != &pt->live) {
		remove_node(pt, lru_node(pt->live.next));
		pt->st.evicted_live++;
	}
}

/* Serials of table entries, process-wide: tables never hand out the same one. */
static uint64_t next_serial;

/* Store pi (taking its allocations), replacing any entry for the pid. */
static struct node *insert(struct proc_table *pt, struct proc_info *pi)
{
	struct node *n = find(pt, pi->pid);

	if (n)
		remove_node(pt, n);
	if (pt->st.entries >= pt->max)
		evict_one(pt);
	n = calloc(1, sizeof(*n));
	if (!n) {
		info_free(pi);
		return NULL;
	}
	n->pi = *pi;
	n->pi.serial = ++next_serial;
	n->hnext = pt->bucket[pi->pid & (pt->nbucket - 1)];
	pt->bucket[pi->pid & (pt->nbucket - 1)] = n;
	list_add_tail(pi->exited ? &pt->exited : &pt->live, &n->lru);
	pt->st.entries++;
	if (pi->exited)
		pt->st.exited++;
	return n;
}

struct proc_table *proc_table_new(size_t max_entries, struct exehash *eh)
{
	struct proc_table *pt = calloc(1, sizeof(*pt));
	long tck = sysconf(_SC_CLK_TCK);

	if (!pt)
		return NULL;
	pt->max = max_entries ? max_entries : 1;
	pt->nbucket = 256;
	while (pt->nbucket < pt->max && pt->nbucket < (1u << 22))
		pt->nbucket <<= 1;
	pt->bucket = calloc(pt->nbucket, sizeof(*pt->bucket)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
	if (!pt->bucket) {
		free(pt);
		return NULL;
	}
	list_init(&pt->live);
	list_init(&pt->exited);
	cgroup2_mount_init(&pt->cg2);
	pt->eh = eh;
	pt->deadline = INT64_MAX;	/* no drain yet: no bound */
	pt->names = pt->own_names = idnames_new(NULL, NULL);
	if (!pt->names) {
		free(pt->bucket);
		free(pt);
		return NULL;
	}
	pt->ns_per_tick = 1000000000ULL / (uint64_t)(tck > 0 ? tck : 100);
	pt->boot_unix_ns = clock_boot_to_unix_ns();
	if (!procfs_boot_id(pt->boot_id, sizeof(pt->boot_id)))
		log_warn("cannot read boot_id: entity ids are unique to this boot only");
	cgroup2_mount_find(&pt->cg2);
	return pt;
}

void proc_table_free(struct proc_table *pt)
{
	if (!pt)
		return;
	for (size_t i = 0; i < pt->nbucket; i++)
		while (pt->bucket[i])
			remove_node(pt, pt->bucket[i]);
	cgroup2_mount_close(&pt->cg2);
	idnames_free(pt->own_names);
	free(pt->bucket);
	free(pt);
}

void proc_table_scan(struct proc_table *pt)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct proc_info pi;

	cgroup2_mount_find(&pt->cg2);
	if (!d) {
		log_warn("cannot list /proc: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		if (*end || !pid || pid > UINT32_MAX || find(pt, (uint32_t)pid))
			continue;
		if (!capture(pt, (uint32_t)pid, UINT64_MAX, &pi)) {
			pi.source = PROC_SRC_SCAN;
			insert(pt, &pi);
		}
	}
	closedir(d);
}

void proc_table_on_exec(struct proc_table *pt, const struct proc_event *ev)
{
	struct proc_info pi;

	if (ev->kind != PROC_EV_EXEC || !ev->pid)
		return;
	/* A live entry with the same start is this process exec'ing again. */
	if (!capture(pt, ev->pid, ev->start_ns / pt->ns_per_tick, &pi)) {
		pi.source = PROC_SRC_EXEC;
		if (ev->cgroup_id)
			pi.cgroup_id = ev->cgroup_id;
		/* Caught as a zombie: /proc still lists it but has no executable
		 * any more. The path the exec event carried stands in. */
		if (!pi.executable && ev->filename[0]) {
			pi.executable = strndup(ev->filename, strnlen(ev->filename, sizeof(ev->filename)));
			pi.hash_reason = "process_gone";
			pi.source = PROC_SRC_EVENT;
			pt->st.proc_gone++;
		}
	} else {
		pt->st.proc_gone++;
		from_event(pt, ev, &pi);
		pi.source = PROC_SRC_EVENT;
	}
	insert(pt, &pi);
}

void proc_table_on_exit(struct proc_table *pt, const struct proc_event *ev)
{
	uint64_t ticks = ev->start_ns / pt->ns_per_tick;
	struct node *n, *par;
	struct proc_info pi;

	if (ev->kind != PROC_EV_EXIT || !ev->pid)
		return;
	n = find(pt, ev->pid);
	if (n && n->pi.start_ticks > ticks)
		return;		/* a late exit of an older process with this pid */
	if (n && n->pi.start_ticks == ticks) {
		if (!n->pi.exited) {
			n->pi.exited = true;
			n->pi.exit_ns = ev->ts_ns;
			list_del(&n->lru);
			list_add_tail(&pt->exited, &n->lru);
			pt->st.exited++;
		}
		return;
	}
	/*
	 * Never saw it (forked without exec, or its exec event was lost) or
	 * the entry is an older process with the same pid. A fork runs its
	 * parent's image, so take the executable and hash from the parent.
	 */
	from_event(pt, ev, &pi);
	pi.source = PROC_SRC_EXIT;
	pi.exited = true;
	pi.exit_ns = ev->ts_ns;
	par = find(pt, ev->ppid);
	if (par && par->pi.start_ticks <= ticks && par->pi.executable) {
		pi.executable = strdup(par->pi.executable);
		pi.hash = exehash_ref(par->pi.hash);
		pi.hash_reason = par->pi.hash_reason;
		pi.facts_known = par->pi.facts_known;
		pi.exe_deleted = par->pi.exe_deleted;
		pi.fileless = par->pi.fileless;
		pi.exe_writable_by_others = par->pi.exe_writable_by_others;
		/* Same image, same argv memory: the command line is the parent's too. */
		if (par->pi.args_len && (pi.args = malloc(par->pi.args_len))) {
			memcpy(pi.args, par->pi.args, par->pi.args_len);
			pi.args_len = par->pi.args_len;
			pi.argc = par->pi.argc;
			pi.args_truncated = par->pi.args_truncated;
		}
	}
	insert(pt, &pi);
}

const struct proc_info *proc_table_get(struct proc_table *pt, uint32_t pid)
{
	return proc_table_lookup(pt, pid, NULL);
}

const struct proc_info *proc_table_lookup(struct proc_table *pt, uint32_t pid, bool *deferred)
{
	struct node *n = find(pt, pid);
	struct proc_info pi;

	if (deferred)
		*deferred = false;
	if (n) {
		if (!n->pi.exited) {	/* recently used: evicted last */
			list_del(&n->lru);
			list_add_tail(&pt->live, &n->lru);
		}
		if (n->pi.names_pending)
			fill_names(pt, &n->pi);
		return &n->pi;
	}
	if (!pid)
		return NULL;
	/* The drain's budget is spent: an unknown process is read on a later get. */
	if (clock_ns(CLOCK_MONOTONIC) >= pt->deadline) {
		pt->st.deferred++;
		if (deferred)
			*deferred = true;
		return NULL;
	}
	if (capture(pt, pid, UINT64_MAX, &pi))
		return NULL;
	pi.source = PROC_SRC_LOOKUP;
	n = insert(pt, &pi);
	return n ? &n->pi : NULL;
}

void proc_table_gc(struct proc_table *pt, uint64_t before_ns)
{
	/* Exit events from different CPUs may arrive slightly out of order. */
	for (struct link *l = pt->exited.next, *next; l != &pt->exited; l = next) {
		next = l->next;
		if (lru_node(l)->pi.exit_ns < before_ns)
			remove_node(pt, lru_node(l));
	}
}

bool proc_table_user_name(struct proc_table *pt, uint32_t uid, char *out, size_t outsz)
{
	return idnames_get(pt->names, IDNAME_USER, uid, pt->deadline, out, outsz) == IDNAME_KNOWN;
}

void proc_table_set_deadline(struct proc_table *pt, int64_t deadline_ns)
{
	pt->deadline = deadline_ns;
}

void proc_table_set_names(struct proc_table *pt, struct idnames *names)
{
	idnames_free(pt->own_names);
	pt->own_names = NULL;
	pt->names = names;
}

void proc_table_get_stats(const struct proc_table *pt, struct proc_stats *st)
{
	*st = pt->st;
}

void proc_hash_view(const struct proc_info *pi, struct hash_view *out)
{
	out->sha256 = NULL;
	out->reason = NULL;
	if (!pi->hash) {
		out->status = HASH_SKIPPED;
		out->reason = pi->hash_reason ? pi->hash_reason : "unknown";
	} else if (exehash_state(pi->hash) == EXEHASH_SKIPPED) {
		out->status = HASH_SKIPPED;
		out->reason = exehash_reason(pi->hash);
	} else if (exehash_state(pi->hash) == EXEHASH_OK) {
		out->status = HASH_OK;
		out->sha256 = exehash_hex(pi->hash);
	} else {
		out->status = HASH_PENDING;
	}
}
