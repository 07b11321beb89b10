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

/* run_status.c: the answer to a control request (ctl_answer_fn). */
char *agent_answer(void *arg, const char *req);

#endif
