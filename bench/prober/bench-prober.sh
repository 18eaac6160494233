#!/usr/bin/env bash
# bench-prober.sh -- `make bench-prober`: orbl-prober running BENCH_RUNS
# probe runs at once against a farm of fake SMTP servers (smtpfarm.c, one
# process) on as many 127.x addresses; see bench/README.md ("the prober").
# Prints wall time against the ideal (the servers' scripted delays), the
# prober's CPU time and memory per run and per concurrent session, the
# sessions actually reached; checks every verdict.  Exit 1 if a verdict is
# wrong, something is listed, or the runs do not end in time.
# Environment (defaults): BENCH_BIN (./bin) BENCH_DIR (${TMPDIR:-/tmp}/orbl-bench-prober)
#   BENCH_RUNS (1000) BENCH_CONC (= BENCH_RUNS: probe_concurrency)
#   BENCH_DELAY_MS (200: every reply of the farm) BENCH_MIX (80:15:5 closed:discard:tarpit, %)
#   BENCH_TARPIT_MS (1000: a tarpit's byte interval) BENCH_SMTP_TIMEOUT (5: s, the
#   prober's smtp_timeout) BENCH_ARRIVAL_WAIT (2: s) BENCH_NET (127.77: the farm's /16)
#   BENCH_PORT (10025: the farm's port) BENCH_NOFILE (auto: the prober's open-file limit)
#   BENCH_SUBMIT (sql: one sqlite3 transaction | ctl: one `orblctl submit` each)
#   BENCH_MAXWAIT (240: s, for all runs to end)
#   BENCH_PERF (0; 1: `perf record -g` on the prober while the runs last, top symbols)
#   BENCH_LOOPWATCH (5: ms, the prober's loop-stall timer, ORBL_LOOPWATCH_MS; 0: off)
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/orbl-bench-prober}
RUNS=${BENCH_RUNS:-1000}
CONC=${BENCH_CONC:-$RUNS}
DELAY=${BENCH_DELAY_MS:-200}
MIX=${BENCH_MIX:-80:15:5}
TARPIT=${BENCH_TARPIT_MS:-1000}
STO=${BENCH_SMTP_TIMEOUT:-5}
AWAIT=${BENCH_ARRIVAL_WAIT:-2}
NET=${BENCH_NET:-127.77}
PORT=${BENCH_PORT:-10025}
NOFILE=${BENCH_NOFILE:-auto}
SUBMIT=${BENCH_SUBMIT:-sql}
MAXWAIT=${BENCH_MAXWAIT:-240}
PERF=${BENCH_PERF:-0}
LOOPWATCH=${BENCH_LOOPWATCH:-5}
HZ=$(getconf CLK_TCK)

die() { echo "bench-prober: $*" >&2; exit 2; }
say() { echo "bench-prober: $*" >&2; }
for v in RUNS CONC DELAY TARPIT STO AWAIT PORT MAXWAIT PERF LOOPWATCH; do
	case ${!v} in ''|*[!0-9]*) die "BENCH_$v must be a whole number";; esac
done
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 64000 ] || die "BENCH_RUNS: 1 to 64000"
[ "$CONC" -ge 1 ] || die "BENCH_CONC must be at least 1"
case $MIX in *[!0-9:]*|*:*:*:*) die "BENCH_MIX: closed:discard:tarpit percentages";; esac
IFS=: read -r PC PD PT <<<"$MIX"
[ $((PC + PD + PT)) -eq 100 ] || die "BENCH_MIX must add up to 100"
case $NET in 127.[0-9]|127.[0-9][0-9]|127.[0-9][0-9][0-9]) ;;
	*) die "BENCH_NET must be 127.N (traffic stays in 127.0.0.0/8)";; esac
case $SUBMIT in sql|ctl) ;; *) die "BENCH_SUBMIT: sql or ctl";; esac
for t in cc sqlite3 ss; do command -v $t >/dev/null || die "$t is missing"; done
[ "$PERF" = 0 ] || command -v perf >/dev/null || die "BENCH_PERF=1: perf is missing"
[ -x "$BIN/orbl-prober" ] && [ -x "$BIN/orblctl" ] ||
	die "no $BIN/orbl-prober or $BIN/orblctl: run make first"

