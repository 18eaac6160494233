#!/usr/bin/perl
# 43-monitoring.t -- the monitoring examples are valid and speak of real
# metrics: promtool (Debian's prometheus package) accepts
# examples/prometheus.yml and examples/orbl-alerts.yml, and every orbl_*
# metric an alert names is one a daemon exports (its family is written
# in dnsd/stats.c, prober/stats.c or web/stats.c).
use strict;
use warnings;
use FindBin;
use Test::More;

my $top = "$FindBin::Bin/../..";
chomp(my $promtool = `command -v promtool 2>/dev/null` // '');
plan skip_all => 'promtool not installed (scripts/deps installs prometheus)'
    unless $promtool;

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or die "$f: $!"; local $/; <$fh> }

my $out = `cd '$top/examples' && '$promtool' check config prometheus.yml 2>&1`;
is($?, 0, 'promtool check config examples/prometheus.yml') or diag $out;
$out = `'$promtool' check rules '$top/examples/orbl-alerts.yml' 2>&1`;
is($?, 0, 'promtool check rules examples/orbl-alerts.yml') or diag $out;
like($out, qr/SUCCESS: (\d+) rules found/, 'rules found');

my $rules = slurp("$top/examples/orbl-alerts.yml");
my %used = map { $_ => 1 } $rules =~ /\b(orbl_[a-z0-9_]+)\b/g;
my $src = join('', map { slurp("$top/$_") }
    qw(dnsd/stats.c prober/stats.c web/stats.c));
ok(scalar(keys %used) >= 8, 'the alerts use orbl metrics (' .
    scalar(keys %used) . ')');
for my $m (sort keys %used) {
	like($src, qr/"\Q$m\E"/, "$m is exported by a daemon");
}
# And every daemon has at least one alert.
for my $p (qw(orbl_dns_ orbl_prober_ orbl_web_)) {
	ok((grep { /^\Q$p\E/ } keys %used), "an alert watches ${p}*");
}
done_testing();
