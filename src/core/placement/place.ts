// The placement function: from the configuration, the eligible nodes, the current placement,
// the operator's overrides, node facts and the event, where every resource group is to be,
// why, and in what order to release and acquire. Pure and deterministic; the rules are in
// README.md, and each branch below cites the rule it implements.

import type { Context, Group, Unit } from './context.js';
import { buildContext, inListOrder, startingOverrides } from './context.js';
import { byName } from './order.js';
import { rankNodes } from './rank.js';
import type {
  GroupIntent,
  GroupTarget,
  GroupWaiting,
  Override,
  PlacementInput,
  PlacementPlan,
  PlacementStep,
} from './types.js';

/** Where a unit goes: a node, or none; `why` completes the reason line. */
type Decision =
  | {
      readonly kind: 'node';
      readonly node: string;
      readonly why: string;
      readonly waiting?: GroupWaiting;
    }
  | { readonly kind: 'none'; readonly why: string; readonly waiting?: GroupWaiting };

/** The node a unit prefers: its priority override location, else its home node. */
interface Pref {
  readonly node: string | undefined;
  readonly label: 'home node' | 'override location';
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

const withWhy = (d: Decision, prefix: string): Decision => ({ ...d, why: `${prefix}; ${d.why}` });

export function place(input: PlacementInput): PlacementPlan {
  const ctx = buildContext(input);
  // Each pass reserves for the groups not yet placed the node they will be on: first where
  // they are now, then where the previous pass put them. A group leaving a node in this event
  // thus stops blocking a peer that wants it, and the result is a fixed point: placing it
  // again (with nothing happening) reproduces it. Passes are bounded; should they not agree,
  // the last one stands, and it is as safe as any (see README.md, safety).
  const staying = initialHolds(ctx);
  let placer = new Placer(ctx, staying, new Map(staying));
  placer.placeAll();
  for (let i = 0; i <= ctx.names.length; i++) {
    const next = new Placer(ctx, staying, placer.holdsAfter());
    next.placeAll();
    const same = ctx.names.every((g) => sameSet(next.targetOf(g), placer.targetOf(g)));
    placer = next;
    if (same) break;
  }
  return placer.plan();
}

/** Exclusive groups that can stay where they are, and the node. */
function initialHolds(ctx: Context): Map<string, string> {
  const holds = new Map<string, string>();
  for (const g of ctx.groups.values()) {
    if (g.concurrent || g.unmanaged.size > 0) continue;
    const stay = g.current.find((n) => g.cand.includes(n));
    if (stay !== undefined) holds.set(g.name, stay);
  }
  return holds;
}

class Placer {
  private readonly trigger: PlacementInput['trigger'];
  private readonly named: ReadonlySet<string>;
  private readonly overrides: Map<string, Override>;
  private readonly targets = new Map<string, readonly string[]>();
  private readonly reasons = new Map<string, string>();
  private readonly waiting = new Map<string, GroupWaiting>();
  private readonly frozen = new Set<string>();
  constructor(
    private readonly ctx: Context,
    /**
     * Exclusive groups online now that can stay where they are: distribution counts their
     * nodes as taken. (Not the iterated reservations: a group starting by distribution would
     * then flip between two passes whenever its own child reserved the node it chose.)
     */
    private readonly staying: ReadonlyMap<string, string>,
    /**
     * Exclusive groups not yet placed, and the node reserved for each against weaker or equal
     * different-nodes peers.
     */
    private readonly holds: Map<string, string>,
  ) {
    this.trigger = ctx.input.trigger;
    this.named = new Set('groups' in this.trigger ? this.trigger.groups : []);
    this.overrides = startingOverrides(ctx);
  }

  placeAll(): void {
    this.operatorOverrides();
    for (const unit of this.ctx.units) {
      if (unit.lead.concurrent) this.placeConcurrent(unit.lead);
      else this.placeExclusive(unit);
    }
  }

  targetOf(group: string): readonly string[] {
    return this.targets.get(group) ?? [];
  }

  /** The reservations for the next pass: where this pass put each exclusive group. */
  holdsAfter(): Map<string, string> {
    const holds = new Map<string, string>();
    for (const g of this.ctx.groups.values()) {
      const node = this.targets.get(g.name)?.[0];
      if (!g.concurrent && !this.frozen.has(g.name) && node !== undefined) holds.set(g.name, node);
    }
    return holds;
  }

