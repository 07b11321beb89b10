/*
 * Allowlists: destinations, processes and users whose transfers are known
 * to be fine. They are checked only when something would alert, so the
 * baseline still learns from the traffic and observing stays cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect_model.h"

static bool match_user(const struct detect_allow *a, const struct enriched_flow *f)
{
	char *end;
	unsigned long uid;

	if (f->user_name && !strcmp(f->user_name, a->value))
		return true;
	/* A number names a uid, which replay-free live flows always carry. */
	uid = strtoul(a->value, &end, 10);
	return a->value[0] && !*end && f->obs.has_uid && f->obs.uid == uid;
}

static bool match_process(const struct detect_allow *a, const struct enriched_flow *f)
{
	if (a->value[0] == '/')
		return f->process_executable && !strcmp(f->process_executable, a->value);
	return f->process_name && !strcmp(f->process_name, a->value);
}

static bool match(const struct detect_allow *a, const struct enriched_flow *f)
{
	switch (a->kind) {
	case ALLOW_NET:
		return ipnet_contains(&a->net, &f->obs.remote);
	case ALLOW_COUNTRY:
		return f->geo.country_iso[0] && !strcasecmp(f->geo.country_iso, a->value);
	case ALLOW_ASN:
		return f->geo.has_as && f->geo.as_number == a->asn;
	case ALLOW_PROCESS:
		return match_process(a, f);
	case ALLOW_USER:
		return match_user(a, f);
	}
	return false;
}

const struct detect_allow *allow_match(const struct detect_config *c,
				       const struct enriched_flow *f)
{
	for (unsigned i = 0; i < c->n_allow; i++)
		if (match(&c->allow[i], f))
			return &c->allow[i];
	return NULL;
}
