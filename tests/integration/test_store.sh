#!/bin/sh
# The PostgreSQL store against a real PostgreSQL: the schema made and
# versioned, observations and decisions written in batches and read back
# (a restart resumes with its history), rows never doubled, two replicas
# migrating at once, an outage (rows kept, bounded, written after), and a
# schema newer than this prewarm.
set -u
. "$(dirname "$0")/lib.sh"
need_postgres
S="$TOOLS/store_tool"
P=${PREWARM:-build/prewarm}
B=1767225600
q() { psql -qtA -h 127.0.0.1 -p "$PGPORT_TEST" -U prewarm -d "${2:-postgres}" -c "$1"; }

# 1. Made, written, read back.
"$S" "$CONN" 1000 "obs:web:$B:120" "obs:web:$((B + 60)):nan" "obs:web:$((B + 120)):140" \
  "dec:web:$((B + 120)):140:3:predictive,reactive_floor:150.5:180.25" \
  "obs:api:$B:7" flush >"$T/o1"
check "first flush: the schema made (version 1), five rows written" \
  grep -q '^flush rc=ok queued=5 written=5 dropped=0 failures=0 version=1 ' "$T/o1"
got="$(q 'SELECT version FROM prewarm_schema')/$(q "SELECT count(*), count(load) FROM prewarm_observations WHERE target = 'web'")/$(q 'SELECT desired, reasons, forecast_mean, forecast_upper FROM prewarm_decisions')"
check "the tables and the schema version as documented" \
  [ "$got" = "1/3|2/3|predictive,reactive_floor|150.5|180.25" ]
"$S" "$CONN" 1000 "history:web:$B:$((B + 180))" "obs:web:$((B + 120)):999" flush >"$T/o2"
check "a restarted controller reads its history back (NULL as missing)" sh -c "
  grep -q '^history rc=ok n=3' '$T/o2' && grep -q '^$(( (B + 60) * 1000 )) nan\$' '$T/o2' &&
  grep -q '^$(( (B + 120) * 1000 )) 140\$' '$T/o2'"
check "a row written again is not doubled (nor changed)" \
  [ "$(q "SELECT count(*), sum(load) FROM prewarm_observations WHERE target = 'web'")" = "3|260" ]
check "the schema is migrated once" [ "$(q 'SELECT count(*) FROM prewarm_schema')" = 1 ]

# 2. Two replicas starting together on an empty database.
q "CREATE DATABASE two" >/dev/null
C2="host=127.0.0.1 port=$PGPORT_TEST user=prewarm dbname=two"
"$S" "$C2" 10 "obs:a:$B:1" flush >"$T/o3a" & p1=$!
"$S" "$C2" 10 "obs:b:$B:2" flush >"$T/o3b" & p2=$!
wait $p1 $p2
got="$(q 'SELECT count(*) FROM prewarm_schema' two)/$(q 'SELECT count(*) FROM prewarm_observations' two)"
check "two replicas migrating at once: both write, one schema row" sh -c "
  grep -q '^flush rc=ok' '$T/o3a' && grep -q '^flush rc=ok' '$T/o3b' && [ '$got' = 1/2 ]"

# 3. An outage: rows are kept (at most 4 here), then written.
cat >"$T/stop.sh" <<SH
$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
SH
cat >"$T/start.sh" <<SH
$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -o "-k $PG_DIR -h 127.0.0.1 -p $PGPORT_TEST -c fsync=off -c log_statement=all" start >/dev/null 2>&1
SH
"$S" "$CONN" 4 "obs:db:$B:1" flush "run:$T/stop.sh" \
  "obs:db:$((B + 60)):2" "obs:db:$((B + 120)):3" "obs:db:$((B + 180)):4" \
  "obs:db:$((B + 240)):5" "obs:db:$((B + 300)):6" flush \
  "run:$T/start.sh" sleep:1100 flush >"$T/o4"
