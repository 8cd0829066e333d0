import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const PROGRAM =
  '    program:\n      - { on: event, run: /usr/local/sbin/var-cleanup }\n      - barrier\n      - { on: all, run: /usr/bin/logger var_full, expect: X }\n';

describe('user events: the recovery program', () => {
  it('reports an event with no program, and one with two', () => {
    verify(edit(BASELINE, [PROGRAM, ''])).expect('user-event-no-program', {
      path: 'userEvents[0]',
    });
    const text = edit(BASELINE, [PROGRAM, PROGRAM + '    programFile: /etc/haven/var_full.rp\n']);
    verify(text).expect('user-event-two-programs', {
      path: 'userEvents[0].programFile',
      line: lineOf(text, 'programFile:'),
    });
    verify(edit(BASELINE, [PROGRAM, '    programFile: /etc/haven/var_full.rp\n'])).expectNone(
      'user-event-no-program',
    );
  });

  it('reports a program of barriers only', () => {
    const text = edit(BASELINE, [PROGRAM, '    program: [barrier]\n']);
    const r = verify(text);
    r.expect('user-event-program-no-command', { path: 'userEvents[0].program' });
    r.expect('user-event-program-leading-barrier', { path: 'userEvents[0].program[0]' });
  });

  it('reports a program that starts with a barrier, or has two in a row', () => {
    const text = edit(BASELINE, ['      - barrier\n', '      - barrier\n      - barrier\n']);
    verify(text).expect('user-event-program-double-barrier', {
      path: 'userEvents[0].program[2]',
      line: lineOf(text, '- barrier', 2),
    });
    const leading = edit(BASELINE, ['    program:\n', '    program:\n      - barrier\n']);
    verify(leading).expect('user-event-program-leading-barrier', {
      path: 'userEvents[0].program[0]',
    });
  });
});

describe('user events: variable, instance and predicates', () => {
  it('reports an unknown resource variable, with a suggestion', () => {
    const text = edit(BASELINE, [
      'resourceVariable: fs.used_percent',
      'resourceVariable: fs.usedpercent',
    ]);
    const d = verify(text).expect('user-event-unknown-variable', {
      path: 'userEvents[0].resourceVariable',
    });
    assert.match(d.message, /did you mean 'fs.used_percent'/);
    assert.equal(d.hint, 'resourceVariable: fs.used_percent');
  });

  it('reports an unknown instance field at the field, and a missing one at the instance', () => {
    const text = edit(BASELINE, ['instance: { mount: /var }', 'instance: { mnt: /var }']);
    const r = verify(text);
    r.expect('user-event-instance-field', { path: 'userEvents[0].instance.mnt', message: /mount/ });
    r.expect('user-event-instance-missing', { path: 'userEvents[0].instance' });
  });

  it('checks the text form of an instance too', () => {
    verify(edit(BASELINE, ['instance: { mount: /var }', 'instance: mount=/var'])).expectNone(
      'user-event-instance-field',
    );
    verify(edit(BASELINE, ['instance: { mount: /var }', 'instance: mount'])).expect(
      'user-event-instance-invalid',
      { path: 'userEvents[0].instance' },
    );
  });

  it('reports an instance node that is not in the cluster', () => {
    const text = edit(BASELINE, [
      'instance: { mount: /var }',
      'instance: { mount: /var, node: nod2 }',
    ]);
    verify(text).expect('user-event-instance-node', {
      path: 'userEvents[0].instance.node',
      message: /did you mean "node2"/,
    });
    verify(
      edit(BASELINE, ['instance: { mount: /var }', 'instance: { mount: /var, node: "*" }']),
    ).expectNone('user-event-instance-node');
  });

  it('reports a predicate or rearm that does not parse, with the column', () => {
    const text = edit(BASELINE, ['predicate: X > 90', 'predicate: X >> 90']);
    const d = verify(text).expect('user-event-predicate-syntax', {
      path: 'userEvents[0].predicate',
    });
    assert.match(d.message, /"X >> 90", does not parse: column \d+/);
    verify(edit(BASELINE, ['rearm: X < 80', 'rearm: X < '])).expect('user-event-predicate-syntax', {
      path: 'userEvents[0].rearm',
      message: /rearm predicate/,
    });
  });

  it('reports a predicate that cannot fit the variable', () => {
    const text = edit(BASELINE, ['predicate: X > 90', 'predicate: X@1 > 90']);
    verify(text).expect('user-event-predicate-type', { path: 'userEvents[0].predicate' });
  });
});

describe('user events: the sampling interval', () => {
  it('refuses sampling more often than once a second, at the interval field', () => {
    const text = edit(BASELINE, [PROGRAM, PROGRAM + '    interval: 500ms\n']);
    verify(text).expect('user-event-interval', {
      path: 'userEvents[0].interval',
      line: lineOf(text, 'interval: 500ms', 2),
    });
    verify(edit(BASELINE, [PROGRAM, PROGRAM + '    interval: 1s\n'])).expectNone(
      'user-event-interval',
    );
  });
});

describe('user events: commands', () => {
  it("warns about a command found through PATH, not about one of Haven's event scripts", () => {
    const text = edit(BASELINE, ['run: /usr/local/sbin/var-cleanup', 'run: var-cleanup --now']);
    verify(text).expect('command-relative-path', {
      path: 'userEvents[0].program[0].run',
      severity: 'warning',
      line: lineOf(text, 'run: var-cleanup --now'),
    });
    const script = edit(BASELINE, ['run: /usr/local/sbin/var-cleanup', 'run: node_up_complete']);
    verify(script).expectNone('command-relative-path');
  });
});