# ---- processes we start: every one by PID, stopped on any exit
PIDS=""
track() { PIDS="$1 $PIDS"; }	# stopped last-started first
stop_pid() { # pid: TERM, up to 15 s (the prober records its runs), then KILL
	local p=$1
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
cleanup() { local p; for p in $PIDS; do stop_pid "$p"; done; PIDS=""; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

# ---- scratch: the farm, the manifest, a fresh database
mkdir -p "$W" || die "cannot create $W"
FARM=$W/smtpfarm
if [ ! -x "$FARM" ] || [ "$ROOT/bench/prober/smtpfarm.c" -nt "$FARM" ]; then
	cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow \
	    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	    -o "$FARM" "$ROOT/bench/prober/smtpfarm.c" || die "cannot build smtpfarm"
fi
# The floor: one send + one recv on loopback, the client's CPU (what a
# command cannot cost less than).
PP=$W/pingpong
if [ ! -x "$PP" ] || [ "$ROOT/bench/prober/pingpong.c" -nt "$PP" ]; then
	cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow \
	    -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	    -o "$PP" "$ROOT/bench/prober/pingpong.c" || die "cannot build pingpong"
fi
FLOOR=$("$PP" 100000) || die "pingpong failed"
DB=$W/orbl.db CONF=$W/orbl.conf PLOG=$W/prober.log FLOG=$W/farm.log
MAN=$W/manifest FSTATS=$W/farm.stats SERIES=$W/series.tsv
rm -f "$DB" "$DB-wal" "$DB-shm" "$PLOG" "$FLOG" "$FSTATS" "$SERIES"

# Address i: NET.(i / 250).(i % 250 + 1); behaviour from (i * 37) % 100,
# which takes every value once in any 100 consecutive i: the mix is spread
# evenly over the addresses and the /24s.
awk -v n="$RUNS" -v net="$NET" -v pc="$PC" -v pd="$PD" 'BEGIN {
	for (i = 0; i < n; i++) {
		x = (i * 37) % 100
		b = x < pc ? "closed" : x < pc + pd ? "discard" : "tarpit"
		printf "%s.%d.%d %s\n", net, int(i / 250), i % 250 + 1, b
	}
}' >"$MAN"
NC=$(grep -c ' closed$' "$MAN") ND=$(grep -c ' discard$' "$MAN") NT=$(grep -c ' tarpit$' "$MAN")

if ss -Htln "( sport = :$PORT )" | grep -q "$NET\."; then
	die "port $PORT is in use on $NET.x (BENCH_PORT)"
fi
SINKPORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
    LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport') ||
	die "no free port for the sink"

cat >"$CONF" <<EOF
# written by bench/prober/bench-prober.sh
database = $DB
sink_listen = 127.0.0.1:$SINKPORT
sink_domain = sink.bench.test
sink_local = relaytest
helo_name = prober.bench.test
probe_allow = 127.0.0.0/8
cookie_key = bench secret, not for production
connect_timeout = 10s
smtp_timeout = ${STO}s
probe_timeout = 10m
arrival_wait = ${AWAIT}s
retest_interval = 1s
probe_concurrency = $CONC
prefix_limit = 1000000
submit_limit = 1000000
EOF
"$BIN/orblctl" -c "$CONF" init >/dev/null || die "orblctl init failed"

# ---- file limits: the farm needs a socket per address and per client;
# the prober one per session (it does not raise its own limit).
HARD=$(ulimit -Hn)
want_fd() { # n: the limit to ask for (root may raise the hard limit)
	local n=$1
	if [ "$HARD" != unlimited ] && [ "$n" -gt "$HARD" ] && [ "$(id -u)" -ne 0 ]; then
		say "open-file limit $n wanted, hard limit $HARD"; n=$HARD
	fi
	echo "$n"
}
FARM_FD=$(want_fd $((RUNS * 2 + 256)))
if [ "$NOFILE" = auto ]; then
	NOFILE=$(ulimit -Sn)
	[ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((CONC + 256)) ] &&
		NOFILE=$(want_fd $((CONC + 256)))
fi
case $NOFILE in ''|*[!0-9]*) die "BENCH_NOFILE must be a whole number";; esac

