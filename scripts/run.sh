#!/bin/bash
# scripts/run.sh — serve the blog locally: xsltpress on a unix socket behind
# a private nginx on 127.0.0.1:$PORT.  `make run` calls it after building.
#
# Environment:
#   PORT          TCP port for nginx (default 8080)
#   ARTICLES_DIR  folder of articles (default articles)
#   XSLTPRESS_BIN engine binary (default build/xsltpress)
#   XSLTPRESS_CONF config file (default conf/xsltpress.conf, if present)
#   XSLTPRESS_BASE_URL  canonical origin (default http://127.0.0.1:$PORT)
#
# Everything (nginx config, pid file, logs, socket) lives in a temporary
# directory that is removed on exit.  Ctrl-C (or SIGTERM) stops both
# processes.  If either of them dies on its own the other one is stopped and
# the script exits non-zero.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
START_DIR=$PWD
PORT=${PORT:-8080}
ARTICLES_DIR=${ARTICLES_DIR:-articles}
BIN=${XSLTPRESS_BIN:-build/xsltpress}
CONF=${XSLTPRESS_CONF:-conf/xsltpress.conf}

die() { echo "run.sh: $*" >&2; exit 1; }

case $PORT in
''|*[!0-9]*) die "PORT must be a number, got '$PORT'" ;;
esac
# relative ARTICLES_DIR is taken from where we were started
case $ARTICLES_DIR in
/*) ;;
*) ARTICLES_DIR=$START_DIR/$ARTICLES_DIR ;;
esac
[ -d "$ARTICLES_DIR" ] || die "articles folder $ARTICLES_DIR does not exist"

cd "$ROOT" || die "cannot cd to $ROOT"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is already in use; try PORT=8081 make run"
fi
[ -x "$BIN" ] || die "$BIN is not built; run make first"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx not found; run scripts/deps.sh run"

APP_PID=
NGINX_PID=
DIR=

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: pid $pid did not stop, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

# Stops both processes and removes the folder, whatever arrives meanwhile:
# a terminal's Ctrl-C or a SIGTERM to the process group reaches this shell,
# nginx and the program at about the same moment, in any order, and a
# second one may follow.  The signals are ignored (not reset to their
# default, which would kill this shell half-way) until the folder is gone.
cleanup() {
    trap '' INT TERM HUP
    trap - EXIT
    stop_pid "$NGINX_PID"
    stop_pid "$APP_PID"
    # a child started a moment before its pid was noted (the signal came
    # in between): still one of our jobs
    for pid in $(jobs -p); do
        stop_pid "$pid"
    done
    [ -z "$DIR" ] || rm -rf "$DIR"
}
# shellcheck disable=SC2317  # invoked by trap
on_signal() {
    trap '' INT TERM HUP
    echo "run.sh: stopping" >&2
    cleanup
    exit 0
}
# The traps come first, and the folder's name is chosen before it is made:
# a signal at any moment from here on finds a name to remove.
trap cleanup EXIT
trap on_signal INT TERM HUP
while :; do
    cand=${TMPDIR:-/tmp}/xsltpress-run.$$.$RANDOM
    [ -e "$cand" ] && continue       # someone else's: never ours to remove
    DIR=$cand
    mkdir -m 0700 "$DIR" 2>/dev/null && break
    DIR=
    die "cannot create a folder in ${TMPDIR:-/tmp}"
done
SOCK=$DIR/xsltpress.sock

# sed replacement text: escape \ & and the | delimiter
esc() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

sed -e "s|@PORT@|$(esc "$PORT")|g" \
    -e "s|@DIR@|$(esc "$DIR")|g" \
    -e "s|@SOCKET@|$(esc "$SOCK")|g" \
    -e "s|@ROOT@|$(esc "$ROOT")|g" \
    conf/nginx-dev.conf.in >"$DIR/nginx.conf" || die "cannot write nginx.conf"

conf_args=()
[ -f "$CONF" ] && conf_args=(-c "$CONF")

# canonical links point at this server unless XSLTPRESS_BASE_URL says otherwise
XSLTPRESS_BASE_URL=${XSLTPRESS_BASE_URL:-http://127.0.0.1:$PORT} \
XSLTPRESS_ARTICLES_DIR=$ARTICLES_DIR "$BIN" "${conf_args[@]}" -s "unix:$SOCK" &
APP_PID=$!

# wait up to 10 s for the socket
for _ in $(seq 1 100); do
    [ -S "$SOCK" ] && break
    kill -0 "$APP_PID" 2>/dev/null || break
    sleep 0.1
done
if ! [ -S "$SOCK" ]; then
    if kill -0 "$APP_PID" 2>/dev/null; then
        echo "run.sh: $BIN did not create $SOCK within 10 s" >&2
    else
        wait "$APP_PID"; rc=$?
        echo "run.sh: $BIN exited with status $rc before listening" >&2
    fi
    exit 1
fi

# as root, nginx workers would run as nobody and could not reach the socket
# inside our private 0700 directory: keep them as root for this dev server
g='daemon off;'
[ "$(id -u)" -eq 0 ] && g="$g user root;"

"$NGINX" -p "$DIR" -e "$DIR/error.log" -c "$DIR/nginx.conf" -g "$g" &
NGINX_PID=$!

# wait up to 10 s for nginx to accept connections
up=no
for _ in $(seq 1 100); do
    kill -0 "$NGINX_PID" 2>/dev/null || break
    # nginx writes its pid file only once its sockets are bound
    if [ -s "$DIR/nginx.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        up=yes; break
    fi
    sleep 0.1
done
if [ $up != yes ]; then
    echo "run.sh: nginx did not start on 127.0.0.1:$PORT (see messages above)" >&2
    exit 1
fi

echo "Serving http://127.0.0.1:$PORT/ (Ctrl-C to stop)"

# wait for the first child to exit (a signal interrupts this and runs the trap)
wait -n "$APP_PID" "$NGINX_PID"
rc=$?
if ! kill -0 "$APP_PID" 2>/dev/null; then
    echo "run.sh: xsltpress exited (status $rc); stopping nginx" >&2
else
    echo "run.sh: nginx exited (status $rc); stopping xsltpress" >&2
    grep -E '\[(emerg|alert|crit|error)\]' "$DIR/error.log" >&2 2>/dev/null
fi
cleanup
exit 1
