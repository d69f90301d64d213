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
