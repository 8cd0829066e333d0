import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandOf } from './service.js';

describe('the command a run effect stands for', () => {
  it("is one of Haven's own event scripts, with its arguments", () => {
    assert.deepEqual(commandOf('haven-event node_down graceful'), {
      builtin: 'node_down graceful',
    });
  });

  it("is the administrator's command found through PATH when the name is not an event script", () => {
    assert.deepEqual(commandOf('haven-event logger var_full'), { shell: 'logger var_full' });
  });

  it('is the command itself when it has a path', () => {
    assert.deepEqual(commandOf('/usr/bin/logger x'), { shell: '/usr/bin/logger x' });
  });
});
