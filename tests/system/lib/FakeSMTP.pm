# FakeSMTP.pm -- scripted SMTP servers for the prober's system tests: a
# child process listening on 127.0.0.N:PORT that plays one behaviour,
# logs every session to a file, and is killed by PID (its whole process
# group) at the end.  Also a small SMTP client, smtp_send(), which the
# relay and bounce behaviours use and tests may use.
#
#	my $f = FakeSMTP->new(behaviour => 'greylist', listen => '127.0.0.5',
#	    dir => $tmp);
#	$f->start;			# listening when this returns
#	... connect to $f->ip, $f->port ...
#	like($f->log, qr/S: 450 /);
#	$f->stop;
#
# Behaviours:
#	accept_discard	250 to everything, the message is dropped
#	reject_data	250 to RCPT, 554 to DATA
#	bounce		accepts, then sends a DSN (multipart/report, MAIL FROM:<>,
#			the original attached) to bounce_to (default: the
#			sender) at next_hop
#	greylist	450 to the first RCPT of each (sender, recipient) pair,
#			250 to a retry greylist_delay (0) seconds later or more;
#			accepted mail is forwarded to next_hop if one is set
#	tarpit		every reply, the banner first, 1 byte per tarpit_delay s
#	garbage		binary junk instead of a banner (and to every line)
#	endless		an endless "250-" EHLO reply (HELO is answered normally)
#	drop_mid_data	354 to DATA, then closes during the body
#	relay		a real minimal relay: accepts and forwards to next_hop,
#			with a Received: header, from the address `source`
#			(default: its own listen address), deliver_delay (0)
#			seconds after it accepted the mail
#	banner_5xx	554 banner, 503 to everything but QUIT
#	sink		accepts and stores each message in `store` (SinkSMTP.pm)
#	reject_after_data
#			354 to DATA, takes the whole message, then 554 to its
#			end (the message is dropped)
#
# Options of every behaviour that accepts a message:
#	echo_msgid	(0) the 250 to the end of DATA quotes the message's
#			Message-ID, as Exchange does: "250 2.6.0 <id>
#			[InternalId=...] Queued mail for delivery"
#
# Bounds: a read waits at most `idle` s (30), a session lasts at most
# `session` s (90, SIGALRM), the server exits by itself after `lifetime`
# s (120), at most `max_conns` sessions (50) at once, command lines of
# 2048 bytes, messages of 10 MB, 20 errors per session.
package FakeSMTP;

use strict;
use warnings;

use Carp qw(croak);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use Exporter qw(import);
use Fcntl qw(O_WRONLY O_APPEND O_CREAT);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG _exit strftime setsid);
use Time::HiRes qw(time sleep alarm);

our @EXPORT_OK = qw(free_port smtp_send smtp_reply slurp);

my %BEHAVIOUR = map { $_ => 1 } qw(accept_discard reject_data bounce
    greylist tarpit garbage endless drop_mid_data relay banner_5xx sink);
$BEHAVIOUR{$_} = 1 for qw(reject_after_data);	# added for 80-outsider.t

my $LINE_MAX = 2048;
my $DATA_MAX = 10 * 1024 * 1024;
my $ERRORS_MAX = 20;

my $CREATOR = $$;
my %LIVE;		# server pid => 1: killed (with its group) if the test dies

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

# The server dies with the test even if the test is SIGKILLed
# (prctl PR_SET_PDEATHSIG; Linux only, where the number is known).
my %PRCTL = ('x86_64' => 157, 'aarch64' => 167);
sub die_with_parent {
	my ($arch) = (POSIX::uname())[4];
	syscall($PRCTL{$arch}, 1, 9) if $^O eq 'linux' && $PRCTL{$arch};
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	binmode($fh);
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s // '';
}

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

sub new {
	my ($class, %o) = @_;
	my $b = $o{behaviour} // croak 'FakeSMTP: behaviour => needed';
	croak "FakeSMTP: unknown behaviour '$b'" unless $BEHAVIOUR{$b};
	my ($ip, $port) = split(/:/, $o{listen} // '127.0.0.1');
	$port ||= free_port($ip);
	my $parent = $o{dir} // tempdir('fakesmtp-XXXXXX', TMPDIR => 1,
	    CLEANUP => 1);
	my $dir = "$parent/fake-$b-$ip-$port";
	make_path($dir);
	croak "FakeSMTP: $b needs next_hop => 'IP:PORT'"
	    if ($b eq 'relay' || $b eq 'bounce') && !$o{next_hop};
	my $self = bless {
		behaviour => $b,
		ip => $ip,
		port => $port,
		dir => $dir,
		logfile => "$dir/session.log",
		name => $o{name} // "$b-$port.fake.test",
		next_hop => $o{next_hop},
		source => $o{source} // $ip,
		bounce_to => $o{bounce_to},
		store => $o{store} // "$dir/messages",
		tarpit_delay => $o{tarpit_delay} // 1,
		greylist_delay => $o{greylist_delay} // 0,
		deliver_delay => $o{deliver_delay} // 0,
		garbage_bytes => $o{garbage_bytes} // 4096,
		idle => $o{idle} // 30,
		session => $o{session} // 90,
		lifetime => $o{lifetime} // 120,
		max_conns => $o{max_conns} // 50,
		echo_msgid => $o{echo_msgid} // 0,
		pid => undef,
	}, $class;
	make_path($self->{store}) if $b eq 'sink';
	return $self;
}

