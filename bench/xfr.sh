#!/usr/bin/env bash
# bench/xfr.sh -- `make bench-xfr`: zone transfers of the 1,010,000-entry
# bench list (issue #12).  orbl-dnsd as the primary of a stock NSD, then
# Knot as the primary of the same NSD, serving the zone file that
# `orblctl export --format zone` writes from the same database:
#   AXFR: NSD started empty, until it serves the serial: wall time, the
#         bytes NSD says it received, the primary's RSS before, at its
#         peak during the transfer and after; the same again with blast
#         saturating the primary meanwhile: its answers/s then, over its
#         answers/s with no transfer;
#   IXFR: the dataset's 10,000-listing batch (changes.ip4set) imported
#         (orbl-dnsd: its loader picks the commit up and NOTIFYs; Knot:
#         the zone exported again and `knotc zone-reload`, which computes
#         the difference and NOTIFYs): time from the commit (Knot: from
#         the reload) until NSD serves the new serial, NSD's notify-to-
#         updated time from its log, the bytes it received.
# A table with the ratios orbl/knot.  A benchmark: figures, never
# pass/fail; not part of `make check`.  Every transfer is TSIG-signed
# (hmac-sha256), as in production.
#
# Environment: BENCH_BIN (the programs, required), BENCH_DIR (scratch,
# default ${TMPDIR:-/tmp}/orbl-bench-xfr), BENCH_XFR_PRIMARIES ("orbl
# knot"), BENCH_XFR_BLAST (1; 0: no run under load), BENCH_GEN_OPTS
# (gen-dataset options, e.g. "-n 100000" for a quick look),
# BENCH_XFR_WAIT (seconds a transfer may take, 900).  Needs nsd, knot,
# knot-dnsutils (scripts/deps), perl with Net::DNS.  All traffic is on
# 127.0.0.1 (free ports); every process is stopped by its PID.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:?BENCH_BIN: the directory of orblctl and orbl-dnsd}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/orbl-bench-xfr}
PRIMARIES=${BENCH_XFR_PRIMARIES:-"orbl knot"}
BLAST=${BENCH_XFR_BLAST:-1}
GEN_OPTS=${BENCH_GEN_OPTS:-}
XWAIT=${BENCH_XFR_WAIT:-900}
ZONE=bl.example.org

die() { echo "bench-xfr: $*" >&2; exit 1; }
say() { echo "bench-xfr: $*" >&2; }
case $XWAIT in ''|*[!0-9]*) die "BENCH_XFR_WAIT must be a whole number";; esac
for p in $PRIMARIES; do
	case $p in orbl|knot) ;; *) die "BENCH_XFR_PRIMARIES: orbl and/or knot, not '$p'";; esac
done
PATH=$PATH:/usr/sbin:/sbin
[ -x "$BIN/orblctl" ] && [ -x "$BIN/orbl-dnsd" ] || die "no $BIN/orblctl or $BIN/orbl-dnsd: run make first"
for t in nsd knotd knotc kdig cc perl taskset; do
	command -v $t >/dev/null || die "$t is missing (scripts/deps: nsd knot knot-dnsutils)"
done
perl -MNet::DNS -e 1 2>/dev/null || die "perl Net::DNS is missing (libnet-dns-perl)"

# our tools, rebuilt when their source changes
TB=$W/tools D=$W/data
mkdir -p "$TB" "$D" "$W/prog" || die "cannot create $W"
CFL="-std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
for t in gen-dataset blast; do
	if [ ! -x "$TB/$t" ] || [ "$ROOT/bench/$t.c" -nt "$TB/$t" ]; then
		cc $CFL -o "$TB/$t" "$ROOT/bench/$t.c" || die "cannot build $t"
	fi
done
# a copy of the programs: a rebuild during the run cannot change them
cp -p "$BIN/orblctl" "$BIN/orbl-dnsd" "$W/prog/" || die "cannot copy the programs"
P=$W/prog

# the dataset, reused while the generator and its options are the same
GEN_ID="$(cksum <"$ROOT/bench/gen-dataset.c" | cut -d' ' -f1) $GEN_OPTS"
if [ ! -s "$D/MANIFEST" ] || [ "$(cat "$D/GEN_ID" 2>/dev/null)" != "$GEN_ID" ]; then
	say "generating the dataset in $D"
	rm -f "$D/MANIFEST" "$W/base.db"
	"$TB/gen-dataset" -o "$D" $GEN_OPTS >/dev/null || die "gen-dataset failed"
	echo "$GEN_ID" >"$D/GEN_ID"
