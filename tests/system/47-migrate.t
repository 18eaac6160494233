#!/usr/bin/perl
# 47-migrate.t -- `orblctl init` upgrades a database of the release with
# schema 2 in place (issue #15: schema 3, compact listings and journal).
# The database is data/release-v2/orbl.sql: the sqlite3 .dump of one that
# the release's orblctl made (an import, adds, a remove, a submission, a
# probe run with its 25 tests and events); the other files there are what
# the release's orblctl printed for it.  After the upgrade every listing,
# journal row (the serial included), probe, submission and event is
# there, and list, export, lookup and requests print exactly what the
# release printed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use CtlTest qw(slurp);

my $data = "$FindBin::Bin/data/release-v2";
my $t = CtlTest->new;
my $db = $t->db;
mkdir($t->dir . '/db') or die "mkdir: $!";

sub sql {
	my ($q) = @_;
	my $r = $t->run_cmd({}, 'sqlite3', '-batch', $db, $q);
	die "sqlite3 '$q': $r->{err}" if $r->{rc};
	chomp(my $out = $r->{out});
	return $out;
}

my $r = $t->run_cmd({ stdin => slurp("$data/orbl.sql") }, 'sqlite3', '-batch',
    $db);
is($r->{rc}, 0, 'the release database loaded') or diag($r->{err});
is(sql('PRAGMA user_version'), 2, '... schema version 2');

$r = $t->ctl('list');
is($r->{rc}, 1, 'list before the upgrade: refused');
like($r->{err}, qr/schema version 2 is older than this orbl \(4\): run 'orblctl init'/,
    '... saying what to do');

$r = $t->ctl('init');
is($r->{rc}, 0, 'init upgrades it') or diag($r->{err});
like($r->{out}, qr/upgraded from schema version 2 to 4/, '... and says so');
is(sql('PRAGMA user_version'), 4, 'schema version 4');
is(sql('PRAGMA integrity_check'), 'ok', 'integrity_check: ok');
is(sql('SELECT count(*) FROM pragma_foreign_key_check'), 0,
    'no dangling reference');

# Every row survived.
is(sql('SELECT count(*) FROM listing'), 9, '9 listings');
is(sql('SELECT count(*) FROM journal'), 11, '11 journal rows');
is(sql("SELECT seq FROM sqlite_sequence WHERE name = 'journal'"), 11,
    'the serial is 11');
is(sql('SELECT count(*) FROM probe') . ' ' .
    sql('SELECT count(*) FROM probe_test') . ' ' .
    sql('SELECT count(*) FROM submission') . ' ' .
    sql('SELECT count(*) FROM event'), '1 25 1 3',
    'the probe, its tests, the submission, the events');
is(sql("SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v2'"), 0,
    'no table of the old schema left behind');
is(sql('SELECT count(*) FROM str'), 7,
    'each reason, actor and why stored once');

# What the release printed for it, byte for byte.
# (lookup of an address no entry covers exits 1, as it did.)
for my $c (
    [['list', '--format', 'csv'], 'list.csv', 0],
    [['list', '--format', 'json'], 'list.json', 0],
    [['export', '--format', 'rbldnsd', '--no-progress'], 'export.rbldnsd', 0],
    [['lookup', '198.51.100.5', '--json'], 'lookup-198.51.100.5.json', 1],
    [['lookup', '192.0.2.7'], 'lookup-192.0.2.7.txt', 0],
    [['requests'], 'requests.txt', 0],
) {
	my ($args, $file, $rc) = @$c;
	$r = $t->ctl(@$args);
	is($r->{rc}, $rc, "@$args: exit $rc") or diag($r->{err});
	is($r->{out}, slurp("$data/$file"), "@$args: as the release printed it");
}

# It goes on from there.
$r = $t->ctl('add', '192.0.2.200', '--reason', 'spam trap hit');
is($r->{rc}, 0, 'add after the upgrade') or diag($r->{err});
is(sql("SELECT seq FROM sqlite_sequence WHERE name = 'journal'"), 12,
    '... serial 12');
is(sql('SELECT count(*) FROM str'), 7,
    '... its reason, actor and why reused');
$r = $t->ctl('remove', '198.51.100.6');
is($r->{rc}, 0, 'remove of a migrated entry') or diag($r->{err});
like($t->ctl('lookup', '198.51.100.6')->{out},
    qr/add    198\.51\.100\.6 .*\n.*remove 198\.51\.100\.6 /,
    '... its history: the migrated row, then the removal');
$r = $t->ctl('init');
like($r->{out}, qr/already initialised, schema version 4/,
    'init again: nothing to do');

done_testing();
