// This node's facts for dynamic node priority, gathered every few seconds and given to cluster
// services, which send them to the view's leader (placement ranks fallover candidates by them):
//
// - freeMemory: MemAvailable from /proc/meminfo, in KiB;
// - idleCpu: the share of CPU time spent idle (and waiting for I/O) since the last reading, %;
// - diskBusy: the busiest block device's share of time doing I/O since the last reading, %
//   (/proc/diskstats' io_ticks; loop, ram and device-mapper devices left out);
// - script: for each group whose dynamic priority is `script`, the first number its script
//   printed (run with its time limit; a failed or silent script gives no value, which ranks the
//   node last).

import { readFile } from 'node:fs/promises';
import type { ClusterConfig } from '../../core/config/model.js';
import type { NodeFacts } from '../../core/placement/types.js';
import type { ProcessRunner } from '../../core/ports/process.js';
import {
  isVirtualBlockDevice,
  parseCpuTimes,
  parseDiskstats,
  parseMeminfo,
} from '../../runtime/proc-stats.js';

export interface FactsOptions {
  readonly config: ClusterConfig;
  readonly node: string;
  readonly runner: ProcessRunner;
  readonly onFacts: (facts: NodeFacts) => void;
  readonly onError: (what: string, error: unknown) => void;
  /** @default 5000 */
  readonly everyMs?: number;
  /** Where /proc is (tests). @default /proc */
  readonly proc?: string;
}

interface Sample {
  readonly cpuIdle: number;
  readonly cpuTotal: number;
  readonly ioTicks: ReadonlyMap<string, number>;
  readonly atMs: number;
}

export class FactsCollector {
  readonly #o: FactsOptions;
  #timer: NodeJS.Timeout | undefined;
  #last: Sample | undefined;
  #busy = false;

  constructor(o: FactsOptions) {
    this.#o = o;
  }

  /** Reads now (the first reading has no CPU or disk figures yet), then every everyMs. */
  start(): void {
    void this.collect();
    this.#timer = setInterval(() => {
      void this.collect();
    }, this.#o.everyMs ?? 5000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** One reading, passed to onFacts; resolves with it (undefined while one is in flight). */
  async collect(): Promise<NodeFacts | undefined> {
    if (this.#busy) return undefined;
    this.#busy = true;
    try {
      const facts = await this.#read();
      this.#o.onFacts(facts);
      return facts;
    } finally {
      this.#busy = false;
    }
  }

  async #read(): Promise<NodeFacts> {
    const proc = this.#o.proc ?? '/proc';
    const out: {
      freeMemory?: number;
      idleCpu?: number;
      diskBusy?: number;
      script?: Record<string, number>;
    } = {};
    try {
      const mem = parseMeminfo(await readFile(`${proc}/meminfo`, 'utf8')).get('MemAvailable');
      if (mem !== undefined) out.freeMemory = mem;
    } catch (e) {
      this.#o.onError('free memory (/proc/meminfo)', e);
    }
    try {
      const now = await this.#sample(proc);
      const last = this.#last;
      this.#last = now;
      if (last) {
        const total = now.cpuTotal - last.cpuTotal;
        if (total > 0) out.idleCpu = round(((now.cpuIdle - last.cpuIdle) / total) * 100);
        const elapsed = now.atMs - last.atMs;
        let busiest = 0;
        for (const [dev, ticks] of now.ioTicks) {
          const before = last.ioTicks.get(dev);
          if (before !== undefined && elapsed > 0)
            busiest = Math.max(busiest, ((ticks - before) / elapsed) * 100);
        }
        out.diskBusy = round(Math.min(100, busiest));
      }
    } catch (e) {
      this.#o.onError('CPU and disk use (/proc/stat, /proc/diskstats)', e);
    }
    const scripts = this.#o.config.resourceGroups.filter(
      (g) =>
        g.nodes.includes(this.#o.node) &&
        g.dynamicPriority?.policy === 'script' &&
        g.dynamicPriority.script !== undefined,
    );
    for (const g of scripts) {
      const dp = g.dynamicPriority;
      if (!dp?.script) continue;
      try {
        const r = await this.#o.runner.run({
          command: { shell: dp.script },
          env: {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            HAVEN_GROUP: g.name,
            HAVEN_NODE: this.#o.node,
          },
          cwd: '/',
          timeoutMs: dp.timeoutMs,
          killGraceMs: 1000,
          maxOutputBytes: 4096,
        });
        const n = /-?\d+(\.\d+)?/.exec(r.stdout)?.[0];
        if (r.exitCode === 0 && n !== undefined) (out.script ??= {})[g.name] = Number(n);
        else
          this.#o.onError(
            `the dynamic priority script of ${g.name}`,
            `exit ${String(r.exitCode)}, output ${JSON.stringify(r.stdout.slice(0, 80))}`,
          );
      } catch (e) {
        this.#o.onError(`the dynamic priority script of ${g.name}`, e);
      }
    }
    return out;
  }

  async #sample(proc: string): Promise<Sample> {
    const cpu = parseCpuTimes(await readFile(`${proc}/stat`, 'utf8'));
    // Waiting for I/O counts as idle here: the CPU could take on a group's work meanwhile.
    const cpuTotal = cpu?.total ?? 0;
    const cpuIdle = (cpu?.idle ?? 0) + (cpu?.iowait ?? 0);
    const ioTicks = new Map<string, number>();
    try {
      const stats = parseDiskstats(await readFile(`${proc}/diskstats`, 'utf8'));
      for (const [dev, ticks] of stats) if (!isVirtualBlockDevice(dev)) ioTicks.set(dev, ticks);
    } catch {
      // No block devices to read (a container): no disk figure.
    }
    return { cpuIdle, cpuTotal, ioTicks, atMs: Date.now() };
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;