fi
entries=$(( $(sed -n 's/^ips=//p' "$D/MANIFEST") + $(sed -n 's/^cidrs=//p' "$D/MANIFEST") ))

# the database with the list, imported once and copied for each run
if [ ! -s "$W/base.db" ] || [ "$D/MANIFEST" -nt "$W/base.db" ]; then
	say "importing $entries entries"
	rm -f "$W/base.db" "$W/base.db-wal" "$W/base.db-shm"
	printf 'database = %s\nzone = %s\n' "$W/base.db" "$ZONE" >"$W/base.conf"
	"$P/orblctl" -c "$W/base.conf" init >/dev/null || die "orblctl init failed"
	"$P/orblctl" -c "$W/base.conf" import "$D/bl.ip4set" --format rbldnsd \
	    --no-progress >"$W/import.log" 2>&1 || die "orblctl import failed ($W/import.log)"
	sqlite3 "$W/base.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1
else
	# a database kept from an older orbl: bring its schema up to date
	"$P/orblctl" -c "$W/base.conf" init >/dev/null || die "orblctl init failed"
	sqlite3 "$W/base.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null 2>&1
fi

RUN=$W/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN" || die "cannot create $RUN"
say "run directory $RUN"

# The measurements: a Perl driver on the system tests' harness
# (tests/system/lib: Secondary.pm starts NSD and Knot, Orbl.pm picks
# ports).  It prints "RESULT key=value ..." lines.
ORBL_BIN=$P BENCH_RUN=$RUN BENCH_BASEDB=$W/base.db BENCH_DATA=$D \
BENCH_TOOLS=$TB BENCH_PROG=$P BENCH_PRIMARIES="$PRIMARIES" BENCH_BLAST=$BLAST \
BENCH_XWAIT=$XWAIT BENCH_ZONE=$ZONE \
    perl -I"$ROOT/tests/system/lib" - <<'EOF' | tee "$RUN/results.txt"
use strict;
use warnings;
use File::Copy qw(copy);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);
use Orbl qw(free_port wait_until);
use Secondary;

my ($RUN, $ZONE, $P, $TB, $D) = @ENV{qw(BENCH_RUN BENCH_ZONE BENCH_PROG
    BENCH_TOOLS BENCH_DATA)};
my $XWAIT = $ENV{BENCH_XWAIT};
my $KEY = { name => 'bench-xfr.key', alg => 'hmac-sha256',
    secret => Secondary::secret(32) };
$| = 1;

sub say { print STDERR "bench-xfr: @_\n" }
sub mem {	# pid -> VmRSS KiB
	open(my $fh, '<', "/proc/$_[0]/status") or return 0;
	while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
	return 0;
}
sub run {
	my (@cmd) = @_;
	my $t0 = time;
	system(@cmd) == 0 or die "@cmd: failed\n";
	return time - $t0;
}

