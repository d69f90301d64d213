#!/bin/sh
# tests/run.sh counts skipped tests as skipped, not passed, and ends with
# "N passed, N failed, N skipped"; under CI=true a missing service fails
# the integration test that needs it (tests/integration/lib.sh).  Runs
# tests/run.sh on a small fake tree.  Prints TAP-style "ok"/"not ok" lines.
set -u
. "$(dirname "$0")/tap.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
F="$T/tree"
mkdir -p "$F/build/tests" "$F/tests/cli" "$F/tests/integration"
cp "$R/tests/cli/tap.sh" "$F/tests/cli/"
cp "$R/tests/integration/lib.sh" "$F/tests/integration/"
# A unit test binary as cmocka reports one pass and one skip.
cat >"$F/build/tests/test_unit" <<'X'
#!/bin/sh
echo "[  PASSED  ] 1 test(s)."
echo "[  SKIPPED ] 1 test(s), listed below:"
echo "[  SKIPPED ] needs_a_tmpfs"
X
chmod +x "$F/build/tests/test_unit"
cat >"$F/tests/cli/test_cli.sh" <<'X'
. "$(dirname "$0")/tap.sh"
ok "one"
ok "two # skip: no chromium"
echo "# skip: cross-check: the scorer is absent"
X
cat >"$F/tests/integration/test_svc.sh" <<'X'
. "$(dirname "$0")/lib.sh"
skip_all "no prometheus (apt-get install prometheus)"
X
(cd "$F" && env -u CI sh "$R/tests/run.sh" build) >"$T/out" 2>&1
rc=$?
check "skips do not fail a run outside CI" [ "$rc" -eq 0 ]
last=$(tail -n 1 "$T/out")
check "closing line counts the skipped apart" [ "$last" = \
  "2 passed, 0 failed, 4 skipped" ]
[ "$last" = "2 passed, 0 failed, 4 skipped" ] || sed 's/^/#   /' "$T/out"
check "a test with skips says so" grep -q "test_cli.sh: 1 passed, 2 skipped" \
  "$T/out"
(cd "$F" && CI=true sh "$R/tests/run.sh" build) >"$T/ci" 2>&1
rc=$?
check "CI=true: a missing service fails the run" [ "$rc" -ne 0 ]
check "CI=true: it is named" grep -q \
  "not ok 1 - no prometheus (apt-get install prometheus) (CI=true" "$T/ci"
check "CI=true: counted as failed" sh -c \
  "tail -n 1 '$T/ci' | grep -q '^2 passed, 1 failed, 3 skipped$'"
