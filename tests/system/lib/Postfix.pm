# Postfix.pm -- a private, real Postfix instance for the SMTP system tests:
# its own config directory (main.cf, master.cf), queue, data directory and
# log file under a temp dir, one smtpd on 127.0.0.N:PORT, everything it
# accepts for a remote domain forwarded to an IP-literal relayhost (the
# sink).  Three behaviours:
#
#	open	relays anything for loopback clients
#	closed	relays nothing: 554 (or 454 with defer => 1) to a remote RCPT
#	percent	relays only the percent hack: <user%remote@T> where T is its
#		own domain (also <user%remote@[its IP]> and unqualified
#		<user%remote>, which Postfix completes with @T); every other
#		form is refused or accepted and discarded
#	acceptall  accepts every recipient and silently discards the mail,
#		except the percent-hack forms, which it relays as percent
#		does (an accept-all front end that relays one late form)
#
#	my $pf = Postfix->new(mode => 'open', listen => '127.0.0.2:2525',
#	    relayhost => '[127.0.0.1]:2526', dir => $tmp);
#	$pf->start or diag($pf->error, $pf->log);  # false: no banner in 10 s
#	Postfix::start_all($pf1, $pf2);	# several, started side by side
#	...
#	$pf->flush;			# postqueue -c DIR -f
#	print $pf->log;
#	$pf->stop;			# by PID; the whole process group
#
# How it runs: `postfix -c DIR check` creates the queue directories and
# checks the install (what `postfix start` does first), then the test
# forks and execs the master daemon itself (`master -c DIR -s -e LIFE`).
# `postfix start-fg` would also stay in the foreground, but when it is
# not PID 1 it runs master as a child of the postfix-script shell, so the
# PID the test holds would not be master's.  Exec'ing master directly
# gives the test master's own PID (master makes itself a session and
# process group leader, so a kill of -PID reaches every Postfix daemon of
# the instance and nothing else), and -e LIFE makes an instance whose
# test was SIGKILLed exit on its own.  `postfix -c DIR stop` works too
# (it reads queue/pid/master.pid, which is the same PID).
#
# Several instances can run at once: each has its own queue_directory,
# data_directory (master.lock) and listener.  Postfix binds with
# SO_REUSEPORT, so two instances on one address and port would share it
# silently: give each a distinct 127.0.0.N or port (free_port() checks
# with a plain bind, which fails on a port a Postfix already holds).
package Postfix;

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(free_port find_prog);

my $CREATOR = $$;
my %LIVE;		# master pid => 1, killed (whole group) if the test dies

END {
	local $?;
	if ($$ == $CREATOR) {
		for my $pid (keys %LIVE) {
			kill('KILL', -$pid);
			kill('KILL', $pid);
			waitpid($pid, 0);
		}
	}
}

# A program in PATH or the sbin directories (postfix lives in /usr/sbin).
sub find_prog {
	my ($name) = @_;
	for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/sbin',
	    '/usr/local/sbin', '/usr/lib/postfix/sbin') {
		return "$d/$name" if -x "$d/$name";
	}
	return undef;
}

# A TCP port free on IP (a plain bind: it fails on a port that a Postfix,
# which binds with SO_REUSEPORT, already holds).
sub free_port {
	my ($ip) = @_;
	$ip //= '127.0.0.1';
	for (1 .. 50) {
		my $s = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 0,
		    Proto => 'tcp', Listen => 1) or next;
		my $port = $s->sockport;
		close($s);
		return $port if $port >= 1024;
	}
	croak "no free port on $ip";
}

sub spew {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or croak "$path: $!";
	print $fh $text;
	close($fh) or croak "$path: $!";
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s // '';
}

