/*
 * Shared by the files of itest (main.c says what it does): limits, what a
 * run records, the options, and what each file offers the others.
 */
#ifndef EXFILD_ITEST_H
#define EXFILD_ITEST_H

#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define START_TIMEOUT_MS	30000	/* agent: until "exfild: running" */
#define STOP_TIMEOUT_MS		30000	/* agent: SIGTERM to exit (final drain) */
#define TRAFFIC_TIMEOUT_MS	90000	/* traffic bounds itself at 60 s */
#define IP_TIMEOUT_MS		15000
#define MAX_OUT			(8 << 20)	/* traffic stdout we keep */
#define FILL_MAX_FLOWS		"64"
#define MAX_GEO			8	/* --geoip and --geo-fixture files */
#define RACE_CASE		"drain-race"
#define WAIT_MS			120000	/* bound on waiting for an agent record */
#define MAX_WARMUP		100	/* hash-warmup attempts */
#define WARMUP_CASE		"hash-warmup"
#define UNCOUNTED_CASE		"not-counted"
#define CONTAINER_CASE		"container"
#define SETUID_CASE		"setuid"
#define CONTAINER_ID_FMT	"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00%08x"	/* our pid: runs side by side differ */

#define MAX_SPORTS		64

/* One `sent ...` line of traffic: what the agent must have seen. */
struct sent {
	int pid;
	char transport[16];
	uint8_t ip[16];		/* IPv4 as v4-mapped, so both forms compare */
	char ipstr[64];
	int port;
	long long bytes;
	long long calls;
	long long pieces;	/* sendfile/splice: page pieces (0: not one) */
	long long acked;	/* -1: not TCP */
	long long start;	/* start time of the sender, clock ticks since boot */
	long long uid;		/* the sends ran as this uid (setuid); -1: the process's */
	char comm[32];
	int ingress;		/* a peer opened it: dst is the peer, port ours */
	char src[64];		/* the local address the packets left from */
	int sports[MAX_SPORTS];	/* the local ports of the sockets that sent */
	int nsports;
	char *argv;		/* the sender's argv, comma-joined; NULL: the case's */
};

/*
 * One exfild.flow record: the key fields, and the whole record. ip is the
 * peer and port the service port whichever side opened the connection:
 * egress destination.ip/port, ingress source.ip and destination.port.
 */
struct rec {
	int pid;
	char transport[16];
	int ingress;
	uint8_t ip[16];
	char ipstr[64];		/* destination.ip exactly as written */
	int port;
	long long bytes, calls;
	char name[32];
	char ts[48];		/* @timestamp: one value per drain */
	json_t *j;
};

struct run_case {
	char name[64];
	char kase[32];		/* the traffic case run */
	int failed;		/* traffic did not run cleanly */
	char why[256];
	pid_t traffic_pid;	/* the process itest started */
	int child;		/* the sender is a child of traffic (short cases) */
	int netns;
	int warmup;		/* a hash-warmup attempt */
	int uncounted;		/* not-counted: kinds traffic sent */
	long long cgroup_id;	/* exfild.cgroup_id its records must carry */
	char container[72];	/* container.id they must carry ("" none) */
	char uncounted_kinds[64];
	long long start;	/* traffic's start time (clock ticks since boot) */
	long long t0_ms, t1_ms;	/* wall clock around the traffic run */
	char argv[2048];	/* traffic's argv, comma-joined */
	struct sent *s;
	size_t n;
};

struct agent {
	pid_t pid;
	char err_path[600];
	char running[512];	/* the "exfild: running" line */
};

struct output {
	struct rec *r;
	size_t n;
	size_t bad_lines;
	int missing;		/* no output file at all */
	long long loss_bytes, loss_entries;
	int loss_records;
	char last_ts[48];	/* @timestamp of the final drain */
};

/* The netns fixture: names and addresses picked at run time. */
struct netns_fixture {
	int up, n_v4;		/* n_v4: free /24s found, at most 2 */
	int lock_fd;		/* held from netns_up() to netns_down(); 0: none */
	char ns[64], ns_path[128], host_if[16], ns_if[16];
	char v4_host[2][32], v4_peer[2][32], v6_host[64], v6_peer[64];
};

/* What the process fields must say: from the traffic binary and this host. */
struct process_want {
	char exe[PATH_MAX];	/* real path of the traffic binary */
	char sha256[65];	/* "" when it could not be hashed */
	char why[256];		/* ... and why */
	int exe_writable;	/* group/other-writable or not root's, file or directory */
	char uid[16], gid[16];
	char user[64];		/* "" when /etc/passwd does not name uid */
	char group[64];		/* "" when /etc/group does not name gid */
	char cwd[PATH_MAX];	/* process.working_directory: ours, inherited */
	char self_exe[PATH_MAX];	/* itest, the parent of every traffic run */
	char self_name[32];
	long long self_start;	/* itest's start, clock ticks */
	long long cgroup_id;	/* exfild.cgroup_id: our cgroup v2 id; -1 unknown */
};

/*
 * Each record check returns 1 when the record is right, else 0 with the
 * first wrong field in why (expected ..., got ...).
 */
typedef int (*rec_check)(const struct run_case *c, const struct sent *s, json_t *j,
			 const struct output *o, char *why, size_t n);

