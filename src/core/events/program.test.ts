import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDiagnostic } from '../config/diagnostic.js';
import type { RecoveryStep } from '../config/model.js';
import {
  barrierCount,
  parseRecoveryProgram,
  printRecoveryProgram,
  runsOn,
  segments,
} from './program.js';

// The reference's A.2.4 rwho.rp, as printed. Two kinds of OCR damage are repaired, and only
// those: the prolog's comment lines lost their leading `#` (restored), and two underscores in
// command paths were read as spaces ("rwho msg remote", "rwho restart"). Those two are kept as
// printed: inside quotes, spaces are part of the command, so the file still parses.
const RWHO_RP = `# IBM PROLOG BEGIN TAG
#
# This is an automatically generated prolog.
# 41hape421 src/41hape/usr/sbin/cluster/events/node up.rp 1.2
#
# Licensed Materials - Property of IBM
#
# (C) COPYRIGHT International Business Machines Corp. 1996,1997
# All Rights Reserved
#
# US Government Users Restricted Rights - Use, duplication or
# disclosure restricted by GSA ADP Schedule Contract with IBM Corp.
#
# IBM PROLOG END TAG
#
# ****
#
#
#   COMPONENT_NAME: EVENTS
#
#
#   FUNCTIONS: none
#
#
#   ORIGINS: 27
#
# ****
#
# This file contains the HACMP/PE recovery program for node_up events
#
# format:
#
# relationship                command to run expected status NULL
other "/usr/sbin/cluster/local/rwho msg remote" 0 NULL
event "/usr/sbin/cluster/local/rwho_msg_local" 0 NULL
barrier
event "/usr/sbin/cluster/local/rwho restart" 0 NULL
barrier
#
all "/usr/sbin/cluster/local/rwho_msg_complete" X NULL
`;

function parsed(text: string): RecoveryStep[] {
  const r = parseRecoveryProgram(text, 'test.rp');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.program;
}