# Runs a command, output to a file; returns (exit status, output).
sub run {
	my ($self, @cmd) = @_;
	my $out = "$self->{dir}/.cmd-out";
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or _exit(127);
	}
	my $deadline = time() + 30;
	while (waitpid($pid, WNOHANG) == 0) {
		if (time() > $deadline) {
			kill('KILL', $pid);
			waitpid($pid, 0);
			return (-1, "timeout: @cmd\n" . slurp($out));
		}
		sleep(0.02);
	}
	return ($? >> 8, slurp($out));
}

# new(mode => open|closed|percent, listen => 'IP:PORT' (or 'IP': a free
# port), relayhost => '[IP]:PORT', dir => PARENT (a temp dir otherwise),
# hostname => its own domain, defer => 1 (closed: 454 not 554),
# lifetime => seconds (master -e), main => { key => value } (overrides)).
sub new {
	my ($class, %o) = @_;
	my $mode = $o{mode} // 'open';
	croak "Postfix: bad mode '$mode'"
	    unless $mode =~ /^(open|closed|percent|acceptall)$/;
	my ($ip, $port) = split(/:/, $o{listen} // '127.0.0.1');
	$port ||= free_port($ip);
	croak 'Postfix: relayhost => "[IP]:PORT" needed'
	    unless ($o{relayhost} // '') =~ /^\[[\d.]+\]:\d+$/;
	my $parent = $o{dir} // tempdir('postfix-XXXXXX', TMPDIR => 1,
	    CLEANUP => 1);
	my $dir = "$parent/postfix-$mode-$ip-$port";
	make_path("$dir/etc", "$dir/queue");	# data/: created by postfix check
	my $self = bless {
		mode => $mode,
		ip => $ip,
		port => $port,
		relayhost => $o{relayhost},
		dir => $dir,
		conf => "$dir/etc",
		queue => "$dir/queue",
		logfile => "$dir/maillog",
		hostname => $o{hostname} // "$mode-$port.relay.test",
		defer => $o{defer} // 0,
		lifetime => $o{lifetime} // 300,
		main => $o{main} // {},
		postfix => find_prog('postfix'),
		postqueue => find_prog('postqueue'),
		pid => undef,
	}, $class;
	croak 'Postfix: no postfix program (apt-get install postfix)'
	    unless $self->{postfix};
	# The instance's files are reached by processes running as
	# mail_owner (master opens data/master.lock with that effective uid,
	# without which it exits silently): File::Temp makes 0700 dirs, so
	# the parent and the instance dir are made traversable.
	chmod(0755, $parent, $dir);
	$self->write_config;
	return $self;
}

sub mode { $_[0]{mode} }
sub ip { $_[0]{ip} }
sub port { $_[0]{port} }
sub address { "$_[0]{ip}:$_[0]{port}" }
sub hostname { $_[0]{hostname} }
sub domain { $_[0]{hostname} }
sub dir { $_[0]{dir} }
sub conf_dir { $_[0]{conf} }
sub queue_dir { $_[0]{queue} }
sub logfile { $_[0]{logfile} }
sub log { slurp($_[0]{logfile}) }
sub pid { $_[0]{pid} }

sub main_cf {
	my ($self) = @_;
	my ($d, $mode) = ($self->{dir}, $self->{mode});
	my @c;
	my $k = sub { push(@c, @_) };

	$k->('# main.cf of a test instance (tests/system/lib/Postfix.pm)',
	# No backwards-compatibility mode and its warnings.
	    'compatibility_level = 3.6',
	# The instance's own state: nothing shared with a system Postfix or
	# with another instance.  master.lock lives in data_directory, the
	# pid file in queue_directory/pid.
	    "queue_directory = $d/queue",
	    "data_directory = $d/data",
	    'mail_owner = postfix',
	    'setgid_group = postdrop',
	# Postfix prints its errors only to its log: a file of our own,
	# written by postlogd (master.cf), allowed by the prefix list.
	    "maillog_file = $self->{logfile}",
	    "maillog_file_prefixes = $d",
	    "syslog_name = postfix-$mode",
	# Its own domain T (the prober reads it from the banner).
	    "myhostname = $self->{hostname}",
	    'mydomain = relay.test',
	    'myorigin = $myhostname',
	    'smtpd_banner = $myhostname ESMTP Postfix',
	# The listener's address is in master.cf.  inet_interfaces must name
	# addresses that an interface has (127.0.0.N for N > 1 is routed to
	# lo but is not "an interface address": Postfix refuses it), so it
	# stays 127.0.0.1 and proxy_interfaces names 127.0.0.N: both make
	# [IP] a local domain.  The SMTP client binds only a non-loopback
	# inet_interfaces address on its own, so smtp_bind_address makes
	# relayed mail leave from the instance's address (single-hop: it
	# arrives from the address that was tested).
	    'inet_interfaces = 127.0.0.1',
	    "proxy_interfaces = $self->{ip}",
	    'inet_protocols = ipv4',
	    "smtp_bind_address = $self->{ip}",
	# No DNS anywhere: the relayhost is an IP literal, client names are
	# not looked up (a lookup of 127.0.0.N would stall on a test box).
	# disable_dns_lookups is the pre-2.11 spelling of the same thing.
	    'smtp_dns_support_level = disabled',
	    'lmtp_dns_support_level = disabled',
	    'disable_dns_lookups = yes',
	    'smtpd_peername_lookup = no',
	    'smtp_host_lookup = native',
	# Everything that is not local goes to the sink.
	    "relayhost = $self->{relayhost}",
	    'smtp_tls_security_level = none',
	    'smtpd_tls_security_level = none',
	# No aliases database (it would have to exist), no local mailboxes:
	# smtpd refuses a local recipient whose transport is error: (550);
	# the percent mode below needs local users accepted, and discards.
	    'alias_maps =',
	    'alias_database =',
	    'local_transport = ' . ($mode =~ /^(percent|acceptall)$/
		? 'discard:local delivery disabled in this test instance'
		: 'error:5.1.1 local delivery disabled in this test instance'),
	    'biff = no',
	# Let the %, ! and @ forms through the access checks (the default
	# refuses "sender-specified routing" from untrusted clients).
	    'allow_untrusted_routing = yes',
	# Deferred mail (sink down for a moment) is retried within seconds.
	    'queue_run_delay = 2s',
	    'minimal_backoff_time = 2s',
	    'maximal_backoff_time = 10s',
	    'maximal_queue_lifetime = 1h',
	    'bounce_queue_lifetime = 1h',
	    'smtp_connect_timeout = 10s',
	# Bounded resources with several instances at once.
	    'default_process_limit = 20',
	);

	if ($mode eq 'open') {
		# Relays for every loopback client (the prober connects from
		# 127.0.0.1).  No local domain: even mail for its own name goes
		# to the relayhost.  A relay list is required: with no
		# reject/defer at all smtpd refuses to run.
		$k->('mynetworks = 127.0.0.0/8',
		    'mydestination =',
		    'smtpd_relay_restrictions = permit_mynetworks, reject');
	} elsif ($mode eq 'closed') {
		# Final destination for its own name (every local user refused
		# with 550: the error: transport), relay for nobody (mynetworks
		# holds no client): 554 "Relay access denied", or with defer =>
		# 1 Postfix's stock 454 (defer_unauth_destination).
		my $r = $self->{defer} ? 'defer_unauth_destination'
		    : 'reject_unauth_destination';
		$k->('mynetworks = 192.0.2.0/32',
		    'mydestination = $myhostname',
		    "smtpd_relay_restrictions = $r");
	} else {
		# Percent hack only.  Postfix resolves an address before the
		# relay check: with allow_percent_hack = yes smtpd already sees
		# <u%remote@T> as <u@remote> and reject_unauth_destination
		# refuses it like the plain form (an access "T OK" is matched
		# against the resolved address too).  So, the split this
		# instance has: smtpd asks a second trivial-rewrite service
		# that runs with allow_percent_hack = no (master.cf), to which
		# <u%remote@T> is a local user of T, a final destination; any
		# local user is accepted (local_recipient_maps empty); the
		# queue manager resolves with the main trivial-rewrite, where
		# allow_percent_hack = yes turns it into <u@remote> and sends
		# it to the relayhost.  Mail that stays local is discarded
		# (local_transport above: an error: transport would make smtpd
		# refuse every local user, <u%remote@T> included).
		# swap_bangpath = no keeps <remote!u@T> local (discarded, not
		# relayed); <u@remote@T> and <"u@remote"@T>
		# resolve to remote in smtpd too and are refused; plain
		# <u@remote> is refused (mynetworks holds no client).
		# acceptall: the same, but a recipient without a % is
		# accepted and the whole message discarded (access DISCARD:
		# 250 to RCPT and to the end of DATA, nothing delivered).
		my $relay = $mode eq 'acceptall'
		    ? "check_recipient_access regexp:$self->{conf}/acceptall, " .
		      'reject_unauth_destination'
		    : 'reject_unauth_destination';
		$k->('mynetworks = 192.0.2.0/32',
		    'mydestination = $myhostname',
		    'local_recipient_maps =',
		    'allow_percent_hack = yes',
		    'swap_bangpath = no',
		    "smtpd_relay_restrictions = $relay");
	}
	for my $key (sort keys %{$self->{main}}) {
		$k->("$key = $self->{main}{$key}");
	}
	return join("\n", @c) . "\n";
}

sub master_cf {
	my ($self) = @_;
	my $smtpd = "$self->{ip}:$self->{port} inet n - n - - smtpd";
	# Percent mode: smtpd resolves with its own trivial-rewrite.
	$smtpd .= "\n  -o rewrite_service_name=rewrite-smtpd"
	    if $self->{mode} =~ /^(percent|acceptall)$/;
	# chroot (5th column) is off for every service: a chroot would need
	# copies of /etc files inside the queue directory.  postlogd writes
	# maillog_file.  Only the services an SMTP relay uses (no lmtp,
	# virtual, pipe or tlsmgr).
	my $cf = <<"EOT";
# master.cf of a test instance (tests/system/lib/Postfix.pm)
# service type  private unpriv  chroot  wakeup  maxproc command + args
$smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOT
	$cf .= "rewrite-smtpd unix - - n - - trivial-rewrite\n" .
	    "  -o allow_percent_hack=no\n"
	    if $self->{mode} =~ /^(percent|acceptall)$/;
	return $cf;
}

sub write_config {
	my ($self) = @_;
	spew("$self->{conf}/main.cf", $self->main_cf);
	spew("$self->{conf}/master.cf", $self->master_cf);
	spew("$self->{conf}/acceptall", "/%/ DUNNO\n" .
	    "/./ DISCARD accept-all test instance: discarded\n")
	    if $self->{mode} eq 'acceptall';
}

# A 220 banner on the listener within the deadline?
sub banner_ok {
	my ($self, $deadline) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $self->{ip},
	    PeerPort => $self->{port}, Proto => 'tcp', Timeout => 1) or return 0;
	my $sel = IO::Select->new($s);
	my $buf = '';
	while ($buf !~ /\n/ && time() < $deadline) {
		last unless $sel->can_read(0.5);
		last unless sysread($s, $buf, 512, length($buf));
	}
	syswrite($s, "QUIT\r\n");
	close($s);
	return $buf =~ /^220 / ? 1 : 0;
}

