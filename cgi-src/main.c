/* main.c - the command line, and the only place that decides to exit.
 *
 *   xsltpress [-c FILE] [-s SOCKET]   serve (FastCGI, or CGI when run so)
 *   xsltpress [-c FILE] check         validate articles and stylesheets
 *   xsltpress [-c FILE] render PATH   print the response for PATH
 *   xsltpress [-c FILE] export DIR    write the site as static files
 */
#include <getopt.h>
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
	    "XSLTPRESS_<KEY> in the environment.\n",
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

/* Landlock binds the calling thread and the threads it starts later, so
 * it must come before the watcher and the workers exist. */
static void
confine(struct server *server)
{
	struct xp_error err;

	if (sandbox_confine(server->cfg, &err) != XP_OK)
		log_error(LOG_WARN, &err);
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
	bool fastcgi;

	if (conf_path == NULL)
		conf_path = access(XP_DEFAULT_CONF, R_OK) == 0 ? XP_DEFAULT_CONF
		    : XP_SYSTEM_CONF;
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
	log_capture_xml_errors();
	if (FCGX_Init() != 0) {
		fprintf(stderr, "xsltpress: cannot initialise libfcgi\n");
		return 1;
	}
	if (config_load(conf_path, &cfg, &err) != XP_OK) {
		log_error(LOG_ERROR, &err);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(cfg->log_level));

	if (argc >= 1 && strcmp(argv[0], "check") == 0) {
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
		log_error(LOG_ERROR, &err);
		server_release(&server);
		config_free(cfg);
		return 1;
	}
	config_free(cfg);   /* the server holds its own reference */

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

		listen_fd = socket_spec ? fcgi_listen(socket_spec, &err) : 0;
		if (listen_fd < 0 ||
		    sandbox_drop_user(server.cfg, socket_spec &&
		    strncmp(socket_spec, "unix:", 5) == 0 ? socket_spec + 5 : NULL,
		    &err) != XP_OK) {
			log_error(LOG_ERROR, &err);
			status = 1;
		} else if (fcgi_block_signals(), confine(&server),
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
