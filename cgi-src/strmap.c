/* strmap.c - string-keyed hash map with linear probing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

/* Marks a removed slot, so probes for keys after it keep going. */
static const char tombstone[1];

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static size_t
find_slot(const struct strmap *m, const char *key, bool for_insert)
{
	size_t mask = m->cap - 1, i = (size_t)hash(key) & mask;
	size_t first_free = (size_t)-1;

	for (;;) {
		const char *k = m->keys[i];

		if (k == NULL)
			return for_insert && first_free != (size_t)-1 ? first_free : i;
		if (k == tombstone) {
			if (first_free == (size_t)-1)
				first_free = i;
		} else if (strcmp(k, key) == 0) {
			return i;
		}
		i = (i + 1) & mask;
	}
}

static bool
grow(struct strmap *m)
{
	struct strmap bigger = STRMAP_INIT;

	/* Sized for the live entries: when tombstones filled the table,
	 * this rebuilds it at the same size (or smaller) instead of
	 * doubling, so put/remove churn cannot grow it without end. */
	bigger.cap = 16;
	while ((m->count + 1) * 2 > bigger.cap)
		bigger.cap *= 2;
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.values = calloc(bigger.cap, sizeof(*bigger.values));
	if (bigger.keys == NULL || bigger.values == NULL) {
		strmap_release(&bigger);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL || m->keys[i] == tombstone)
			continue;
		size_t j = find_slot(&bigger, m->keys[i], true);

		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
		bigger.count++;
		bigger.used++;
	}
	strmap_release(m);
	*m = bigger;
	return true;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find_slot(m, key, false);
	return m->keys[i] == NULL ? NULL : m->values[i];
}

bool
strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t i;

	if ((m->used + 1) * 4 >= m->cap * 3 && !grow(m))
		return false;
	i = find_slot(m, key, true);
	if (m->keys[i] == NULL || m->keys[i] == tombstone) {
		if (m->keys[i] == NULL)
			m->used++;
		m->count++;
	}
	m->keys[i] = key;
	m->values[i] = value;
	return true;
}

void *
strmap_remove(struct strmap *m, const char *key)
{
	void *value;
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find_slot(m, key, false);
	if (m->keys[i] == NULL)
		return NULL;
	value = m->values[i];
	m->keys[i] = tombstone;
	m->values[i] = NULL;
	m->count--;
	return value;
}

bool
strmap_clone(struct strmap *dst, const struct strmap *src)
{
	*dst = *src;
	if (src->cap == 0)
		return true;
	dst->keys = malloc(src->cap * sizeof(*dst->keys));
	dst->values = malloc(src->cap * sizeof(*dst->values));
	if (dst->keys == NULL || dst->values == NULL) {
		free(dst->keys);
		free(dst->values);
		memset(dst, 0, sizeof(*dst));
		return false;
	}
	memcpy(dst->keys, src->keys, src->cap * sizeof(*dst->keys));
	memcpy(dst->values, src->values, src->cap * sizeof(*dst->values));
	return true;
}

void
strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

bool
strmap_next(const struct strmap *m, size_t *pos, const char **key,
    void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->keys[*pos] != NULL && m->keys[*pos] != tombstone) {
			*key = m->keys[*pos];
			*value = m->values[*pos];
			(*pos)++;
			return true;
		}
	}
	return false;
}
