#!/usr/bin/env bash
# bench/scale.sh -- `make bench-scale`: a list of millions of entries
# (issue #15).  For each size (BENCH_SCALE_SIZES, default 1 M and 10 M
# single addresses, plus gen-dataset's 10,000 ranges): generate the
# dataset, import it into a fresh database with `orblctl import`, and
# print one row: entries, import time, lines/s, database size,
# bytes/entry, the importer's peak RSS; then orbl-dnsd's start (spawn to
# the first correct answer for a listed name) and RSS on that database,
# and rbldnsd's on the same data as text.  A benchmark: figures, never
# pass/fail; not part of `make check`.
#
# Environment: BENCH_BIN (the programs, required), BENCH_SCALE_SIZES,
# BENCH_DIR (scratch, default ${TMPDIR:-/tmp}/orbl-bench-scale),
# BENCH_PORT (5393), BENCH_START_WAIT (seconds for a server to answer,
# 300), BENCH_SCALE_RBLDNSD (1; 0 skips rbldnsd).  All traffic is on
# 127.0.0.1; every process started is stopped by its PID, also on ^C.
set -u

BIN=${BENCH_BIN:?BENCH_BIN: the directory of orblctl and orbl-dnsd}
SIZES=${BENCH_SCALE_SIZES:-1000000 10000000}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/orbl-bench-scale}
PORT=${BENCH_PORT:-5393}
SWAIT=${BENCH_START_WAIT:-300}
RBL=${BENCH_SCALE_RBLDNSD:-1}
ZONE=bl.example.org
ROOT=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "bench-scale: $*" >&2; exit 1; }
say() { echo "bench-scale: $*" >&2; }
now() { date +%s.%N; }
for v in PORT SWAIT; do
	case ${!v} in ''|*[!0-9]*) die "BENCH_$v must be a whole number";; esac
done
for n in $SIZES; do
	case $n in ''|*[!0-9]*) die "BENCH_SCALE_SIZES: '$n' is not a number";; esac
done
[ -x "$BIN/orblctl" ] && [ -x "$BIN/orbl-dnsd" ] || die "no $BIN/orblctl or $BIN/orbl-dnsd: run make first"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
command -v cc >/dev/null || die "cc is missing"
if [ "$RBL" = 1 ] && ! command -v rbldnsd >/dev/null; then
	say "rbldnsd missing: its columns are skipped"; RBL=0
fi
if command -v ss >/dev/null && ss -Hlun "sport = :$PORT" | grep -q .; then
	die "udp port $PORT is in use (BENCH_PORT)"
fi

PIDS=""
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

# our tools, rebuilt when their source changes
TB=$W/tools
mkdir -p "$TB" "$W/prog" || die "cannot create $W"
CFL="-std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
for t in gen-dataset probe; do
	if [ ! -x "$TB/$t" ] || [ "$ROOT/bench/$t.c" -nt "$TB/$t" ]; then
		cc $CFL -o "$TB/$t" "$ROOT/bench/$t.c" || die "cannot build $t"
	fi
done
# a copy of the programs: a rebuild during the run cannot change them
cp -p "$BIN/orblctl" "$BIN/orbl-dnsd" "$W/prog/" || die "cannot copy the programs"
P=$W/prog

proc_mem() { # pid -> "rss_kb hwm_kb"
	awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r + 0, h + 0 }' \
	    "/proc/$1/status" 2>/dev/null || echo "0 0"
}

