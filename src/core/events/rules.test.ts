import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostic.js';
import { isBuiltinEvent } from '../config/events.js';
import { parseRules, REFERENCE_EVENT_NAMES, type RuleDef } from './rules.js';

// A faithful small copy of the reference's rules.hacmprd (appendix A.2.3 and 11.3.4). The OCR'd
// text is damaged; the assumptions made to rebuild it:
// - the blank lines were lost: each built-in event has its four Event Manager fields blank, and
//   the comments "# 6) ..." to "# 9) ..." each stand just above the blank line they describe
//   (which is why they are there, and they do not count);
// - names read as "TE JOIN NODE" are TE_JOIN_NODE (the other names keep their underscores);
// - "٥" and "Λ" in the state and recovery level lines are 0, "X@O" is X@0, and "network down.rp"
//   is network_down.rp;
// - recovery type 2 and recovery level 0 everywhere, as in the legible entries;
// - the prolog's lines lost their leading "#", restored.
const PROLOG = `# IBM PROLOG BEGIN TAG
# This is an automatically generated prolog.
# 41hape421 src/41hape/usr/sbin/cluster/events/rules.hacmprd 1.1
#
# Licensed Materials - Property of IBM
# (C) COPYRIGHT International Business Machines Corp. 1996,1997
# All Rights Reserved
# IBM PROLOG END TAG
#
# This file contains the HACMP/PE recovery program to event mapping
#
# format: (1) name
#          (2) state (qualifier)
#          (3) recovery program path
#          (4) recovery type (Reserved for future use)
#          (5) recovery level (Reserved for future use)
#          (6) resource variable name (Used for Event Manager events)
#          (7) instance vector (Used for Event Manager events)
#          (8) predicate (Used for Event Manager events)
#          (9) rearm predicate (Used for Event Manager events)
`;

function builtinEntry(name: string, title: string, rp: string): string {
  return `##### Beginning of Event Definition ${title} ##########
${name}
0
/usr/sbin/cluster/events/${rp}
2
0
# 6) Resource variable only used for event managemer events

# 7) Instance vector, only used for event manager events

# 8) Predicate, only used for event manager events

# 9) Rearm predicate, only used for event manager events

##### End of Event Definition ${title} ######
`;
}

const NODE_UP = builtinEntry('TE_JOIN_NODE', 'Node Up', 'node_up.rp');
const NODE_DOWN = builtinEntry('TE_FAIL_NODE', 'Node Down', 'node_down.rp');

const RWHO = `#
# Definition of
# Monitor death of rwhod daemon on node 5
#
UE_PGMRWHO_DOWN
0
/usr/sbin/cluster/local/rwho.rp
2
0
IBM.PSSP.Prog.xpcount
NodeNum=*;ProgName=rwhod;UserName=root
X@0==0&&X@1!=0
X@0>0
#
# End of definition.
`;

const ALL_BUILTIN = [
  ['TE_JOIN_NODE', 'Node Up', 'node_up.rp'],
  ['TE_FAIL_NODE', 'Node Down', 'node_down.rp'],
  ['TE_JOIN_NETWORK', 'Network Up', 'network_up.rp'],
  ['TE_FAIL_NETWORK', 'Network Down', 'network_down.rp'],
  ['TE_SWAP_ADAPTER', 'Swap Adapter', 'swap_adapter.rp'],
  ['TE_JOIN_STANDBY', 'Join Standby', 'join_standby.rp'],
  ['TE_FAIL_STANDBY', 'Fail Standby', 'fail_standby.rp'],
  ['TE_DARE_TOPOLOGY', 'DARE Topology', 'reconfig_topology.rp'],
  ['TE_DARE_RESOURCE', 'DARE Resource', 'reconfig_resource.rp'],
] as const;

const REFERENCE_FILE =
  PROLOG + ALL_BUILTIN.map(([name, title, rp]) => builtinEntry(name, title, rp)).join('') + RWHO;

