# Unbound.pm -- a private unbound (the Debian package) for the system
# tests: a recursive resolver on 127.0.53.N port 53 (port 53, because a
# resolv.conf cannot name another port), its own directory and config,
# no trust anchor, nothing resolved outside the zones a test names.
#
#	my $u = Unbound->new(dir => $tmp, conf => $snippet_text);
#	$u->start or die $u->error;	# answers a query for a name of zone
#	my $p = $u->query('2.0.0.127.bl.orbl.test', 'TXT');
#	$u->stop;
#
# The caller's text (conf) is appended as written: server: and
# stub-zone: clauses, typically the README's stub-zone snippet.  The
# harness part before it only binds, logs and closes off the rest of
# the DNS: `local-zone: "." refuse` answers every other name at once (a
# test box may have no route to the root servers; a resolver left to try
# them would stall the MTAs and filters that ask), and each zone of
# zones => [...] is made transparent, so that its stub-zone is used.
# Stopped by PID; a dying test kills it in END.
package Unbound;

use strict;
use warnings;

use Carp qw(croak);
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);

use Net::DNS;

use Orbl ();	# its list of daemons to kill at exit
use Postfix ();	# its spew and slurp

my $CREATOR = $$;
# (daemons are killed at exit by Orbl.pm: Orbl::live, Orbl::dead)

sub find_unbound {
	for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/sbin') {
		return "$d/unbound" if -x "$d/unbound";
	}
	return undef;
}

# An address 127.0.53.N whose port 53 is free for UDP and TCP (a plain
# bind of both; released just before unbound binds them).
sub free_ip53 {
	my @n = (2 .. 250);
	for (1 .. 60) {
		my $ip = '127.0.53.' . $n[int(rand(@n))];
		my $u = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 53,
		    Proto => 'udp') or next;
		my $t = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 53,
		    Proto => 'tcp', Listen => 1, ReuseAddr => 1) or next;
		close($u);
		close($t);
		return $ip;
	}
	croak 'no 127.0.53.N with port 53 free';
}

# new(dir => DIR, conf => TEXT, zones => [NAME...], ip => 127.0.53.N)
sub new {
	my ($class, %o) = @_;
	croak 'Unbound: dir => needed' unless $o{dir};
	my $self = bless {
		dir => $o{dir},
		ip => $o{ip} // free_ip53(),
		zones => $o{zones} // [],
		conf => $o{conf} // '',
		prog => find_unbound(),
		pid => undef,
	}, $class;
	croak 'Unbound: no unbound program (apt-get install unbound)'
	    unless $self->{prog};
	$self->{file} = "$self->{dir}/unbound.conf";
	$self->{log} = "$self->{dir}/unbound.log";
	Postfix::spew($self->{file}, $self->config);
	return $self;
}

sub ip { $_[0]{ip} }
sub conffile { $_[0]{file} }
sub logfile { $_[0]{log} }
sub log { Postfix::slurp($_[0]{log}) }
sub error { $_[0]{error} // '' }
sub pid { $_[0]{pid} }

sub config {
	my ($self) = @_;
	my $d = $self->{dir};
	my $c = <<"EOT";
# written by tests/system/lib/Unbound.pm: the harness part
server:
    interface: $self->{ip}
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$d"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    local-zone: "." refuse
EOT
	$c .= "    local-zone: \"$_.\" transparent\n" for @{$self->{zones}};
	$c .= "remote-control:\n    control-enable: no\n\n";
	$c .= "# the caller's part\n$self->{conf}";
	return $c;
}

# A resolver asking this unbound (recursion desired).
sub resolver {
	my ($self, %o) = @_;
	my $to = $o{timeout} // 5;
	return Net::DNS::Resolver->new(nameservers => [$self->{ip}],
	    port => 53, recurse => 1, retry => 2, retrans => 1,
	    udp_timeout => $to, tcp_timeout => $to, defnames => 0,
	    dnsrch => 0, udppacketsize => 1232, force_v4 => 1);
}

sub query {
	my ($self, $name, $type, %o) = @_;
	return $self->resolver(%o)->send($name, $type // 'A', 'IN');
}

# Start unbound -d (foreground, log to stderr: our file); true once it
# answers a query (any rcode) for probe_name within timeout s (30).
sub start {
	my ($self, %o) = @_;
	croak 'Unbound: already started' if $self->{pid};
	my $timeout = $o{timeout} // 30;
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		POSIX::setsid();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->{log});
		open(STDERR, '>&', \*STDOUT);
		exec($self->{prog}, '-d', '-c', $self->{file}) or _exit(127);
	}
	$self->{pid} = $pid;
	Orbl::live($pid);
	my $probe = $o{probe_name} // 'example.invalid';
	my $t0 = time;
	while (time - $t0 < $timeout) {
		if (waitpid($pid, WNOHANG) == $pid) {
			$self->{error} = "unbound exited (status $?): " .
			    $self->log;
			Orbl::dead($pid);
			$self->{pid} = undef;
			return 0;
		}
		my $p = $self->query($probe, 'SOA', timeout => 1);
		return 1 if $p;
		sleep(0.1);
	}
	$self->{error} = "unbound did not answer within $timeout s: " .
	    $self->log;
	$self->stop;
	return 0;
}

# SIGTERM, wait up to 15 s, then SIGKILL.  Returns true on a clean exit
# (status 0).
sub stop {
	my ($self) = @_;
	my $pid = $self->{pid} or return 1;
	kill('TERM', $pid);
	my $deadline = time + 15;
	my $status;
	while (time < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			$status = $?;
			last;
		}
		sleep(0.05);
	}
	unless (defined $status) {
		kill('KILL', $pid);
		waitpid($pid, 0);
		$status = -1;
	}
	Orbl::dead($pid);
	$self->{pid} = undef;
	return $status == 0;
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $@);
	$self->stop if $self->{pid} && $$ == $CREATOR;
}

1;
