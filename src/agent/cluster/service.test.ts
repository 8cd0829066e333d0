import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinScriptOutcome } from './service.js';

describe("Haven's own event scripts", () => {
  it('mark the step done for an event script with its arguments', () => {
    assert.deepEqual(builtinScriptOutcome('node_down graceful'), {
      exitCode: 0,
      stdout: 'built-in node_down graceful: done\n',
      stderr: '',
    });
  });

  it('fail a name that is not one of them, saying a full path is needed', () => {
    const r = builtinScriptOutcome('logger var_full');
    assert.equal(r.exitCode, 127);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /"logger" is neither a full path nor one of Haven's event scripts/);
  });
});
