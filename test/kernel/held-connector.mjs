// Long-lived TCP connections from inside a network namespace, held open until told to close.
// Run as: ip netns exec NS node held-connector.mjs '<json plan>'
// plan: {targets:[{ip,port,count}], sourceAddress, timeoutMs}
// Opens every connection (a few at a time), reads the endpoint's "LOCAL PEER" line
// (held-listener.mjs) and prints one JSON line per connection on stdout:
//   {"event":"open","target","dst","src","sport","answeredBy","peer"} or {"event":"failed",...,"error"}
// then {"event":"held","open":n}. A line "close" on stdin makes the client close first (FIN) on
// every connection; once the endpoint's FIN came back and every socket is closed it prints
// {"event":"closed","n":n} and exits. stdin closing without "close" exits at once (test ended).
import net from 'node:net';

const plan = JSON.parse(process.argv[2] ?? '{}');
const timeoutMs = Math.min(Math.max(plan.timeoutMs ?? 5000, 100), 30000);
const PARALLEL = 8;
const hostPort = (ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const attempts = [];
for (const [target, t] of (plan.targets ?? []).entries()) {
  for (let k = 0; k < t.count; k++) attempts.push({ target, ip: t.ip, port: t.port });
}

const open = [];

function dial(a) {
  return new Promise((resolve) => {
    const dst = hostPort(a.ip, a.port);
    const sock = net.connect({ host: a.ip, port: a.port, localAddress: plan.sourceAddress });
    let data = '';
    let done = false;
    const fail = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      say({ event: 'failed', target: a.target, dst, src: plan.sourceAddress, error });
      resolve();
    };
    const timer = setTimeout(() => fail('timeout'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => fail(e.code ?? e.message));
    sock.on('data', (d) => {
      if (done) return;
      data += d;
      const nl = data.indexOf('\n');
      if (nl < 0) return;
      done = true;
      clearTimeout(timer);
      const [answeredBy, peer] = data.slice(0, nl).trim().split(' ');
      const closed = new Promise((r) => sock.on('close', r));
      open.push({ sock, closed });
      say({ event: 'open', target: a.target, dst, src: sock.localAddress, sport: sock.localPort, answeredBy, peer });
      resolve();
    });
  });
}

let next = 0;
async function worker() {
  while (next < attempts.length) await dial(attempts[next++]);
}
await Promise.all(Array.from({ length: Math.min(PARALLEL, attempts.length) }, worker));
say({ event: 'held', open: open.length });

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (d) => {
  input += d;
  if (!input.includes('close\n')) return;
  input = '';
  for (const c of open) c.sock.end();
  await Promise.all(open.map((c) => c.closed));
  say({ event: 'closed', n: open.length });
  process.exit(0);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
