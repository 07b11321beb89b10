/*
 * The config file's `detect` group -> struct detect_config:
 *
 *   detect = {
 *     alert_threshold = 75;          # 1-100
 *     learning_period = "24h";       # durations: "90s", "15m", "24h", "14d" or seconds
 *     bucket_span = "1h";
 *     suppression_window = "1h";
 *     rate_cap = 100;                # alerts per rate_window
 *     rate_window = "15m";
 *     half_life = "7d";
 *     min_bytes = 1048576;
 *     max_members = 65536;
 *     allow = (
 *       { net = "203.0.113.0/24"; reason = "partner SFTP"; },
 *       { country = "DE"; reason = "our Frankfurt office"; },
 *       { asn = 64500; reason = "backup provider"; },
 *       { process = "/usr/bin/restic"; reason = "nightly backup"; },   # path or name
 *       { user = "backup"; reason = "backup account"; }                # name or uid
 *     );
 *   };
 *
 * (Reserved destinations follow the top-level include_reserved.)
 * Errors name the file, line and key, like the rest of the config:
 * "exfild.conf:7: key 'detect.allow.[1]': missing 'reason'".
 */
#ifndef EXFILD_DETECT_CONF_H
#define EXFILD_DETECT_CONF_H

#include <stddef.h>
#include <libconfig.h>

#include "detect_config.h"

/* Apply the `detect` group setting (path names the file in errors). 0 or -1. */
int detect_conf_apply(const config_setting_t *group, const char *path, struct detect_config *c,
		      char *err, size_t errlen);

/* Parse config text (a whole file) and apply its `detect` group, if any. */
int detect_conf_parse(const char *text, const char *path, struct detect_config *c, char *err,
		      size_t errlen);

#endif
