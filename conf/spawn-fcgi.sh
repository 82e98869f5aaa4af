#!/bin/sh
# Start xsltpress with spawn-fcgi (Debian: apt-get install spawn-fcgi), for
# systems without systemd or for a quick manual deployment.
#
# spawn-fcgi creates the listening socket, hands it to the program on fd 0
# (xsltpress sees a socket there and speaks FastCGI) and drops privileges:
#   -s PATH     unix socket to listen on (-a ADDR -p PORT for TCP)
#   -M 0660     socket mode: only owner and group may connect
#   -b N        connections the kernel queues while the program is busy
#               (spawn-fcgi's default is 1024); the program's
#               listen_backlog default, the kernel's maximum, is used here
#   -U www-data -G www-data
#               owner and group of the socket: the web server's user
#   -u xsltpress -g xsltpress
#               user and group the program runs as (spawn-fcgi must be
#               started as root for -u/-g/-U/-G)
#   -P FILE     write the program's pid (for SIGHUP reload, SIGTERM stop)
#   -n          no fork: spawn-fcgi becomes the program (same pid), for a
#               supervisor (daemontools, runit, s6); -P is then ignored
#   --          the program and its arguments
#
# Reload the config:  kill -HUP "$(cat /run/xsltpress/xsltpress.pid)"
# Stop gracefully:    kill -TERM "$(cat /run/xsltpress/xsltpress.pid)"
#
# Variables (environment) with their defaults:
set -eu

XSLTPRESS=${XSLTPRESS:-/usr/local/bin/xsltpress}
XSLTPRESS_CONF=${XSLTPRESS_CONF:-/etc/xsltpress/xsltpress.conf}
SOCKET=${SOCKET:-/run/xsltpress/xsltpress.sock}
PIDFILE=${PIDFILE:-/run/xsltpress/xsltpress.pid}
RUN_USER=${RUN_USER:-xsltpress}          # runs the program
RUN_GROUP=${RUN_GROUP:-xsltpress}
SOCKET_USER=${SOCKET_USER:-www-data}     # may connect to the socket
SOCKET_GROUP=${SOCKET_GROUP:-www-data}
FOREGROUND=${FOREGROUND:-no}              # yes: -n (for a supervisor)
BACKLOG=${BACKLOG:-$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)}
export XSLTPRESS_CONF

install -d -m 0755 "$(dirname "$SOCKET")"

set -- -s "$SOCKET" -M 0660 -b "$BACKLOG"
if [ "$(id -u)" -eq 0 ]; then
    set -- "$@" -U "$SOCKET_USER" -G "$SOCKET_GROUP" -u "$RUN_USER" -g "$RUN_GROUP"
fi                      # (not root: everything runs as the current user)
if [ "$FOREGROUND" = yes ]; then
    set -- "$@" -n
else
    set -- "$@" -P "$PIDFILE"
fi
exec spawn-fcgi "$@" -- "$XSLTPRESS" -c "$XSLTPRESS_CONF"
