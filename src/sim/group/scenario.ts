// Group services under the simulator: membership, quorum, event voting and barriers on 2 to 16
// nodes, through loss, duplication, delay, partitions of every shape, crashes, restarts and
// pauses. The invariants are issue 4's: one leader and one member list per epoch, events in the
// same order everywhere, no barrier released before every current participant reached it, and
// convergence to one view with nothing left running once the faults stop.

import type { NodeNo } from '../../core/cluster/node.js';
import { compareEventIds, type EventId, type Running } from '../../core/group/agreement.js';
import {
  createGroupNode,
  groupNodeMachine,
  type GroupConfig,
  type GroupMessage,
  type GroupNodeState,
} from '../../core/group/node.js';
import { votesOf } from '../../core/group/quorum.js';
import { placement } from '../../core/group/node.js';
import { exclusiveHolding } from '../invariants.js';
import { epochText, type View } from '../../core/group/membership.js';
import type { Scenario, ScenarioSetup } from '../scenario.js';
import type { Invariant, World } from '../world.js';

const idKey = (id: EventId): string => `${epochText(id.epoch)}.${id.seq}`;

/** Any two nodes that committed the same epoch committed the same members, led by the lowest. */
function oneViewPerEpoch(): Invariant<GroupNodeState> {
  const seen = new Map<string, string>();
  // Per node, the view object it last passed with. Views are immutable, and an epoch's entry in
  // `seen` is never replaced once set, so checking the same view of the same node again could
  // only pass again: it is skipped (most steps do not change the view).
  const passed = new Map<NodeNo, View>();
  return {
    name: 'one-view-per-epoch',
    check(w) {
      const n = w.lastStepped;
      const v = n === undefined ? undefined : w.state(n)?.membership.view;
      if (n === undefined || !v) return undefined;
      if (passed.get(n) === v) return undefined;
      if (v.epoch.leader !== v.members[0])
        return `node ${n}: view ${epochText(v.epoch)} is led by ${v.epoch.leader}, not its lowest member ${v.members[0]}`;
      if (!v.members.includes(n)) return `node ${n} committed a view without itself`;
      const key = epochText(v.epoch);
      const members = v.members.join(',');
      const before = seen.get(key);
      if (before !== undefined && before !== members)
        return `epoch ${key}: members [${before}] and [${members}]`;
      seen.set(key, members);
      passed.set(n, v);
      return undefined;
    },
  };
}

/** Every node finishes events in increasing id order, and an id always names the same event. */
function eventsInOrder(): Invariant<GroupNodeState> {
  const names = new Map<string, string>();
  const checked = new Map<NodeNo, number>();
  // Per node, the running event it last passed with: an id's entry in `names` is never
  // replaced once set, so the same (immutable) object could only pass again.
  const passedRunning = new Map<NodeNo, Running>();
  return {
    name: 'events-in-order',
    check(w) {
      const n = w.lastStepped;
      const s = n === undefined ? undefined : w.state(n);
      if (n === undefined || !s) return undefined;
      const from = Math.min(checked.get(n) ?? 0, s.log.length);
      for (let i = Math.max(1, from); i < s.log.length; i++) {
        const a = s.log[i - 1] as EventId;
        const b = s.log[i] as EventId;
        if (compareEventIds(a, b) >= 0) return `node ${n} finished ${idKey(b)} after ${idKey(a)}`;
      }
      checked.set(n, s.log.length);
      const r = s.agreement.running;
      if (r && passedRunning.get(n) !== r) {
        const k = idKey(r.id);
        const before = names.get(k);
        if (before !== undefined && before !== r.event.key)
          return `event ${k} is ${before} on one node and ${r.event.key} on node ${n}`;
        names.set(k, r.event.key);
        passedRunning.set(n, r);
      }
      return undefined;
    },
  };
}

/**
 * When a node passes a barrier (a release it had not seen before), every participant in its
 * view that runs the same event has reached that barrier. A participant that does not run it
 * any more (it crashed after reaching the barrier, or abandoned the event for another view's)
 * cannot be judged at that moment and is skipped.
 */