# ---- the farm
(ulimit -n "$FARM_FD" 2>/dev/null || ulimit -Sn "$FARM_FD"
 exec "$FARM" -m "$MAN" -p "$PORT" -s "$FSTATS" -d "$DELAY" -t "$TARPIT" \
     -i 120 -l $((MAXWAIT + 120))) 2>"$FLOG" &
FPID=$!; track $FPID
for _ in $(seq 100); do [ -s "$FSTATS" ] && break; kill -0 $FPID 2>/dev/null || break; sleep 0.1; done
[ -s "$FSTATS" ] || die "the farm did not start: $(cat "$FLOG")"
say "farm: $RUNS addresses $NET.0.1 .. $(tail -1 "$MAN" | cut -d' ' -f1) port $PORT" \
    "($NC closed, $ND discard, $NT tarpit), every reply after $DELAY ms"

# ---- the prober
(ulimit -n "$NOFILE" 2>/dev/null || ulimit -Sn "$NOFILE"
 [ "$LOOPWATCH" -gt 0 ] && export ORBL_LOOPWATCH_MS=$LOOPWATCH
 exec "$BIN/orbl-prober" -d -c "$CONF") 2>"$PLOG" &
PPID_=$!; track $PPID_
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$SINKPORT") 2>/dev/null && break
	kill -0 $PPID_ 2>/dev/null || break; sleep 0.1
done
kill -0 $PPID_ 2>/dev/null || die "orbl-prober did not start: $(cat "$PLOG")"
sleep 1
st_cpu() { awk '{ print $14 + $15 }' "/proc/$PPID_/stat"; }
st_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PPID_/status"; }
fst() { sed -n "s/^$1=//p" "$FSTATS"; }
IDLE_RSS=$(st_kb VmRSS) CPU0=$(st_cpu)
say "orbl-prober: pid $PPID_, probe_concurrency $CONC, open files $(awk '/Max open files/ { print $4 }' /proc/$PPID_/limits), idle RSS $IDLE_RSS KiB"

# ---- submit everything at once
q() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }
if [ "$PERF" != 0 ]; then
	perf record -q -g -o "$W/perf.data" -p $PPID_ 2>"$W/perf.log" &
	PERFPID=$!; track $PERFPID; sleep 0.5
fi
T0=$EPOCHREALTIME
if [ "$SUBMIT" = sql ]; then
	# What `orblctl submit` writes (db_submission_add): the submission row
	# and its "queued" event -- all of them in one transaction, so that the
	# prober sees them at once.
	{
		echo "BEGIN IMMEDIATE;"
		awk -v p="$PORT" '{ printf "INSERT INTO submission (addr, port, submitter, state, created, updated) VALUES (\047%s\047, %d, \047bench\047, \047queued\047, strftime(\047%%s\047), strftime(\047%%s\047));\n", $1, p }' "$MAN"
		echo "INSERT INTO event (ts, kind, ref, addr, actor, what, why) SELECT created, 'submission', id, addr, 'bench', 'queued', submitter FROM submission;"
		echo "COMMIT;"
	} | q || die "cannot insert the submissions"
else
	while read -r a _; do
		"$BIN/orblctl" -c "$CONF" submit "$a" --port "$PORT" --submitter bench >/dev/null ||
			die "orblctl submit $a failed"
	done <"$MAN"
fi
T1=$EPOCHREALTIME
say "submitted $RUNS in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s ($SUBMIT)"

