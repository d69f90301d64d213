#!/bin/sh
# Runs every unit test binary and CLI test script, each in its own process
# under a time limit, and ends with one line: "N passed, N failed".
# Usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
limit=${TEST_TIMEOUT:-300}
passed=0
failed=0
failures=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)".
count() {
  sed -n "s/^\[  $1  \] \([0-9]*\) test.*/\1/p" "$2" | tail -n 1
}

run_one() {
  name=$1
  shift
  out="$tmp/out"
  timeout "$limit" "$@" >"$out" 2>&1
  rc=$?
  p=$(count PASSED "$out")
  f=$(count FAILED "$out")
  # TAP-style lines from the CLI scripts.
  [ -n "$p" ] || p=$(grep -c '^ok ' "$out")
  [ -n "$f" ] || f=$(grep -c '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1  # crashed, timed out or failed outside a test case
    [ "$rc" -eq 124 ] && echo "$name: timed out after ${limit}s" >>"$out"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -ne 0 ]; then
    failures="$failures $name"
    echo "---- $name (exit $rc)"
    cat "$out"
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
