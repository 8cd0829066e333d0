import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_EVENTS } from '../config/events.js';
import { BUILTIN_PROGRAMS, BUILTIN_SCRIPTS, builtinProgram, parseEventScript } from './builtin.js';
import { barrierCount, parseRecoveryProgram, printRecoveryProgram } from './program.js';

describe('built-in programs', () => {
  it('node_up is the reference node_up.rp (4.4.2)', () => {
    const r = parseRecoveryProgram(
      'other "node_up" 0 NULL\nbarrier\nevent "node_up" 0 NULL\nbarrier\nall "node_up_complete" X NULL\n',
      'node_up.rp',
    );
    assert.ok(r.ok);
    assert.deepEqual(builtinProgram('node_up')?.steps, r.program);
  });

  it('every built-in event that is not a *_complete script has a program', () => {
    const events = BUILTIN_EVENTS.filter((e) => !e.endsWith('_complete'));
    for (const e of events) assert.ok(builtinProgram(e), e);
    for (const e of BUILTIN_EVENTS.filter((x) => x.endsWith('_complete'))) {
      assert.equal(builtinProgram(e), undefined, e);
    }
    assert.equal(builtinProgram('UE_PGMRWHO_DOWN'), undefined);
  });

  it('node_down has the graceful, takeover, forced and failure variants; failure by default', () => {
    const variants = BUILTIN_PROGRAMS.filter((p) => p.event === 'node_down').map((p) => p.variant);
    assert.deepEqual(variants, ['graceful', 'takeover', 'forced', 'failure']);
    assert.equal(builtinProgram('node_down'), builtinProgram('node_down', 'failure'));
    const failure = builtinProgram('node_down', 'failure')?.steps ?? [];
    assert.ok(failure.every((s) => s.type === 'barrier' || s.on === 'other'));
  });

  it('every program is a valid .rp file, and ends with a status-ignored step or is one step', () => {
    for (const p of BUILTIN_PROGRAMS) {
      const name = `${p.event}${p.variant === undefined ? '' : ` ${p.variant}`}`;
      const r = parseRecoveryProgram(printRecoveryProgram(p.steps), `${p.event}.rp`);
      assert.ok(r.ok, name);
      assert.deepEqual(r.program, p.steps, name);
      const last = p.steps[p.steps.length - 1];
      assert.ok(last?.type === 'command', name);
      assert.ok(last.expect === undefined || p.steps.length === 1, name);
      // Each command is a Haven event script, never a path.
      for (const s of p.steps) if (s.type === 'command') assert.ok(parseEventScript(s.run), s.run);
    }
  });

  it('local programs have no barrier and run on the event node (this node) only', () => {
    const local = BUILTIN_PROGRAMS.filter((p) => p.local).map((p) => p.event);
    assert.deepEqual(local, ['config_too_long', 'event_error']);
    for (const p of BUILTIN_PROGRAMS.filter((x) => x.local)) {
      assert.equal(barrierCount(p.steps), 0);
      assert.ok(p.steps.every((s) => s.type === 'command' && s.on === 'event'));
    }
  });

  it('lists the scripts the programs run', () => {
    for (const s of [
      'node_up',
      'node_up_complete',
      'node_down',
      'rg_move_release',
      'config_too_long',
    ]) {
      assert.ok(BUILTIN_SCRIPTS.includes(s), s);
    }
    assert.deepEqual([...BUILTIN_SCRIPTS].sort(), BUILTIN_SCRIPTS);
    assert.equal(new Set(BUILTIN_SCRIPTS).size, BUILTIN_SCRIPTS.length);
  });
});

describe('parseEventScript', () => {
  const table: [command: string, parsed: { script: string; args: string[] } | undefined][] = [
    ['node_up', { script: 'node_up', args: [] }],
    ['node_down graceful', { script: 'node_down', args: ['graceful'] }],
    ['  node_down   forced  ', { script: 'node_down', args: ['forced'] }],
    ['/usr/sbin/cluster/local/rwho_restart', undefined],
    ['./restart', undefined],
    ['', undefined],
  ];
  for (const [command, parsed] of table) {
    it(JSON.stringify(command), () => {
      assert.deepEqual(parseEventScript(command), parsed);
    });
  }
});
