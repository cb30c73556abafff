// Makes many TCP connections (or UDP exchanges: one datagram out, the endpoint's one back) from
// inside a network namespace and prints one JSON line per attempt.
// Run as: ip netns exec NS node connector.mjs '<json plan>'
// plan: {targets:[{ip,port,count,timeoutMs?,protocol?,sourceAddress?}], sourceAddress, sportBase, timeoutMs, parallel, deadlineMs}
// protocol is 'tcp' (default) or 'udp'; ip may be IPv4 or IPv6 (sourceAddress of the same family);
// a target's sourceAddress overrides the plan's.
// Each attempt binds its own source port (sportBase + n) so the caller can find it in conntrack,
// even for attempts that fail and never report a local port.
import dgram from 'node:dgram';
import net from 'node:net';

const MAX_ATTEMPTS = 20000;
const ANSWER_TIMEOUT_MS = 5000;
const plan = JSON.parse(process.argv[2] ?? '{}');
const clampTimeout = (ms) => Math.min(Math.max(ms, 50), 10000);
const defaultTimeoutMs = clampTimeout(plan.timeoutMs ?? 1000);
const parallel = Math.min(Math.max(plan.parallel ?? 16, 1), 128);
const deadline = Date.now() + Math.min(plan.deadlineMs ?? 60000, 300000);

const attempts = [];
for (const [target, t] of (plan.targets ?? []).entries()) {
  const timeoutMs = t.timeoutMs === undefined ? defaultTimeoutMs : clampTimeout(t.timeoutMs);
  const protocol = t.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') {
    console.error(`connector: unknown protocol ${protocol}`);
    process.exit(2);
  }
  const src = t.sourceAddress ?? plan.sourceAddress;
  for (let k = 0; k < t.count; k++) attempts.push({ target, ip: t.ip, port: t.port, timeoutMs, protocol, src });
}
if (attempts.length > MAX_ATTEMPTS) {
  console.error(`connector: ${attempts.length} attempts exceed the limit of ${MAX_ATTEMPTS}`);
  process.exit(2);
}
attempts.forEach((a, i) => (a.sport = plan.sportBase + i));
if (attempts.length > 0 && attempts[attempts.length - 1].sport > 65535) {
  console.error('connector: source ports run past 65535');
  process.exit(2);
}

const hostPort = (ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function errorResult(code) {
  if (code === 'ECONNREFUSED') return 'refused';
  // A DROP in the node's own OUTPUT path fails connect() at once with EPERM.
  if (code === 'EPERM') return 'dropped-local';
  return 'error';
}

// The client closes first (FIN after reading the endpoint's answer): TIME_WAIT then stays on the
// dialling side, keyed by its unique source port. Were the endpoint to close first, its
// TIME_WAIT sockets could meet a later masqueraded connection that happens to reuse the same
// source port, once conntrack has been flushed, and turn its SYN into a second NAT decision.
function attempt(a) {
  return new Promise((resolve) => {
    const started = Date.now();
    let data = '';
    let done = false;
    let connected = false;
    const sock = net.connect({ host: a.ip, port: a.port, localAddress: a.src, localPort: a.sport });
    const finish = (result, extra = {}) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (result === 'connected') sock.end();
      else sock.destroy();
      resolve({ target: a.target, dst: hostPort(a.ip, a.port), src: a.src, sport: a.sport, result, ms: Date.now() - started, ...extra });
    };
    let timer = setTimeout(() => finish(connected ? 'connected' : 'timeout'), a.timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      connected = true;
      // Connected: the verdict is known; give a busy machine time to deliver the endpoint's answer
      // too, so "which endpoint" is not lost to a short connect timeout.
      clearTimeout(timer);
      timer = setTimeout(() => finish('connected'), ANSWER_TIMEOUT_MS);
    });
    sock.on('data', (d) => {
      data += d;
      const nl = data.indexOf('\n');
      if (nl >= 0) finish('connected', { answeredBy: data.slice(0, nl).trim() });
    });
    sock.on('end', () => finish('connected'));
    sock.on('error', (e) => finish(connected ? 'connected' : errorResult(e.code), { error: e.code }));
  });
}

// UDP: a connected socket sends one datagram and waits for the endpoint's one answer. An ICMP
// port unreachable (REJECT) comes back as ECONNREFUSED, a DROP in the node's own OUTPUT as EPERM
// from send; no answer before the timeout is a timeout (dropped, or nobody answered).
function attemptUdp(a) {
  return new Promise((resolve) => {
    const started = Date.now();
    let done = false;
    const sock = dgram.createSocket(a.ip.includes(':') ? 'udp6' : 'udp4');
    const finish = (result, extra = {}) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // never bound
      }
      resolve({ target: a.target, dst: hostPort(a.ip, a.port), src: a.src, sport: a.sport, result, ms: Date.now() - started, ...extra });
    };
    const timer = setTimeout(() => finish('timeout'), a.timeoutMs);
    sock.on('error', (e) => finish(errorResult(e.code), { error: e.code }));
    sock.on('message', (msg) => finish('connected', { answeredBy: msg.toString('utf8').trim() }));
    sock.bind({ address: a.src, port: a.sport }, () => {
      sock.connect(a.port, a.ip, (err) => {
        if (err) return finish(errorResult(err.code), { error: err.code });
        sock.send('?\n', (e) => {
          if (e) finish(errorResult(e.code), { error: e.code });
        });
      });
    });
  });
}

let next = 0;
async function worker() {
  while (next < attempts.length) {
    const a = attempts[next++];
    if (Date.now() > deadline) {
      process.stdout.write(JSON.stringify({ target: a.target, dst: hostPort(a.ip, a.port), src: a.src, sport: a.sport, result: 'not-run' }) + '\n');
      continue;
    }
    process.stdout.write(JSON.stringify(await (a.protocol === 'udp' ? attemptUdp(a) : attempt(a))) + '\n');
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, attempts.length) }, worker));
