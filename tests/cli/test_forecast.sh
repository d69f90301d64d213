#!/bin/sh
# prewarm forecast: the output contract and every bad input the contract
# names (exit status 2 and one line naming the file, the line and the
# problem).  Prints TAP-style "ok"/"not ok" lines.
set -u
. "$(dirname "$0")/tap.sh"

# expect_fail NAME PATTERN ARGS...: exit 2, one stderr line matching PATTERN,
# nothing on stdout.
expect_fail() {
  name=$1 pat=$2
  shift 2
  "$P" forecast "$@" >"$T/out" 2>"$T/err"
  rc=$?
  lines=$(wc -l <"$T/err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$T/err" &&
     [ ! -s "$T/out" ]; then
    ok "$name"
  else
    notok "$name" "exit $rc, $lines stderr lines, want 2 and /$pat/" \
      "stderr: $(cat "$T/err")"
  fi
}

# A periodic series of 120 rows (period 12) with a timestamp column.
awk 'BEGIN { print "time,load"; for(t = 0; t < 120; t++)
  printf "t%d,%d\n", t, 10 + (t % 12) * 3 }' >"$T/good.csv"

"$P" forecast --input "$T/good.csv" --horizon 5 --period 12 \
  --quantiles 0.5,0.95,0.990 --model hw >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && [ "$(head -1 "$T/out")" = "h,mean,q0.5,q0.95,q0.990" ] &&
   [ "$(wc -l <"$T/out")" -eq 6 ] && [ ! -s "$T/err" ]; then
  ok "header names the quantiles as written"
else
  notok "header names the quantiles as written" "$(head -2 "$T/out")" \
    "$(cat "$T/err")"
fi

# The series forecasts itself: rows 120..124 are 10,13,16,19,22.
got=$(cut -d, -f2 "$T/out" | tail -n +2 | awk '{ printf "%.3f ", $1 }')
if [ "$got" = "10.000 13.000 16.000 19.000 22.000 " ]; then
  ok "periodic series forecasts itself"
else
  notok "periodic series forecasts itself" "got $got"
fi

"$P" forecast --input "$T/good.csv" --horizon 3 --stats >/dev/null 2>"$T/err"
if grep -q '"model":"[a-z-]*".*"period":12,.*"period_source":"auto".*"fit_ms":' "$T/err"; then
  ok "--stats: one JSON object with model, detected period, fit_ms"
else
  notok "--stats: one JSON object with model, detected period, fit_ms" \
    "$(cat "$T/err")"
fi
if /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
     "$T/err" 2>/dev/null; then
  ok "--stats is valid JSON"
else
  notok "--stats is valid JSON" "$(cat "$T/err")"
fi

# Identical runs give identical output.
"$P" forecast --input "$T/good.csv" --horizon 24 >"$T/a"
"$P" forecast --input "$T/good.csv" --horizon 24 >"$T/b"
if cmp -s "$T/a" "$T/b"; then ok "deterministic"; else notok "deterministic"; fi

# --column picks a column; stdin works.
awk 'BEGIN { print "x,load,junk"; for(t = 0; t < 60; t++)
  printf "%d,%d,zz\n", t, 5 + (t % 6) }' >"$T/cols.csv"
if "$P" forecast --input - --column load --horizon 2 --period 6 \
     --model snaive <"$T/cols.csv" | tail -1 | grep -q '^2,6,'; then
  ok "--column and --input -"
else
  notok "--column and --input -"
fi

# Bad inputs.
printf 'time,load\nt0,1\nt1,2\nt2,abc\n' >"$T/text.csv"
expect_fail "non-numeric value names file and line" \
  "text.csv:4: value 'abc' is not a number" --input "$T/text.csv" --horizon 1
expect_fail "missing file" "nope.csv: cannot open" \
  --input "$T/nope.csv" --horizon 1
head -20 "$T/good.csv" >"$T/short.csv"
expect_fail "too few rows for the period" \
  "short.csv:20: 19 rows from the first value, but hw with period 12 needs at least 24" \
  --input "$T/short.csv" --horizon 1 --period 12 --model hw
expect_fail "--horizon 0" "horizon: '0' is not a whole number" \
  --input "$T/good.csv" --horizon 0
expect_fail "missing --horizon" "horizon H is required" --input "$T/good.csv"
expect_fail "missing --input" "input FILE is required" --horizon 3
expect_fail "unknown model" "unknown model 'arima'" \
  --input "$T/good.csv" --horizon 3 --model arima
expect_fail "unknown option" "unknown or incomplete option '--frobnicate'" \
  --input "$T/good.csv" --horizon 3 --frobnicate
