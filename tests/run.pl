#!/usr/bin/perl
# run.pl -- run every test under one TAP harness: compiled tests (cmocka
# with TAP output, fuzz corpus replays) are executed directly, *.t files
# with perl.  One summary at the end; non-zero exit on any failure.
use strict;
use warnings;
use TAP::Harness;

$ENV{CMOCKA_MESSAGE_OUTPUT} = 'TAP';
my $h = TAP::Harness->new({
	verbosity => $ENV{VERBOSE} ? 1 : 0,
	timer => 1,
	exec => sub {
		my ($harness, $file) = @_;
		return $file =~ /\.t$/ ? undef : [$file];
	},
});
my $agg = $h->runtests(@ARGV);
exit($agg->all_passed ? 0 : 1);
