import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './suggest.js';

describe('editDistance', () => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['mount', 'mount', 0],
    ['Mount', 'mount', 0],
    ['mnt', 'mount', 2],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ];
  for (const [a, b, d] of cases) {
    it(`${JSON.stringify(a)} to ${JSON.stringify(b)} is ${d}`, () => {
      assert.equal(editDistance(a, b), d);
      assert.equal(editDistance(b, a), d);
    });
  }
});

describe('closest', () => {
  const names = ['mount', 'node', 'name', 'user', 'device'];
  it('suggests a near name', () => {
    assert.equal(closest('mout', names), 'mount');
    assert.equal(closest('devic', names), 'device');
    assert.equal(closest('USER', names), 'user');
  });
  it('suggests the name an abbreviation stands for', () => {
    assert.equal(closest('mnt', names), 'mount');
    assert.equal(closest('usr', names), 'user');
    assert.equal(closest('dev', names), 'device');
    assert.equal(
      closest('fs.used_pct', ['fs.used_percent', 'fs.inodes_used_percent']),
      'fs.used_percent',
    );
    assert.equal(closest('mo', names), undefined);
  });
  it('prefers the earlier of equally close names', () => {
    assert.equal(closest('nome', names), 'node');
  });
  it('suggests nothing when nothing is close', () => {
    assert.equal(closest('ProgName', names), undefined);
    assert.equal(closest('x'.repeat(1000), names), undefined);
  });
});
