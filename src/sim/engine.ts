// The deterministic simulator: one process, one virtual clock, any number of pure nodes
// (NodeMachine, src/core/cluster/node.ts) driven through a virtual network, a virtual command
// runner, a virtual tie-breaker and scheduled faults. Everything that happens is an item in a
// single agenda ordered by (time, sequence number), and every random choice comes from a fork
// of one SeededRandom, so a seed replays byte for byte. README.md explains the models.
import type { NodeEffect, NodeInput, NodeMachine, NodeNo } from '../core/cluster/node.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import { chance, uniform, type Range } from './draw.js';
import type { Fault, ScheduledFault } from './faults.js';
import { LivenessDetector } from './liveness.js';
import {
  DEFAULT_COMMANDS,
  DEFAULT_LIVENESS,
  DEFAULT_NETWORK,
  DEFAULT_TIEBREAKER,
  type CommandModel,
  type LivenessModel,
  type NetworkModel,
  type RunEffect,
  type TiebreakerModel,
} from './models.js';
import { Network } from './network.js';
import { Holdings } from './holdings.js';
import { EventQueue } from './queue.js';
import { LeaseTiebreaker, type Lease } from './tiebreaker.js';
import { TraceKind, TraceRing } from './trace.js';
import type { Invariant, NodeStatus, World } from './world.js';

/** See SimulationOptions.maxEvents: far above any sane run (a 16-node seed takes ~50,000). */
export const DEFAULT_MAX_EVENTS = 1_000_000;

export interface SimulationOptions<S, M> {
  readonly seed: number | string;
  readonly nodes: readonly NodeNo[];
  readonly machine: NodeMachine<S, M>;
  /** A node's fresh state, at its first start and at every restart. `random` is the node's own stream. */
  readonly init: (node: NodeNo, random: SeededRandom) => S;
  readonly network?: Partial<NetworkModel> | undefined;
  readonly liveness?: Partial<LivenessModel> | undefined;
  readonly commands?: Partial<CommandModel> | undefined;
  readonly tiebreaker?: Partial<TiebreakerModel> | undefined;
  /**
   * The dead man switch: a node paused for longer than this is halted (a crash) this long after
   * its pause began, as a kernel watchdog would. @default undefined (no dead man switch)
   */
  readonly deadmanMs?: number | undefined;
  /** Checked after every step, fault and tie-breaker decision; the first failure stops the run. */
  readonly invariants?: readonly Invariant<S>[] | undefined;
  /** Trace records kept for the failure report; 0 turns the trace off. @default 4096 */
  readonly traceCapacity?: number | undefined;
  /**
   * Deep-freeze every input given to a node and every state and effect it returns, so a step
   * that mutates what it was given (or what it gave before) throws, and the run fails with
   * `step-threw`. Slow; for tests and for hunting an impure step. Maps and Sets stay mutable
   * (freezing does not cover their contents). @default false
   */
  readonly freeze?: boolean | undefined;
  /**
   * A run that processes more agenda items than this fails (invariant `event-budget`): a
   * message storm or a node that keeps waking itself would otherwise never end.
   */
  readonly maxEvents?: number | undefined;
}

export interface Violation {
  readonly invariant: string;
  readonly message: string;
  readonly atMs: number;
}

export interface SimStats {
  /** Agenda items processed (including stale ones skipped). */
  readonly events: number;
  /** Inputs given to nodes. */
  readonly steps: number;
  readonly messagesSent: number;
  readonly messagesDelivered: number;
  readonly messagesDuplicated: number;
  /** Sent across a cut link (or to a node not in the cluster). */
  readonly droppedCut: number;
  readonly droppedLoss: number;
  /** Arrived at a node that was down or exited. */
  readonly droppedDown: number;
  readonly commands: number;
  readonly tiebreaks: number;
  readonly faults: number;
  readonly livenessInputs: number;
  readonly endMs: number;
}

type MutableStats = { -readonly [K in keyof SimStats]: SimStats[K] };

// Agenda item kinds.
const K_START = 1;
const K_MESSAGE = 2; // node: receiver index, aux: sender index, input: the message input
const K_INPUT = 3; // aux: the incarnation it is for, or -1 for any
const K_WAKE = 4; // aux: wake generation
const K_LIVENESS = 5; // node: observer, aux: subject, gen: pair generation
const K_ARBITER = 6; // node: requester, aux: incarnation, text: requestId
const K_FAULT = 7;
const K_RESUME = 8; // aux: pause generation
const K_DEADMAN = 9; // aux: pause generation

