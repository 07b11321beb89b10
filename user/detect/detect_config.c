#include <string.h>

#include "detect_config.h"

void detect_config_defaults(struct detect_config *c)
{
	memset(c, 0, sizeof(*c));
	c->alert_threshold = 75;		/* the seed rule's */
	c->learning_ns = 24 * 3600 * DETECT_SEC;
	/* 1 h: short enough that a burst stands out of the hour around it,
	 * long enough that a periodic job's transfers add up; the 24-bucket
	 * horizon catches what trickles out over a day. */
	c->bucket_ns = 3600 * DETECT_SEC;
	c->suppress_ns = 3600 * DETECT_SEC;
	c->rate_cap = 100;			/* the seed rule's per run */
	c->rate_window_ns = 15 * 60 * DETECT_SEC;	/* its run interval */
	c->half_life_ns = 7 * 24 * 3600 * DETECT_SEC;
	c->min_bytes = 1 << 20;
	c->max_members = 65536;
}

const char *detect_config_check(const struct detect_config *c)
{
	if (c->alert_threshold < 1 || c->alert_threshold > 100)
		return "alert_threshold must be 1 to 100";
	if (c->learning_ns < 0 || c->learning_ns > 365 * 24 * 3600 * DETECT_SEC)
		return "learning_period must be 0 to 365 days";
	if (c->bucket_ns < 60 * DETECT_SEC || c->bucket_ns > 24 * 3600 * DETECT_SEC)
		return "bucket_span must be 1 minute to 24 hours";
	if (c->suppress_ns < 0 || c->suppress_ns > 30 * 24 * 3600 * DETECT_SEC)
		return "suppression_window must be 0 to 30 days";
	if (c->rate_cap < 1)
		return "rate_cap must be at least 1";
	if (c->rate_window_ns < DETECT_SEC || c->rate_window_ns > 24 * 3600 * DETECT_SEC)
		return "rate_window must be 1 second to 24 hours";
	if (c->half_life_ns < c->bucket_ns || c->half_life_ns > 365 * 24 * 3600 * DETECT_SEC)
		return "half_life must be one bucket span to 365 days";
	if (c->max_members < 64 || c->max_members > (1u << 24))
		return "max_members must be 64 to 16777216";
	if (c->n_allow > DETECT_MAX_ALLOW)
		return "too many allowlist entries";
	return NULL;
}
