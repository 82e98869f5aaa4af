/* index.c - snapshots of the published articles, in listing order. */
#include <stdlib.h>
#include <string.h>

#include "excerpt.h"
#include "hash.h"
#include "index.h"
#include "positions.h"

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
tag_list_new(const char *tag, time_t changed)
{
	struct tag_list *list = calloc(1, sizeof(*list));

	if (list == NULL || (list->tag = strdup(tag)) == NULL) {
		free(list);
		return NULL;
	}
	atomic_init(&list->refs, 1);
	list->changed = changed;
	return list;
}

/* Do A and B list the same articles in the same order, edits of their
 * content aside?  What a listing shows of an article it keeps is dated by
 * that article's own history, so only a change of place moves the list's. */
static bool
same_places(struct article *const *a, size_t na, struct article *const *b,
    size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i] != b[i] && (a[i]->published.instant !=
		    b[i]->published.instant || strcmp(a[i]->slug, b[i]->slug) != 0))
			return false;
	return true;
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
			if ((list = tag_list_new(a->tags[t], idx->changed)) == NULL)
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
	if (n > 0 && ((idx->articles = calloc(n, sizeof(*idx->articles))) == NULL ||
	    (idx->since = calloc(n, sizeof(*idx->since))) == NULL)) {
		free(idx->articles);
		free(idx);
		return NULL;
	}
	return idx;
}

static void
fold_fingerprint(struct index *idx)
{
	idx->fingerprint = HASH_INIT;
	idx->body_words = 0;
	for (size_t i = 0; i < idx->count; i++) {
		idx->fingerprint = hash_u64(idx->fingerprint,
		    idx->articles[i]->content_hash);
		idx->body_words += idx->articles[i]->word_count;
	}
}