# A primary: orbl-dnsd on a copy of the database, or Knot on the export.
# Returns {name, pid, port, serial, commit => sub (the 10,000 changes;
# returns the seconds counted as the primary's), stop => sub}.
sub primary {
	my ($name, $dir, $nsdport) = @_;
	mkdir $dir;
	my $db = "$dir/orbl.db";
	copy($ENV{BENCH_BASEDB}, $db) or die "copy: $!";
	my $port = free_port(0);
	my $conf = "$dir/orbl.conf";
	open(my $fh, '>', $conf) or die;
	print $fh "database = $db\nzone = $ZONE\n" .
	    "dns_listen = 127.0.0.1:$port\nstats_interval = 0\n" .
	    "tsig_key = $KEY->{name} $KEY->{alg} $KEY->{secret}\n" .
	    "xfr_allow = 127.0.0.1/32 $KEY->{name}\n" .
	    "notify = 127.0.0.1:$nsdport $KEY->{name}\n";
	close($fh);
	my $ctl = sub { run("$P/orblctl", '-c', $conf, @_) };
	my $serial = sub { `sqlite3 $db "SELECT seq FROM sqlite_sequence WHERE name = 'journal'"` + 0 };
	my $changes = "$D/changes.ip4set";
	if ($name eq 'orbl') {
		my $log = "$dir/dnsd.log";
		my $pid = fork // die;
		if ($pid == 0) {
			open(STDOUT, '>>', $log);
			open(STDERR, '>&', \*STDOUT);
			{ exec('taskset', '-c', '0', "$P/orbl-dnsd", '-d', '-c', $conf) };
			_exit(127);
		}
		my $s0 = $serial->();
		my $h = { name => 'orbl-dnsd', pid => $pid, port => $port,
		    serial => $s0, log => $log };
		my $ok = wait_until(300, 0.05, sub { soa($port) == $s0 });
		unless ($ok) {
			kill 'TERM', $pid;
			waitpid($pid, 0);
			die "orbl-dnsd did not serve serial $s0:\n" . `tail $log`;
		}
		$h->{commit} = sub {
			my $t = $ctl->('import', $changes, '--format', 'rbldnsd',
			    '--no-progress');
			$h->{serial} = $serial->();
			return $t;
		};
		$h->{stop} = sub { kill 'TERM', $pid; waitpid($pid, 0) };
		return $h;
	}
	my $zf = "$dir/zone";
	my $te = $ctl->('export', '--format', 'zone', '--no-progress', '-o', $zf);
	my $k = Secondary->new(kind => 'knot', role => 'primary', zone => $ZONE,
	    zonefile => $zf, keys => [$KEY], port => $port,
	    notify => [[$nsdport, $KEY]], dir => "$dir/knot");
	$k->start(timeout => 600) or die $k->error;
	# on CPU 0 as orbl-dnsd is (every thread)
	system("taskset -a -p -c 0 " . $k->pid . " >/dev/null") == 0 or
	    say('taskset on knotd failed');
	my $s0 = $serial->();
	wait_until(600, 0.1, sub { soa($port) == $s0 }) or
	    die "knot did not serve serial $s0\n";
	my $h = { name => 'knot', pid => $k->pid, port => $port,
	    serial => $s0, log => $k->logfile, export_s => $te };
	$h->{commit} = sub {
		my $t = $ctl->('import', $changes, '--format', 'rbldnsd',
		    '--no-progress');
		$h->{serial} = $serial->();
		$h->{export2_s} = $ctl->('export', '--format', 'zone',
		    '--no-progress', '-o', "$zf.new");
		rename("$zf.new", $zf) or die;
		$h->{reload_t0} = time;
		my $r = $k->ctl('reload');
		die "knotc zone-reload: $r->{out}" if $r->{rc};
		return $t;
	};
	$h->{stop} = sub { $k->stop };
	return $h;
}

my %RES;
sub soa {
	my ($port) = @_;
	my $r = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
	    port => $port, recurse => 0, retry => 1, udp_timeout => 1,
	    force_v4 => 1);
	my $p = $r->send($ZONE, 'SOA') or return -1;
	my ($s) = grep { $_->type eq 'SOA' } $p->answer;
	return $s ? $s->serial : -1;
}

# NSD's own account of its transfer of serial N: the bytes ("received
# update to serial N ... of B bytes"), and from its $from line (its start,
# or the NOTIFY) the seconds to its "committed" line (the transfer is in)
# and to its "is updated to N" line (served), from the log's millisecond
# stamps.  The log may lag the answers a little: waited for.
sub nsd_log {
	my ($nsd, $serial, $from) = @_;
	my $t;
	wait_until(30, 0.05, sub { $t = $nsd->log_text;
	    $t =~ /is updated to $serial$/m && $t =~ / of \d+ bytes/ });
	my ($bytes) = $t =~ /received update to serial $serial .* of (\d+) bytes/;
	my $stamp = sub { my ($re) = @_;
		my @m = $t =~ /^\[\d+-\d+-\d+ (\d+):(\d+):([\d.]+)\].*$re/mg;
		return undef unless @m;
		my ($h, $mi, $s) = @m[-3 .. -1];
		return $h * 3600 + $mi * 60 + $s; };
	my $a = $stamp->($from);
	my $c = $stamp->("committed \"received update to serial $serial ");
	my $u = $stamp->("is updated to $serial\$");
	return ($bytes, map { defined $a && defined $_ ? $_ - $a : undef } $c, $u);
}

# blast against the primary for $secs on CPU 1: answers/s
sub blast_start {
	my ($port, $secs, $out) = @_;
	my $pid = fork // die;
	if ($pid == 0) {
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		{ exec('taskset', '-c', '1', "$TB/blast", '-w', '128', '-b',
		    '32', '127.0.0.1', $port, "$D/queries.txt", $secs) };
		_exit(127);
	}
	return $pid;
}
sub blast_qps {
	my ($out) = @_;
	open(my $fh, '<', $out) or return 0;
	local $/;
	my $t = <$fh>;
	return $t =~ /\bqps=(\d+)/ ? $1 : 0;
}