function barriersWaitForAll(): Invariant<GroupNodeState> {
  const seen = new Map<string, number>();
  // Per node, the incarnation and running event it was last checked with. `seen` only grows, and
  // after a check of an (immutable) running event its entry covers every release that event
  // lists, so checking the same event of the same life again could only return early.
  const passed = new Map<NodeNo, { readonly inc: number; readonly r: Running }>();
  return {
    name: 'barrier-waits-for-all',
    check(w) {
      const n = w.lastStepped;
      const s = n === undefined ? undefined : w.state(n);
      const r = s?.agreement.running;
      const view = s?.agreement.view;
      // A leader coordinating an event it takes no part in passes no barrier itself.
      if (n === undefined || !r || !view || !r.participants.includes(n)) return undefined;
      // Nothing released: nothing passed (and `seen` would be left as it is).
      if (r.released.length === 0) return undefined;
      const inc = w.incarnation(n);
      const last = passed.get(n);
      if (last !== undefined && last.r === r && last.inc === inc) return undefined;
      passed.set(n, { inc, r });
      const key = `${n}:${inc}:${idKey(r.id)}`;
      const before = seen.get(key) ?? 0;
      if (r.released.length <= before) return undefined;
      seen.set(key, r.released.length);
      for (const k of r.released.slice(before)) {
        for (const p of r.participants) {
          if (p === n || !view.members.includes(p) || w.status(p) === 'down') continue;
          const pr = w.state(p)?.agreement.running;
          // A node that abandoned its part and now only coordinates the event (as the leader of
          // a later view) has no part to reach: like a node running nothing, it is not judged.
          if (
            pr &&
            compareEventIds(pr.id, r.id) === 0 &&
            pr.participants.includes(p) &&
            !pr.reached.includes(k)
          ) {
            return `node ${n} passed barrier ${k} of ${idKey(r.id)} before node ${p} reached it`;
          }
        }
      }
      return undefined;
    },
  };
}

function running(w: World<GroupNodeState>): NodeNo[] {
  return w.nodes.filter((n) => w.status(n) === 'running');
}

/** After healing: every running node is in one view of all running nodes. */
const oneView: Invariant<GroupNodeState> = {
  name: 'converged-one-view',
  check(w) {
    const all = running(w);
    const want = all.join(',');
    for (const n of all) {
      const v = w.state(n)?.membership.view;
      const got = v?.members.join(',');
      if (got !== want) {
        const leader = w.state(all[0] as NodeNo)?.membership;
        const row = leader?.rows.get(n);
        const lc = leader?.lastCommit?.view.epoch;
        return (
          `node ${n} is in view [${got ?? 'none'}], not [${want}]; node ${all[0]} knows its row ` +
          `v${row?.version ?? '-'} hears [${row?.hears.join(',') ?? ''}] view ${row?.view ? epochText(row.view) : 'none'}, ` +
          `and last committed ${lc ? `${lc.n}.${lc.leader}` : 'nothing'}; node ${n} promised ` +
          JSON.stringify(w.state(n)?.membership.promised)
        );
      }
    }
    const epochs = new Set(all.map((n) => JSON.stringify(w.state(n)?.membership.view?.epoch)));
    return epochs.size > 1 ? `running nodes are in ${epochs.size} different epochs` : undefined;
  },
};

/** After healing: every group is held by exactly the node its list puts first among the running. */
const placed: Invariant<GroupNodeState> = {
  name: 'converged-placed',
  check(w) {
    const all = running(w);
    const config = all.length > 0 ? w.state(all[0] as NodeNo)?.config : undefined;
    for (const [group, to] of placement(config?.groups, all)) {
      const holders = w.holders(group).join(',');
      if (holders !== String(to))
        return `group ${group} is held by [${holders}], not by node ${to}`;
    }
    return undefined;
  },
};

