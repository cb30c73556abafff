/**
 * Connections that stay open while a test reads conntrack: held-listener.mjs in the endpoints'
 * namespace (it knows which endpoint accepted what, from which peer) and held-connector.mjs in a
 * client namespace (it opens N connections, holds them until told, then closes first). Both run
 * through `ip netns exec`, with argument arrays, and are killed when the test process ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LISTENER = path.join(HERE, 'held-listener.mjs');
const CONNECTOR = path.join(HERE, 'held-connector.mjs');

const running = new Set<ChildProcess>();
let hooked = false;

function kill(child: ChildProcess): void {
  running.delete(child);
  child.stdin?.destroy();
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A program in a namespace whose stdout is JSON lines, each handed to `onEvent`. */
function spawnJsonLines(ns: string, argv: readonly string[], onEvent: (e: Record<string, unknown>) => void): { child: ChildProcess; stderr: () => string } {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => [...running].forEach(kill));
  }
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let buffered = '';
  let errText = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (errText += d));
  child.stdout!.on('data', (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') onEvent(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.on('exit', () => running.delete(child));
  return { child, stderr: () => errText };
}

/** Waits for `test` to hold, re-checked on every event; rejects when the child exits first or time runs out. */
function waitFor(child: ChildProcess, what: string, test: () => boolean, register: (check: () => void) => void, stderr: () => string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (test()) return resolve();
    const timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms: ${stderr()}`)), ms);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      if (test()) resolve();
      else reject(new Error(`${what}: exited (${code}) first: ${stderr()}`));
    };
    child.once('exit', onExit);
    register(() => {
      if (!test()) return;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      resolve();
    });
  });
}

export interface ListenerEvent {
  readonly event: 'accept' | 'close';
  /** The endpoint "ip:port" that accepted. */
  readonly local: string;
  /** The peer "ip:port" the endpoint saw (the node's address when the kernel masqueraded). */
  readonly peer: string;
}

/** held-listener.mjs in the endpoints' namespace. */
export class HeldListener {
  readonly events: ListenerEvent[] = [];
  private checks: Array<() => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly stderr: () => string,
  ) {}

  static async start(ns: string, ports: readonly number[]): Promise<HeldListener> {
    let ready = false;
    let self: HeldListener | null = null;
    const { child, stderr } = spawnJsonLines(ns, [process.execPath, LISTENER, ...ports.map(String)], (e) => {
      if (e.event === 'ready') ready = true;
      else self?.events.push(e as unknown as ListenerEvent);
      for (const c of self?.checks ?? []) c();
    });
    self = new HeldListener(child, stderr);
    await waitFor(child, 'held-listener', () => ready, (c) => self!.checks.push(c), stderr, 15_000);
    return self;
  }

  /** The connections accepted and not yet closed. */
  openConnections(): ListenerEvent[] {
    const open = new Map<string, ListenerEvent>();
    for (const e of this.events) {
      const key = `${e.local} ${e.peer}`;
      if (e.event === 'accept') open.set(key, e);
      else open.delete(key);
    }
    return [...open.values()];
  }

  /**
   * Resolves once `n` connections are open. The listener's account comes on its own pipe: under
   * load the clients' "open" lines can be read before its last "accept" ones.
   */
  accepted(n: number, ms = 20_000): Promise<void> {
    return waitFor(this.child, `held-listener accepts ${n}`, () => this.openConnections().length >= n, (c) => this.checks.push(c), this.stderr, ms);
  }

  /** Resolves once every connection it accepted was closed (both FINs seen). */
  allClosed(ms = 20_000): Promise<void> {
    return waitFor(this.child, 'held-listener closes', () => this.openConnections().length === 0, (c) => this.checks.push(c), this.stderr, ms);
  }

  stop(): void {
    kill(this.child);
  }
}

export interface HeldTarget {
  readonly ip: string;
  readonly port: number;
  readonly count: number;
}

export interface HeldConnection {
  readonly target: number;
  /** "ip:port" dialled. */
  readonly dst: string;
  readonly src: string;
  readonly sport: number;
  /** The endpoint "ip:port" that accepted, as the listener told it. */
  readonly answeredBy: string;
  /** The peer "ip:port" the endpoint saw. */
  readonly peer: string;
}

/** held-connector.mjs in a client namespace: N connections open until close(). */
export class HeldConnections {
  readonly connections: HeldConnection[] = [];
  readonly failures: Array<Record<string, unknown>> = [];
  private held = false;
  private closed = false;
  private checks: Array<() => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly stderr: () => string,
  ) {}

  /** Opens every connection; resolves once all were attempted (see `failures`). */
  static async open(ns: string, sourceAddress: string, targets: readonly HeldTarget[], timeoutMs = 5000): Promise<HeldConnections> {
    let self: HeldConnections | null = null;
    const plan = JSON.stringify({ targets, sourceAddress, timeoutMs });
    const { child, stderr } = spawnJsonLines(ns, [process.execPath, CONNECTOR, plan], (e) => {
      if (e.event === 'open') self!.connections.push(e as unknown as HeldConnection);
      else if (e.event === 'failed') self!.failures.push(e);
      else if (e.event === 'held') self!.held = true;
      else if (e.event === 'closed') self!.closed = true;
      for (const c of self!.checks) c();
    });
    self = new HeldConnections(child, stderr);
    await waitFor(child, `held-connector in ${ns}`, () => self!.held, (c) => self!.checks.push(c), stderr, 60_000);
    return self;
  }

  /** The client closes first on every connection; resolves once every socket is closed. */
  async close(): Promise<void> {
    this.child.stdin!.write('close\n');
    await waitFor(this.child, 'held-connector close', () => this.closed, (c) => this.checks.push(c), this.stderr, 30_000);
  }

  stop(): void {
    kill(this.child);
  }
}