sub behaviour { $_[0]{behaviour} }
sub ip { $_[0]{ip} }
sub port { $_[0]{port} }
sub address { "$_[0]{ip}:$_[0]{port}" }
sub name { $_[0]{name} }
sub dir { $_[0]{dir} }
sub pid { $_[0]{pid} }
sub logfile { $_[0]{logfile} }
sub log { slurp($_[0]{logfile}) }
sub store { $_[0]{store} }

# Binds in the caller (so the port is listening when start returns), then
# forks the server.  Croaks if the address cannot be bound.
sub start {
	my ($self) = @_;
	croak 'FakeSMTP: already started' if $self->{pid};
	my $l = IO::Socket::INET->new(LocalAddr => $self->{ip},
	    LocalPort => $self->{port}, Proto => 'tcp', Listen => 128,
	    ReuseAddr => 1) or croak "FakeSMTP: bind $self->{ip}:$self->{port}: $@";
	my $pid = fork() // croak "fork: $!";
	if ($pid == 0) {
		%LIVE = ();
		eval { $self->serve($l) };
		$self->logf('-', "server error: $@") if $@;
		_exit(0);
	}
	close($l);
	$self->{pid} = $pid;
	$LIVE{$pid} = 1;
	return 1;
}

# Kills the server and every session and delivery it forked.
sub stop {
	my ($self) = @_;
	my $pid = $self->{pid} or return 1;
	kill('TERM', -$pid);
	kill('TERM', $pid);
	my $deadline = time() + 5;
	my $clean = 0;
	while (time() < $deadline) {
		my $w = waitpid($pid, WNOHANG);
		if ($w == $pid || $w < 0) {	# < 0: reaped elsewhere
			$clean = 1;
			last;
		}
		sleep(0.02);
	}
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

# --- logging ---------------------------------------------------------

sub printable {
	my ($s, $max) = @_;
	$max //= 200;
	my $more = length($s) > $max ? '...(' . length($s) . ' bytes)' : '';
	$s = substr($s, 0, $max);
	$s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord($1))/ge;
	return $s . $more;
}

# One line per event, appended whole (O_APPEND) so that concurrent
# sessions do not interleave inside a line.
sub logf {
	my ($self, $who, $text) = @_;
	my $t = time();
	my $line = sprintf("%s.%03d [%s] %s\n",
	    strftime('%H:%M:%S', localtime($t)), ($t - int($t)) * 1000, $who,
	    $text);
	sysopen(my $fh, $self->{logfile}, O_WRONLY | O_APPEND | O_CREAT, 0644)
	    or return;
	syswrite($fh, $line);
	close($fh);
}

# --- the server ------------------------------------------------------

sub serve {
	my ($self, $l) = @_;
	setpgrp(0, 0);		# stop() kills -PID: every session too
	die_with_parent();
	$SIG{PIPE} = 'IGNORE';
	$SIG{TERM} = sub { kill('KILL', -$$); _exit(0) };
	my $end = time() + $self->{lifetime};
	my %kids;
	my $n = 0;
	$self->logf('-', "listening on $self->{ip}:$self->{port} as " .
	    "$self->{behaviour} ($self->{name})");
	my $sel = IO::Select->new($l);
	while (time() < $end) {
		while ((my $k = waitpid(-1, WNOHANG)) > 0) {
			delete $kids{$k};
		}
		next unless $sel->can_read(0.2);
		my $c = $l->accept or next;
		$n++;
		my $id = "c$n " . $c->peerhost . ':' . $c->peerport;
		if (keys(%kids) >= $self->{max_conns}) {
			$self->logf($id, 'too many sessions: 421');
			syswrite($c, "421 4.3.2 $self->{name} too busy\r\n");
			close($c);
			next;
		}
		my $pid = fork();
		unless (defined $pid) {
			close($c);
			next;
		}
		if ($pid == 0) {
			close($l);
			$SIG{TERM} = 'DEFAULT';
			$SIG{CHLD} = 'IGNORE';	# deliveries reap themselves
			die_with_parent();
			$SIG{ALRM} = sub {
				$self->logf($id, "session time limit ($self->{session} s)");
				_exit(0);
			};
			alarm($self->{session});
			eval { $self->session($c, $id, $n) };
			$self->logf($id, "session error: $@") if $@;
			close($c);
			_exit(0);
		}
		$kids{$pid} = 1;
		close($c);
	}
	$self->logf('-', "lifetime ($self->{lifetime} s) over: exiting");
	kill('KILL', -$$);
}

