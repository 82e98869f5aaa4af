/* fuzz-config.c - libFuzzer harness for config_parse (cgi-src/config.c).
 *
 * The input is a config file's text, parsed over the built-in defaults.
 * config_parse takes a C string, so the input stops at its first NUL (as
 * config_load refuses files holding one). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

static void
check_string(const char *s)
{
	if (s == NULL)
		abort();
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();   /* control characters are refused */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = config_new_defaults();
	struct xp_error err;
	enum xp_status st;
	char *text;
	size_t n;

	if (cfg == NULL)
		abort();
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	xp_error_clear(&err);
	st = config_parse(cfg, "fuzz.conf", text, &err);
	free(text);
	if (st != XP_OK && (err.status == XP_OK || err.reason[0] == '\0'))
		abort();
	/* Whatever was parsed, even half way, the config stays consistent. */
	check_string(cfg->articles_dir);
	check_string(cfg->xslt_dir);
	check_string(cfg->cache_dir);
	check_string(cfg->site_name);
	check_string(cfg->listing_heading);
	check_string(cfg->listing_intro);
	check_string(cfg->lang);
	check_string(cfg->base_url);
	check_string(cfg->log_level);
	check_string(cfg->csp);
	check_string(cfg->referrer_policy);
	check_string(cfg->base_path);
	n = strlen(cfg->base_path);
	if (cfg->base_path[0] != '/' || cfg->base_path[n - 1] != '/')
		abort();
	if (cfg->per_page < 1 || cfg->per_page > 1000 || cfg->threads < 1 ||
	    cfg->threads > 1024 || cfg->max_article_bytes < 1024 ||
	    cfg->poll_interval < 1)
		abort();
	(void)log_level_parse(cfg->log_level);
	config_free(config_ref(cfg));
	config_free(cfg);
	return 0;
}