# Forks the process that becomes master: it makes itself a session
# leader (so that -PID is every process of the instance, `postfix check`
# included), runs `postfix -c DIR check` (creates the queue and data
# directories, checks permissions, as `postfix start` does first), marks
# that done, and execs master in the foreground with a lifetime.
sub launch {
	my ($self) = @_;
	croak 'Postfix: already started' if $self->{pid};
	my $master = find_prog('master') // '/usr/lib/postfix/sbin/master';
	my $out = "$self->{dir}/master.out";
	unlink($out, "$self->{dir}/checked");
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		POSIX::setsid();
		# No PR_SET_PDEATHSIG here: the kernel clears it when master
		# switches its effective uid (to open master.lock).  A test
		# killed by SIGKILL leaves the instance to `master -e`.
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $out);
		open(STDERR, '>&', \*STDOUT);
		system($self->{postfix}, '-c', $self->{conf}, 'check');
		_exit(3) if $? != 0;
		spew("$self->{dir}/checked", "ok\n");
		exec($master, '-c', $self->{conf}, '-s', '-e',
		    $self->{lifetime}) or _exit(127);
	}
	$self->{pid} = $pid;
	$LIVE{$pid} = 1;
	$self->{launched} = time();
	return $pid;
}

# Waits until the smtpd answers with a 220 banner: `postfix check` may
# take up to 30 s, then the banner up to TIMEOUT s (10).  On failure the
# instance is stopped and ->error says why (with ->log: Postfix prints
# its errors only there).
sub wait_ready {
	my ($self, $timeout) = @_;
	my $pid = $self->{pid} or croak 'Postfix: not launched';
	$timeout //= 10;
	my $checked;
	my $deadline = $self->{launched} + 30;
	while (time() < $deadline) {
		if (waitpid($pid, WNOHANG) == $pid) {
			my $st = $?;
			delete $LIVE{$pid};
			$self->{pid} = undef;
			$self->{error} = ($st >> 8) == 3
			    ? 'postfix check failed: '
			    : "master exited (status $st): ";
			$self->{error} .= slurp("$self->{dir}/master.out");
			return 0;
		}
		if (!$checked && -e "$self->{dir}/checked") {
			$checked = 1;
			$deadline = time() + $timeout;
		}
		return 1 if $checked && $self->banner_ok($deadline);
		sleep(0.1);
	}
	$self->{error} = $checked
	    ? "no banner on $self->{ip}:$self->{port} in ${timeout}s"
	    : 'postfix check took over 30 s';
	$self->stop;
	return 0;
}

