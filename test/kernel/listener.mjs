// The endpoint pods: one TCP listener per port on 0.0.0.0 in the pod namespace. Each connection is
// answered with the local "ip:port" it reached, so the client sees which endpoint answered.
// The client closes first (see connector.mjs); a connection left open is dropped after 10 s.
// Prints "ready" once every port listens; exits when its stdin closes (the test process ended).
import net from 'node:net';

const ports = process.argv.slice(2).map(Number);
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  console.error('listener: usage: listener.mjs PORT...');
  process.exit(2);
}
await Promise.all(
  ports.map(
    (port) =>
      new Promise((resolve, reject) => {
        const server = net.createServer((sock) => {
          sock.on('error', () => {});
          sock.setTimeout(10_000, () => sock.destroy());
          sock.write(`${sock.localAddress}:${sock.localPort}\n`);
          sock.resume();
        });
        server.on('error', reject);
        server.listen({ port, host: '0.0.0.0', backlog: 1024 }, resolve);
      }),
  ),
);
process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
