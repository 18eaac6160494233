# SinkSMTP.pm -- a tiny SMTP receiver for the peers' self-test: accepts
# every message and stores it (envelope, the peer address it came from,
# the data) as files in a directory.  The real sink is the prober's own;
# this one only proves that the peers deliver.  Built on FakeSMTP (the
# `sink` behaviour), so it has the same bounds, log and stop-by-PID.
#
#	my $s = SinkSMTP->new(listen => '127.0.0.1', dir => $tmp);
#	$s->start;
#	my $m = $s->wait_for(15, sub { $_[0]{rcpt}[0] eq 'sink@sink.test' });
#	# $m = { from, rcpt => [..], helo, peer, peerport, qid, time, data }
#	$s->stop;
package SinkSMTP;

use strict;
use warnings;

use JSON::PP;
use Time::HiRes qw(time sleep);

use FakeSMTP qw(slurp);
our @ISA = ('FakeSMTP');

sub new {
	my ($class, %o) = @_;
	my $self = FakeSMTP::new($class, %o, behaviour => 'sink',
	    name => $o{name} // 'sink.fake.test');
	return $self;
}

# Every message stored so far, oldest first.
sub messages {
	my ($self) = @_;
	my @m;
	opendir(my $dh, $self->store) or return ();
	my @env = sort grep { /\.env\z/ } readdir($dh);
	closedir($dh);
	for my $f (@env) {
		my $m = eval { JSON::PP->new->latin1->decode(
		    slurp($self->store . "/$f")) } or next;
		$m->{data} = slurp($m->{eml});
		push(@m, $m);
	}
	return @m;
}

# The first message for which CODE returns true, waiting up to TIMEOUT
# seconds (CODE defaults to "any message"); undef if none came.  AT_POLL,
# if given, is called every second while waiting (e.g. a queue flush).
sub wait_for {
	my ($self, $timeout, $code, $at_poll) = @_;
	$code //= sub { 1 };
	my $deadline = time() + $timeout;
	my $next_poll = time() + 1;
	for (;;) {
		for my $m ($self->messages) {
			return $m if $code->($m);
		}
		return undef if time() >= $deadline;
		if ($at_poll && time() >= $next_poll) {
			$at_poll->();
			$next_poll = time() + 1;
		}
		sleep(0.1);
	}
}

1;
