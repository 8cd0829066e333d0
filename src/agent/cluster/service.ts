// Cluster services on one node: the pure group node (core/group/node.ts) driven by real inputs
// and carrying out its effects. Messages go through the group transport, liveness comes from
// topology services, commands run as processes, resource groups through the resource manager,
// and everything it does is written to the cluster log and the event trace.
//
// One input at a time: every input runs the pure step to completion, and the effects it returns
// start asynchronous work whose completion is a later input. Nothing here decides anything.

import { isEventScriptCommand } from '../../core/events/builtin.js';
import type { ClusterConfig } from '../../core/config/model.js';
import type { NodeEffect, NodeInput, NodeNo, OperatorRequest } from '../../core/cluster/node.js';
import type { EventId } from '../../core/group/agreement.js';
import { compareEventIds } from '../../core/group/agreement.js';
import { epochText } from '../../core/group/membership.js';
import {
  cmStatus,
  createGroupNode,
  groupNodeMachine,
  groupStates,
  hasQuorum,
  type GroupConfig,
  type GroupMessage,
  type GroupNodeState,
} from '../../core/group/node.js';
import type { Clock } from '../../core/ports/clock.js';
import type { ProcessRunner } from '../../core/ports/process.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import type { AgentCommand } from '../../runtime/agents/agent.js';
import type { AgentLogs } from '../logs/index.js';
import type { Logger } from '../log.js';
import type {
  ClusterStatusReply,
  CmStateName,
  EventsReply,
  GroupView,
  PastEvent,
} from '../control/api.js';
import { nodeNames, type NodeNames } from './group-config.js';
import type { Tiebreaker } from './tiebreaker.js';
import { FALLBACK_TIMER } from '../../core/group/policy-planner.js';
import { nextFallbackTime, type NodeFacts } from '../../core/placement/index.js';

/** What brings resource groups online and offline on this node (resources.ts). */
export interface ResourceOps {
  /** Resolves with the groups that failed, each with why; never rejects. */
  acquire(
    groups: readonly string[],
    trace: (op: ResourceTrace) => void,
  ): Promise<{ group: string; reason: string }[]>;
  release(
    groups: readonly string[],
    trace: (op: ResourceTrace) => void,
  ): Promise<{ group: string; reason: string }[]>;
  /** The groups this node holds changed (for the dead man switch's halt list). */
  holding(groups: ReadonlySet<string>): void;
  /**
   * Halts groups at once with their halt commands, before the release that follows (after
   * lost quorum or a lapsed lease). Resolves with what the halt script said; never rejects.
   */
  haltNow(groups: readonly string[]): Promise<{ exitCode: number | null; output: string }>;
  /**
   * swap_adapter: moves the service addresses of held groups from interface `from` to `to`
   * (any live one when undefined). Resolves with what moved and what failed; rejects when
   * `from` is not an interface of this node.
   */
  swap(
    from: string,
    to: string | undefined,
    trace: (op: ResourceTrace) => void,
  ): Promise<{
    readonly moved: readonly { resource: string; address: string; from: string; to: string }[];
    readonly failed: readonly { resource: string; reason: string }[];
  }>;
}

/** One resource operation, for the event trace. */
export interface ResourceTrace {
  readonly resource: string;
  readonly op: 'start' | 'stop' | 'monitor' | 'validate';
  readonly outcome: 'ok' | 'failed';
  readonly detail?: string;
  readonly durationMs: number;
  readonly commands: readonly AgentCommand[];
}

export interface ClusterServiceOptions {
  readonly config: ClusterConfig;
  readonly groupConfig: GroupConfig;
  readonly self: NodeNo;
  readonly incarnation: number;
  readonly send: (to: NodeNo, msg: GroupMessage) => void;
  /** Checks a message from the network; null when it is not a group message. */
  readonly parse: (msg: unknown) => GroupMessage | null;
  readonly onBadMessage: (from: NodeNo, why: string) => void;
  readonly logger: Logger;
  readonly logs: AgentLogs;
  readonly resources: ResourceOps;
  readonly runner: ProcessRunner;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Cluster services stopped (after an operator stop): the agent exits. */
  readonly onExit: () => void;
  /** Asked when this node leads a view holding exactly half of the votes. @default denies */
  readonly tiebreaker?: Tiebreaker;
}

