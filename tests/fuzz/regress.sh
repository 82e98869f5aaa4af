#!/bin/sh
# regress.sh NAME... - run each fuzz harness once over its seed corpus and
# its regressions (tests/fuzz/{corpus,regressions}/NAME), as
# "fuzz-NAME -runs=0 corpus/NAME regressions/NAME".  Prints per harness and
# a final "N passed, N failed" over the inputs; exits 1 on any crash.
# Called by "make fuzz-regress" from the repository root.
set -u
build=${FUZZ_BUILD:-build/fuzz}
timeout=${FUZZ_TIMEOUT:-25}
rss=${FUZZ_RSS_MB:-2048}
src=tests/fuzz
logs=$build/logs
mkdir -p "$logs"
passed=0
failed=0

count() {
	n=0
	for d in "$@"; do
		[ -d "$d" ] || continue
		n=$((n + $(find "$d" -type f ! -name ".*" | wc -l)))
	done
	echo "$n"
}

for name in "$@"; do
	bin=$build/fuzz-$name
	dirs=
	for d in "$src/corpus/$name" "$src/regressions/$name"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	total=$(count $dirs)
	log=$logs/regress-$name.log
	# shellcheck disable=SC2086
	if "$bin" -runs=0 -timeout="$timeout" -rss_limit_mb="$rss" \
	    -artifact_prefix="$build/regress-" $dirs >"$log" 2>&1; then
		echo "fuzz-$name: $total inputs, ok"
		passed=$((passed + total))
		continue
	fi
	echo "fuzz-$name: CRASH (log: $log); input by input:"
	before=$failed
	for f in $(find $dirs -type f ! -name ".*" | sort); do
		if "$bin" -timeout="$timeout" -rss_limit_mb="$rss" \
		    -artifact_prefix="$build/regress-" "$f" \
		    >"$log.one" 2>&1; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "  FAIL $f"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log.one" |
			    head -3 | sed 's/^/    /'
			cat "$log.one" >>"$log"
		fi
	done
	rm -f "$log.one"
	if [ "$failed" -eq "$before" ]; then
		# Every input passes alone: the crash needs the sequence.
		failed=$((failed + 1))
		echo "  FAIL only when run together; see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
		    head -3 | sed 's/^/    /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
