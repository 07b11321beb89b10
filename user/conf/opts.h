/*
 * Options: defaults, then the config file, then the command line.
 * One table describes every option for both, and for --help.
 */
#ifndef EXFILD_OPTS_H
#define EXFILD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "detect_config.h"

#define OPTS_MAX_GEOIP 8
#define OPTS_MAX_SINKS 8
#define OPTS_SINK_LEN 512
#define OPTS_DEFAULT_CONFIG "/etc/exfild/exfild.conf"

struct opts {
	int attach;			/* TIER_AUTO or a tier */
	uint32_t interval;		/* seconds between drains */
	uint32_t duration;		/* seconds to run; 0: until signalled */
	bool flows;			/* write flow records */
	bool include_reserved;		/* also report reserved destinations */
	char output[OPTS_MAX_SINKS][OPTS_SINK_LEN];	/* alert and loss sinks (and flows, */
	size_t n_output;				/* without --flow-output) */
	char flow_output[OPTS_MAX_SINKS][OPTS_SINK_LEN];	/* flow record sinks */
	size_t n_flow_output;
	uint64_t rotate_size;		/* file sinks: bytes before rotating; 0: never */
	uint32_t rotate_keep;		/* rotated files kept */
	uint64_t spool_size;		/* bytes of alert spool */
	char state_dir[256];		/* the alert spool and positions */
	char tls_ca[256], tls_cert[256], tls_key[256];	/* syslog+tls */
	char pin_path[256];		/* "" or "none": do not pin */
	char control[256];		/* control socket; "none": no socket */
	uint32_t max_flows;		/* entries per accounting map */
	char config[256];		/* config file read, "" if none */
	char geoip[OPTS_MAX_GEOIP][256];
	size_t n_geoip;
	int log_level;			/* enum log_level */
	struct detect_config detect;	/* thresholds, spans, allowlists */
};

enum opts_result { OPTS_OK = 0, OPTS_EXIT = 1, OPTS_ERROR = -1 };

void opts_defaults(struct opts *o);
/*
 * argv[0] is the command name ("run"). Reads the config file named by
 * --config, or the default one when it exists. OPTS_EXIT: --help printed.
 * On OPTS_ERROR err names the file, line and key, or the option.
 */
enum opts_result opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen);
/* Only the config file (for tests and reload): read safely, then parsed. */
int opts_load_config(struct opts *o, const char *path, char *err, size_t errlen);
/* The config text parser (pure: NAME only names it in errors). */
int opts_parse_config(struct opts *o, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);
/* 1 and a warning in buf when --max-flows costs notable memory and time. */
int opts_max_flows_note(const struct opts *o, char *buf, size_t len);
void opts_usage(FILE *f);

#endif