/** Without a tie-breaker, a tie never has quorum. */
const NO_TIEBREAKER: Tiebreaker = {
  ask: (_requestId, answer) => {
    queueMicrotask(() => {
      answer(false);
    });
  },
  close: () => Promise.resolve(),
};

const MAX_PAST_EVENTS = 50;
/** How long a peer's death waits for the other survivors to see it too (see peer()). */
export const LIVENESS_SETTLE_MS = 300;
const MAX_OUTPUT_BYTES = 64 * 1024;
/** The command line a built-in event script starts with (GroupConfig.scriptRunner's default). */
const BUILTIN_SCRIPT = 'haven-event ';

/**
 * The command a run effect's command stands for. The core gives every command whose first word
 * has no / to the script runner (`haven-event node_up`, the reference's rule); one of Haven's own
 * event scripts is 'builtin' (they move nothing themselves: resource groups move through the
 * resources effects, at the program's barriers, and the script marks the step in the trace). Any
 * other name is the administrator's command found through PATH (verify warns about those), run
 * with /bin/sh like every command.
 */
export function commandOf(command: string): { builtin: string } | { shell: string } {
  if (!command.startsWith(BUILTIN_SCRIPT)) return { shell: command };
  const script = command.slice(BUILTIN_SCRIPT.length);
  return isEventScriptCommand(script) ? { builtin: script } : { shell: script };
}

interface OpenEvent {
  readonly serial: number;
  readonly id: EventId;
  readonly view: EventsReply['current'];
  readonly startedAtMs: number;
  readonly startMono: number;
}

export class ClusterService {
  readonly #o: ClusterServiceOptions;
  readonly #names: NodeNames;
  #state: GroupNodeState;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #up: NodeNo[] = [];
  readonly #past: PastEvent[] = [];
  #open: OpenEvent | null = null;
  readonly #runs = new Map<string, { command: string; startedAtMs: number }>();
  readonly #downTimers = new Map<NodeNo, TimerHandle>();
  readonly #fallbackTimers = new Map<string, TimerHandle>();

  constructor(o: ClusterServiceOptions) {
    this.#o = o;
    this.#names = nodeNames(o.config);
    this.#state = createGroupNode(o.self, o.incarnation, o.groupConfig, o.clock.monotonicMs());
  }

  get state(): GroupNodeState {
    return this.#state;
  }

  start(): void {
    this.#input({ type: 'start' });
  }

  /** A message from a peer (authenticated, deduplicated by the transport). */
  message(from: NodeNo, body: unknown): void {
    const msg = this.#o.parse(body);
    if (msg === null) {
      this.#o.onBadMessage(from, 'not a group services message');
      return;
    }
    this.#input({ type: 'message', from, msg });
  }

