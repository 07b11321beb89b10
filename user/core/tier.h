/* The attach tiers: which kind of kernel hooks counted the bytes. */
#ifndef EXFILD_TIER_H
#define EXFILD_TIER_H

enum exfild_tier {
	TIER_AUTO = -1,		/* option value only: try each in order */
	TIER_FENTRY = 0,
	TIER_KPROBE = 1,
	TIER_TRACEPOINT = 2,
	TIER_COUNT = 3,
};

/* "auto", "fentry", "kprobe", "tracepoint"; "?" for anything else. */
const char *tier_name(int tier);
/* The reverse; -2 if s names no tier. */
int tier_parse(const char *s);

#endif
