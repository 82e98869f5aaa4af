# bench/bench.mk - included by the top Makefile.
#
#   make bench        corpora of 20, 2,000 and 100,000 articles, 10 s each
#                     measurement (BENCH_SIZES, BENCH_SECONDS override)
#   make bench-quick  20 and 2,000 articles, 3 s each
#
# See bench/bench.py for what is measured and the other BENCH_* settings.

bench: $(BUILD)/xsltpress
	@XSLTPRESS_BIN=$(BUILD)/xsltpress BUILD=$(BUILD) bench/run.sh

bench-quick: $(BUILD)/xsltpress
	@BENCH_SIZES="$${BENCH_SIZES:-20 2000}" BENCH_SECONDS="$${BENCH_SECONDS:-3}" \
		XSLTPRESS_BIN=$(BUILD)/xsltpress BUILD=$(BUILD) bench/run.sh

# The search engine alone on N synthetic articles (bench/search-scale.c):
# postings build time and memory, and index_search latency, at 100,000
# without generating or parsing a corpus.
SCALE_N ?= 100000
$(BUILD)/search-scale: bench/search-scale.c $(LIB_OBJS)
	$(CC) $(CPPFLAGS) $(XP_CPPFLAGS) $(CFLAGS) $(XP_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LIB_OBJS) $(XP_LIBS)

bench-search-scale: $(BUILD)/search-scale
	@mkdir -p $(BUILD)/bench/scale && $(BUILD)/search-scale $(SCALE_N) $(BUILD)/bench/scale

.PHONY: bench bench-quick bench-search-scale
