#!/bin/sh
# scripts/deps.sh PROFILE — make sure the Debian packages that PROFILE needs
# are installed.
#
#   build  compiler and libraries to build build/xsltpress
#   run    build + nginx (to serve the blog with `make run`)
#   test   run + everything the test suites use (cmocka, tidy, chromium,
#          cgi-fcgi, xsltproc, node/npm, python3, linkchecker; apache2,
#          mod_fcgid, lighttpd, spawn-fcgi, mandoc, systemd for
#          tests/integration/deploy.py)
#   static build + musl and dpkg-dev for `make static` (which fetches the
#          libraries' Debian sources itself); also part of test, whose
#          deploy suite builds and runs the static binary; strace counts
#          the files a CGI opens
#
# As root, missing packages are installed with apt-get (running
# `apt-get update` first only when something is missing).  As another user
# the script prints the command to run and exits 1.  It prints nothing when
# everything is already there.
set -eu

profile=${1:-}
case $profile in
build|run|test|static) ;;
*) echo "usage: $0 build|run|test|static" >&2; exit 2 ;;
esac

build_pkgs="gcc make pkg-config libxml2-dev libxslt1-dev libfcgi-dev libstb-dev libwebp-dev zlib1g-dev libstemmer-dev"
# any one of these nginx flavours will do; nginx-light is installed if none is
nginx_any="nginx-light nginx nginx-core nginx-full nginx-extras"
static_pkgs="musl-tools dpkg-dev patch xz-utils"
test_pkgs="strace libcmocka-dev tidy chromium libfcgi-bin spawn-fcgi xsltproc nodejs npm python3 linkchecker clang libclang-rt-14-dev valgrind python3-feedparser python3-snowballstemmer apache2 lighttpd libapache2-mod-fcgid mandoc systemd"

installed() {
    # true when package $1 is installed (status "install ok installed")
    st=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [ "$st" = "install ok installed" ]
}

missing=""
need() {
    for p in "$@"; do
        case $p in
        npm)
            # nodejs from other sources (e.g. NodeSource) ships its own npm
            # and conflicts with Debian's npm package: a working npm counts.
            if command -v npm >/dev/null 2>&1 || installed npm; then continue; fi ;;
        python3)
            if installed python3 || command -v python3 >/dev/null 2>&1; then continue; fi ;;
        *)
            if installed "$p"; then continue; fi ;;
        esac
        missing="$missing $p"
    done
}

# shellcheck disable=SC2086
need $build_pkgs
if [ "$profile" = run ] || [ "$profile" = test ]; then
    have_nginx=no
    for p in $nginx_any; do
        if installed "$p"; then have_nginx=yes; break; fi
    done
    [ $have_nginx = yes ] || missing="$missing nginx-light"
fi
if [ "$profile" = test ]; then
    # shellcheck disable=SC2086
    need $test_pkgs
fi
if [ "$profile" = test ] || [ "$profile" = static ]; then
    # shellcheck disable=SC2086
    need $static_pkgs
fi

missing=${missing# }
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages; run: sudo apt-get install -y $missing" >&2
    exit 1
fi

echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# apt may be busy (another install, unattended upgrades): wait for the lock
apt_get() {
    tries=0
    while :; do
        if apt-get -o DPkg::Lock::Timeout=120 "$@"; then return 0; fi
        tries=$((tries + 1))
        [ $tries -lt 3 ] || return 1
        echo "deps.sh: apt-get $1 failed, retrying in 10s" >&2
        sleep 10
    done
}
apt_get -q update >/dev/null
# shellcheck disable=SC2086
apt_get install -y --no-install-recommends $missing
