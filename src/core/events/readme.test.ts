// Keeps README.md true to the code: the table of built-in programs, the priority classes, the
// config_too_long example and the environment table.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RecoveryStep } from '../config/model.js';
import { BUILTIN_PROGRAMS } from './builtin.js';
import {
  createExecutor,
  stepExecutor,
  type ExecutorEffect,
  type ExecutorState,
} from './executor.js';
import { runsOn } from './program.js';
import { PRIORITY_CLASSES, priorityClassOf, sortEvents } from './queue.js';
import { configTooLongSchedule } from './too-long.js';

// Tests run from dist/core/events/; the README stays in src/.
const readme = readFileSync(new URL('../../../src/core/events/README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  assert.ok(start >= 0, heading);
  const next = readme.indexOf('\n## ', start + heading.length);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** Cells of the table rows in a text, code spans unwrapped; header and rule skipped. */
function tables(text: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (current === undefined) {
      current = [];
      out.push(current);
    }
    current.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/\\\|/g, '|')),
    );
  }
  return out.map((t) => t.slice(2));
}

const unwrap = (cell: string): string => cell.replace(/`/g, '');

/** `other node_up ‖ event node_up ‖ all node_up_complete (X)` */
function render(steps: readonly RecoveryStep[]): string {
  const segs: string[][] = [[]];
  for (const s of steps) {
    if (s.type === 'barrier') segs.push([]);
    else
      segs[segs.length - 1]?.push(
        `${s.on} ${s.run}${s.expect === undefined ? ' (X)' : s.expect === 0 ? '' : ` =${s.expect}`}`,
      );
  }
  return segs.map((s) => s.join(', ')).join(' ‖ ');
}

/** What a node runs, segment by segment: `— ‖ node_up ‖ node_up_complete`. */
function runs(steps: readonly RecoveryStep[], isEventNode: boolean): string {
  const segs: string[][] = [[]];
  for (const s of steps) {
    if (s.type === 'barrier') segs.push([]);
    else if (runsOn(s.on, 1, isEventNode ? 1 : 2)) segs[segs.length - 1]?.push(s.run);
  }
  return segs.map((s) => (s.length === 0 ? '—' : s.join(', '))).join(' ‖ ');
}

describe('README.md', () => {
  it('documents every built-in program as it is', () => {
    const [rows = []] = tables(section('## Built-in programs'));
    const expected = BUILTIN_PROGRAMS.map((p) => [
      p.event,
      p.local ? 'local' : (p.variant ?? ''),
      render(p.steps),
      runs(p.steps, true),
      p.local ? '' : runs(p.steps, false),
    ]);
    assert.deepEqual(
      rows.map((r) => r.map(unwrap)),
      expected,
    );
  });

  it('documents the priority classes in order, with each class\u2019s events by rank', () => {
    const [, classes = []] = tables(section('## Event priority'));
    assert.deepEqual(
      classes.map((r) => unwrap(r[0] ?? '')),
      PRIORITY_CLASSES,
    );
    for (const [cls = '', events = ''] of classes) {
      const names = unwrap(events).split(', ');
      if (unwrap(cls) === 'user') continue;
      for (const n of names) assert.equal(priorityClassOf(n), unwrap(cls), n);
      assert.deepEqual(
        sortEvents(names.map((name) => ({ name, node: 1 }))).map((e) => e.name),
        names,
      );
    }
  });

  it('gives the config_too_long times of the default limit', () => {
    const times = configTooLongSchedule(6 * 60_000, 7).map((t) => t / 60_000);
    assert.ok(
      section('## The executor')
        .replace(/\s+/g, ' ')
        .includes(`6 minutes: ${times.join(', ')}... minutes`),
    );
  });

  it('documents exactly the environment the commands get', () => {
    const [rows = []] = tables(section('### Environment of every command'));
    const documented = new Set(
      rows.flatMap((r) => unwrap(r[0] ?? '').split(', ')).filter((v) => !v.includes('<')),
    );
    // Every kind of command: notify, pre, step, post and a recovery.
    let state: ExecutorState = createExecutor({
      event: { name: 'e', id: 'i', node: 1, network: 1 },
      program: [{ type: 'command', on: 'all', run: 'a', expect: 0 }],
      self: 1,
      members: [1],
      eventTimeLimitMs: 1000,
      customizations: [
        {
          at: [],
          event: 'e',
          notify: '/n',
          pre: ['/p'],
          post: ['/q'],
          recovery: { command: '/fix', retries: 1 },
          timeLimitMs: undefined,
        },
      ],
    });
    const seen = new Set<string>();
    let effects: readonly ExecutorEffect[] = stepExecutor(state, { type: 'start' }, 0).effects;
    ({ state } = stepExecutor(state, { type: 'start' }, 0));
    const exits = [0, 0, 1, 0, 0, 0, 0];
    for (const exitCode of exits) {
      const run = effects.find((e) => e.type === 'run');
      if (run?.type !== 'run') break;
      for (const k of Object.keys(run.env)) seen.add(k);
      const r = stepExecutor(
        state,
        { type: 'run-result', runId: run.runId, exitCode, timedOut: false, output: '' },
        0,
      );
      state = r.state;
      effects = r.effects;
    }
    assert.deepEqual([...seen].sort(), [...documented].sort());
  });
});
