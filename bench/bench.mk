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

.PHONY: bench bench-quick
