/*
 * How many alerts go out: one per (direction, process, destination IP)
 * per suppression window (later triggers are counted and the count rides
 * on the next alert for that key), and at most rate_cap per rate window
 * (what the cap holds back is counted in the stats and on the next alert).
 */
#include "detect_model.h"

#define REPEAT_WAYS 8
#define ALLOW_SALT 0x9e3779b97f4a7c15ULL

/* The slot for key (the oldest of its set when absent, key not yet set). */
static struct repeat_slot *slot_for(struct detect *d, uint64_t key)
{
	struct repeat_slot *set = &d->repeats[(key % (REPEAT_SLOTS / REPEAT_WAYS)) * REPEAT_WAYS];
	struct repeat_slot *old = &set[0];

	for (int i = 0; i < REPEAT_WAYS; i++)
		if (set[i].key == key)
			return &set[i];
	for (int i = 0; i < REPEAT_WAYS; i++) {
		if (!set[i].key)
			return &set[i];
		if (set[i].since_ns < old->since_ns)
			old = &set[i];
	}
	return old;
}

static bool in_window(const struct detect *d, const struct repeat_slot *s, uint64_t key, int64_t t)
{
	return s->key == key && t - s->since_ns < d->cfg.suppress_ns && t >= s->since_ns;
}

enum gate limit_gate(struct detect *d, uint64_t key, int64_t t, uint32_t *repeat_count)
{
	struct repeat_slot *s = slot_for(d, key);
	int64_t win = t / d->cfg.rate_window_ns;

	if (in_window(d, s, key, t)) {
		s->repeats++;
		d->st.repeats++;
		return GATE_REPEAT;
	}
	if (win != d->rate_window) {
		d->rate_window = win;
		d->rate_count = 0;
	}
	if (d->rate_count >= d->cfg.rate_cap) {
		d->st.rate_capped++;
		return GATE_CAPPED;
	}
	d->rate_count++;
	*repeat_count = 1 + (s->key == key ? s->repeats : 0);
	s->key = key;
	s->since_ns = t;
	s->repeats = 0;
	return GATE_EMIT;
}

bool limit_allow_log_due(struct detect *d, uint64_t key, int64_t t)
{
	struct repeat_slot *s;

	key ^= ALLOW_SALT;
	key = key ? key : 1;
	s = slot_for(d, key);
	if (in_window(d, s, key, t))
		return false;
	s->key = key;
	s->since_ns = t;
	s->repeats = 0;
	return true;
}
