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

# skip_all REASON: prints one skipped result and exits.
skip_all() {
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
