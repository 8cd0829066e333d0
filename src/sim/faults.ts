// Faults, and the seeded generator of fault schedules. A schedule is plain data (a list of
// timed faults), made before the run from its own random stream, so the faults a seed
// produces do not depend on what the protocol under test does; the engine applies them
// (engine.ts) and the README's "Fault model" says what each one means precisely.
import type { NodeNo } from '../core/cluster/node.js';
import type { SeededRandom } from '../core/random.js';
import { uniform, type Range } from './draw.js';

export type Fault =
  /** Every link to and from the node cut. */
  | { readonly type: 'isolate'; readonly node: NodeNo }
  /** No message crosses between the two sides (majority/minority, or a tie when equal). */
  | { readonly type: 'split'; readonly a: readonly NodeNo[]; readonly b: readonly NodeNo[] }
  /** `node` hears and is heard by both halves; the halves do not hear each other. */
  | {
      readonly type: 'bridge';
      readonly node: NodeNo;
      readonly a: readonly NodeNo[];
      readonly b: readonly NodeNo[];
    }
  /** `from`'s messages reach `to`, `to`'s do not reach `from`. */
  | { readonly type: 'one-way'; readonly from: NodeNo; readonly to: NodeNo }
  /** Both directions between a and b set up or down: the steps of a flapping link. */
  | { readonly type: 'link'; readonly a: NodeNo; readonly b: NodeNo; readonly up: boolean }
  /** Every link up. */
  | { readonly type: 'heal' }
  /** The node stops dead: its state is lost, its holdings are gone, until a restart. */
  | { readonly type: 'crash'; readonly node: NodeNo }
  /** A crashed node boots: fresh `init`, then a `start` input. */
  | { readonly type: 'restart'; readonly node: NodeNo }
  /** The node freezes for `durationMs`: it processes nothing, sends nothing, keeps what it holds. */
  | { readonly type: 'pause'; readonly node: NodeNo; readonly durationMs: number }
  /** The end of the fault period: heal, resume every paused node, restart every crashed one. */
  | { readonly type: 'heal-all' };

export type FaultKind =
  'isolate' | 'split' | 'bridge' | 'one-way' | 'flap' | 'heal' | 'crash' | 'restart' | 'pause';

export interface ScheduledFault {
  readonly atMs: number;
  readonly fault: Fault;
}

export interface FaultPlanOptions {
  /** Relative weights of each kind; 0 disables one. @default DEFAULT_FAULT_WEIGHTS */
  readonly weights?: Readonly<Partial<Record<FaultKind, number>>> | undefined;
  /** Gap between two faults, uniform in this range (ms). @default [0, 2000] */
  readonly gapMs?: Range | undefined;
  /** Percent of gaps that are a quiet period instead (the cluster may settle). @default 15 */
  readonly quietPercent?: number | undefined;
  /** Length of a quiet period (ms). @default [3000, 10000] */
  readonly quietMs?: Range | undefined;
  /** Length of a pause (ms). @default [50, 4000] */
  readonly pauseMs?: Range | undefined;
  /** Percent of crashes followed by a restart before the fault period ends. @default 75 */
  readonly restartPercent?: number | undefined;
  /** Time a crashed node stays down before its planned restart (ms). @default [100, 5000] */
  readonly downMs?: Range | undefined;
  /** How long a link flaps (ms). @default [500, 5000] */
  readonly flapMs?: Range | undefined;
  /** Time between two toggles of a flapping link (ms). @default [10, 400] */
  readonly flapToggleMs?: Range | undefined;
}

export const DEFAULT_FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  isolate: 2,
  split: 2,
  bridge: 1,
  'one-way': 1,
  flap: 1,
  heal: 3,
  crash: 2,
  restart: 1,
  pause: 2,
};

const KINDS = Object.keys(DEFAULT_FAULT_WEIGHTS) as FaultKind[];

/**
 * A random fault schedule over [0, faultsEndMs), then `heal-all` at faultsEndMs. Crashes,
 * restarts and pauses only pick nodes in a state where they mean something (the generator
 * tracks who is down or paused as it goes); network shapes apply on top of each other until a
 * `heal`. The result is sorted by time; faults at the same time keep their generation order.
 */
