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

static void
tag_list_unref(struct tag_list *list)
{
	if (list == NULL ||
	    atomic_fetch_sub_explicit(&list->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(list->items);
	free(list->tag);
	free(list);
}

static struct tag_list *
tag_list_new(const char *tag)
{
	struct tag_list *list = calloc(1, sizeof(*list));

	if (list == NULL || (list->tag = strdup(tag)) == NULL) {
		free(list);
		return NULL;
	}
	atomic_init(&list->refs, 1);
	return list;
}

static bool
tag_list_push(struct tag_list *list, struct article *a)
{
	struct article **grown;

	/* Grow by doubling: counts that are powers of two are full. */
	if ((list->count & (list->count - 1)) == 0) {
		grown = realloc(list->items,
		    (list->count ? list->count * 2 : 1) * sizeof(*grown));
		if (grown == NULL)
			return false;
		list->items = grown;
	}
	list->items[list->count++] = a;
	return true;
}

/* Appends A to the list of each of its tags. */
static bool
add_tags(struct index *idx, struct article *a)
{
	for (size_t t = 0; t < a->ntags; t++) {
		struct tag_list *list = strmap_get(&idx->by_tag, a->tags[t]);

		if (list == NULL) {
			if ((list = tag_list_new(a->tags[t])) == NULL)
				return false;
			if (!strmap_put(&idx->by_tag, list->tag, list)) {
				tag_list_unref(list);
				return false;
			}
		}
		if (!tag_list_push(list, a))
			return false;
	}
	return true;
}

static struct index *
index_alloc(size_t n, unsigned long generation)
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
	return idx;
}

static void
fold_fingerprint(struct index *idx)
{
	idx->fingerprint = HASH_INIT;
	for (size_t i = 0; i < idx->count; i++)
		idx->fingerprint = hash_u64(idx->fingerprint,
		    idx->articles[i]->content_hash);
}

struct index *
index_new(struct article *const *articles, size_t n, unsigned long generation)
{
	struct index *idx = index_alloc(n, generation);

	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!articles[i]->draft)
			idx->articles[idx->count++] = article_ref(articles[i]);
	if (idx->count > 0)
		qsort(idx->articles, idx->count, sizeof(*idx->articles), compare_ptrs);
	fold_fingerprint(idx);
	for (size_t i = 0; i < idx->count; i++) {
		struct article *a = idx->articles[i];

		if (!strmap_put(&idx->by_slug, a->slug, a) || !add_tags(idx, a)) {
			index_unref(idx);
			return NULL;
		}
	}
	return idx;
}

static bool
is_gone(const struct article *a, struct article *const *gone, size_t ngone)
{
	for (size_t i = 0; i < ngone; i++)
		if (gone[i] == a)
			return true;
	return false;
}

/* Rebuilds the list of TAG in IDX from OLD's list, less GONE, plus the
 * ADDED articles (sorted) that carry it; other tags keep sharing OLD's. */
static bool
retag(struct index *idx, const struct index *old, const char *tag,
    struct article *const *gone, size_t ngone, struct article **added,
    size_t nadded)
{
	const struct tag_list *prev = strmap_get(&old->by_tag, tag);
	struct tag_list *list, *shared;
	size_t i = 0, j = 0;

	if ((shared = strmap_get(&idx->by_tag, tag)) != NULL &&
	    shared != prev)
		return true;                /* already rebuilt for this tag */
	if ((list = tag_list_new(tag)) == NULL)
		return false;
	for (;;) {
		struct article *a = prev && i < prev->count ? prev->items[i] : NULL;
		struct article *b = NULL;

		while (j < nadded && !article_has_tag(added[j], tag))
			j++;
		b = j < nadded ? added[j] : NULL;
		if (a == NULL && b == NULL)
			break;
		if (a != NULL && (b == NULL || index_compare(a, b) < 0)) {
			i++;
			if (is_gone(a, gone, ngone))
				continue;
		} else {
			a = b;
			j++;
		}
		if (!tag_list_push(list, a)) {
			tag_list_unref(list);
			return false;
		}
	}
	if (shared != NULL) {
		strmap_remove(&idx->by_tag, shared->tag);
		tag_list_unref(shared);
	}
	if (list->count == 0) {
		tag_list_unref(list);
		return true;
	}
	if (!strmap_put(&idx->by_tag, list->tag, list)) {
		tag_list_unref(list);
		return false;
	}
	return true;
}

struct index *
index_apply(const struct index *old, struct article *const *gone,
    size_t ngone, struct article *const *added_in, size_t nadded_in,
    unsigned long generation)
{
	struct article **added = calloc(nadded_in + 1, sizeof(*added));
	struct index *idx = index_alloc(old->count + nadded_in, generation);
	size_t nadded = 0, i = 0, j = 0;
	const char *key;
	void *value;

	if (added == NULL || idx == NULL)
		goto fail;
	for (size_t k = 0; k < nadded_in; k++)
		if (!added_in[k]->draft)
			added[nadded++] = added_in[k];
	if (nadded > 1)
		qsort(added, nadded, sizeof(*added), compare_ptrs);
	/* Merge two sorted runs, leaving out what went. */
	while (i < old->count || j < nadded) {
		struct article *a;

		if (j >= nadded || (i < old->count &&
		    index_compare(old->articles[i], added[j]) < 0)) {
			a = old->articles[i++];
			if (is_gone(a, gone, ngone))
				continue;
		} else {
			a = added[j++];
		}
		idx->articles[idx->count++] = article_ref(a);
	}
	fold_fingerprint(idx);
	if (!strmap_clone(&idx->by_slug, &old->by_slug) ||
	    !strmap_clone(&idx->by_tag, &old->by_tag))
		goto fail;
	for (size_t k = 0; strmap_next(&idx->by_tag, &k, &key, &value);)
		atomic_fetch_add_explicit(&((struct tag_list *)value)->refs, 1,
		    memory_order_relaxed);
	for (size_t k = 0; k < ngone; k++)
		if (strmap_get(&idx->by_slug, gone[k]->slug) == gone[k])
			strmap_remove(&idx->by_slug, gone[k]->slug);
	for (size_t k = 0; k < nadded; k++)
		if (!strmap_put(&idx->by_slug, added[k]->slug, added[k]))
			goto fail;
	for (size_t k = 0; k < ngone; k++)
		for (size_t t = 0; t < gone[k]->ntags; t++)
			if (!retag(idx, old, gone[k]->tags[t], gone, ngone, added, nadded))
				goto fail;
	for (size_t k = 0; k < nadded; k++)
		for (size_t t = 0; t < added[k]->ntags; t++)
			if (!retag(idx, old, added[k]->tags[t], gone, ngone, added, nadded))
				goto fail;
	free(added);
	return idx;
fail:
	free(added);
	index_unref(idx);
	return NULL;
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
	for (size_t i = 0; strmap_next(&idx->by_tag, &i, &key, &value);)
		tag_list_unref(value);
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
