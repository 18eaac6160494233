# Orbl.pm -- harness of the system tests: a temporary directory with a
# config and a database, orblctl runs, a real orbl-dnsd on loopback at a
# free port, DNS queries through Net::DNS (never ldns: the server uses
# ldns, so a shared bug must not hide) and raw packets by hand.
#
#	my $o = Orbl->new(zones => ['bl.test'], conf => { tcp_idle_timeout => '2s' });
#	$o->ctl_ok('add', '192.0.2.1');
#	$o->start;
#	my $r = $o->query('1.2.0.192.bl.test', 'A');
#	$o->stop;		# asserts exit status 0 (ASan: no leaks)
#
# A dying test still kills its daemons (END block, by PID).
package Orbl;

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use POSIX qw(WNOHANG _exit);
use Socket qw(inet_pton AF_INET AF_INET6);
use Test::More;
use Time::HiRes qw(time sleep);

use Net::DNS;

our @EXPORT_OK = qw(rev4 rev6 wait_until rr_strings answer_of txt_of
    dns_header make_query ipv6_works free_port stop_pid);

my $CREATOR = $$;
my %LIVE;		# pid => 1: daemons to kill if the test dies

# Killed by a signal (a harness timeout, ^C): still run END.
for my $sig (qw(TERM INT HUP)) {
	$SIG{$sig} = sub { exit(128 + 1) } unless $SIG{$sig};
}

# Safety net: a daemon dies with this process even if it is SIGKILLed
# (prctl PR_SET_PDEATHSIG; Linux only, where the number is known).
my %PRCTL = ('x86_64' => 157, 'aarch64' => 167);
sub die_with_parent {
	my ($arch) = (POSIX::uname())[4];
	syscall($PRCTL{$arch}, 1, 9) if $^O eq 'linux' && $PRCTL{$arch};
}

END {
	local $?;	# waitpid must not change the test's exit status
	if ($$ == $CREATOR) {
		for my $pid (keys %LIVE) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
		}
	}
}

# The daemons of every helper (Secondary, Unbound, Web and the tests' own)
# go in the one list the END above kills: live() when started, dead()
# once stopped.
sub live { $LIVE{$_[0]} = 1 }
sub dead { delete $LIVE{$_[0]} }

sub bindir {
	return $ENV{ORBL_BIN} // 'bin';
}

# Reverse names as RFC 5782 spells them, computed here (not by addr.c).
sub rev4 {
	my ($ip) = @_;
	return join('.', reverse split /\./, $ip);
}

sub rev6 {
	my ($ip) = @_;
	my $bin = inet_pton(AF_INET6, $ip) // croak "bad IPv6 $ip";
	return join('.', reverse split //, unpack('H32', $bin));
}

# Poll cond every $step seconds for at most $timeout seconds; returns the
# elapsed time when cond held, undef on timeout.
sub wait_until {
	my ($timeout, $step, $cond) = @_;
	my $t0 = time;

	for (;;) {
		return time - $t0 if $cond->();
		return undef if time - $t0 > $timeout;
		sleep($step);
	}
}

my $v6;
sub ipv6_works {
	return $v6 if defined $v6;
	my $s = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
	    Proto => 'udp');
	$v6 = $s ? 1 : 0;
	return $v6;
}

# A free port on 127.0.0.1 (and ::1), UDP and TCP both.
sub free_port {
	my ($want6) = @_;

	for (1 .. 50) {
		my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => 0, Proto => 'udp') or next;
		my $port = $u->sockport;
		my @held = ($u);
		push @held, IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $port, Proto => 'tcp', Listen => 1) // next;
		if ($want6) {
			push @held, IO::Socket::IP->new(LocalHost => '::1',
			    LocalPort => $port, Proto => 'udp') // next;
			push @held, IO::Socket::IP->new(LocalHost => '::1',
			    LocalPort => $port, Proto => 'tcp', Listen => 1) // next;
		}
		close($_) for @held;
		return $port;
	}
	croak "no free port found";
}