function rules(text: string): RuleDef[] {
  const r = parseRules(text, 'rules.hacmprd');
  assert.ok(r.ok, r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.rules;
}

function firstError(text: string): Diagnostic {
  const r = parseRules(text, 'rules.hacmprd');
  assert.equal(r.ok, false, 'expected an error');
  const d = r.diagnostics.find((x) => x.severity === 'error');
  assert.ok(d);
  return d;
}

/** The line number (1-based) of the first line of `text` equal to `line`, after `from`. */
function lineOf(text: string, line: string, from = 0): number {
  const i = text.split('\n').indexOf(line, from);
  assert.ok(i >= 0, line);
  return i + 1;
}

describe('parseRules', () => {
  it('reads the reference file: nine built-in events and the rwho user event', () => {
    const all = rules(REFERENCE_FILE);
    assert.deepEqual(
      all.map((r) => r.name),
      [...ALL_BUILTIN.map(([n]) => n), 'UE_PGMRWHO_DOWN'],
    );
    const up = all[0];
    assert.ok(up);
    assert.deepEqual(
      { ...up, lines: undefined },
      {
        name: 'TE_JOIN_NODE',
        state: 0,
        programPath: '/usr/sbin/cluster/events/node_up.rp',
        recoveryType: '2',
        recoveryLevel: '0',
        resourceVariable: undefined,
        instance: undefined,
        predicate: undefined,
        rearm: undefined,
        lines: undefined,
      },
    );
    // Comment lines are not counted: fields 6 to 9 are the blank lines between them.
    const start = lineOf(REFERENCE_FILE, 'TE_JOIN_NODE');
    assert.deepEqual(
      up.lines,
      [0, 1, 2, 3, 4, 6, 8, 10, 12].map((d) => start + d),
    );

    const rwho = all[9];
    assert.deepEqual(
      { ...rwho, lines: undefined },
      {
        name: 'UE_PGMRWHO_DOWN',
        state: 0,
        programPath: '/usr/sbin/cluster/local/rwho.rp',
        recoveryType: '2',
        recoveryLevel: '0',
        resourceVariable: 'IBM.PSSP.Prog.xpcount',
        instance: 'NodeNum=*;ProgName=rwhod;UserName=root',
        predicate: 'X@0==0&&X@1!=0',
        rearm: 'X@0>0',
        lines: undefined,
      },
    );
  });

  it('maps the reference\u2019s TE_ names to built-in Haven events', () => {
    for (const [name] of ALL_BUILTIN) {
      const haven = REFERENCE_EVENT_NAMES[name];
      assert.ok(haven !== undefined && isBuiltinEvent(haven), name);
    }
  });

  it('reads Windows line endings and spaces around fields', () => {
    const text = (NODE_UP + RWHO).replace(/\n/g, '\r\n').replace('\r\n2\r\n', '\r\n  2 \t\r\n');
    const all = rules(text);
    assert.equal(all[0]?.recoveryType, '2');
    assert.equal(all.length, 2);
  });

  it('an event with a line too few at the end of the file: says which, and what is missing', () => {
    const text = NODE_UP + RWHO.replace('X@0>0\n', '');
    const d = firstError(text);
    assert.equal(d.code, 'rules-incomplete-event');
    assert.deepEqual(d.path, ['UE_PGMRWHO_DOWN']);
    assert.equal(d.line, lineOf(text, 'X@0==0&&X@1!=0'));
    assert.equal(
      d.message,
      'event "UE_PGMRWHO_DOWN" has 8 of its 9 lines: the file ends where its (9) rearm predicate should be',
    );
    assert.match(
      d.expected ?? '',
      /exactly nine lines per event.*\(1\) event name, \(2\) state \(qualifier\), \(3\) recovery program path.*\(9\) rearm predicate/,
    );
  });

  it('a built-in event with a blank line too few: the next event is out of step, and the hint names the culprit', () => {
    // Remove the blank line after "# 9)" in node_up: TE_FAIL_NODE's name becomes node_up's
    // rearm predicate, and its state line "0" is read as the next event's name.
    const text = NODE_UP.replace('events\n\n#####', 'events\n#####') + NODE_DOWN;
    const d = firstError(text);
    assert.equal(d.code, 'rules-out-of-step');
    assert.equal(d.line, lineOf(text, 'TE_FAIL_NODE') + 1);
    assert.equal(
      d.message,
      `line ${d.line} should be field (1) event name of an event, but it is "0"`,
    );
    assert.equal(
      d.hint,
      'the event before, "TE_JOIN_NODE" (lines 2-16) probably has a line too few: its (9) rearm predicate, line 16, is "TE_FAIL_NODE", which looks like the next event\'s name',
    );
    assert.match(d.expected ?? '', /nine lines/);
  });

  it('a built-in event with a blank line too many: the next "event" starts with a blank name', () => {
    const text = NODE_UP.replace('events\n\n#####', 'events\n\n\n#####') + NODE_DOWN;
    const d = firstError(text);
    assert.equal(d.code, 'rules-out-of-step');
    assert.match(d.message, /should be field \(1\) event name of an event, but it is blank/);
    assert.equal(
      d.hint,
      `the event before, "TE_JOIN_NODE" (lines 2-14) probably has a line too many: the blank line ${d.line} is read as the next event's name`,
    );
  });

  it('does not check the events after one out of step', () => {
    const text = NODE_UP.replace('events\n\n#####', 'events\n#####') + NODE_DOWN + NODE_UP + RWHO;
    const r = parseRules(text, 'rules.hacmprd');
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code]),
      [
        ['error', 'rules-out-of-step'],
        ['info', 'rules-not-checked'],
      ],
    );
  });

  const fieldErrors: [what: string, text: string, code: string, message: RegExp][] = [
    [
      'a state that is not a number',
      'TE_X\nzero\n/a.rp\n2\n0\n\n\n\n\n',
      'rules-out-of-step',
      /line 2 should be field \(2\) state \(qualifier\) of event "TE_X", but it is "zero"/,
    ],
    [
      'a relative program path',
      'TE_X\n0\nnode_up.rp\n2\n0\n\n\n\n\n',
      'rules-out-of-step',
      /line 3 should be field \(3\) recovery program path of event "TE_X", but it is "node_up.rp"/,
    ],
    [
      'a blank recovery type',
      'TE_X\n0\n/a.rp\n\n0\n\n\n\n\n',
      'rules-blank-field',
      /field \(4\) recovery type \(reserved\) of event "TE_X" is blank/,
    ],
    [
      'a resource variable without a predicate',
      'UE_X\n0\n/a.rp\n2\n0\nfs.used_percent\nmount=/tmp\n\n\n',
      'rules-event-manager-fields',
      /has a resource variable name \(line 6\) but its predicate is blank/,
    ],
    [
      'a predicate without a resource variable',
      'UE_X\n0\n/a.rp\n2\n0\n\n\nX>90\n\n',
      'rules-event-manager-fields',
      /has a predicate \(line 8\) but its resource variable name is blank/,
    ],
    [
      'a name twice',
      'TE_X\n0\n/a.rp\n2\n0\n\n\n\n\nTE_X\n0\n/b.rp\n2\n0\n\n\n\n\n',
      'rules-duplicate-name',
      /event "TE_X" is defined twice: first at line 1/,
    ],
    [
      'a first line that is not a name',
      '# comment\n/usr/a.rp\n0\n/a.rp\n2\n0\n\n\n\n\n',
      'rules-out-of-step',
      /line 2 should be field \(1\) event name of an event, but it is "\/usr\/a.rp"/,
    ],
  ];
  for (const [what, text, code, message] of fieldErrors) {
    it(`reports ${what}`, () => {
      const d = firstError(text);
      assert.equal(d.code, code);
      assert.match(d.message, message);
      assert.equal(d.file, 'rules.hacmprd');
    });
  }

  it('ignores fewer than nine blank lines at the end, with a warning', () => {
    const text = `${RWHO}\n\n`;
    const r = parseRules(text, 'rules.hacmprd');
    assert.ok(r.ok);
    assert.equal(r.rules.length, 1);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code, d.line]),
      [['warning', 'rules-trailing-blank-lines', RWHO.split('\n').length]],
    );
  });

  it('an empty file, or one of comments only, has no rules', () => {
    for (const text of ['', '# nothing\n#\n']) {
      const r = parseRules(text, 'rules.hacmprd');
      assert.ok(r.ok);
      assert.deepEqual(r.rules, []);
    }
  });

  it('never throws, and places every diagnostic in the text', () => {
    const unit = fc.constantFrom('TE_X', 'UE_Y', '0', '2', '/a.rp', 'X>1', '# c', '', '  ', 'a b');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), fc.boolean(), (lines, crlf) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        const r = parseRules(text, 'f');
        const count = Math.max(1, lines.length);
        for (const d of r.diagnostics) {
          assert.ok(d.line >= 1 && d.line <= count, JSON.stringify(d));
          assert.ok(d.message.length > 0);
        }
        assert.equal(r.ok, !r.diagnostics.some((d) => d.severity === 'error'));
        if (r.ok) for (const rule of r.rules) assert.equal(rule.lines.length, 9);
      }),
    );
  });
});