/** One agenda item. Pooled and reused: every field is always set, so the shape stays monomorphic. */
class Item {
  t = 0;
  seq = 0;
  kind = 0;
  node = 0;
  aux = 0;
  gen = 0;
  input: NodeInput<unknown> | null = null;
  fault: Fault | null = null;
  text = '';
}

class SimNode<S, M> {
  status: NodeStatus = 'down';
  state: S | undefined = undefined;
  incarnation = 0;
  wakeAt: number | null = null;
  // Bumped whenever wakeAt changes: an agenda wake item of another generation is stale.
  wakeGen = 0;
  pauseGen = 0;
  inbox: NodeInput<M>[] = [];
  believedUp: readonly NodeNo[] = [];

  constructor(
    readonly no: NodeNo,
    readonly index: number,
  ) {}
}

const START: NodeInput<never> = Object.freeze({ type: 'start' });
const WAKE: NodeInput<never> = Object.freeze({ type: 'wake' });

export class Simulation<S, M> implements World<S> {
  readonly network: Network;
  readonly #machine: NodeMachine<S, M>;
  readonly #init: (node: NodeNo, random: SeededRandom) => S;
  readonly #net: NetworkModel;
  readonly #commands: CommandModel;
  readonly #tb: TiebreakerModel;
  readonly #deadmanMs: number | undefined;
  readonly #invariants: readonly Invariant<S>[];
  readonly #trace: TraceRing;
  readonly #freeze: boolean;
  readonly #maxEvents: number;

  readonly #root: SeededRandom;
  readonly #rNet: SeededRandom;
  readonly #rCmd: SeededRandom;
  readonly #rTb: SeededRandom;
  readonly #rStart: SeededRandom;

  readonly #nodes: SimNode<S, M>[];
  readonly #size: number;
  readonly #queue = new EventQueue<Item>();
  readonly #pool: Item[] = [];
  #seq = 0;
  #now = 0;

  readonly #detector: LivenessDetector;
  readonly #tiebreaker: LeaseTiebreaker;
  // For FIFO links: the last arrival time per directed link.
  readonly #lastArrival: Float64Array;

  readonly #holdings = new Holdings();

