/*
 * The running agent's state, shared by the files of exfild run: run.c
 * (set-up, the loop, tear-down), run_drain.c (one drain through the
 * stages), run_status.c (the control socket's answer).
 */
#ifndef EXFILD_AGENT_H
#define EXFILD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "enrich.h"
#include "ksource.h"
#include "loop.h"
#include "opts.h"
#include "record.h"
#include "status.h"

struct sinkset;
struct geo;
struct proc_table;
struct exehash;
struct detect;

/* Processes whose context is kept; past it the least recently used live
 * ones are re-read from /proc when needed. Bounds memory at ~16 KiB each. */
#define PROC_TABLE_MAX 16384

struct agent {
	const struct opts *o;
	struct loop *loop;
	struct ksource *ks;
	struct sinkset *sinks;
	struct geo *geo;
	struct proc_table *procs;
	struct exehash *hashes;
	struct enricher enr;
	struct record_ctx rctx;
	int sig_fd, timer_fd;
	int lock_fd;		/* one agent per pin path (agent_lock.h) */
	struct loop_timer end_timer;
	struct ctl *ctl;
	struct detect *det;
	char state_path[4096];	/* DIR/baseline.state */
	struct loop_timer save_timer, learning_timer;
	bool learned;		/* the learning period is over */
	struct agent_status st;	/* counters kept as the agent runs */
	bool stop;
	int rc;
	char host[256];
	uint64_t dropped_seen;	/* sink drops already reported */
};

/* run_drain.c */
void agent_on_proc_event(void *arg, const struct proc_event *ev);
/* Drain the kernel source once: every flow through enrich -> record -> sink. */
void agent_drain(struct agent *a);

/* run_detect.c: baseline load/save, scoring, alerts, learning lines. */
int agent_detect_open(struct agent *a, char *err, size_t errlen);
void agent_detect_flow(struct agent *a, const struct enriched_flow *f);
void agent_detect_tick(struct agent *a, int64_t now_wall);
void agent_detect_save(struct agent *a);
/* save: write the baseline first (a normal exit; not after a failed start,
 * which would replace a good baseline with an empty one). */
void agent_detect_close(struct agent *a, bool save);

/* run_status.c: the answer to a control request (ctl_answer_fn). */
char *agent_answer(void *arg, const char *req);

#endif
