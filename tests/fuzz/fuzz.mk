# tests/fuzz/fuzz.mk - libFuzzer harnesses for xsltpress (included from the
# Makefile with "-include tests/fuzz/fuzz.mk").
#
#   make fuzz-build                  build every harness into build/fuzz/
#   make fuzz [FUZZ_SECONDS=60]      fuzz each harness for FUZZ_SECONDS
#                                    (FUZZ_ARGS=... adds libFuzzer flags)
#   make fuzz-regress                run each harness once over its seed
#                                    corpus and regressions; fails on a crash
#
# The engine (cgi-src/*.c but main.c) is compiled again with clang and the
# fuzzer's sanitizers into build/fuzz/obj/, apart from the normal build.
# Needs clang (14) and libFuzzer's runtime: apt-get install clang
# libclang-rt-14-dev.  Run from the repository root (the render harness
# compiles the stylesheets in xslt/).

BUILD        ?= build
PKG_CONFIG   ?= pkg-config
FUZZ_CC      ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null || echo clang)
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 25
FUZZ_RSS_MB  ?= 2048
FUZZ_ARGS    ?=
FUZZ_BUILD   ?= $(BUILD)/fuzz
FUZZ_SRC      = tests/fuzz

FUZZ_NAMES    = article request config render imgprobe query metacache positions
FUZZ_BINS     = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz-%)
FUZZ_ENGINE_SRCS = $(filter-out cgi-src/main.c,$(wildcard cgi-src/*.c))
FUZZ_OBJS     = $(FUZZ_ENGINE_SRCS:cgi-src/%.c=$(FUZZ_BUILD)/obj/%.o)

FUZZ_PKGS      = libxml-2.0 libxslt libexslt fcgi stb libwebp zlib
FUZZ_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(FUZZ_PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
FUZZ_PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(FUZZ_PKGS) 2>/dev/null || echo -lexslt -lxslt -lxml2 -lfcgi -lstb -lwebp -lz) -lm
# The objects go into an archive, so a harness pulls in the engine modules
# it reaches; one the parsers never call (the file watcher, say) cannot
# break the fuzz build while it is being written.
FUZZ_LIB      = $(FUZZ_BUILD)/libxsltpress-fuzz.a
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  ?= -g -O1 -fno-omit-frame-pointer
FUZZ_XFLAGS   = -Iinclude -D_GNU_SOURCE -DXP_VERSION='"fuzz"' -std=c11 -pthread -Wall -Wextra \
		-Werror=incompatible-pointer-types -Werror=int-conversion \
		-Werror=implicit-function-declaration
# (a harness out of step with a changed header must not build: it would
# report crashes that are its own)

# libFuzzer reports to stderr; keep each harness's last log here.
FUZZ_LOGS     = $(FUZZ_BUILD)/logs

fuzz-build: $(FUZZ_BINS)

# Says which packages are missing instead of failing with a link error.
fuzz-toolchain:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	  echo "fuzz: $(FUZZ_CC) not found: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' | \
	  $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c - -o /dev/null 2>/dev/null || { \
	  echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer,address,undefined (libFuzzer runtime missing?): apt-get install clang libclang-rt-14-dev" >&2; exit 1; }

$(FUZZ_BUILD)/obj $(FUZZ_LOGS):
	mkdir -p $@

# Engine objects: coverage instrumentation without libFuzzer's main.
$(FUZZ_BUILD)/obj/%.o: cgi-src/%.c $(wildcard include/*.h) | fuzz-toolchain $(FUZZ_BUILD)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_XFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
		$(FUZZ_PKG_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJS)

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_SRC)/fuzz-%.c $(FUZZ_SRC)/fuzz.h $(FUZZ_LIB) $(wildcard include/*.h) | fuzz-toolchain
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_XFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) \
		$(FUZZ_PKG_CFLAGS) -o $@ $< $(FUZZ_LIB) $(FUZZ_PKG_LIBS) -lstemmer -lm -pthread

# Objects are intermediate files of the pattern chain: keep them.
.SECONDARY: $(FUZZ_OBJS) $(FUZZ_LIB)

# Fuzzes on a working copy of each seed corpus (build/fuzz/corpus-NAME), so
# that what libFuzzer adds never lands in the repository.  Crashes go to
# build/fuzz/artifacts/NAME/; copy the ones worth keeping to
# tests/fuzz/regressions/NAME/.  Every harness runs even if one crashes.
fuzz: fuzz-build | $(FUZZ_LOGS)
	@status=0; for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$n $(FUZZ_BUILD)/artifacts/$$n; \
	  cp -p $(FUZZ_SRC)/corpus/$$n/* $(FUZZ_BUILD)/corpus-$$n/ 2>/dev/null; \
	  dict=; [ -f $(FUZZ_SRC)/dict/$$n.dict ] && dict=-dict=$(FUZZ_SRC)/dict/$$n.dict; \
	  echo "fuzz-$$n: $(FUZZ_SECONDS)s (log: $(FUZZ_LOGS)/fuzz-$$n.log)"; \
	  if $(FUZZ_BUILD)/fuzz-$$n $$dict -max_total_time=$(FUZZ_SECONDS) \
	      -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 $(FUZZ_ARGS) \
	      -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n/ \
	      $(FUZZ_BUILD)/corpus-$$n $(FUZZ_SRC)/regressions/$$n \
	      > $(FUZZ_LOGS)/fuzz-$$n.log 2>&1; then \
	    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' $(FUZZ_LOGS)/fuzz-$$n.log | sed 's/^/  /'; \
	    echo "  fuzz-$$n: no crash"; \
	  else \
	    status=1; echo "  fuzz-$$n: CRASH, see $(FUZZ_LOGS)/fuzz-$$n.log"; \
	    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' $(FUZZ_LOGS)/fuzz-$$n.log | head -5 | sed 's/^/  /'; \
	  fi; \
	done; exit $$status

# Each harness once over its seeds and regressions (-runs=0: execute the
# inputs, no mutation).  A failing harness is re-run input by input to
# name the inputs that crash.
fuzz-regress: fuzz-build | $(FUZZ_LOGS)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_RSS_MB=$(FUZZ_RSS_MB) \
	  $(FUZZ_SRC)/regress.sh $(FUZZ_NAMES)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

# The harness names, for tests/run-all.sh to share out between the cores.
fuzz-names:
	@echo $(FUZZ_NAMES)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-clean fuzz-toolchain fuzz-names