check "during the outage: the flush fails, the rows stay, the oldest beyond 4 dropped" \
  sh -c "sed -n 2p '$T/o4' | grep -q '^flush rc=input/output error queued=6 written=1 dropped=1 failures=1 .*postgresql'"
check "the rows of the failed flush are counted" \
  sh -c "sed -n 2p '$T/o4' | grep -q ' failed=4 '"
got=$(q "SELECT string_agg(load::text, ',' ORDER BY ts) FROM prewarm_observations WHERE target = 'db'")
check "after it: the kept rows are written" \
  sh -c "sed -n 3p '$T/o4' | grep -q '^flush rc=ok queued=6 written=5 dropped=1 ' && [ '$got' = 1,3,4,5,6 ]"

# 4. A schema newer than this prewarm: refused, nothing written.
q "CREATE DATABASE newer" >/dev/null
q "CREATE TABLE prewarm_schema (version integer NOT NULL); INSERT INTO prewarm_schema VALUES (2)" newer
"$S" "host=127.0.0.1 port=$PGPORT_TEST user=prewarm dbname=newer" 10 "obs:x:$B:1" flush >"$T/o5"
check "a newer schema: refused with a way out" \
  grep -q '^flush rc=the remote API failed .*version 2, newer than this prewarm knows (1); upgrade prewarm' "$T/o5"

# 5. A bad connection string: libpq's reason, never the password.
"$S" "host=127.0.0.1 port=$PGPORT_TEST user=prewarm password=hun ter2" 10 "obs:x:$B:1" flush >"$T/o6"
check "a malformed conninfo: refused at open with libpq's reason, not the password" sh -c "
  grep -q '^init rc=invalid argument why=store: the connection string is malformed: missing \"=\" after \"\*\*\*\" in connection info string' '$T/o6' &&
  ! grep -q -e ter2 -e hun '$T/o6'"
"$S" "postgresql://prewarm:hunter2@127.0.0.1:1/postgres" 10 "obs:x:$B:1" flush flush >"$T/o7"
check "unreachable: every flush says libpq's reason, also while backing off" sh -c "
  [ \$(grep -c '^flush rc=input/output error .*port 1 failed: Connection refused' '$T/o7') = 2 ] &&
  sed -n 2p '$T/o7' | grep -q 'unavailable (.*); next connection attempt in' &&
  ! grep -q hunter2 '$T/o7'"

# 6. run --once with a store it cannot reach: the last line keeps libpq's
# reason; a malformed one is refused at start without the password.
cat >"$T/once.yaml" <<YML
store: {conninfo_env: PREWARM_TEST_STORE}
targets:
- name: web
  step: 60s
  source: {demo: {days: 2, seed: 1}}
  actuator: {dryrun: {}}
  forecast: {history: 1d, period: auto, model: auto, refit: 1h}
  policy: {unit_capacity: 1000, warmup: 120s, min: 1, max: 50}
YML
PREWARM_TEST_STORE="host=127.0.0.1 port=1 user=prewarm password=hunter2 dbname=x" \
  "$P" run --config "$T/once.yaml" --once >"$T/once.out" 2>"$T/once.err"
check "run --once, store down: the last line says why (libpq's reason)" sh -c "
  tail -1 '$T/once.err' | grep -q '\"level\":\"warn\".*store: .*rows not written at exit: .*port 1 failed: Connection refused' &&
  ! grep -q hunter2 '$T/once.err' '$T/once.out'"
PREWARM_TEST_STORE="host=127.0.0.1 password=hun ter2" \
  "$P" run --config "$T/once.yaml" --once >"$T/once2.out" 2>"$T/once2.err"
rc=$?
check "run --once, malformed store conninfo: refused at start, no password" sh -c "
  [ $rc = 2 ] && grep -q 'store: the connection string is malformed: missing' '$T/once2.err' &&
  ! grep -q ter2 '$T/once2.err'"
