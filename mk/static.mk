# mk/static.mk - one statically linked executable for shared hosting, and
# the archive a shared-hosting customer downloads (included from the
# Makefile with "-include mk/static.mk").
#
#   make static     $(BUILD)/static/xsltpress: musl, no shared libraries
#   make dist-cgi   $(BUILD)/xsltpress-$(VERSION)-x86_64-linux-cgi.tar.gz
#
# The libraries (libxml2, libxslt/libexslt, libfcgi with a parameter-length
# cap, zlib, libwebp's decoder, libstemmer, stb_image) are built from
# Debian's source packages by scripts/static-libs.sh into
# $(BUILD)/static/root, once; the program's objects go to
# $(BUILD)/static/obj.  A second `make static` only relinks what changed.

STATIC_DIR  = $(BUILD)/static
STATIC_ROOT = $(STATIC_DIR)/root
STATIC_CC  ?= musl-gcc
DIST_CGI    = $(BUILD)/xsltpress-$(VERSION)-x86_64-linux-cgi

deps-static:
	@scripts/deps.sh static

# libstb.a is the last library the script writes.
$(STATIC_ROOT)/lib/libstb.a: scripts/static-libs.sh scripts/libfcgi-param-cap.patch \
		scripts/static-stb.c
	@scripts/static-libs.sh $(STATIC_DIR)

# The same Makefile rules as the ordinary build, with musl and the
# libraries above; -Os and --gc-sections keep the file small.
static: deps-static $(STATIC_ROOT)/lib/libstb.a
	@$(MAKE) --no-print-directory BUILD=$(STATIC_DIR) CC=$(STATIC_CC) \
		CFLAGS="-Os -ffunction-sections -fdata-sections" CPPFLAGS= \
		PKG_CFLAGS="-I$(STATIC_ROOT)/include/libxml2 -I$(STATIC_ROOT)/include -idirafter $(STATIC_DIR)/kinc" \
		PKG_LIBS="-L$(STATIC_ROOT)/lib -lexslt -lxslt -lxml2 -lfcgi -lstb -lwebp -lz -lm" \
		LDFLAGS="-static -s -Wl,--gc-sections" \
		$(STATIC_DIR)/xsltpress
	@ls -l $(STATIC_DIR)/xsltpress | awk '{ print "static: " $$NF ", " $$5 " bytes" }'

# What a shared-hosting customer uploads: the program, the stylesheets, a
# self-configuring blog.cgi, the .htaccess for pretty URLs, and how.
dist-cgi: static
	rm -rf $(DIST_CGI)
	mkdir -p $(DIST_CGI)/site/articles
	cp $(STATIC_DIR)/xsltpress $(DIST_CGI)/xsltpress
	cp -r xslt $(DIST_CGI)/site/xslt
	cp articles/designing-a-url-shortener.xml $(DIST_CGI)/site/articles/
	cp conf/blog.cgi $(DIST_CGI)/blog.cgi
	cp conf/apache-cgi.htaccess $(DIST_CGI)/htaccess
	cp conf/SHARED-HOSTING.txt $(DIST_CGI)/README.txt
	chmod 0755 $(DIST_CGI)/xsltpress $(DIST_CGI)/blog.cgi
	tar -C $(BUILD) -czf $(DIST_CGI).tar.gz $(notdir $(DIST_CGI))
	rm -rf $(DIST_CGI)
	@echo "dist-cgi: $(DIST_CGI).tar.gz"

.PHONY: static deps-static dist-cgi
