# Metrics.pm -- what the /metrics tests share: the exposition through the
# reference parser (promparse.py, Debian's python3-prometheus-client),
# exact counter deltas, and the TCP ports a process listens on.
package Metrics;
use strict;
use warnings;
use Exporter 'import';
use FindBin;
use Test::More;

our @EXPORT_OK = qw(prom_parse deltas_are listening_ports);

my $PROM = "$FindBin::Bin/lib/promparse.py";
my $n = 0;

# The samples of exposition text as the reference parser reads it:
# { 'name{k="v",...}' => value } (values as the parser prints them,
# "3.0"; numbers with numeric => 1), undef (with a diagnostic) if it does
# not parse.  $o: an Orbl (its folder holds the input, run_cmd runs it).
sub prom_parse {
	my ($o, $text, %opt) = @_;
	my $f = $o->dir . "/scrape" . ++$n . '.txt';
	open(my $fh, '>', $f) or die "$f: $!";
	print $fh $text;
	close($fh);
	my $r = $o->run_cmd([$PROM], stdin => $f);
	if ($r->{rc} != 0) {
		diag("promparse: $r->{err}\n$text");
		return undef;
	}
	my %s;
	for (split /\n/, $r->{out}) {
		/^(\S+) (\S+)$/ or return undef;
		$s{$1} = $opt{numeric} ? $2 + 0 : $2;
	}
	return \%s;
}

# Every counter (a _total sample) moved by what %$want says (0 if absent)
# between two parses; samples matching $skip (a regex) are left out.
sub deltas_are {
	my ($before, $after, $want, $name, $skip) = @_;
	my %keys = map { $_ => 1 } grep { /_total\{/ &&
	    !(defined $skip && /$skip/) } keys(%$before), keys(%$after);
	my @bad;
	for my $k (sort keys %keys) {
		my $d = ($after->{$k} // 0) - ($before->{$k} // 0);
		my $e = $want->{$k} // 0;
		push @bad, "$k moved by $d, not $e" if $d != $e;
	}
	for my $k (sort keys %$want) {
		push @bad, "$k: no such sample" unless $keys{$k};
	}
	ok(!@bad, "$name: every counter moved by exactly what was sent") or
	    diag(join("\n", @bad));
}

# The TCP ports pid listens on (Linux /proc), sorted.
sub listening_ports {
	my ($pid) = @_;
	my %inode;
	opendir(my $dh, "/proc/$pid/fd") or return ();
	for (readdir($dh)) {
		my $l = readlink("/proc/$pid/fd/$_") // next;
		$inode{$1} = 1 if $l =~ /^socket:\[(\d+)\]$/;
	}
	closedir($dh);
	my %ports;
	for my $t ('/proc/net/tcp', '/proc/net/tcp6') {
		open(my $fh, '<', $t) or next;
		<$fh>;
		while (<$fh>) {
			my @f = split;
			next unless $f[3] eq '0A' && $inode{$f[9]};
			$ports{hex((split /:/, $f[1])[-1])} = 1;
		}
		close($fh);
	}
	return sort { $a <=> $b } keys %ports;
}

1;
