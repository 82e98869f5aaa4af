/* site.h - one consistent view of the site: a config, an index snapshot
 * and a stylesheet set.  A request holds one site from start to end. */
#ifndef XP_SITE_H
#define XP_SITE_H

#include <stdatomic.h>

#include "config.h"
#include "index.h"
#include "media.h"
#include "render.h"

struct site {
	atomic_int refs;
	struct config *cfg;
	struct index *index;
	struct stylesheets *sheets;
	struct media_cache *media;  /* the server's, borrowed; NULL: none */
};

/* Returns a site holding new references to CFG, IDX and SHEETS (the
 * caller keeps its own), with one reference; NULL when out of memory. */
struct site *site_new(struct config *cfg, struct index *idx,
    struct stylesheets *sheets);
struct site *site_ref(struct site *site);
/* Drops one reference; the last drops the site's parts. NULL is fine. */
void site_unref(struct site *site);

#endif
