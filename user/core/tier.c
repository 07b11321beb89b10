#include <string.h>

#include "tier.h"

static const char *const tier_names[TIER_COUNT] = { "fentry", "kprobe", "tracepoint" };

const char *tier_name(int tier)
{
	if (tier == TIER_AUTO)
		return "auto";
	return tier >= 0 && tier < TIER_COUNT ? tier_names[tier] : "?";
}

int tier_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return TIER_AUTO;
	for (int i = 0; i < TIER_COUNT; i++)
		if (!strcmp(s, tier_names[i]))
			return i;
	return -2;
}
