// A small cluster of group nodes for tests: a lossless network with 1 ms per message, commands
// that end as the test says (default: exit 0 after 7 ms), a renewable tie-breaker lease of 2 s,
// and virtual time advanced 1 ms at a time. Every holding change is checked: no group is ever
// held by two nodes. An exited node's groups stay held (a forced stop leaves them running).
import assert from 'node:assert/strict';
import type { NodeEffect, NodeInput, NodeNo, OperatorRequest } from '../cluster/node.js';
import { votesOf } from './quorum.js';
import {
  createGroupNode,
  groupNodeMachine,
  type GroupConfig,
  type GroupMessage,
  type GroupNodeState,
} from './node.js';

export type Run = Extract<NodeEffect<GroupMessage>, { type: 'run' }>;
/** How a command ends: its exit status and how long it takes (default 0 after 7 ms). */
export type Outcome = (node: NodeNo, run: Run) => { exitCode: number; ms?: number } | undefined;
export type Resources = Extract<NodeEffect<GroupMessage>, { type: 'resources' }>;
/** Which groups of a resources request fail, and why (default: none, after 3 ms). */
export type ResourceOutcome = (node: NodeNo, r: Resources) => Record<string, string> | undefined;

export class TestCluster {
  now = 0;
  readonly states = new Map<NodeNo, GroupNodeState>();
  readonly links = new Set<string>();
  readonly runs = new Map<NodeNo, Run[]>();
  readonly logs = new Map<NodeNo, { level: string; msg: string; fields?: unknown }[]>();
  readonly holders = new Map<string, Set<NodeNo>>();
  readonly exited = new Set<NodeNo>();
  outcome: Outcome = () => undefined;
  resourceOutcome: ResourceOutcome = () => undefined;
  /** Every resources request, by node, in order: "acquire g1 g2", "release g1". */
  readonly resourceOps = new Map<NodeNo, string[]>();
  /** Sees every message and result just before it is delivered. */
  onDeliver: (to: NodeNo, input: NodeInput<GroupMessage>) => void = () => undefined;
  /** The tie-breaker: one renewable lease of 2 s, answered in 5 ms. */
  tieHolder: { node: NodeNo; until: number } | null = null;
  private pending: { at: number; to: NodeNo; input: NodeInput<GroupMessage> }[] = [];
  private readonly wakes = new Map<NodeNo, number | null>();
  private readonly incarnations = new Map<NodeNo, number>();

  constructor(
    readonly nodes: NodeNo[],
    readonly config: GroupConfig,
  ) {
    for (const a of nodes) for (const b of nodes) if (a !== b) this.links.add(`${a}>${b}`);
    for (const n of nodes) this.boot(n);
  }

  boot(n: NodeNo): void {
    const inc = (this.incarnations.get(n) ?? 0) + 1;
    this.incarnations.set(n, inc);
    this.exited.delete(n);
    this.states.set(n, createGroupNode(n, inc, this.config, this.now));
    this.input(n, { type: 'start' });
    this.liveness();
  }

  liveness(): void {
    for (const n of this.states.keys()) {
      const up = this.nodes.filter(
        (m) => m !== n && this.states.has(m) && this.links.has(`${m}>${n}`),
      );
      this.input(n, { type: 'liveness', up });
    }
  }

  isolate(n: NodeNo): void {
    for (const m of this.nodes) {
      this.links.delete(`${n}>${m}`);
      this.links.delete(`${m}>${n}`);
    }
    this.liveness();
  }

  operator(n: NodeNo, request: OperatorRequest): void {
    this.input(n, { type: 'operator', request });
  }

  input(n: NodeNo, input: NodeInput<GroupMessage>): void {
    const s = this.states.get(n);
    if (!s) return;
    const r = groupNodeMachine.step(s, input, this.now);
    this.states.set(n, r.state);
    for (const e of r.effects) {
      this.effect(n, e);
      if (e.type === 'exit') return;
    }
  }