  plan(): PlacementPlan {
    const bounced = this.bounceChildren();
    return {
      groups: this.ctx.names.map((name) => this.target(name)),
      overrides: Object.fromEntries([...this.overrides].sort(([a], [b]) => byName(a, b))),
      ...this.steps(bounced),
    };
  }

  // ---- the event --------------------------------------------------------------------------

  private unitNamed(u: Unit): boolean {
    return u.members.some((m) => this.named.has(m.name));
  }

  /** rg_offline pins a group offline; rg_online and rg_move lift that pin (README: overrides). */
  private operatorOverrides(): void {
    const t = this.trigger;
    if (t.type === 'rg_offline') {
      for (const g of this.named)
        if (this.ctx.groups.has(g)) this.overrides.set(g, { type: 'offline' });
    }
    if (t.type === 'rg_online' || t.type === 'rg_move') {
      for (const u of this.ctx.units) {
        if (!this.unitNamed(u)) continue;
        for (const m of u.members)
          if (this.overrides.get(m.name)?.type === 'offline') this.overrides.delete(m.name);
      }
    }
  }

  /** Offline groups come online only at events that start groups (README: triggers). */
  private startAllowed(u: Unit): boolean {
    switch (this.trigger.type) {
      case 'startup':
      case 'node_up':
      case 'settling_expired':
        return true;
      case 'rg_online':
      case 'rg_move':
      case 'resume':
        if (this.unitNamed(u)) return true;
        break;
      default:
        break;
    }
    // A child starts with its parent.
    return u.members.some((m) => m.parents.some((p) => this.acquiredNow(p)));
  }

  private acquiredNow(group: string): boolean {
    const g = this.ctx.groups.get(group);
    return g !== undefined && g.current.length === 0 && (this.targets.get(group)?.length ?? 0) > 0;
  }

  private parentOnline(group: string): boolean {
    const g = this.ctx.groups.get(group);
    if (!g) return true;
    if (g.unmanaged.size > 0) return true;
    const t = this.targets.get(group);
    // Not placed yet only on a dependency cycle (verification rejects them): go by now.
    return t === undefined ? g.current.length > 0 : t.length > 0;
  }

  /** Why `node` cannot hold the unit, in a few words that start with the node's name. */
  private whyNot(
    node: string,
    members: readonly Group[],
    forbidden: ReadonlyMap<string, string>,
  ): string {
    const t = this.trigger;
    if ((t.type === 'node_down' && t.node === node) || !this.ctx.eligible.has(node))
      return t.type === 'node_down' && t.node === node ? `${node} down` : `${node} not available`;
    const inError = members.find((m) => m.errors.has(node));
    if (inError) return `${inError.name} in error on ${node}`;
    const unlisted = members.find((m) => !m.nodes.includes(node));
    if (unlisted) return `${node} not in the node list of ${unlisted.name}`;
    const holder = forbidden.get(node);
    if (holder !== undefined) return `${node} holds ${holder} (different nodes)`;
    return `${node} not available`;
  }

  private prefUnavailable(
    p: Pref,
    members: readonly Group[],
    forbidden: ReadonlyMap<string, string>,
  ): string {
    if (p.node === undefined) return 'no node in common (same node)';
    const why = this.whyNot(p.node, members, forbidden);
    return why.startsWith(p.node)
      ? `${p.label} ${why}`
      : `${p.label} ${p.node} not available: ${why}`;
  }

  // ---- exclusive groups -------------------------------------------------------------------

