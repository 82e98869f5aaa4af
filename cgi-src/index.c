/* index.c - snapshots of the published articles, in listing order. */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "index.h"

int
index_compare(const struct article *a, const struct article *b)
{
	if (a->published.instant != b->published.instant)
		return a->published.instant > b->published.instant ? -1 : 1;
	return strcmp(a->slug, b->slug);
}

static int
compare_ptrs(const void *x, const void *y)
{
	return index_compare(*(struct article *const *)x,
	    *(struct article *const *)y);
}

/* Appends A to the list of each of its tags. */
static bool
add_tags(struct index *idx, struct article *a)
{
	for (size_t t = 0; t < a->ntags; t++) {
		struct tag_list *list = strmap_get(&idx->by_tag, a->tags[t]);
		struct article **grown;

		if (list == NULL) {
			if ((list = calloc(1, sizeof(*list))) == NULL)
				return false;
			list->tag = a->tags[t];
			if (!strmap_put(&idx->by_tag, list->tag, list)) {
				free(list);
				return false;
			}
		}
		/* Grow by doubling: counts that are powers of two are full. */
		if ((list->count & (list->count - 1)) == 0) {
			grown = realloc(list->items,
			    (list->count ? list->count * 2 : 1) * sizeof(*grown));
			if (grown == NULL)
				return false;
			list->items = grown;
		}
		list->items[list->count++] = a;
	}
	return true;
}

struct index *
index_new(struct article *const *articles, size_t n, unsigned long generation)
{
	struct index *idx = calloc(1, sizeof(*idx));

	if (idx == NULL)
		return NULL;
	atomic_init(&idx->refs, 1);
	idx->generation = generation;
	if (n > 0 && (idx->articles = calloc(n, sizeof(*idx->articles))) == NULL) {
		free(idx);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!articles[i]->draft)
			idx->articles[idx->count++] = article_ref(articles[i]);
	if (idx->count > 0)
		qsort(idx->articles, idx->count, sizeof(*idx->articles), compare_ptrs);
	idx->fingerprint = HASH_INIT;
	for (size_t i = 0; i < idx->count; i++) {
		struct article *a = idx->articles[i];

		idx->fingerprint = hash_u64(idx->fingerprint, a->content_hash);
		if (!strmap_put(&idx->by_slug, a->slug, a) || !add_tags(idx, a)) {
			index_unref(idx);
			return NULL;
		}
	}
	return idx;
}

struct index *
index_ref(struct index *idx)
{
	if (idx != NULL)
		atomic_fetch_add_explicit(&idx->refs, 1, memory_order_relaxed);
	return idx;
}

void
index_unref(struct index *idx)
{
	const char *key;
	void *value;

	if (idx == NULL ||
	    atomic_fetch_sub_explicit(&idx->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; strmap_next(&idx->by_tag, &i, &key, &value);) {
		free(((struct tag_list *)value)->items);
		free(value);
	}
	strmap_release(&idx->by_tag);
	for (size_t i = 0; i < idx->count; i++)
		article_unref(idx->articles[i]);
	free(idx->articles);
	strmap_release(&idx->by_slug);
	free(idx);
}

struct article *
index_find(const struct index *idx, const char *slug, time_t now)
{
	struct article *a = strmap_get(&idx->by_slug, slug);

	return a != NULL && article_visible(a, now) ? a : NULL;
}

size_t
index_listed(const struct index *idx, time_t now, size_t *first)
{
	size_t lo = 0, hi = idx->count;

	/* Newest first, so the future-dated articles are a prefix. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx->articles[mid]->published.instant > now)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	return idx->count - lo;
}

size_t
index_position(const struct index *idx, const struct article *a)
{
	size_t lo = 0, hi = idx->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = index_compare(idx->articles[mid], a);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

const struct tag_list *
index_tag(const struct index *idx, const char *tag)
{
	return strmap_get(&idx->by_tag, tag);
}

time_t
index_next_due(const struct index *idx, time_t now)
{
	size_t first;

	index_listed(idx, now, &first);
	return first > 0 ? idx->articles[first - 1]->published.instant : 0;
}