# ---- sample until every submission is done: time, done, TCP sessions to
# the farm, CPU ticks, RSS; SIGUSR1 once a second ("runs active N")
printf 't\tdone\testab\tcpu_ticks\trss_kb\n' >"$SERIES"
TEND="" last_usr1=0 n=0
while :; do
	now=$EPOCHREALTIME
	el=$(awk -v a="$T0" -v b="$now" 'BEGIN { printf "%.2f", b - a }')
	ndone=$(q "SELECT count(*) FROM submission WHERE state IN ('done', 'failed')" 2>/dev/null) || ndone=-1
	if [ $((n % 2)) -eq 0 ]; then
		estab=$(ss -Htn state established "( dport = :$PORT )" dst "$NET.0.0/16" | wc -l)
	fi
	kill -0 $PPID_ 2>/dev/null || die "orbl-prober died: $(tail -5 "$PLOG")"
	printf '%s\t%s\t%s\t%s\t%s\n' "$el" "$ndone" "$estab" "$(st_cpu)" "$(st_kb VmRSS)" >>"$SERIES"
	if [ "$ndone" -ge "$RUNS" ]; then TEND=$now; break; fi
	if [ "${el%.*}" -ge "$MAXWAIT" ]; then break; fi
	if [ "${el%.*}" -gt "$last_usr1" ]; then last_usr1=${el%.*}; kill -USR1 $PPID_; fi
	n=$((n + 1))
	sleep 0.2
done
CPU1=$(st_cpu) HWM=$(st_kb VmHWM)
if [ "$PERF" != 0 ]; then
	kill -INT $PERFPID 2>/dev/null; wait $PERFPID 2>/dev/null
	{ perf report -i "$W/perf.data" --no-children --stdio -g none --sort dso \
	    2>/dev/null | grep -E '^ +[0-9]' | head -8
	  perf report -i "$W/perf.data" --no-children --stdio -g none \
	    --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]' | head -20
	} | sed 's/ *$//' >"$W/perf.top"
fi
kill -USR1 $FPID; sleep 0.3
FCPU=$(awk '{ print $14 + $15 }' "/proc/$FPID/stat")
stop_pid $PPID_
PLOG_BYTES=$(wc -c <"$PLOG") PLOG_LINES=$(wc -l <"$PLOG")
DB_BYTES=$(cat "$DB" "$DB-wal" 2>/dev/null | wc -c)

# ---- correctness: every verdict as its behaviour wants, nothing listed
BAD=0
q "SELECT addr, state, coalesce(result, '-') FROM submission WHERE submitter = 'bench'" |
    tr '|' ' ' >"$W/got"
awk 'BEGIN { want["closed"] = "closed"; want["discard"] = "accepted-not-delivered"
	want["tarpit"] = "timeout" }
NR == FNR { beh[$1] = $2; next }
{ n++; b = beh[$1]; key = b " -> " $2 " " $3; cnt[key]++
  if ($2 != "done" || $3 != want[b]) { bad++; if (bad <= 5) ex = ex "  " $1 " (" b "): " $2 " " $3 "\n" } }
END { for (k in cnt) printf "  %-8s %5d\n", k, cnt[k] | "sort"; close("sort")
  if (n != lines) printf "BADCOUNT %d\n", n
  if (bad) printf "BAD %d\n%s", bad, ex }' lines="$RUNS" "$MAN" "$W/got" >"$W/verdicts"
grep -q '^BAD' "$W/verdicts" && BAD=1
NLISTED=$(q "SELECT count(*) FROM listing")
NPROBES=$(q "SELECT count(*) FROM probe")
[ "$NLISTED" -eq 0 ] || BAD=1
[ -n "$TEND" ] || BAD=1
sub_t() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a > 0 && b > 0) ? a - b : 0 }'; }
ms_s() { awk -v m="${1:-0}" 'BEGIN { printf "%.2f", m / 1000 }'; }
avg_run() { q "SELECT coalesce(round(avg(finished - started), 1), 0) FROM probe WHERE verdict = '$1'"; }

