# Shared by the integration tests (sourced): TAP lines (tests/cli/tap.sh),
# a Python with botocore for the local API servers, and server start/stop.
. "$(dirname "$0")/../cli/tap.sh"
TOOLS=${TOOLS:-build/tools}
SERVERS="$(dirname "$0")/../servers"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# The servers check signatures with botocore: Debian's python3-botocore
# for /usr/bin/python3, or whatever the first python3 on PATH has.
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 &&
     "$p" -c 'import botocore' >/dev/null 2>&1; then
    PY=$p
    break
  fi
done

# skip_all REASON: prints one skipped result and exits.  Under CI
# (CI=true, as .ci/run sets it) a missing service or tool is a failure,
# not a skip: CI installs everything the tests need, so a skip there
# means a test silently stopped running.
skip_all() {
  if [ "${CI:-}" = true ]; then
    echo "not ok 1 - $1 (CI=true: what the test needs must be installed)"
    exit 1
  fi
  echo "ok 1 # skip: $1"
  exit 0
}

# start_server NAME SCRIPT ARGS...: starts a server that writes its port
# to $T/NAME.port; sets PORT.
start_server() {
  name=$1
  shift
  rm -f "$T/$name.port"
  "$PY" "$@" "$T/$name.port" 2>"$T/$name.err" &
  PIDS="$PIDS $!"
  for _ in $(seq 1 100); do
    [ -s "$T/$name.port" ] && break
    sleep 0.1
  done
  PORT=$(cat "$T/$name.port" 2>/dev/null)
  [ -n "$PORT" ] || { cat "$T/$name.err"; echo "not ok - $name did not start"; exit 1; }
}

# field KEY FILE [LINE]: the value of KEY= on line LINE (default last) of an
# act_script output.
field() {
  sed -n "${3:-\$}p" "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# free_port: a port nothing listens on now (for servers that must be told
# their port; a small race, acceptable in tests).
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_prometheus CONFIG DATA_DIR [FLAGS...]: a real Prometheus from
# Debian's package on a free loopback port; sets PROM_URL.  Stopped (and,
# if it hangs on remote-write flushing, killed) at exit.
start_prometheus() {
  cfg=$1 data=$2
  shift 2
  pport=$(free_port)
  prometheus --config.file="$cfg" --storage.tsdb.path="$data" \
    --web.listen-address=127.0.0.1:"$pport" "$@" >"$T/prometheus.log" 2>&1 &
  PROM_PID=$!
  PIDS="$PROM_PID $PIDS"
  PROM_URL="http://127.0.0.1:$pport"
  for _ in $(seq 1 150); do
    curl -sf "$PROM_URL/-/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -5 "$T/prometheus.log"
  return 1
}

stop_prometheus() {
  kill "$PROM_PID" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$PROM_PID" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$PROM_PID" 2>/dev/null
}

# start_postgres: a throwaway PostgreSQL cluster from Debian's packages
# (initdb + pg_ctl) on a free loopback port, run as the postgres user when
# we are root (initdb refuses root); sets PGPORT_TEST and PG_DATA, and
# PG_AS for running its tools.  Every statement is logged to PG_LOG.
pg_bin() {
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && b=$d; done
  echo "${b:-}"
}
start_postgres() {
  PG_BIN=$(pg_bin)
  [ -n "$PG_BIN" ] || return 1
  PG_AS=""
  if [ "$(id -u)" = 0 ]; then
    PG_AS="runuser -u postgres --"
    chmod 755 "$T"
  fi
  PG_DIR="$T/pg"
  mkdir -p "$PG_DIR"
  [ -n "$PG_AS" ] && chown postgres "$PG_DIR"
  PG_DATA="$PG_DIR/data"
  PG_LOG="$PG_DIR/log"
  $PG_AS "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U prewarm >/dev/null 2>&1 || return 1
  PGPORT_TEST=$(free_port)
  pg_ctl_start
}
pg_ctl_start() {
  $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w \
    -o "-k $PG_DIR -h 127.0.0.1 -p $PGPORT_TEST -c fsync=off -c log_statement=all" \
    start >/dev/null 2>&1
}
pg_ctl_stop() {
  $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
}
# psql_test SQL: runs SQL in the test cluster.
psql_test() {
  psql -q -h 127.0.0.1 -p "$PGPORT_TEST" -U prewarm -d postgres -v ON_ERROR_STOP=1 -c "$1"
}

# need_postgres: a running test cluster (stopped at exit) and CONN for it,
# or a skip saying what is missing.
need_postgres() {
  [ -n "$PY" ] || skip_all "no python3"
  command -v psql >/dev/null || skip_all "no psql (apt-get install postgresql)"
  start_postgres || skip_all "could not start a PostgreSQL cluster (apt-get install postgresql)"
  trap 'pg_ctl_stop; for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
  CONN="host=127.0.0.1 port=$PGPORT_TEST user=prewarm dbname=postgres"
}

# make_test_ca: a CA (ca.crt/ca.key) and a server certificate for
# 127.0.0.1 and ::1 (srv.crt/srv.key) in $T, made with openssl; skips the
# whole test, saying so, without openssl.
make_test_ca() {
  command -v openssl >/dev/null || skip_all "no openssl to make the test CA"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
    -keyout "$T/ca.key" -out "$T/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=apiserver" \
    -keyout "$T/srv.key" -out "$T/srv.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n' >"$T/san.ext"
  openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/srv.crt" \
    >/dev/null 2>&1
  [ -s "$T/srv.crt" ] || skip_all "openssl could not make certificates"
}
