/* watch.h - the loader thread: follows the articles folder and the
 * stylesheet folder (inotify, or polling), reloads the config on SIGHUP,
 * and publishes a new site after every change.
 *
 * It is the only thread that touches server->folder, ->sheets and ->cfg
 * after start-up; request threads only ever see published sites. */
#ifndef XP_WATCH_H
#define XP_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "server.h"

struct watcher {
	struct server *server;
	const char *config_path;    /* re-read on SIGHUP; borrowed */
	pthread_t thread;
	int wake_fd;                /* eventfd: wakes the thread */
	atomic_uint pending;        /* enum watch_request bits not yet done */
	int inotify_fd;             /* -1 when polling or off */
	int articles_wd, xslt_wd;   /* inotify watches, -1 when none */
	/* The folders holding articles_dir and xslt_dir: a deploy that
	 * re-points a symbolic link there (articles -> releases/N)
	 * changes no file in the folder we watch.  -1 when none. */
	int articles_parent_wd, xslt_parent_wd;
	/* The folders the two paths resolved to when last read (device and
	 * inode; dev 0 and ino 0 when unknown): checked on every wake and on
	 * a slow timer, so a swap anywhere up the path is noticed. */
	dev_t articles_dev, xslt_dev;
	ino_t articles_ino, xslt_ino;
	bool running;
};

enum watch_request { WATCH_RELOAD_CONFIG = 1, WATCH_STOP = 2 };

/* Starts the loader thread for S (opened with server_open): it reads the
 * folder for the first time (server_load), then follows it.  CONFIG_PATH
 * must outlive the watcher.  On failure (no thread, no eventfd) ERR says
 * why and nothing runs. */
enum xp_status watch_start(struct watcher *w, struct server *s,
    const char *config_path, struct xp_error *err);

/* Asks the loader thread for REQUEST; safe from any thread. */
void watch_request(struct watcher *w, enum watch_request request);

/* Stops the thread (if it runs) and releases what it holds. */
void watch_stop(struct watcher *w);

#endif
