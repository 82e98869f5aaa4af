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
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

#define ARTICLE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_DELETE | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR)
#define SHEET_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_ATTRIB | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* In the folders holding the two: a link or folder put in place, taken. */
#define PARENT_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
	IN_ONLYDIR | IN_MASK_ADD)

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

/* The folder PATH names an entry of, into OUT: "a/b/" -> "a", "b" -> ".". */
static void
parent_of(const char *path, char *out, size_t size)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		snprintf(out, size, ".");
	else
		snprintf(out, size, "%.*s", (int)n, path);
}

/* Drops the watch *WD (a watch on a folder renamed away stays alive in
 * the kernel until removed: a deploy that renames folders would pile them
 * up) and marks it gone. */
static void
unwatch(struct watcher *w, int *wd)
{
	if (*wd >= 0 && w->inotify_fd >= 0)
		inotify_rm_watch(w->inotify_fd, *wd);
	*wd = -1;
}

/* The parent watches may be one (both folders in one parent) or coincide
 * with a folder's own watch (IN_MASK_ADD merged them): only a watch that
 * is nobody else's is removed. */
static void
unwatch_parents(struct watcher *w)
{
	int a = w->articles_parent_wd, x = w->xslt_parent_wd;

	w->articles_parent_wd = w->xslt_parent_wd = -1;
	if (a == w->articles_wd || a == w->xslt_wd)
		a = -1;
	if (x == a || x == w->articles_wd || x == w->xslt_wd)
		x = -1;
	unwatch(w, &a);
	unwatch(w, &x);
}

/* Watches what is not watched.  The parents are watched after the
 * folders, and adding to what a watch already asks (IN_MASK_ADD), since
 * a folder's own watch replaces the mask of the inode it is on. */
static void
add_watches(struct watcher *w)
{
	struct server *s = w->server;
	char parent[PATH_MAX];
	bool added = false;

	if (w->inotify_fd < 0)
		return;
	if (w->articles_wd < 0) {
		w->articles_wd = inotify_add_watch(w->inotify_fd,
		    s->cfg->articles_dir, ARTICLE_EVENTS);
		added = true;
	}
	if (w->xslt_wd < 0) {
		w->xslt_wd = inotify_add_watch(w->inotify_fd, s->cfg->xslt_dir,
		    SHEET_EVENTS);
		added = true;
	}
	if (!added)
		return;
	unwatch_parents(w);
	parent_of(s->cfg->articles_dir, parent, sizeof(parent));
	w->articles_parent_wd = inotify_add_watch(w->inotify_fd, parent,
	    PARENT_EVENTS);
	parent_of(s->cfg->xslt_dir, parent, sizeof(parent));
	w->xslt_parent_wd = inotify_add_watch(w->inotify_fd, parent,
	    PARENT_EVENTS);
}

/* True when PATH now resolves to another folder than *DEV and *INO, which are
 * updated.  A path that resolves to nothing is not a move: the vanished
 * folder is handled as such.  The first look (both 0) only records. */
static bool
moved(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;
	bool known = *dev != 0 || *ino != 0;

	if (stat(path, &st) != 0 || (st.st_dev == *dev && st.st_ino == *ino))
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return known;
}

/* A symbolic link re-pointed by a deploy (articles -> releases/N),
 * here or anywhere up the path: the folder we watch is then the old
 * release, which nothing changes any more.  Watch the new one and read it
 * all. */
static void
follow_moves(struct watcher *w, bool *need_rescan, bool *sheets_changed)
{
	struct config *cfg = w->server->cfg;

	if (moved(cfg->articles_dir, &w->articles_dev, &w->articles_ino)) {
		log_msg(LOG_INFO, "%s now leads to another folder; reading it",
		    cfg->articles_dir);
		unwatch(w, &w->articles_wd);
		*need_rescan = true;
	}
	if (moved(cfg->xslt_dir, &w->xslt_dev, &w->xslt_ino)) {
		log_msg(LOG_INFO, "%s now leads to another folder; reading it",
		    cfg->xslt_dir);
		unwatch(w, &w->xslt_wd);
		*sheets_changed = true;
	}
	add_watches(w);
}

