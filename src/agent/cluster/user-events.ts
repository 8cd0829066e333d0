// User-defined events on this node: each event's resource variable is sampled at its interval,
// its predicate evaluated on every instance (core/expr/watch.ts: fire when it becomes true, then
// wait for the rearm predicate), and a firing is handed to cluster services as a local event,
// which queues it cluster-wide like any other (lowest priority) and runs its recovery program.
//
// Which events a node watches: those whose instance has no `node`, `node: *`, or this node.
// Each (variable, instance) is read once per round and the reading shared by every event on it,
// since the reader measures intervals (idle CPU, disk busy) and previous counts between two
// reads of the same instance: events on `mount=*` and `mount=/tmp` share one read of every
// file system. Events sharing a read are sampled together, at the shortest of their intervals.

import { posix } from 'node:path';
import type { ClusterConfig, UserEventDef } from '../../core/config/model.js';
import {
  findVariable,
  INITIAL_WATCH_STATE,
  parseInstance,
  parsePredicate,
  printPredicate,
  stepWatch,
  type Expr,
  type Instance,
  type Value,
  type WatchReading,
  type WatchState,
} from '../../core/expr/index.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import { instanceKey, type ReadResult } from '../../runtime/resource-variables.js';

/** What measures the variables (runtime/resource-variables.ts; a fake in tests). */
export interface VariableReader {
  read(variable: string, instance: Instance): Promise<ReadResult>;
}

export interface UserEventMonitorOptions {
  readonly config: ClusterConfig;
  /** This node's name. */
  readonly node: string;
  readonly reader: VariableReader;
  readonly timers: Timers;
  /** An event fired here: queue it (details become the commands' EVENT_DETAIL_* variables). */
  readonly onEvent: (name: string, details: Readonly<Record<string, string>>) => void;
  readonly log: (
    level: 'info' | 'warn' | 'error',
    msg: string,
    fields: Readonly<Record<string, unknown>>,
  ) => void;
}

interface Watched {
  readonly def: UserEventDef;
  /** The instance without `node`: what is read. */
  readonly instance: Instance;
  readonly predicate: Expr;
  readonly rearm: Expr | undefined;
  state: WatchState;
}

/** One read per round, shared by the events on it. */
interface Read {
  readonly variable: string;
  readonly instance: Instance;
  readonly intervalMs: number;
  readonly events: Watched[];
  /** Problems reported last round: a problem is logged when it appears, not every round. */
  problems: ReadonlySet<string>;
  timer?: TimerHandle;
  busy: boolean;
}

/** The events this node watches, each with its predicates parsed (verify has checked them). */
export function watchedEvents(
  config: ClusterConfig,
  node: string,
): { watched: Watched[]; skipped: { event: string; why: string }[] } {
  const watched: Watched[] = [];
  const skipped: { event: string; why: string }[] = [];
  const self = config.nodes.find((n) => n.name === node);
  for (const def of config.userEvents) {
    const inst = parseInstance(def.instance ?? '');
    const predicate = parsePredicate(def.predicate);
    const rearm = def.rearm === undefined ? undefined : parsePredicate(def.rearm);
    if (!inst.ok || !predicate.ok || (rearm !== undefined && !rearm.ok)) {
      skipped.push({ event: def.name, why: 'its instance or predicates do not parse' });
      continue;
    }
    if (def.program === undefined) {
      skipped.push({ event: def.name, why: 'it has no recovery program' });
      continue;
    }
    const { node: on, ...given } = inst.instance;
    // /tmp/ is /tmp: the readings name mount points as the mount table does.
    const instance =
      given['mount'] !== undefined && given['mount'] !== '*'
        ? { ...given, mount: posix.normalize(given['mount']).replace(/(.)\/$/, '$1') }
        : given;
    if (on !== undefined && on !== '' && on !== '*' && on !== node && on !== String(self?.id))
      continue;
    watched.push({
      def,
      instance,
      predicate: predicate.expr,
      rearm: rearm?.ok === true ? rearm.expr : undefined,
      state: INITIAL_WATCH_STATE,
    });
  }
  return { watched, skipped };
}

/**
 * Groups events into reads: an event on a named instance joins the wildcard read of its
 * variable when there is one (`mount=/tmp` is among `mount=*`'s readings).
 */