  private placeExclusive(unit: Unit): void {
    for (const m of unit.members) {
      if (m.unmanaged.size === 0) continue;
      const on = [...m.unmanaged].sort(byName).join(', ');
      this.frozen.add(m.name);
      this.finish(m, [], '');
      this.reasons.set(
        m.name,
        `${m.name} unmanaged on ${on}: left running by a forced stop; nobody else acquires it`,
      );
    }
    const members = unit.members.filter((m) => m.unmanaged.size === 0);
    const lead = [...members].sort((a, b) => byName(a.name, b.name))[0];
    if (!lead) return;
    const d = new UnitView(this, unit, members, lead).decide();
    for (const m of members) {
      let nodes: string[] = d.kind === 'node' ? [d.node] : [];
      let why = d.why;
      let waiting = d.waiting;
      const blocked = m.parents.find((p) => !this.parentOnline(p));
      if (this.overrides.get(m.name)?.type === 'offline') {
        [nodes, waiting] = [[], undefined];
        why =
          this.trigger.type === 'rg_offline' && this.named.has(m.name)
            ? 'taken offline by the operator'
            : 'offline by the operator (rg_online brings it back)';
      } else if (blocked !== undefined) {
        [nodes, waiting] = [[], undefined];
        why = `parent ${blocked} offline`;
      } else if (m !== lead) {
        why = `${why} (same node as ${lead.name})`;
      }
      if (waiting) this.waiting.set(m.name, waiting);
      this.finish(m, nodes, why);
    }
  }

  /** Record a group's target and reason line. */
  private finish(g: Group, nodes: readonly string[], why: string): void {
    this.targets.set(g.name, nodes);
    this.holds.delete(g.name);
    const was = g.current;
    const line =
      nodes.length === 0
        ? was.length === 0
          ? `${g.name} stays offline: ${why}`
          : `${g.name} -> offline: ${why}`
        : sameSet(nodes, was)
          ? `${g.name} stays on ${nodes.join(', ')}: ${why}`
          : `${g.name} -> ${nodes.join(', ')}: ${why}`;
    this.reasons.set(g.name, line);
  }

  // ---- concurrent groups ------------------------------------------------------------------

  private placeConcurrent(g: Group): void {
    const unit = this.ctx.unitOf.get(g.name);
    const blocked = g.parents.find((p) => !this.parentOnline(p));
    const lost = g.current.filter((n) => !g.cand.includes(n) && !g.unmanaged.has(n));
    const lostWhy = lost.map((n) => `${this.whyNot(n, [g], new Map())}: offline there only`);
    if (this.overrides.get(g.name)?.type === 'offline') {
      const byOperator = this.trigger.type === 'rg_offline' && this.named.has(g.name);
      this.finish(
        g,
        [],
        byOperator
          ? 'taken offline by the operator'
          : 'offline by the operator (rg_online brings it back)',
      );
      return;
    }
    if (blocked !== undefined) {
      this.finish(g, [], `parent ${blocked} offline`);
      return;
    }
    const stay = g.current.filter((n) => g.cand.includes(n));
    const start = unit !== undefined && this.startAllowed(unit);
    const add = start ? g.cand.filter((n) => !stay.includes(n)) : [];
    const nodes = inListOrder([...stay, ...add], g.nodes);
    const parts = [...lostWhy];
    if (add.length > 0) parts.push(`online on all available nodes (${add.join(', ')} added)`);
    if (this.trigger.type === 'rg_move' && this.named.has(g.name))
      parts.unshift(
        'rg_move does not apply to a group online on all available nodes (use rg_online or rg_offline)',
      );
    if (nodes.length === 0 && g.current.length === 0) {
      parts.push(
        g.cand.length === 0
          ? 'no node of its list available'
          : 'starts at the next node_up, or with rg_online',
      );
    } else if (nodes.length === 0) {
      parts.push('no other node available');
    } else if (parts.length === 0) {
      parts.push('online on all available nodes');
    }
    this.finish(g, nodes, parts.join('; '));
  }

  // ---- after placement --------------------------------------------------------------------

  /**
   * A child needs its parent's services: when an exclusive parent moves (or restarts), each
   * child that stays where it is restarts there too, released before the parent and acquired
   * after it (README: dependencies). Concurrent parents losing a node do not restart children.
   */
  private bounceChildren(): Map<string, readonly string[]> {
    const bounced = new Map<string, readonly string[]>();
    for (const name of this.ctx.acquireOrder) {
      const g = this.ctx.groups.get(name);
      if (!g || this.frozen.has(name)) continue;
      const target = this.targets.get(name) ?? [];
      const released = g.current.filter((n) => !target.includes(n) && !g.unmanaged.has(n));
      const moves =
        (!g.concurrent && released.length > 0 && target.length > 0) || bounced.has(name);
      if (!moves) continue;
      for (const c of g.children) {
        const child = this.ctx.groups.get(c);
        if (!child || bounced.has(c) || this.frozen.has(c)) continue;
        const staying = child.current.filter((n) => (this.targets.get(c) ?? []).includes(n));
        if (staying.length === 0) continue;
        bounced.set(c, staying);
        this.reasons.set(c, `${this.reasons.get(c) ?? c}; restarts: parent ${name} moves`);
      }
    }
    return bounced;
  }