export function generateFaults(
  random: SeededRandom,
  nodes: readonly NodeNo[],
  faultsEndMs: number,
  options: FaultPlanOptions = {},
): ScheduledFault[] {
  const weights = { ...DEFAULT_FAULT_WEIGHTS, ...options.weights };
  const gapMs = options.gapMs ?? [0, 2000];
  const quietPercent = options.quietPercent ?? 15;
  const quietMs = options.quietMs ?? [3000, 10000];
  const pauseMs = options.pauseMs ?? [50, 4000];
  const restartPercent = options.restartPercent ?? 75;
  const downMs = options.downMs ?? [100, 5000];
  const flapMs = options.flapMs ?? [500, 5000];
  const flapToggleMs = options.flapToggleMs ?? [10, 400];

  const out: ScheduledFault[] = [];
  // Per node: down until (Infinity: no restart planned), paused until.
  const downUntil = new Map<NodeNo, number>(nodes.map((n) => [n, 0]));
  const pausedUntil = new Map<NodeNo, number>(nodes.map((n) => [n, 0]));
  const add = (atMs: number, fault: Fault): void => {
    out.push({ atMs, fault });
  };

  for (let t = uniform(random, gapMs); t < faultsEndMs;) {
    const running = nodes.filter(
      (n) => (downUntil.get(n) ?? 0) <= t && (pausedUntil.get(n) ?? 0) <= t,
    );
    const restartable = nodes.filter((n) => downUntil.get(n) === Infinity);
    const possible = KINDS.filter((kind) => {
      if (weights[kind] <= 0) return false;
      switch (kind) {
        case 'crash':
        case 'pause':
          return running.length > 0;
        case 'restart':
          return restartable.length > 0;
        case 'bridge':
          return nodes.length >= 3;
        case 'one-way':
        case 'flap':
        case 'split':
          return nodes.length >= 2;
        case 'isolate':
        case 'heal':
          return true;
      }
    });
    if (possible.length > 0) {
      const kind = weightedPick(random, possible, weights);
      switch (kind) {
        case 'isolate':
          add(t, { type: 'isolate', node: random.pick(nodes) });
          break;
        case 'split': {
          // Minority of 1..n/2 nodes: with an even count, equal halves (a tie) can come up.
          const shuffled = random.shuffle(nodes);
          const minority = 1 + random.int(Math.floor(nodes.length / 2));
          add(t, {
            type: 'split',
            a: sorted(shuffled.slice(minority)),
            b: sorted(shuffled.slice(0, minority)),
          });
          break;
        }
        case 'bridge': {
          const [node, ...rest] = random.shuffle(nodes) as [NodeNo, ...NodeNo[]];
          const cut = 1 + random.int(rest.length - 1);
          add(t, {
            type: 'bridge',
            node,
            a: sorted(rest.slice(0, cut)),
            b: sorted(rest.slice(cut)),
          });
          break;
        }
        case 'one-way': {
          const [from, to] = random.shuffle(nodes) as [NodeNo, NodeNo];
          add(t, { type: 'one-way', from, to });
          break;
        }
        case 'flap': {
          const [a, b] = random.shuffle(nodes) as [NodeNo, NodeNo];
          const until = Math.min(t + uniform(random, flapMs), faultsEndMs - 1);
          out.push(...flap(random, a, b, t, until, flapToggleMs));
          break;
        }
        case 'heal':
          add(t, { type: 'heal' });
          break;
        case 'crash': {
          const node = random.pick(running);
          add(t, { type: 'crash', node });
          let until = Infinity;
          if (random.int(100) < restartPercent) {
            const at = t + uniform(random, downMs);
            if (at < faultsEndMs) {
              add(at, { type: 'restart', node });
              until = at;
            }
          }
          downUntil.set(node, until);
          break;
        }
        case 'restart': {
          const node = random.pick(restartable);
          add(t, { type: 'restart', node });
          downUntil.set(node, t);
          break;
        }
        case 'pause': {
          const node = random.pick(running);
          const durationMs = uniform(random, pauseMs);
          add(t, { type: 'pause', node, durationMs });
          pausedUntil.set(node, t + durationMs);
          break;
        }
      }
    }
    t += random.int(100) < quietPercent ? uniform(random, quietMs) : uniform(random, gapMs);
  }
  add(faultsEndMs, { type: 'heal-all' });
  // Stable: same-time faults keep their order (a restart planned at a crash vs a later pick).
  return out.sort((x, y) => x.atMs - y.atMs);
}

/**
 * A link between a and b toggling at random intervals from `fromMs` until `untilMs`: down
 * first, and always left up at the end (a flap, not a cut; a cut is another fault).
 */
export function flap(
  random: SeededRandom,
  a: NodeNo,
  b: NodeNo,
  fromMs: number,
  untilMs: number,
  toggleMs: Range,
): ScheduledFault[] {
  const out: ScheduledFault[] = [];
  let up = false;
  for (let t = fromMs; t < untilMs; t += Math.max(1, uniform(random, toggleMs))) {
    out.push({ atMs: t, fault: { type: 'link', a, b, up } });
    up = !up;
  }
  // Ends up, at the end of the flapping (or right after the last toggle if it was a down).
  if (up)
    out.push({ atMs: Math.max(untilMs, fromMs + 1), fault: { type: 'link', a, b, up: true } });
  return out;
}

function weightedPick(
  random: SeededRandom,
  kinds: readonly FaultKind[],
  weights: Readonly<Partial<Record<FaultKind, number>>>,
): FaultKind {
  const total = kinds.reduce((s, k) => s + (weights[k] ?? 0), 0);
  let x = random.nextFloat() * total;
  for (const k of kinds) {
    x -= weights[k] ?? 0;
    if (x < 0) return k;
  }
  return kinds[kinds.length - 1] as FaultKind;
}

function sorted(nodes: readonly NodeNo[]): NodeNo[] {
  return [...nodes].sort((x, y) => x - y);
}
