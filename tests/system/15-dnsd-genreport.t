#!/usr/bin/perl
# 15-dnsd-genreport.t -- ISC's DNS compliance tester (genreport, the tool
# behind the EDNS compliance reports) against a real orbl-dnsd over IPv4
# and IPv6: `genreport -f -c` (full and common tests) and `genreport -t`
# (query types).  Every field must read "=ok".
#
# genreport is not packaged: its source and build script live outside the
# repository, in $ORBL_PEER_DIR/genreport or shared/peer/genreport beside
# the repository (or one of its parents, or the clone's origin).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Cwd qw(abs_path);
use Test::More;

use Orbl qw(rev4);

# Where: $ORBL_PEER_DIR, then shared/peer beside the repository or any of
# its parents (a clone elsewhere, e.g. /tmp/x, of /work/main: the origin's
# own ../shared too).
my $top = abs_path("$FindBin::Bin/../..");
my @where = ($ENV{ORBL_PEER_DIR} ? ($ENV{ORBL_PEER_DIR}) : ());
for (my $d = $top; $d ne '/' && $d ne ''; $d =~ s{/[^/]*$}{}) {
	push(@where, "$d/../shared/peer", "$d/shared/peer");
}
my $origin = `git -C '$top' config --get remote.origin.url 2>/dev/null` // '';
chomp($origin);
push(@where, "$origin/../shared/peer") if $origin =~ m{^/} && -d $origin;
my $src;
for my $d (map { "$_/genreport" } @where) {
	if (-f "$d/build.sh" && -f "$d/genreport.c") {
		$src = abs_path($d);
		last;
	}
}
plan skip_all => 'genreport source not found (set ORBL_PEER_DIR, or put it '
    . 'in ../shared/peer/genreport)' unless $src;

my $o = Orbl->new;
$o->ctl_ok('add', '192.0.2.1', '--reason', 'listed $');

my $out = $o->dir . '/genreport';
mkdir($out) or die "$out: $!";
my $b = $o->run_cmd(['sh', "$src/build.sh", $out], timeout => 600);
unless (is($b->{rc}, 0, 'genreport builds') && -x "$out/genreport") {
	diag("build.sh: $b->{out}$b->{err}");
	done_testing;
	exit 1;
}
unless (ok($o->start, 'orbl-dnsd starts and answers an apex SOA query')) {
	done_testing;
	exit 1;
}

# One genreport run: {field => value} from its line for the zone.
sub genreport {
	my ($server, @args) = @_;
	my $in = $o->dir . '/genreport.in';
	open(my $fh, '>', $in) or die "$in: $!";
	print $fh "bl.test ns1.orbl.example $server\n";
	close($fh);
	my $r = $o->run_cmd(["$out/genreport", '-P', $o->port, @args],
	    stdin => $in, timeout => 300);
	my ($line) = $r->{out} =~ /^(bl\.test\. \@\Q$server\E .*)$/m;
	diag("genreport @args \@$server: rc $r->{rc}\n$r->{out}$r->{err}")
	    unless defined $line;
	return (undef, $r) unless defined $line;
	my %f;
	$f{$1} = $2 while $line =~ /\s([A-Za-z0-9\@_-]+)=(\S+)/g;
	return (\%f, $r);
}

my @servers = ('127.0.0.1', $o->has_ipv6 ? ('::1') : ());
for my $server (@servers) {
	for my $args (['-f', '-c'], ['-t']) {
		my ($f, $r) = genreport($server, @$args);
		my $what = "genreport @$args \@$server";
		ok($f, "$what: a report line") or next;
		# -f -c has some 35 tests, -t some 70 types: a short line means
		# genreport did not run them (a test that cannot fail is none).
		cmp_ok(scalar(keys %$f), '>=', $args->[0] eq '-t' ? 60 : 30,
		    "$what: all tests reported");
		# "ok", possibly followed by genreport's notes on what the
		# server supports: ",cookie" (our cookie came back with a
		# server cookie), ",nsid", ",expire", ",subnet".  Anything
		# else ("cookie-mismatch", a failure's tags) is not ok.
		my @bad = map { "$_=$f->{$_}" } grep {
		    $f->{$_} !~ /^ok(?:,(?:cookie|nsid|expire|subnet))*$/ }
		    sort keys %$f;
		is(scalar(@bad), 0, "$what: every field reads ok") or
		    diag("not ok: @bad");
		like($f->{ednscookie} // '', qr/^ok,cookie$/,
		    "$what: ednscookie: ok, a server cookie came back")
		    if $args->[0] eq '-f';
		ok(exists $f->{opcodeflg}, "$what: opcodeflg ran")
		    if $args->[0] eq '-f';
	}
}
diag('no IPv6 on loopback: IPv4 only') unless $o->has_ipv6;

$o->stop;
done_testing;
