/* watch.c - follow the folders while serving, and publish what changed.
 *
 * inotify tells which file changed, so only that file is read again.  We
 * act on close-after-write and on renames, never on a bare modify, so a
 * file being written is read once it is complete.  A full rescan (which
 * still reads only files whose stamp changed) covers what inotify cannot
 * say: a queue overflow, the folder vanishing and coming back, polling. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

#define ARTICLE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_DELETE | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR)
#define SHEET_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_ATTRIB | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Compiles the stylesheets again; a set that no longer compiles leaves the
 * previous one in service.  Returns true when a new set was taken. */
static bool
reload_sheets(struct server *s)
{
	struct stylesheets *fresh;
	struct xp_error err;

	if (stylesheets_load(s->cfg->xslt_dir, &fresh, &err) != XP_OK) {
		char text[1200];

		xp_error_format(&err, text, sizeof(text));
		log_msg(LOG_ERROR, "%s; still serving the stylesheets of before",
		    text);
		return false;
	}
	stylesheets_unref(s->sheets);
	s->sheets = fresh;
	log_msg(LOG_INFO, "stylesheets reloaded from %s", s->cfg->xslt_dir);
	return true;
}

static bool
is_link(struct watcher *w, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", w->server->cfg->articles_dir, name);
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void
add_watches(struct watcher *w)
{
	struct server *s = w->server;

	if (w->inotify_fd < 0)
		return;
	if (w->articles_wd < 0)
		w->articles_wd = inotify_add_watch(w->inotify_fd,
		    s->cfg->articles_dir, ARTICLE_EVENTS);
	if (w->xslt_wd < 0)
		w->xslt_wd = inotify_add_watch(w->inotify_fd, s->cfg->xslt_dir,
		    SHEET_EVENTS);
}

/* Full rescan of the articles folder.  A folder that is gone keeps the
 * last index served; one log line says so, not one per attempt. */
static bool
rescan(struct watcher *w, bool *folder_missing)
{
	unsigned long before = w->server->folder->generation;
	struct xp_error err;

	if (folder_scan(w->server->folder, &err) != XP_OK) {
		if (!*folder_missing)
			log_msg(LOG_ERROR, "%s: %s; still serving the last index",
			    err.file, err.reason);
		*folder_missing = true;
		return false;
	}
	if (*folder_missing)
		log_msg(LOG_INFO, "%s is back", w->server->cfg->articles_dir);
	*folder_missing = false;
	return w->server->folder->generation != before;
}

/* SIGHUP: read the config again.  A bad config keeps the old one. */
static bool
reload_config(struct watcher *w)
{
	struct server *s = w->server;
	struct config *cfg, *old = s->cfg;
	struct folder *folder;
	struct xp_error err;

	if (config_load(w->config_path, &cfg, &err) != XP_OK) {
		char text[1200];

		xp_error_format(&err, text, sizeof(text));
		log_msg(LOG_ERROR, "%s; keeping the running config", text);
		return false;
	}
	log_set_level((enum log_level)log_level_parse(cfg->log_level));
	s->cfg = cfg;
	if (strcmp(cfg->articles_dir, old->articles_dir) != 0 ||
	    cfg->max_article_bytes != old->max_article_bytes) {
		folder = folder_new(cfg->articles_dir, cfg->max_article_bytes,
		    server_log_problem, NULL);
		if (folder != NULL)
			folder_set_lang(folder, cfg->lang);
		if (folder != NULL && folder_scan(folder, &err) == XP_OK) {
			folder_free(s->folder);
			s->folder = folder;
		} else {
			log_msg(LOG_ERROR, "%s: cannot read the new articles folder;"
			    " keeping the old one", cfg->articles_dir);
			folder_free(folder);
		}
	}
	reload_sheets(s);
	if (w->inotify_fd >= 0) {
		if (w->articles_wd >= 0)
			inotify_rm_watch(w->inotify_fd, w->articles_wd);
		if (w->xslt_wd >= 0)
			inotify_rm_watch(w->inotify_fd, w->xslt_wd);
		w->articles_wd = w->xslt_wd = -1;
		add_watches(w);
	}
	config_free(old);
	log_msg(LOG_INFO, "configuration reloaded from %s", w->config_path);
	return true;
}

/* How long to let a burst of events settle (a git checkout, rm -rf)
 * before acting on it, so it is applied and published once. */
#define SETTLE_MS 20

/* Reads inotify events until the burst settles and applies them.  Sets
 * *CHANGED when the published site must be rebuilt.  When the folder
 * itself is gone at the end of the burst, the per-file deletions it
 * brought are not applied: a vanished folder keeps the last index. */
static void
drain_inotify(struct watcher *w, bool *changed, bool *need_rescan,
    bool *sheets_changed)
{
	char events[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { w->inotify_fd, POLLIN, 0 };
	struct strmap names = STRMAP_INIT;   /* name -> itself, owned */
	const char *key;
	struct stat st;
	void *value;
	ssize_t n;

	do {
		while ((n = read(w->inotify_fd, events, sizeof(events))) > 0) {
			for (char *p = events; p < events + n;) {
				struct inotify_event *ev = (struct inotify_event *)p;

				p += sizeof(*ev) + ev->len;
				if (ev->mask & IN_Q_OVERFLOW) {
					*need_rescan = true;
				} else if (ev->wd == w->xslt_wd) {
					if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
						w->xslt_wd = -1;
					*sheets_changed = true;
				} else if (ev->wd != w->articles_wd) {
					continue;
				} else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
					w->articles_wd = -1;
					*need_rescan = true;
				} else if (ev->len > 0 && !(ev->mask & IN_ISDIR) &&
				    strmap_get(&names, ev->name) == NULL &&
				    !(ev->mask == IN_CREATE && !is_link(w, ev->name))) {
					/* A bare create is a file about to be
					 * written: its close will come.  Links are
					 * never written, so they count at once. */
					char *name = strdup(ev->name);

					if (name == NULL || !strmap_put(&names, name, name)) {
						free(name);
						*need_rescan = true;
					}
				}
			}
		}
	} while (poll(&pfd, 1, SETTLE_MS) > 0);

	if (stat(w->server->cfg->articles_dir, &st) != 0)
		*need_rescan = true;     /* the rescan logs and keeps the index */
	for (size_t i = 0; strmap_next(&names, &i, &key, &value);) {
		if (!*need_rescan && folder_update(w->server->folder, key))
			*changed = true;
		free(value);
	}
	strmap_release(&names);
}

static void *
watch_main(void *arg)
{
	struct watcher *w = arg;
	struct server *s = w->server;
	uint64_t sheets_fp = stylesheets_dir_stamp(s->cfg->xslt_dir);
	bool folder_missing = false;

	log_capture_xml_errors();
	for (;;) {
		struct pollfd fds[2] = {
			{ w->wake_fd, POLLIN, 0 },
			{ w->inotify_fd, POLLIN, 0 },
		};
		bool changed = false, need_rescan = false, sheets_changed = false;
		bool polling = s->cfg->watch == WATCH_POLL ||
		    (s->cfg->watch == WATCH_INOTIFY &&
		    (w->inotify_fd < 0 || w->articles_wd < 0 || w->xslt_wd < 0));
		int timeout = polling ? (int)s->cfg->poll_interval * 1000 : -1;
		uint64_t ticks;
		unsigned requests;

		if (s->cfg->watch == WATCH_OFF)
			timeout = -1;
		if (poll(fds, w->inotify_fd >= 0 ? 2 : 1, timeout) < 0 &&
		    errno != EINTR)
			break;
		if ((fds[0].revents & POLLIN) &&
		    read(w->wake_fd, &ticks, sizeof(ticks)) < 0)
			log_msg(LOG_DEBUG, "watcher wake: %s", strerror(errno));
		requests = atomic_exchange(&w->pending, 0);
		if (requests & WATCH_STOP)
			break;
		if (requests & WATCH_RELOAD_CONFIG)
			changed |= reload_config(w);
		if (w->inotify_fd >= 0 && (fds[1].revents & POLLIN))
			drain_inotify(w, &changed, &need_rescan, &sheets_changed);
		if (polling) {
			need_rescan = true;
			if (stylesheets_dir_stamp(s->cfg->xslt_dir) != sheets_fp)
				sheets_changed = true;
		}
		if (w->inotify_fd >= 0 && (w->articles_wd < 0 || w->xslt_wd < 0)) {
			add_watches(w);
			if (w->articles_wd >= 0 && folder_missing)
				need_rescan = true;
		}
		if (need_rescan)
			changed |= rescan(w, &folder_missing);
		if (sheets_changed) {
			sheets_fp = stylesheets_dir_stamp(s->cfg->xslt_dir);
			changed |= reload_sheets(s);
		}
		if (changed && !server_publish(s))
			log_msg(LOG_ERROR, "out of memory publishing the new index;"
			    " still serving the previous one");
	}
	return NULL;
}

enum xp_status
watch_start(struct watcher *w, struct server *s, const char *config_path,
    struct xp_error *err)
{
	memset(w, 0, sizeof(*w));
	w->server = s;
	w->config_path = config_path;
	w->inotify_fd = w->articles_wd = w->xslt_wd = -1;
	atomic_init(&w->pending, 0);
	if ((w->wake_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		return xp_error_set(err, XP_ERR_IO, "eventfd", 0, "%s",
		    strerror(errno));
	if (s->cfg->watch == WATCH_INOTIFY) {
		w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (w->inotify_fd < 0)
			log_msg(LOG_WARN, "inotify unavailable (%s): polling every"
			    " %u s instead", strerror(errno), s->cfg->poll_interval);
		add_watches(w);
		/* Changes made between the first scan and the watch. */
		folder_scan(s->folder, NULL);
		server_publish(s);
	}
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		close(w->wake_fd);
		if (w->inotify_fd >= 0)
			close(w->inotify_fd);
		return xp_error_set(err, XP_ERR_NOMEM, "watcher", 0,
		    "cannot start the watcher thread");
	}
	w->running = true;
	return XP_OK;
}

void
watch_request(struct watcher *w, enum watch_request request)
{
	uint64_t v = 1;

	atomic_fetch_or(&w->pending, (unsigned)request);
	if (write(w->wake_fd, &v, sizeof(v)) != sizeof(v))
		log_msg(LOG_ERROR, "cannot wake the watcher: %s", strerror(errno));
}

void
watch_stop(struct watcher *w)
{
	if (w->running) {
		watch_request(w, WATCH_STOP);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	if (w->inotify_fd >= 0)
		close(w->inotify_fd);
	close(w->wake_fd);
	w->inotify_fd = w->wake_fd = -1;
}