# ---- figures
# The loop watch's figure at exit (the largest lateness of a 5 ms timer).
# Its lateness is wall time (the load's scheduling in it too); the CPU
# time the prober spent in one stall is its own part.
STALL=$(sed -n 's/.*stats (exit):.*loop stall max \([0-9.]*\) ms (\([0-9]*\) over [0-9]* ms), CPU in one \([0-9.]*\) ms (\([0-9]*\) over).*/\1 \2 \3 \4/p' "$PLOG" | tail -1)
S_RUNS_ACTIVE=$(sed -n 's/.*stats (SIGUSR1): runs active \([0-9]*\).*/\1/p' "$PLOG" | sort -n | tail -1)
PEAK_ESTAB=$(awk 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$SERIES")
CPU_BURST=$(awk -v hz="$HZ" -v c0="$CPU0" 'NR > 1 && $1 <= 2.0 { c = $4 } END { printf "%.2f", (c - c0) / hz }' "$SERIES")
RAMP=$(awk -v p="$PEAK_ESTAB" 'NR > 1 && $3 >= 0.95 * p { print $1; exit }' "$SERIES")
read -r -a FIG <<<"$(awk -v t0="$T0" -v te="${TEND:-0}" -v c0="$CPU0" -v c1="$CPU1" -v hz="$HZ" \
    -v runs="$RUNS" -v conc="$CONC" -v idle="$IDLE_RSS" -v hwm="$HWM" \
    -v peak="${S_RUNS_ACTIVE:-0}" -v nc="$NC" -v nd="$ND" -v nt="$NT" \
    -v dc="$(fst closed_delay_ms)" -v dd="$(fst discard_delay_ms)" \
    -v dconn="$(fst discard_conns)" \
    -v cmds="$(( $(fst closed_replies) + $(fst discard_replies) + $(fst tarpit_replies) - $(fst closed_conns) - $(fst discard_conns) - $(fst tarpit_conns) ))" \
    -v aw="$AWAIT" -v sto="$STO" 'BEGIN {
	wall = te > 0 ? te - t0 : 0
	sc = nc ? dc / nc / 1000 : 0		# one closed run, serially
	# one discard run: its replies, and a wait after each session
	# (batches: probe_max_accepted messages, then arrival_wait, then
	# the forms not sent yet; the last wait decides)
	sd = nd ? dd / nd / 1000 + (dconn / nd) * aw : 0
	st = nt ? sto : 0			# a tarpit: the banner deadline
	mx = sc; if (sd > mx) mx = sd; if (st > mx) mx = st
	sum = nc * sc + nd * sd + nt * st
	c = conc < runs ? conc : runs
	ideal = sum / c; if (mx > ideal) ideal = mx
	cpu = (c1 - c0) / hz
	if (peak < 1) peak = 1
	printf "%.2f %.2f %.2f %.2f %.2f %.2f %.3f %.1f %.2f %.1f %.1f %.1f %d %.1f\n",
	    wall, ideal, (ideal > 0 ? wall / ideal : 0), sc, sd, cpu,
	    cpu * 1000 / runs, (wall > 0 ? cpu / wall * 100 : 0),
	    (wall > 0 ? cpu / wall * 1e6 / peak : 0),
	    hwm / 1024, idle / 1024, (hwm - idle) / peak,
	    cmds, (cmds > 0 ? cpu * 1e6 / cmds : 0)
}')"
WALL=${FIG[0]} IDEAL=${FIG[1]} RATIO=${FIG[2]} SC=${FIG[3]} SD=${FIG[4]} CPU=${FIG[5]}
CPURUN=${FIG[6]} CPUPCT=${FIG[7]} CPUSESS=${FIG[8]} HWM_MB=${FIG[9]} IDLE_MB=${FIG[10]} KBSESS=${FIG[11]}
NCMDS=${FIG[12]} USCMD=${FIG[13]}
read -r STALL_MS STALL_N STALL_CPU STALL_NCPU <<<"${STALL:-- - - -}"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# Targets (issue #14): met or not, beside each figure.
tgt() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v != "-" && v + 0 <= t + 0) ? "met" : "MISSED" }'; }
[ "$IDEAL" = 0.00 ] && RATIO="n/a (no scripted delay)"

cat <<EOF

