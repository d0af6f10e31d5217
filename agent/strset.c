#include "strset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Open addressing with linear probing. There is no removal, so a slot is
 * either empty (key == NULL) or holds a key for the set's whole life and no
 * tombstones are needed. The capacity is a power of two and the load factor
 * stays at or below 7/10, which keeps probe sequences short. */

struct strset_slot {
        char *key;
        void *value;
        uint64_t hash;  /* kept so that growing does not rehash the keys */
};

struct strset {
        struct strset_slot *slots;
        size_t cap;     /* power of two */
        size_t n;
};

#define STRSET_INITIAL_CAP 16

static uint64_t strset_hash(const char *key)
{
        /* FNV-1a, 64 bit. */
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        /* FNV's low bits mix poorly for keys that differ only at the end
         * (numbered files); fold the high bits in since we index by mask. */
        return h ^ (h >> 32);
}

struct strset *strset_new(void)
{
        struct strset *set = calloc(1, sizeof(*set));

        if (!set)
                return NULL;
        set->slots = calloc(STRSET_INITIAL_CAP, sizeof(*set->slots));
        if (!set->slots) {
                free(set);
                return NULL;
        }
        set->cap = STRSET_INITIAL_CAP;
        return set;
}

struct strset *strset_free(struct strset *set)
{
        if (!set)
                return NULL;
        for (size_t i = 0; i < set->cap; i++)
                free(set->slots[i].key);
        free(set->slots);
        free(set);
        return NULL;
}

/* The slot holding key, or the empty slot where it would go. The table is
 * never full (load <= 0.7), so the probe ends. */
static size_t strset_probe(const struct strset_slot *slots, size_t cap,
                           const char *key, uint64_t hash)
{
        size_t mask = cap - 1;
        size_t i = (size_t)hash & mask;

        while (slots[i].key) {
                if (slots[i].hash == hash && strcmp(slots[i].key, key) == 0)
                        return i;
                i = (i + 1) & mask;
        }
        return i;
}

static int strset_grow(struct strset *set)
{
        struct strset_slot *slots;
        size_t cap;

        if (set->cap > SIZE_MAX / 2 / sizeof(*slots))
                return -ENOMEM;
        cap = set->cap * 2;
        slots = calloc(cap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < set->cap; i++) {
                const struct strset_slot *old = &set->slots[i];
                size_t j;

                if (!old->key)
                        continue;
                j = strset_probe(slots, cap, old->key, old->hash);
                slots[j] = *old;
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
        return 0;
}

ANALYZER_ARRAY_STORE_BEGIN
int strset_add(struct strset *set, const char *key, void *value)
{
        uint64_t hash = strset_hash(key);
        size_t i = strset_probe(set->slots, set->cap, key, hash);
        char *copy;

        if (set->slots[i].key)
                return 0;
        /* Grow before inserting so that (n + 1) / cap stays <= 0.7. The
         * multiplication cannot overflow: cap is bounded by memory. */
        if ((set->n + 1) * 10 > set->cap * 7) {
                int r = strset_grow(set);

                if (r < 0)
                        return r;
                i = strset_probe(set->slots, set->cap, key, hash);
        }
        copy = strdup(key);
        if (!copy)
                return -ENOMEM;
        set->slots[i].key = copy;
        set->slots[i].value = value;
        set->slots[i].hash = hash;
        set->n++;
        return 1;
}
ANALYZER_ARRAY_STORE_END

bool strset_find(const struct strset *set, const char *key, void **ret_value)
{
        uint64_t hash = strset_hash(key);
        size_t i = strset_probe(set->slots, set->cap, key, hash);

        if (!set->slots[i].key)
                return false;
        if (ret_value)
                *ret_value = set->slots[i].value;
        return true;
}

size_t strset_size(const struct strset *set)
{
        return set->n;
}

int strset_foreach(const struct strset *set,
                   int (*fn)(void *ctx, const char *key, void *value), void *ctx)
{
        for (size_t i = 0; i < set->cap; i++) {
                int r;

                if (!set->slots[i].key)
                        continue;
                r = fn(ctx, set->slots[i].key, set->slots[i].value);
                if (r != 0)
                        return r;
        }
        return 0;
}
