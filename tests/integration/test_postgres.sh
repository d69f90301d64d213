#!/bin/sh
# The PostgreSQL source against a real PostgreSQL (Debian's packages;
# initdb + pg_ctl in a temporary folder, loopback port): rows to samples,
# NULL/NaN as missing, bad rows refused, counters with a reset, bound
# parameters, a wrong query, the statement timeout, a database that is
# down at start and one that goes away mid-run and comes back.
set -u
. "$(dirname "$0")/lib.sh"
need_postgres
S="$TOOLS/src_script"
BASE=1767225600   # 2026-01-01T00:00:00Z
psql_test "
CREATE TABLE traffic (minute timestamptz, requests float8);
INSERT INTO traffic SELECT to_timestamp($BASE + 60 * i), 100 + i
  FROM generate_series(0, 179) AS i;
UPDATE traffic SET requests = NULL WHERE minute = to_timestamp($BASE + 600);
UPDATE traffic SET requests = 'NaN' WHERE minute = to_timestamp($BASE + 660);
UPDATE traffic SET requests = 'Infinity' WHERE minute = to_timestamp($BASE + 720);
UPDATE traffic SET requests = -3 WHERE minute = to_timestamp($BASE + 780);
INSERT INTO traffic VALUES (to_timestamp($BASE + 90), 5),
                           (to_timestamp($BASE + 1200), 999);
CREATE TABLE counts (minute timestamptz, total float8);
INSERT INTO counts VALUES (to_timestamp($BASE), 1000), (to_timestamp($BASE + 60), 1600),
  (to_timestamp($BASE + 120), 2200), (to_timestamp($BASE + 180), 300),
  (to_timestamp($BASE + 240), 900);" >/dev/null
Q='SELECT extract(epoch FROM minute), requests FROM traffic
   WHERE minute >= to_timestamp($1) AND minute < to_timestamp($2) ORDER BY 1'

# 1. Rows to samples.
"$S" pg "$CONN" "$Q" 60 "$BASE" $((BASE + 10800)) >"$T/o1"
check "3 hours of minutes; NULL and NaN missing; Inf, negative, off-grid, duplicate refused" \
  grep -q '^rc=ok n=178 nan=2 rejected=4 ' "$T/o1"
check "values as stored" sh -c "grep -q '^$((BASE * 1000)) 100\$' '$T/o1' && \
  grep -q '^$(( (BASE + 10740) * 1000 )) 279\$' '$T/o1'"
"$S" pg "$CONN" "$Q" 60 $((BASE + 600)) $((BASE + 1200)) >"$T/o2"
check "the range is [from, to): 10 rows, 8 usable" grep -q '^rc=ok n=8 nan=2 rejected=2 ' "$T/o2"
check "parameters are bound, never interpolated" \
  grep -q 'DETAIL:  parameters: [$]1 = .'"$((BASE + 600))"'\(\.000\)*., [$]2 = .'"$((BASE + 1200))" "$PG_LOG"

# 2. A counter, with a reset, to rates per second.
PG_COUNTER=1 "$S" pg "$CONN" 'SELECT extract(epoch FROM minute), total FROM counts
  WHERE minute >= to_timestamp($1) AND minute < to_timestamp($2) ORDER BY 1' 60 \
  "$BASE" $((BASE + 300)) >"$T/o3"
check "counter: 10/s, 10/s, a reset (300 over 60 s), 10/s" \
  sh -c "[ \"\$(sed 1d '$T/o3' | cut -d' ' -f2 | tr '\n' ' ')\" = '10 10 5 10 ' ]"

# 3. Wrong queries.
"$S" pg "$CONN" 'SELECT 1, 2, 3 WHERE $1::float8 < $2::float8' 60 "$BASE" $((BASE + 60)) >"$T/o4"
check "three columns: refused, saying what is expected" \
  grep -q '^rc=invalid argument .*returns 3 columns, not (time in Unix seconds, value)' "$T/o4"
"$S" pg "$CONN" 'SELEC x FROM traffic WHERE $1 < $2' 60 "$BASE" $((BASE + 60)) >"$T/o5"
check "a syntax error: PostgreSQL's message" \
  grep -q '^rc=the remote API failed .*postgresql query: ERROR: *syntax error' "$T/o5"
"$S" pg "$CONN" 'SELECT 1' 60 "$BASE" $((BASE + 60)) >"$T/o6" 2>&1
check "a query without \$1 and \$2 is refused at start" grep -q 'init rc=.*\$1 (from) and \$2 (to)' "$T/o6"
SRC_TIMEOUT_MS=500 "$S" pg "$CONN" 'SELECT $1::float8, pg_sleep(3)::text::float8 WHERE $2::float8 > 0' \
  60 "$BASE" $((BASE + 60)) >"$T/o7"
