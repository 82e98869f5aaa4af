/* main.c - the command line, and the only place that decides to exit.
 *
 *   xsltpress [-c FILE] [-s SOCKET]   serve (FastCGI, or CGI when run so)
 *   xsltpress [-c FILE] check         validate articles and stylesheets
 *   xsltpress [-c FILE] render PATH   print the response for PATH
 *   xsltpress [-c FILE] export DIR    write the site as static files
 */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libxml/parser.h>
#include <libxslt/xslt.h>

#include "config.h"
#include "frontend.h"
#include "log.h"
#include "reindex.h"
#include "render.h"
#include "sandbox.h"
#include "server.h"

#ifndef XP_VERSION
#define XP_VERSION "0.1.0"
#endif
/* Without -c or $XSLTPRESS_CONF: the checkout's config when run from
 * one, else the system's. */
#ifndef XP_DEFAULT_CONF
#define XP_DEFAULT_CONF "conf/xsltpress.conf"
#endif
#ifndef XP_SYSTEM_CONF
#define XP_SYSTEM_CONF "/etc/xsltpress/xsltpress.conf"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: xsltpress [-c config] [-s unix:/path.sock | -s host:port]\n"
	    "       xsltpress [-c config] check\n"
	    "       xsltpress [-c config] render PATH\n"
	    "       xsltpress [-c config] export DIR\n"
	    "       xsltpress --help | --version\n"
	    "\n"
	    "Serves a folder of XML articles through XSLT over FastCGI: on the\n"
	    "socket given with -s, on fd 0 when a web server or spawn-fcgi\n"
	    "passes a listening socket, or as CGI when GATEWAY_INTERFACE is set.\n"
	    "The config file is -c, else $XSLTPRESS_CONF, else %s when it\n"
	    "exists, else %s; any key may be overridden as\n"
	    "XSLTPRESS_<KEY> in the environment.  A CGI script whose first\n"
	    "line is \"#!/path/to/xsltpress\" and whose other lines are config\n"
	    "lines is its own config file.\n",
	    XP_DEFAULT_CONF, XP_SYSTEM_CONF);
}

/* `check`: every problem as "file:line: reason" on stdout. */
static void
print_problem(void *ctx, enum log_level level, const struct xp_error *err,
    time_t serving_since)
{
	char text[1200];

	(void)level;
	(void)serving_since;
	xp_error_format(err, text, sizeof(text));
	printf("%s\n", text);
	(*(size_t *)ctx)++;
}

static void
print_media_problem(void *ctx, const struct xp_error *err)
{
	print_problem(ctx, LOG_WARN, err, 0);
}

/* The own files every article refers to (media.c says what is wrong). */
static void
check_media(struct config *cfg, struct folder *folder, size_t *problems)
{
	struct index *idx = folder_snapshot(folder, NULL);

	for (size_t i = 0; idx != NULL && i < idx->count; i++) {
		struct xp_error err;
		xmlDocPtr doc = article_document(idx->articles[i], &err);

		if (doc == NULL) {
			print_problem(problems, LOG_ERROR, &err, 0);
			continue;
		}
		media_check_body(NULL, cfg->articles_dir, idx->articles[i]->slug,
		    cfg->max_media_bytes, xmlDocGetRootElement(doc),
		    print_media_problem, problems);
		xmlFreeDoc(doc);
	}
	index_unref(idx);
}

static int
run_check(struct config *cfg)
{
	struct stylesheets *sheets = NULL;
	struct folder *folder;
	struct xp_error err;
	size_t problems = 0;

	folder = folder_new(cfg->articles_dir, cfg->max_article_bytes,
	    print_problem, &problems);
	if (folder == NULL || folder_scan(folder, &err) != XP_OK) {
		if (folder == NULL)
			xp_error_set(&err, XP_ERR_NOMEM, "", 0, "out of memory");
		print_problem(&problems, LOG_ERROR, &err, 0);
	} else {
		check_media(cfg, folder, &problems);
	}
	if (stylesheets_load(cfg->xslt_dir, &sheets, &err) != XP_OK)
		print_problem(&problems, LOG_ERROR, &err, 0);
	stylesheets_unref(sheets);
	folder_free(folder);
	if (problems == 0)
		fprintf(stderr, "xsltpress: %s and %s are fine\n",
		    cfg->articles_dir, cfg->xslt_dir);
	return problems == 0 ? 0 : 1;
}

