#!/usr/bin/perl
# SCTP "connection attempts" without an SCTP stack: this machine's kernel has no SCTP sockets
# (CONFIG_IP_SCTP unset: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails with
# EPROTONOSUPPORT), but its conntrack and NAT handle SCTP. So each attempt is one SCTP INIT
# chunk (verification tag 0, a valid CRC32c) sent on a raw IP socket from a fixed source port,
# and what comes back is read from raw ICMP sockets:
#   port unreachable (ICMP 3/3, ICMPv6 1/4) - a REJECT on the way: "refused"
#   protocol unreachable (ICMP 3/2, ICMPv6 4/1) - some host's IP stack got the INIT and has no
#     SCTP: the packet was delivered ("connected"; conntrack says where)
#   nothing within the wait - "timeout" ("dropped-local" if the send failed with EPERM)
# The node's conntrack entry (DNAT and masquerade in its reply tuple) is read by the caller.
# Only perl-base is used (Essential in Debian): Socket, no JSON.
#
# Run as: ip netns exec NS perl sctp-init.pl WAIT_MS < attempts
# stdin: one attempt a line, "SRC SPORT DST DPORT" (all IPv4 or all IPv6)
# stdout: one line per attempt, "SPORT RESULT [ERRNO]"
use strict;
use warnings;
use Socket qw(AF_INET AF_INET6 SOCK_RAW inet_pton pack_sockaddr_in pack_sockaddr_in6);

my $wait_ms = $ARGV[0] // 1000;
my @attempts;
while (my $line = <STDIN>) {
  chomp $line;
  next if $line =~ /^\s*$/;
  my ($src, $sport, $dst, $dport) = split ' ', $line;
  die "sctp-init: bad line: $line\n" unless defined $dport;
  push @attempts, { src => $src, sport => $sport + 0, dst => $dst, dport => $dport + 0 };
}
exit 0 unless @attempts;
my $v6 = $attempts[0]{dst} =~ /:/;
my $af = $v6 ? AF_INET6 : AF_INET;
my $addr = sub { my $a = inet_pton($af, $_[0]) or die "sctp-init: bad address $_[0]\n"; $v6 ? pack_sockaddr_in6(0, $a) : pack_sockaddr_in(0, $a) };

# CRC32c (Castagnoli, reflected 0x82F63B78), as SCTP's checksum.
my @table;
for my $i (0 .. 255) {
  my $c = $i;
  for (1 .. 8) { $c = ($c & 1) ? (($c >> 1) ^ 0x82F63B78) : ($c >> 1) }
  $table[$i] = $c;
}
sub crc32c {
  my $crc = 0xFFFFFFFF;
  $crc = $table[($crc ^ $_) & 0xFF] ^ ($crc >> 8) for unpack('C*', $_[0]);
  return $crc ^ 0xFFFFFFFF;
}

sub init_packet {
  my ($sport, $dport, $tag) = @_;
  # INIT: type 1, flags 0, length 20, initiate tag, a_rwnd, outbound/inbound streams, initial TSN.
  my $chunk = pack('CCn N N n n N', 1, 0, 20, $tag, 65535, 10, 10, $tag);
  my $pkt = pack('n n N V', $sport, $dport, 0, 0) . $chunk;
  # The checksum goes on the wire little-endian (RFC 4960 appendix B, as Linux writes it).
  substr($pkt, 8, 4) = pack('V', crc32c($pkt));
  return $pkt;
}

socket(my $icmp, $af, SOCK_RAW, $v6 ? 58 : 1) or die "sctp-init: raw ICMP socket: $!\n";
my %result;
my %eperm;
my %by_sport = map { $_->{sport} => $_ } @attempts;
for my $a (@attempts) {
  socket(my $s, $af, SOCK_RAW, 132) or die "sctp-init: raw SCTP socket: $!\n";
  bind($s, $addr->($a->{src})) or die "sctp-init: bind $a->{src}: $!\n";
  my $ok = send($s, init_packet($a->{sport}, $a->{dport}, 0x10000 + $a->{sport}), 0, $addr->($a->{dst}));
  # A DROP in the node's own OUTPUT path fails the send with EPERM; so does a REJECT there, which
  # also sends the ICMP error to us: EPERM stands only if no ICMP comes.
  if (!defined $ok) {
    if ($!{EPERM}) { $eperm{$a->{sport}} = 1 }
    else { $result{$a->{sport}} = 'error ' . ($! + 0) }
  }
  close $s;
}

# ICMP errors quote the offending packet: IPv4 header (then SCTP ports), or for ICMPv6 the
# 40-byte IPv6 header; matched to attempts by the SCTP source port.
# (select's second value is the time left: Linux updates the timeout; no Time::HiRes needed.)
my $left = $wait_ms / 1000;
my $rin = '';
vec($rin, fileno($icmp), 1) = 1;
while ($left > 0) {
  last if scalar(keys %result) == scalar(@attempts);
  my ($n, $timeleft) = select(my $rout = $rin, undef, undef, $left);
  last if $n <= 0;
  $left = $timeleft;
  defined(recv($icmp, my $msg, 2048, 0)) or next;
  my ($type, $code, $inner);
  if ($v6) {
    next if length($msg) < 8 + 40 + 4;
    ($type, $code) = unpack('CC', $msg);
    next unless unpack('C', substr($msg, 8 + 6, 1)) == 132;
    $inner = substr($msg, 8 + 40);
  } else {
    my $ihl = (unpack('C', $msg) & 0x0F) * 4;
    next if length($msg) < $ihl + 8 + 20 + 4;
    ($type, $code) = unpack('CC', substr($msg, $ihl));
    my $orig = substr($msg, $ihl + 8);
    next unless unpack('C', substr($orig, 9, 1)) == 132;
    $inner = substr($orig, (unpack('C', $orig) & 0x0F) * 4);
  }
  my ($sport) = unpack('n', $inner);
  next unless $by_sport{$sport} && !exists $result{$sport};
  if ((!$v6 && $type == 3 && $code == 3) || ($v6 && $type == 1 && $code == 4)) { $result{$sport} = 'refused' }
  elsif ((!$v6 && $type == 3 && $code == 2) || ($v6 && $type == 4 && $code == 1)) { $result{$sport} = 'connected' }
}
print "$_->{sport} " . ($result{$_->{sport}} // ($eperm{$_->{sport}} ? 'dropped-local EPERM' : 'timeout')) . "\n" for @attempts;
