/* search-scale.c - the search engine alone at scale, without parsing a
 * corpus: N synthetic articles whose word entries follow
 * bench/gen-corpus.py's statistics (2,000 body words drawn from 300
 * common words weighted 3 and 1,500 others, a topic word of 50 in the
 * title and tags, "zyzzyva" in one article of 1,000), the postings built
 * as the server builds them (lists in a file under DIR when given), then
 * index_search timed for a word in ~92% of the articles, a topic word
 * (2%) and the rare word, ten results ranked.
 *
 *   make bench-search-scale [SCALE_N=100000]
 *
 * What it leaves out, and the HTTP bench measures: parsing, excerpts
 * (ten articles read per page), XSLT, FastCGI and nginx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "postings.h"
#include "search.h"

#define COMMON 300
#define OTHER 1500
#define TOPICS 50

static unsigned long
rss_kb(void)
{
	char line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lu", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned
rnd(unsigned long long *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(*s >> 33);
}

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One synthetic article I: its entries as search_finish leaves them. */
static struct article *
make(size_t i, const uint32_t *hash, const uint32_t *prefix,
    const uint32_t *topic, uint32_t rare, unsigned long long *seed)
{
	static unsigned tf[COMMON + OTHER];
	struct article *a = calloc(1, sizeof(*a));
	uint32_t *e = malloc((2 * (COMMON + OTHER) + 4) * sizeof(*e));
	size_t n = 0, words = 1500 + rnd(seed) % 750;
	unsigned t = rnd(seed) % TOPICS;
	char slug[32];

	memset(tf, 0, sizeof(tf));
	for (size_t k = 0; k < words; k++) {
		unsigned r = rnd(seed) % (3 * COMMON + OTHER);

		tf[r < 3 * COMMON ? r / 3 : COMMON + (r - 3 * COMMON)]++;
	}
	for (size_t k = 0; k < COMMON + OTHER; k++)
		if (tf[k] > 0) {
			uint32_t bits = tf[k] > 31 ? 31 : tf[k];

			e[n++] = hash[k] << 8 | bits;
			/* one prefix per two words: their bits are OR'd,
			 * their counts added, close enough here */
			if (k % 2 == 0)
				e[n++] = prefix[k / 2] << 8 | bits;
		}
	e[n++] = topic[t] << 8 | SEARCH_IN_TITLE | SEARCH_IN_TAGS |
	    SEARCH_IN_SUMMARY | 1;
	if (i % 1000 == 999)
		e[n++] = rare << 8 | 1;
	qsort(e, n, sizeof(*e), compare_u32);
	atomic_init(&a->refs, 1);
	snprintf(slug, sizeof(slug), "a%07zu", i);
	a->slug = strdup(slug);
	a->title = strdup("t");
	a->summary = strdup("s");
	a->published.instant = 1700000000 - (time_t)i * 9420;
	a->word_count = (unsigned)words;
	a->content_hash = i;
	a->terms.hashes = e;
	a->terms.count = n;
	return a;
}

static void
time_query(const struct index *idx, struct search_words *w, const char *raw)
{
	struct query q;
	double t[41];
	int64_t found = 0;

	search_parse_query(w, raw, strlen(raw), &q);
	for (int k = 0; k < 41; k++) {
		struct article **out = NULL;
		double t0 = now_s();

		found = index_search(idx, &q, w, NULL, 2000000000, 10, &out);
		t[k] = now_s() - t0;
		free(out);
	}
	qsort(t, 41, sizeof(t[0]), compare_double);
	printf("search %-10s %8lld results  p50 %7.2f ms  min %7.2f ms\n", raw,
	    (long long)found, t[20] * 1000, t[0] * 1000);
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *dir = argc > 2 ? argv[2] : NULL;
	uint32_t hash[COMMON + OTHER], prefix[(COMMON + OTHER) / 2 + 1];
	uint32_t topic[TOPICS], rare = search_hash("zyzzyva", false);
	struct article **arts = calloc(n + 1, sizeof(*arts));
	unsigned long long seed = 20260314;
	struct search_words *w = search_words_new("none");
	struct index *idx, *searched;
	struct postings *p;
	unsigned long before;
	char word[32];
	double t0;

	for (size_t k = 0; k < COMMON + OTHER; k++) {
		snprintf(word, sizeof(word), "w%zu", k);
		hash[k] = search_hash(word, false);
		if (k % 2 == 0) {
			snprintf(word, sizeof(word), "p%zu", k / 2);
			prefix[k / 2] = search_hash(word, true);
		}
	}
	for (size_t k = 0; k < TOPICS; k++) {
		snprintf(word, sizeof(word), "topic%zu", k);
		topic[k] = search_hash(word, false);
	}
	for (size_t i = 0; i < n; i++)
		arts[i] = make(i, hash, prefix, topic, rare, &seed);
	idx = index_new(arts, n, 1);
	before = rss_kb();
	t0 = now_s();
	p = postings_build_in(idx->articles, idx->count, NULL, dir);
	printf("%zu articles: postings built in %.2f s, %.1f MiB in memory, "
	    "%.1f MiB in their file, %zu words; RSS %+.1f MiB\n", n,
	    now_s() - t0, (double)postings_bytes(p) / 1048576.0,
	    (double)postings_file_bytes(p) / 1048576.0, postings_terms(p),
	    ((double)rss_kb() - (double)before) / 1024.0);
	searched = index_with_postings(idx, p);
	postings_unref(p);
	time_query(searched, w, "w7");       /* common: ~92% */
	time_query(searched, w, "topic3");   /* ~2% */
	time_query(searched, w, "zyzzyva");  /* 0.1% */
	time_query(searched, w, "w7+w20");   /* two common words */
	index_unref(searched);
	index_unref(idx);
	for (size_t i = 0; i < n; i++)
		article_unref(arts[i]);
	free(arts);
	search_words_free(w);
	return 0;
}
