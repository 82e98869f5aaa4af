/* fcgi.c - the FastCGI loop: a pool of threads, each with its own
 * FCGX_Request, all accepting on one socket.
 *
 * Threads are what make nginx's upstream keep-alive safe: each kept
 * connection pins one thread, so the pool must be at least as large as
 * the number of connections the web server keeps (see README). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "frontend.h"
#include "http.h"
#include "log.h"
#include "route.h"
#include "watch.h"

struct worker_ctx {
	struct server *server;
	int listen_fd;
	pthread_t thread;
	/* The kept (keep-alive) connection this worker waits on for its next
	 * request, or -1: what a stop must shut to wake it. */
	atomic_int idle_fd;
};

#define PUBLIC_REFUSED "listens on a non-loopback address: anyone who " \
	"can reach it talks FastCGI to libfcgi, which trusts the lengths a " \
	"peer declares (see README); set listen_public = yes to allow it"

/* Is the IPv4 or IPv6 address SA a loopback one (127.0.0.0/8, ::1, or
 * ::ffff:127.x.x.x)? */
static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
		    >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return true;   /* unix sockets and the like: not reachable by network */
}

/* Does the "HOST:PORT" SPEC name only loopback addresses?  HOST is what
 * libfcgi takes: the text before the first ':'; empty or "*" is every
 * address, and a name counts only when all its addresses are loopback. */