  /**
   * A peer is up or down by topology services (every path silent = down). A peer going down
   * is passed on LIVENESS_SETTLE_MS later (unless it is back by then): the other survivors
   * detect the same death up to a heartbeat interval apart, and a view change started before
   * they all have would leave them out of the first view, which then has no quorum and lets
   * go of every group, only to take them back a moment later.
   */
  peer(node: NodeNo, up: boolean): void {
    const pending = this.#downTimers.get(node);
    if (pending !== undefined) {
      this.#o.timers.cancel(pending);
      this.#downTimers.delete(node);
    }
    if (up) {
      this.#liveness(node, true);
      return;
    }
    this.#downTimers.set(
      node,
      this.#o.timers.setTimer(LIVENESS_SETTLE_MS, () => {
        this.#downTimers.delete(node);
        this.#liveness(node, false);
      }),
    );
  }

  #liveness(node: NodeNo, up: boolean): void {
    const next = up
      ? [...new Set([...this.#up, node])].sort((a, b) => a - b)
      : this.#up.filter((n) => n !== node);
    if (next.join() === this.#up.join()) return;
    this.#up = next;
    this.#input({ type: 'liveness', up: next });
  }

  /** A topology event about this node or a network (network_down...), or a user event. */
  localEvent(
    name: string,
    node: NodeNo,
    network?: string,
    details?: Readonly<Record<string, string>>,
  ): void {
    this.#input({ type: 'local-event', event: { name, node, network, details } });
  }

  /** This node's facts for dynamic node priority (facts.ts), from time to time. */
  facts(facts: NodeFacts): void {
    this.#input({ type: 'facts', facts });
  }

  operator(request: OperatorRequest): void {
    this.#input({ type: 'operator', request });
  }

  /**
   * A group this node holds failed here and cannot be restarted (its monitor's restarts are
   * used up): the cluster moves it on, as after a failed acquisition, and shows it in error here.
   */
  groupFailed(group: string, reason: string): void {
    this.#o.logger.error('group failed on this node: asking the cluster to move it', {
      group,
      reason,
    });
    this.#o.logs.clusterLog.log('error', 'group failed on this node', { group, reason });
    this.#input({
      type: 'local-event',
      event: {
        name: 'rg_move',
        node: this.#o.self,
        details: { group, failed: String(this.#o.self) },
      },
    });
  }

  #input(input: NodeInput<GroupMessage>): void {
    if (this.#stopped) return;
    const before = this.#state;
    let r;
    try {
      r = groupNodeMachine.step(before, input, this.#o.clock.monotonicMs());
    } catch (e) {
      // A pure step leaves the old state untouched: drop the input, keep running.
      this.#o.logger.error('cluster services could not use an input: dropped', {
        input: input.type,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      if (input.type === 'message') this.#o.onBadMessage(input.from, 'rejected by the protocol');
      return;
    }
    this.#state = r.state;
    this.#traceEvents(before, r.state);
    for (const e of r.effects) {
      this.#effect(e);
      if (e.type === 'exit') break;
    }
    if (r.state.resources !== before.resources || r.state.agreement.view !== before.agreement.view)
      this.#armFallbackTimers();
  }

  /**
   * Delayed fallback (a group's fallbackTimer): when the plan says a group waits for its
   * timer, the leader of the view arms it for the next time it allows, on the wall clock, and
   * asks for an rg_move of the group then. Only the leader, so that the cluster runs it once.
   */
  #armFallbackTimers(): void {
    const s = this.#state;
    const leader = s.agreement.view?.members[0] === this.#o.self && !this.#stopped;
    const waiting = leader ? Object.keys(s.resources.waiting ?? {}) : [];
    for (const [g, t] of this.#fallbackTimers)
      if (!waiting.includes(g)) {
        this.#o.timers.cancel(t);
        this.#fallbackTimers.delete(g);
      }
    for (const group of waiting) {
      if (this.#fallbackTimers.has(group)) continue;
      const def = this.#o.config.resourceGroups.find((x) => x.name === group)?.fallbackTimer;
      if (!def) continue;
      const now = this.#o.clock.wallMs();
      const at = nextFallbackTime(def, now);
      if (at === undefined) continue;
      this.#o.logs.clusterLog.log('info', 'delayed fallback armed', {
        group,
        at: new Date(at).toISOString(),
      });
      const handle = this.#o.timers.setTimer(Math.max(0, at - now), () => {
        this.#fallbackTimers.delete(group);
        this.#o.logs.clusterLog.log('info', 'delayed fallback timer fired', { group });
        this.#input({
          type: 'local-event',
          event: {
            name: 'rg_move',
            node: this.#o.self,
            details: { group, trigger: FALLBACK_TIMER },
          },
        });
      });
      this.#fallbackTimers.set(group, handle);
    }
  }

  #effect(e: NodeEffect<GroupMessage>): void {
    switch (e.type) {
      case 'send':
        this.#o.send(e.to, e.msg);
        return;
      case 'wake-at':
        if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
        this.#timer = undefined;
        if (e.atMs !== null) this.#arm(e.atMs);
        return;
      case 'run':
        this.#run(e);
        return;
      case 'resources':
        this.#resources(e);
        return;
      case 'holding':
        this.#o.resources.holding(this.#state.held);
        return;
      case 'tiebreak': {
        const requestId = e.requestId;
        (this.#o.tiebreaker ?? NO_TIEBREAKER).ask(requestId, (granted) => {
          this.#input({ type: 'tiebreak-result', requestId, granted });
        });
        return;
      }
      case 'log': {
        const level = e.level;
        this.#o.logger[level](e.msg, e.fields ? { ...e.fields } : {});
        if (level !== 'debug') this.#o.logs.clusterLog.log(level, e.msg, e.fields ?? {});
        return;
      }
      case 'exit':
        this.#stopped = true;
        if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
        for (const t of [...this.#fallbackTimers.values(), ...this.#downTimers.values()])
          this.#o.timers.cancel(t);
        this.#fallbackTimers.clear();
        this.#downTimers.clear();
        this.#o.onExit();
        return;
    }
  }

  /**
   * One timer for the node's wake-up time. A timer may fire a little before the monotonic
   * clock reaches the time it was set for (the event loop's clock is in whole ms): it is armed
   * again for the rest, since the node, woken early, would not ask for the same time again.
   */
  #arm(atMs: number): void {
    const delay = Math.max(0, Math.ceil(atMs - this.#o.clock.monotonicMs()));
    this.#timer = this.#o.timers.setTimer(delay, () => {
      this.#timer = undefined;
      if (this.#o.clock.monotonicMs() < atMs) this.#arm(atMs);
      else this.#input({ type: 'wake' });
    });
  }

  #eventId(): string | undefined {
    const p = this.#state.part;
    return p ? `${epochText(p.id.epoch)}.${String(p.id.seq)}` : undefined;
  }

  #run(e: Extract<NodeEffect<GroupMessage>, { type: 'run' }>): void {
    const eventId = this.#eventId() ?? e.env['EVENT_ID'] ?? '';
    const step = e.env['EVENT_STEP'] === undefined ? undefined : Number(e.env['EVENT_STEP']) - 1;
    const role = (e.role ?? 'step') as 'step';
    const command = commandOf(e.command);
    // The trace shows what runs: `haven-event node_up`, or the administrator's command itself.
    const line = ['builtin' in command ? e.command : command.shell, ...(e.args ?? [])].join(' ');
    const startedAtMs = this.#o.clock.wallMs();
    this.#o.logs.event({ type: 'command-start', eventId, role, step, command: line });
    const done = (r: {
      exitCode: number | null;
      signal: string | null;
      timedOut: boolean;
      stdout: string;
      stderr: string;
      durationMs: number;
    }): void => {
      this.#o.logs.event({
        type: 'command',
        eventId,
        role,
        step,
        command: line,
        expected: 'any',
        exitCode: r.exitCode,
        signal: r.signal,
        timedOut: r.timedOut,
        stdout: r.stdout,
        stderr: r.stderr,
        startedAtMs,
        durationMs: r.durationMs,
      });
      this.#input({
        type: 'run-result',
        runId: e.runId,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        output: `${r.stdout}${r.stderr}`.slice(-4096),
      });
    };
    if ('builtin' in command) {
      // swap_adapter's step on the event node is the one built-in script that does work itself:
      // it moves the service addresses (resource groups do not move, so no resources effect
      // carries it). Every other built-in script only marks its step.
      if (command.builtin === 'swap_adapter') {
        void this.#swapAdapter(e.env, eventId).then(done);
        return;
      }
      queueMicrotask(() => {
        done({
          exitCode: 0,
          signal: null,
          timedOut: false,
          stdout: `built-in ${command.builtin}: done\n`,
          stderr: '',
          durationMs: 0,
        });
      });
      return;
    }
    this.#runs.set(e.runId, { command: line, startedAtMs });
    this.#o.runner
      .run({
        command: ['/bin/sh', '-c', command.shell, 'sh', ...(e.args ?? [])],
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...e.env },
        cwd: '/',
        timeoutMs: e.timeoutMs,
        killGraceMs: 5000,
        maxOutputBytes: MAX_OUTPUT_BYTES,
      })
      .then(
        (r) => {
          this.#runs.delete(e.runId);
          done(r);
        },
        (error: unknown) => {
          this.#runs.delete(e.runId);
          done({
            exitCode: 127,
            signal: null,
            timedOut: false,
            stdout: '',
            stderr: `could not start the command: ${error instanceof Error ? error.message : String(error)}\n`,
            durationMs: 0,
          });
        },
      );
  }

  /**
   * The swap_adapter step: the event's details name the failed interface (EVENT_DETAIL_FROM)
   * and the one to move to (EVENT_DETAIL_TO, optional: else any live one). Each address moved
   * is a resource line in the trace, with its commands; exit status 1 when any address could
   * not be moved (the event goes to error, as after any failed command), 2 without `from`.
   * Never rejects.
   */
  async #swapAdapter(
    env: Readonly<Record<string, string>>,
    eventId: string,
  ): Promise<{
    exitCode: number;
    signal: null;
    timedOut: false;
    stdout: string;
    stderr: string;
    durationMs: number;
  }> {
    const start = this.#o.clock.monotonicMs();
    const result = (exitCode: number, stdout: string, stderr: string) => ({
      exitCode,
      signal: null,
      timedOut: false as const,
      stdout,
      stderr,
      durationMs: this.#o.clock.monotonicMs() - start,
    });
    const from = env['EVENT_DETAIL_FROM'];
    const to = env['EVENT_DETAIL_TO'];
    if (from === undefined || from === '') {
      return result(
        2,
        '',
        'swap_adapter: the event has no detail "from" (the failed interface); it is queued by the agent with from and to\n',
      );
    }
    const trace = (t: ResourceTrace): void => {
      this.#o.logs.event({ type: 'resource', eventId, ...t });
    };
    try {
      const r = await this.#o.resources.swap(from, to === '' ? undefined : to, trace);
      const lines = [
        ...r.moved.map((m) => `moved ${m.resource} (${m.address}) from ${m.from} to ${m.to}\n`),
        ...(r.moved.length + r.failed.length === 0
          ? [`no service address of a held group is on ${from}: nothing to move\n`]
          : []),
      ];
      const errors = r.failed.map((f) => `cannot move ${f.resource}: ${f.reason}\n`);
      for (const m of r.moved)
        this.#o.logs.clusterLog.log('info', 'swap_adapter: service address moved', { ...m });
      for (const f of r.failed)
        this.#o.logs.clusterLog.log('error', 'swap_adapter: service address not moved', { ...f });
      return result(errors.length > 0 ? 1 : 0, lines.join(''), errors.join(''));
    } catch (e) {
      return result(1, '', `${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  #resources(e: Extract<NodeEffect<GroupMessage>, { type: 'resources' }>): void {
    const eventId = this.#eventId();
    const trace = (t: ResourceTrace): void => {
      this.#o.logs.event({ type: 'resource', eventId, ...t });
    };
    this.#o.logs.clusterLog.log(
      'info',
      `${e.op === 'acquire' ? 'acquiring' : 'releasing'} groups`,
      {
        groups: e.groups,
        event: eventId ?? null,
      },
    );
    const r = this.#o.resources;
    // A release after lost quorum or a lapsed lease (the core's `halt:` runs) must be quick:
    // the other side starts these groups about a detection time after this node's lease ran
    // out. The halt commands stop them at once (as the dead man switch would); the release then
    // finds them stopped, and brings the agents' bookkeeping along.
    const halting = e.op === 'release' && e.runId.startsWith('halt:');
    const halted = halting
      ? r.haltNow(e.groups).then((h) => {
          const level = h.exitCode === 0 ? 'warn' : 'error';
          const msg = 'groups halted at once: this node lost quorum or its lease';
          const fields = { groups: e.groups, exitCode: h.exitCode, output: h.output.slice(-2000) };
          this.#o.logger[level](msg, fields);
          this.#o.logs.clusterLog.log(level, msg, fields);
        })
      : Promise.resolve();
    const run = (): Promise<{ group: string; reason: string }[]> =>
      e.op === 'acquire' ? r.acquire(e.groups, trace) : r.release(e.groups, trace);
    halted.then(run).then(
      (failed) => {
        this.#input({ type: 'resources-result', runId: e.runId, failed });
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.#input({
          type: 'resources-result',
          runId: e.runId,
          failed: e.groups.map((group) => ({ group, reason })),
        });
      },
    );
  }

  /** Writes the trace's event start and end lines, and keeps the last events for status. */
  #traceEvents(before: GroupNodeState, after: GroupNodeState): void {
    const b = before.part;
    const a = after.part;
    if (b && (!a || a.serial !== b.serial) && this.#open?.serial === b.serial) {
      const open = this.#open;
      const completed = after.log.some((id) => compareEventIds(id, b.id) === 0);
      const outcome: PastEvent['outcome'] = b.error
        ? 'error'
        : completed
          ? 'completed'
          : 'abandoned';
      const durationMs = this.#o.clock.monotonicMs() - open.startMono;
      const ev = open.view;
      if (ev) {
        this.#past.push({
          id: ev.id,
          name: ev.name,
          node: ev.node,
          details: ev.details,
          startedAtMs: open.startedAtMs,
          durationMs,
          outcome,
          message: b.error?.message ?? null,
          released: b.releases,
          acquired: b.acquires,
        });
        if (this.#past.length > MAX_PAST_EVENTS) this.#past.shift();
        this.#o.logs.event({
          type: 'event-end',
          eventId: ev.id,
          name: ev.name,
          eventNode: ev.node,
          args: Object.values(ev.details),
          outcome,
          durationMs,
        });
      }
      this.#open = null;
    }
    if (a && (!b || b.serial !== a.serial)) {
      const id = `${epochText(a.id.epoch)}.${String(a.id.seq)}`;
      const details = { ...(a.event.details ?? {}) };
      const view: EventsReply['current'] = {
        id,
        name: a.event.name,
        node: this.#names.name(a.event.node),
        details,
        startedAtMs: this.#o.clock.wallMs(),
        status: 'rp_running',
        releases: a.releases,
        acquires: a.acquires,
        error: null,
      };
      this.#open = {
        serial: a.serial,
        id: a.id,
        view,
        startedAtMs: view.startedAtMs,
        startMono: this.#o.clock.monotonicMs(),
      };
      const members = (after.agreement.view?.members ?? []).map((n) => this.#names.name(n));
      const reasons = Object.entries(after.resources.reasons)
        .filter(
          ([g]) =>
            a.releases.includes(g) || (after.resources.placement[g] ?? []).includes(this.#o.self),
        )
        .map(([g, r]) => `${g}: ${r}`);
      this.#o.logs.event({
        type: 'event-start',
        eventId: id,
        serial: a.serial,
        name: a.event.name,
        eventNode: view.node,
        args: Object.values(details),
        self: this.#names.name(this.#o.self),
        view: after.agreement.view ? epochText(after.agreement.view.epoch) : undefined,
        members,
        releases: a.releases,
        reasons,
      });
    }
  }

  // ---- views for the control socket --------------------------------------------------

  groups(): GroupView[] {
    const s = this.#state;
    const n = this.#names;
    return groupStates(s).map((g) => {
      const def = this.#o.config.resourceGroups.find((x) => x.name === g.group);
      const states: Record<string, GroupView['states'][string]> = {};
      for (const [id, st] of Object.entries(g.states)) states[n.name(Number(id))] = st;
      return {
        group: g.group,
        nodes: def?.nodes ?? [],
        policies: {
          startup: def?.startup ?? '',
          fallover: def?.fallover ?? '',
          fallback: def?.fallback ?? '',
          legacy: def?.legacyPolicy ?? null,
        },
        placedOn: g.placedOn.map((x) => n.name(x)),
        reason: g.reason,
        override:
          g.override === null ? null : g.override === 'offline' ? 'offline' : n.name(g.override),
        states,
        resources: (def?.resources ?? []).map((r) => ({
          name: r,
          kind: this.#o.config.resources.find((x) => x.name === r)?.kind ?? 'unknown',
        })),
      };
    });
  }

  cm(): ClusterStatusReply['cm'] {
    const s = this.#state;
    const st = cmStatus(s);
    return {
      state: (this.#stopped ? 'stopped' : st['state']) as CmStateName,
      view: s.agreement.view
        ? {
            epoch: epochText(s.agreement.view.epoch),
            members: s.agreement.view.members.map((m) => this.#names.name(m)),
          }
        : null,
      quorum: s.quorum,
      hasQuorum: hasQuorum(s, this.#o.clock.monotonicMs()),
      stopping: s.stopping !== null,
    };
  }

  errors(): ClusterStatusReply['errors'] {
    return [...this.#state.errors].map(([node, e]) => ({
      node: this.#names.name(node),
      event: e.event,
      groups: e.groups,
      message: e.message,
    }));
  }

  stops(): ReadonlyMap<NodeNo, 'graceful' | 'takeover' | 'forced'> {
    return new Map([...this.#state.stops].map(([n, r]) => [n, r.mode]));
  }

  events(): EventsReply {
    const s = this.#state;
    const p = s.part;
    const cur = this.#open?.view ?? null;
    return {
      node: this.#names.name(this.#o.self),
      current:
        p && cur
          ? {
              ...cur,
              status: p.error ? 'error' : String(cmStatus(s)['state']),
              releases: p.releases,
              // What it is acquiring now, before the acquisition is over.
              acquires:
                p.acquires.length > 0 || p.pending?.op !== 'acquire'
                  ? p.acquires
                  : p.pending.groups,
              error: p.error?.message ?? null,
            }
          : null,
      queue: s.agreement.queue.map((e) => ({ name: e.name, node: this.#names.name(e.node) })),
      recent: [...this.#past],
    };
  }
}