/* Forgets every watch and what the paths resolved to, and watches the
 * paths of the current config afresh. */
static void
rewatch(struct watcher *w)
{
	unwatch_parents(w);
	unwatch(w, &w->articles_wd);
	unwatch(w, &w->xslt_wd);
	w->articles_dev = w->xslt_dev = 0;
	w->articles_ino = w->xslt_ino = 0;
	moved(w->server->cfg->articles_dir, &w->articles_dev, &w->articles_ino);
	moved(w->server->cfg->xslt_dir, &w->xslt_dev, &w->xslt_ino);
	add_watches(w);
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

/* After a failed reload that had let the running folder's metadata cache
 * go: the running folder takes it back. */
static void
reattach_cache(struct server *s)
{
	struct metacache *mc;
	struct xp_error err;

	if (s->cfg->cache_dir[0] == '\0')
		return;
	if ((mc = metacache_open(s->cfg->cache_dir, s->cfg->articles_dir,
	    &err)) == NULL)
		log_error(LOG_WARN, &err);
	else {
		metacache_copy_aside(mc);
		folder_use_metacache(s->folder, mc);
	}
}

/* SIGHUP: read the config again.  All or nothing: the folder and the
 * stylesheets a new config names are read before anything switches, and
 * if one cannot be, the running config stays whole, so the next SIGHUP
 * compares against it and tries again.  Returns true when it switched. */
static bool
reload_config(struct watcher *w)
{
	struct server *s = w->server;
	struct config *cfg, *old = s->cfg;
	struct stylesheets *sheets = NULL;
	struct folder *folder = NULL;
	bool new_folder, new_sheets;
	struct xp_error err;
	char text[1200];

	if (config_load(w->config_path, &cfg, &err) != XP_OK) {
		xp_error_format(&err, text, sizeof(text));
		log_msg(LOG_ERROR, "%s; keeping the running config", text);
		return false;
	}
	new_folder = strcmp(cfg->articles_dir, old->articles_dir) != 0 ||
	    strcmp(cfg->cache_dir, old->cache_dir) != 0 ||
	    cfg->max_article_bytes != old->max_article_bytes;
	new_sheets = strcmp(cfg->xslt_dir, old->xslt_dir) != 0;
	if (new_sheets &&
	    stylesheets_load(cfg->xslt_dir, &sheets, &err) != XP_OK)
		goto fail;
	if (new_folder) {
		/* Two caches open on one cache_dir would each save over the
		 * other: the running folder's is saved and let go first. */
		folder_drop_metacache(s->folder);
		if ((folder = server_folder_for(cfg, &err)) != NULL)
			folder->stop = &s->stopping;
		if (folder == NULL || folder_scan(folder, &err) != XP_OK) {
			reattach_cache(s);
			goto fail;
		}
	}
	log_set_level((enum log_level)log_level_parse(cfg->log_level));
	s->cfg = cfg;
	if (folder != NULL) {
		folder_free(s->folder);
		s->folder = folder;
	}
	if (sheets != NULL) {
		stylesheets_unref(s->sheets);
		s->sheets = sheets;
		log_msg(LOG_INFO, "stylesheets loaded from %s", cfg->xslt_dir);
	}
	if (new_folder || new_sheets)
		rewatch(w);
	config_free(old);
	log_msg(LOG_INFO, "configuration reloaded from %s", w->config_path);
	return true;
fail:
	xp_error_format(&err, text, sizeof(text));
	log_msg(LOG_ERROR, "%s; keeping the running config (%s) until a"
	    " SIGHUP finds it ready", text, w->config_path);
	folder_free(folder);
	stylesheets_unref(sheets);
	config_free(cfg);
	return false;
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Takes one inotify event.  Returns true when it is one a burst must
 * settle on: an article file, a stylesheet, a folder itself.  Ignored
 * names (a sync tool's state file, an editor's swap file) and the parent
 * folders' events are not: they only wake the loop, which looks at where
 * the paths lead. */
static bool
take_event(struct watcher *w, const struct inotify_event *ev,
    struct strmap *names, bool *need_rescan, bool *sheets_changed)
{
	char slug[SLUG_MAX + 1];
	char *name;

	if (ev->mask & IN_Q_OVERFLOW) {
		*need_rescan = true;
		return true;
	}
	if (ev->wd == w->xslt_wd) {
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
			unwatch(w, &w->xslt_wd);
		*sheets_changed = true;
		return true;
	}
	if (ev->wd != w->articles_wd)
		return false;
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		unwatch(w, &w->articles_wd);
		*need_rescan = true;
		return true;
	}
	if (ev->len == 0 || (ev->mask & IN_ISDIR) ||
	    article_name_kind(ev->name, slug) == NAME_IGNORED)
		return false;
	/* A bare create is a file about to be written: its close will come.
	 * Links are never written, so they count at once. */
	if (ev->mask == IN_CREATE && !is_link(w, ev->name))
		return false;
	if (strmap_get(names, ev->name) != NULL)
		return true;
	if ((name = strdup(ev->name)) == NULL || !strmap_put(names, name, name)) {
		free(name);
		*need_rescan = true;
	}
	return true;
}

/* How long a burst of events (a git checkout, rm -rf) may settle before
 * it is applied, so it is published once: 20 ms of quiet, but never more
 * than 200 ms in all, so a folder written to without a pause still
 * publishes five times a second. */
#define SETTLE_MS 20
#define SETTLE_MAX_MS 200

/* Reads inotify events until the burst settles and applies them.  Sets
 * *CHANGED when the published site must be rebuilt.  A request to the
 * watcher (stop, reload) ends the wait at once.  When the folder itself
 * is gone at the end of the burst, the per-file deletions it brought are
 * not applied: a vanished folder keeps the last index. */
static void
drain_inotify(struct watcher *w, bool *changed, bool *need_rescan,
    bool *sheets_changed)
{
	char events[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd[2] = {
		{ w->inotify_fd, POLLIN, 0 },
		{ w->wake_fd, POLLIN, 0 },
	};
	struct strmap names = STRMAP_INIT;   /* name -> itself, owned */
	int64_t start = now_ms(), last = -1; /* the last event that counts */
	const char *key;
	struct stat st;
	void *value;
	ssize_t n;

	for (;;) {
		int64_t now, wait;

		while ((n = read(w->inotify_fd, events, sizeof(events))) > 0) {
			for (char *p = events; p < events + n;) {
				struct inotify_event *ev = (struct inotify_event *)p;

				p += sizeof(*ev) + ev->len;
				if (take_event(w, ev, &names, need_rescan,
				    sheets_changed))
					last = now_ms();
			}
		}
		if (last < 0)
			break;      /* nothing worth waiting on */
		now = now_ms();
		wait = last + SETTLE_MS - now;
		if (start + SETTLE_MAX_MS - now < wait)
			wait = start + SETTLE_MAX_MS - now;
		if (wait <= 0 || poll(pfd, 2, (int)wait) <= 0 ||
		    (pfd[1].revents & POLLIN))
			break;
	}

	if (stat(w->server->cfg->articles_dir, &st) != 0)
		*need_rescan = true;     /* the rescan logs and keeps the index */
	for (size_t i = 0; strmap_next(&names, &i, &key, &value);) {
		if (!*need_rescan && folder_update(w->server->folder, key))
			*changed = true;
		free(value);
	}
	strmap_release(&names);
}

/* How often, with nothing else happening, the watcher looks where the
 * folders' paths lead (a link re-pointed above the watched parents). */
#define MOVE_CHECK_MS 1000

/* The first read of the folder, on this thread so that the server
 * answers meanwhile.  Returns true once it has happened. */
static bool
first_load(struct server *s, bool *folder_missing)
{
	struct timespec t0;
	struct xp_error err;
	struct site *site;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The cache file, mapped at start, is copied while the folder is
	 * read: a server outlives the few seconds its lease may hold. */
	server_copy_cache_aside(s);
	if (server_load(s, &err) != XP_OK) {
		if (!*folder_missing && !atomic_load(&s->stopping))
			log_msg(LOG_ERROR, "%s: %s; trying again", err.file,
			    err.reason);
		*folder_missing = true;
		return false;
	}
	*folder_missing = false;
	secs = (double)(now_ms() - ((int64_t)t0.tv_sec * 1000 +
	    t0.tv_nsec / 1000000)) / 1000.0;
	site = server_site(s);
	log_msg(LOG_INFO, "%s: %zu articles loaded in %.2f s",
	    s->cfg->articles_dir, site->index->count, secs);
	site_unref(site);
	server_save(s);
	return true;
}

static void *
watch_main(void *arg)
{
	struct watcher *w = arg;
	struct server *s = w->server;
	uint64_t sheets_fp = stylesheets_dir_stamp(s->cfg->xslt_dir);
	bool folder_missing = false, loaded;

	log_capture_xml_errors();
	rewatch(w);
	/* After the watches: a change made during the load is seen twice
	 * at worst, never missed. */
	loaded = first_load(s, &folder_missing);
	for (;;) {
		struct pollfd fds[2] = {
			{ w->wake_fd, POLLIN, 0 },
			{ w->inotify_fd, POLLIN, 0 },
		};
		bool changed = false, need_rescan = false, sheets_changed = false;
		bool polling = s->cfg->watch == WATCH_POLL ||
		    (s->cfg->watch == WATCH_INOTIFY &&
		    (w->inotify_fd < 0 || w->articles_wd < 0 || w->xslt_wd < 0));
		int timeout = polling ? (int)s->cfg->poll_interval * 1000 :
		    MOVE_CHECK_MS;
		uint64_t ticks;
		unsigned requests;

		if (s->cfg->watch == WATCH_OFF)
			timeout = loaded ? -1 : MOVE_CHECK_MS;
		if (poll(fds, w->inotify_fd >= 0 ? 2 : 1, timeout) < 0 &&
		    errno != EINTR)
			break;
		if ((fds[0].revents & POLLIN) &&
		    read(w->wake_fd, &ticks, sizeof(ticks)) < 0)
			log_msg(LOG_DEBUG, "watcher wake: %s", strerror(errno));
		requests = atomic_exchange(&w->pending, 0);
		if (requests & WATCH_STOP)
			break;
		if (requests & WATCH_RELOAD_CONFIG) {
			changed |= reload_config(w);
			/* Whatever the config says, a SIGHUP reads everything
			 * again: the way to recover from what no event said. */
			need_rescan = sheets_changed = true;
		}
		if (!loaded && !(loaded = first_load(s, &folder_missing)))
			continue;
		if (w->inotify_fd >= 0 && (fds[1].revents & POLLIN))
			drain_inotify(w, &changed, &need_rescan, &sheets_changed);
		if (atomic_load(&w->pending) & WATCH_STOP)
			break;
		if (polling) {
			need_rescan = true;
			if (stylesheets_dir_stamp(s->cfg->xslt_dir) != sheets_fp)
				sheets_changed = true;
		}
		if (s->cfg->watch != WATCH_OFF || requests != 0)
			follow_moves(w, &need_rescan, &sheets_changed);
		if (w->inotify_fd >= 0 && w->articles_wd >= 0 && folder_missing)
			need_rescan = true;
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
	w->articles_parent_wd = w->xslt_parent_wd = -1;
	atomic_init(&w->pending, 0);
	if ((w->wake_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		return xp_error_set(err, XP_ERR_IO, "eventfd", 0, "%s",
		    strerror(errno));
	if (s->cfg->watch == WATCH_INOTIFY) {
		w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (w->inotify_fd < 0)
			log_msg(LOG_WARN, "inotify unavailable (%s): polling every"
			    " %u s instead", strerror(errno), s->cfg->poll_interval);
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
