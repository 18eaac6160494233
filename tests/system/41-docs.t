#!/usr/bin/perl
# 41-docs.t -- the documents generated from code match it: the README's
# configuration table is `orblctl conf-reference`, orbl.conf(5) is
# `orblctl conf-reference --man`, and every manual page renders without a
# warning (groff -ww) through man(1).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;

my $top = "$FindBin::Bin/../..";
my $bin = $ENV{ORBL_BIN} // "$top/bin";
my $ctl = "$bin/orblctl";
plan skip_all => "no $ctl (build first)" unless -x $ctl;

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or die "$f: $!"; local $/; <$fh> }

# 1. The README's table is the key table.
my $table = `$ctl conf-reference`;
is($?, 0, 'conf-reference exits 0');
my $readme = slurp("$top/README.md");
my ($in_readme) = $readme =~ /(^\| key \| type \| default \| meaning \|\n(?:^\|.*\n)+)/m;
ok(defined $in_readme, 'README has the configuration table');
is($in_readme, $table, 'README table == orblctl conf-reference (make conf-reference regenerates it)');

# 2. orbl.conf(5) from the same table names every key.
my $man5 = `$ctl conf-reference --man`;
is($?, 0, 'conf-reference --man exits 0');
my @keys = $table =~ /^\| `([a-z0-9_]+)` \|/mg;
cmp_ok(scalar @keys, '>', 40, 'the table has the keys');
my @missing = grep { $man5 !~ /^\.It Ic \Q$_\E /m } @keys;
is("@missing", '', 'orbl.conf(5) documents every key');
ok(!grep(/^conf-reference/, $man5), 'no stray output');

# 3. Every page renders clean.
my $tmp = "/tmp/orbl-41-$$.5";
open(my $fh, '>', $tmp) or die; print $fh $man5; close $fh;
my @pages = (glob("$top/docs/man/*.8"), $tmp);
is(scalar @pages, 5, 'four program pages and orbl.conf(5)');
for my $p (@pages) {
	my $w = `groff -mdoc -ww -z '$p' 2>&1`;
	is($w, '', "groff -ww: no warning for " . ($p eq $tmp ? 'orbl.conf.5' : $p =~ s{.*/}{}r));
	my $out = `MANWIDTH=80 man -l '$p' 2>&1`;
	like($out, qr/^NAME\n\s+\S+/m, "man -l renders $p") ;
}
unlink $tmp;
done_testing();