expect_fail "bad quantile" "'1.5' is not a probability" \
  --input "$T/good.csv" --horizon 3 --quantiles 0.5,1.5
expect_fail "bad period" "period: 'x' is not 'auto'" \
  --input "$T/good.csv" --horizon 3 --period x
expect_fail "dshw without period2" "dshw needs --period2" \
  --input "$T/good.csv" --horizon 3 --period 12 --model dshw
expect_fail "no column" "no column named 'nope'" \
  --input "$T/good.csv" --horizon 3 --column nope
printf 'a,b\n1,2\n3\n' >"$T/ragged.csv"
expect_fail "short row" "ragged.csv:3: row has 1 fields" \
  --input "$T/ragged.csv" --horizon 3 --column b
printf 'time,load\n' >"$T/empty.csv"
expect_fail "header only" "empty.csv: the file has no data rows" \
  --input "$T/empty.csv" --horizon 3 --period 2
expect_fail "header only, period auto" "empty.csv: the file has no data rows" \
  --input "$T/empty.csv" --horizon 3
awk 'BEGIN { print "t,v"; for(t = 0; t < 200; t++) printf "%d,7\n", t }' \
  >"$T/flat.csv"
expect_fail "no period found" \
  "no seasonal period found in 200 rows: every value is 7, and a constant" \
  --input "$T/flat.csv" --horizon 3
awk 'BEGIN { print "t,v"; for(t = 0; t < 50; t++) printf "%d,%d\n", t, t % 5 }' \
  >"$T/zero.csv"
expect_fail "hw-mul on zeros" "zero.csv:2: hw-mul needs values above zero" \
  --input "$T/zero.csv" --horizon 3 --period 5 --model hw-mul
printf 't,v\n1,1e999\n' >"$T/inf.csv"
expect_fail "overflow" "inf.csv:2: value '1e999' is not a finite number" \
  --input "$T/inf.csv" --horizon 1

# Gaps are never zeros: a series with missing cells still forecasts the
# periodic values.
awk 'BEGIN { print "t,v"; for(t = 0; t < 120; t++)
  if(t % 17 == 5) printf "%d,\n", t; else if(t % 23 == 3) printf "%d,NA\n", t;
  else printf "%d,%d\n", t, 10 + (t % 12) * 3 }' >"$T/gaps.csv"
got=$("$P" forecast --input "$T/gaps.csv" --horizon 2 --period 12 --model hw |
  tail -n +2 | cut -d, -f2 | awk '{ printf "%.2f ", $1 }')
if [ "$got" = "10.00 13.00 " ]; then
  ok "missing cells are skipped, not zeros"
else
  notok "missing cells are skipped, not zeros" "got $got"
fi

# Timestamps give the step, and with it the day as the preferred period.
"$P" demo-trace --days 7 --step 300 --output "$T/week.csv"
"$P" forecast --input "$T/week.csv" --horizon 2 --stats >/dev/null 2>"$T/err"
if grep -q '"period":288,' "$T/err"; then
  ok "the day is found from the timestamps"
else
  notok "the day is found from the timestamps" "$(cat "$T/err")"
fi

"$P" forecast --help >"$T/out" 2>&1
if [ $? -eq 0 ] && grep -q 'usage: prewarm forecast' "$T/out"; then
  ok "--help"
else
  notok "--help"
fi

# Messages (issue #12 item 14): say what is wrong in the user's terms.
printf '1,5\n2,6\n3,7\n4,8\n' >"$T/nohead.csv"
expect_fail "no header row" \
  "nohead.csv:1: the first row holds data ('5' in column 2 is a number), but" \
  --input "$T/nohead.csv" --horizon 1 --period 2
expect_fail "wrong column lists the columns" \
  "no column named 'nope' in the header; the columns are 'time', 'load'" \
  --input "$T/good.csv" --horizon 3 --column nope
expect_fail "cannot read gives the reason" "$T: cannot read: Is a directory" \
  --input "$T" --horizon 3
expect_fail "cannot open gives the reason" \
  "nothere.csv: cannot open: No such file or directory" \
  --input "$T/nothere.csv" --horizon 3

# One huge spike does not hide the daily period (issue #12 item 13).
awk 'BEGIN { print "t,v"; for(t = 0; t < 20160; t++) {
  v = 3000 + 1500 * sin(2 * 3.14159265358979 * t / 1440) + (t * 7919) % 97
  if(t == 5000) v = 1e15
  printf "%d,%.10g\n", t, v } }' >"$T/spike.csv"
"$P" forecast --input "$T/spike.csv" --horizon 3 --stats >/dev/null \
  2>"$T/err"
check "a 1e15 spike in 20,160 rows: the period is still found" \
  grep -q '"period":1440,' "$T/err"