# Start a server (the command line in "$@"), wait for the first correct
# answer to $LISTED: START = seconds from spawn, MEM = "rss hwm" (KiB)
# right after it; the server is stopped again.
START=NA MEM="0 0"
serve() { # log cmd...
	local log=$1 t0 out pid
	shift
	START=NA MEM="0 0"
	t0=$(now)
	"$@" >"$log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	while :; do	# in 1 s slices, to notice a server that died
		out=$("$TB/probe" -u -m listed -a 127.0.0.2 -i 2000 -l 1 -T "$t0" \
		    127.0.0.1 "$PORT" "$LISTED") && break
		kill -0 "$pid" 2>/dev/null || break
		awk -v a="$t0" -v b="$(now)" -v w="$SWAIT" 'BEGIN { exit !(b - a > w) }' && break
	done
	if [ -n "$out" ] && [ "${out#*elapsed=}" != "$out" ] && kill -0 "$pid" 2>/dev/null; then
		START=$(echo "$out" | sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p')
		MEM=$(proc_mem "$pid")
	else
		say "$1 did not answer within $SWAIT s (log: $log)"
	fi
	stop_pid "$pid"
	PIDS=""
}

ROWS=""
for n in $SIZES; do
	D=$W/data-$n
	opts="-n $n -q 1000 -c 10"
	if [ ! -s "$D/bl.ip4set" ] || [ "$(cat "$D/OPTS" 2>/dev/null)" != "$opts" ] ||
	   [ "$TB/gen-dataset" -nt "$D/bl.ip4set" ]; then
		say "generating $n addresses"
		rm -rf "$D" && mkdir -p "$D" || die "cannot create $D"
		"$TB/gen-dataset" -o "$D" $opts >/dev/null || die "gen-dataset failed"
		echo "$opts" >"$D/OPTS"
	fi
	LISTED=$(sed -n 's/^listed_probe=//p' "$D/MANIFEST")
	entries=$(( $(sed -n 's/^ips=//p' "$D/MANIFEST") + $(sed -n 's/^cidrs=//p' "$D/MANIFEST") ))
	lines=$(wc -l <"$D/bl.ip4set")
	textmb=$(du -m "$D/bl.ip4set" | cut -f1)
	R=$W/run-$n
	rm -rf "$R" && mkdir -p "$R" || die "cannot create $R"
	{
		echo "database = $R/orbl.db"
		echo "zone = $ZONE"
		echo "dns_listen = 127.0.0.1:$PORT"
		echo "stats_interval = 0"
	} >"$R/orbl.conf"
	"$P/orblctl" -c "$R/orbl.conf" init >"$R/import.log" 2>&1 || die "orblctl init failed ($R/import.log)"
	say "importing $lines lines ($textmb MB of text)"
	/usr/bin/time -f "TIME %e %U %S %M" -o "$R/import.time" \
	    "$P/orblctl" -c "$R/orbl.conf" import "$D/bl.ip4set" --format rbldnsd \
	    --no-progress >>"$R/import.log" 2>&1 || die "orblctl import failed ($R/import.log)"
	read -r _ wall usr sys rss <"$R/import.time"
	# the database's own size: pages in use, the WAL folded in first
	if command -v sqlite3 >/dev/null; then
		sqlite3 "$R/orbl.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1
	fi
	dbb=$(stat -c %s "$R/orbl.db")
	[ -f "$R/orbl.db-wal" ] && dbb=$((dbb + $(stat -c %s "$R/orbl.db-wal")))
	serve "$R/dnsd.log" "$P/orbl-dnsd" -d -c "$R/orbl.conf"
	ostart=$START omem=$MEM
	rstart=NA rmem="0 0"
	if [ "$RBL" = 1 ]; then
		serve "$R/rbldnsd.log" rbldnsd -n -b "127.0.0.1/$PORT" -w "$D" "$ZONE:ip4set:bl.ip4set"
		rstart=$START rmem=$MEM
	fi
	row=$(awk -v e="$entries" -v l="$lines" -v w="$wall" -v u="$usr" -v s="$sys" -v r="$rss" \
	    -v b="$dbb" -v os="$ostart" -v om="$omem" -v rs="$rstart" -v rm="$rmem" -v t="$textmb" '
	    function mb(k) { return sprintf("%.1f MB", k / 1024) }
	    function c(x) { x = sprintf("%d", x); while (x ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", x); return x }
	    BEGIN { split(om, o, " "); split(rm, q, " ")
		printf "| %s | %.1f s | %s k (%s k per CPU-s) | %s MB (text %s MB) | %.1f | %s | %s s, %s (peak %s) | %s s, %s |\n",
		    c(e), w, c(l / w / 1000), c(l / (u + s) / 1000), c(b / 1e6), t, b / e, mb(r),
		    os, mb(o[1]), mb(o[2]), rs, mb(q[1]) }')
	ROWS="$ROWS$row
"
	say "$row"
done

echo
echo "### orbl at scale ($(date -u +%Y-%m-%d), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'))"
echo
echo "| entries | import | lines/s | database | bytes/entry | importer peak RSS | orbl-dnsd start, RSS | rbldnsd start, RSS |"
echo "|---|---|---|---|---|---|---|---|"
printf "%s" "$ROWS"
echo
echo "lines/s: wall clock (a loaded machine slows it; the CPU figure is user+system time). database: the file after a checkpoint. start: spawn to the first correct answer for a listed name (page cache warm); RSS right after it."
