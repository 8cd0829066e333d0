// The simulator must catch protocol bugs, not just pass the correct code: each mutant below is
// the real node with one deliberate bug, and the sweep must find a failing seed within a budget
// far smaller than CI's, failing the invariant that guards against that bug.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeMachine } from '../../core/cluster/node.js';
import { groupNodeMachine, type GroupMessage, type GroupNodeState } from '../../core/group/node.js';
import { runSeed } from '../run.js';
import type { Scenario } from '../scenario.js';
import { groupServices } from './scenario.js';

/** Seeds tried per mutant: CI's budget runs thousands. */
const BUDGET = 150;

function mutant(
  name: string,
  machine: NodeMachine<GroupNodeState, GroupMessage>,
): Scenario<GroupNodeState, GroupMessage> {
  return {
    ...groupServices,
    name: `${groupServices.name}/${name}`,
    setup: (nodes, random) => ({ ...groupServices.setup(nodes, random), machine }),
  };
}

/** A leader that counts one member as arrived at a barrier whenever another arrives. */
const barrierIgnoresOne: NodeMachine<GroupNodeState, GroupMessage> = {
  step(s, input, nowMs) {
    const first = groupNodeMachine.step(s, input, nowMs);
    const running = first.state.agreement.running;
    if (
      input.type !== 'message' ||
      input.msg.layer !== 'agreement' ||
      input.msg.msg.type !== 'reached' ||
      !running
    )
      return first;
    const last = running.participants.at(-1);
    if (last === undefined || last === input.from || last === s.self) return first;
    const second = groupNodeMachine.step(
      first.state,
      { type: 'message', from: last, msg: input.msg },
      nowMs,
    );
    return { state: second.state, effects: [...first.effects, ...second.effects] };
  },
};

/** A leader that reuses an event id: its sequence number within the epoch never advances. */
const reusesEventId: NodeMachine<GroupNodeState, GroupMessage> = {
  step(s, input, nowMs) {
    return groupNodeMachine.step({ ...s, agreement: { ...s.agreement, nextSeq: 1 } }, input, nowMs);
  },
};

/** A survivor that takes a group over at once, without waiting for the holder to let go. */
const noTakeoverDelay: NodeMachine<GroupNodeState, GroupMessage> = {
  step(s, input, nowMs) {
    return groupNodeMachine.step(
      { ...s, config: { ...s.config, takeoverDelayMs: 0 } },
      input,
      nowMs,
    );
  },
};

/** A node that believes its half holds the tie-breaker without asking it. */
const tieWithoutTiebreaker: NodeMachine<GroupNodeState, GroupMessage> = {
  step(s, input, nowMs) {
    return groupNodeMachine.step(
      { ...s, tie: { ...s.tie, ownUntil: Infinity, leaderUntil: Infinity } },
      input,
      nowMs,
    );
  },
};

function firstFailure(scenario: Scenario<GroupNodeState, GroupMessage>) {
  for (let seed = 0; seed < BUDGET; seed++) {
    const r = runSeed(seed, scenario);
    if (!r.ok) return { seed, invariant: r.violation?.invariant, message: r.violation?.message };
  }
  return undefined;
}

describe('group services: the simulator catches deliberate protocol bugs', () => {
  it('a barrier that ignores one member', () => {
    const f = firstFailure(mutant('barrier-ignores-one', barrierIgnoresOne));
    assert.ok(f, `no failing seed in ${BUDGET}`);
    assert.equal(f.invariant, 'barrier-waits-for-all', `seed ${f.seed}: ${f.message}`);
  });

  it('a leader that reuses an event id', () => {
    const f = firstFailure(mutant('reuses-event-id', reusesEventId));
    assert.ok(f, `no failing seed in ${BUDGET}`);
    assert.match(
      String(f.invariant),
      /^(events-in-order|converged-queue-empty|event-budget)$/,
      `seed ${f.seed}: ${f.message}`,
    );
  });

  it('a survivor that takes over without waiting for the holder to let go', () => {
    const f = firstFailure(mutant('no-takeover-delay', noTakeoverDelay));
    assert.ok(f, `no failing seed in ${BUDGET}`);
    assert.equal(f.invariant, 'exclusive-holding', `seed ${f.seed}: ${f.message}`);
  });

  it('a half that believes it holds the tie-breaker without asking it', () => {
    const f = firstFailure(mutant('tie-without-tiebreaker', tieWithoutTiebreaker));
    assert.ok(f, `no failing seed in ${BUDGET}`);
    assert.equal(f.invariant, 'exclusive-holding', `seed ${f.seed}: ${f.message}`);
  });
});
