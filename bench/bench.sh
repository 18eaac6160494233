#!/usr/bin/env bash
# bench.sh -- `make bench`: orbl-dnsd against rbldnsd and a floor responder,
# same machine, same data, same load generators; see bench/README.md.
#   bench.sh [all|main|reload|perf]   (default all = main, then reload)
# main:   each server under dnsperf and under blast, BENCH_REP times, one
#         table of medians and the ratios the targets are stated in
# reload: a 10,000-listing update under full dnsperf load (orbl-dnsd and
#         rbldnsd): time until visible, lost queries, latency spike
# perf:   orbl-dnsd under blast with `perf record`; top symbols
# Environment (defaults): BENCH_BIN (./bin) BENCH_DIR (${TMPDIR:-/tmp}/orbl-bench-make)
#   BENCH_PORT (5391) BENCH_DUR (20) BENCH_REP (3) BENCH_SERVERS (floor rbldnsd orbl orblrrl)
#   (orblrrl: orbl-dnsd with response rate limiting on, its rate too high to
#   drop anything: the cost of RRL's per-query accounting; only it and orbl:
#   BENCH_SERVERS="orbl orblrrl" BENCH_LOADGENS=blast)
#   BENCH_LOADGENS (dnsperf blast) BENCH_DNSPERF_OPTS (-c 8 -T 4 -q 100)
#   BENCH_BLAST_OPTS (-w 128 -b 32) BENCH_WORKERS (1) BENCH_SCPU (0) BENCH_CCPU (1)
#   BENCH_RELOAD_DUR (15) BENCH_RELOAD_AT (5) BENCH_START_WAIT (60) BENCH_QUIET_WAIT (30)
#   BENCH_GEN_OPTS (passed to gen-dataset, e.g. "-n 200000") BENCH_REIMPORT (1)
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/orbl-bench-make}
PORT=${BENCH_PORT:-5391}
DUR=${BENCH_DUR:-20}
REP=${BENCH_REP:-3}
SERVERS=${BENCH_SERVERS:-"floor rbldnsd orbl orblrrl"}
LOADGENS=${BENCH_LOADGENS:-"dnsperf blast"}
DNSPERF_OPTS=${BENCH_DNSPERF_OPTS:-"-c 8 -T 4 -q 100"}
BLAST_OPTS=${BENCH_BLAST_OPTS:-"-w 128 -b 32"}
WORKERS=${BENCH_WORKERS:-1}
SCPU=${BENCH_SCPU:-0}
CCPU=${BENCH_CCPU:-1}
RDUR=${BENCH_RELOAD_DUR:-15}
RAT=${BENCH_RELOAD_AT:-5}
SWAIT=${BENCH_START_WAIT:-60}
QWAIT=${BENCH_QUIET_WAIT:-30}
GEN_OPTS=${BENCH_GEN_OPTS:-}
REIMPORT=${BENCH_REIMPORT:-1}
MODE=${1:-all}
ZONE=bl.example.org
D=$W/data TB=$W/tools HZ=$(getconf CLK_TCK)

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }
case $MODE in all|main|reload|perf) ;; *) die "usage: bench.sh [all|main|reload|perf]";; esac
for v in PORT DUR REP WORKERS RDUR RAT SWAIT QWAIT; do
	case ${!v} in ''|*[!0-9]*) die "BENCH_$v must be a whole number";; esac
done
[ "$RAT" -lt "$RDUR" ] || die "BENCH_RELOAD_AT must be below BENCH_RELOAD_DUR"

