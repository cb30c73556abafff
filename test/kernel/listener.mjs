// The endpoint pods: listeners in the pod namespace. Each connection (TCP) or datagram (UDP) is
// answered with the local "ip:port" it reached ("[v6]:port" for IPv6), so the client sees which
// endpoint answered.
// Arguments: PORT (TCP on 0.0.0.0), tcp6:PORT (TCP on ::, IPv6 only), tcp:IPV4:PORT (TCP on one
// address, e.g. the node's 127.0.0.1), udp:IP:PORT or
// udp:[V6]:PORT (UDP bound to that one address: a wildcard UDP socket would answer from whatever
// source the routing picks, not the address the client's datagram was DNATed to, and conntrack
// would not match the reply).
// The client closes first (see connector.mjs); a TCP connection left open is dropped after 10 s.
// Prints "ready" once everything listens; exits when its stdin closes (the test process ended).
import dgram from 'node:dgram';
import net from 'node:net';

const hostPort = (ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const validPort = (p) => Number.isInteger(p) && p >= 1 && p <= 65535;

const specs = process.argv.slice(2).map((arg) => {
  let m;
  if ((m = /^(\d+)$/.exec(arg))) return { kind: 'tcp', host: '0.0.0.0', port: Number(m[1]) };
  if ((m = /^tcp6:(\d+)$/.exec(arg))) return { kind: 'tcp', host: '::', port: Number(m[1]) };
  if ((m = /^tcp:(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(arg))) return { kind: 'tcp', host: m[1], port: Number(m[2]) };
  if ((m = /^udp:\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(arg))) return { kind: 'udp', host: m[1], port: Number(m[2]) };
  if ((m = /^udp:(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(arg))) return { kind: 'udp', host: m[1], port: Number(m[2]) };
  return null;
});
if (specs.length === 0 || specs.some((s) => s === null || !validPort(s.port))) {
  console.error('listener: usage: listener.mjs PORT|tcp6:PORT|tcp:IP:PORT|udp:IP:PORT|udp:[V6]:PORT ...');
  process.exit(2);
}

function listenTcp({ host, port }) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.setTimeout(10_000, () => sock.destroy());
      sock.write(`${hostPort(sock.localAddress, sock.localPort)}\n`);
      sock.resume();
    });
    server.on('error', reject);
    server.listen({ port, host, backlog: 1024, ...(host === '::' ? { ipv6Only: true } : {}) }, resolve);
  });
}

function listenUdp({ host, port }) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const answer = Buffer.from(`${hostPort(host, port)}\n`);
    sock.on('message', (_msg, from) => sock.send(answer, from.port, from.address));
    sock.once('error', reject);
    sock.bind({ address: host, port }, () => {
      sock.removeListener('error', reject);
      sock.on('error', () => {});
      resolve();
    });
  });
}

await Promise.all(specs.map((s) => (s.kind === 'tcp' ? listenTcp(s) : listenUdp(s))));
process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
