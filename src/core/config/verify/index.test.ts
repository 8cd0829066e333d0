import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, verify } from './testing.js';

describe('verifyConfig on the baseline', () => {
  it('finds no error and no warning in the baseline', () => {
    const r = verify(BASELINE);
    assert.deepEqual(r.problems(), []);
    assert.equal(r.result.ok, true);
  });

  it('gives only the timing notes: one per network and one for nodes', () => {
    const r = verify(BASELINE);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['heartbeat-detection', 'heartbeat-detection', 'heartbeat-detection', 'node-detection'],
    );
  });

  it('gives every finding a kebab-case code, a message and a place in the file', () => {
    const r = verify(BASELINE.replace('name: node2', 'name: node1'));
    assert.ok(r.diagnostics.length > 0);
    for (const d of r.diagnostics) {
      assert.match(d.code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(d.message.length > 0);
      assert.ok(d.line >= 1 && d.column >= 1);
    }
  });
});