# ---- processes we start: every one by PID, stopped on any exit
PIDS=""
track() { PIDS="$PIDS $1"; }
stop_pid() { # pid: TERM, up to 5 s, then KILL
	local p=$1 i
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
cleanup() { local p; for p in $PIDS; do stop_pid "$p"; done; PIDS=""; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

# ---- packages: install what is missing when we can (like scripts/deps)
need_pkgs() {
	local want="" p
	command -v dnsperf >/dev/null || want="$want dnsperf"
	command -v rbldnsd >/dev/null || [ -x /usr/sbin/rbldnsd ] || want="$want rbldnsd"
	command -v cc >/dev/null || want="$want gcc"
	command -v taskset >/dev/null || want="$want util-linux"
	[ "$MODE" = perf ] && ! command -v perf >/dev/null && want="$want linux-perf"
	[ -z "$want" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing:$want (run as root to install them, or apt-get install$want)"
		return 0
	fi
	say "installing:$want"
	export DEBIAN_FRONTEND=noninteractive
	local rcd=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then   # no service starts on install
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && rcd=1
	fi
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $want >&2
	[ -n "$rcd" ] && rm -f /usr/sbin/policy-rc.d
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || say "could not install $p"
	done
}
need_pkgs
PATH=$PATH:/usr/sbin:/sbin
for t in cc taskset; do command -v $t >/dev/null || die "$t is missing"; done
[ -x "$BIN/orbl-dnsd" ] && [ -x "$BIN/orblctl" ] || die "no $BIN/orbl-dnsd or $BIN/orblctl: run make first"
HAVE_DNSPERF=1 HAVE_RBLDNSD=1
command -v dnsperf >/dev/null || { HAVE_DNSPERF=0; say "dnsperf missing: its runs are skipped"; }
command -v rbldnsd >/dev/null || { HAVE_RBLDNSD=0; say "rbldnsd missing: its runs are skipped"; }
if command -v ss >/dev/null && ss -Hlun "sport = :$PORT" | grep -q .; then die "udp port $PORT is in use (BENCH_PORT)"; fi

# ---- our own tools, rebuilt when their source changes
mkdir -p "$W" "$TB" "$D" || die "cannot create $W"
CFL="-std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
for t in gen-dataset blast floor probe; do
	if [ ! -x "$TB/$t" ] || [ "$ROOT/bench/$t.c" -nt "$TB/$t" ]; then
		cc $CFL -o "$TB/$t" "$ROOT/bench/$t.c" || die "cannot build $t"
	fi
done

# One run, one build: a copy of the programs, so that a rebuild of $BIN
# while we run (a shared tree) cannot change what is measured midway.
mkdir -p "$W/prog" && cp -p "$BIN/orbl-dnsd" "$BIN/orblctl" "$W/prog/" || die "cannot copy the programs to $W/prog"
BIN=$W/prog

# ---- dataset (reused while the generator and its options are the same)
GEN_ID="$(cksum <"$ROOT/bench/gen-dataset.c" | cut -d' ' -f1) $GEN_OPTS"
if [ ! -s "$D/MANIFEST" ] || [ "$(cat "$D/GEN_ID" 2>/dev/null)" != "$GEN_ID" ]; then
	say "generating the dataset in $D"
	rm -f "$D/MANIFEST"
	"$TB/gen-dataset" -o "$D" $GEN_OPTS || die "gen-dataset failed"
	echo "$GEN_ID" >"$D/GEN_ID"
fi
mf() { sed -n "s/^$1=//p" "$D/MANIFEST"; }
LISTED=$(mf listed_probe) CHANGED=$(mf change_probe)
[ -n "$LISTED" ] && [ -n "$CHANGED" ] || die "$D/MANIFEST lacks the probe names"

RUN=$W/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN" || die "cannot create $RUN"
RES=$RUN/results.txt
: >"$RES"

# ---- helpers
now() { date +%s.%N; }
pin() { echo "taskset -c $1"; }
cpu_ticks() { # cpu[,cpu...] -> "busy total steal usrsys" summed (busy = user nice system irq softirq)
	awk -v l="$1" 'BEGIN { n = split(l, c, ","); for (i = 1; i <= n; i++) want["cpu" c[i]] = 1 }
		$1 in want { b += $2+$3+$4+$7+$8; t += $2+$3+$4+$5+$6+$7+$8+$9; s += $9; u += $2+$3+$4 }
		END { print b + 0, t + 0, s + 0, u + 0 }' /proc/stat
}
proc_ticks() { # pid -> utime+stime of all its threads
	[ -r "/proc/$1/stat" ] || { echo 0; return; }
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
proc_mem() { # pid -> "rss_kb hwm_kb"
	awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r + 0, h + 0 }' "/proc/$1/status" 2>/dev/null || echo "0 0"
}

write_conf() { # file database
	{
		echo "# written by bench/bench.sh"
		echo "database = $2"
		echo "zone = $ZONE"
		echo "dns_listen = 127.0.0.1:$PORT"
		echo "stats_interval = 0"
		[ -n "$HAVE_WORKERS" ] && echo "workers = $WORKERS"
	} >"$1"
}

# orbl-dnsd: does this build know the workers key?
HAVE_WORKERS=1
write_conf "$W/orbl.conf" "$W/orbl.db"
if ! "$BIN/orbl-dnsd" -n -c "$W/orbl.conf" >/dev/null 2>&1; then
	HAVE_WORKERS=""
	write_conf "$W/orbl.conf" "$W/orbl.db"
	"$BIN/orbl-dnsd" -n -c "$W/orbl.conf" >/dev/null || die "orbl-dnsd refuses $W/orbl.conf"
	say "orbl-dnsd has no workers key: running without it"
fi
# orblrrl: the same with RRL on, at a rate no load generator reaches from
# its one source address (so every query is accounted, none dropped)
{ cat "$W/orbl.conf"; echo "rrl_rate = 8000000"; echo "rrl_slip = 2"; } >"$W/orbl-rrl.conf"
if ! "$BIN/orbl-dnsd" -n -c "$W/orbl-rrl.conf" >/dev/null 2>&1; then
	say "orbl-dnsd has no rrl_rate key: no orblrrl runs"
	SERVERS=$(echo "$SERVERS" | sed 's/orblrrl//')
fi

# import into a fresh database; the import time is a figure of its own
IMPORT_S=NA
if [ "$REIMPORT" = 1 ] || [ ! -s "$W/orbl.db" ] || [ ! -s "$W/IMPORT_S" ] ||
   [ "$D/bl.ip4set" -nt "$W/orbl.db" ] || [ "$BIN/orblctl" -nt "$W/orbl.db" ]; then
	rm -f "$W/orbl.db" "$W/orbl.db-wal" "$W/orbl.db-shm"
	"$BIN/orblctl" -c "$W/orbl.conf" init >"$RUN/import.log" 2>&1 || die "orblctl init failed (see $RUN/import.log)"
	t0=$(now)
	timeout 600 "$BIN/orblctl" -c "$W/orbl.conf" import "$D/bl.ip4set" --format rbldnsd >>"$RUN/import.log" 2>&1 ||
		die "orblctl import failed (see $RUN/import.log)"
	IMPORT_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
	echo "$IMPORT_S" >"$W/IMPORT_S"
	say "imported $(mf ips) addresses + $(mf cidrs) ranges in $IMPORT_S s ($(du -m "$W/orbl.db" | cut -f1) MB)"
else
	IMPORT_S=$(cat "$W/IMPORT_S")
	say "reusing $W/orbl.db (imported in $IMPORT_S s)"
fi

# rbldnsd's working directory: the dataset plus the file the reload test changes
mkdir -p "$W/rbl"
ln -sf "$D/bl.ip4set" "$W/rbl/bl.ip4set"

# ---- one server
SPID=""
server_cmd() { # name [reload] -> the command line (foreground)
	case $1 in
	floor)   echo "$TB/floor 127.0.0.1 $PORT";;
	rbldnsd) if [ -n "${2:-}" ]; then
			echo "rbldnsd -n -c 1 -b 127.0.0.1/$PORT -w $W/rbl $ZONE:ip4set:bl.ip4set,changes.ip4set"
		 else
			echo "rbldnsd -n -b 127.0.0.1/$PORT -w $W/rbl $ZONE:ip4set:bl.ip4set"
		 fi;;
	orblrrl) echo "$BIN/orbl-dnsd -d -c $W/orbl-rrl.conf";;
	orbl)    if [ -n "${2:-}" ]; then
			echo "$BIN/orbl-dnsd -d -c $W/reload.conf"
		 else
			echo "$BIN/orbl-dnsd -d -c $W/orbl.conf"
		 fi;;
	esac
}
# Start a server pinned to SCPU (SPID); LOAD = the seconds from spawn to the
# first correct answer for a listed name (any answer for the floor).
LOAD=""
start_server() { # name log [reload]
	local t0 out match="-m listed -a 127.0.0.2"
	[ "$1" = floor ] && match="-m any"
	LOAD=""
	t0=$(now)
	$(pin "$SCPU") $(server_cmd "$1" "${3:-}") >"$2" 2>&1 &
	SPID=$!
	track "$SPID"
	while :; do	# in 1 s slices, to notice a server that died
		out=$("$TB/probe" -u $match -i 2000 -l 1 -T "$t0" 127.0.0.1 "$PORT" "$LISTED") && break
		kill -0 "$SPID" 2>/dev/null || break
		awk -v a="$t0" -v b="$(now)" -v w="$SWAIT" 'BEGIN { exit !(b - a > w) }' && break
	done
	if [ -z "$out" ] || [ "${out#*elapsed=}" = "$out" ] || ! kill -0 "$SPID" 2>/dev/null; then
		say "$1 did not answer within $SWAIT s (log: $2)"; tail -5 "$2" >&2
		stop_pid "$SPID"; SPID=""; return 1
	fi
	LOAD=$(echo "$out" | sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p')
}
stop_server() { [ -n "$SPID" ] && stop_pid "$SPID"; SPID=""; }

# The box may be shared: before a run, wait (at most QWAIT s) until both
# CPUs are below 10 % busy for a second, so other programs skew less.
wait_quiet() {
	local t0=$SECONDS a b busy
	while :; do
		a=$(awk '/^cpu[0-9]/ { printf "%s %s ", $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
		sleep 1
		b=$(awk '/^cpu[0-9]/ { printf "%s %s ", $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
		busy=$(awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, A, " "); split(b, B, " "); m = 0
			for (i = 1; i < n; i += 2) { f = (B[i] - A[i]) / (B[i+1] - A[i+1] + 1e-9); if (f > m) m = f }
			printf "%.0f", 100 * m }')
		[ "$busy" -lt 10 ] && return 0
		if [ $((SECONDS - t0)) -ge "$QWAIT" ]; then
			say "machine busy (a CPU at $busy %) after waiting $QWAIT s: running anyway (see other%)"
			return 0
		fi
	done
}

# ---- main: one run = fresh start, load for DUR seconds, one RESULT line
run_one() { # server loadgen rep
	local s=$1 g=$2 r=$3 tag="$1.$2.$3" a b s0 s1 w0 w1 mem gout
	wait_quiet
	start_server "$s" "$RUN/$tag.server.log" || { echo "RESULT server=$s gen=$g rep=$r error=start" >>"$RES"; return 1; }
	sleep 0.5
	a=$(cpu_ticks "$SCPU"); s0=$(proc_ticks "$SPID"); w0=$(now)
	gout=$RUN/$tag.$g.log
	if [ "$g" = dnsperf ]; then
		timeout -k 5 $((DUR + 30)) $(pin "$CCPU") dnsperf -s 127.0.0.1 -p "$PORT" -d "$D/queries.txt" \
			-l "$DUR" $DNSPERF_OPTS -t 2 >"$gout" 2>&1
	else
		timeout -k 5 $((DUR + 30)) $(pin "$CCPU") "$TB/blast" $BLAST_OPTS 127.0.0.1 "$PORT" \
			"$D/queries.txt" "$DUR" >"$gout" 2>&1
	fi
	b=$(cpu_ticks "$SCPU"); s1=$(proc_ticks "$SPID"); w1=$(now); mem=$(proc_mem "$SPID")
	stop_server
	awk -v s="$s" -v g="$g" -v r="$r" -v load="$LOAD" -v a="$a" -v b="$b" \
	    -v st=$((s1 - s0)) -v hz="$HZ" -v mem="$mem" -v ncpu="$(echo "$SCPU" | awk -F, '{ print NF }')" -v wall="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" '
		/Queries sent:/ { sent = $3 } /Queries completed:/ { ans = $3 }
		/Queries lost:/ { lost = $3 } /Queries per second:/ { qps = $4 }
		/Average Latency/ { lat = $4 * 1000 }
		/Response codes:/ { for (i = 3; i < NF; i++) if ($i == "NOERROR") noerr = $(i + 1) }
		/^blast:/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			sent = v["sent"]; ans = v["answered"]; lost = v["lost"]; qps = v["qps"]; lat = -1
			noerr = v["noerror"] }
		END {
			split(a, A, " "); split(b, B, " "); split(mem, M, " ")
			# shares of the core over the run, times the wall clock time
			tot = B[2] - A[2] + 1e-9; cw = wall * ncpu
			busy = cw * (B[1] - A[1]) / tot; steal = cw * (B[3] - A[3]) / tot
			# user+system time on the server core that the server did not use: other programs
			other = cw * (B[4] - A[4]) / tot - st / hz; if (other < 0) other = 0
			tot = cw
			n = ans > 0 ? ans : 1e-9
			printf "RESULT server=%s gen=%s rep=%s qps=%.0f sent=%d answered=%d lost=%d " \
			    "avg_lat_ms=%.3f core_us_per_q=%.3f core_own_us_per_q=%.3f proc_us_per_q=%.3f core_busy=%.0f%% " \
			    "steal=%.1f%% other=%.1f%% noerror=%.2f%% rss_kb=%d hwm_kb=%d load_s=%s\n", s, g, r, qps, sent, ans, lost,
			    lat, 1e6 * busy / n, 1e6 * (busy - other) / n, 1e6 * st / hz / n, 100 * busy / (tot + 1e-9),
			    100 * steal / (tot + 1e-9), 100 * other / (tot + 1e-9), 100 * noerr / n, M[1], M[2], load }' "$gout" | tee -a "$RES" >&2
}

med_of() { # server gen key -> "median min max" over the RESULT lines ("- - -" if none)
	awk -v s="$1" -v g="$2" -v k="$3" '
		$1 == "RESULT" { delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (v["server"] == s && (g == "*" || v["gen"] == g) && (k in v) && v[k] != "NA") x[n++] = v[k] + 0 }
		END {
			if (n == 0) { print "- - -"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			m = (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2
			print m, x[0], x[n - 1] }' "$RES"
}
fmt() { # "med min max" decimals [scale] -> "med (min..max)"
	echo "$1" | awk -v d="$2" -v sc="${3:-1}" '$1 == "-" { print "-"; exit }
		{ f = "%." d "f"; printf(f " (" f ".." f ")\n", $1 / sc, $2 / sc, $3 / sc) }'
}
ratio() { # a b -> a/b with 2 decimals, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
med() { med_of "$@" | cut -d' ' -f1; }

main_bench() {
	local r s g
	say "main: servers [$SERVERS], load [$LOADGENS], $REP x $DUR s each; results in $RUN"
	for r in $(seq 1 "$REP"); do
		for s in $SERVERS; do
			[ "$s" = rbldnsd ] && [ "$HAVE_RBLDNSD" = 0 ] && continue
			for g in $LOADGENS; do
				[ "$g" = dnsperf ] && [ "$HAVE_DNSPERF" = 0 ] && continue
				run_one "$s" "$g" "$r"
			done
		done
	done
	{
		echo
		echo "### orbl-dnsd benchmark ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(mf ips) IPs + $(mf cidrs) CIDRs, $(mf queries) queries; median (min..max) of $REP runs, $DUR s each)"
		echo
		echo "| server | µs/query dnsperf | µs/query blast | qps blast | qps dnsperf | RSS MB | start s |"
		echo "|---|---|---|---|---|---|---|"
		for s in $SERVERS; do
			local name=$s st
			case $s in floor) name="floor (fixed NXDOMAIN)";; orbl) name="orbl-dnsd";;
				orblrrl) name="orbl-dnsd, RRL on (none dropped)";; esac
			st=$(fmt "$(med_of "$s" '*' load_s)" 3)
			[ "$s" = floor ] && st="-"
			echo "| $name | $(fmt "$(med_of "$s" dnsperf core_us_per_q)" 2) | $(fmt "$(med_of "$s" blast core_us_per_q)" 2) |" \
			     "$(fmt "$(med_of "$s" blast qps)" 0 1000)k | $(fmt "$(med_of "$s" dnsperf qps)" 0 1000)k |" \
			     "$(fmt "$(med_of "$s" '*' rss_kb)" 1 1024) | $st |"
		done
		echo
		echo "µs/query = the server core's busy time (user+nice+system+irq+softirq of CPU $SCPU, from /proc/stat) per answered query."
		echo "Details: the server process alone (its utime+stime per answered query); the core's time less what other"
		echo "programs used on it (\"other %\": user+system time on CPU $SCPU not the server's; high = a busy box, figures off);"
		echo "peak RSS (VmHWM); lost queries; NOERROR share of the answers (the dataset's hit rate is $(awk -v h="$(mf hits)" -v q="$(mf queries)" 'BEGIN { printf "%.2f", 100 * h / q }') %; the floor: 0):"
		echo
		echo "| server | proc µs/q blast | proc µs/q dnsperf | core-other µs/q blast | core-other µs/q dnsperf | core busy % blast | HWM MB | lost dnsperf | lost blast | NOERROR % | other % | steal % |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
		for s in $SERVERS; do
			echo "| $s | $(fmt "$(med_of "$s" blast proc_us_per_q)" 2) | $(fmt "$(med_of "$s" dnsperf proc_us_per_q)" 2) |" \
			     "$(fmt "$(med_of "$s" blast core_own_us_per_q)" 2) | $(fmt "$(med_of "$s" dnsperf core_own_us_per_q)" 2) |" \
			     "$(med "$s" blast core_busy) |" \
			     "$(fmt "$(med_of "$s" '*' hwm_kb)" 1 1024) | $(med "$s" dnsperf lost) | $(med "$s" blast lost) |" \
			     "$(med "$s" '*' noerror) | $(med "$s" '*' other) | $(med "$s" '*' steal) |"
		done
		echo
		echo "Ratios (medians; targets from issue 5 in brackets):"
		echo
		echo "| ratio | blast | dnsperf | target |"
		echo "|---|---|---|---|"
		echo "| CPU/query orbl-dnsd / floor | $(ratio "$(med orbl blast core_us_per_q)" "$(med floor blast core_us_per_q)") |" \
		     "$(ratio "$(med orbl dnsperf core_us_per_q)" "$(med floor dnsperf core_us_per_q)") | ≤ 1.15 |"
		echo "| CPU/query orbl-dnsd / rbldnsd | $(ratio "$(med orbl blast core_us_per_q)" "$(med rbldnsd blast core_us_per_q)") |" \
		     "$(ratio "$(med orbl dnsperf core_us_per_q)" "$(med rbldnsd dnsperf core_us_per_q)") | (≈ 0.8) |"
		echo "| capacity (qps) orbl-dnsd / rbldnsd | $(ratio "$(med orbl blast qps)" "$(med rbldnsd blast qps)") |" \
		     "$(ratio "$(med orbl dnsperf qps)" "$(med rbldnsd dnsperf qps)") | ≥ 1.2 (blast) |"
		echo "| capacity from cost (1/µs per query) orbl-dnsd / rbldnsd | $(ratio "$(med rbldnsd blast core_us_per_q)" "$(med orbl blast core_us_per_q)") |" \
		     "$(ratio "$(med rbldnsd dnsperf core_us_per_q)" "$(med orbl dnsperf core_us_per_q)") | (for when blast cannot saturate) |"
		echo "| CPU/query orbl-dnsd RRL on / RRL off | $(ratio "$(med orblrrl blast core_us_per_q)" "$(med orbl blast core_us_per_q)") |" \
		     "$(ratio "$(med orblrrl dnsperf core_us_per_q)" "$(med orbl dnsperf core_us_per_q)") | ≤ 1.10 (issue 13) |"
		echo "| CPU/query orbl-dnsd RRL on / RRL off, the process alone (robust on a busy box) | $(ratio "$(med orblrrl blast proc_us_per_q)" "$(med orbl blast proc_us_per_q)") |" \
		     "$(ratio "$(med orblrrl dnsperf proc_us_per_q)" "$(med orbl dnsperf proc_us_per_q)") | ≤ 1.10 (issue 13) |"
		echo "| RSS orbl-dnsd / rbldnsd | $(ratio "$(med orbl '*' rss_kb)" "$(med rbldnsd '*' rss_kb)") | | ≤ 0.7 |"
		echo "| cold start orbl-dnsd (s, database to first answer) | $(fmt "$(med_of orbl '*' load_s)" 3) | | ≤ 1 s |"
		echo "| import of the dataset (orblctl import, s) | $IMPORT_S | | - |"
		echo
		echo "orbl-dnsd workers: $([ -n "$HAVE_WORKERS" ] && echo "$WORKERS" || echo "key not supported"); server on CPU $SCPU, load generator on CPU $CCPU;"
		echo "orbl-dnsd built $(date -r "$BIN/orbl-dnsd" '+%Y-%m-%d %H:%M'), tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)."
		echo "Raw results: $RES"
	} | tee "$RUN/table.md"
}

# ---- reload: a 10,000-listing batch under full dnsperf load
reload_one() { # server rep
	local s=$1 r=$2 tag="reload.$1.$2" dpid ppid tc0 tc1 mem pout
	wait_quiet
	if [ "$s" = orbl ]; then
		rm -f "$W/reload.db" "$W/reload.db-wal" "$W/reload.db-shm"
		cp "$W/orbl.db" "$W/reload.db" || return 1
		[ -s "$W/orbl.db-wal" ] && cp "$W/orbl.db-wal" "$W/reload.db-wal"
		write_conf "$W/reload.conf" "$W/reload.db"
	elif [ "$s" = rbldnsd ]; then
		echo "# bench: the reload test's batch is copied here" >"$W/rbl/changes.ip4set"
	fi
	start_server "$s" "$RUN/$tag.server.log" reload || { echo "RELOAD server=$s rep=$r error=start" >>"$RES"; return 1; }
	timeout -k 5 $((RDUR + 30)) $(pin "$CCPU") dnsperf -s 127.0.0.1 -p "$PORT" -d "$D/queries.txt" \
		-l "$RDUR" $DNSPERF_OPTS -t 2 >"$RUN/$tag.dnsperf.log" 2>&1 &
	dpid=$!; track "$dpid"
	pout=$RUN/$tag.probe.txt
	timeout -k 5 $((RDUR + 30)) $(pin "$CCPU") $RT "$TB/probe" -i 1000 -l $((RDUR - 1)) -a 127.0.0.3 \
		-o "$RUN/$tag.timeline" 127.0.0.1 "$PORT" "$CHANGED" >"$pout" 2>&1 &
	ppid=$!; track "$ppid"
	sleep "$RAT"
	tc0=$(now)
	if [ "$s" = orbl ]; then
		timeout 300 $(pin "$CCPU") "$BIN/orblctl" -c "$W/reload.conf" import "$D/changes.ip4set" --format rbldnsd \
			>"$RUN/$tag.import.log" 2>&1 || say "reload: orblctl import failed (see $RUN/$tag.import.log)"
	elif [ "$s" = rbldnsd ]; then
		cp "$D/changes.ip4set" "$W/rbl/changes.tmp" && mv "$W/rbl/changes.tmp" "$W/rbl/changes.ip4set"
	fi	# floor: no change, its latencies are the machine's baseline
	tc1=$(now)
	wait "$ppid"; wait "$dpid"
	mem=$(proc_mem "$SPID")
	stop_server
	awk -v s="$s" -v r="$r" -v tc0="$tc0" -v tc1="$tc1" -v mem="$mem" -v tl="$RUN/$tag.timeline" '
		FILENAME != tl && /Queries lost:/ { dlost = $3 }
		FILENAME != tl && /Queries completed:/ { dans = $3 }
		FILENAME != tl && /Queries per second:/ { dqps = $4 }
		FILENAME != tl && /^probe:/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); p[kv[1]] = kv[2] } }
		FILENAME == tl { t[n] = $1; l[n] = $2; n++ }
		END {
			fm = p["first_match"] + 0
			vis = fm > 0 ? sprintf("%.3f", fm - tc1) : "NA"
			visi = fm > 0 ? sprintf("%.3f", fm - tc0) : "NA"
			# latency before the change, and from the commit start until 1 s after visible
			wend = fm > 0 ? fm + 1 : tc1 + 3
			med = p["lat_med_us"] + 0
			# and how many probes took over 10 x the median, before and around the change
			for (i = 0; i < n; i++) {
				if (l[i] < 0) { if (t[i] >= tc0 && t[i] <= wend) plostw++; continue }
				if (t[i] < tc0) { nb++; if (l[i] > 10 * med) sb++; if (l[i] > mb) mb = l[i] }
				else if (t[i] <= wend) { nw++; if (l[i] > 10 * med) sw++; if (l[i] > mw) { mw = l[i]; mwat = t[i] - tc0 } }
			}
			split(mem, M, " ")
			printf "RELOAD server=%s rep=%s tc0=%.6f visible_s=%s visible_from_start_s=%s commit_s=%.3f " \
			    "dnsperf_lost=%d dnsperf_completed=%d dnsperf_qps=%.0f probe_sent=%d probe_lost=%d probe_lost_in_window=%d " \
			    "lat_med_us=%.0f lat_p99_us=%.0f max_before_us=%.0f max_window_us=%.0f max_window_at_s=%.3f " \
			    "spike=%.1f over_before=%.2f slow_before_pct=%.2f slow_window_pct=%.2f lat_max_us=%.0f hwm_kb=%d\n",
			    s, r, tc0, vis, visi, tc1 - tc0, dlost, dans, dqps,
			    p["sent"], p["lost"], plostw, med, p["lat_p99_us"], mb, mw, mwat,
			    (med > 0 ? mw / med : -1), (mb > 0 ? mw / mb : -1), 100 * sb / (nb + 1e-9), 100 * sw / (nw + 1e-9),
			    p["lat_max_us"], M[2] }' \
	    "$RUN/$tag.dnsperf.log" "$pout" "$RUN/$tag.timeline" | tee -a "$RES" >&2
}

