#!/bin/bash
# tests/sanitize.sh asan|tsan|valgrind - the unit and integration suites
# with the engine built under ASan+UBSan; the threaded paths (requests in
# parallel while the folder changes: the live suite's stress test and the
# integration suite) under ThreadSanitizer; or the integration suite under
# valgrind memcheck.
#
# Sanitizer and valgrind reports go to files in a private folder; any
# report there (a memory error, undefined behaviour, a definite leak)
# fails the run, whatever the suites themselves said.  Last line:
# "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
mode=${1:?usage: tests/sanitize.sh asan|tsan|valgrind}
REPORTS=$(mktemp -d "${TMPDIR:-/tmp}/xsltpress-$mode.XXXXXX")
trap 'rm -rf "$REPORTS"' EXIT

case $mode in
asan)
    # halt_on_error=0 keeps the server answering so that the suite shows
    # which request tripped; the report file is what fails the run.
    export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1:halt_on_error=0"
    export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=0"
    export XSLTPRESS_BIN=$ROOT/$BUILD/asan/xsltpress
    BUILD=$BUILD/asan SUITES="unit integration" tests/run-all.sh | tee "$REPORTS/suites.log"
    ;;
tsan)
    export TSAN_OPTIONS="log_path=$REPORTS/tsan:halt_on_error=0:second_deadlock_stack=1"
    export XSLTPRESS_TEST_SANITIZER=tsan   # memory figures mean nothing here
    export XSLTPRESS_BIN=$ROOT/$BUILD/tsan/xsltpress
    python3 tests/integration/live.py -k stress 2>&1 | tee "$REPORTS/live.log"
    SUITES="integration" tests/run-all.sh 2>&1 | tee "$REPORTS/integration.log"
    # one closing line for the two runs: the last line of each
    p=0; f=0
    for log in "$REPORTS/live.log" "$REPORTS/integration.log"; do
        l=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
        [ -n "$l" ] || { f=$((f + 1)); continue; }
        p=$((p + ${l%% passed*})); l=${l#*passed, }; f=$((f + ${l%% failed*}))
    done
    echo "$p passed, $f failed" >"$REPORTS/suites.log"
    ;;
valgrind)
    command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install valgrind"; exit 1; }
    cat >"$REPORTS/xsltpress" <<WRAP
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
    --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
    --log-file=$REPORTS/valgrind.%p "$ROOT/$BUILD/xsltpress" "\$@"
WRAP
    chmod +x "$REPORTS/xsltpress"
    export XSLTPRESS_BIN=$REPORTS/xsltpress
    # Under valgrind the server answers ~30x slower; the suite's own
    # bounded waits allow for it.
    SUITES="integration" tests/run-all.sh | tee "$REPORTS/suites.log"
    ;;
*)
    echo "usage: tests/sanitize.sh asan|tsan|valgrind" >&2
    exit 2
    ;;
esac

line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$REPORTS/suites.log" | tail -n 1)
pass=${line%% passed*}
fail=${line#*passed, }; fail=${fail%% failed*}
pass=${pass:-0}; fail=${fail:-1}

bad=""
for f in "$REPORTS"/asan* "$REPORTS"/ubsan* "$REPORTS"/tsan* "$REPORTS"/valgrind.*; do
    [ -s "$f" ] || continue
    if [ "$mode" = valgrind ]; then
        # memcheck writes a (quiet) log per process: only errors count.
        grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|Invalid (read|write)|uninitialised' "$f" || continue
    fi
    bad="$bad $f"
    echo "--- $mode report $f"
    head -n 60 "$f"
done
if [ -n "$bad" ]; then
    echo "FAIL $mode: reports in$bad"
    fail=$((fail + 1))
else
    echo "ok $mode: no reports"
    pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
