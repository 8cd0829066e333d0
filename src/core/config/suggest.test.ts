import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './suggest.js';

describe('suggest', () => {
  it('measures edits, counting a swap of neighbours as one', () => {
    assert.equal(editDistance('fallback', 'fallback'), 0);
    assert.equal(editDistance('fallbak', 'fallback'), 1);
    assert.equal(editDistance('flalback', 'fallback'), 1);
    assert.equal(editDistance('Node', 'node'), 0);
  });
  it('suggests close words and prefixes, and nothing for strangers', () => {
    assert.equal(closest('sensitivty', ['interval', 'sensitivity']), 'sensitivity');
    assert.equal(closest('ethernet', ['ether', 'diskhb']), 'ether');
    assert.equal(closest('node', ['nodes', 'networks']), 'nodes');
    assert.equal(closest('banana', ['ether', 'diskhb']), undefined);
    assert.equal(closest('x', []), undefined);
  });
});