/* True when PATH is a CGI script that is its own config: a regular file
 * whose first line is "#!/path/to/xsltpress".  The kernel runs the
 * program with the script's path as its first argument. */
static bool
is_self_config(const char *path)
{
	char magic[2];
	FILE *f;
	bool yes;

	if (path[0] == '-' || (f = fopen(path, "re")) == NULL)
		return false;
	yes = fread(magic, 1, 2, f) == 2 && magic[0] == '#' && magic[1] == '!';
	fclose(f);
	return yes;
}

/* Apache passes the words of a query without '=' (the old ISINDEX form)
 * to a CGI as arguments: from a reader, never commands or options. */
static bool
cgi_isindex_args(void)
{
	const char *q = getenv("QUERY_STRING");

	return getenv("GATEWAY_INTERFACE") != NULL &&
	    getenv("REQUEST_METHOD") != NULL && q != NULL && q[0] != '\0' &&
	    strchr(q, '=') == NULL;
}

/* A CGI without cache_dir gets a default one (see cgi_default_cache_dir);
 * CFG is still private to main here. */
static void
cgi_use_default_cache(struct config *cfg)
{
	char dir[PATH_MAX];
	struct xp_error err;

	if (cfg->cache_dir[0] != '\0')
		return;
	if (!cgi_default_cache_dir(cfg, dir, sizeof(dir))) {
		/* Every request is a new process: saying this at warn level
		 * would say it on every request.  `check` says it once. */
		log_msg(LOG_DEBUG, "no writable folder for the metadata cache;"
		    " every request reads every article (set cache_dir)");
		return;
	}
	if (config_set(cfg, "cache_dir", dir, "CGI default cache", 0,
	    &err) != XP_OK)
		log_error(LOG_WARN, &err);
	else
		log_msg(LOG_DEBUG, "metadata cache in %s", dir);
}

/* Landlock binds the calling thread and the threads it starts later, so
 * it must come before the watcher and the workers exist.  sandbox = yes
 * asks for confinement: without it the program must not serve at all
 * (ERR says why); sandbox = try serves unconfined with a warning. */
static enum xp_status
confine(struct server *server, struct xp_error *err)
{
	struct xp_error why;

	if (sandbox_confine(server->cfg, &why) == XP_OK)
		return XP_OK;
	if (server->cfg->sandbox == SANDBOX_TRY) {
		log_error(LOG_WARN, &why);
		log_msg(LOG_WARN, "sandbox = try: serving unconfined");
		return XP_OK;
	}
	return xp_error_set(err, why.status, why.file, why.line,
	    "%s; sandbox = yes refuses to serve unconfined (sandbox = try "
	    "would serve with a warning)", why.reason);
}

/* Caps glibc's malloc arenas at one a core.  By default glibc gives up to
 * eight a core, and each of the 16 worker threads keeps freed pages in
 * its own: under the hostile suite's soak the server's memory kept
 * climbing for a minute, from 43 to 60 MB, while with two arenas it
 * stayed at 22-23 MB.  MALLOC_ARENA_MAX in the environment still wins.
 * Not in the musl build, whose allocator has no arenas. */