check "a slow query is cancelled by statement_timeout" \
  grep -q '^rc=.*canceling statement due to statement timeout' "$T/o7"

# 4. Down at start, gone mid-run, back again; PG* environment.
"$S" pg "host=127.0.0.1 port=1 user=prewarm dbname=postgres" "$Q" 60 "$BASE" $((BASE + 60)) >"$T/o8"
check "down at start: an I/O error with libpq's reason" \
  grep -q '^rc=input/output error .*postgresql connect: .*127.0.0.1' "$T/o8"
cat >"$T/stop.sh" <<SH
$(command -v runuser >/dev/null && [ "$(id -u)" = 0 ] && echo "runuser -u postgres --") "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
SH
cat >"$T/start.sh" <<SH
$(command -v runuser >/dev/null && [ "$(id -u)" = 0 ] && echo "runuser -u postgres --") "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -o "-k $PG_DIR -h 127.0.0.1 -p $PGPORT_TEST -c fsync=off -c log_statement=all" start >/dev/null 2>&1
SH
env -i PATH="$PATH" PGHOST=127.0.0.1 PGPORT="$PGPORT_TEST" PGUSER=prewarm PGDATABASE=postgres \
  "$S" pg "" "$Q" 60 "fetch:$BASE:$((BASE + 120))" "run:$T/stop.sh" \
  "fetch:$BASE:$((BASE + 120))" "fetch:$BASE:$((BASE + 120))" "run:$T/start.sh" \
  "sleep:2100" "fetch:$((BASE + 120)):$((BASE + 240))" >"$T/o9"
check "PG* environment; the first fetch works" sh -c "sed -n 1p '$T/o9' | grep -q '^rc=ok n=2 '"
check "gone mid-run: the query fails, the next reconnect is refused" sh -c "
  grep '^rc=' '$T/o9' | sed -n 2p | grep -q '^rc=input/output error .*postgresql query:' &&
  grep '^rc=' '$T/o9' | sed -n 3p | grep -q '^rc=input/output error .*postgresql connect:'"
check "back again: reconnected, the next range read" \
  sh -c "grep '^rc=' '$T/o9' | sed -n 4p | grep -q '^rc=ok n=2 '"

# 5. A counter that jumps by 1e308 in a second: no rate that is not finite.
psql_test "CREATE TABLE huge (t timestamptz, total float8);
INSERT INTO huge VALUES (to_timestamp($BASE), 0), (to_timestamp($BASE + 1), 1e308),
  (to_timestamp($BASE + 2), 1.5e308), (to_timestamp($BASE + 3), -1.7e308),
  (to_timestamp($BASE + 4), 1.7e308);" >/dev/null
PG_COUNTER=1 "$S" pg "$CONN" 'SELECT extract(epoch FROM t), total FROM huge
  WHERE t >= to_timestamp($1) AND t < to_timestamp($2) ORDER BY 1' 1 \
  "$BASE" $((BASE + 5)) >"$T/o10"
check "counter: rates of 1e308/s kept; a negative and an infinite rate refused and counted" \
  sh -c "grep -q '^rc=ok n=2 nan=0 rejected=2 ' '$T/o10' && ! grep -qi 'inf\$' '$T/o10'"

# 6. Secrets: libpq echoes a malformed connection string; none of it is
# shown, but libpq's reason is.
"$S" pg "host=127.0.0.1 port=$PGPORT_TEST user=prewarm password=hun ter2" "$Q" 60 \
  "$BASE" $((BASE + 60)) >"$T/s1" 2>&1
check "a malformed conninfo: refused at start, libpq's reason without the password" sh -c "
  grep -q '^init rc=invalid argument why=conninfo: malformed: missing \"=\" after \"\*\*\*\" in connection info string' '$T/s1' &&
  ! grep -q -e ter2 -e hun '$T/s1'"
"$S" pg "postgresql://prewarm:hunter2@[::1/postgres" "$Q" 60 "$BASE" $((BASE + 60)) >"$T/s2" 2>&1
check "a malformed URI with userinfo: refused, the URI not echoed" sh -c "
  grep -q '^init rc=invalid argument why=conninfo: malformed: .*IPv6 host address in URI' '$T/s2' &&
  ! grep -q hunter2 '$T/s2'"
"$S" pg "postgresql://prewarm:hunter2@127.0.0.1:1/postgres?connect_timeout=2" "$Q" 60 \
  "$BASE" $((BASE + 60)) >"$T/s3" 2>&1
check "a URI with userinfo, server down: libpq's reason, no password" sh -c "
  grep -q '^rc=input/output error .*postgresql connect: .*127.0.0.1.*port 1' '$T/s3' &&
  ! grep -q hunter2 '$T/s3'"
