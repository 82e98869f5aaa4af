/* strmap.h - a small open-addressing hash map from C strings to pointers.
 *
 * The map borrows its keys: each key must stay valid while it is in the
 * map (callers key by a string the value itself owns, such as a slug). */
#ifndef XP_STRMAP_H
#define XP_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap {
	const char **keys;
	void **values;
	size_t cap;     /* a power of two, or 0 */
	size_t count;   /* live entries */
	size_t used;    /* live entries plus tombstones */
};

#define STRMAP_INIT { NULL, NULL, 0, 0, 0 }

/* Returns the value for KEY, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Sets KEY to VALUE (KEY borrowed); returns false when memory runs out. */
bool strmap_put(struct strmap *m, const char *key, void *value);
/* Removes KEY and returns its value, or NULL when absent. */
void *strmap_remove(struct strmap *m, const char *key);
/* Makes DST a copy of SRC's table (same keys and values, borrowed as
 * before).  Returns false when out of memory, leaving DST empty. */
bool strmap_clone(struct strmap *dst, const struct strmap *src);

/* Frees the table (not the keys or values). */
void strmap_release(struct strmap *m);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v); ) ... */
bool strmap_next(const struct strmap *m, size_t *pos, const char **key,
    void **value);

#endif
