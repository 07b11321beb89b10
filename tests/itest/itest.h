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

#define MAX_SPORTS		64

/* One `sent ...` line of traffic: what the agent must have seen. */
struct sent {
	int pid;
	char transport[16];
	uint8_t ip[16];		/* IPv4 as v4-mapped, so both forms compare */
	char ipstr[64];
	int port;
	long long bytes;
	long long acked;	/* -1: not TCP */
	char comm[32];
	int ingress;		/* a peer opened it: dst is the peer, port ours */
	char src[64];		/* the local address the packets left from */
	int sports[MAX_SPORTS];	/* the local ports of the sockets that sent */
	int nsports;
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
	int port;
	long long bytes;
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
	char ns[64], ns_path[128], host_if[16], ns_if[16];
	char v4_host[2][32], v4_peer[2][32], v6_host[64], v6_peer[64];
};

/* What the process fields must say: from the traffic binary and this host. */
struct process_want {
	char exe[PATH_MAX];	/* real path of the traffic binary */
	char sha256[65];	/* "" when it could not be hashed */
	char why[256];		/* ... and why */
	char uid[16];
	char user[64];		/* "" when /etc/passwd does not name uid */
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
extern const char *geoip[MAX_GEO], *geo_fixture[MAX_GEO];
extern int n_geoip, n_geo_fixture;
extern int no_netns;
extern char tmpdir[512];
extern volatile sig_atomic_t g_stop;
extern int failures;
long long now_ms(void);
void sleep_ms(int ms);
void scopy(char *dst, size_t n, const char *src);
void report(int ok, const char *check, const char *fmt, ...);

/* process.c: child processes */
pid_t spawn(char *const argv[], int out, int err);
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

/* agent.c: the agent under test */
extern struct agent *live_agent;	/* killed by cleanup if still running */
int agent_start(struct agent *a, const char *tag, const char *out_path,
		const char *pins, const char *max_flows, char *why, size_t n);
int agent_stop(struct agent *a, char *why, size_t n);
void remove_dir(const char *dir, int verbose);

/* traffic_run.c: running the traffic program */
void traffic_case(struct run_case *c, const char *kase, const char *name,
		  const char *dst, const char *netns);

/* output.c: the agent's output */
json_t *jget(json_t *root, const char *path);
const char *jstr(json_t *root, const char *path);
void load_output(const char *path, struct output *o);
void free_output(struct output *o);
int rec_matches(const struct rec *r, const struct sent *s);
long long recorded(const struct output *o, const struct sent *s, int *nrec, int *names_ok);
const char *sent_desc(const struct sent *s, char *out, size_t n);

/* context.c: process context expectations and record checks */
extern struct process_want want;
void want_setup(void);
void note_gone(const struct run_case *c, const struct output *o);
int proc_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int hash_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int user_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);
int args_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n);

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

/* runs.c: the agent runs */
void main_run(void);
void fill_run(void);
int wanted(const char *name);
void cleanup(void);

#endif