/* main.c: the options, the results, small helpers */
extern const char *exfild_path, *traffic_path, *tier, *prefix, *only, *expect_tier;
extern const char *race_seconds;
extern char running_tier[32];	/* from the agent's "running: tier=..." line */
extern const char *geoip[MAX_GEO], *geo_fixture[MAX_GEO];
extern int n_geoip, n_geo_fixture;
extern int no_netns;
extern char tmpdir[512];
extern volatile sig_atomic_t g_stop;
extern int failures;
long long now_ms(void);
long long wall_ms(void);
void sleep_ms(int ms);
void scopy(char *dst, size_t n, const char *src);
void report(int ok, const char *check, const char *fmt, ...);
void report_skip(const char *check, const char *fmt, ...);

/* process.c: child processes */
pid_t spawn(char *const argv[], int out, int err);
pid_t spawn_in(char *const argv[], int out, int err, const char *cgroup_procs);
int wait_for(pid_t pid, int ms, int *status, int interruptible);
void kill_wait(pid_t pid);
void status_str(int st, char *out, size_t n);
int ip_cmd(const char *first, ...);

/* addr.c: addresses and prefixes */
int ip_parse(const char *s, uint8_t out[16]);
int same_prefix(const uint8_t *a, const uint8_t *b, int bits);
int prefix_in_use(int family, const uint8_t *cand, int plen);

/* netns.c: the namespace fixture */
extern struct netns_fixture nx;
int netns_up(char *why, size_t n);
void netns_down(void);

/* ident.c: what the kernel says about processes and cgroups */
long long proc_start_ticks(int pid);
void entity_id_of(int pid, long long ticks, char out[33]);
long long start_ms_of(long long ticks);
long long cgroup_id_self(void);
int cgroup2_dir(char *out, size_t n);
long long iso_ms(const char *s);
int sendpage_kernel(void);

/* watch.c: waiting for the agent's records while it runs */
extern const char *live_out;	/* the running agent's output file */
struct tail {
	long off;		/* bytes of live_out already read */
};
typedef int (*rec_fn)(json_t *j, void *arg);	/* 1: stop reading */
int tail_poll(struct tail *t, rec_fn fn, void *arg);
/* What to do while traffic runs: 0 nothing, else signal it at the event. */
enum watch_kind { WATCH_NONE, WATCH_GO, WATCH_RACE };
struct watch {
	enum watch_kind kind;
	struct tail t;
	int done;		/* signalled */
	pid_t pid;		/* traffic */
	int tcp_ts, udp_ts;	/* WATCH_RACE: distinct drains seen per transport */
	char tcp_last[48], udp_last[48];
};
void watch_step(struct watch *w, pid_t traffic_pid);
/* Wait until a flow record of pid is in live_out; 0 and a copy in *out. */
int wait_record_of(struct tail *t, int pid, int ms, json_t **out);

/* agent.c: the agent under test */
extern struct agent *live_agent;	/* killed by cleanup if still running */
int agent_start(struct agent *a, const char *tag, const char *out_path,
		const char *pins, const char *max_flows, char *why, size_t n);
int agent_stop(struct agent *a, char *why, size_t n);
void remove_dir(const char *dir, int verbose);

/* traffic_run.c: running the traffic program */
void traffic_case(struct run_case *c, const char *kase, const char *name,
		  const char *dst, const char *netns);
void traffic_case_args(struct run_case *c, const char *kase, const char *name,
		       char *const extra[]);
void container_case(struct run_case *c);
int container_remove(void);

/* output.c: the agent's output */
json_t *jget(json_t *root, const char *path);
const char *jstr(json_t *root, const char *path);
void load_output(const char *path, struct output *o);
void free_output(struct output *o);
int rec_matches(const struct rec *r, const struct sent *s);
long long recorded(const struct output *o, const struct sent *s, int *nrec, int *names_ok,
		   long long *calls);
const char *sent_desc(const struct sent *s, char *out, size_t n);

/* context.c: process context expectations and record checks */
extern struct process_want want;
void want_setup(void);
void note_sources(const struct run_case *c, const struct output *o);
int proc_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int hash_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int user_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int args_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int str_is(json_t *j, const char *path, const char *exp, char *why, size_t n);
int int_is(json_t *j, const char *path, long long exp, char *why, size_t n);
int absent(json_t *j, const char *path, char *why, size_t n);

/* geoexpect.c: geo expectations from the fixture sources */
int load_fixtures(char *why, size_t n);
void free_fixtures(void);
int geo_ok(const struct run_case *c, const struct sent *s, json_t *j,
	   const struct output *o, char *why, size_t n);

/* checks.c: result lines for a case */
void check_case(const struct run_case *c, const struct output *o, int check_name);
void check_records(const struct run_case *c, const struct output *o, const char *what,
		   rec_check fn);
void check_race(const struct run_case *c, const struct output *o);
/* sides.c: source.* / destination.* against what traffic says it used. */
int sides_ok(const struct run_case *c, const struct sent *s, json_t *j,
	     const struct output *o, char *why, size_t n);
void check_countries(const struct run_case *cases, size_t n, const struct output *o);
int flow_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
void check_uncounted(const struct run_case *c, const struct output *o);
void check_accounted(const struct run_case *cases, size_t n, const struct output *o,
		     pid_t agent_pid);

/* runs.c: the agent runs */
void main_run(void);
void fill_run(void);
int wanted(const char *name);
void cleanup(void);

#endif
