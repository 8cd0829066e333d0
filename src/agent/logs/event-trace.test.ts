import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  EventTrace,
  formatDuration,
  formatTrace,
  referenceDate,
  type TraceRecord,
} from './event-trace.js';
import { RotatingFile } from './rotating-file.js';

const T0 = Date.UTC(2026, 10, 22, 10, 15, 3, 123);

/** A node_down event on node1: step 1 succeeds, step 3 fails, the operator resumes. */
const SAMPLE: readonly (readonly [TraceRecord, number])[] = [
  [
    {
      type: 'event-start',
      eventId: '4.12',
      serial: 12,
      name: 'node_down',
      eventNode: 'node2',
      args: ['graceful'],
      self: 'node1',
      view: 4,
      members: ['node1', 'node2', 'node3'],
      releases: [],
      acquires: ['web'],
      reasons: ['web moves to node1: node2 leaves and node1 is next in its node list'],
    },
    T0,
  ],
  [
    {
      type: 'command-start',
      eventId: '4.12',
      role: 'step',
      step: 0,
      command: 'node_down graceful',
    },
    T0 + 77,
  ],
  [
    {
      type: 'command',
      eventId: '4.12',
      role: 'step',
      step: 0,
      command: 'node_down graceful',
      expected: 0,
      exitCode: 0,
      signal: null,
      timedOut: false,
      stdout: 'nothing to release\n',
      stderr: '',
      startedAtMs: T0 + 77,
      durationMs: 250,
    },
    T0 + 327,
  ],
  [{ type: 'barrier', eventId: '4.12', index: 0, final: false, state: 'reached' }, T0 + 330],
  [
    { type: 'barrier', eventId: '4.12', index: 0, final: false, state: 'completed', waitedMs: 120 },
    T0 + 450,
  ],
  [
    {
      type: 'command-start',
      eventId: '4.12',
      role: 'step',
      step: 2,
      command: '/usr/local/bin/start_web --fast',
    },
    T0 + 460,
  ],
  [
    {
      type: 'command',
      eventId: '4.12',
      role: 'step',
      step: 2,
      command: '/usr/local/bin/start_web --fast',
      expected: 0,
      exitCode: 1,
      signal: null,
      timedOut: false,
      stdout: 'starting web\n',
      stderr: 'start_web: port 80 in use\r\nstart_web: giving up',
      startedAtMs: T0 + 460,
      durationMs: 1204,
    },
    T0 + 1664,
  ],
  [
    {
      type: 'error',
      eventId: '4.12',
      message: 'step 3 exited 1, expected 0: the event is in error on this node until resumed',
      hint: 'fix the cause, then resume the event',
    },
    T0 + 1665,
  ],
  [{ type: 'resume', eventId: '4.12', by: 'root', skipped: 'step 3' }, T0 + 60_000],
  [
    {
      type: 'event-end',
      eventId: '4.12',
      name: 'node_down',
      eventNode: 'node2',
      args: ['graceful'],
      outcome: 'completed',
      durationMs: 61_877,
      commands: 2,
    },
    T0 + 61_877,
  ],
];