  private steps(bounced: ReadonlyMap<string, readonly string[]>): {
    release: PlacementStep[];
    acquire: PlacementStep[];
  } {
    const release: PlacementStep[] = [];
    const acquire: PlacementStep[] = [];
    for (const name of this.ctx.releaseOrder) {
      const g = this.ctx.groups.get(name);
      if (!g || this.frozen.has(name)) continue;
      const target = this.targets.get(name) ?? [];
      const out = g.current.filter((n) => !target.includes(n) && !g.unmanaged.has(n));
      for (const node of inListOrder([...out, ...(bounced.get(name) ?? [])], g.nodes))
        release.push({ group: name, node });
    }
    for (const name of this.ctx.acquireOrder) {
      const g = this.ctx.groups.get(name);
      if (!g || this.frozen.has(name)) continue;
      const target = this.targets.get(name) ?? [];
      const into = target.filter((n) => !g.current.includes(n));
      for (const node of inListOrder([...into, ...(bounced.get(name) ?? [])], g.nodes))
        acquire.push({ group: name, node });
    }
    return { release, acquire };
  }

  private target(name: string): GroupTarget {
    const g = this.ctx.groups.get(name);
    const nodes = this.targets.get(name) ?? [];
    let intent: GroupIntent = 'offline';
    if (this.frozen.has(name)) intent = 'unmanaged';
    else if (nodes.length > 0) intent = 'online';
    else if (g && this.overrides.get(name)?.type !== 'offline') {
      const eligible = g.nodes.filter((n) => this.ctx.eligible.has(n));
      if (eligible.length > 0 && eligible.every((n) => g.errors.has(n))) intent = 'error';
    }
    return {
      group: name,
      nodes,
      intent,
      waiting: nodes.length > 0 || intent === 'offline' ? this.waiting.get(name) : undefined,
      reason: this.reasons.get(name) ?? `${name}: not placed`,
    };
  }

  // ---- what UnitView reads ----------------------------------------------------------------

  get context(): Context {
    return this.ctx;
  }
  get event(): PlacementInput['trigger'] {
    return this.trigger;
  }
  isNamed(u: Unit): boolean {
    return this.unitNamed(u);
  }
  override(group: string): Override | undefined {
    return this.overrides.get(group);
  }
  setOverride(group: string, o: Override | undefined): void {
    if (o === undefined) this.overrides.delete(group);
    else this.overrides.set(group, o);
  }
  mayStart(u: Unit): boolean {
    return this.startAllowed(u);
  }
  placedTarget(group: string): readonly string[] | undefined {
    return this.targets.get(group);
  }
  heldNode(group: string): string | undefined {
    return this.holds.get(group);
  }
  reasonNot(
    node: string,
    members: readonly Group[],
    forbidden: ReadonlyMap<string, string>,
  ): string {
    return this.whyNot(node, members, forbidden);
  }
  reasonPref(p: Pref, members: readonly Group[], forbidden: ReadonlyMap<string, string>): string {
    return this.prefUnavailable(p, members, forbidden);
  }

  /** Distribution: a node where some other exclusive group is (or stays) online. */
  occupied(node: string, unit: Unit): boolean {
    for (const g of this.ctx.groups.values()) {
      if (g.concurrent || unit.members.includes(g)) continue;
      const t = this.targets.get(g.name);
      if (t !== undefined ? t.includes(node) : this.staying.get(g.name) === node) return true;
    }
    return false;
  }
}

/** One exclusive unit's decision, with what it sees of the placement so far. */
class UnitView {
  /** Nodes every member lists, in the lead's order. */
  private readonly nodes: readonly string[];
  /** Of those, the nodes every member may use now. */
  private readonly cand: readonly string[];
  /** Nodes a different-nodes peer has (placed) or keeps (stronger or equal, not yet placed). */
  private readonly forbidden = new Map<string, string>();
  private readonly free: readonly string[];
  /** The node it is on and may stay on; else the node it was on (lost). */
  private readonly cur: string | undefined;
  private readonly lost: string | undefined;
  private readonly pref: Pref;

