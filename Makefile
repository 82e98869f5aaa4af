# xsltpress - a blog engine: XML articles, XSLT pages, FastCGI.
#
#   make            build build/xsltpress
#   make run        serve the sample site on http://127.0.0.1:8080 via nginx
#   make test       every test (installs what is missing when run as root)
#
# CFLAGS, CPPFLAGS and LDFLAGS from the command line or the environment are
# honoured; the project's own flags are added to them, never replace them.

PREFIX    ?= /usr/local
CC        ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS    ?= -O2 -g
VERSION    = 0.1.0

PKGS       = libxml-2.0 libxslt libexslt fcgi stb libwebp zlib
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lexslt -lxslt -lxml2 -lfcgi -lstb -lwebp -lz)

XP_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DXP_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
XP_CFLAGS   = -std=c11 -Wall -Wextra -Werror -pthread
# libstemmer: Snowball stemmers for search words (libstemmer-dev)
STEM_LIBS   = -lstemmer -lm
XP_LIBS     = $(PKG_LIBS) $(STEM_LIBS) -pthread

BUILD     ?= build
SRCS       = $(wildcard cgi-src/*.c)
OBJS       = $(SRCS:cgi-src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS   = $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT_SRCS  = $(wildcard tests/unit/test-*.c)
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/xsltpress

$(BUILD)/xsltpress: $(OBJS)
	$(CC) $(CFLAGS) $(XP_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(XP_LIBS)

$(BUILD)/obj/%.o: cgi-src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(XP_CPPFLAGS) $(CFLAGS) $(XP_CFLAGS) -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(XP_CPPFLAGS) $(CFLAGS) $(XP_CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LIB_OBJS) $(XP_LIBS) -lcmocka

deps-build:
	@scripts/deps.sh build
deps-run:
	@scripts/deps.sh run
deps-test:
	@scripts/deps.sh test

run: deps-run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

# Unit tests (cmocka), then the real program behind a real nginx, then
# the pages in headless Chromium.
test: deps-test
	@$(MAKE) --no-print-directory all unit-bins
	@tests/run-all.sh

unit-bins: $(UNIT_BINS)

unit: unit-bins
	@status=0; for t in $(UNIT_BINS); do $$t || status=1; done; exit $$status

# The unit and integration suites under ASan+UBSan (a separate build in
# $(BUILD)/asan), and the integration suite under valgrind memcheck.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined

asan-build:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
		CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
		$(BUILD)/asan/xsltpress unit-bins

asan: deps-test asan-build
	@tests/sanitize.sh asan

tsan-build:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan \
		CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
		$(BUILD)/tsan/xsltpress

tsan: deps-test tsan-build
	@tests/sanitize.sh tsan

valgrind: deps-test all
	@tests/sanitize.sh valgrind

clean:
	rm -rf $(BUILD) tests/out

.PHONY: all run test unit unit-bins clean deps-build deps-run deps-test \
	asan asan-build tsan tsan-build valgrind

# Fragments owned by their folders: fuzzing, the benchmark, installation.
-include tests/fuzz/fuzz.mk
-include bench/bench.mk
-include mk/install.mk
-include mk/static.mk
