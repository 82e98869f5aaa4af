#!/bin/bash
# bench/run.sh - what `make bench` runs (see bench/bench.py for the details).
#
#   BENCH_SIZES="20 2000 100000"  corpus sizes (bench-quick: "20 2000")
#   BENCH_SECONDS=10              seconds per wrk measurement
#   XSLTPRESS_BIN=build/xsltpress engine binary
# and the other BENCH_* variables described at the top of bench/bench.py.
#
# Installs what is missing (as root, Debian): nginx, wrk, php-fpm, php-xml,
# valgrind, libfcgi-bin (cgi-fcgi).  Corpora are generated once under
# build/bench/corpus-N; each run works in a temporary folder under
# build/bench/ that is removed at the end; results go to
# build/bench/results-*.txt and .json.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
command -v valgrind >/dev/null || need+=(valgrind)
command -v cgi-fcgi >/dev/null || need+=(libfcgi-bin)
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm)
php -m 2>/dev/null | grep -qx xsl || need+=(php-xml)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "bench: installing ${need[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${need[@]}" >/dev/null
    else
        echo "bench: missing ${need[*]} (install them, or run as root on Debian)" >&2
        exit 1
    fi
fi
exec python3 "$ROOT/bench/bench.py" "$@"
