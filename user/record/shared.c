/* Objects shared by records; see shared.h. */
#include "json.h"
#include "shared.h"

json_t *shared_get(struct shared_slot *slots, size_t n, uint64_t key, uint64_t tag)
{
	struct shared_slot *s = &slots[key % n];

	return key && s->obj && s->key == key && s->tag == tag ? s->obj : NULL;
}

json_t *shared_put(struct shared_slot *slots, size_t n, uint64_t key, uint64_t tag, json_t *obj)
{
	struct shared_slot *s = &slots[key % n];

	if (!key || !obj)
		return obj;	/* not kept: the caller's reference stands */
	json_line_thaw(s->obj);
	json_decref(s->obj);
	*s = (struct shared_slot){ .key = key, .tag = tag, .obj = obj };
	json_line_freeze(obj);
	return obj;
}