# Starts the instance; true once its smtpd answers with a 220 banner.
sub start {
	my ($self, %o) = @_;
	$self->launch;
	return $self->wait_ready($o{timeout});
}

# Starts several instances side by side; true if all of them came up.
sub start_all {
	my (@pf) = @_;
	$_->launch for @pf;
	my $ok = 1;
	for my $pf (@pf) {
		$ok = 0 unless $pf->wait_ready;
	}
	return $ok;
}

sub error { $_[0]{error} // '' }

# Asks the queue manager to retry the deferred queue now.
sub flush {
	my ($self) = @_;
	return $self->run($self->{postqueue}, '-c', $self->{conf}, '-f');
}

# The queue listing (postqueue -p).
sub queue {
	my ($self) = @_;
	my (undef, $out) = $self->run($self->{postqueue}, '-c', $self->{conf},
	    '-p');
	return $out;
}

# Stops master (SIGTERM, as `postfix stop` does; master terminates its
# children), waits up to 10 s, then SIGKILLs the process group.  Returns
# true if the master had exited by itself within the wait.
sub stop {
	my ($self) = @_;
	my $pid = $self->{pid} or return 1;
	kill('TERM', $pid);
	my $deadline = time() + 10;
	my $clean = 0;
	while (time() < $deadline) {
		my $w = waitpid($pid, WNOHANG);
		if ($w == $pid || $w < 0) {	# < 0: reaped elsewhere
			$clean = 1;
			last;
		}
		sleep(0.05);
	}
	# Children terminate "at their convenience": make sure.
	kill('KILL', -$pid);
	unless ($clean) {
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
	delete $LIVE{$pid};
	$self->{pid} = undef;
	return $clean;
}

sub DESTROY {
	my ($self) = @_;
	local ($?, $@);
	$self->stop if $self->{pid} && $$ == $CREATOR;
}

1;
