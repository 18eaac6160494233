# Secondary.pm -- stock NSD, Knot and BIND (the Debian packages) as
# secondaries of a primary on loopback, for the mirror tests (issue 12)
# and bench/xfr.sh: each in its own directory with its own config, zone
# file, pid file, log and control channel, listening on a free loopback
# port, taking NOTIFY from the primary and transferring with TSIG.  Knot
# can also be the primary itself, serving a zone file (the stand-in peer
# that orbl-dnsd is compared with).
#
#	my $k = { name => 'k1', alg => 'hmac-sha256', secret => Secondary::secret(32) };
#	my $s = Secondary->new(kind => 'nsd', zone => 'bl.test',
#	    primary => "127.0.0.1:$port", key => $k);
#	$s->start or die $s->error;	# its port answers
#	$s->wait_serial(7, 30);		# its apex SOA says serial 7
#	my @x = $s->transfers;		# ({type => 'IXFR', serial => 7}, ...)
#	$s->stop;
#
#	my $p = Secondary->new(kind => 'knot', role => 'primary',
#	    zone => 'bl.test', zonefile => $file, keys => [$k],
#	    notify => [[$s->port, $k]]);
#	$p->start; ...; $p->reload;	# after rewriting the file: IXFR
#
# The daemons run as root (this user; nsd `username: ""`, knot
# `user: root:root`, named without -u) in a directory made here, so no
# package user needs access.  Stopped by PID (TERM, then KILL); a dying
# test kills them in END.  Nothing here sleeps as synchronisation: every
# wait polls observable state with a bound.
package Secondary;

use strict;
use warnings;

use Carp qw(croak);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time);

use Net::DNS;

use Orbl qw(free_port wait_until);
use Postfix ();	# its spew and slurp

my $CREATOR = $$;
# (daemons are killed at exit by Orbl.pm: Orbl::live, Orbl::dead)

my %PROG = (
	nsd => ['nsd'],
	knot => ['knotd', 'knotc'],
	bind => ['named', 'rndc'],
);

sub find_prog {
	my ($name) = @_;
	for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/sbin',
	    '/usr/bin') {
		return "$d/$name" if -x "$d/$name";
	}
	return undef;
}

# The kinds whose programs are missing: () when all of @kinds can run.
sub missing {
	my (@kinds) = @_;
	my @m;
	for my $k (@kinds) {
		push @m, grep { !find_prog($_) } @{$PROG{$k} // croak "kind $k"};
	}
	return @m;
}

# A random TSIG secret of $n bytes, base64 (as tsig-keygen prints it).
sub secret {
	my ($n) = @_;
	my $b = '';
	if (open(my $fh, '<', '/dev/urandom')) {
		read($fh, $b, $n);
		close($fh);
	}
	$b .= chr(int(rand(256))) while length($b) < $n;
	return encode_base64($b, '');
}

# Postfix.pm's, as Unbound.pm uses them (Secondary::spew for the tests)
*spew = \&Postfix::spew;
*slurp = \&Postfix::slurp;

#
# new(kind => nsd|knot|bind, zone => NAME, primary => 'ADDR:PORT',
#     key => {name, alg, secret} (undef: unsigned), dir => DIR,
#     ip => '127.0.0.1', port => N, verbose => 1,
#     notify_key => 1 (NOTIFY must be signed with key; 0: any from the
#     primary's address))
# Knot as the primary: kind => 'knot', role => 'primary', zonefile =>
#     FILE (served; reload() after rewriting it), keys => [key...] (each
#     may transfer from allow => CIDR, 127.0.0.1; no keys: unsigned),
#     notify => [[PORT, key|undef], ...].
#
sub new {
	my ($class, %o) = @_;
	my $kind = $o{kind} // croak 'Secondary: kind => nsd|knot|bind';
	croak "Secondary: unknown kind $kind" unless $PROG{$kind};
	my $role = $o{role} // 'secondary';
	croak 'Secondary: only knot can be the primary'
	    if $role eq 'primary' && $kind ne 'knot';
	my @m = missing($kind);
	croak "Secondary: $kind: missing @m" if @m;
	my $self = bless {
		kind => $kind,
		role => $role,
		zone => $o{zone} // 'bl.test',
		key => $o{key},
		keys => $o{keys} // [],
		notify => $o{notify} // [],
		notify_key => $o{notify_key} // 1,
		zonefile => $o{zonefile},
		allow => $o{allow} // '127.0.0.1',
		ip => $o{ip} // '127.0.0.1',
		verbose => $o{verbose} // 1,
		pid => undef,
	}, $class;
	if ($role eq 'secondary') {
		my $p = $o{primary} // croak 'Secondary: primary => ADDR:PORT';
		@$self{qw(paddr pport)} = $p =~ /^\[?([^\]]+?)\]?:(\d+)$/ or
		    croak "Secondary: primary $p: not ADDR:PORT";
	} else {
		croak 'Secondary: zonefile => FILE for a primary'
		    unless $o{zonefile};
	}
	$self->{dir} = $o{dir} // tempdir("orbl-$kind-XXXXXX", TMPDIR => 1,
	    CLEANUP => !$ENV{ORBL_KEEP});
	mkdir($self->{dir}) unless -d $self->{dir};
	chmod(0755, $self->{dir});
	$self->{port} = $o{port} // free_port(0);
	$self->{log} = "$self->{dir}/$kind.log";
	$self->{pidfile} = "$self->{dir}/$kind.pid";
	my $conf = "config_$kind";
	$self->{conf} = "$self->{dir}/$kind.conf";
	spew($self->{conf}, $self->$conf);
	return $self;
}