static void
limit_malloc_arenas(void)
{
#ifdef __GLIBC__
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (getenv("MALLOC_ARENA_MAX") == NULL)
		(void)mallopt(M_ARENA_MAX, cores < 2 ? 2 : (int)cores);
#endif
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = getenv("XSLTPRESS_CONF"), *socket_spec = NULL;
	struct server server;
	struct config *cfg;
	struct xp_error err;
	int ch, status = 0, listen_fd = -1;
	bool as_cgi;
	bool fastcgi;

	if (conf_path == NULL)
		conf_path = access(XP_DEFAULT_CONF, R_OK) == 0 ? XP_DEFAULT_CONF
		    : XP_SYSTEM_CONF;
	if (argc >= 2 && is_self_config(argv[1])) {
		conf_path = argv[1];
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (cgi_isindex_args())
		argc = 1;
	while ((ch = getopt_long(argc, argv, "c:s:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			socket_spec = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xsltpress %s\n", XP_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	signal(SIGPIPE, SIG_IGN);
	xmlInitParser();
	LIBXML_TEST_VERSION;
	render_init();
	limit_malloc_arenas();
	log_capture_xml_errors();
	if (FCGX_Init() != 0) {
		fprintf(stderr, "xsltpress: cannot initialise libfcgi\n");
		return 1;
	}
	/* A web server's CGI call: whatever fails, it gets a page. */
	as_cgi = argc == 0 && socket_spec == NULL && FCGX_IsCGI() &&
	    getenv("GATEWAY_INTERFACE") != NULL;
	if (config_load(conf_path, &cfg, &err) != XP_OK) {
		if (as_cgi)
			cgi_fail(&err);
		else
			log_error(LOG_ERROR, &err);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(cfg->log_level));
	if (as_cgi)
		cgi_use_default_cache(cfg);

	if (argc >= 1 && strcmp(argv[0], "check") == 0) {
		char dir[PATH_MAX];

		if (cfg->cache_dir[0] == '\0' &&
		    !cgi_default_cache_dir(cfg, dir, sizeof(dir)))
			fprintf(stderr, "xsltpress: warning: no writable folder"
			    " for a CGI's metadata cache: as CGI, every request"
			    " reads every article (set cache_dir)\n");
		status = run_check(cfg);
		config_free(cfg);
		return status;
	}
	if ((argc >= 1 && strcmp(argv[0], "render") != 0 &&
	    strcmp(argv[0], "export") != 0)) {
		usage(stderr);
		config_free(cfg);
		return 2;
	}
	if (argc == 1 || argc > 2) {
		usage(stderr);
		config_free(cfg);
		return 2;
	}
	fastcgi = argc == 0 && (socket_spec != NULL || !FCGX_IsCGI());
	/* FastCGI reads the folder after it listens, on the watcher thread,
	 * answering meanwhile; the other modes need every article first. */
	if ((fastcgi ? server_open(&server, cfg, &err) :
	    server_init(&server, cfg, &err)) != XP_OK) {
		if (as_cgi)
			cgi_fail(&err);
		else
			log_error(LOG_ERROR, &err);
		server_release(&server);
		config_free(cfg);
		return 1;
	}
	config_free(cfg);   /* the server holds its own reference */
	/* An export or a render may run for minutes: longer than a lease
	 * may hold writers back.  A server copies once confined (watch.c). */
	if (!fastcgi && !as_cgi)
		server_copy_cache_aside(&server);

	if (argc == 2 && strcmp(argv[0], "export") == 0) {
		if (export_site(&server, argv[1], &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		}
	} else if (argc == 2) {
		if (cgi_render(&server, argv[1], stdout, &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		}
	} else if (fastcgi) {
		struct watcher watcher;

		listen_fd = socket_spec ? fcgi_listen(socket_spec,
		    server.cfg->listen_public,
		    fcgi_backlog(server.cfg->listen_backlog), &err) : 0;
		if (listen_fd == 0 && fcgi_check_inherited(0,
		    server.cfg->listen_public, &err) != XP_OK)
			listen_fd = -1;
		if (listen_fd < 0 ||
		    sandbox_drop_user(server.cfg, socket_spec &&
		    strncmp(socket_spec, "unix:", 5) == 0 ? socket_spec + 5 : NULL,
		    &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		} else if (fcgi_block_signals(), confine(&server, &err) != XP_OK ||
		    watch_start(&watcher, &server, conf_path, &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		} else {
			struct reindex_source source = server_reindex_source(&server);
			struct reindexer reindexer;

			if (reindex_start(&reindexer, &source, &err) != XP_OK)
				log_error(LOG_WARN, &err);
			else
				server_use_reindexer(&server, &reindexer);
			if (fcgi_serve(&server, listen_fd, &watcher, &err) != XP_OK) {
				log_error(LOG_ERROR, &err);
				status = 1;
			}
			watch_stop(&watcher);
			server_use_reindexer(&server, NULL);
			reindex_stop(&reindexer);
		}
		if (socket_spec != NULL && strncmp(socket_spec, "unix:", 5) == 0)
			unlink(socket_spec + 5);
	} else if (getenv("GATEWAY_INTERFACE") != NULL) {
		if (cgi_serve(&server, &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		}
	} else {
		usage(stderr);
		status = 2;
	}
	server_release(&server);
	xsltCleanupGlobals();
	xmlCleanupParser();
	return status;
}
