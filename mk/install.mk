# mk/install.mk - `make install` and `make uninstall` (included from the
# Makefile with "-include mk/install.mk").
#
#   make install                      under /usr/local
#   make install PREFIX=/usr          as a distribution package would
#   make install DESTDIR=/tmp/stage   staged (every path is prefixed)
#   make uninstall [PREFIX=...] [DESTDIR=...]
#
# What goes where (PREFIX defaults to /usr/local):
#   $(PREFIX)/bin/xsltpress                      the program
#   $(PREFIX)/share/xsltpress/xslt/              the stylesheets and assets
#   $(PREFIX)/share/xsltpress/xsltpress.conf     sample config (xslt_dir set
#                                                to the installed stylesheets)
#   $(PREFIX)/share/xsltpress/examples/          web server, systemd and
#                                                spawn-fcgi configurations
#   $(PREFIX)/share/man/man8/xsltpress.8
#   $(PREFIX)/share/man/man5/xsltpress.conf.5
# With PREFIX=/usr the sample config goes to /etc/xsltpress/xsltpress.conf
# instead, and an existing one there is never overwritten nor removed by
# uninstall once edited (it is kept when it differs from the sample).
#
# BUILD (the build directory, from the Makefile) holds the program.

PREFIX      ?= /usr/local
DESTDIR     ?=
INSTALL     ?= install
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share/xsltpress
MANDIR      ?= $(PREFIX)/share/man
ifeq ($(PREFIX),/usr)
CONFDIR     ?= /etc/xsltpress
else
CONFDIR     ?= $(DATADIR)
endif

XP_XSLT_FILES    = $(notdir $(wildcard xslt/*))
XP_EXAMPLE_FILES = nginx-site.conf nginx-fleet.conf apache-proxy-fcgi.conf \
                   apache-fcgid.conf apache-cgi.htaccess apache-cgi.conf lighttpd.conf \
                   xsltpress.socket xsltpress.service spawn-fcgi.sh

install: $(BUILD)/xsltpress
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/xslt
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/examples
	$(INSTALL) -d $(DESTDIR)$(CONFDIR)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 0755 $(BUILD)/xsltpress $(DESTDIR)$(BINDIR)/xsltpress
	$(INSTALL) -m 0644 $(addprefix xslt/,$(XP_XSLT_FILES)) $(DESTDIR)$(DATADIR)/xslt/
	$(INSTALL) -m 0644 $(addprefix conf/,$(filter-out spawn-fcgi.sh,$(XP_EXAMPLE_FILES))) $(DESTDIR)$(DATADIR)/examples/
	$(INSTALL) -m 0755 conf/spawn-fcgi.sh $(DESTDIR)$(DATADIR)/examples/spawn-fcgi.sh
	sed -e 's|^articles_dir = .*|articles_dir = /srv/xsltpress/articles|' \
	    -e 's|^xslt_dir = .*|xslt_dir = $(DATADIR)/xslt|' \
	    conf/xsltpress.conf > $(DESTDIR)$(DATADIR)/.xsltpress.conf.sample
	if [ ! -e $(DESTDIR)$(CONFDIR)/xsltpress.conf ] || \
	   cmp -s $(DESTDIR)$(DATADIR)/.xsltpress.conf.sample $(DESTDIR)$(CONFDIR)/xsltpress.conf; then \
	    $(INSTALL) -m 0644 $(DESTDIR)$(DATADIR)/.xsltpress.conf.sample $(DESTDIR)$(CONFDIR)/xsltpress.conf; \
	else \
	    echo "install: keeping the edited $(DESTDIR)$(CONFDIR)/xsltpress.conf"; \
	fi
	rm -f $(DESTDIR)$(DATADIR)/.xsltpress.conf.sample
	$(INSTALL) -m 0644 man/xsltpress.8 $(DESTDIR)$(MANDIR)/man8/xsltpress.8
	$(INSTALL) -m 0644 man/xsltpress.conf.5 $(DESTDIR)$(MANDIR)/man5/xsltpress.conf.5

# Removes exactly what install wrote, then the program's own directories
# when they are empty (never $(PREFIX)/bin or the man directories).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/xsltpress
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/xslt/,$(XP_XSLT_FILES))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/examples/,$(XP_EXAMPLE_FILES))
	sed -e 's|^articles_dir = .*|articles_dir = /srv/xsltpress/articles|' \
	    -e 's|^xslt_dir = .*|xslt_dir = $(DATADIR)/xslt|' \
	    conf/xsltpress.conf | cmp -s - $(DESTDIR)$(CONFDIR)/xsltpress.conf && \
	    rm -f $(DESTDIR)$(CONFDIR)/xsltpress.conf || \
	    { [ ! -e $(DESTDIR)$(CONFDIR)/xsltpress.conf ] || \
	      echo "uninstall: keeping the edited $(DESTDIR)$(CONFDIR)/xsltpress.conf"; }
	rm -f $(DESTDIR)$(MANDIR)/man8/xsltpress.8
	rm -f $(DESTDIR)$(MANDIR)/man5/xsltpress.conf.5
	rmdir $(DESTDIR)$(DATADIR)/xslt $(DESTDIR)$(DATADIR)/examples 2>/dev/null || true
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true
	rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true

.PHONY: install uninstall
