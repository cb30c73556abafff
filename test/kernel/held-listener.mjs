// Endpoint pods whose connections stay open: listeners in the pod namespace that never time a
// connection out (listener.mjs drops idle ones after 10 s). Each accepted TCP connection is told
// "LOCAL PEER\n" (the endpoint "ip:port" it reached and the peer "ip:port" the endpoint sees, so
// the client learns whether its source was rewritten), and the listener prints one JSON line per
// event on stdout: {"event":"accept"|"close","local","peer"}. It closes its side only after the
// client's FIN (the client closes first, so the node's conntrack entry ends in TIME_WAIT).
// Arguments: PORT... (TCP on 0.0.0.0). Prints {"event":"ready"} once listening; exits when its
// stdin closes (the test process ended).
import net from 'node:net';

const hostPort = (ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const ports = process.argv.slice(2).map(Number);
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  console.error('held-listener: usage: held-listener.mjs PORT...');
  process.exit(2);
}

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function listen(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => {
      const local = hostPort(sock.localAddress, sock.localPort);
      const peer = hostPort(sock.remoteAddress, sock.remotePort);
      say({ event: 'accept', local, peer });
      sock.on('error', () => {});
      sock.write(`${local} ${peer}\n`);
      sock.resume();
      sock.on('end', () => sock.end());
      sock.on('close', () => say({ event: 'close', local, peer }));
    });
    server.on('error', reject);
    server.listen({ port, host: '0.0.0.0', backlog: 1024 }, resolve);
  });
}

await Promise.all(ports.map(listen));
say({ event: 'ready' });
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
