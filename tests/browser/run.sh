#!/bin/bash
# tests/browser/run.sh — headless Chromium checks (playwright-core).
#
# Starts xsltpress + nginx with tests/integration/run.py --serve-only (same
# stack as the integration tests), runs listing.mjs and reader.mjs against it
# (and media.mjs against a second one with an article of every image type), saves
# screenshots in tests/out/ and stops the stack.  Installs the pinned npm
# dependencies (npm ci) when node_modules is missing.
#
#   tests/browser/run.sh [--articles DIR] [--bin PATH]
# Ends with "N passed, N failed"; exit status 1 if anything failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/tests/out

if [ ! -d "$HERE/node_modules/playwright-core" ]; then
    echo "browser: installing npm dependencies (npm ci)" >&2
    (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2 || {
        echo "FAIL npm ci in tests/browser"
        echo "0 passed, 1 failed"
        exit 1
    }
fi
mkdir -p "$OUT"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xsltpress-browser.XXXXXX")
URLFILE=$TMP/url
python3 "$ROOT/tests/integration/run.py" --serve-only "$URLFILE" "$@" 2>"$TMP/stack.log" &
STACK_PID=$!

# shellcheck disable=SC2317  # called from traps
MEDIA_PID=
cleanup() {
    trap - EXIT INT TERM
    for pid in "$STACK_PID" $MEDIA_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

for _ in $(seq 1 300); do
    [ -s "$URLFILE" ] && break
    kill -0 "$STACK_PID" 2>/dev/null || break
    sleep 0.1
done
if [ ! -s "$URLFILE" ]; then
    echo "FAIL start stack: $(tr '\n' ' ' <"$TMP/stack.log" | cut -c1-1500)"
    echo "0 passed, 1 failed"
    exit 1
fi

URL=$(cat "$URLFILE")

# media.mjs runs on its own stack: a copy of the sample site (with the
# articles' own files) plus an article holding every image type.
MEDIA_URLFILE=$TMP/media-url
python3 "$ROOT/tests/integration/media.py" --make-site "$TMP/media-articles"
python3 "$ROOT/tests/integration/run.py" --serve-only "$MEDIA_URLFILE" "$@" \
    --articles "$TMP/media-articles" 2>"$TMP/media-stack.log" &
MEDIA_PID=$!
for _ in $(seq 1 300); do
    [ -s "$MEDIA_URLFILE" ] && break
    kill -0 "$MEDIA_PID" 2>/dev/null || break
    sleep 0.1
done

# each script ends with "N passed, N failed"; the last line is their sum
rc=0 total_p=0 total_f=0
for script in listing.mjs reader.mjs media.mjs; do
    url=$URL
    if [ "$script" = media.mjs ]; then
        url=$(cat "$MEDIA_URLFILE" 2>/dev/null)
        [ -n "$url" ] || { echo "FAIL start media stack: $(tr '\n' ' ' <"$TMP/media-stack.log" | cut -c1-800)"; total_f=$((total_f + 1)); rc=1; continue; }
    fi
    node "$HERE/$script" "$url" "$OUT" | tee "$TMP/out"
    src=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $script: no result line (exit status $src)"
        line="0 passed, 1 failed"
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    [ "$src" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    total_p=$((total_p + p)); total_f=$((total_f + f))
    [ "$src" -ne 0 ] && rc=1
done
if [ $rc -ne 0 ] && [ -s "$TMP/stack.log" ]; then
    echo "--- stack log (tail) ---" >&2
    tail -n 30 "$TMP/stack.log" >&2
fi
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ] && [ $rc -eq 0 ]
