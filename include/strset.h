/* A hash set of strings with a value pointer each: exact-path lookups of the
 * policy and observation sets of learning. Lookup cost does not depend on
 * the number of entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strset;

/* An empty set. NULL on allocation failure. */
struct strset *strset_new(void);

/* Frees the set and its copies of the keys (not the values); accepts NULL;
 * returns NULL. */
struct strset *strset_free(struct strset *set);

/* Inserts a copy of key with value. Returns 1 if inserted, 0 if the key was
 * present (its value is left as it was), -ENOMEM. */
int strset_add(struct strset *set, const char *key, void *value);

/* True if key is present; its value in *ret_value (if not NULL). */
bool strset_find(const struct strset *set, const char *key, void **ret_value);

/* Number of keys. */
size_t strset_size(const struct strset *set);

/* Calls fn for every key in unspecified order; stops and returns fn's value
 * if it is not 0. */
int strset_foreach(const struct strset *set,
                   int (*fn)(void *ctx, const char *key, void *value), void *ctx);