# One AXFR: a fresh NSD; wall time until it serves the serial, the
# primary's RSS sampled meanwhile.
sub axfr {
	my ($pr, $nsd, %o) = @_;
	my $before = mem($pr->{pid});
	my $peak = $before;
	my $bl = $o{blast} ? blast_start($pr->{port}, $o{blast}, $o{blast_out}) : undef;
	my $t0 = time;
	$nsd->start(timeout => 60) or die $nsd->error;
	my $t = wait_until($XWAIT, 0.01, sub {
		my $m = mem($pr->{pid});
		$peak = $m if $m > $peak;
		return ($nsd->serial // -1) == $pr->{serial};
	});
	my $secs = time - $t0;
	die "$pr->{name}: NSD did not get serial $pr->{serial} within $XWAIT s\n"
	    unless defined $t;
	waitpid($bl, 0) if $bl;
	my $after = mem($pr->{pid});
	my ($bytes, $in, $served) = nsd_log($nsd, $pr->{serial}, 'nsd started');
	return { secs => $secs, in_s => $in, served_s => $served, bytes => $bytes,
	    rss0 => $before, rss_peak => $peak, rss1 => $after };
}

my @prim = split ' ', $ENV{BENCH_PRIMARIES};
for my $name (@prim) {
	my $dir = "$RUN/$name";
	my $nsdport = free_port(0);
	say "$name: starting the primary";
	my $pr = primary($name, $dir, $nsdport);
	my %r = (primary => $name, serial0 => $pr->{serial});
	$r{export_s} = sprintf('%.2f', $pr->{export_s}) if $pr->{export_s};
	my $mk = sub { Secondary->new(kind => 'nsd', zone => $ZONE,
	    primary => "127.0.0.1:$pr->{port}", key => $KEY, port => $nsdport,
	    dir => "$dir/$_[0]") };
	mkdir "$dir/$_" for qw(nsd1 nsd2);

	say "$name: AXFR to NSD";
	my $nsd = $mk->('nsd1');
	my $a = axfr($pr, $nsd);
	$r{"axfr_$_"} = $a->{$_} for keys %$a;

	if ($ENV{BENCH_BLAST}) {
		# the same with blast on the primary, for as long as the
		# transfer took (NSD's start to its "committed" line, rounded
		# up); first blast alone
		$nsd->stop;
		my $secs = int(($a->{in_s} // $a->{secs}) + 0.999) || 1;
		say "$name: blast alone for $secs s";
		waitpid(blast_start($pr->{port}, $secs, "$dir/blast0.txt"), 0);
		$r{qps_idle} = blast_qps("$dir/blast0.txt");
		say "$name: AXFR to a new NSD with blast for $secs s";
		my $n2 = $mk->('nsd2');
		my $b = axfr($pr, $n2, blast => $secs,
		    blast_out => "$dir/blast1.txt");
		$r{qps_xfr} = blast_qps("$dir/blast1.txt");
		$r{axfr_load_secs} = $b->{secs};
		$nsd = $n2;
	}

	say "$name: 10,000 changes, IXFR to NSD";
	my $mark = $nsd->log_mark;
	my $tc = $pr->{commit}->();
	my $t1 = time;
	my $ok = $nsd->wait_serial($pr->{serial}, $XWAIT);
	die "$name: NSD did not get serial $pr->{serial}\n" unless defined $ok;
	$r{ixfr_secs} = time - ($pr->{reload_t0} // $t1);
	$r{commit_s} = $tc;
	$r{export2_s} = $pr->{export2_s} if $pr->{export2_s};
	$r{serial1} = $pr->{serial};
	($r{ixfr_bytes}, $r{ixfr_in_s}, $r{ixfr_served_s}) = nsd_log($nsd,
	    $pr->{serial}, 'notify for ');
	$r{ixfr_incremental} = $nsd->incremental_from($r{serial0}) ? 1 : 0;
	$nsd->stop;
	$pr->{stop}->();
	print 'RESULT ' . join(' ', map { "$_=" . (defined $r{$_} ?
	    (/_s$|secs/ ? sprintf('%.3f', $r{$_}) : $r{$_}) : 'NA') }
	    sort keys %r) . "\n";
}
EOF
[ "${PIPESTATUS[0]}" = 0 ] || die "a measurement failed (see above; logs in $RUN)"

# ---- the table
awk -v entries="$entries" -v tree="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')" '
	/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		p = v["primary"]; if (!(p in seen)) order[++np] = p; seen[p] = 1
		for (k in v) r[p, k] = v[k]
		delete v }
	function mb(k) { return k == "NA" || k == "" ? "–" : sprintf("%.1f MB", k / 1024) }
	function s(x) { return x == "NA" || x == "" ? "–" : sprintf("%.2f s", x) }
	function b(x) { return x == "NA" || x == "" ? "–" : sprintf("%.1f MB", x / 1e6) }
	function q(x) { return x == "NA" || x == "" || x == 0 ? "–" : sprintf("%dk", x / 1000) }
	function ratio(a, c) { return (a == "" || c == "" || a == "NA" || c == "NA" || c == 0) ? "–" : sprintf("%.2f", a / c) }
	END {
		printf "\n### zone transfers to NSD, %s entries (%s)\n\n", entries, tree
		print "| primary | AXFR in | AXFR served | AXFR bytes | RSS before / peak / after | qps idle / during AXFR | IXFR in | IXFR served | commit to served | IXFR bytes | incremental |"
		print "|---|---|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= np; i++) {
			p = order[i]
			printf "| %s | %s | %s | %s | %s / %s / %s | %s / %s | %s | %s | %s | %s | %s |\n", p,
			    s(r[p, "axfr_in_s"]), s(r[p, "axfr_served_s"]), b(r[p, "axfr_bytes"]),
			    mb(r[p, "axfr_rss0"]), mb(r[p, "axfr_rss_peak"]), mb(r[p, "axfr_rss1"]),
			    q(r[p, "qps_idle"]), q(r[p, "qps_xfr"]),
			    s(r[p, "ixfr_in_s"]), s(r[p, "ixfr_served_s"]), s(r[p, "ixfr_secs"]),
			    b(r[p, "ixfr_bytes"]), r[p, "ixfr_incremental"] == 1 ? "yes" : "no"
		}
		print ""
		if (("orbl" in seen) && ("knot" in seen)) {
			print "| ratio orbl / knot | |"
			print "|---|---|"
			printf "| AXFR time (in) | %s |\n", ratio(r["orbl", "axfr_in_s"], r["knot", "axfr_in_s"])
			printf "| AXFR time (served) | %s |\n", ratio(r["orbl", "axfr_served_s"], r["knot", "axfr_served_s"])
			printf "| AXFR bytes | %s |\n", ratio(r["orbl", "axfr_bytes"], r["knot", "axfr_bytes"])
			printf "| IXFR time (in) | %s |\n", ratio(r["orbl", "ixfr_in_s"], r["knot", "ixfr_in_s"])
			printf "| IXFR time (commit to served) | %s |\n", ratio(r["orbl", "ixfr_secs"], r["knot", "ixfr_secs"])
			printf "| IXFR bytes | %s |\n", ratio(r["orbl", "ixfr_bytes"], r["knot", "ixfr_bytes"])
			printf "| primary RSS growth during AXFR | %.1f MB / %.1f MB |\n",
			    (r["orbl", "axfr_rss_peak"] - r["orbl", "axfr_rss0"]) / 1024,
			    (r["knot", "axfr_rss_peak"] - r["knot", "axfr_rss0"]) / 1024
			print ""
		}
		if ("orbl" in seen)
			printf "orbl-dnsd answered %s of its idle rate (blast) while the AXFR ran.\n",
			    ratio(r["orbl", "qps_xfr"], r["orbl", "qps_idle"])
		if ("knot" in seen && r["knot", "export_s"] != "")
			printf "Knot serves `orblctl export --format zone` (%s to write); its IXFR time runs from `knotc zone-reload` after a second export (%s), orbl-dnsd%s from the end of the commit.\n",
			    s(r["knot", "export_s"]), s(r["knot", "export2_s"]), "'"'"'s"
		print "From NSD'"'"'s log (ms stamps): \"in\" = from its start (AXFR) or the NOTIFY (IXFR) to its \"committed\" line, the transfer received; \"served\" = to its \"is updated\" line, NSD'"'"'s own load included (the same work for both primaries). \"commit to served\": wall time from the end of orblctl import (Knot: from knotc zone-reload) until NSD answers the new serial. Bytes: what NSD says it received. qps: blast'"'"'s answers/s at the primary, alone and during a second AXFR to a fresh NSD."
	}' "$RUN/results.txt" | tee "$RUN/table.md"