describe('parseRecoveryProgram', () => {
  it('parses the reference rwho.rp', () => {
    const r = parseRecoveryProgram(RWHO_RP, 'rwho.rp');
    assert.ok(r.ok);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.program, [
      { type: 'command', on: 'other', run: '/usr/sbin/cluster/local/rwho msg remote', expect: 0 },
      { type: 'command', on: 'event', run: '/usr/sbin/cluster/local/rwho_msg_local', expect: 0 },
      { type: 'barrier' },
      { type: 'command', on: 'event', run: '/usr/sbin/cluster/local/rwho restart', expect: 0 },
      { type: 'barrier' },
      {
        type: 'command',
        on: 'all',
        run: '/usr/sbin/cluster/local/rwho_msg_complete',
        expect: undefined,
      },
    ]);
    assert.equal(barrierCount(r.program), 2);
    assert.deepEqual(
      segments(r.program).map((s) => s.map((c) => `${c.on} ${c.run.split('/').pop() ?? ''}`)),
      [
        ['other rwho msg remote', 'event rwho_msg_local'],
        ['event rwho restart'],
        ['all rwho_msg_complete'],
      ],
    );
  });

  const valid: [line: string, step: RecoveryStep][] = [
    [
      'all "node_up_complete" X NULL',
      { type: 'command', on: 'all', run: 'node_up_complete', expect: undefined },
    ],
    ['All "a" 0 NULL', { type: 'command', on: 'all', run: 'a', expect: 0 }],
    ['EVENT "a" 255 null', { type: 'command', on: 'event', run: 'a', expect: 255 }],
    ['Other "a" x Null', { type: 'command', on: 'other', run: 'a', expect: undefined }],
    [
      '\tall   "/bin/sh -c \\"exit 3\\""\t3 NULL  ',
      { type: 'command', on: 'all', run: '/bin/sh -c "exit 3"', expect: 3 },
    ],
    ['all "a\\\\b c\\.d" 0 NULL', { type: 'command', on: 'all', run: 'a\\b c\\.d', expect: 0 }],
    [
      'all "a # not a comment" 0 NULL # a comment',
      { type: 'command', on: 'all', run: 'a # not a comment', expect: 0 },
    ],
    ['all "é ü 日本" 0 NULL', { type: 'command', on: 'all', run: 'é ü 日本', expect: 0 }],
    ['BARRIER', { type: 'barrier' }],
    ['  barrier   # sync', { type: 'barrier' }],
  ];
  for (const [line, step] of valid) {
    it(`reads ${JSON.stringify(line)}`, () => {
      assert.deepEqual(parsed(`${line}\nall "z" 0 NULL\n`)[0], step);
    });
  }

  const errors: [text: string, code: string, line: number, column: number, expected: RegExp][] = [
    ['all "a" 0 NULL\nsome "a" 0 NULL', 'rp-unknown-relationship', 2, 1, /all, event or other/],
    ['"a" 0 NULL', 'rp-unknown-relationship', 1, 1, /relationship/],
    ['all', 'rp-missing-command', 1, 4, /double quotes/],
    ['all a 0 NULL', 'rp-unquoted-command', 1, 5, /double quotes/],
    ['all "a 0 NULL', 'rp-unterminated-string', 1, 5, /double quotes/],
    ['all "  " 0 NULL', 'rp-empty-command', 1, 5, /double quotes/],
    ['all "a"', 'rp-missing-status', 1, 8, /0-255, or X/],
    ['all "a" NULL', 'rp-invalid-status', 1, 9, /0-255, or X/],
    ['all "a" 256 NULL', 'rp-invalid-status', 1, 9, /0-255/],
    ['all "a" -1 NULL', 'rp-invalid-status', 1, 9, /0-255/],
    ['all "a" 0 NULLX', 'rp-unexpected-token', 1, 11, /NULL/],
    ['all "a b" "c" 0 NULL', 'rp-invalid-status', 1, 11, /0-255/],
    ['all "a" 0 "NULL"', 'rp-unexpected-token', 1, 11, /NULL/],
    ['all "a" 0 NULL extra', 'rp-unexpected-token', 1, 16, /end of the line/],
    ['barrier now', 'rp-unexpected-token', 1, 9, /barrier alone/],
    ['日本 "a" 0 NULL', 'rp-unknown-relationship', 1, 1, /relationship/],
    ['all "日本" 0 NULL x', 'rp-unexpected-token', 1, 17, /end of the line/],
    [`all "${'a'.repeat(4097)}" 0 NULL`, 'rp-command-too-long', 1, 5, /double quotes/],
    ['# only comments\n\nbarrier\n', 'rp-empty-program', 3, 1, /at least one line/],
    ['', 'rp-empty-program', 1, 1, /at least one line/],
  ];
  for (const [text, code, line, column, expected] of errors) {
    it(`reports ${code} at ${line}:${column} for ${JSON.stringify(text.slice(0, 30))}`, () => {
      const r = parseRecoveryProgram(text, 'x.rp');
      assert.equal(r.ok, false);
      const d = r.diagnostics.find((x) => x.severity === 'error');
      assert.ok(d, JSON.stringify(r.diagnostics));
      assert.deepEqual([d.code, d.file, d.line, d.column], [code, 'x.rp', line, column]);
      assert.match(d.expected ?? '', expected);
    });
  }

  it('reports every bad line, not only the first', () => {
    const r = parseRecoveryProgram('all a 0 NULL\nall "b" 0 NULL\nnone "c" 0 NULL\n', 'x.rp');
    assert.deepEqual(
      r.diagnostics.map((d) => [d.line, d.code]),
      [
        [1, 'rp-unquoted-command'],
        [3, 'rp-unknown-relationship'],
      ],
    );
  });

  it('accepts a missing NULL and a NULL after barrier, with warnings', () => {
    const r = parseRecoveryProgram('all "a" 0\r\nbarrier NULL\r\nall "b" X NULL\r\n', 'x.rp');
    assert.ok(r.ok);
    assert.equal(r.program.length, 3);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code, d.line, d.column]),
      [
        ['warning', 'rp-missing-null', 1, 10],
        ['warning', 'rp-barrier-null', 2, 9],
      ],
    );
  });

  it('formats a diagnostic as file:line:column with what was expected', () => {
    const r = parseRecoveryProgram('all "a" 0 NULL\nall foo 0 NULL\n', '/etc/haven/rwho.rp');
    const d = r.diagnostics[0];
    assert.ok(d);
    assert.equal(
      formatDiagnostic(d),
      `/etc/haven/rwho.rp:2:5: error [rp-unquoted-command] the command 'foo' is not in double quotes\n    expected: a command in double quotes, e.g. "/usr/local/bin/restart_app"`,
    );
  });

  const stepArb: fc.Arbitrary<RecoveryStep> = fc.oneof(
    fc.constant<RecoveryStep>({ type: 'barrier' }),
    fc.record({
      type: fc.constant('command' as const),
      on: fc.constantFrom('all' as const, 'event' as const, 'other' as const),
      run: fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
        .filter((s) => s.trim() !== '' && !/[\r\n\u2028\u2029]/.test(s)),
      expect: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    }),
  );

  it('reads back what printRecoveryProgram writes', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 12 }), (program) => {
        fc.pre(program.some((s) => s.type === 'command'));
        const r = parseRecoveryProgram(printRecoveryProgram(program), 'p.rp');
        assert.ok(r.ok, JSON.stringify(r.diagnostics));
        assert.deepEqual(
          r.program,
          program.map((s) => ({ ...s })),
        );
        assert.deepEqual(r.diagnostics, []);
      }),
    );
  });

  it('never throws, and every diagnostic is placed in the text', () => {
    const fragment = fc.constantFrom(
      'all',
      'Event',
      'other',
      'barrier',
      'NULL',
      'X',
      '0',
      '"',
      '\\',
      '#',
      ' ',
      '\t',
      '\n',
      '\r\n',
      '"a b"',
      '255',
      '-',
    );
    const textArb = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      // A lone surrogate, a BOM, wide characters and line separators, among ASCII.
      fc.string({
        unit: fc.constantFrom(
          'a',
          '"',
          ' ',
          '\n',
          '\r',
          '#',
          '\uD800',
          '\uFEFF',
          '日',
          '\u2028',
          '0',
        ),
        maxLength: 200,
      }),
      fc.array(fragment, { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        const r = parseRecoveryProgram(text, 'f.rp');
        const lines = text.split(/\r\n|\n|\r/).length;
        for (const d of r.diagnostics) {
          assert.ok(d.line >= 1 && d.line <= Math.max(1, lines), JSON.stringify(d));
          assert.ok(d.column >= 1);
          assert.ok(d.message.length > 0 && (d.expected ?? '').length > 0);
        }
        assert.equal(r.ok, !r.diagnostics.some((d) => d.severity === 'error'));
      }),
    );
  });
});

describe('runsOn', () => {
  const table: [on: 'all' | 'event' | 'other', eventNode: number, self: number, runs: boolean][] = [
    ['all', 3, 3, true],
    ['all', 3, 1, true],
    ['event', 3, 3, true],
    ['event', 3, 1, false],
    ['other', 3, 3, false],
    ['other', 3, 1, true],
  ];
  for (const [on, eventNode, self, runs] of table) {
    it(`${on} for event node ${eventNode} on node ${self}: ${runs}`, () => {
      assert.equal(runsOn(on, eventNode, self), runs);
    });
  }
});
