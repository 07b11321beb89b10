/*
 * Objects shared by many records: built once per key (a process table
 * entry, a geo answer), frozen for json_line, handed out borrowed. A
 * direct-mapped table the caller owns; a key that maps to a taken slot
 * replaces what was there. One thread writes records.
 */
#ifndef EXFILD_SHARED_H
#define EXFILD_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct shared_slot {
	uint64_t key, tag;	/* tag: a state the object depends on besides key */
	json_t *obj;		/* NULL: free */
};

/* The object kept for (key, tag), or NULL. key 0 is never kept. */
json_t *shared_get(struct shared_slot *slots, size_t n, uint64_t key, uint64_t tag);
/* Keep obj (its reference is taken) for (key, tag), frozen; returns it, borrowed. */
json_t *shared_put(struct shared_slot *slots, size_t n, uint64_t key, uint64_t tag, json_t *obj);

#endif