orbl-prober under $RUNS concurrent runs (probe_concurrency $CONC, open files $NOFILE)
  farm: $NC closed, $ND discard, $NT tarpit on $NET.x port $PORT; reply delay $DELAY ms,
        tarpit 1 byte / $TARPIT ms; smtp_timeout ${STO}s, arrival_wait ${AWAIT}s; farm CPU $(awk -v c="$FCPU" -v hz="$HZ" 'BEGIN { printf "%.2f", c / hz }') s
  load average at the end: $LOAD (2 vCPUs: wall-clock figures move with it, CPU and memory much less)
  | figure                                   | value | target |
  |---|---|---|
  | sessions reached (max "runs active")      | ${S_RUNS_ACTIVE:-?} |
  | TCP sessions to the farm (max, ss)        | $PEAK_ESTAB (95 % of it after ${RAMP:-?} s) |
  | wall time, submit to last done            | ${WALL} s$([ -n "$TEND" ] || echo " (NOT FINISHED in ${MAXWAIT}s)") |
  | ideal (scripted delays / concurrency)     | ${IDEAL} s (one closed run ${SC} s, discard ${SD} s, tarpit ${STO} s) |
  | wall / ideal                              | ${RATIO} | <= 1.3: $(tgt "$RATIO" 1.3) |
  | mean run, database (closed/acc-not-del/timeout) | $(avg_run closed) / $(avg_run accepted-not-delivered) / $(avg_run timeout) s |
  | first connection after submit             | $(sub_t "$(fst first_accept)" "$T0") s |
  | last close to last done                   | $(sub_t "${TEND:-0}" "$(fst last_close)") s |
  | run as the farm saw it, closed mean / max | $(ms_s "$(fst closed_span_mean_ms)") / $(ms_s "$(fst closed_span_max_ms)") s (scripted ${SC} s) |
  | run as the farm saw it, discard mean / max| $(ms_s "$(fst discard_span_mean_ms)") / $(ms_s "$(fst discard_span_max_ms)") s (scripted $(ms_s "$(awk -v d="$(fst discard_delay_ms)" -v n="$ND" 'BEGIN { print n ? int(d / n) : 0 }')") s) |
  | prober reaction, reply to next command    | closed mean $(fst closed_react_mean_ms) p50 $(fst closed_react_p50_ms) p99 $(fst closed_react_p99_ms) max $(fst closed_react_max_ms) ms; discard p99 $(fst discard_react_p99_ms) max $(fst discard_react_max_ms) ms | p99 <= 50 ms: $(tgt "$(fst closed_react_p99_ms)" 50) |
  | farm's own lag behind its script          | mean $(fst late_mean_ms) max $(fst late_max_ms) ms |
  | prober CPU (utime+stime)                  | ${CPU} s, ${CPU_BURST} s of it in the first 2 s |
  | CPU per run                               | ${CPURUN} ms | |
  | CPU per SMTP command                      | ${USCMD} us ($NCMDS commands: the farm's replies less its greetings); floor ${FLOOR} us (one send + one recv, pingpong.c): $(awk -v a="$USCMD" -v b="$FLOOR" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }') x | <= 15 us: $(tgt "$USCMD" 15) |
  | CPU per concurrent session                | ${CPUSESS} us/s (${CPUPCT} % of a core over the wall) |
  | RSS idle / peak (VmHWM)                   | ${IDLE_MB} / ${HWM_MB} MiB |
  | RSS per concurrent session                | ${KBSESS} KiB ((peak - idle) / sessions) | <= 12 KiB: $(tgt "$KBSESS" 12) |
  | longest event-loop stall (${LOOPWATCH} ms watch)     | ${STALL_MS} ms wall (${STALL_N} over 20 ms); CPU in one stall at most ${STALL_CPU} ms (${STALL_NCPU} over 20 ms) | <= 20 ms: wall $(tgt "$STALL_MS" 20), CPU $(tgt "$STALL_CPU" 20) |
  | log                                       | $PLOG_LINES lines, $PLOG_BYTES bytes ($((PLOG_BYTES / RUNS)) per run) |
  | database + WAL                            | $DB_BYTES bytes ($((DB_BYTES / RUNS)) per run) |
  | probes recorded / listings                | $NPROBES / $NLISTED |
verdicts (behaviour -> state verdict):
$(cat "$W/verdicts")
EOF
[ "$PERF" != 0 ] && { echo "perf: the prober's samples by object, then by symbol (self)"; cat "$W/perf.top"; }
[ "$(fst errors)" = 0 ] || say "the farm counted $(fst errors) protocol errors (see $FSTATS)"
say "files in $W (series.tsv: the samples; prober.log; farm.stats)"
if [ "$BAD" -ne 0 ]; then
	say "FAILED: wrong verdicts, listings or unfinished runs (see above)"
	exit 1
fi
exit 0