  constructor(
    private readonly p: Placer,
    private readonly unit: Unit,
    private readonly members: readonly Group[],
    private readonly lead: Group,
  ) {
    this.nodes = lead.nodes.filter((n) => members.every((m) => m.nodes.includes(n)));
    this.cand = this.nodes.filter((n) => members.every((m) => m.cand.includes(n)));
    for (const m of members) {
      for (const peer of [...m.peers].sort(byName)) {
        if (unit.members.some((x) => x.name === peer)) continue;
        const placed = p.placedTarget(peer);
        const peerLevel = p.context.groups.get(peer)?.level ?? Infinity;
        const nodes = placed ?? (peerLevel <= m.level ? [p.heldNode(peer)] : []);
        for (const n of nodes)
          if (n !== undefined && !this.forbidden.has(n)) this.forbidden.set(n, peer);
      }
    }
    this.free = this.cand.filter((n) => !this.forbidden.has(n));
    const was = members.flatMap((m) => m.current);
    this.cur = was.find((n) => this.free.includes(n));
    this.lost = this.cur === undefined ? was[0] : undefined;
    this.pref = this.prefNode();
  }

  private prefNode(): Pref {
    for (const m of [this.lead, ...this.members.filter((x) => x !== this.lead)]) {
      const o = this.p.override(m.name);
      if (o?.type === 'node' && this.nodes.includes(o.node))
        return { node: o.node, label: 'override location' };
    }
    return { node: this.nodes[0], label: 'home node' };
  }

  private get def(): Group['def'] {
    return this.lead.def;
  }

  decide(): Decision {
    const t = this.p.event;
    if (
      this.p.isNamed(this.unit) &&
      (t.type === 'rg_move' ||
        (t.type === 'rg_online' && t.to !== undefined && this.cur === undefined))
    ) {
      const r = this.operatorTarget(t.to);
      if (typeof r !== 'string') return r;
      return withWhy(this.normal(), `${t.type} refused: ${r}`);
    }
    return this.normal();
  }

  /** README: operator moves. A string is the refusal. */
  private operatorTarget(to: string | undefined): Decision | string {
    let node: string;
    if (to !== undefined) {
      if (!this.nodes.includes(to)) return `${to} is not in its node list`;
      if (!this.p.context.eligible.has(to)) return `${to} is not available`;
      const inError = this.members.find((m) => m.errors.has(to));
      if (inError) return `${inError.name} is in error on ${to}`;
      const holder = this.forbidden.get(to);
      if (holder !== undefined) return `${to} holds ${holder} (different nodes)`;
      if (this.cur === to) return `already on ${to}`;
      node = to;
    } else {
      const others = this.free.filter((n) => n !== this.cur);
      const best = this.byFallover(others);
      if (!best) return 'no other node available';
      node = best.node;
    }
    const home = node === this.nodes[0];
    for (const m of this.members)
      this.p.setOverride(m.name, home ? undefined : { type: 'node', node });
    return {
      kind: 'node',
      node,
      why: home
        ? 'moved by the operator to its home node'
        : 'moved by the operator; override location set',
    };
  }

  /** The fallover choice among `nodes` (list order): dynamic priority, else next in list. */
  private byFallover(nodes: readonly string[]): { node: string; phrase: string } | undefined {
    const dp = this.def.dynamicPriority;
    if (this.def.fallover === 'dynamic-priority' && dp)
      return rankNodes(nodes, dp.policy, this.lead.name, this.p.context.input.facts ?? {});
    const first = nodes[0];
    return first === undefined ? undefined : { node: first, phrase: 'next in priority' };
  }

  private normal(): Decision {
    if (this.members.every((m) => this.p.override(m.name)?.type === 'offline'))
      return { kind: 'none', why: 'offline by the operator' };
    if (this.cur !== undefined) return this.stayOrFallback(this.cur);
    if (this.lost !== undefined) return this.fallover(this.lost);
    if (!this.p.mayStart(this.unit)) {
      const would = this.start();
      return {
        kind: 'none',
        why: would.kind === 'node' ? 'starts at the next node_up, or with rg_online' : would.why,
      };
    }
    return this.start();
  }