  #lastStepped: NodeNo | undefined;
  #violation: Violation | undefined;
  readonly #stats: MutableStats = {
    events: 0,
    steps: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDuplicated: 0,
    droppedCut: 0,
    droppedLoss: 0,
    droppedDown: 0,
    commands: 0,
    tiebreaks: 0,
    faults: 0,
    livenessInputs: 0,
    endMs: 0,
  };

  constructor(options: SimulationOptions<S, M>) {
    this.network = new Network(options.nodes);
    this.#machine = options.machine;
    this.#init = options.init;
    this.#net = { ...DEFAULT_NETWORK, ...options.network };
    this.#commands = { ...DEFAULT_COMMANDS, ...options.commands };
    this.#tb = { ...DEFAULT_TIEBREAKER, ...options.tiebreaker };
    this.#deadmanMs = options.deadmanMs;
    this.#invariants = options.invariants ?? [];
    this.#trace = new TraceRing(options.traceCapacity ?? 4096);
    this.#freeze = options.freeze === true;
    this.#maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    checkRange('network.delayMs', this.#net.delayMs);
    checkRange('commands.durationMs', this.#commands.durationMs);
    checkRange('tiebreaker.latencyMs', this.#tb.latencyMs);

    this.#root = new SeededRandom(options.seed);
    this.#rNet = this.#root.fork('network');
    this.#rCmd = this.#root.fork('commands');
    this.#rTb = this.#root.fork('tiebreaker');
    this.#rStart = this.#root.fork('start');

    this.#nodes = this.network.nodes.map((no, i) => new SimNode<S, M>(no, i));
    const size = (this.#size = this.#nodes.length);
    const liveness: LivenessModel = { ...DEFAULT_LIVENESS, ...options.liveness };
    this.#detector = new LivenessDetector(
      size,
      liveness,
      this.#root.fork('liveness'),
      (delay, o, s, gen) => {
        const item = this.#schedule(this.#now + delay, K_LIVENESS, o, s);
        item.gen = gen;
      },
    );
    this.#tiebreaker = new LeaseTiebreaker(this.#tb.leaseMs, this.#tb.renewable);
    this.#lastArrival = new Float64Array(size * size);
    this.network.onChange = () => {
      this.#topologyChanged();
    };
  }

  // ---- World ---------------------------------------------------------------------------

  get nowMs(): number {
    return this.#now;
  }

  get nodes(): readonly NodeNo[] {
    return this.network.nodes;
  }

  get lastStepped(): NodeNo | undefined {
    return this.#lastStepped;
  }

  status(node: NodeNo): NodeStatus {
    return this.#node(node).status;
  }

  state(node: NodeNo): S | undefined {
    return this.#node(node).state;
  }

  incarnation(node: NodeNo): number {
    return this.#node(node).incarnation;
  }

  holders(group: string): readonly NodeNo[] {
    return this.#holdings.holders(group);
  }

  heldBy(node: NodeNo): ReadonlyMap<string, boolean> {
    return this.#holdings.heldBy(this.#node(node).no);
  }

  groups(): Iterable<string> {
    return this.#holdings.groups();
  }

  isExclusive(group: string): boolean {
    return this.#holdings.isExclusive(group);
  }

  canSend(from: NodeNo, to: NodeNo): boolean {
    return this.network.canSend(from, to);
  }

  believedUp(node: NodeNo): readonly NodeNo[] {
    return this.#node(node).believedUp;
  }

  tiebreaker(): Lease | undefined {
    return this.#tiebreaker.current(this.#now);
  }

  // ---- Driving -------------------------------------------------------------------------

  /** Starts every node at a time drawn in [now, now + spreadMs]. */
  startAll(spreadMs = 0): void {
    for (const n of this.#nodes) {
      this.#schedule(this.#now + uniform(this.#rStart, [0, spreadMs]), K_START, n.index, 0);
    }
  }

  /** Starts (or restarts, if down) one node at `atMs`. */
  startNode(node: NodeNo, atMs = this.#now): void {
    this.#schedule(Math.max(atMs, this.#now), K_START, this.#node(node).index, 0);
  }

  /** Applies `fault` at `atMs` (not before now). */
  schedule(atMs: number, fault: Fault): void {
    const item = this.#schedule(Math.max(atMs, this.#now), K_FAULT, 0, 0);
    item.fault = fault;
  }

  scheduleAll(faults: readonly ScheduledFault[]): void {
    for (const f of faults) this.schedule(f.atMs, f.fault);
  }

  /** Gives `input` (an operator request, a local event...) to `node` at `atMs`, if it is up then. */
  inject(atMs: number, node: NodeNo, input: NodeInput<M>): void {
    const item = this.#schedule(Math.max(atMs, this.#now), K_INPUT, this.#node(node).index, -1);
    item.input = input;
  }

  /**
   * Processes everything due up to `endMs`, then leaves the clock there. Stops early at the
   * first invariant violation. Returns whether the run is still free of violations.
   */
  runUntil(endMs: number): boolean {
    const queue = this.#queue;
    while (this.#violation === undefined) {
      const item = queue.peek();
      if (item === undefined || item.t > endMs) break;
      queue.pop();
      this.#now = item.t;
      if (++this.#stats.events > this.#maxEvents) {
        this.#fail(
          'event-budget',
          `more than ${this.#maxEvents} events by ${this.#now} ms: a message storm, or a node that keeps waking itself`,
        );
        break;
      }
      this.#dispatch(item);
      item.input = null;
      item.fault = null;
      this.#pool.push(item);
    }
    if (this.#violation === undefined && endMs > this.#now) this.#now = endMs;
    return this.#violation === undefined;
  }

  /** Checks `invariants` now (used for the end-of-run `eventually` properties). */
  checkNow(invariants: readonly Invariant<S>[]): Violation | undefined {
    this.#lastStepped = undefined;
    this.#checkInvariants(invariants);
    return this.#violation;
  }

  /** True when every one of `invariants` holds now; records nothing (a convergence probe). */
  holds(invariants: readonly Invariant<S>[]): boolean {
    this.#lastStepped = undefined;
    return this.#firstBroken(invariants) === undefined;
  }

  get violation(): Violation | undefined {
    return this.#violation;
  }

  get stats(): SimStats {
    return { ...this.#stats, endMs: this.#now };
  }

  /** The trace as text, oldest first: the last `limit` records kept. */
  traceLines(limit?: number): string[] {
    return this.#trace.lines(limit);
  }

  /** Trace records written, including those the ring has overwritten. */
  get traceTotal(): number {
    return this.#trace.total;
  }

  // ---- The agenda ----------------------------------------------------------------------

  #schedule(t: number, kind: number, node: number, aux: number): Item {
    const item = this.#pool.pop() ?? new Item();
    item.t = t;
    item.seq = this.#seq++;
    item.kind = kind;
    item.node = node;
    item.aux = aux;
    item.gen = 0;
    this.#queue.push(item);
    return item;
  }

  #dispatch(item: Item): void {
    const n = this.#nodes[item.node] as SimNode<S, M>;
    switch (item.kind) {
      case K_MESSAGE: {
        const input = item.input as NodeInput<M>;
        if (n.status === 'running') this.#step(n, input);
        else if (n.status === 'paused') n.inbox.push(input);
        else {
          this.#stats.droppedDown++;
          const m = input as { from: NodeNo; msg: M };
          this.#trace.record(this.#now, n.no, TraceKind.dropDown, m.from, m.msg);
        }
        return;
      }
      case K_WAKE:
        if (item.aux !== n.wakeGen || n.status !== 'running') return;
        n.wakeAt = null;
        n.wakeGen++;
        this.#step(n, WAKE);
        return;
      case K_INPUT: {
        // A result for a previous life of the node is lost with that life.
        if (item.aux >= 0 && item.aux !== n.incarnation) return;
        const input = item.input as NodeInput<M>;
        if (n.status === 'running') this.#step(n, input);
        else if (n.status === 'paused') n.inbox.push(input);
        return;
      }
      case K_LIVENESS:
        this.#detect(item.node, item.aux, item.gen);
        return;
      case K_ARBITER:
        this.#arbiter(n, item.aux, item.text);
        return;
      case K_FAULT:
        this.#applyFault(item.fault as Fault);
        return;
      case K_START:
        if (n.status === 'down') this.#boot(n);
        return;
      case K_RESUME:
        if (n.status === 'paused' && n.pauseGen === item.aux) this.#resume(n);
        return;
      case K_DEADMAN:
        if (n.status === 'paused' && n.pauseGen === item.aux) {
          this.#trace.record(this.#now, n.no, TraceKind.deadman);
          this.#crash(n);
          this.#lastStepped = undefined;
          this.#checkInvariants(this.#invariants);
        }
        return;
    }
  }

  // ---- Steps and effects ---------------------------------------------------------------

  #step(n: SimNode<S, M>, input: NodeInput<M>): void {
    this.#traceInput(n, input);
    let effects: readonly NodeEffect<M>[];
    try {
      if (this.#freeze) deepFreeze(input);
      const result = this.#machine.step(n.state as S, input, this.#now);
      if (this.#freeze) deepFreeze(result);
      n.state = result.state;
      effects = result.effects;
    } catch (err) {
      this.#fail('step-threw', `node ${n.no} threw on a ${input.type} input: ${describe(err)}`);
      return;
    }
    this.#lastStepped = n.no;
    this.#stats.steps++;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i] as NodeEffect<M>;
      switch (effect.type) {
        case 'send':
          this.#send(n, effect.to, effect.msg);
          break;
        case 'wake-at':
          this.#setWake(n, effect.atMs);
          break;
        case 'run':
          this.#run(n, effect);
          break;
        case 'tiebreak':
          this.#tiebreak(n, effect.requestId);
          break;
        case 'resources':
          this.#resources(n, effect);
          break;
        case 'holding':
          this.#trace.record(this.#now, n.no, TraceKind.holding, effect.group, effect.held);
          this.#holdings.set(n.no, effect.group, effect.held, effect.exclusive);
          break;
        case 'log':
          this.#trace.record(this.#now, n.no, TraceKind.log, effect);
          break;
        case 'exit':
          // Whatever follows an exit is not carried out: the process is gone.
          this.#exit(n);
          i = effects.length;
          break;
      }
    }
    this.#checkInvariants(this.#invariants);
  }

  #traceInput(n: SimNode<S, M>, input: NodeInput<M>): void {
    const trace = this.#trace;
    const t = this.#now;
    switch (input.type) {
      case 'message':
        this.#stats.messagesDelivered++;
        trace.record(t, n.no, TraceKind.recv, input.from, input.msg);
        return;
      case 'wake':
        trace.record(t, n.no, TraceKind.wake);
        return;
      case 'liveness':
        trace.record(t, n.no, TraceKind.liveness, input.up);
        return;
      case 'start':
        trace.record(t, n.no, TraceKind.start, n.incarnation);
        return;
      case 'run-result':
      case 'resources-result':
        trace.record(t, n.no, TraceKind.runResult, input);
        return;
      case 'facts':
        trace.record(t, n.no, TraceKind.input, input);
        return;
      case 'tiebreak-result':
        trace.record(t, n.no, TraceKind.tiebreakResult, input.requestId, input.granted);
        return;
      case 'local-event':
      case 'operator':
        trace.record(t, n.no, TraceKind.input, input);
        return;
    }
  }

  #send(n: SimNode<S, M>, to: NodeNo, msg: M): void {
    const stats = this.#stats;
    stats.messagesSent++;
    const j = this.network.indexOf(to);
    if (j < 0 || !this.network.canSendIndex(n.index, j)) {
      stats.droppedCut++;
      this.#trace.record(this.#now, to, TraceKind.dropCut, n.no, msg);
      return;
    }
    const net = this.#net;
    if (chance(this.#rNet, net.lossPercent)) {
      stats.droppedLoss++;
      this.#trace.record(this.#now, to, TraceKind.dropLoss, n.no, msg);
      return;
    }
    const input: NodeInput<M> = { type: 'message', from: n.no, msg };
    this.#transmit(n.index, j, input);
    if (chance(this.#rNet, net.duplicatePercent)) {
      stats.messagesDuplicated++;
      this.#trace.record(this.#now, to, TraceKind.duplicate, n.no, msg);
      this.#transmit(n.index, j, input);
    }
  }

  #transmit(from: number, to: number, input: NodeInput<M>): void {
    let t = this.#now + uniform(this.#rNet, this.#net.delayMs);
    if (this.#net.fifo) {
      const k = from * this.#size + to;
      const last = this.#lastArrival[k] as number;
      if (t < last) t = last;
      this.#lastArrival[k] = t;
    }
    const item = this.#schedule(t, K_MESSAGE, to, from);
    item.input = input;
  }

  #setWake(n: SimNode<S, M>, atMs: number | null): void {
    if (atMs === n.wakeAt) return;
    n.wakeGen++;
    n.wakeAt = atMs;
    if (atMs === null) return;
    if (!Number.isFinite(atMs)) {
      this.#fail('bad-effect', `node ${n.no} asked to wake at ${atMs}`);
      return;
    }
    // A time already past fires now, after what is already due now.
    this.#schedule(Math.max(atMs, this.#now), K_WAKE, n.index, n.wakeGen);
  }

  #run(n: SimNode<S, M>, run: RunEffect): void {
    this.#stats.commands++;
    this.#trace.record(this.#now, n.no, TraceKind.run, run.runId, run.command);
    const model = this.#commands;
    const outcome = model.script?.(n.no, run, this.#rCmd, this.#now) ?? {
      exitCode: chance(this.#rCmd, model.failPercent) ? 1 : 0,
    };
    const duration = outcome.durationMs ?? uniform(this.#rCmd, model.durationMs);
    const timedOut = duration > run.timeoutMs;
    const item = this.#schedule(
      this.#now + (timedOut ? run.timeoutMs : duration),
      K_INPUT,
      n.index,
      n.incarnation,
    );
    item.input = {
      type: 'run-result',
      runId: run.runId,
      exitCode: timedOut ? null : outcome.exitCode,
      timedOut,
      output: outcome.output ?? '',
    };
  }

  /**
   * Bringing resource groups online or offline takes a command's time and always succeeds
   * here: what the simulator checks is who holds a group (the holding effects), not the
   * agents, which have their own tests.
   */
  #resources(n: SimNode<S, M>, r: Extract<NodeEffect<M>, { type: 'resources' }>): void {
    this.#stats.commands++;
    this.#trace.record(this.#now, n.no, TraceKind.run, r.runId, `${r.op} ${r.groups.join(' ')}`);
    const item = this.#schedule(
      this.#now + uniform(this.#rCmd, this.#commands.durationMs),
      K_INPUT,
      n.index,
      n.incarnation,
    );
    item.input = { type: 'resources-result', runId: r.runId, failed: [] };
  }

  #tiebreak(n: SimNode<S, M>, requestId: string): void {
    this.#stats.tiebreaks++;
    this.#trace.record(this.#now, n.no, TraceKind.tiebreak, requestId);
    const tb = this.#tb;
    if (tb.reachable !== undefined && !tb.reachable(n.no, this)) {
      const item = this.#schedule(
        this.#now + tb.unreachableAnswerMs,
        K_INPUT,
        n.index,
        n.incarnation,
      );
      item.input = { type: 'tiebreak-result', requestId, granted: false };
      return;
    }
    const item = this.#schedule(
      this.#now + uniform(this.#rTb, tb.latencyMs),
      K_ARBITER,
      n.index,
      n.incarnation,
    );
    item.text = requestId;
  }

  // The request has reached the tie-breaker: decide, and send the answer back.
  #arbiter(n: SimNode<S, M>, incarnation: number, requestId: string): void {
    const granted = this.#tiebreaker.decide(n.no, this.#now);
    this.#trace.record(this.#now, n.no, TraceKind.arbiter, requestId, granted);
    const item = this.#schedule(
      this.#now + uniform(this.#rTb, this.#tb.latencyMs),
      K_INPUT,
      n.index,
      incarnation,
    );
    item.input = { type: 'tiebreak-result', requestId, granted };
    this.#lastStepped = undefined;
    this.#checkInvariants(this.#invariants);
  }

  #exit(n: SimNode<S, M>): void {
    this.#trace.record(this.#now, n.no, TraceKind.exit);
    n.status = 'exited';
    n.wakeAt = null;
    n.wakeGen++;
    n.inbox = [];
    this.#topologyChanged();
  }

  // ---- Node life -----------------------------------------------------------------------

  #boot(n: SimNode<S, M>): void {
    n.incarnation++;
    n.status = 'running';
    n.wakeAt = null;
    n.wakeGen++;
    n.inbox = [];
    n.believedUp = [];
    this.#detector.forget(n.index);
    try {
      n.state = this.#init(n.no, this.#root.fork(`node/${n.no}/${n.incarnation}`));
      if (this.#freeze) deepFreeze(n.state);
    } catch (err) {
      this.#fail('init-threw', `init of node ${n.no} threw: ${describe(err)}`);
      return;
    }
    this.#topologyChanged();
    this.#detector.catchUp(n.index);
    this.#step(n, START);
  }

  #crash(n: SimNode<S, M>): void {
    this.#trace.record(this.#now, n.no, TraceKind.crash);
    n.status = 'down';
    n.state = undefined;
    n.wakeAt = null;
    n.wakeGen++;
    n.pauseGen++;
    n.inbox = [];
    n.believedUp = [];
    // The machine is gone, and what it held with it.
    for (const group of this.#holdings.clear(n.no)) {
      this.#trace.record(this.#now, n.no, TraceKind.holding, group, false);
    }
    this.#topologyChanged();
  }

  #pause(n: SimNode<S, M>, durationMs: number): void {
    this.#trace.record(this.#now, n.no, TraceKind.pause);
    n.status = 'paused';
    const gen = ++n.pauseGen;
    this.#schedule(this.#now + durationMs, K_RESUME, n.index, gen);
    if (this.#deadmanMs !== undefined && durationMs > this.#deadmanMs) {
      this.#schedule(this.#now + this.#deadmanMs, K_DEADMAN, n.index, gen);
    }
    this.#topologyChanged();
  }

  // The node wakes up believing its old view: its overdue wake first (timers before I/O, as in
  // an event loop), then what arrived while it was frozen, in arrival order, all before any
  // liveness change it missed (those come after the detection delay, from now).
  #resume(n: SimNode<S, M>): void {
    const queued = n.inbox;
    n.inbox = [];
    this.#trace.record(this.#now, n.no, TraceKind.resume, queued.length);
    n.status = 'running';
    n.pauseGen++;
    this.#topologyChanged();
    this.#detector.catchUp(n.index);
    if (n.wakeAt !== null && n.wakeAt <= this.#now) {
      n.wakeAt = null;
      n.wakeGen++;
      this.#step(n, WAKE);
    }
    for (const input of queued) {
      // A step may have ended the node (exit) or the run (a violation).
      if ((n.status as NodeStatus) !== 'running' || this.#violation !== undefined) break;
      this.#step(n, input);
    }
  }

  // ---- Faults --------------------------------------------------------------------------

  #applyFault(fault: Fault): void {
    this.#stats.faults++;
    const net = this.network;
    const node = 'node' in fault ? this.#node(fault.node) : undefined;
    let note: string | undefined;
    switch (fault.type) {
      case 'crash':
        if (node?.status !== 'running' && node?.status !== 'paused') note = 'no effect: not up';
        break;
      case 'restart':
        if (node?.status !== 'down') note = 'no effect: not down';
        break;
      case 'pause':
        if (node?.status !== 'running') note = 'no effect: not running';
        break;
      default:
        break;
    }
    this.#trace.record(this.#now, 0, TraceKind.fault, fault, note);
    if (note === undefined) {
      switch (fault.type) {
        case 'isolate':
          net.isolate(fault.node);
          break;
        case 'split':
          net.split(fault.a, fault.b);
          break;
        case 'bridge':
          net.bridge(fault.node, fault.a, fault.b);
          break;
        case 'one-way':
          net.oneWay(fault.from, fault.to);
          break;
        case 'link':
          net.setLink(fault.a, fault.b, fault.up);
          break;
        case 'heal':
          net.heal();
          break;
        case 'crash':
          this.#crash(node as SimNode<S, M>);
          break;
        case 'restart':
          this.#boot(node as SimNode<S, M>);
          break;
        case 'pause':
          this.#pause(node as SimNode<S, M>, fault.durationMs);
          break;
        case 'heal-all':
          net.heal();
          for (const n of this.#nodes) {
            if (this.#violation !== undefined) break;
            if (n.status === 'paused') this.#resume(n);
            else if (n.status === 'down') this.#boot(n);
          }
          break;
      }
    }
    this.#lastStepped = undefined;
    this.#checkInvariants(this.#invariants);
  }

  // ---- Liveness ------------------------------------------------------------------------

  // Something changed that may change who hears whom (a link, a node's status).
  #topologyChanged(): void {
    const nodes = this.#nodes;
    const running = (i: number): boolean => (nodes[i] as SimNode<S, M>).status === 'running';
    this.#detector.update(running, (from, to) => this.network.canSendIndex(from, to), running);
  }

  #detect(o: number, s: number, gen: number): void {
    const n = this.#nodes[o] as SimNode<S, M>;
    if (n.status !== 'running') return; // it catches up when it runs again
    const up = this.#detector.detect(o, s, gen);
    if (up === undefined) return;
    const believed = up.map((j) => (this.#nodes[j] as SimNode<S, M>).no);
    n.believedUp = believed;
    this.#stats.livenessInputs++;
    this.#step(n, { type: 'liveness', up: believed });
  }

  // ---- Invariants ----------------------------------------------------------------------

  #checkInvariants(invariants: readonly Invariant<S>[]): void {
    if (this.#violation !== undefined) return;
    const broken = this.#firstBroken(invariants);
    if (broken !== undefined) this.#fail(broken.name, broken.message);
  }

  /** The first of `invariants` that does not hold now (one that throws does not hold). */
  #firstBroken(
    invariants: readonly Invariant<S>[],
  ): { readonly name: string; readonly message: string } | undefined {
    for (let i = 0; i < invariants.length; i++) {
      const inv = invariants[i] as Invariant<S>;
      let message: string | undefined;
      try {
        message = inv.check(this);
      } catch (err) {
        message = `the invariant threw: ${describe(err)}`;
      }
      if (message !== undefined) return { name: inv.name, message };
    }
    return undefined;
  }

  #fail(invariant: string, message: string): void {
    if (this.#violation !== undefined) return;
    this.#violation = { invariant, message, atMs: this.#now };
    this.#trace.record(this.#now, this.#lastStepped ?? 0, TraceKind.violation, invariant, message);
  }

  #node(node: NodeNo): SimNode<S, M> {
    const i = this.network.indexOf(node);
    if (i < 0) {
      throw new InvalidArgumentError('node', node, `one of ${this.network.nodes.join(', ')}`);
    }
    return this.#nodes[i] as SimNode<S, M>;
  }
}

function checkRange(name: string, range: Range): void {
  const [min, max] = range;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= min)) {
    throw new InvalidArgumentError(name, range, 'integers [min, max] with 0 <= min <= max');
  }
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  // Typed arrays with elements cannot be frozen; they are left as they are.
  if (ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}