static bool
spec_is_loopback(const char *spec)
{
	struct addrinfo hints = { .ai_family = AF_INET,
		.ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	size_t n = strcspn(spec, ":");
	bool loop = true;

	if (n == 0 || n >= sizeof(host) || (n == 1 && spec[0] == '*'))
		return false;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		loop = loop && is_loopback(ai->ai_addr);
	freeaddrinfo(res);
	return loop;
}

enum xp_status
fcgi_check_inherited(int fd, bool allow_public, struct xp_error *err)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (allow_public || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return XP_OK;
	if (!is_loopback((const struct sockaddr *)&ss))
		return xp_error_set(err, XP_ERR_INVALID, "socket on fd 0", 0,
		    "%s", PUBLIC_REFUSED);
	return XP_OK;
}

/* A burst of connects beyond the backlog is refused at once (EAGAIN on
 * a unix socket): nginx answers those requests 502 and, in a fleet,
 * counts the refusal against a healthy backend.  Queued, they are only
 * answered later.  The kernel caps any backlog at somaxconn anyway, so
 * asking for that much costs nothing but the queue's memory when used. */
int
fcgi_backlog(unsigned configured)
{
	FILE *f;
	int n = 0;

	if (configured > 0)
		return configured > INT_MAX ? INT_MAX : (int)configured;
	if ((f = fopen("/proc/sys/net/core/somaxconn", "re")) != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n > 0 ? n : SOMAXCONN;
}

int
fcgi_listen(const char *spec, bool allow_public, int backlog,
    struct xp_error *err)
{
	const char *path;
	mode_t old_mask;
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		path = spec + 5;
		if (path[0] == '\0')
			return xp_error_set(err, XP_ERR_INVALID, spec, 0,
			    "empty socket path"), -1;
		/* A stale socket from a killed run would make bind fail. */
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
		/* Only the web server (owner or group) may reach the socket. */
		old_mask = umask(0117);
		fd = FCGX_OpenSocket(path, backlog);
		umask(old_mask);
	} else {
		if (strchr(spec, ':') == NULL)
			return xp_error_set(err, XP_ERR_INVALID, spec, 0,
			    "expected unix:/path or HOST:PORT"), -1;
		if (!allow_public && !spec_is_loopback(spec))
			return xp_error_set(err, XP_ERR_INVALID, spec, 0, "%s",
			    PUBLIC_REFUSED), -1;
		fd = FCGX_OpenSocket(spec, backlog);
	}
	if (fd < 0)
		return xp_error_set(err, XP_ERR_IO, spec, 0,
		    "cannot listen: %s", strerror(errno)), -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static bool
fcgi_write(void *ctx, const char *data, size_t n)
{
	return FCGX_PutStr(data, (int)n, ctx) >= 0;
}

/* How long a request waits for the first load of the folder before it is
 * told to come back (a small site loads well within it). */
#define LOAD_WAIT_MS 1000

static void
serve_one(struct server *s, FCGX_Request *fr)
{
	struct buf response = BUF_INIT;
	struct site *site;
	struct xp_error err;
	struct request req;
	size_t header_len, n;
	off_t file_len;
	bool scanning = false;
	int file_fd;

	/* A cold start of a large folder takes seconds: answer meanwhile, and
	 * say when to come back, rather than list half the site. */
	if (!server_wait_loaded(s, LOAD_WAIT_MS)) {
		FCGX_PutS("Status: 503 Service Unavailable\r\n"
		    "Retry-After: 5\r\nCache-Control: no-store\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "Starting: the articles are being loaded; try again in a"
		    " few seconds.\n", fr->out);
		return;
	}
	site = server_site(s);

	if (request_parse_mounted(&req, fcgi_param, fr, site->cfg->base_path,
	    site->cfg->base_path_set ? MOUNT_CONFIG : MOUNT_SCRIPT,
	    &err) != XP_OK) {
		log_error(LOG_ERROR, &err);
		FCGX_PutS("Status: 503 Service Unavailable\r\n\r\n", fr->out);
		site_unref(site);
		return;
	}
	if (route_is_search(&req))
		site = server_search_site(s, site, &scanning);
	route_respond_fd(site, &s->cache, &req, time(NULL), &response,
	    &header_len, &file_fd, &file_len);
	if (scanning)
		server_search_done(s);
	n = req.method == METHOD_HEAD ? header_len : response.len;
	/* A client that went away makes this fail; nothing to do but move on
	 * to the next request, which libfcgi gives a fresh connection. */
	if (n > 0 && FCGX_PutStr(response.data, (int)n, fr->out) < 0)
		log_msg(LOG_DEBUG, "%s: client went away", req.uri);
	else if (file_fd >= 0 && req.method != METHOD_HEAD &&
	    !http_stream_fd(file_fd, file_len, fcgi_write, fr->out))
		log_msg(LOG_DEBUG, "%s: client went away or the file shrank",
		    req.uri);
	if (file_fd >= 0)
		close(file_fd);
	buf_release(&response);
	request_release(&req);
	site_unref(site);
}

/* One worker: accept, answer, repeat.  Linux's accept() needs no lock
 * between threads, and none may be held here anyway: with the web server
 * keeping connections open (fastcgi_keep_conn), FCGX_Accept_r waits on
 * this worker's kept connection for its next request, and a lock held
 * meanwhile would stall every other worker behind one idle connection. */
static void *
worker(void *arg)
{
	struct worker_ctx *w = arg;
	FCGX_Request fr;

	log_capture_xml_errors();
	if (FCGX_InitRequest(&fr, w->listen_fd, 0) != 0) {
		log_msg(LOG_ERROR, "cannot set up a FastCGI request");
		return NULL;
	}
	while (!atomic_load(&w->server->stopping)) {
		int rc;

		atomic_store(&w->idle_fd, fr.ipcFd);
		/* A stop between the check above and this store would miss
		 * this fd: look again now that it is published. */
		rc = atomic_load(&w->server->stopping) ? -1 : FCGX_Accept_r(&fr);
		atomic_store(&w->idle_fd, -1);
		if (rc < 0)
			break;
		serve_one(w->server, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

static void
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/* A thread that left these unblocked (the watcher, say) could be handed a
 * SIGTERM meant for sigwait: the process would die mid-request, or, under
 * valgrind's signal emulation, never hear it at all. */
void
fcgi_block_signals(void)
{
	sigset_t signals;

	stop_signals(&signals);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
}

enum xp_status
fcgi_serve(struct server *s, int listen_fd, struct watcher *watcher,
    struct xp_error *err)
{
	unsigned nthreads = s->cfg->threads, started = 0;
	struct worker_ctx *workers;
	sigset_t signals;
	int sig = 0;

	if ((workers = calloc(nthreads, sizeof(*workers))) == NULL)
		return xp_error_set(err, XP_ERR_NOMEM, "threads", 0,
		    "out of memory");
	/* A socket handed in (systemd, spawn-fcgi) was given its backlog by
	 * whoever made it; listen() again applies the configured one (the
	 * kernel keeps the socket and its queue, and takes the new size). */
	if (listen(listen_fd, fcgi_backlog(s->cfg->listen_backlog)) != 0)
		log_msg(LOG_DEBUG, "listen backlog left as it was: %s",
		    strerror(errno));
	/* Workers never see the stop signals: this thread waits for them. */
	fcgi_block_signals();
	stop_signals(&signals);
	for (unsigned i = 0; i < nthreads; i++) {
		workers[i].server = s;
		workers[i].listen_fd = listen_fd;
		atomic_init(&workers[i].idle_fd, -1);
		if (pthread_create(&workers[i].thread, NULL, worker, &workers[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		free(workers);
		return xp_error_set(err, XP_ERR_NOMEM, "threads", 0,
		    "cannot start any worker thread");
	}
	log_msg(LOG_INFO, "serving FastCGI with %u threads", started);
	for (;;) {
		if (sigwait(&signals, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			watch_request(watcher, WATCH_RELOAD_CONFIG);
			continue;
		}
		break;
	}
	log_msg(LOG_INFO, "signal %d: finishing requests in flight", sig);
	atomic_store(&s->stopping, true);
	/* Wakes every thread blocked in accept() or waiting on an idle kept
	 * connection; those serving a request finish it first.  Only the read
	 * side of a kept connection is shut: the worker may have received a
	 * request on it a moment ago (or the fd number may now belong to
	 * another worker's connection), and its response must still go out
	 * whole.  A read side shut mid-request costs that request a 502 at
	 * worst, never a truncated 200. */
	shutdown(listen_fd, SHUT_RDWR);
	for (unsigned i = 0; i < started; i++) {
		int fd = atomic_load(&workers[i].idle_fd);

		if (fd >= 0)
			shutdown(fd, SHUT_RD);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	free(workers);
	return XP_OK;
}
