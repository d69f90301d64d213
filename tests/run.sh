#!/bin/sh
# Runs every unit test binary and CLI test script, each in its own process
# under a time limit, and ends with one line: "N passed, N failed, N
# skipped".  A skipped test is counted as skipped, never as passed: a
# cmocka skip, a TAP "ok N ... # skip" line, or a "# skip: ..." comment
# for a check that did not run.
# Usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
limit=${TEST_TIMEOUT:-300}
passed=0
failed=0
skipped=0
failures=""
skips=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cmocka prints "[  PASSED  ] N test(s).", "[  FAILED  ] N test(s)" and
# "[  SKIPPED ] N test(s)" (its PASSED count leaves the skipped out).
count() {
  sed -n "s/^\[  $1 *\] \([0-9]*\) test.*/\1/p" "$2" | tail -n 1
}

run_one() {
  name=$1
  shift
  out="$tmp/out"
  timeout "$limit" "$@" >"$out" 2>&1
  rc=$?
  p=$(count PASSED "$out")
  f=$(count FAILED "$out")
  k=$(count SKIPPED "$out")
  if [ -z "$p" ] && [ -z "$f" ]; then
    # TAP-style lines from the CLI scripts: "ok N - name # skip: why" is
    # a skip; so is a "# skip: why" comment for a check left out.
    k=$(grep -Eic '^(ok [^#]*# *skip|# *skip)' "$out")
    p=$(($(grep -c '^ok ' "$out") - $(grep -Eic '^ok [^#]*# *skip' "$out")))
    f=$(grep -c '^not ok ' "$out")
  fi
  p=${p:-0}
  f=${f:-0}
  k=${k:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1  # crashed, timed out or failed outside a test case
    [ "$rc" -eq 124 ] && echo "$name: timed out after ${limit}s" >>"$out"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + k))
  [ "$k" -ne 0 ] && skips="$skips $name"
  if [ "$f" -ne 0 ]; then
    failures="$failures $name"
    echo "---- $name (exit $rc)"
    cat "$out"
  elif [ "$k" -ne 0 ]; then
    echo "$name: $p passed, $k skipped"
    grep -Ei '^(ok [^#]*# *skip|# *skip)|^\[  SKIPPED \] [^0-9]' "$out" |
      sed 's/^/    /'
  else
    echo "$name: $p passed"
  fi
}

for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for s in tests/cli/test_*.sh; do
  [ -f "$s" ] || continue
  run_one "$(basename "$s")" env PREWARM="$build/prewarm" sh "$s"
done
for s in tests/integration/test_*.sh; do
  [ -f "$s" ] || continue
  run_one "$(basename "$s")" env PREWARM="$build/prewarm" \
    TOOLS="$build/tools" sh "$s"
done

[ -n "$failures" ] && echo "failed:$failures"
[ -n "$skips" ] && echo "skipped in:$skips"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