  /** README: fallback. The group may stay on `cur`. */
  private stayOrFallback(cur: string): Decision {
    const { node: pref, label } = this.pref;
    const t = this.p.event;
    const timerFired = t.type === 'fallback_timer' && this.p.isNamed(this.unit);
    if (pref === cur || pref === undefined) {
      const why =
        t.type === 'rg_online' && this.p.isNamed(this.unit) ? 'already online' : `its ${label}`;
      return { kind: 'node', node: cur, why };
    }
    if (this.def.fallback === 'never') return { kind: 'node', node: cur, why: 'fallback never' };
    if (!this.free.includes(pref)) {
      const why = this.p.reasonPref(this.pref, this.members, this.forbidden);
      return {
        kind: 'node',
        node: cur,
        why: timerFired ? `fallback timer fired, but ${why}` : why,
      };
    }
    if (this.def.fallbackTimer !== undefined) {
      if (timerFired)
        return { kind: 'node', node: pref, why: `fallback timer fired; back to its ${label}` };
      return {
        kind: 'node',
        node: cur,
        why: `falls back to ${pref} when its fallback timer fires`,
        waiting: 'fallback-timer',
      };
    }
    const joined = t.type === 'node_up' && t.node === pref;
    return {
      kind: 'node',
      node: pref,
      why: joined ? `${pref} up; fallback to its ${label}` : `fallback to its ${label}`,
    };
  }

  /** README: fallover. The group was on `lost`, which it cannot keep. */
  private fallover(lost: string): Decision {
    const why = this.p.reasonNot(lost, this.members, this.forbidden);
    if (this.free.length === 0) return { kind: 'none', why: `${why}; no other node available` };
    if (this.def.fallover === 'offline')
      return { kind: 'none', why: `${why}; fallover policy brings it offline` };
    const pref = this.pref.node;
    // Where a fallback would take it at once anyway: go there now, not twice.
    if (this.def.fallback === 'higher-priority' && pref !== undefined && this.free.includes(pref))
      return { kind: 'node', node: pref, why: `${why}; ${pref} is its ${this.pref.label}` };
    const best = this.byFallover(this.free);
    if (!best) return { kind: 'none', why: `${why}; no other node available` };
    return { kind: 'node', node: best.node, why: `${why}; ${best.node} ${best.phrase}` };
  }

  /** README: startup. The group is offline and this event may start it. */
  private start(): Decision {
    const { node: pref, label } = this.pref;
    const t = this.p.event;
    const prefFree = pref !== undefined && this.free.includes(pref);
    const unavailable = (): string => this.p.reasonPref(this.pref, this.members, this.forbidden);
    switch (this.def.startup) {
      case 'home-node':
        if (prefFree) return { kind: 'node', node: pref, why: `online on its ${label} (startup)` };
        return { kind: 'none', why: `${unavailable()} (startup: home node only)` };
      case 'distribution': {
        // An operator's override location wins over spreading, and so does a node that a
        // fallback would move the group to at once (verification rejects that combination).
        if (
          prefFree &&
          (this.pref.label === 'override location' || this.def.fallback === 'higher-priority')
        )
          return { kind: 'node', node: pref, why: `online on its ${label} (startup)` };
        const node = this.free.find((n) => !this.p.occupied(n, this.unit));
        if (node !== undefined)
          return { kind: 'node', node, why: `${node} has no other group online (distribution)` };
        return {
          kind: 'none',
          why:
            this.free.length === 0
              ? 'no node of its list available'
              : 'every available node of its list has a group online (distribution)',
        };
      }
      case 'first-available':
      case 'all-available': {
        if (prefFree) return { kind: 'node', node: pref, why: `online on its ${label} (startup)` };
        const settles =
          (t.type === 'startup' || t.type === 'node_up') &&
          this.p.context.input.config.settlingTimeMs > 0;
        if (settles && this.free.length > 0)
          return {
            kind: 'none',
            why: `waits for the settling time: ${unavailable()}`,
            waiting: 'settling-time',
          };
        const node = this.free[0];
        if (node === undefined) return { kind: 'none', why: 'no node of its list available' };
        const over = t.type === 'settling_expired' ? 'settling time over; ' : '';
        return { kind: 'node', node, why: `${over}first available node (${unavailable()})` };
      }
    }
  }
}
