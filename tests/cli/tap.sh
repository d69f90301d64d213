# Shared by the CLI test scripts (sourced, not run): TAP-style result lines
# that tests/run.sh counts, and a scratch folder removed on exit.
P=${PREWARM:-build/prewarm}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
  n=$((n + 1))
  echo "not ok $n - $1"
  shift
  for l in "$@"; do echo "#   $l"; done
}
check() { name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

# skip_one NAME REASON: one check skipped for want of a tool or service;
# under CI=true a failure (CI installs everything the tests use).
skip_one() {
  if [ "${CI:-}" = true ]; then
    notok "$1" "$2 (CI=true: what the test needs must be installed)"
  else
    ok "$1 # skip: $2"
  fi
}
