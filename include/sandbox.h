/* sandbox.h - least privilege once the server is set up: drop root for
 * the configured user, then (sandbox = yes) confine the process with
 * Landlock to reading its folders and writing its cache. */
#ifndef XP_SANDBOX_H
#define XP_SANDBOX_H

#include "config.h"
#include "error.h"

/* Switches to CFG->user (when set) after the socket at SOCKET_PATH (or
 * NULL) was opened: the socket is handed to that user, then groups, gid
 * and uid are dropped for good.  Fails when not started as root. */
enum xp_status sandbox_drop_user(const struct config *cfg,
    const char *socket_path, struct xp_error *err);

/* Confines the process with Landlock (unless CFG->sandbox is no): from
 * then on it may only read the articles, stylesheet and config folders
 * and write the cache folder.  XP_ERR_IO with "not available" when the
 * kernel has no Landlock; the caller decides whether to go on (sandbox =
 * try) or not (sandbox = yes). */
enum xp_status sandbox_confine(const struct config *cfg, struct xp_error *err);

#endif