/** After healing: no event runs, nothing is queued or being voted, every node has quorum. */
const drained: Invariant<GroupNodeState> = {
  name: 'converged-queue-empty',
  check(w) {
    for (const n of running(w)) {
      const s = w.state(n);
      if (!s) continue;
      const a = s.agreement;
      if (a.running) {
        // Say who the event waits for and what they are doing: that is the bug to look at.
        const r = a.running;
        const waiting = r.participants
          .filter((p) => p !== n)
          .map((p) => {
            const ps = w.state(p)?.agreement;
            const pr = ps?.running;
            const doing = pr
              ? `runs ${idKey(pr.id)} reached [${pr.reached.join(',')}]`
              : 'runs nothing';
            return `${p}: ${doing}, last done ${ps?.lastDone ? idKey(ps.lastDone) : 'none'}, view ${ps?.view ? epochText(ps.view.epoch) : 'none'}`;
          });
        const awaiting = [...a.awaitingSync].join(',');
        return `node ${n} still runs ${r.event.key} (${idKey(r.id)}, released [${r.released.join(',')}]), awaiting syncs from [${awaiting}]; participants: ${waiting.join('; ')}`;
      }
      if (a.queue.length || a.vote)
        return `node ${n} still has ${a.queue.length} queued events${a.vote ? ' and a vote' : ''}`;
      if (s.quorum !== 'majority') return `node ${n} has no quorum in the whole cluster`;
    }
    return undefined;
  },
};

/** The tie-breaker's lease (a disk reservation or a quorum server's grant). */
const TIEBREAKER_LEASE_MS = 2_000;

export const groupServices: Scenario<GroupNodeState, GroupMessage> = {
  name: 'group-services',
  description:
    'membership, quorum, event voting and barriers on 2-16 nodes under every fault shape',
  nodeCount: { min: 2, max: 16 },
  setup(nodes): ScenarioSetup<GroupNodeState, GroupMessage> {
    const config: GroupConfig = {
      // With a tie-breaker: a clean half of an even cluster keeps quorum while its leader
      // holds the tie-breaker's lease.
      votes: votesOf(
        nodes.map((id) => ({ id, votes: 1 })),
        true,
      ),
      tieBreaker: { leaseMs: TIEBREAKER_LEASE_MS },
      settleMs: 50,
      membership: { gossipMs: 200, attemptTimeoutMs: 600 },
      commandTimeoutMs: 5000,
      // Groups with every node, in different orders, so that failures and returns move them.
      groups: [
        { name: 'rg_a', nodes: [...nodes] },
        { name: 'rg_b', nodes: [...nodes].reverse() },
        { name: 'rg_c', nodes: [...nodes.slice(1), ...nodes.slice(0, 1)] },
      ],
      // Above the dead man switch's 1 s plus the detection window (downAfter 800 + jitter 200).
      takeoverDelayMs: 2_500,
      // A node holds only while a quorum of its view answered a ping within the last second.
      lease: { leaseMs: 1_000, renewMs: 250 },
    };
    // Incarnations must grow at every restart of a node.
    const starts = new Map<NodeNo, number>();
    return {
      machine: groupNodeMachine,
      init: (node) => {
        const incarnation = (starts.get(node) ?? 0) + 1;
        starts.set(node, incarnation);
        return createGroupNode(node, incarnation, config, 0);
      },
      network: { delayMs: [1, 10], lossPercent: 1, duplicatePercent: 1 },
      liveness: { downAfterMs: 800, upAfterMs: 100, jitterMs: 200 },
      commands: { durationMs: [1, 60], failPercent: 0 },
      tiebreaker: { leaseMs: TIEBREAKER_LEASE_MS, latencyMs: [1, 20], renewable: true },
      invariants: [oneViewPerEpoch(), eventsInOrder(), barriersWaitForAll(), exclusiveHolding()],
      eventually: [oneView, drained, placed],
      deadmanMs: 1_000,
      startSpreadMs: 500,
      faultsEndMs: 15_000,
      convergeWithinMs: 20_000,
    };
  },
};