rmed() { # server key -> "median (min..max)" over RELOAD lines
	awk -v s="$1" -v k="$2" '
		$1 == "RELOAD" { delete v; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (v["server"] == s && (k in v) && v[k] != "NA") x[n++] = v[k] + 0 }
		END {
			if (n == 0) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			m = (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2
			printf "%g (%g..%g)\n", m, x[0], x[n - 1] }' "$RES"
}

reload_bench() {
	local r s list=""
	# The probe shares its CPU with dnsperf: real-time priority keeps its
	# own scheduling delay out of the latencies it measures.
	RT=""
	if chrt -f 10 true 2>/dev/null; then RT="chrt -f 10"
	else say "reload: cannot use chrt (not root?): probe latencies include its own scheduling delays"; fi
	[ "$HAVE_DNSPERF" = 1 ] || { say "reload: needs dnsperf, skipped"; return 0; }
	for s in $SERVERS; do
		[ "$s" = rbldnsd ] && [ "$HAVE_RBLDNSD" = 0 ] && continue
		list="$list $s"
	done
	say "reload: [$list], $REP x $RDUR s of dnsperf, $(mf changes) listings committed at $RAT s"
	for r in $(seq 1 "$REP"); do
		for s in $list; do reload_one "$s" "$r"; done
	done
	{
		echo
		echo "### Update under load: $(mf changes) new listings in one commit, dnsperf ($DNSPERF_OPTS) running; median (min..max) of $REP"
		echo
		echo "| server | visible after commit s | commit s | lost (dnsperf) | probe latency median µs | max before change µs | max around change µs | spike (max/median) | max around / max before | probes > 10 x median: before / around % |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for s in $list; do
			echo "| $s | $(rmed "$s" visible_s) | $(rmed "$s" commit_s) | $(rmed "$s" dnsperf_lost) |" \
			     "$(rmed "$s" lat_med_us) | $(rmed "$s" max_before_us) | $(rmed "$s" max_window_us) | $(rmed "$s" spike) |" \
			     "$(rmed "$s" over_before) | $(rmed "$s" slow_before_pct) / $(rmed "$s" slow_window_pct) |"
		done
		echo
		echo "Targets (orbl-dnsd): visible ≤ 1 s after the commit, 0 lost, spike ≤ 10. The probe sends one query"
		echo "every 1 ms for the changed name; \"around change\" = from the start of the commit until 1 s after the"
		echo "name first answered 127.0.0.3. orbl-dnsd: \`orblctl import\` of the batch; rbldnsd: the batch file"
		echo "replaced (rbldnsd -c 1 re-reads all its files); floor: no change at all, its row is the machine's own"
		echo "latency noise under this load (its window: the 3 s from the would-be commit). Raw results: $RES"
	} | tee "$RUN/reload.md"
}

# ---- perf: where orbl-dnsd spends its time under blast
perf_bench() {
	command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"
	local bpid
	start_server orbl "$RUN/perf.server.log" || die "orbl-dnsd did not start"
	timeout -k 5 $((DUR + 30)) $(pin "$CCPU") "$TB/blast" $BLAST_OPTS 127.0.0.1 "$PORT" "$D/queries.txt" "$DUR" \
		>"$RUN/perf.blast.log" 2>&1 &
	bpid=$!; track "$bpid"
	sleep 1
	timeout -k 5 $((DUR + 30)) perf record -e cpu-clock -F 2999 -g -p "$SPID" -o "$RUN/perf.data" -- sleep $((DUR > 4 ? DUR - 3 : 1)) \
		>"$RUN/perf.record.log" 2>&1
	wait "$bpid"
	stop_server
	cat "$RUN/perf.blast.log" >&2
	perf report -i "$RUN/perf.data" --stdio --no-children --sort symbol --percent-limit 0.5 -g none \
		>"$RUN/perf.txt" 2>/dev/null
	perf report -i "$RUN/perf.data" --stdio --no-children --sort dso --percent-limit 0.5 -g none \
		>"$RUN/perf-dso.txt" 2>/dev/null
	grep -v '^#' "$RUN/perf-dso.txt" | sed -e '/^$/d' -e 's/[ -]*$//' | head -12
	grep -v '^#' "$RUN/perf.txt" | sed -e '/^$/d' -e 's/[ -]*$//' | head -40
	say "perf data: $RUN/perf.data (perf report -i ... for call graphs)"
}

case $MODE in
all)    main_bench; reload_bench;;
main)   main_bench;;
reload) reload_bench;;
perf)   perf_bench;;
esac
