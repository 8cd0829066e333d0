// Seeds of the group-services scenario that once broke an invariant, each fixed: they must
// stay clean. The comment says what each one found.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from '../run.js';
import { groupServices } from './scenario.js';

const FIXED: readonly [seed: number, found: string][] = [
  [2, 'a decision lost before a view change was never re-accepted (epoch check on decide)'],
  [3, 'a former leader reported an event it had only coordinated as its own running event'],
  [5, 'members kept a stale participant list after the leader narrowed it'],
  [
    6,
    'a new leader adopted a partition\u2019s newer event and answered reached with a false release',
  ],
  [7, 'stale node_up events from earlier views piled up across merges'],
  [8, 'a wake-up time that did not change was never re-armed after it fired'],
  [12, 'barriers released in an old partition were inherited by the merged view'],
  [78, 'a leader enrolled itself in an event it only coordinated'],
  [111, 'a restarted leader reused an epoch of its previous life'],
  [183, 'a decision of an older epoch, arriving after the sync for a new view, started a part'],
  [238, 'a leader repeated releases of an earlier view before every member had synced'],
  [625, 'a leader told a member an event was over that it had finished in another partition'],
  [705, 'a member that restarted before it was missed adopted the commit its old life acked'],
  [3643, 'the barrier check judged a node that had abandoned its part and only coordinated'],
  [
    21607,
    'participants disagreed on holding the tie-breaker, so one kept an old plan and took a group',
  ],
  [
    71813,
    'a leader cut off since epoch 9 resumed its old event in a new view, and a member acquired by its stale plan a group the cluster had placed elsewhere since',
  ],
];

describe('group services: seeds that once failed', () => {
  for (const [seed, found] of FIXED) {
    it(`seed ${seed}: ${found}`, () => {
      const r = runSeed(seed, groupServices);
      assert.ok(
        r.ok,
        `${r.violation?.invariant}: ${r.violation?.message}\nreplay: npm run sim -- --scenario group-services --seed ${seed}`,
      );
    });
  }
});