# --- session I/O -----------------------------------------------------

# Writes all of TEXT (or gives up after `idle` s without progress);
# false if the peer is gone.
sub put {
	my ($self, $c, $text) = @_;
	my $sock = $c->{sock};
	my $sel = IO::Select->new($sock);
	my $off = 0;
	while ($off < length($text)) {
		return 0 unless $sel->can_write($self->{idle});
		my $w = syswrite($sock, $text, length($text) - $off, $off);
		if (!defined $w) {
			next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
			return 0;
		}
		$off += $w;
	}
	return 1;
}

# A reply: logged line by line, written at once or (tarpit) a byte at a
# time.
sub reply {
	my ($self, $c, $text) = @_;
	$self->logf($c->{id}, "S: $_") for split(/\r\n/, $text);
	if ($c->{slow}) {
		for my $ch (split(//, $text)) {
			sleep($self->{tarpit_delay});
			$self->put($c, $ch) or return 0;
		}
		return 1;
	}
	return $self->put($c, $text);
}

# The next line from the client (CRLF or LF stripped), or undef at EOF,
# error, or after `idle` s of silence.  Over-long lines come back cut,
# with $c->{toolong} set.
sub getline {
	my ($self, $c, $idle) = @_;
	$idle //= $self->{idle};
	my $sel = IO::Select->new($c->{sock});
	$c->{toolong} = 0;
	for (;;) {
		my $i = index($c->{buf}, "\n");
		if ($i >= 0) {
			my $line = substr($c->{buf}, 0, $i + 1, '');
			$line =~ s/\r?\n\z//;
			if (length($line) > $LINE_MAX) {
				$c->{toolong} = 1;
				$line = substr($line, 0, $LINE_MAX);
			}
			return $line;
		}
		# No end of line in sight: drop what came (the rest of the
		# line comes back cut, flagged too long).
		if (length($c->{buf}) > ($c->{in_data} ? $DATA_MAX : 2 * $LINE_MAX)) {
			$c->{toolong} = 1;
			$c->{toobig} = 1 if $c->{in_data};
			$c->{buf} = '';
		}
		unless ($sel->can_read($idle)) {
			$self->logf($c->{id}, "idle for $idle s: closing");
			return undef;
		}
		my $r = sysread($c->{sock}, $c->{buf}, 65536, length($c->{buf}));
		if (!defined $r) {
			next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
			return undef;
		}
		return undef if $r == 0;
	}
}

# The message after a 354, dot-unstuffed, or undef if the client went
# away.  At most DATA_MAX bytes are kept ($c->{toobig} otherwise).
sub getdata {
	my ($self, $c) = @_;
	my $data = '';
	$c->{in_data} = 1;
	$c->{toobig} = 0;
	for (;;) {
		my $line = $self->getline($c);
		unless (defined $line) {
			$c->{in_data} = 0;
			return undef;
		}
		last if $line eq '.';
		$line =~ s/^\.//;
		if (length($data) + length($line) > $DATA_MAX) {
			$c->{toobig} = 1;
			next;
		}
		$data .= "$line\r\n";
	}
	$c->{in_data} = 0;
	return $data;
}

# The address of "MAIL FROM:<a> ..." / "RCPT TO:<a> ...": what is between
# the angle brackets, or the first word without them.
sub path_of {
	my ($arg) = @_;
	$arg =~ s/^\s+//;
	return $1 if $arg =~ /^<(.*?)>/;
	return $1 if $arg =~ /^(\S+)/;
	return '';
}

sub junk {
	my ($n, $seed) = @_;
	# Deterministic binary noise: NULs, CR/LF, 8-bit bytes, no SMTP code.
	my $s = "\x00\xff\xfe\r\n";
	my $x = $seed // 7;
	while (length($s) < $n) {
		$x = ($x * 1103515245 + 12345) & 0x7fffffff;
		$s .= chr(($x >> 16) & 0xff);
	}
	return substr($s, 0, $n);
}

# --- a session -------------------------------------------------------

sub session {
	my ($self, $sock, $id, $n) = @_;
	$sock->blocking(0);
	my $c = { sock => $sock, id => $id, n => $n, buf => '', errors => 0,
	    peer => $sock->peerhost, peerport => $sock->peerport };
	my $b = $self->{behaviour};
	my $name = $self->{name};
	$self->logf($id, "connect ($b)");

	if ($b eq 'garbage') {
		return $self->garbage($c);
	}
	if ($b eq 'banner_5xx') {
		$self->reply($c, "554 5.7.1 $name no SMTP service here\r\n")
		    or return;
		while (defined(my $l = $self->getline($c))) {
			$self->logf($id, 'C: ' . printable($l));
			if ($l =~ /^QUIT\b/i) {
				$self->reply($c, "221 2.0.0 $name closing\r\n");
				last;
			}
			$self->reply($c, "503 5.5.1 no SMTP service here\r\n")
			    or last;
			last if ++$c->{errors} >= $ERRORS_MAX;
		}
		$self->logf($id, 'disconnect');
		return;
	}
	$c->{slow} = 1 if $b eq 'tarpit';
	$self->reply($c, "220 $name ESMTP FakeSMTP $b\r\n") or return;

	my ($helo, $from, @rcpt) = ('');
	while (defined(my $line = $self->getline($c))) {
		$self->logf($id, 'C: ' . printable($line));
		if ($c->{toolong}) {
			$self->reply($c, "500 5.5.2 line too long\r\n") or last;
			last if ++$c->{errors} >= $ERRORS_MAX;
			next;
		}
		my ($verb, $arg) = $line =~ /^\s*(\S*)\s*(.*)$/;
		$verb = uc($verb // '');
		my $ok = 1;
		if ($verb eq 'EHLO') {
			$helo = $arg;
			if ($b eq 'endless') {
				$self->endless($c);
				last;
			}
			$ok = $self->reply($c, "250-$name hello $arg\r\n" .
			    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n" .
			    "250 SIZE $DATA_MAX\r\n");
			($from, @rcpt) = ();
		} elsif ($verb eq 'HELO') {
			$helo = $arg;
			$ok = $self->reply($c, "250 $name\r\n");
			($from, @rcpt) = ();
		} elsif ($verb eq 'MAIL') {
			if ($arg !~ /^FROM:/i) {
				$ok = $self->reply($c, "501 5.5.4 syntax: MAIL FROM:<address>\r\n");
				$c->{errors}++;
			} elsif (defined $from) {
				$ok = $self->reply($c, "503 5.5.1 nested MAIL command\r\n");
				$c->{errors}++;
			} else {
				$from = path_of(substr($arg, 5));
				@rcpt = ();
				$ok = $self->reply($c, "250 2.1.0 Ok\r\n");
			}
		} elsif ($verb eq 'RCPT') {
			if ($arg !~ /^TO:/i) {
				$ok = $self->reply($c, "501 5.5.4 syntax: RCPT TO:<address>\r\n");
				$c->{errors}++;
			} elsif (!defined $from) {
				$ok = $self->reply($c, "503 5.5.1 need MAIL command\r\n");
				$c->{errors}++;
			} else {
				my $to = path_of(substr($arg, 3));
				if ($b eq 'greylist' &&
				    !$self->greylist_seen($from, $to)) {
					$ok = $self->reply($c, "450 4.7.1 <$to>: " .
					    "greylisted, try again later\r\n");
				} else {
					push(@rcpt, $to);
					$ok = $self->reply($c, "250 2.1.5 Ok\r\n");
				}
			}
		} elsif ($verb eq 'DATA') {
			if (!@rcpt) {
				$ok = $self->reply($c, "503 5.5.1 need RCPT command\r\n");
				$c->{errors}++;
			} elsif ($b eq 'reject_data') {
				$ok = $self->reply($c, "554 5.7.1 DATA refused: " .
				    "message content rejected\r\n");
				($from, @rcpt) = ();
			} else {
				$self->reply($c, "354 End data with <CR><LF>.<CR><LF>\r\n")
				    or last;
				if ($b eq 'drop_mid_data') {
					# Let part of the body arrive, then hang up.
					my $l = $self->getline($c, 5);
					$self->logf($id, 'C: (body) ' .
					    printable($l // '(nothing)'));
					$self->logf($id, 'dropping the connection in DATA');
					last;
				}
				my $data = $self->getdata($c);
				unless (defined $data) {
					$self->logf($id, 'client gone in DATA');
					last;
				}
				$self->logf($id, sprintf('C: <message, %d bytes>',
				    length($data)));
				if ($c->{toobig}) {
					$ok = $self->reply($c, "552 5.3.4 message too big\r\n");
				} else {
					my $qid = sprintf('%X%04X', time(), $$ & 0xffff)
					    . ++$c->{msgs};
					my $env = { qid => $qid, helo => $helo,
					    from => $from, rcpt => [@rcpt],
					    peer => $c->{peer},
					    peerport => $c->{peerport} };
					$self->accepted($c, $env, $data);
					$ok = $self->reply($c, $self->data_ok_reply($qid, $data));
				}
				($from, @rcpt) = ();
			}
		} elsif ($verb eq 'RSET') {
			($from, @rcpt) = ();
			$ok = $self->reply($c, "250 2.0.0 Ok\r\n");
		} elsif ($verb eq 'NOOP') {
			$ok = $self->reply($c, "250 2.0.0 Ok\r\n");
		} elsif ($verb eq 'VRFY') {
			$ok = $self->reply($c, "252 2.0.0 cannot VRFY\r\n");
		} elsif ($verb eq 'QUIT') {
			$self->reply($c, "221 2.0.0 Bye\r\n");
			last;
		} else {
			$ok = $self->reply($c, "502 5.5.2 command not recognized\r\n");
			$c->{errors}++;
		}
		last unless $ok;
		if ($c->{errors} >= $ERRORS_MAX) {
			$self->reply($c, "421 4.7.0 $name too many errors\r\n");
			last;
		}
	}
	$self->logf($id, 'disconnect');
}

# Greylisting, keyed like postgrey on (sender, recipient) -- the client
# address is always the prober's: a pair is let through when it was first
# refused at least greylist_delay seconds ago (the state is a file:
# sessions are separate processes).
sub greylist_seen {
	my ($self, $from, $to) = @_;
	my $f = "$self->{dir}/greylist.seen";
	my $key = lc("$from $to");
	for my $l (split(/\n/, slurp($f))) {
		my ($t, $k) = split(/ /, $l, 2);
		return time() - $t >= $self->{greylist_delay} if $k eq $key;
	}
	sysopen(my $fh, $f, O_WRONLY | O_APPEND | O_CREAT, 0644) or return 0;
	syswrite($fh, int(time()) . " $key\n");
	close($fh);
	return 0;
}

sub garbage {
	my ($self, $c) = @_;
	my $j = junk($self->{garbage_bytes}, $c->{n});
	$self->logf($c->{id}, 'S: <binary junk, ' . length($j) . ' bytes>');
	$self->put($c, $j) or return;
	# Whatever the client says, more junk (bounded by idle and session).
	my $sel = IO::Select->new($c->{sock});
	for (my $i = 0; $i < 100; $i++) {
		last unless $sel->can_read($self->{idle});
		my $r = sysread($c->{sock}, my $in, 4096);
		last unless $r;
		$self->logf($c->{id}, 'C: ' . printable($in));
		$self->logf($c->{id}, 'S: <binary junk, 512 bytes>');
		$self->put($c, junk(512, $i)) or last;
	}
	$self->logf($c->{id}, 'disconnect');
}

# "250-..." lines for ever: until the client stops reading or hangs up,
# or the session limit.
sub endless {
	my ($self, $c) = @_;
	my $name = $self->{name};
	$self->logf($c->{id}, "S: 250-$name ... (endless multi-line reply)");
	my $lines = 0;
	for (;;) {
		my $chunk = '';
		$chunk .= sprintf("250-%s ENDLESS-%08d\r\n", $name, $lines++)
		    for 1 .. 100;
		last unless $self->put($c, $chunk);
	}
	$self->logf($c->{id}, "endless reply stopped after $lines lines");
}

# --- after the end of DATA -------------------------------------------

sub accepted {
	my ($self, $c, $env, $data) = @_;
	my $b = $self->{behaviour};
	my $id = $c->{id};
	if ($b eq 'sink') {
		$self->save($env, $data);
		$self->logf($id, "stored $env->{qid}");
	} elsif ($b eq 'relay' || ($b eq 'greylist' && $self->{next_hop})) {
		my $rcv = $self->received($env);
		$self->deliver($c, "relay $env->{qid}", $env->{from},
		    $env->{rcpt}, $rcv . $data);
	} elsif ($b eq 'bounce') {
		my $to = $self->{bounce_to} // $env->{from};
		if ($to eq '') {
			$self->logf($id, "$env->{qid}: null sender, no bounce");
			return;
		}
		$self->deliver($c, "bounce of $env->{qid}", '', [$to],
		    $self->dsn($env, $to, $data));
	} else {
		$self->logf($id, "discarded $env->{qid}");
	}
}

sub rfc2822_date {
	return strftime('%a, %d %b %Y %H:%M:%S +0000', gmtime(time()));
}

sub received {
	my ($self, $env) = @_;
	return "Received: from $env->{helo} ([$env->{peer}])\r\n" .
	    "\tby $self->{name} ($self->{ip}) with ESMTP id $env->{qid}\r\n" .
	    "\tfor <$env->{rcpt}[0]>; " . rfc2822_date() . "\r\n";
}

# A delivery status notification for every recipient of the message.
sub dsn {
	my ($self, $env, $to, $data) = @_;
	my $name = $self->{name};
	my $bd = "$env->{qid}.bounce/$name";
	my $date = rfc2822_date();
	my $per = join('', map { "Final-Recipient: rfc822; $_\r\n" .
	    "Action: failed\r\nStatus: 5.1.1\r\n" .
	    "Diagnostic-Code: smtp; 550 5.1.1 <$_>: user unknown\r\n\r\n" }
	    @{$env->{rcpt}});
	my $list = join('', map { "<$_>: 550 5.1.1 user unknown\r\n" }
	    @{$env->{rcpt}});
	return "Date: $date\r\n" .
	    "From: MAILER-DAEMON\@$name (Mail Delivery System)\r\n" .
	    "To: <$to>\r\n" .
	    "Subject: Undelivered Mail Returned to Sender\r\n" .
	    "Message-ID: <$env->{qid}.bounce\@$name>\r\n" .
	    "Auto-Submitted: auto-replied\r\n" .
	    "MIME-Version: 1.0\r\n" .
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n" .
	    "\tboundary=\"$bd\"\r\n" .
	    "\r\n" .
	    "This is a MIME-encapsulated message.\r\n\r\n" .
	    "--$bd\r\n" .
	    "Content-Description: Notification\r\n" .
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n" .
	    "This is the mail system at host $name.\r\n\r\n" .
	    "Your message could not be delivered to one or more " .
	    "recipients.\r\n\r\n$list\r\n" .
	    "--$bd\r\n" .
	    "Content-Description: Delivery report\r\n" .
	    "Content-Type: message/delivery-status\r\n\r\n" .
	    "Reporting-MTA: dns; $name\r\n" .
	    "X-Postfix-Queue-ID: $env->{qid}\r\n" .
	    "Arrival-Date: $date\r\n\r\n" .
	    $per .
	    "--$bd\r\n" .
	    "Content-Description: Undelivered Message\r\n" .
	    "Content-Type: message/rfc822\r\n\r\n" .
	    $data .
	    "\r\n--$bd--\r\n";
}

# Sends a message to next_hop from `source` in a process of its own (the
# session goes on meanwhile, as with a real queue); logs the outcome.
sub deliver {
	my ($self, $c, $what, $from, $rcpt, $data) = @_;
	my $id = $c->{id};
	my ($hip, $hport) = split(/:/, $self->{next_hop});
	my $pid = fork();
	return $self->logf($id, "$what: fork: $!") unless defined $pid;
	return if $pid;
	# Not the session's: its client must see the close when it ends.
	close($c->{sock});
	alarm(0);
	$SIG{ALRM} = sub { $self->logf($id, "$what: delivery time limit"); _exit(1) };
	alarm(60 + $self->{deliver_delay});
	# A slow queue: the mail leaves deliver_delay seconds after it came.
	sleep($self->{deliver_delay}) if $self->{deliver_delay};
	my $r = smtp_send(host => $hip, port => $hport, bind => $self->{source},
	    helo => $self->{name}, from => $from, to => $rcpt, data => $data,
	    timeout => $self->{idle});
	$self->logf($id, sprintf('%s: to %s from %s: %s%s', $what,
	    $self->{next_hop}, $self->{source}, $r->{ok} ? 'delivered' : 'FAILED',
	    $r->{error} ? " ($r->{error})" : ''));
	$self->logf($id, "  $what: $_") for @{$r->{transcript}};
	_exit(0);
}

# The sink: NNN.eml (the data) then NNN.env (JSON envelope), renamed
# into place last so that a reader never sees half a message.
sub save {
	my ($self, $env, $data) = @_;
	my $base = sprintf('%s/%.6f-%d-%s', $self->{store}, time(), $$,
	    $env->{qid});
	open(my $fh, '>', "$base.eml") or die "$base.eml: $!";
	binmode($fh);
	print $fh $data;
	close($fh) or die "$base.eml: $!";
	$env = { %$env, time => time(), listen => $self->address,
	    eml => "$base.eml" };
	open($fh, '>', "$base.tmp") or die "$base.tmp: $!";
	print $fh JSON::PP->new->canonical->latin1->encode($env);
	close($fh) or die "$base.tmp: $!";
	rename("$base.tmp", "$base.env") or die "$base.env: $!";
}

# --- an SMTP client --------------------------------------------------

# Reads one (multi-line) reply: (code, text) or (undef, error).
sub smtp_reply {
	my ($sock, $buf, $timeout) = @_;
	my $sel = IO::Select->new($sock);
	my $text = '';
	my $deadline = time() + $timeout;
	for (my $n = 0; $n < 1000; $n++) {
		my $i;
		while (($i = index($$buf, "\n")) < 0) {
			my $left = $deadline - time();
			return (undef, 'timeout') if $left <= 0
			    || !$sel->can_read($left);
			my $r = sysread($sock, $$buf, 4096, length($$buf));
			return (undef, 'connection closed') unless $r;
			return (undef, 'reply too long') if length($$buf) > 65536;
		}
		my $line = substr($$buf, 0, $i + 1, '');
		$line =~ s/\r?\n\z//;
		return (undef, 'bad reply: ' . printable($line))
		    unless $line =~ /^(\d{3})([ -])(.*)$/;
		$text .= "$1$2$3\n";
		return ($1, $text) if $2 eq ' ';
	}
	return (undef, 'reply has too many lines');
}

# smtp_send(host, port, bind, helo, from, to => [..], data, timeout):
# one transaction.  Returns { ok, code, error, transcript => [lines] }.
sub smtp_send {
	my (%o) = @_;
	my @t;
	my $timeout = $o{timeout} // 30;
	my $res = { ok => 0, transcript => \@t };
	my $sock = IO::Socket::INET->new(PeerAddr => $o{host},
	    PeerPort => $o{port}, Proto => 'tcp', Timeout => $timeout,
	    ($o{bind} ? (LocalAddr => $o{bind}) : ()));
	unless ($sock) {
		$res->{error} = "connect $o{host}:$o{port}: $@";
		return $res;
	}
	my $buf = '';
	my $step = sub {
		my ($cmd, $want) = @_;
		if (defined $cmd) {
			push(@t, "> $cmd");
			unless (defined syswrite($sock, "$cmd\r\n")) {
				$res->{error} = "write: $!";
				return 0;
			}
		}
		my ($code, $text) = smtp_reply($sock, \$buf, $timeout);
		unless (defined $code) {
			$res->{error} = $text;
			return 0;
		}
		push(@t, map { "< $_" } split(/\n/, $text));
		$res->{code} = $code;
		return 1 if $code =~ $want;
		$res->{error} = "unexpected reply $code";
		return 0;
	};
	my $helo = $o{helo} // 'client.fake.test';
	my $ok = $step->(undef, qr/^220$/)
	    && ($step->("EHLO $helo", qr/^250$/) || $step->("HELO $helo", qr/^250$/))
	    && $step->("MAIL FROM:<$o{from}>", qr/^250$/);
	if ($ok) {
		my $any = 0;
		for my $to (@{$o{to}}) {
			$any = 1 if $step->("RCPT TO:<$to>", qr/^25\d$/);
		}
		$ok = $any;
	}
	if ($ok && $step->('DATA', qr/^354$/)) {
		(my $d = $o{data}) =~ s/(?<!\r)\n/\r\n/g;
		$d .= "\r\n" unless $d =~ /\r\n\z/;
		$d =~ s/^\./../mg;
		push(@t, sprintf('> <message, %d bytes>', length($d)));
		my $w = syswrite($sock, "$d.\r\n");
		$ok = defined($w) && $step->(undef, qr/^250$/);
		$res->{ok} = $ok ? 1 : 0;
	}
	my $err = $res->{error};
	$step->('QUIT', qr/^221$/) if defined $res->{code};
	close($sock);
	$res->{error} = $res->{ok} ? undef : $err;
	return $res;
}

# --- options added for 80-outsider.t ---------------------------------

# The reply to the end of DATA: the usual 250, or (echo_msgid) Exchange's,
# which quotes the message's Message-ID back to the client, or
# (reject_after_data) a 554 after the whole message was read.
sub data_ok_reply {
	my ($self, $qid, $data) = @_;
	if ($self->{behaviour} eq 'reject_after_data') {
		$self->logf('-', "$qid: rejected at the end of DATA");
		return "554 5.7.1 $qid: message content rejected\r\n";
	}
	return "250 2.0.0 Ok: queued as $qid\r\n" unless $self->{echo_msgid};
	my ($hdr) = split(/\r?\n\r?\n/, $data, 2);
	$hdr //= '';
	$hdr =~ s/\r?\n[ \t]+/ /g;		# unfold
	my ($id) = $hdr =~ /^Message-ID:\s*(<[^>\r\n]*>)/mi;
	$id //= "<$qid\@$self->{name}>";
	return "250 2.6.0 $id [InternalId=$$, Hostname=$self->{name}] " .
	    "Queued mail for delivery\r\n";
}

# --- options added for 82-bounces-arrivals.t -------------------------
#
# Options (kept out of new() and accepted() above: this block wraps them):
#	save		(0) any behaviour: also store every accepted message in
#			`store`, as the sink does (NNN.eml + NNN.env): what the
#			owner of an accept-and-drop server can read
#	relay_only_null_sender
#			(0) relay: forward only mail whose envelope sender is
#			null (MAIL FROM:<>); other mail is accepted and dropped
#	add_headers	([]) relay: header lines put at the top of what it
#			relays (e.g. "Auto-Submitted: auto-generated")
#	bounce_style	('dsn') bounce: 'exim' sends Exim's plain-text bounce,
#			the message quoted inline after "------ This is a copy
#			of the message, including all the headers. ------"
{
	no warnings 'redefine';
	my $new = \&new;
	my $accepted = \&accepted;

	*new = sub {
		my ($class, %o) = @_;
		my $self = $new->($class, %o);
		$self->{save} = $o{save} // 0;
		$self->{relay_only_null_sender} = $o{relay_only_null_sender} // 0;
		$self->{add_headers} = $o{add_headers} // [];
		$self->{bounce_style} = $o{bounce_style} // 'dsn';
		croak "FakeSMTP: bad bounce_style '$self->{bounce_style}'"
		    unless $self->{bounce_style} =~ /^(dsn|exim)$/;
		make_path($self->{store}) if $self->{save};
		return $self;
	};

	*accepted = sub {
		my ($self, $c, $env, $data) = @_;
		my $b = $self->{behaviour};
		if ($self->{save} && $b ne 'sink') {
			$self->save($env, $data);
			$self->logf($c->{id}, "saved a copy of $env->{qid}");
		}
		if ($b eq 'relay' && $self->{relay_only_null_sender} &&
		    $env->{from} ne '') {
			$self->logf($c->{id}, "$env->{qid}: sender " .
			    "<$env->{from}> is not null: dropped, not relayed");
			return;
		}
		if ($b eq 'relay' && @{$self->{add_headers}}) {
			$data = join('', map { "$_\r\n" } @{$self->{add_headers}}) .
			    $data;
		}
		if ($b eq 'bounce' && $self->{bounce_style} eq 'exim') {
			my $to = $self->{bounce_to} // $env->{from};
			if ($to eq '') {
				$self->logf($c->{id}, "$env->{qid}: null sender, " .
				    "no bounce");
				return;
			}
			return $self->deliver($c, "exim bounce of $env->{qid}",
			    '', [$to], $self->exim_bounce($env, $to, $data));
		}
		return $accepted->($self, $c, $env, $data);
	};
}

# Exim's bounce: text/plain, no MIME structure, the returned message
# (headers and body) quoted inline after Exim's separator line.
sub exim_bounce {
	my ($self, $env, $to, $data) = @_;
	my $name = $self->{name};
	my $list = join('', map { "  $_\r\n    unknown user\r\n" }
	    @{$env->{rcpt}});
	return "Received: from mail by $name with local (Exim 4.96)\r\n" .
	    "\tid $env->{qid}; " . rfc2822_date() . "\r\n" .
	    "X-Failed-Recipients: " . join(', ', @{$env->{rcpt}}) . "\r\n" .
	    "Auto-Submitted: auto-replied\r\n" .
	    "From: Mail Delivery System <Mailer-Daemon\@$name>\r\n" .
	    "To: $to\r\n" .
	    "Content-Type: text/plain; charset=us-ascii\r\n" .
	    "Subject: Mail delivery failed: returning message to sender\r\n" .
	    "Message-Id: <E$env->{qid}-exim\@$name>\r\n" .
	    "Date: " . rfc2822_date() . "\r\n" .
	    "\r\n" .
	    "This message was created automatically by mail delivery " .
	    "software.\r\n\r\n" .
	    "A message that you sent could not be delivered to one or more " .
	    "of its\r\nrecipients. This is a permanent error. The following " .
	    "address(es) failed:\r\n\r\n" . $list . "\r\n" .
	    "------ This is a copy of the message, including all the " .
	    "headers. ------\r\n\r\n" .
	    "Return-path: <$env->{from}>\r\n" .
	    $data;
}

1;
