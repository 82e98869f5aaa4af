/* site.c - the unit a request reads: config, index and stylesheets. */
#include <stdlib.h>

#include "site.h"

struct site *
site_new(struct config *cfg, struct index *idx, struct stylesheets *sheets)
{
	struct site *site = calloc(1, sizeof(*site));

	if (site == NULL)
		return NULL;
	atomic_init(&site->refs, 1);
	site->cfg = config_ref(cfg);
	site->index = index_ref(idx);
	site->sheets = stylesheets_ref(sheets);
	return site;
}

struct site *
site_ref(struct site *site)
{
	if (site != NULL)
		atomic_fetch_add_explicit(&site->refs, 1, memory_order_relaxed);
	return site;
}

void
site_unref(struct site *site)
{
	if (site == NULL ||
	    atomic_fetch_sub_explicit(&site->refs, 1, memory_order_acq_rel) != 1)
		return;
	config_free(site->cfg);
	index_unref(site->index);
	stylesheets_unref(site->sheets);
	free(site);
}