#
# new(zones => [...], conf => {key => value or [values]}, init => 1,
#     ipv6 => auto, ns => [...])
#
sub new {
	my ($class, %a) = @_;
	my $self = bless {}, $class;

	$self->{dir} = tempdir('orbl-sys-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{ORBL_KEEP});
	$self->{db} = "$self->{dir}/orbl.db";
	$self->{conffile} = "$self->{dir}/orbl.conf";
	$self->{log} = "$self->{dir}/dnsd.log";
	$self->{zones} = $a{zones} // ['bl.test'];
	$self->{ipv6} = $a{ipv6} // ipv6_works();
	$self->{port} = free_port($self->{ipv6});
	$self->{conf} = {
		database => $self->{db},
		zone => $self->{zones},
		dns_listen => ["127.0.0.1:$self->{port}",
		    ($self->{ipv6} ? ("[::1]:$self->{port}") : ())],
		tcp_idle_timeout => '10s',
		tcp_max_clients => 64,
		stats_interval => 0,
		ns => ['ns1.orbl.example', 'ns2.orbl.example'],
		soa_rname => 'hostmaster.orbl.example',
		ttl => '10m',
		neg_ttl => '2m',
		# An accept-all server gets the whole battery in batches of
		# probe_max_accepted; a second between them keeps such runs
		# short here (the default is a minute).
		probe_batch_wait => '1s',
		%{$a{conf} // {}},
	};
	$self->write_conf;
	if ($a{init} // 1) {
		my $r = $self->ctl('init');
		croak "orblctl init failed ($r->{rc}): $r->{err}" if $r->{rc};
	}
	return $self;
}

sub dir { $_[0]{dir} }
sub db { $_[0]{db} }
sub conffile { $_[0]{conffile} }
sub logfile { $_[0]{log} }
sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub zones { @{$_[0]{zones}} }
sub has_ipv6 { $_[0]{ipv6} }

# Write a config from a hash (arrays = repeated keys) to $path
# (default: this instance's file); returns the text.
sub write_conf {
	my ($self, $conf, $path) = @_;
	$conf //= $self->{conf};
	$path //= $self->{conffile};
	my $text = "# written by tests/system/lib/Orbl.pm\n";

	for my $k (sort keys %$conf) {
		my $v = $conf->{$k};
		$text .= "$k = $_\n" for ref $v ? @$v : ($v);
	}
	open(my $fh, '>', $path) or croak "$path: $!";
	print $fh $text;
	close($fh);
	return $text;
}

# Run a program with a time limit; returns {rc, out, err, secs}.
# rc is the exit code, or 128 + signal, or -1 on timeout.
sub run_cmd {
	my ($self, $argv, %o) = @_;
	my $limit = $o{timeout} // 30;
	my $n = ++$self->{nrun};
	my ($of, $ef) = ("$self->{dir}/run$n.out", "$self->{dir}/run$n.err");
	my $t0 = time;

	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', $o{stdin} // '/dev/null');
		open(STDOUT, '>', $of);
		open(STDERR, '>', $ef);
		{ exec(@$argv) };
		print STDERR "exec $argv->[0]: $!\n";
		_exit(127);
	}
	my $rc;
	for (;;) {
		my $w = waitpid($pid, WNOHANG);
		if ($w == $pid) {
			$rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
			last;
		}
		if (time - $t0 > $limit) {
			kill 'KILL', $pid;
			waitpid($pid, 0);
			$rc = -1;
			last;
		}
		sleep(0.01);
	}
	my $r = { rc => $rc, secs => time - $t0, out => slurp($of),
	    err => slurp($ef) };
	unlink($of, $ef);
	return $r;
}

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or return '';
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s // '';
}

# orblctl -c CONF ARGS...
sub ctl {
	my ($self, @args) = @_;
	return $self->run_cmd([bindir() . '/orblctl', '-c', $self->{conffile},
	    @args]);
}