struct index *
index_new(struct article *const *articles, size_t n, unsigned long generation)
{
	struct index *idx = index_alloc(n, generation);

	if (idx == NULL)
		return NULL;
	/* A snapshot built from nothing cannot know what went before it (a
	 * deletion while stopped, say): everything in it dates from now. */
	idx->changed = idx->order_changed = time(NULL);
	for (size_t i = 0; i < n; i++)
		if (!articles[i]->draft) {
			idx->since[idx->count] = idx->changed;
			idx->articles[idx->count++] = article_ref(articles[i]);
		}
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
    size_t nadded, time_t now)
{
	const struct tag_list *prev = strmap_get(&old->by_tag, tag);
	struct tag_list *list, *shared;
	size_t i = 0, j = 0;

	if ((shared = strmap_get(&idx->by_tag, tag)) != NULL &&
	    shared != prev)
		return true;                /* already rebuilt for this tag */
	if ((list = tag_list_new(tag, now)) == NULL)
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
	if (prev != NULL && same_places(prev->items, prev->count, list->items,
	    list->count))
		list->changed = prev->changed;
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

static bool
dead_mark(struct index *idx, int64_t doc, bool dead)
{
	uint8_t bit = (uint8_t)(1u << (doc % 8));

	if (idx->dead == NULL) {
		if (!dead)
			return true;
		idx->dead = calloc((postings_count(idx->postings) + 7) / 8 + 1, 1);
		if (idx->dead == NULL)
			return false;
	}
	if (dead && !(idx->dead[doc / 8] & bit)) {
		idx->dead[doc / 8] |= bit;
		idx->ndead++;
	} else if (!dead && (idx->dead[doc / 8] & bit)) {
		idx->dead[doc / 8] &= (uint8_t)~bit;
		idx->ndead--;
	}
	return true;
}

static bool
is_dead(const struct index *idx, uint32_t doc)
{
	return idx->dead != NULL && (idx->dead[doc / 8] & (1u << (doc % 8)));
}

/* Gives IDX, which follows OLD by GONE and ADDED (sorted, no drafts),
 * OLD's postings: what went is marked dead there or leaves the fresh list,
 * what came is scanned as fresh, or revived if the postings have it. */
static bool
carry_postings(struct index *idx, const struct index *old,
    struct article *const *gone, size_t ngone, struct article **added,
    size_t nadded)
{
	size_t nd = (postings_count(old->postings) + 7) / 8, i = 0, j = 0;

	idx->postings = postings_ref(old->postings);
	if (old->dead != NULL) {
		if ((idx->dead = malloc(nd + 1)) == NULL)
			return false;
		memcpy(idx->dead, old->dead, nd);
		idx->ndead = old->ndead;
	}
	if ((idx->fresh = calloc(old->nfresh + nadded + 1,
	    sizeof(*idx->fresh))) == NULL)
		return false;
	for (size_t k = 0; k < ngone; k++) {
		int64_t doc = postings_find(idx->postings, gone[k]);

		if (doc >= 0 && !dead_mark(idx, doc, true))
			return false;
	}
	/* Merge the fresh list, less what went, with what came. */
	while (i < old->nfresh || j < nadded) {
		struct article *a;
		int64_t doc;

		if (j >= nadded || (i < old->nfresh &&
		    index_compare(old->fresh[i], added[j]) < 0)) {
			a = old->fresh[i++];
			if (!is_gone(a, gone, ngone))
				idx->fresh[idx->nfresh++] = a;
			continue;
		}
		a = added[j++];
		if ((doc = postings_find(idx->postings, a)) < 0)
			idx->fresh[idx->nfresh++] = a;
		else if (!dead_mark(idx, doc, false))
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
	time_t now = time(NULL);
	const char *key;
	void *value;

	if (added == NULL || idx == NULL)
		goto fail;
	for (size_t k = 0; k < nadded_in; k++)
		if (!added_in[k]->draft)
			added[nadded++] = added_in[k];
	if (nadded > 1)
		qsort(added, nadded, sizeof(*added), compare_ptrs);
	/* Merge two sorted runs, leaving out what went.  What stays keeps
	 * its date; what came dates from now. */
	while (i < old->count || j < nadded) {
		struct article *a;
		time_t since = now;

		if (j >= nadded || (i < old->count &&
		    index_compare(old->articles[i], added[j]) < 0)) {
			since = old->since[i];
			a = old->articles[i++];
			if (is_gone(a, gone, ngone))
				continue;
		} else {
			a = added[j++];
		}
		idx->since[idx->count] = since;
		idx->articles[idx->count++] = article_ref(a);
	}
	idx->changed = ngone + nadded > 0 ? now : old->changed;
	idx->order_changed = same_places(old->articles, old->count,
	    idx->articles, idx->count) ? old->order_changed : now;
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
			if (!retag(idx, old, gone[k]->tags[t], gone, ngone, added,
			    nadded, now))
				goto fail;
	for (size_t k = 0; k < nadded; k++)
		for (size_t t = 0; t < added[k]->ntags; t++)
			if (!retag(idx, old, added[k]->tags[t], gone, ngone, added,
			    nadded, now))
				goto fail;
	if (old->postings != NULL &&
	    !carry_postings(idx, old, gone, ngone, added, nadded))
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
	postings_unref(idx->postings);
	free(idx->dead);
	free(idx->fresh);
	for (size_t i = 0; i < idx->count; i++)
		article_unref(idx->articles[i]);
	free(idx->articles);
	free(idx->since);
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

time_t
index_since(const struct index *idx, const struct article *a)
{
	size_t at = index_position(idx, a);
	time_t since = at != (size_t)-1 && idx->articles[at] == a
	    ? idx->since[at] : idx->changed;

	return a->published.instant > since ? a->published.instant : since;
}

time_t
index_arrived(const struct index *idx, time_t now)
{
	size_t first;

	return index_listed(idx, now, &first) > 0
	    ? idx->articles[first]->published.instant : 0;
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

bool
index_postings_stale(const struct index *idx)
{
	if (idx->postings == NULL)
		return idx->count > 0;
	return idx->ndead + idx->nfresh >
	    64 + postings_count(idx->postings) / 16;
}

struct index *
index_with_postings(const struct index *idx, struct postings *p)
{
	struct index *copy = index_apply(idx, NULL, 0, NULL, 0, idx->generation);
	size_t ndocs = postings_count(p);

	if (copy == NULL)
		return NULL;
	postings_unref(copy->postings);
	free(copy->dead);
	free(copy->fresh);
	copy->dead = NULL;
	copy->fresh = NULL;
	copy->ndead = copy->nfresh = 0;
	copy->postings = postings_ref(p);
	for (uint32_t d = 0; d < ndocs; d++) {
		struct article *a = postings_doc(p, d);
		size_t at = index_position(copy, a);

		if ((at == (size_t)-1 || copy->articles[at] != a) &&
		    !dead_mark(copy, d, true))
			goto fail;
	}
	if ((copy->fresh = calloc(copy->count + 1, sizeof(*copy->fresh))) == NULL)
		goto fail;
	for (size_t i = 0; i < copy->count; i++)
		if (postings_find(p, copy->articles[i]) < 0)
			copy->fresh[copy->nfresh++] = copy->articles[i];
	return copy;
fail:
	index_unref(copy);
	return NULL;
}

/* One match of a search, and what ranks it. */
struct hit {
	double score;
	struct article *a;
};

/* True when X ranks before Y: the higher score, then listing order. */
static bool
hit_before(const struct hit *x, const struct hit *y)
{
	if (x->score != y->score)
		return x->score > y->score;
	return index_compare(x->a, y->a) < 0;
}

static int
compare_hits(const void *x, const void *y)
{
	return hit_before(x, y) ? -1 : hit_before(y, x) ? 1 : 0;
}

/* What a search gathers: every match, scored. */
struct search_run {
	const struct query *q;
	struct search_words *w;
	const struct positions *pos;
	time_t now;
	bool future;                /* some articles are not yet due */
	struct search_stats stats;
	uint32_t df[SEARCH_TERMS_MAX];
	struct hit *hits;
	size_t nhits, cap;
	bool failed;
};

/* Adds A (document DOC of the postings, or UINT32_MAX when it is not in
 * them) to R's hits, when it holds Q's phrases. */
static void
run_add(struct search_run *r, struct article *a, uint32_t doc,
    const uint8_t *bits, unsigned body_words)
{
	struct hit *grown;

	if (r->q->verify) {
		/* The search file knows the word order of most articles;
		 * the others are read again. */
		int in = r->pos ? positions_check_doc(r->pos, doc, a, r->q) :
		    -1;

		if (in < 0)
			in = excerpt_verify(r->w, r->q, a);
		if (!in)
			return;
	}
	if (r->nhits == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		if ((grown = realloc(r->hits, r->cap * sizeof(*grown))) == NULL) {
			r->failed = true;
			return;
		}
		r->hits = grown;
	}
	r->hits[r->nhits].score = search_score(r->q, bits, r->df, body_words,
	    &r->stats);
	r->hits[r->nhits++].a = a;
}

/* The bits A holds for each term of Q in BITS; true when A holds every
 * required term and no excluded one. */
static bool
article_bits(const struct article *a, const struct query *q, uint8_t *bits)
{
	bool ok = true;

	for (size_t i = 0; i < q->nterms; i++) {
		int b = search_bits(&a->terms, q->terms[i].hash);

		bits[i] = b < 0 ? 0 : (uint8_t)b;
		if ((b >= 0) == q->terms[i].exclude)
			ok = false;
	}
	return ok;
}

/* Scans the N articles of LIST; with COUNT, first adds to the document
 * frequencies the articles holding each term. */
static void
scan(struct search_run *r, struct article *const *list, size_t n, bool count)
{
	uint8_t bits[SEARCH_TERMS_MAX];

	for (size_t i = 0; count && i < n; i++) {
		article_bits(list[i], r->q, bits);
		for (size_t t = 0; t < r->q->nterms; t++)
			r->df[t] += search_has(&list[i]->terms,
			    r->q->terms[t].hash);
	}
	for (size_t i = 0; i < n && !r->failed; i++) {
		struct article *a = list[i];

		if (a->published.instant > r->now || !article_bits(a, r->q, bits))
			continue;
		/* saturated as the postings keep it: both rank alike */
		run_add(r, a, UINT32_MAX, bits,
		    a->word_count > UINT16_MAX ? UINT16_MAX : a->word_count);
	}
}

/* A term's documents in the postings, their bits, and where a walk in
 * ascending order has got to. */
struct term_list {
	uint32_t *docs;
	uint8_t *bits;
	int64_t n, at;
};

/* Advances L to DOC; returns its bits there, or -1 when L lacks DOC. */
static int
list_seek(struct term_list *l, uint32_t doc)
{
	while (l->at < l->n && l->docs[l->at] < doc)
		l->at++;
	return l->at < l->n && l->docs[l->at] == doc ? l->bits[l->at] : -1;
}

static bool
from_postings(struct search_run *r, const struct index *idx)
{
	const struct query *q = r->q;
	struct term_list lists[SEARCH_TERMS_MAX];
	size_t rarest = SIZE_MAX;
	bool ok = false;

	memset(lists, 0, sizeof(lists));
	for (size_t t = 0; t < q->nterms; t++) {
		struct term_list *l = &lists[t];

		if ((l->n = postings_term(idx->postings, q->terms[t].hash,
		    &l->docs, &l->bits)) < 0)
			goto done;
		for (int64_t k = 0; k < l->n; k++)
			r->df[t] += !is_dead(idx, l->docs[k]);
		if (!q->terms[t].exclude &&
		    (rarest == SIZE_MAX || l->n < lists[rarest].n))
			rarest = t;
	}
	/* The fresh articles count in the frequencies before any score. */
	for (size_t i = 0; i < idx->nfresh; i++)
		for (size_t t = 0; t < q->nterms; t++)
			r->df[t] += search_has(&idx->fresh[i]->terms,
			    q->terms[t].hash);
	for (int64_t k = 0; rarest != SIZE_MAX && k < lists[rarest].n; k++) {
		uint32_t doc = lists[rarest].docs[k];
		uint8_t bits[SEARCH_TERMS_MAX];
		struct article *a;
		bool keep = !is_dead(idx, doc);

		for (size_t t = 0; t < q->nterms && keep; t++) {
			int b = list_seek(&lists[t], doc);

			bits[t] = b < 0 ? 0 : (uint8_t)b;
			keep = (b >= 0) != q->terms[t].exclude;
		}
		if (!keep)
			continue;
		a = postings_doc(idx->postings, doc);
		if (r->future && a->published.instant > r->now)
			continue;
		run_add(r, a, doc, bits, postings_body_words(idx->postings,
		    doc));
		if (r->failed)
			goto done;
	}
	scan(r, idx->fresh, idx->nfresh, false);
	ok = !r->failed;
done:
	for (size_t t = 0; t < q->nterms; t++) {
		free(lists[t].docs);
		free(lists[t].bits);
	}
	return ok;
}

/* Puts the WANT best of the N hits first, in rank order; the rest follow
 * in no order.  A heap of WANT: no full sort of a common word's matches. */
static void
rank(struct hit *hits, size_t n, size_t want)
{
	size_t k = 0;

	if (want >= n / 4) {
		qsort(hits, n, sizeof(*hits), compare_hits);
		return;
	}
	/* hits[0..k) is a heap whose root ranks last. */
	for (size_t i = 0; i < n; i++) {
		struct hit h = hits[i];
		size_t at;

		if (k == want) {
			if (!hit_before(&h, &hits[0]))
				continue;
			hits[i] = hits[0];
			at = 0;
			for (;;) {
				size_t c = 2 * at + 1;

				if (c >= k)
					break;
				if (c + 1 < k && hit_before(&hits[c], &hits[c + 1]))
					c++;
				if (!hit_before(&h, &hits[c]))
					break;
				hits[at] = hits[c];
				at = c;
			}
			hits[at] = h;
			continue;
		}
		hits[i] = hits[k];
		at = k++;
		while (at > 0 && hit_before(&hits[(at - 1) / 2], &h)) {
			hits[at] = hits[(at - 1) / 2];
			at = (at - 1) / 2;
		}
		hits[at] = h;
	}
	qsort(hits, k, sizeof(*hits), compare_hits);
}

int64_t
index_search(const struct index *idx, const struct query *q,
    struct search_words *w, const struct positions *pos, time_t now,
    size_t want, struct article ***out)
{
	struct search_run r;
	struct article **ranked = NULL;
	size_t first;
	bool ok;

	*out = NULL;
	if (q->nrequired == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.q = q;
	r.w = w;
	r.pos = pos;
	r.now = now;
	index_listed(idx, now, &first);
	r.future = first > 0;
	/* Statistics over the snapshot's articles, whichever way they are
	 * searched: the index and a scan rank alike. */
	r.stats.ndocs = (double)idx->count;
	r.stats.avg_body = idx->count ? (double)idx->body_words /
	    (double)idx->count : 1.0;
	if (idx->postings == NULL) {
		scan(&r, idx->articles, idx->count, true);
		ok = !r.failed;
	} else {
		ok = from_postings(&r, idx);
	}
	if (ok && r.nhits > 0) {
		rank(r.hits, r.nhits, want);
		if ((ranked = calloc(r.nhits, sizeof(*ranked))) == NULL)
			ok = false;
		for (size_t i = 0; ok && i < r.nhits; i++)
			ranked[i] = r.hits[i].a;
	}
	free(r.hits);
	if (!ok)
		return -1;
	*out = ranked;
	return (int64_t)r.nhits;
}