const EXPECTED = [
  '2026-11-22T10:15:03.123Z [4.12] Sun Nov 22 10:15:03 UTC 2026 EVENT START: node_down node2 graceful',
  '2026-11-22T10:15:03.123Z [4.12]   event 4.12, serial 12, on node1',
  '2026-11-22T10:15:03.123Z [4.12]   view 4: node1 node2 node3',
  '2026-11-22T10:15:03.123Z [4.12]   releases: -',
  '2026-11-22T10:15:03.123Z [4.12]   acquires: web',
  '2026-11-22T10:15:03.123Z [4.12]   reason: web moves to node1: node2 leaves and node1 is next in its node list',
  '2026-11-22T10:15:03.200Z [4.12] COMMAND START step 1: node_down graceful',
  '2026-11-22T10:15:03.450Z [4.12]   step 1 stdout| nothing to release',
  '2026-11-22T10:15:03.450Z [4.12] COMMAND OK step 1: exit 0 (ran 10:15:03.200Z to 10:15:03.450Z, 250 ms): node_down graceful',
  '2026-11-22T10:15:03.453Z [4.12] BARRIER 1 REACHED: waiting for the other nodes',
  '2026-11-22T10:15:03.573Z [4.12] BARRIER 1 COMPLETED on every node after 120 ms',
  '2026-11-22T10:15:03.583Z [4.12] COMMAND START step 3: /usr/local/bin/start_web --fast',
  '2026-11-22T10:15:04.787Z [4.12]   step 3 stdout| starting web',
  '2026-11-22T10:15:04.787Z [4.12]   step 3 stderr| start_web: port 80 in use',
  '2026-11-22T10:15:04.787Z [4.12]   step 3 stderr| start_web: giving up',
  '2026-11-22T10:15:04.787Z [4.12] COMMAND FAILED step 3: exit 1, expected 0 (ran 10:15:03.583Z to 10:15:04.787Z, 1.204 s): /usr/local/bin/start_web --fast',
  '2026-11-22T10:15:04.788Z [4.12] ERROR: step 3 exited 1, expected 0: the event is in error on this node until resumed',
  '2026-11-22T10:15:04.788Z [4.12]   what to do: fix the cause, then resume the event',
  '2026-11-22T10:16:03.123Z [4.12] RESUMED by root: skipping the failed step 3',
  '2026-11-22T10:16:05.000Z [4.12] Sun Nov 22 10:16:05 UTC 2026 EVENT COMPLETED: node_down node2 graceful 0',
  '2026-11-22T10:16:05.000Z [4.12]   took 1 min 1.9 s, 2 commands',
];