# The same, as a test: exit 0 expected.
sub ctl_ok {
	my ($self, @args) = @_;
	my $r = $self->ctl(@args);

	is($r->{rc}, 0, "orblctl @args") or
	    diag("stdout: $r->{out}\nstderr: $r->{err}");
	return $r;
}

# The key of listing.net and journal.net (schema.sql: family byte, the 4
# or 16 address bytes, prefix byte) of an address or CIDR, as an SQL blob
# literal: net_key('192.0.2.5') is X'04C000020520'.
sub net_key {
	my ($cidr) = @_;
	my ($ip, $len) = split(m{/}, $cidr, 2);
	my $v6 = $ip =~ /:/;
	my $bin = inet_pton($v6 ? AF_INET6 : AF_INET, $ip) //
	    croak "net_key: not an address: $cidr";
	$len //= $v6 ? 128 : 32;
	return sprintf("X'%02X%s%02X'", $v6 ? 6 : 4, uc(unpack('H*', $bin)),
	    $len);
}

# SQL for the id of an interned text (table str), to be run after
# str_add_sql($text) put it there.
sub str_add_sql {
	my ($t) = @_;
	$t =~ s/'/''/g;
	return "INSERT OR IGNORE INTO str (s) VALUES ('$t');";
}
sub str_id_sql {
	my ($t) = @_;
	$t =~ s/'/''/g;
	return "(SELECT id FROM str WHERE s = '$t')";
}

# A probe listing of the IPv4 address ip with its evidence on port (25),
# written as a confirmed run leaves it, age seconds ago (0) (an operator's
# entry of the same address becomes one).  Returns the probe id.
sub probe_listed {
	my ($self, $ip, $port, $age) = @_;
	$port //= 25;
	my $now = int(time) - ($age // 0);
	$self->sql("INSERT INTO probe (addr, port, started, finished, " .
	    "verdict) VALUES ('$ip', $port, $now, $now, 'confirmed')");
	my $pid = $self->sql("SELECT max(id) FROM probe");
	$self->sql(str_add_sql('prober') . "INSERT INTO listing (net, " .
	    "source, probe_id, actor, created, updated) VALUES (" .
	    net_key($ip) . ", 'probe', $pid, " . str_id_sql('prober') .
	    ", $now, $now) ON CONFLICT (net) DO UPDATE SET " .
	    "source = 'probe', probe_id = $pid");
	$self->sql("INSERT INTO evidence (addr, port, probe_id) VALUES " .
	    "('$ip', $port, $pid)");
	return $pid;
}

# sqlite3 CLI on our database (independent of db.c).
sub sql {
	my ($self, $q) = @_;
	my $r = $self->run_cmd(['sqlite3', '-batch', '-cmd', '.timeout 5000',
	    $self->{db}, $q], timeout => 15);
	croak "sqlite3 '$q': $r->{err}" if $r->{rc};
	chomp(my $out = $r->{out});
	return $out;
}

# The journal serial, as the SOA must show it.
sub serial {
	my ($self) = @_;
	my $s = $self->sql("SELECT seq FROM sqlite_sequence WHERE name = 'journal'");
	return $s eq '' ? 0 : $s;
}

# ---------------------------------------------------------------------
# The daemon.

# Start orbl-dnsd -d; wait (up to $o{timeout}, 5 s) until it answers an
# apex SOA query.  Returns true when it answers.  With expect_fail, just
# start it (the caller looks at the exit).
sub start {
	my ($self, %o) = @_;
	my $timeout = $o{timeout} // 5;
	croak "already running" if $self->{pid};

	my @argv = (bindir() . '/orbl-dnsd', '-d', '-c', $self->{conffile},
	    @{$o{args} // []});
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		die_with_parent();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->{log});
		open(STDERR, '>>', $self->{log});
		{ exec(@argv) };
		print STDERR "exec $argv[0]: $!\n";
		_exit(127);
	}
	$self->{pid} = $pid;
	$LIVE{$pid} = 1;

	my $apex = $self->{zones}[0];
	my $ok = wait_until($timeout, 0.05, sub {
		if (waitpid($pid, WNOHANG) == $pid) {
			$self->{exited} = $?;
			return 1;
		}
		my $p = $self->query($apex, 'SOA', timeout => 0.2);
		return $p && $p->header->rcode eq 'NOERROR' && $p->header->ancount;
	});
	if (defined $self->{exited}) {
		delete $LIVE{$pid};
		delete $self->{pid};
		diag("orbl-dnsd exited at start (status $self->{exited}):\n" .
		    $self->log_report);
		return 0;
	}
	unless (defined $ok) {
		diag("orbl-dnsd did not answer an apex SOA query within " .
		    "$timeout s:\n" . $self->log_tail(20));
		return 0;
	}
	return 1;
}

# SIGTERM, then wait up to $secs (15) for the process to go; KILL if it
# does not.  Returns its wait status, undef when it had to be killed.
sub stop_pid {
	my ($pid, $secs) = @_;
	kill 'TERM', $pid;
	my $status;
	my $t = wait_until($secs // 15, 0.02, sub {
		return 0 unless waitpid($pid, WNOHANG) == $pid;
		$status = $?;
		return 1;
	});
	return $status if defined $t;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return undef;
}

