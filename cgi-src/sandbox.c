/* sandbox.c - drop root, then Landlock. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

enum xp_status
sandbox_drop_user(const struct config *cfg, const char *socket_path,
    struct xp_error *err)
{
	struct passwd *pw;

	if (cfg->user[0] == '\0')
		return XP_OK;
	if ((pw = getpwnam(cfg->user)) == NULL)
		return xp_error_set(err, XP_ERR_INVALID, cfg->path, 0,
		    "user: no such user \"%s\"", cfg->user);
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return XP_OK;
	if (geteuid() != 0)
		return xp_error_set(err, XP_ERR_INVALID, cfg->path, 0,
		    "user = %s needs the program started as root", cfg->user);
	/* The web server reaches the socket through its group. */
	if (socket_path != NULL && chown(socket_path, pw->pw_uid, pw->pw_gid) != 0)
		return xp_error_set(err, XP_ERR_IO, socket_path, 0,
		    "cannot hand the socket to %s: %s", cfg->user, strerror(errno));
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		return xp_error_set(err, XP_ERR_IO, cfg->path, 0,
		    "cannot become %s: %s", cfg->user, strerror(errno));
	/* Dropping must be for good: getting root back has to fail. */
	if (setuid(0) == 0)
		return xp_error_set(err, XP_ERR_IO, cfg->path, 0,
		    "could regain root after dropping to %s", cfg->user);
	log_msg(LOG_INFO, "running as %s", cfg->user);
	return XP_OK;
}

#define READ_ACCESS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define WRITE_ACCESS (LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_DIR)

/* Everything Landlock ABI 1 can refuse: what is not allowed below is. */
#define HANDLED (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)

static enum xp_status
allow(int ruleset, const char *path, unsigned long long access,
    struct xp_error *err)
{
	struct landlock_path_beneath_attr rule = { 0 };
	int fd;

	if (path[0] == '\0')
		return XP_OK;
	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return xp_error_set(err, XP_ERR_IO, path, 0,
		    "sandbox: cannot open: %s", strerror(errno));
	rule.allowed_access = access;
	rule.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	    &rule, 0) != 0) {
		close(fd);
		return xp_error_set(err, XP_ERR_IO, path, 0,
		    "sandbox: cannot add a rule: %s", strerror(errno));
	}
	close(fd);
	return XP_OK;
}

enum xp_status
sandbox_confine(const struct config *cfg, struct xp_error *err)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = HANDLED };
	char conf_dir[PATH_MAX];
	enum xp_status st;
	int ruleset;

	if (cfg->sandbox == SANDBOX_NO)
		return XP_OK;
	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) < 0)
		return xp_error_set(err, XP_ERR_IO, "sandbox", 0,
		    "Landlock is not available (%s): the kernel lacks it, "
		    "boots with it off, or a system call filter refuses it",
		    strerror(errno));
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0)) < 0)
		return xp_error_set(err, XP_ERR_IO, "sandbox", 0,
		    "cannot create a Landlock ruleset: %s", strerror(errno));
	/* The config's folder, for SIGHUP; none when there is no file. */
	snprintf(conf_dir, sizeof(conf_dir), "%s", cfg->path);
	if ((st = allow(ruleset, cfg->articles_dir, READ_ACCESS, err)) != XP_OK ||
	    (st = allow(ruleset, cfg->xslt_dir, READ_ACCESS, err)) != XP_OK ||
	    (st = allow(ruleset, conf_dir[0] ? dirname(conf_dir) : "", READ_ACCESS,
	    err)) != XP_OK ||
	    (st = allow(ruleset, cfg->cache_dir, READ_ACCESS | WRITE_ACCESS,
	    err)) != XP_OK) {
		close(ruleset);
		return st;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		st = xp_error_set(err, XP_ERR_IO, "sandbox", 0,
		    "cannot enter the Landlock sandbox: %s", strerror(errno));
		close(ruleset);
		return st;
	}
	close(ruleset);
	log_msg(LOG_INFO, "sandboxed: reading %s and %s only", cfg->articles_dir,
	    cfg->xslt_dir);
	return XP_OK;
}