export function readsOf(watched: readonly Watched[]): Read[] {
  const byKey = new Map<string, Read>();
  const wildcardOf = (w: Watched): Instance | undefined => {
    const fields = Object.keys(w.instance);
    const variable = findVariable(w.def.resourceVariable);
    const field = fields[0];
    if (fields.length !== 1 || field === undefined) return undefined;
    const wild = variable?.instance.required.find((f) => f.name === field)?.wildcard === true;
    return wild ? { [field]: '*' } : undefined;
  };
  const key = (variable: string, instance: Instance): string =>
    `${variable} ${instanceKey(instance)}`;
  const wildcards = new Set(
    watched
      .filter((w) => Object.values(w.instance).includes('*'))
      .map((w) => key(w.def.resourceVariable, w.instance)),
  );
  for (const w of watched) {
    const wild = wildcardOf(w);
    const shared =
      wild !== undefined && wildcards.has(key(w.def.resourceVariable, wild)) ? wild : w.instance;
    const k = key(w.def.resourceVariable, shared);
    const read = byKey.get(k);
    if (read) {
      read.events.push(w);
      byKey.set(k, { ...read, intervalMs: Math.min(read.intervalMs, w.def.intervalMs) });
    } else {
      byKey.set(k, {
        variable: w.def.resourceVariable,
        instance: shared,
        intervalMs: w.def.intervalMs,
        events: [w],
        problems: new Set(),
        busy: false,
      });
    }
  }
  return [...byKey.values()];
}

/** Whether a reading is of the instance an event watches (`*` matches any value). */
function matches(w: Watched, r: WatchReading): boolean {
  return Object.entries(w.instance).every(([f, v]) => v === '*' || r.instance[f] === v);
}

/** A value as a line of the log and an event detail says it. */
export function valueText(v: Value): string {
  if (typeof v === 'number') return String(Math.round(v * 100) / 100);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export class UserEventMonitor {
  readonly #o: UserEventMonitorOptions;
  readonly #reads: Read[];
  #started = false;
  /** After stop(): a round still reading does not fire. */
  #stopped = false;

  constructor(o: UserEventMonitorOptions) {
    this.#o = o;
    const { watched, skipped } = watchedEvents(o.config, o.node);
    for (const s of skipped) o.log('warn', `user event ${s.event} is not watched: ${s.why}`, {});
    this.#reads = readsOf(watched);
  }

  /** How many events this node watches. */
  get watching(): number {
    return this.#reads.reduce((n, r) => n + r.events.length, 0);
  }

  /** Samples every read now, then at its interval. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const r of this.#reads) this.#schedule(r, 0);
    if (this.#reads.length > 0) {
      this.#o.log('info', 'watching user-defined events', {
        events: this.#reads.flatMap((r) => r.events.map((e) => e.def.name)),
      });
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const r of this.#reads) if (r.timer !== undefined) this.#o.timers.cancel(r.timer);
  }

  #schedule(r: Read, delayMs: number): void {
    r.timer = this.#o.timers.setTimer(delayMs, () => {
      void this.#round(r)
        .catch((e: unknown) => {
          this.#o.log('error', `user events: a sampling round of ${r.variable} failed`, {
            error: e instanceof Error ? e.message : String(e),
          });
        })
        .finally(() => {
          if (!this.#stopped) this.#schedule(r, r.intervalMs);
        });
    });
  }

  /** One round of every read (tests call it instead of waiting for the timers). */
  async sampleAll(): Promise<void> {
    for (const r of this.#reads) await this.#round(r);
  }

  async #round(r: Read): Promise<void> {
    if (r.busy) return;
    r.busy = true;
    try {
      const got = await this.#o.reader.read(r.variable, r.instance);
      const problems = new Set(got.problems);
      for (const w of r.events) {
        let readings = got.readings.filter((x) => matches(w, x));
        // A named instance the wildcard read leaves out (a partition or dm device under
        // device=*, a mount point that is not mounted) is read on its own, which also names
        // what is wrong with it; the reader's state for it is then this read's alone.
        const named = !Object.values(w.instance).includes('*');
        if (readings.length === 0 && named && instanceKey(w.instance) !== instanceKey(r.instance)) {
          const own = await this.#o.reader.read(r.variable, w.instance);
          for (const p of own.problems) problems.add(p);
          readings = [...own.readings];
        }
        this.#step(w, readings);
      }
      for (const p of problems) {
        if (!r.problems.has(p))
          this.#o.log('warn', `user events cannot read ${r.variable}: ${p}`, {
            events: r.events.map((e) => e.def.name),
          });
      }
      r.problems = problems;
    } finally {
      r.busy = false;
    }
  }

  #step(w: Watched, readings: readonly WatchReading[]): void {
    const s = stepWatch({ predicate: w.predicate, rearm: w.rearm }, w.state, readings);
    w.state = s.state;
    const name = w.def.name;
    const variable = w.def.resourceVariable;
    for (const e of s.errors) {
      this.#o.log('warn', `user event ${name}: the predicate cannot be evaluated`, {
        instance: e.key,
        why: e.message,
      });
    }
    for (const key of s.rearmed) {
      this.#o.log('info', `user event ${name} re-armed`, { variable, instance: key });
    }
    if (this.#stopped) return;
    for (const f of s.fired) {
      const value = valueText(f.value);
      this.#o.log('info', `user event ${name} fired: ${variable} ${f.key} is ${value}`, {
        predicate: printPredicate(w.predicate),
      });
      this.#o.onEvent(name, { variable, instance: f.key, value });
    }
  }
}