# SIGTERM, wait (up to 15 s), assert exit status 0 and a clean log.
sub stop {
	my ($self, $name) = @_;
	my $pid = $self->{pid};
	$name //= 'orbl-dnsd';

	unless ($pid) {
		fail("$name: stopped (was not running)");
		return;
	}
	my $status = stop_pid($pid, 15);
	fail("$name: exits within 15 s of SIGTERM") unless defined $status;
	delete $LIVE{$pid};
	delete $self->{pid};
	is($status, 0, "$name: exit status 0 after SIGTERM") or
	    diag($self->log_report);
	my $log = slurp($self->{log});
	diag("$name log:\n$log") if $ENV{ORBL_SHOWLOG};
	unlike($log, qr/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/,
	    "$name: no sanitizer report in its log") or
	    diag($self->log_report);
	return $status;
}

# Kill without assertions (for daemons expected to be in a bad state).
sub kill_daemon {
	my ($self) = @_;
	local $?;
	my $pid = delete $self->{pid} or return;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	delete $LIVE{$pid};
}

sub DESTROY {
	my ($self) = @_;
	return unless $$ == $CREATOR;
	$self->kill_daemon if $self->{pid};
	$self->kill_prober if $self->{ppid};
}

sub log_text { slurp($_[0]{log}) }