describe('event trace', () => {
  it('formats a sample event with two commands, one failing, as the expected lines', () => {
    const lines = SAMPLE.flatMap(([r, t]) => formatTrace(r, t));
    assert.deepEqual(lines, EXPECTED);
  });

  it('writes the same lines to its file, stamped by the injected clock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-trace-'));
    try {
      let now = 0;
      const file = new RotatingFile(join(dir, 'events.log'));
      const trace = new EventTrace(file, { clock: () => now });
      for (const [r, t] of SAMPLE) {
        now = t;
        trace.write(r);
      }
      await file.close();
      assert.equal(await readFile(join(dir, 'events.log'), 'utf8'), `${EXPECTED.join('\n')}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says how a command ended: timeout, signal, ignored status, recovery, pre/post', () => {
    const base = {
      type: 'command' as const,
      eventId: 'e',
      command: 'x',
      stdout: '',
      stderr: '',
      startedAtMs: T0,
      durationMs: 60_000,
      signal: null,
      timedOut: false,
    };
    const body = (r: TraceRecord): string => formatTrace(r, T0).join('\n').slice(29);
    assert.match(
      body({ ...base, role: 'step', step: 1, expected: 0, exitCode: null, timedOut: true }),
      /^COMMAND FAILED step 2: timed out after 1 min and was killed, expected 0 \(ran/,
    );
    assert.match(
      body({ ...base, role: 'post', expected: 0, exitCode: null, signal: 'SIGKILL' }),
      /^COMMAND FAILED post-event: killed by SIGKILL, expected 0 /,
    );
    assert.match(
      body({ ...base, role: 'step', step: 4, expected: 'any', exitCode: 3 }),
      /^COMMAND OK step 5: exit 3, status ignored \(X\) /,
    );
    assert.match(
      body({ ...base, role: 'recovery', step: 0, attempt: 2, expected: 0, exitCode: 0 }),
      /^COMMAND OK recovery of step 1 \(attempt 2\): exit 0 /,
    );
    assert.match(
      body({ ...base, role: 'pre', expected: 0, exitCode: 0 }),
      /^COMMAND OK pre-event: /,
    );
    assert.match(
      body({ ...base, role: 'notify', step: 4, expected: 'any', exitCode: 0 }),
      /^COMMAND OK notify of step 5: /,
    );
  });

  it('traces a resource operation with its commands and their output', () => {
    const cmd = {
      resource: 'web-ip',
      op: 'start' as const,
      signal: null,
      timedOut: false,
      stderr: '',
      startedAtMs: T0,
      durationMs: 12,
    };
    const lines = formatTrace(
      {
        type: 'resource',
        eventId: '4.12',
        resource: 'web-ip',
        op: 'start',
        outcome: 'failed',
        detail: 'address 10.0.0.5 is in use on another host',
        durationMs: 40,
        commands: [
          { ...cmd, command: 'arping -D 10.0.0.5', exitCode: 1, stdout: 'reply from 10.0.0.9\n' },
          { ...cmd, command: 'ip addr show', exitCode: 0, stdout: '' },
        ],
      },
      T0 + 40,
    ).map((l) => l.slice(32));
    assert.deepEqual(lines, [
      'RESOURCE FAILED web-ip start in 40 ms: address 10.0.0.5 is in use on another host',
      '    web-ip start #1 stdout| reply from 10.0.0.9',
      '  COMMAND ENDED web-ip start #1: exit 1 (ran 10:15:03.123Z to 10:15:03.135Z, 12 ms): arping -D 10.0.0.5',
      '  COMMAND OK web-ip start #2: exit 0 (ran 10:15:03.123Z to 10:15:03.135Z, 12 ms): ip addr show',
    ]);
    // Outside an event the bracket holds a dash.
    const [monitor] = formatTrace(
      {
        type: 'resource',
        resource: 'db',
        op: 'monitor',
        outcome: 'ok',
        detail: 'running',
        durationMs: 3,
        commands: [],
      },
      T0,
    );
    assert.equal(monitor, '2026-11-22T10:15:03.123Z [-] RESOURCE OK db monitor in 3 ms: running');
  });

  it('keeps one record on its own lines: control characters escaped, long output cut', () => {
    const many = Array.from({ length: 30 }, (_, i) => `out ${i}`).join('\n');
    const lines = formatTrace(
      {
        type: 'command',
        eventId: 'e\n1',
        role: 'step',
        step: 0,
        command: 'printf "\\033[31m"\nrm -rf /',
        expected: 0,
        exitCode: 0,
        signal: null,
        timedOut: false,
        stdout: `\u001b[31mred\u2028${'x'.repeat(50)}\n${many}`,
        stderr: '',
        startedAtMs: T0,
        durationMs: 1,
      },
      T0,
      { maxOutputLines: 10, maxLineChars: 20 },
    );
    for (const l of lines) {
      assert.doesNotMatch(l, /[\n\r\u2028]/);
      assert.ok(!l.includes('\u001b'), l);
    }
    assert.equal(lines.length, 12); // 10 output lines, the gap marker, the verdict
    assert.match(lines[0] ?? '', /\[e\\n1\] {3}step 1 stdout\| \\x1b\[31mred\\u2028x{11} \[cut\]$/);
    assert.match(lines[2] ?? '', /step 1 stdout\| \.\.\. 21 lines left out \.\.\.$/);
    assert.match(lines[10] ?? '', /stdout\| out 29$/);
    assert.match(lines[11] ?? '', /: printf "\\033\[31m"\\nrm -rf \/$/);
  });

  it('ends events as the reference does: FAILED 1, ABANDONED with its reason', () => {
    const end = {
      type: 'event-end' as const,
      eventId: '7',
      name: 'rg_move',
      eventNode: 'node1',
      args: ['web'],
      durationMs: 999,
    };
    assert.deepEqual(
      formatTrace({ ...end, outcome: 'error' }, T0).map((l) => l.slice(29)),
      ['Sun Nov 22 10:15:03 UTC 2026 EVENT FAILED: rg_move node1 web 1', '  took 999 ms'],
    );
    assert.deepEqual(
      formatTrace({ ...end, outcome: 'abandoned', reason: 'the view changed' }, T0).map((l) =>
        l.slice(29),
      ),
      [
        'Sun Nov 22 10:15:03 UTC 2026 EVENT ABANDONED: rg_move node1 web',
        '  took 999 ms',
        '  reason: the view changed',
      ],
    );
  });

  it('formats durations and dates', () => {
    assert.equal(formatDuration(0), '0 ms');
    assert.equal(formatDuration(999.4), '999 ms');
    assert.equal(formatDuration(1000), '1.000 s');
    assert.equal(formatDuration(119_960), '2 min');
    assert.equal(formatDuration(-1), '? ms');
    assert.equal(referenceDate(Date.UTC(2026, 0, 5, 1, 2, 3)), 'Mon Jan 05 01:02:03 UTC 2026');
    assert.equal(referenceDate(Number.NaN), '??? ??? ?? ??:??:?? UTC ????');
  });
});
