# CtlTest.pm -- helpers for the orblctl system tests: a temp dir with its
# own config and database, running orblctl with a time limit, snapshots of
# the database for "nothing changed" checks, and a real NSD on loopback.
package CtlTest;

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(slurp spew find_prog);

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s;
}

sub spew {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh) or die "$path: $!";
}

# A program in PATH or the sbin directories (nsd lives in /usr/sbin).
sub find_prog {
	my ($name) = @_;
	for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/sbin',
	    '/usr/local/sbin') {
		return "$d/$name" if -x "$d/$name";
	}
	return undef;
}

# new(extra => "key = value\n..."): a temp dir with orbl.conf whose
# database is DIR/db/orbl.db (the db/ directory does not exist yet).
sub new {
	my ($class, %o) = @_;
	my $dir = tempdir('orblctl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $bin = $ENV{ORBL_BIN} // 'bin';
	my $self = bless {
		dir => $dir,
		ctl => "$bin/orblctl",
		db => "$dir/db/orbl.db",
		conf => "$dir/orbl.conf",
		kids => [],
	}, $class;
	die "no orblctl at $self->{ctl} (set ORBL_BIN)\n" unless -x $self->{ctl};
	spew($self->{conf}, "# orblctl test\ndatabase = $self->{db}\n" .
	    "zone = bl.test\n" . ($o{extra} // ''));
	return $self;
}

sub dir { $_[0]{dir} }
sub db { $_[0]{db} }
sub conf { $_[0]{conf} }

# Run a command with a time limit; returns { rc, out, err, secs }.
# Options: stdin => TEXT, env => { K => V }, timeout => S.
sub run_cmd {
	my ($self, $o, @cmd) = @_;
	my $d = $self->{dir};
	spew("$d/.stdin", $o->{stdin} // '');
	my $t0 = time();
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', "$d/.stdin") or die;
		open(STDOUT, '>', "$d/.stdout") or die;
		open(STDERR, '>', "$d/.stderr") or die;
		$ENV{$_} = $o->{env}{$_} for keys %{$o->{env} // {}};
		delete $ENV{ORBL_CONF} unless exists $o->{env}{ORBL_CONF};
		exec(@cmd) or exit(127);
	}
	my $limit = $t0 + ($o->{timeout} // 30);
	while (waitpid($pid, WNOHANG) == 0) {
		if (time() > $limit) {
			kill('KILL', $pid);
			waitpid($pid, 0);
			return { rc => -1, out => '', err => 'timeout',
			    secs => time() - $t0 };
		}
		sleep(0.01);
	}
	my $st = $?;
	return {
		rc => ($st & 127) ? 128 + ($st & 127) : $st >> 8,
		out => slurp("$d/.stdout") // '',
		err => slurp("$d/.stderr") // '',
		secs => time() - $t0,
	};
}

# orblctl -c CONF ARGS...
sub ctl {
	my ($self, @args) = @_;
	return $self->run_cmd({}, $self->{ctl}, '-c', $self->{conf}, @args);
}

# The same with options for run_cmd first: ctl_opt({ stdin => ... }, ...).
sub ctl_opt {
	my ($self, $o, @args) = @_;
	return $self->run_cmd($o, $self->{ctl}, '-c', $self->{conf}, @args);
}

# Everything a command could change, as text: the list and the serial.
sub snapshot {
	my ($self) = @_;
	my $l = $self->ctl('list', '--format', 'csv');
	my $s = $self->ctl('stats', '--json');
	return "list rc=$l->{rc}\n$l->{out}\nstats rc=$s->{rc}\n$s->{out}";
}

# The list as { cidr => { exclude, code, reason, source, ... } }.
sub entries {
	my ($self) = @_;
	my $r = $self->ctl('list', '--format', 'json');
	die "list failed: $r->{err}" if $r->{rc} != 0;
	return { map { $_->{cidr} => $_ } @{decode_json($r->{out})} };
}

sub free_port {
	for (1 .. 50) {
		my $port = 20000 + int(rand(40000));
		my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $port, Proto => 'udp') or next;
		my $t = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $port, Proto => 'tcp', Listen => 1,
		    ReuseAddr => 1) or next;
		close($u);
		close($t);
		return $port;
	}
	die "no free port\n";
}

# Start a real NSD serving ZONE from FILE on 127.0.0.1 at a free port,
# with its own config in a subdirectory; waits until it answers SOA.
sub nsd_start {
	my ($self, $zone, $file) = @_;
	require Net::DNS;
	my $nsd = find_prog('nsd') or return undef;
	my $d = "$self->{dir}/nsd";
	mkdir($d);
	my $port = free_port();
	spew("$d/nsd.conf", <<"EOF");
server:
	ip-address: 127.0.0.1
	port: $port
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$d"
	database: ""
	pidfile: "$d/nsd.pid"
	logfile: "$d/nsd.log"
	xfrdfile: "$d/xfrd.state"
	zonelistfile: "$d/zone.list"
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "$zone"
	zonefile: "$file"
EOF
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>', "$d/stdout");
		open(STDERR, '>', "$d/stderr");
		exec($nsd, '-d', '-c', "$d/nsd.conf") or exit(127);
	}
	push(@{$self->{kids}}, $pid);
	my $res = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
	    port => $port, recurse => 0, udp_timeout => 1, retry => 1,
	    tcp_timeout => 1);
	$self->{nsd} = { pid => $pid, port => $port, res => $res, dir => $d };
	for (1 .. 100) {
		my $p = $res->send($zone, 'SOA');
		return $self->{nsd} if $p && $p->header->rcode eq 'NOERROR' &&
		    $p->header->ancount > 0;
		last if waitpid($pid, WNOHANG) != 0;
		sleep(0.1);
	}
	diag_file("$d/nsd.log");
	diag_file("$d/stderr");
	$self->nsd_stop;
	return undef;
}

sub diag_file {
	my ($f) = @_;
	my $s = slurp($f);
	print STDERR "# $f:\n$s" if defined $s && length $s;
}

# Returns the exit status of nsd (0 when it shut down cleanly).
sub nsd_stop {
	my ($self) = @_;
	my $n = delete $self->{nsd} or return undef;
	kill('TERM', $n->{pid});
	my $t0 = time();
	while (waitpid($n->{pid}, WNOHANG) == 0) {
		if (time() - $t0 > 10) {
			kill('KILL', $n->{pid});
			waitpid($n->{pid}, 0);
			last;
		}
		sleep(0.05);
	}
	my $st = $?;
	@{$self->{kids}} = grep { $_ != $n->{pid} } @{$self->{kids}};
	return $st;
}

# Ask the running NSD: returns (rcode, [A addresses], [TXT texts]).
sub query {
	my ($self, $name, $type) = @_;
	my $p = $self->{nsd}{res}->send($name, $type // 'A') or
	    return ('TIMEOUT', [], []);
	my (@a, @txt);
	for my $rr ($p->answer) {
		push(@a, $rr->address) if $rr->type eq 'A';
		push(@txt, join('', $rr->txtdata)) if $rr->type eq 'TXT';
	}
	return ($p->header->rcode, \@a, \@txt);
}

sub DESTROY {
	my ($self) = @_;
	$self->nsd_stop if $self->{nsd};
	for my $pid (@{$self->{kids} // []}) {
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
}

1;