# Size of the log now: log_since($mark) gives what was written after.
sub log_mark { -s $_[0]{log} // 0 }

sub log_since {
	my ($self, $mark) = @_;
	my $t = slurp($self->{log});
	return substr($t, $mark // 0);
}

# The log for a failure message: a sanitizer report from its start (up
# to the shadow byte legend), else the last lines.
sub log_report {
	my ($self) = @_;
	my $t = slurp($self->{log});
	if ($t =~ /(^.*?(?:==\d+==ERROR|runtime error:).*?)(?:Shadow byte legend|\z)/ms) {
		return $1;
	}
	return $self->log_tail(30);
}

sub log_tail {
	my ($self, $n) = @_;
	my @l = split /\n/, slurp($self->{log});
	@l = @l[-$n .. -1] if @l > $n;
	return join("\n", @l) . "\n";
}

# ---------------------------------------------------------------------
# orbl-prober, beside orbl-dnsd: same config, its own log.

sub prober_log { "$_[0]{dir}/prober.log" }
sub prober_pid { $_[0]{ppid} }

# Start orbl-prober -d; wait (up to 10 s) until its sink (the first
# sink_listen of the config) accepts a connection.  Returns true then.
sub start_prober {
	my ($self, %o) = @_;
	croak "prober already running" if $self->{ppid};
	my $log = $self->prober_log;
	my $mark = -s $log // 0;	# the log is appended across restarts
	my @argv = (bindir() . '/orbl-prober', '-d', '-c', $self->{conffile},
	    @{$o{args} // []});
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		die_with_parent();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		{ exec(@argv) };
		print STDERR "exec $argv[0]: $!\n";
		_exit(127);
	}
	$self->{ppid} = $pid;
	$LIVE{$pid} = 1;
	my $sl = $self->{conf}{sink_listen};
	$sl = $sl->[0] if ref $sl;
	my ($host, $port) = ($sl // '127.0.0.1:2525') =~ /^\[?([^\]]+?)\]?:(\d+)$/;
	# Ready: its own "sink on" line is logged (something else could be
	# answering on the port), and the port accepts.
	my $ok = wait_until($o{timeout} // 10, 0.05, sub {
		return 1 if waitpid($pid, WNOHANG) == $pid;
		return 0 unless substr(slurp($log), $mark) =~
		    /sink on \S+ port $port /;
		my $c = IO::Socket::INET->new(PeerAddr => $host,
		    PeerPort => $port, Proto => 'tcp', Timeout => 0.2);
		return defined $c;
	});
	if (!defined $ok || !kill(0, $pid)) {
		diag("orbl-prober did not start:\n" . slurp($log));
		return 0;
	}
	return 1;
}

# SIGTERM, wait (up to 20 s), assert exit status 0 and a clean log.
sub stop_prober {
	my ($self) = @_;
	my $pid = delete $self->{ppid};
	unless ($pid) {
		fail('orbl-prober: stopped (was not running)');
		return;
	}
	kill 'TERM', $pid;
	my $status;
	my $t = wait_until(20, 0.02, sub {
		return 0 unless waitpid($pid, WNOHANG) == $pid;
		$status = $?;
		return 1;
	});
	unless (defined $t) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
		$status = $?;
		fail('orbl-prober: exits within 20 s of SIGTERM');
	}
	delete $LIVE{$pid};
	my $log = slurp($self->prober_log);
	is($status, 0, 'orbl-prober: exit status 0 after SIGTERM') or
	    diag($log);
	unlike($log, qr/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/,
	    'orbl-prober: no sanitizer report in its log') or diag($log);
	return $status;
}

# Kill -9 (a crash), no assertions.
sub kill_prober {
	my ($self) = @_;
	local $?;
	my $pid = delete $self->{ppid} or return;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	delete $LIVE{$pid};
}

# ---------------------------------------------------------------------
# Queries.

# A resolver: tcp => 1, edns => SIZE (0: no OPT), rd => 0|1,
# server => '127.0.0.1' | '::1', timeout => secs.
sub resolver {
	my ($self, %o) = @_;
	my $to = $o{timeout} // 2;
	return Net::DNS::Resolver->new(
	    nameservers => [$o{server} // '127.0.0.1'],
	    port => $self->{port},
	    recurse => $o{rd} // 0,
	    retry => 1,
	    retrans => 1,
	    tcp_timeout => $to,
	    udp_timeout => $to,
	    usevc => $o{tcp} ? 1 : 0,
	    igntc => 1,
	    udppacketsize => $o{edns} // 0,
	    dnssec => 0,
	    defnames => 0,
	    dnsrch => 0,
	    persistent_tcp => 0,
	    persistent_udp => 0,
	    force_v4 => ($o{server} // '') =~ /:/ ? 0 : 1,
	);
}

# One query; returns the reply packet or undef (no reply).  A packet
# object may be passed instead of ($name, $type).
sub query {
	my ($self, $name, $type, %o) = @_;
	my $res = $self->resolver(%o);
	return ref $name ? $res->send($name) :
	    $res->send($name, $type // 'A', $o{class} // 'IN');
}

# The RRs of a section of a reply, of one type: ($pkt, 'answer', 'A').
sub answer_of {
	my ($p, $type, $section) = @_;
	return () unless $p;
	$section //= 'answer';
	return grep { !$type || $_->type eq $type } $p->$section;
}

# A TXT RR's text: its character-strings joined.
sub txt_of {
	my ($rr) = @_;
	return join('', $rr->txtdata);
}

sub rr_strings {
	my ($rr) = @_;
	return ($rr->txtdata);
}

# Hand-made packets.
sub make_query {
	my (%o) = @_;
	my $id = $o{id} // int(rand(65536));
	my $flags = (($o{qr} // 0) << 15) | (($o{opcode} // 0) << 11) |
	    (($o{rd} // 0) << 8);
	my $q = pack('n6', $id, $flags, $o{qdcount} // 1, 0, 0,
	    $o{arcount} // 0);
	return $q . $o{question} if defined $o{question};
	my $wire = '';
	$wire .= pack('C', length($_)) . $_ for split /\./, $o{name};
	$wire .= "\0";
	return $q . $wire . pack('nn', $o{qtype} // 1, $o{qclass} // 1) .
	    ($o{extra} // '');
}

# Header of a raw reply: {id, qr, opcode, aa, tc, rd, rcode, qd, an, ns, ar}.
sub dns_header {
	my ($buf) = @_;
	return undef unless defined $buf && length($buf) >= 12;
	my ($id, $f, $qd, $an, $ns, $ar) = unpack('n6', $buf);
	return { id => $id, qr => $f >> 15 & 1, opcode => $f >> 11 & 15,
	    aa => $f >> 10 & 1, tc => $f >> 9 & 1, rd => $f >> 8 & 1,
	    rcode => $f & 15, qd => $qd, an => $an, ns => $ns, ar => $ar };
}

# Send bytes over UDP; returns the reply bytes or undef after $timeout.
sub raw_udp {
	my ($self, $bytes, %o) = @_;
	my $server = $o{server} // '127.0.0.1';
	my $s = IO::Socket::IP->new(PeerHost => $server,
	    PeerPort => $self->{port}, Proto => 'udp') or croak "udp: $!";
	send($s, $bytes, 0) or croak "send: $!";
	my $sel = IO::Select->new($s);
	return undef unless $sel->can_read($o{timeout} // 2);
	my $buf;
	defined(recv($s, $buf, 65535, 0)) or return undef;
	return $buf;
}

# A TCP connection to the daemon (not connected: undef).
sub tcp_connect {
	my ($self, %o) = @_;
	return IO::Socket::IP->new(PeerHost => $o{server} // '127.0.0.1',
	    PeerPort => $self->{port}, Proto => 'tcp', Timeout => 2);
}

# Read exactly $n bytes within $timeout; returns the bytes, '' on EOF
# first, undef on timeout.
sub read_n {
	my ($s, $n, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $buf = '';
	my $end = time + $timeout;

	while (length($buf) < $n) {
		my $left = $end - time;
		return undef if $left <= 0 || !$sel->can_read($left);
		my $r = sysread($s, $buf, $n - length($buf), length($buf));
		return '' if !defined $r || $r == 0;
	}
	return $buf;
}

# One framed message from a TCP stream: bytes, '' on EOF, undef on timeout.
sub tcp_read_msg {
	my ($s, $timeout) = @_;
	my $l = read_n($s, 2, $timeout);
	return $l if !defined $l || $l eq '';
	return read_n($s, unpack('n', $l), $timeout);
}

# Wait for the server to close: the seconds until EOF, undef on timeout
# (data arriving meanwhile is read and ignored).
sub wait_eof {
	my ($s, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $t0 = time;

	while (time - $t0 < $timeout) {
		next unless $sel->can_read($timeout - (time - $t0));
		my $buf;
		my $r = sysread($s, $buf, 4096);
		return time - $t0 if !defined $r || $r == 0;
	}
	return undef;
}

# Is the connection closed by the peer (EOF or reset) right now?
sub is_closed {
	my ($s, $wait) = @_;
	my $sel = IO::Select->new($s);
	return 0 unless $sel->can_read($wait // 0);
	my $buf;
	my $r = sysread($s, $buf, 4096, 0);
	return !defined $r || $r == 0 ? 1 : 0;
}

1;

# ---------------------------------------------------------------------
# Observable state to wait for instead of sleeping (appended for "tests
# that never flake").

# The counters of orbl-dnsd now: SIGUSR1, then its "stats (SIGUSR1)" line,
# waited for up to $timeout s (20).  A hash of every "name number" pair of
# the line (reloads, accepted, queries, evicted, idle-closed, dropped,
# ...) and line => the line; undef if none came.
sub stats {
	my ($self, $timeout) = @_;
	my $mark = $self->log_mark;
	kill('USR1', $self->{pid} // return undef) or return undef;
	my $line;
	wait_until($timeout // 20, 0.02, sub {
		($line) = $self->log_since($mark) =~ /^(.*stats \(SIGUSR1\).*)\n/m;
		return defined $line;
	});
	return undef unless defined $line;
	my %s = (line => $line);
	$s{$1} = $2 while $line =~ /([a-z-]+) (\d+)/g;
	return \%s;
}

# Server-side TCP connections on local port $port not closed by the
# server yet (ESTABLISHED, SYN_RECV, CLOSE_WAIT in /proc/net/tcp and
# tcp6): a client's close leaves the server's end in CLOSE_WAIT until the
# server has seen it and closed its own.
sub server_conns {
	my ($port) = @_;
	my $n = 0;
	for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
		open(my $fh, '<', $f) or next;
		while (my $l = <$fh>) {
			my ($local, $st) = (split ' ', $l)[1, 3];
			next unless defined $st && $local =~ /:([0-9A-F]{4})$/;
			$n++ if hex($1) == $port && $st =~ /^(?:01|03|08)$/;
		}
		close($fh);
	}
	return $n;
}

# Wait (up to $timeout s, 30) until orbl-dnsd holds no TCP connection on
# its port: it has seen every close of ours.  True then.
sub wait_tcp_closed {
	my ($self, $timeout) = @_;
	return defined wait_until($timeout // 30, 0.02,
	    sub { server_conns($self->{port}) == 0 });
}

# Wait until orbl-dnsd's loader has looked at the database at least $n
# more times (its "polls" counter, read with SIGUSR1; up to $timeout s,
# 60), calling $each (if given) at every step; true then.
sub wait_loader_polls {
	my ($self, $n, $each, $timeout) = @_;
	my $s0 = $self->stats or return 0;
	return defined wait_until($timeout // 60, 0.1, sub {
		$each->() if $each;
		my $s = $self->stats or return 0;
		# +1: the poll under way when we started may be counted
		return $s->{polls} - $s0->{polls} >= $n + 1;
	});
}

# Hold the write lock of the database: an sqlite3 process that ran BEGIN
# $o{mode} (IMMEDIATE) and an insert into meta, and said so (waited for
# up to 20 s).  A handle for unlock_db; undef if the lock was not taken.
sub lock_db {
	my ($self, %o) = @_;
	require IPC::Open2;
	my $mode = $o{mode} // 'IMMEDIATE';
	my $key = $o{key} // "lock-$$";
	my ($out, $in);
	my $pid = IPC::Open2::open2($out, $in, 'sqlite3', '-batch', '-bail',
	    $self->{db});
	select((select($in), $| = 1)[0]);
	print $in ".timeout 5000\nBEGIN $mode;\n" .
	    "INSERT INTO meta (key, value) VALUES ('$key', '1');\n" .
	    "SELECT 'lock-taken';\n";
	my $h = { pid => $pid, in => $in, out => $out };
	my $sel = IO::Select->new($out);
	my $buf = '';
	my $end = time + ($o{timeout} // 20);
	while ($buf !~ /^lock-taken$/m && time < $end) {
		last unless $sel->can_read($end - time);
		sysread($out, $buf, 4096, length($buf)) or last;
	}
	return $h if $buf =~ /^lock-taken$/m;
	$self->unlock_db($h);
	return undef;
}

sub unlock_db {
	my ($self, $h) = @_;
	return unless $h;
	local $SIG{PIPE} = 'IGNORE';
	print {$h->{in}} "ROLLBACK;\n.quit\n";
	close($h->{in});
	close($h->{out});
	waitpid($h->{pid}, 0);
}

1;