  private effect(n: NodeNo, e: NodeEffect<GroupMessage>): void {
    switch (e.type) {
      case 'send':
        if (this.links.has(`${n}>${e.to}`))
          this.pending.push({
            at: this.now + 1,
            to: e.to,
            input: { type: 'message', from: n, msg: e.msg },
          });
        break;
      case 'wake-at':
        this.wakes.set(n, e.atMs);
        break;
      case 'run': {
        this.runs.set(n, [...(this.runs.get(n) ?? []), e]);
        const o = this.outcome(n, e) ?? { exitCode: 0 };
        this.pending.push({
          at: this.now + (o.ms ?? 7),
          to: n,
          input: {
            type: 'run-result',
            runId: e.runId,
            exitCode: o.exitCode,
            timedOut: false,
            output: `out of ${e.command}`,
          },
        });
        break;
      }
      case 'resources': {
        const list = this.resourceOps.get(n) ?? [];
        list.push(`${e.op} ${e.groups.join(' ')}`);
        this.resourceOps.set(n, list);
        const failed = Object.entries(this.resourceOutcome(n, e) ?? {}).map(([group, reason]) => ({
          group,
          reason,
        }));
        this.pending.push({
          at: this.now + 3,
          to: n,
          input: { type: 'resources-result', runId: e.runId, failed },
        });
        break;
      }
      case 'holding': {
        const set = this.holders.get(e.group) ?? new Set();
        if (e.held) set.add(n);
        else set.delete(n);
        this.holders.set(e.group, set);
        assert.ok(set.size <= 1, `${e.group} held by ${[...set].join(' and ')} at ${this.now}`);
        break;
      }
      case 'tiebreak': {
        const t = this.tieHolder;
        const granted = !t || t.until <= this.now || t.node === n;
        if (granted) this.tieHolder = { node: n, until: this.now + 2000 };
        this.pending.push({
          at: this.now + 5,
          to: n,
          input: { type: 'tiebreak-result', requestId: e.requestId, granted },
        });
        break;
      }
      case 'log':
        this.logs.set(n, [...(this.logs.get(n) ?? []), e]);
        break;
      case 'exit':
        // The process ends; what it holds stays held (a forced stop leaves groups running).
        this.exited.add(n);
        this.states.delete(n);
        this.wakes.delete(n);
        this.liveness();
        break;
      default:
        break;
    }
  }

  run(untilMs: number): void {
    while (this.now < untilMs) {
      this.now++;
      const due = this.pending.filter((p) => p.at <= this.now);
      this.pending = this.pending.filter((p) => p.at > this.now);
      for (const p of due) {
        this.onDeliver(p.to, p.input);
        this.input(p.to, p.input);
      }
      for (const [n, at] of this.wakes)
        if (at !== null && at <= this.now) this.input(n, { type: 'wake' });
    }
  }

  holder(group: string): NodeNo[] {
    return [...(this.holders.get(group) ?? [])];
  }

  commands(n: NodeNo): string[] {
    return (this.runs.get(n) ?? []).map((r) => r.command);
  }

  logged(n: NodeNo, msg: string): boolean {
    return (this.logs.get(n) ?? []).some((l) => l.msg.includes(msg));
  }

  state(n: NodeNo): GroupNodeState {
    const s = this.states.get(n);
    assert.ok(s, `node ${n} is not running`);
    return s;
  }
}

/** Three nodes, rg_a on 1 (list 1, 2, 3) and rg_b on 3 (list 3, 2, 1): the tests' usual cluster. */
export const THREE_NODES: GroupConfig = {
  votes: votesOf(
    [1, 2, 3].map((id) => ({ id, votes: 1 })),
    false,
  ),
  settleMs: 50,
  membership: { gossipMs: 100, attemptTimeoutMs: 300 },
  commandTimeoutMs: 60_000,
  groups: [
    { name: 'rg_a', nodes: [1, 2, 3] },
    { name: 'rg_b', nodes: [3, 2, 1] },
  ],
  takeoverDelayMs: 500,
};
