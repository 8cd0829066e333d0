// A cluster of real Haven agents on this machine, for integration tests, benchmarks and the
// demo: each node is an agent process with its own loopback addresses on each IP network
// (127.<10+network>.<node / 256>.<node % 256>), plus a shared file as the disk heartbeat.
// Only loopback addresses are used, and only the processes started here are ever signalled.

import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeKeyFile } from '../runtime/keyfile.js';
import { callAgent } from '../cli/control-client.js';

/**
 * Where the cluster's directory (and so its disk heartbeat file) goes: /dev/shm, a memory
 * file system, when it is there. On the host's real disk, a synchronous write under load
 * (another job's writeback, a journal commit) can take longer than the whole detection
 * window of the shipped 150ms x 4 timing, and every disk path then goes silent at once: a
 * false node_down in a test about topology logic, not about this machine's disk. The disk
 * heartbeat's I/O on a real file system is tested by runtime/diskhb.test.ts.
 */
async function scratchBase(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

const HAVEN = fileURLToPath(new URL('../../bin/haven.js', import.meta.url));

export interface LocalClusterOptions {
  readonly nodes: number;
  /** IP networks (each node has one interface on each). @default 2 */
  readonly ipNetworks?: number;
  /** A disk heartbeat network on a shared file. @default true */
  readonly disk?: boolean;
  readonly intervalMs?: number;
  readonly sensitivity?: number;
  /** UDP port of the heartbeats. @default a port derived from the process id */
  readonly port?: number;
  readonly clusterId?: number;
  /** Extra YAML appended to the definition (resources, groups). */
  readonly extraYaml?: string;
  /**
   * One more IP network, whose interfaces exist on this host already (the demo's dummy
   * interface): each node gets one interface on it, on `device`, at `address(i)` (1-based).
   */
  readonly extraNetwork?: {
    readonly name: string;
    readonly device: string;
    readonly address: (node: number) => string;
  };
  /** The node executable (another Node version). @default process.execPath */
  readonly nodeBinary?: string;
}

/** One log line of an agent, with the time the harness read it. */
export interface AgentLine {
  readonly node: string;
  readonly readAtMs: number;
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly event?: {
    readonly type: string;
    readonly node?: string;
    readonly network?: string;
    readonly iface?: string;
  };
  readonly [key: string]: unknown;
}

export const nodeName = (i: number): string => `n${i}`;
export const nodeAddress = (network: number, i: number): string =>
  `127.${10 + network}.${Math.floor(i / 256)}.${i % 256}`;

export class LocalCluster {
  readonly lines: AgentLine[] = [];
  readonly #procs = new Map<string, ChildProcess>();
  readonly #exits = new Map<string, Promise<number | null>>();
  readonly #waiters: { pred: (l: AgentLine) => boolean; resolve: (l: AgentLine) => void }[] = [];

  private constructor(
    readonly dir: string,
    readonly options: LocalClusterOptions,
    readonly names: readonly string[],
  ) {}

  static async create(options: LocalClusterOptions): Promise<LocalCluster> {
    const dir = await mkdtemp(join(await scratchBase(), 'haven-cluster-'));
    const names = Array.from({ length: options.nodes }, (_, i) => nodeName(i + 1));
    const c = new LocalCluster(dir, options, names);
    await writeFile(c.configPath, c.definition());
    await writeKeyFile(join(dir, 'cluster.key'));
    return c;
  }

  get configPath(): string {
    return join(this.dir, 'cluster.yaml');
  }

  socket(node: string): string {
    return join(this.dir, `${node}.sock`);
  }

  /** Where the node's cluster.log, events.log and history go. */
  logDir(node: string): string {
    return join(this.dir, `logs-${node}`);
  }

  definition(): string {
    const o = this.options;
    const nets = o.ipNetworks ?? 2;
    const port = o.port ?? 20000 + (process.pid % 30000);
    const lines = [
      `cluster: { name: local, id: ${o.clusterId ?? 77}, port: ${port} }`,
      `tunables:`,
      `  heartbeat: { interval: ${o.intervalMs ?? 150}ms, sensitivity: ${o.sensitivity ?? 4} }`,
      `networks:`,
      ...Array.from({ length: nets }, (_, n) => `  - { name: net${n + 1}, type: ether }`),
      ...(o.disk === false ? [] : ['  - { name: disk1, type: diskhb }']),
      ...(o.extraNetwork ? [`  - { name: ${o.extraNetwork.name}, type: ether, ipat: alias }`] : []),
      `nodes:`,
    ];
    this.names.forEach((name, k) => {
      const i = k + 1;
      lines.push(`  - name: ${name}`, `    id: ${i}`, `    interfaces:`);
      for (let n = 1; n <= nets; n++) {
        lines.push(
          `      - { network: net${n}, device: eth${n - 1}, address: ${nodeAddress(n, i)}/16 }`,
        );
      }
      if (o.disk !== false)
        lines.push(`      - { network: disk1, device: ${join(this.dir, 'disk')} }`);
      const x = o.extraNetwork;
      if (x)
        lines.push(`      - { network: ${x.name}, device: ${x.device}, address: ${x.address(i)} }`);
    });
    if (o.extraYaml) lines.push(o.extraYaml);
    return `${lines.join('\n')}\n`;
  }

  /** Starts the agent of `node`; resolves when it says it started. */
  async start(node: string, timeoutMs = 15000): Promise<void> {
    // Only this life's lines count: a restarted node has logged 'agent started' before.
    const since = Date.now();
    const args = [
      HAVEN,
      'agent',
      '--config',
      this.configPath,
      '--node',
      node,
      '--key',
      join(this.dir, 'cluster.key'),
      '--state-dir',
      join(this.dir, `state-${node}`),
      '--socket',
      this.socket(node),
      '--log-dir',
      this.logDir(node),
      '--test-hooks',
      '--create-disk-files',
    ];
    const child = spawn(this.options.nodeBinary ?? process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#procs.set(node, child);
    this.#exits.set(
      node,
      new Promise((resolve) =>
        child.once('exit', (code) => {
          resolve(code);
        }),
      ),
    );
    const read = (stream: NodeJS.ReadableStream): void => {
      createInterface({ input: stream }).on('line', (text) => {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { time: '', level: 'raw', msg: text };
        }
        const line = { ...parsed, node, readAtMs: Date.now() } as AgentLine;
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.pred(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      });
    };
    read(child.stdout);
    read(child.stderr);
    await this.waitFor(
      (l) => l.node === node && l.msg === 'agent started' && l.readAtMs >= since,
      timeoutMs,
      `${node} to start`,
    );
  }

  async startAll(): Promise<void> {
    await Promise.all(this.names.map((n) => this.start(n)));
  }

  /** The first line (already read or still to come) that matches. Bounded by timeoutMs. */
  waitFor(
    pred: (l: AgentLine) => boolean,
    timeoutMs: number,
    what = 'a log line',
  ): Promise<AgentLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        pred,
        resolve: (l: AgentLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Waits until every running agent sees every other running agent up (since `sinceMs`). */
  async waitConverged(timeoutMs = 15000, sinceMs = 0): Promise<void> {
    const running = [...this.#procs.keys()];
    await Promise.all(
      running.flatMap((a) =>
        running
          .filter((b) => b !== a)
          .map((b) =>
            this.waitFor(
              (l) =>
                l.node === a &&
                l.readAtMs >= sinceMs &&
                l.event?.type === 'node_up' &&
                l.event.node === b,
              timeoutMs,
              `${a} to see ${b} up`,
            ),
          ),
      ),
    );
  }

  /**
   * Waits until cluster services are settled: every running agent is stable (no event
   * running or queued), in the same view, whose members are exactly the running agents.
   */
  async waitStable(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = [...this.#procs.keys()].sort();
      const seen: string[] = [];
      for (const n of running) {
        try {
          const s = (await this.call(n, 'cluster.status')) as {
            cm: { state: string; view: { epoch: string; members: string[] } | null };
          };
          seen.push(
            `${n}:${s.cm.state}:${s.cm.view?.epoch ?? '-'}:${s.cm.view?.members.join(',') ?? ''}`,
          );
        } catch (e) {
          seen.push(`${n}:unreachable(${e instanceof Error ? e.message : String(e)})`);
        }
      }
      const want = running.join(',');
      const epochs = new Set(seen.map((x) => x.split(':')[2]));
      if (
        seen.every((x) => x.split(':')[1] === 'stable' && x.split(':')[3] === want) &&
        epochs.size === 1
      )
        return;
      if (Date.now() > deadline)
        throw new Error(
          `cluster services not stable within ${String(timeoutMs)} ms: ${seen.join(' ')}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  pid(node: string): number | undefined {
    return this.#procs.get(node)?.pid;
  }

  /** Resolves with the exit code once the agent exits by itself (after a stop), and forgets it. */
  async exited(node: string): Promise<number | null> {
    const code = await this.#exits.get(node);
    this.#procs.delete(node);
    return code ?? null;
  }

  /** Sends a signal to an agent this harness started; resolves with its exit code. */
  async kill(node: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.#procs.get(node);
    if (!child) return null;
    child.kill(signal);
    const code = await this.#exits.get(node);
    this.#procs.delete(node);
    return code ?? null;
  }

  call(node: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    return callAgent(this.socket(node), method, params);
  }

  /** CPU seconds and resident memory of an agent, from /proc. */
  async usage(node: string): Promise<{ cpuSeconds: number; rssBytes: number } | undefined> {
    const pid = this.pid(node);
    if (pid === undefined) return undefined;
    try {
      const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; in clock ticks.
      const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
      return { cpuSeconds: ticks / 100, rssBytes: rssKb * 1024 };
    } catch {
      return undefined;
    }
  }

  /** Stops every agent (SIGTERM, then SIGKILL after graceMs) and removes the directory. */
  async destroy(graceMs = 5000): Promise<void> {
    await Promise.all(
      [...this.#procs.keys()].map(async (node) => {
        const child = this.#procs.get(node);
        if (!child) return;
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await this.kill(node, 'SIGTERM');
        clearTimeout(timer);
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}
