# Web.pm -- orbl-web for the system tests: started beside an Orbl
# instance (same config file, plus web_listen on a free loopback port),
# stopped by SIGTERM with its exit status checked, and a small HTTP client
# (HTTP::Tiny, core Perl) that can speak from any 127.0.0.N so that the
# per-client rate limit and form tokens can be tested.
#
#	my $w = Web->new($o, conf => { web_rate_limit => 5 });
#	$w->start or BAIL_OUT('orbl-web did not start');
#	my $r = $w->get('/lookup?ip=192.0.2.1');		# HTTP::Tiny response
#	my $t = $w->token('submit', from => '127.0.0.9');	# from GET /
#	$r = $w->post_form('/submit', { token => $t, ip => ... }, from => ...);
#	$r = $w->post_json('/api/v1/submissions', { ip => ... });
#	my $j = Web::json($r);
#	$w->stop;	# asserts exit status 0 and no sanitizer report
#
# A dying test still kills the daemon (END block, by PID).
package Web;

use strict;
use warnings;

use Carp qw(croak);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(wait_until free_port);

my $CREATOR = $$;
# (daemons are killed at exit by Orbl.pm: Orbl::live, Orbl::dead)

# new($orbl, conf => {extra keys}, conffile => PATH (default: the
# instance's own, rewritten with web_listen added)).
sub new {
	my ($class, $o, %a) = @_;
	my $self = bless { o => $o }, $class;
	$self->{port} = $a{port} // free_port();
	$self->{conf} = { %{$o->{conf}}, web_listen => "127.0.0.1:$self->{port}",
	    %{$a{conf} // {}} };
	$self->{conffile} = $a{conffile} // $o->conffile;
	$self->{log} = $a{log} // $o->dir . "/web-$self->{port}.log";
	$o->write_conf($self->{conf}, $self->{conffile});
	$o->{conf} = $self->{conf} if $self->{conffile} eq $o->conffile;
	return $self;
}

sub port { $_[0]{port} }
sub log_file { $_[0]{log} }
sub pid { $_[0]{pid} }
sub base { "http://127.0.0.1:$_[0]{port}" }
sub log_text { Orbl::slurp($_[0]{log}) }

sub start {
	my ($self, %o) = @_;
	croak 'orbl-web already running' if $self->{pid};
	my @argv = (Orbl::bindir() . '/orbl-web', '-d', '-c', $self->{conffile},
	    @{$o{args} // []});
	my $pid = fork // croak "fork: $!";
	if ($pid == 0) {
		Orbl::die_with_parent();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->{log});
		open(STDERR, '>>', $self->{log});
		{ exec(@argv) };
		print STDERR "exec $argv[0]: $!\n";
		_exit(127);
	}
	$self->{pid} = $pid;
	Orbl::live($pid);
	my $ok = wait_until($o{timeout} // 10, 0.05, sub {
		return 1 if waitpid($pid, WNOHANG) == $pid;
		my $r = HTTP::Tiny->new(timeout => 1)->get($self->base . '/');
		return $r->{status} == 200;
	});
	if (!defined $ok || !kill(0, $pid)) {
		Orbl::dead($pid);
		delete $self->{pid};
		diag("orbl-web did not start:\n" . $self->log_text);
		return 0;
	}
	return 1;
}

sub stop {
	my ($self) = @_;
	my $pid = delete $self->{pid};
	unless ($pid) {
		fail('orbl-web: stopped (was not running)');
		return;
	}
	my $status = Orbl::stop_pid($pid, 15);
	fail('orbl-web: exits within 15 s of SIGTERM') unless defined $status;
	Orbl::dead($pid);
	my $log = $self->log_text;
	is($status, 0, 'orbl-web: exit status 0 after SIGTERM') or diag($log);
	unlike($log, qr/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/,
	    'orbl-web: no sanitizer report in its log') or diag($log);
	return $status;
}

sub DESTROY {
	my ($self) = @_;
	return unless $$ == $CREATOR && $self->{pid};
	local $?;
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	Orbl::dead($self->{pid});
}

# An HTTP::Tiny speaking from $from (a 127.0.0.N), no redirects followed.
sub ua {
	my ($self, $from) = @_;
	return HTTP::Tiny->new(timeout => 15, max_redirect => 0,
	    agent => 'orbl-tests/1', ($from ? (local_address => $from) : ()));
}

# request(METHOD, PATH, from => IP, headers => {...}, content => BYTES)
sub request {
	my ($self, $method, $path, %o) = @_;
	my $url = $path =~ m{^https?://} ? $path : $self->base . $path;
	return $self->ua($o{from})->request($method, $url, {
	    headers => $o{headers} // {},
	    (defined $o{content} ? (content => $o{content}) : ()),
	});
}

sub get {
	my ($self, $path, %o) = @_;
	return $self->request('GET', $path, %o);
}

# x-www-form-urlencoded; $fields: hash or array ref (order kept).
sub post_form {
	my ($self, $path, $fields, %o) = @_;
	my $body = ref $fields eq 'ARRAY' ? $self->ua->www_form_urlencode($fields) :
	    $self->ua->www_form_urlencode($fields);
	return $self->request('POST', $path, %o, content => $body,
	    headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
	    %{$o{headers} // {}} });
}

sub post_json {
	my ($self, $path, $data, %o) = @_;
	my $body = ref $data ? encode_json($data) : $data;
	return $self->request('POST', $path, %o, content => $body,
	    headers => { 'Content-Type' => 'application/json',
	    %{$o{headers} // {}} });
}

# The hidden token of form $name on GET / (from the same client).
sub token {
	my ($self, $name, %o) = @_;
	my $r = $self->get('/', %o);
	my $action = $name eq 'submit' ? '/submit' : '/delist';
	return $1 if $r->{content} =~ m{action="[^"]*\Q$action\E">\s*<input type="hidden" name="token" value="([^"]+)"};
	return undef;
}

# The decoded JSON body of a response (undef if it does not parse).
sub json {
	my ($r) = @_;
	return eval { decode_json($r->{content}) };
}

1;
