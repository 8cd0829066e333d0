import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeQuorum, votesOf } from './quorum.js';

const nodes = (...votes: number[]) => votes.map((v, i) => ({ id: i + 1, votes: v }));

describe('quorum', () => {
  it('needs more than half of the configured votes', () => {
    const v = votesOf(nodes(1, 1, 1), false);
    assert.equal(judgeQuorum(v, [1, 2]), 'majority');
    assert.equal(judgeQuorum(v, [3]), 'minority');
  });
  it('gives exactly half to the tie-breaker only when one is configured', () => {
    assert.equal(judgeQuorum(votesOf(nodes(1, 1), true), [2]), 'tie');
    assert.equal(judgeQuorum(votesOf(nodes(1, 1), false), [2]), 'minority');
    assert.equal(judgeQuorum(votesOf(nodes(1, 1, 1, 1), true), [1, 4]), 'tie');
  });
  it('counts votes, not nodes, and ignores unknown nodes', () => {
    const v = votesOf(nodes(3, 1, 1), false);
    assert.equal(judgeQuorum(v, [1]), 'majority');
    assert.equal(judgeQuorum(v, [2, 3, 99]), 'minority');
    assert.equal(judgeQuorum(votesOf(nodes(0, 0), true), []), 'minority');
  });
});