sub kind { $_[0]{kind} }
sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub ip { $_[0]{ip} }
sub pid { $_[0]{pid} }
sub zone { $_[0]{zone} }
sub conffile { $_[0]{conf} }
sub logfile { $_[0]{log} }
sub log_text { slurp($_[0]{log}) }
sub log_mark { -s $_[0]{log} // 0 }
sub log_since { substr(slurp($_[0]{log}), $_[1] // 0) }
sub error { $_[0]{error} // '' }
sub name { "$_[0]{kind}" . ($_[0]{role} eq 'primary' ? ' (primary)' : '') }

# The file the secondary keeps the transferred zone in.
sub zonefile {
	my ($self) = @_;
	return $self->{zonefile} if $self->{role} eq 'primary';
	return "$self->{dir}/$self->{zone}.zone";
}

sub log_tail {
	my ($self, $n) = @_;
	my @l = split /\n/, $self->log_text;
	@l = @l[-$n .. -1] if @l > $n;
	return join("\n", @l) . "\n";
}

# ---------------------------------------------------------------------
# Configs.

sub config_nsd {
	my ($self) = @_;
	my ($d, $z, $k) = @$self{qw(dir zone key)};
	my $kn = $k ? $k->{name} : 'NOKEY';
	my $c = <<"EOT";
# written by tests/system/lib/Secondary.pm
server:
    ip-address: $self->{ip}\@$self->{port}
    port: $self->{port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$d"
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    pidfile: "$self->{pidfile}"
    logfile: "$self->{log}"
    verbosity: $self->{verbose}
    server-count: 1
    tcp-count: 16
    hide-version: yes
    zonefiles-check: no
    xfrd-reload-timeout: 0
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: yes
    control-interface: "$d/nsd.ctl"
EOT
	$c .= key_nsd($k) if $k;
	my $nk = $self->{notify_key} ? $kn : 'NOKEY';
	$c .= <<"EOT";
zone:
    name: "$z"
    zonefile: "$d/$z.zone"
    allow-notify: $self->{paddr} $nk
    request-xfr: $self->{paddr}\@$self->{pport} $kn
    allow-axfr-fallback: yes
    store-ixfr: yes
    create-ixfr: no
    ixfr-size: 0
    provide-xfr: 127.0.0.0/8 NOKEY
EOT
	return $c;
}

sub key_nsd {
	my ($k) = @_;
	return "key:\n    name: \"$k->{name}\"\n    algorithm: $k->{alg}\n" .
	    "    secret: \"$k->{secret}\"\n";
}

sub config_knot {
	my ($self) = @_;
	my ($d, $z) = @$self{qw(dir zone)};
	my $lvl = $self->{verbose} > 1 ? 'debug' : 'info';
	my $c = <<"EOT";
# written by tests/system/lib/Secondary.pm
server:
    rundir: "$d"
    user: root:root
    pidfile: "$self->{pidfile}"
    listen: $self->{ip}\@$self->{port}
    udp-workers: 1
    tcp-workers: 2
    background-workers: 1
control:
    listen: "$d/knot.sock"
log:
  - target: "$self->{log}"
    any: $lvl
database:
    storage: "$d"
EOT
	my @keys = $self->{role} eq 'primary' ? @{$self->{keys}} :
	    ($self->{key} ? ($self->{key}) : ());
	push @keys, map { $_->[1] ? ($_->[1]) : () } @{$self->{notify}};
	my %seen;
	@keys = grep { !$seen{$_->{name}}++ } @keys;
	if (@keys) {
		$c .= "key:\n";
		$c .= "  - id: $_->{name}\n    algorithm: $_->{alg}\n" .
		    "    secret: $_->{secret}\n" for @keys;
	}
	if ($self->{role} eq 'primary') {
		my $from = $self->{allow};
		my @acl = @{$self->{keys}} ? map {
		    "  - id: xfr_$_->{name}\n    address: $from\n" .
		    "    key: $_->{name}\n    action: transfer\n" }
		    @{$self->{keys}} :
		    ("  - id: xfr_any\n    address: $from\n" .
		    "    action: transfer\n");
		my @acl_ids = map { /id: (\S+)/ } @acl;
		my $n = 0;
		my @rem = map {
			my ($port, $k) = @$_;
			$n++;
			"  - id: sec$n\n    address: 127.0.0.1\@$port\n" .
			($k ? "    key: $k->{name}\n" : '');
		} @{$self->{notify}};
		$c .= "remote:\n" . join('', @rem) if @rem;
		$c .= "acl:\n" . join('', @acl);
		$c .= <<"EOT";
zone:
  - domain: $z
    file: "$self->{zonefile}"
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
    acl: [@{[join(', ', @acl_ids)]}]
EOT
		$c .= "    notify: [" . join(', ', map { "sec$_" } 1 .. $n) .
		    "]\n" if $n;
		return $c;
	}
	my $k = $self->{key};
	$c .= "remote:\n  - id: primary\n" .
	    "    address: $self->{paddr}\@$self->{pport}\n" .
	    ($k ? "    key: $k->{name}\n" : '');
	$c .= "acl:\n  - id: notify_from_primary\n" .
	    "    address: $self->{paddr}\n" .
	    ($k && $self->{notify_key} ? "    key: $k->{name}\n" : '') .
	    "    action: notify\n";
	$c .= <<"EOT";
zone:
  - domain: $z
    file: "$d/$z.zone"
    storage: "$d"
    master: primary
    acl: notify_from_primary
    zonefile-sync: 0
    zonefile-load: none
    journal-content: changes
    semantic-checks: off
EOT
	return $c;
}

sub config_bind {
	my ($self) = @_;
	my ($d, $z, $k) = @$self{qw(dir zone key)};
	$self->{rndc_port} = free_port(0);
	my $rk = secret(32);
	spew("$d/rndc.conf", <<"EOT");
key "rndc-key" { algorithm hmac-sha256; secret "$rk"; };
options { default-key "rndc-key"; default-server 127.0.0.1; default-port $self->{rndc_port}; };
EOT
	# debug 3: "got incremental response" (the only line that tells
	# IXFR from AXFR); the transfer categories go to the log (bind.log)
	# at that level, the rest to named.log at info
	my $sev = $self->{verbose} > 1 ? 'debug 3' : 'info';
	my $c = <<"EOT";
// written by tests/system/lib/Secondary.pm
options {
	directory "$d";
	pid-file "$self->{pidfile}";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	listen-on port $self->{port} { $self->{ip}; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	dnssec-validation no;
	allow-query { any; };
	allow-transfer { none; };
};
key "rndc-key" { algorithm hmac-sha256; secret "$rk"; };
controls {
	inet 127.0.0.1 port $self->{rndc_port} allow { 127.0.0.1; } keys { "rndc-key"; };
};
logging {
	channel x {
		file "$self->{log}";
		print-time yes;
		print-category yes;
		print-severity yes;
		severity $sev;
	};
	channel f {
		file "$d/named.log";
		print-time yes;
		print-category yes;
		print-severity yes;
		severity info;
	};
	category default { f; };
	category xfer-in { x; };
	category notify { x; };
	category general { f; };
};
EOT
	my $kc = '';
	if ($k) {
		$c .= "key \"$k->{name}\" { algorithm $k->{alg}; " .
		    "secret \"$k->{secret}\"; };\n";
		$kc = " key \"$k->{name}\"";
	}
	my $an = $k && $self->{notify_key} ? "key \"$k->{name}\"" :
	    "$self->{paddr}";
	$c .= <<"EOT";
zone "$z" {
	type secondary;
	file "$d/$z.zone";
	masterfile-format text;
	primaries port $self->{pport} { $self->{paddr}$kc; };
	allow-notify { $an; };
	request-ixfr yes;
};
EOT
	return $c;
}

# ---------------------------------------------------------------------
# Processes.

sub argv {
	my ($self) = @_;
	my $k = $self->{kind};
	return (find_prog('nsd'), '-d', '-c', $self->{conf}) if $k eq 'nsd';
	return (find_prog('knotd'), '-c', $self->{conf}) if $k eq 'knot';
	return (find_prog('named'), '-f', '-c', $self->{conf});
}

# Start in the foreground (our child); true once its port answers a
# query for the zone's SOA (any rcode: a secondary without the zone yet
# says SERVFAIL) within $o{timeout} s (30).  Else false, error() says.
sub start {
	my ($self, %o) = @_;
	croak "$self->{kind}: already started" if $self->{pid};
	my $timeout = $o{timeout} // 30;
	my @argv = $self->argv;
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		Orbl::die_with_parent();
		POSIX::setsid();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', "$self->{dir}/stdout.log");
		open(STDERR, '>&', \*STDOUT);
		{ exec(@argv) };
		print STDERR "exec $argv[0]: $!\n";
		_exit(127);
	}
	$self->{pid} = $pid;
	Orbl::live($pid);
	my $dead;
	my $ok = wait_until($timeout, 0.05, sub {
		if (waitpid($pid, WNOHANG) == $pid) {
			$dead = $?;
			return 1;
		}
		return defined $self->query($self->{zone}, 'SOA',
		    timeout => 0.3);
	});
	if (defined $dead || !defined $ok) {
		$self->{error} = "$self->{kind} " . (defined $dead ?
		    "exited at start (status $dead)" :
		    "did not answer within $timeout s") . ":\n" .
		    slurp("$self->{dir}/stdout.log") . $self->log_tail(20);
		$self->kill_daemon;
		Orbl::dead($pid);
		return 0;
	}
	return 1;
}

# TERM, wait up to 20 s, then KILL.  Returns the exit status (or undef
# when it had to be killed).
sub stop {
	my ($self) = @_;
	local $?;
	my $pid = delete $self->{pid} or return undef;
	my $st = Orbl::stop_pid($pid, 20);
	Orbl::dead($pid);
	return $st;
}

sub kill_daemon {
	my ($self) = @_;
	local $?;
	my $pid = delete $self->{pid} or return;
	kill 'KILL', $pid;
	waitpid($pid, 0);
	Orbl::dead($pid);
}

sub DESTROY {
	my ($self) = @_;
	return unless $$ == $CREATOR;
	$self->kill_daemon if $self->{pid};
}

# The control program on this instance: ctl('refresh'), ctl('reload'),
# ctl('retransfer') (a full transfer now), or the program's own words
# (ctl(raw => 'zone-status', ...)).  Returns {rc, out}.
sub ctl {
	my ($self, $what, @args) = @_;
	my $k = $self->{kind};
	my $z = $self->{zone};
	my %map = (
	    nsd => { refresh => ['transfer', $z], retransfer =>
		['force_transfer', $z], reload => ['reload', $z] },
	    knot => { refresh => ['zone-refresh', $z], retransfer =>
		['zone-retransfer', $z], reload => ['zone-reload', $z] },
	    bind => { refresh => ['refresh', $z], retransfer =>
		['retransfer', $z], reload => ['reload', $z] },
	);
	my @w = $what eq 'raw' ? @args : @{$map{$k}{$what} //
	    croak "ctl: $what?"};
	my @cmd = $k eq 'nsd' ? (find_prog('nsd-control'), '-c', $self->{conf}) :
	    $k eq 'knot' ? (find_prog('knotc'), '-c', $self->{conf}) :
	    (find_prog('rndc'), '-c', "$self->{dir}/rndc.conf");
	my $out = '';
	my $pid = open(my $fh, '-|') // croak "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd, @w) or _exit(127);
	}
	local $/;
	$out = <$fh> // '';
	close($fh);
	return { rc => $? >> 8, out => $out };
}

# Knot as the primary: load the rewritten zone file (its difference
# becomes the IXFR); true once it serves serial $serial (if given).
sub reload {
	my ($self, $serial, $timeout) = @_;
	my $r = $self->ctl('reload');
	return 0 if $r->{rc};
	return 1 unless defined $serial;
	return $self->wait_serial($serial, $timeout // 60);
}

# ---------------------------------------------------------------------
# Queries.

sub resolver {
	my ($self, %o) = @_;
	my $to = $o{timeout} // 2;
	return Net::DNS::Resolver->new(nameservers => [$self->{ip}],
	    port => $self->{port}, recurse => 0, retry => 1, retrans => 1,
	    udp_timeout => $to, tcp_timeout => $to, usevc => $o{tcp} ? 1 : 0,
	    igntc => 1, udppacketsize => $o{edns} // 0, dnssec => 0,
	    defnames => 0, dnsrch => 0, force_v4 => 1);
}

sub query {
	my ($self, $name, $type, %o) = @_;
	return $self->resolver(%o)->send($name, $type // 'A', 'IN');
}

# The serial of the apex SOA it serves now (undef: no answer, or no
# zone yet).
sub serial {
	my ($self) = @_;
	my $p = $self->query($self->{zone}, 'SOA', timeout => 1);
	return undef unless $p && $p->header->rcode eq 'NOERROR';
	my ($soa) = grep { $_->type eq 'SOA' } $p->answer;
	return $soa ? $soa->serial : undef;
}

# Wait (up to $timeout s, 60) until it serves serial $n (or a later
# one with $o{or_later}).  The seconds it took, undef on timeout.
sub wait_serial {
	my ($self, $n, $timeout, %o) = @_;
	return wait_until($timeout // 60, 0.02, sub {
		my $s = $self->serial;
		return 0 unless defined $s;
		return $o{or_later} ? $s >= $n : $s == $n;
	});
}

# An IXFR query from serial $old to this server (kdig, TCP; NSD serves
# it to 127.0.0.0/8 unsigned): the records [owner, type, rdata], in
# order, TSIG left out; () on no answer or an error.
sub ixfr_query {
	my ($self, $old) = @_;
	my $kdig = find_prog('kdig') or croak 'no kdig (knot-dnsutils)';
	my $pid = open(my $fh, '-|') // croak "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>', '/dev/null');
		exec($kdig, "\@$self->{ip}", '-p', $self->{port}, '+tcp',
		    '+timeout=5', '+retry=0', "IXFR=$old", $self->{zone}) or
		    _exit(127);
	}
	my @r;
	while (my $l = <$fh>) {
		next if $l =~ /^;/ || $l !~ /\S/;
		my ($owner, $ttl, $class, $type, $rdata) = split ' ', $l, 5;
		next if !defined $type || $type eq 'TSIG';
		chomp($rdata //= '');
		push @r, [$owner, $type, $rdata];
	}
	close($fh);
	return @r;
}

# Does it answer an IXFR from $old incrementally (SOA new, SOA old,
# ...)?  For NSD (store-ixfr on, create-ixfr off) that means it received
# the change by IXFR: it keeps no differences of an AXFR.
sub incremental_from {
	my ($self, $old) = @_;
	my @r = $self->ixfr_query($old);
	return 0 unless @r >= 2 && $r[0][1] eq 'SOA' && $r[1][1] eq 'SOA';
	my $s = (split ' ', $r[1][2])[2];
	return defined $s && $s == $old;
}

# ---------------------------------------------------------------------
# What its log says about incoming transfers: a list of
# {type => 'IXFR'|'AXFR', serial => N or undef, line => TEXT}, oldest
# first, from the log written after $mark (0).  The strings are those of
# the Debian packages (NSD 4.6.1, Knot 3.2.6, BIND 9.18):
#   knot: "[bl.test.] IXFR, incoming, remote 127.0.0.1@5300, finished,
#          0.00 seconds, 1 messages, 472 bytes" (AXFR: "AXFR, incoming,
#          ..."), then "[bl.test.] refresh, remote 127.0.0.1@5300, zone
#          updated, 0.00 seconds, serial 3 -> 5, expires in ...";
#   bind: "xfer-in: info: transfer of 'bl.test/IN' from 127.0.0.1#5300:
#          Transfer completed: 1 messages, 8 records, 532 bytes, ...
#          (serial 5)", before it (debug 3 only) "got incremental
#          response" (IXFR) or "got nonincremental response" (AXFR);
#   nsd:  "xfrd: zone bl.test committed \"received update to serial 5
#          at ... from 127.0.0.1@5300 TSIG verified with key k1\"" and
#          "zone bl.test serial 3 is updated to 5": NSD 4.6 logs no
#          transfer type at any verbosity (type '?'; see
#          incremental_from).
sub transfers {
	my ($self, $mark) = @_;
	my $t = $self->log_since($mark // 0);
	my $f = "transfers_$self->{kind}";
	return $self->$f($t);
}

sub transfers_knot {
	my ($self, $t) = @_;
	my @x;
	for my $line (split /\n/, $t) {
		if ($line =~ /\b(IXFR|AXFR), incoming, .*\bfinished\b/) {
			push @x, { type => $1, serial => undef, line => $line };
		} elsif (@x && !defined $x[-1]{serial} &&
		    $line =~ /refresh, .*zone updated, .*serial (?:\S+ -> )?(\d+)/) {
			$x[-1]{serial} = $1;
		}
	}
	return @x;
}

sub transfers_bind {
	my ($self, $t) = @_;
	my @x;
	my %kind;	# the last "got ... response" of a transfer
	for my $line (split /\n/, $t) {
		next unless $line =~ /transfer of '\Q$self->{zone}\E\/IN'/;
		if ($line =~ /got (non)?incremental response/) {
			$kind{cur} = $1 ? 'AXFR' : 'IXFR';
		} elsif ($line =~ /Transfer completed:.*\(serial (\d+)\)/) {
			push @x, { type => $kind{cur} // 'AXFR', serial => $1,
			    line => $line };
			delete $kind{cur};
		}
	}
	return @x;
}

sub transfers_nsd {
	my ($self, $t) = @_;
	my @x;
	my $type;
	for my $line (split /\n/, $t) {
		if ($line =~ /\b(IXFR|AXFR)\b/ && $line !~ /committed/) {
			$type = $1;
		}
		if ($line =~ /committed "received update to serial (\d+)/) {
			push @x, { type => $type // '?', serial => $1,
			    line => $line };
			undef $type;
		}
	}
	return @x;
}

1;
