import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventCustomizationDef, RecoveryStep } from '../config/model.js';
import { builtinProgram } from './builtin.js';
import { runCluster } from './cluster.test-helper.js';
import {
  createExecutor,
  executorStatus,
  OUTPUT_TAIL_CHARS,
  stepExecutor,
  type ExecutorEffect,
  type ExecutorInput,
  type ExecutorOptions,
  type ExecutorState,
} from './executor.js';
import { parseRecoveryProgram } from './program.js';

function program(text: string): RecoveryStep[] {
  const r = parseRecoveryProgram(text, 'test.rp');
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return r.program;
}

function custom(
  event: string,
  c: Partial<Omit<EventCustomizationDef, 'at' | 'event'>>,
): EventCustomizationDef {
  return {
    at: [],
    event,
    notify: undefined,
    pre: [],
    post: [],
    recovery: undefined,
    timeLimitMs: undefined,
    ...c,
  };
}

type RunEffect = Extract<ExecutorEffect, { type: 'run' }>;

/** One executor driven by hand. */
class Driver {
  state: ExecutorState;
  effects: ExecutorEffect[] = [];
  wakeAtMs: number | null = null;
  now = 0;

  constructor(options: Partial<ExecutorOptions> & Pick<ExecutorOptions, 'program'>) {
    this.state = createExecutor({
      event: { name: 'test_event', id: 'e7', node: 1 },
      self: 1,
      members: [1, 2],
      eventTimeLimitMs: 1000,
      ...options,
    });
  }

  step(input: ExecutorInput, at = this.now): ExecutorEffect[] {
    this.now = at;
    const r = stepExecutor(this.state, input, at);
    this.state = r.state;
    this.wakeAtMs = r.wakeAtMs;
    this.effects.push(...r.effects);
    return r.effects.filter((e) => e.type !== 'log');
  }

  /** Runs in flight, oldest first. */
  runs(): RunEffect[] {
    const answered = new Set(this.answered);
    return this.effects.filter((e): e is RunEffect => e.type === 'run' && !answered.has(e.runId));
  }

  answered: string[] = [];

  /** Answers the in-flight run of `command` (first match). */
  finish(
    command: string,
    exitCode: number | null,
    extra: { timedOut?: boolean; output?: string } = {},
  ): ExecutorEffect[] {
    const run = this.runs().find((r) => r.command === command);
    assert.ok(
      run,
      `no run of ${command} in flight: ${this.runs()
        .map((r) => r.command)
        .join(', ')}`,
    );
    this.answered.push(run.runId);
    return this.step({
      type: 'run-result',
      runId: run.runId,
      exitCode,
      timedOut: extra.timedOut ?? false,
      output: extra.output ?? '',
    });
  }
}

/** Effects as short strings: `run a`, `barrier 0`, `end 1`, `error a`, `done`, `too-long 1000`. */
function brief(effects: readonly ExecutorEffect[]): string[] {
  return effects.flatMap((e) => {
    switch (e.type) {
      case 'run':
        return [`run ${e.role === 'step' ? '' : `${e.role}:`}${[e.command, ...e.args].join(' ')}`];
      case 'barrier-reached':
        return [`barrier ${e.index}`];
      case 'end-reached':
        return [`end ${e.index}`];
      case 'error':
        return [`error ${e.failure.command}`];
      case 'done':
        return ['done'];
      case 'config_too_long':
        return [`too-long ${e.elapsedMs}`];
      case 'log':
        return [];
    }
  });
}

describe('the reference node_up walk-through (4.4.3): node 3 joins nodes 1, 2 and 4', () => {
  const run = runCluster({
    program: builtinProgram('node_up')?.steps ?? [],
    eventName: 'node_up',
    eventNode: 3,
    members: [1, 2, 3, 4],
  });

  it('runs node_up on the others, then on node 3, then node_up_complete everywhere', () => {
    assert.deepEqual(run.trace, [
      // 1. the others run node_up; node 3 is at the first barrier at once
      'run 1 node_up',
      'run 2 node_up',
      'run 4 node_up',
      'barrier 0',
      // 2. node 3 runs node_up; the others wait at the second barrier
      'run 3 node_up',
      'barrier 1',
      // 3. every node runs node_up_complete (status ignored), then the cbarrier
      'run 1 node_up_complete',
      'run 2 node_up_complete',
      'run 3 node_up_complete',
      'run 4 node_up_complete',
      'cbarrier 2',
      'done 1',
      'done 2',
      'done 3',
      'done 4',
    ]);
  });

  it('ignores the status of node_up_complete (X): a failure there does not stop the event', () => {
    const x = runCluster({
      program: builtinProgram('node_up')?.steps ?? [],
      eventName: 'node_up',
      eventNode: 3,
      members: [1, 2, 3, 4],
      result: (node, r) => ({ exitCode: node === 4 && r.command === 'node_up_complete' ? 1 : 0 }),
    });
    assert.deepEqual(x.trace, run.trace);
  });

  it('node 3 reaches the first barrier before running anything', () => {
    const first = run.effects.get(3)?.find((e) => e.type !== 'log');
    assert.deepEqual(first, { type: 'barrier-reached', index: 0 });
  });

  it('a failing node_up on node 2 holds the first barrier: node 3 never runs node_up', () => {
    const stuck = runCluster({
      program: builtinProgram('node_up')?.steps ?? [],
      eventName: 'node_up',
      eventNode: 3,
      members: [1, 2, 3, 4],
      result: (node) => ({ exitCode: node === 2 ? 1 : 0 }),
    });
    assert.deepEqual(stuck.trace, [
      'run 1 node_up',
      'run 2 node_up',
      'run 4 node_up',
      'error 2 node_up',
    ]);
    const status = [1, 2, 3, 4].map((n) => {
      const s = stuck.states.get(n);
      return s === undefined ? 'none' : executorStatus(s);
    });
    assert.deepEqual(status, ['barrier', 'error', 'barrier', 'barrier']);
  });

  it('the operator resumes node 2 and the event completes', () => {
    const resumed = runCluster({
      program: builtinProgram('node_up')?.steps ?? [],
      eventName: 'node_up',
      eventNode: 3,
      members: [1, 2, 3, 4],
      result: (node, r) => ({ exitCode: node === 2 && r.command === 'node_up' ? 1 : 0 }),
      resumes: [2],
    });
    assert.deepEqual(resumed.trace.slice(3, 7), [
      'error 2 node_up',
      'resume 2',
      'barrier 0',
      'run 3 node_up',
    ]);
    assert.equal(resumed.trace.filter((l) => l.startsWith('done')).length, 4);
  });
});

describe('built-in programs across a view', () => {
  const cases: {
    name: string;
    event: string;
    variant?: 'graceful' | 'takeover' | 'forced' | 'failure';
    eventNode: number;
    members: number[];
    trace: string[];
  }[] = [
    {
      name: 'node_down graceful: node 2 releases first, then the others',
      event: 'node_down',
      variant: 'graceful',
      eventNode: 2,
      members: [1, 2, 3],
      trace: [
        'run 2 node_down graceful',
        'barrier 0',
        'run 1 node_down graceful',
        'run 3 node_down graceful',
        'barrier 1',
        'run 1 node_down_complete graceful',
        'run 2 node_down_complete graceful',
        'run 3 node_down_complete graceful',
        'cbarrier 2',
        'done 1',
        'done 2',
        'done 3',
      ],
    },
    {
      name: 'node_down failure: node 2 is gone, the others take over',
      event: 'node_down',
      variant: 'failure',
      eventNode: 2,
      members: [1, 3],
      trace: [
        'run 1 node_down',
        'run 3 node_down',
        'barrier 0',
        'run 1 node_down_complete',
        'run 3 node_down_complete',
        'cbarrier 1',
        'done 1',
        'done 3',
      ],
    },
    {
      name: 'rg_move: everyone releases, then everyone acquires',
      event: 'rg_move',
      eventNode: 1,
      members: [1, 2],
      trace: [
        'run 1 rg_move_release',
        'run 2 rg_move_release',
        'barrier 0',
        'run 1 rg_move_acquire',
        'run 2 rg_move_acquire',
        'barrier 1',
        'run 1 rg_move_complete',
        'run 2 rg_move_complete',
        'cbarrier 2',
        'done 1',
        'done 2',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = runCluster({
        program: builtinProgram(c.event, c.variant)?.steps ?? [],
        eventName: c.event,
        eventNode: c.eventNode,
        members: c.members,
      });
      assert.deepEqual(run.trace, c.trace);
    });
  }
});

describe('segments and barriers on one node', () => {
  it('runs the commands of a segment in parallel and waits for all of them', () => {
    const d = new Driver({
      program: program(
        'all "a" 0 NULL\nall "b" 0 NULL\nevent "c" X NULL\nbarrier\nall "d" 0 NULL\n',
      ),
    });
    assert.deepEqual(brief(d.step({ type: 'start' })), ['run a', 'run b', 'run c']);
    assert.deepEqual(brief(d.finish('b', 0)), []);
    assert.deepEqual(brief(d.finish('c', 3)), []);
    assert.equal(executorStatus(d.state), 'rp_running');
    assert.deepEqual(brief(d.finish('a', 0)), ['barrier 0']);
    assert.equal(executorStatus(d.state), 'barrier');
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 0 })), ['run d']);
    assert.deepEqual(brief(d.finish('d', 0)), ['end 1']);
    assert.equal(executorStatus(d.state), 'cbarrier');
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 1 })), ['done']);
    assert.equal(executorStatus(d.state), 'done');
  });

  it('runs only the steps whose node set includes this node', () => {
    const text = 'all "a" 0 NULL\nevent "e" 0 NULL\nother "o" 0 NULL\n';
    const table: [self: number, eventNode: number, runs: string[]][] = [
      [1, 1, ['run a', 'run e']],
      [2, 1, ['run a', 'run o']],
    ];
    for (const [self, node, runs] of table) {
      const d = new Driver({ program: program(text), self, event: { name: 'x', id: 'i', node } });
      assert.deepEqual(brief(d.step({ type: 'start' })), runs, `self ${self}, event node ${node}`);
    }
  });

  it('passes consecutive barriers one completion at a time', () => {
    const d = new Driver({ program: program('barrier\nbarrier\nall "a" X NULL\n') });
    assert.deepEqual(brief(d.step({ type: 'start' })), ['barrier 0']);
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 1 })), []);
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 0 })), ['barrier 1']);
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 0 })), []);
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 1 })), ['run a']);
  });

  it('ignores the status of X steps, timeouts and signals included', () => {
    for (const [exitCode, timedOut] of [
      [7, false],
      [null, true],
      [null, false],
    ] as const) {
      const d = new Driver({ program: program('all "a" X NULL\n') });
      d.step({ type: 'start' });
      assert.deepEqual(brief(d.finish('a', exitCode, { timedOut })), ['end 0']);
      d.step({ type: 'barrier-complete', index: 0 });
      const done = d.effects.find((e) => e.type === 'done');
      assert.ok(done?.type === 'done');
      assert.equal(done.outcome.ignoredFailures, 1);
    }
  });

  it('ignores results for unknown runs and answers twice to the same run', () => {
    const d = new Driver({ program: program('all "a" 0 NULL\nall "b" 0 NULL\n') });
    d.step({ type: 'start' });
    const a = d.runs()[0];
    assert.ok(a);
    const result = (runId: string): ExecutorInput => ({
      type: 'run-result',
      runId,
      exitCode: 0,
      timedOut: false,
      output: '',
    });
    assert.deepEqual(brief(d.step(result('nonsense'))), []);
    assert.deepEqual(brief(d.step(result(a.runId))), []);
    assert.deepEqual(brief(d.step(result(a.runId))), []);
    assert.equal(executorStatus(d.state), 'rp_running');
  });
});

describe('notify, pre and post commands', () => {
  it('runs notify start and pre in order, the program, post and notify complete, then the cbarrier', () => {
    const d = new Driver({
      program: program('all "a" 0 NULL\nbarrier\nall "b" 0 NULL\n'),
      customizations: [custom('test_event', { notify: '/n', pre: ['/p1', '/p2'], post: ['/q'] })],
    });
    const seen: string[] = [];
    seen.push(...brief(d.step({ type: 'start' })));
    for (const c of ['/n', '/p1', '/p2', 'a']) seen.push(...brief(d.finish(c, 0)));
    seen.push(...brief(d.step({ type: 'barrier-complete', index: 0 })));
    for (const c of ['b', '/q', '/n']) seen.push(...brief(d.finish(c, 0)));
    seen.push(...brief(d.step({ type: 'barrier-complete', index: 1 })));
    assert.deepEqual(seen, [
      'run notify:/n start',
      'run pre:/p1',
      'run pre:/p2',
      'run a',
      'barrier 0',
      'run b',
      'run post:/q',
      'run notify:/n complete',
      'end 1',
      'done',
    ]);
  });

  it('gives notify EVENT_STATE start and complete; a failing notify is only logged', () => {
    const d = new Driver({
      program: program('all "a" 0 NULL\n'),
      customizations: [custom('test_event', { notify: '/n' })],
    });
    d.step({ type: 'start' });
    assert.equal(d.runs()[0]?.env['EVENT_STATE'], 'start');
    assert.deepEqual(brief(d.finish('/n', 1)), ['run a']);
    assert.ok(d.effects.some((e) => e.type === 'log' && e.level === 'warn'));
    d.finish('a', 0);
    assert.equal(d.runs()[0]?.env['EVENT_STATE'], 'complete');
  });

  it('wraps each run of a customised event script, not the script named like the event', () => {
    const d = new Driver({
      event: { name: 'node_up', id: 'e', node: 1 },
      program: builtinProgram('node_up')?.steps ?? [],
      customizations: [
        custom('node_up', { pre: ['/up-pre'] }),
        custom('node_up_complete', { pre: ['/c-pre'], post: ['/c-post'] }),
      ],
    });
    const seen = brief(d.step({ type: 'start' }));
    seen.push(...brief(d.finish('/up-pre', 0)));
    seen.push(...brief(d.step({ type: 'barrier-complete', index: 0 })));
    seen.push(...brief(d.finish('node_up', 0)));
    seen.push(...brief(d.step({ type: 'barrier-complete', index: 1 })));
    for (const c of ['/c-pre', 'node_up_complete', '/c-post']) seen.push(...brief(d.finish(c, 0)));
    assert.deepEqual(seen, [
      'run pre:/up-pre',
      'barrier 0',
      'run node_up',
      'barrier 1',
      'run pre:/c-pre',
      'run node_up_complete',
      'run post:/c-post',
      'end 2',
    ]);
  });

  it('a failing post command holds the cbarrier', () => {
    const d = new Driver({
      program: program('all "a" 0 NULL\n'),
      customizations: [custom('test_event', { post: ['/q'] })],
    });
    d.step({ type: 'start' });
    d.finish('a', 0);
    assert.deepEqual(brief(d.finish('/q', 2)), ['error /q']);
    assert.equal(executorStatus(d.state), 'error');
  });
});

describe('failure, recovery and retry', () => {
  const steps = program('all "a" 0 NULL\nall "b" 0 NULL\nbarrier\nall "c" 0 NULL\n');

  it('without a recovery command, stops in error with the cause', () => {
    const d = new Driver({ program: steps });
    d.step({ type: 'start' });
    const out = 'x'.repeat(OUTPUT_TAIL_CHARS) + 'the end';
    const fx = d.finish('a', 3, { output: out });
    assert.deepEqual(brief(fx), ['error a']);
    const e = fx[0];
    assert.ok(e?.type === 'error');
    assert.equal(e.failure.expected, 0);
    assert.equal(e.failure.exitCode, 3);
    assert.equal(e.failure.recovery, 'none');
    assert.equal(e.failure.step, 0);
    assert.equal(e.failure.node, 1);
    assert.equal(e.failure.outputTail.length, OUTPUT_TAIL_CHARS);
    assert.ok(e.failure.outputTail.endsWith('the end'));
    assert.equal(
      e.failure.message,
      'node 1: "a" (step 1 of the program of event test_event) exited 3, expected 0: the event is in error on this node until resumed',
    );
    assert.equal(executorStatus(d.state), 'error');
    // The rest of the segment still runs to its end, but the barrier is not reached.
    assert.deepEqual(brief(d.finish('b', 0)), []);
    assert.equal(executorStatus(d.state), 'error');
  });

  it('a timeout is a failure even when the exit code matches', () => {
    const d = new Driver({ program: steps });
    d.step({ type: 'start' });
    const fx = d.finish('a', 0, { timedOut: true });
    assert.ok(fx[0]?.type === 'error' && fx[0].failure.timedOut);
  });

  it('runs the recovery command and retries the failed step, up to `retries` times', () => {
    const d = new Driver({
      program: steps,
      customizations: [custom('test_event', { recovery: { command: '/fix', retries: 2 } })],
    });
    d.step({ type: 'start' });
    d.finish('b', 0);
    assert.deepEqual(brief(d.finish('a', 1)), ['run recovery:/fix']);
    const fix = d.runs()[0];
    assert.ok(fix);
    assert.equal(fix.env['FAILED_COMMAND'], 'a');
    assert.equal(fix.env['FAILED_EXPECTED'], '0');
    assert.equal(fix.env['FAILED_EXIT_STATUS'], '1');
    assert.equal(fix.env['RETRY_COUNT'], '0');
    assert.equal(fix.env['EVENT_PHASE'], 'recovery');
    assert.deepEqual(brief(d.finish('/fix', 0)), ['run a']);
    assert.equal(d.runs()[0]?.env['RETRY_COUNT'], '1');
    assert.deepEqual(brief(d.finish('a', 1)), ['run recovery:/fix']);
    assert.deepEqual(brief(d.finish('/fix', 0)), ['run a']);
    assert.equal(d.runs()[0]?.env['RETRY_COUNT'], '2');
    const fx = d.finish('a', 1);
    assert.deepEqual(brief(fx), ['error a']);
    assert.ok(fx[0]?.type === 'error');
    assert.equal(fx[0].failure.recovery, 'exhausted');
    assert.equal(fx[0].failure.attempts, 3);
  });

  it('a retry that succeeds lets the program go on', () => {
    const d = new Driver({
      program: steps,
      customizations: [custom('test_event', { recovery: { command: '/fix', retries: 1 } })],
    });
    d.step({ type: 'start' });
    d.finish('b', 0);
    d.finish('a', 1);
    d.finish('/fix', 0);
    assert.deepEqual(brief(d.finish('a', 0)), ['barrier 0']);
    d.step({ type: 'barrier-complete', index: 0 });
    d.finish('c', 0);
    d.step({ type: 'barrier-complete', index: 1 });
    const done = d.effects.find((e) => e.type === 'done');
    assert.ok(done?.type === 'done');
    assert.equal(done.outcome.recoveries, 1);
  });

  it('stops in error when the recovery command fails', () => {
    const d = new Driver({
      program: steps,
      customizations: [custom('test_event', { recovery: { command: '/fix', retries: 3 } })],
    });
    d.step({ type: 'start' });
    d.finish('a', 1);
    const fx = d.finish('/fix', 4, { output: 'cannot fix' });
    assert.ok(fx[0]?.type === 'error');
    assert.equal(fx[0].failure.recovery, 'failed');
    assert.equal(fx[0].failure.recoveryExitCode, 4);
    assert.equal(fx[0].failure.recoveryOutputTail, 'cannot fix');
    assert.equal(fx[0].failure.command, 'a');
  });

  it('retries: 0 never runs the recovery command', () => {
    const d = new Driver({
      program: steps,
      customizations: [custom('test_event', { recovery: { command: '/fix', retries: 0 } })],
    });
    d.step({ type: 'start' });
    assert.deepEqual(brief(d.finish('a', 1)), ['error a']);
  });

  it('a script customisation\u2019s recovery wins over the event\u2019s', () => {
    const d = new Driver({
      event: { name: 'node_up', id: 'e', node: 2 },
      program: builtinProgram('node_up')?.steps ?? [],
      customizations: [
        custom('node_up', { recovery: { command: '/event-fix', retries: 1 } }),
        custom('node_up_complete', { recovery: { command: '/complete-fix', retries: 1 } }),
      ],
    });
    d.step({ type: 'start' });
    assert.deepEqual(brief(d.finish('node_up', 1)), ['run recovery:/event-fix']);
  });

  it('resume continues after the failed command', () => {
    const d = new Driver({ program: steps });
    d.step({ type: 'start' });
    d.finish('a', 1);
    assert.deepEqual(brief(d.finish('b', 0)), []);
    assert.deepEqual(brief(d.step({ type: 'resume' })), ['barrier 0']);
    d.step({ type: 'barrier-complete', index: 0 });
    d.finish('c', 0);
    d.step({ type: 'barrier-complete', index: 1 });
    const done = d.effects.find((e) => e.type === 'done');
    assert.ok(done?.type === 'done');
    assert.equal(done.outcome.resumed, 1);
  });

  it('resume in a sequential job runs the next command, not the failed one', () => {
    const d = new Driver({
      program: steps,
      customizations: [custom('test_event', { pre: ['/p1', '/p2'] })],
    });
    d.step({ type: 'start' });
    d.finish('/p1', 9);
    assert.deepEqual(brief(d.step({ type: 'resume' })), ['run pre:/p2']);
  });

  it('resume when nothing failed changes nothing', () => {
    const d = new Driver({ program: steps });
    d.step({ type: 'start' });
    assert.deepEqual(brief(d.step({ type: 'resume' })), []);
    assert.equal(d.runs().length, 2);
  });
});

describe('config_too_long', () => {
  it('warns at those times while the event runs, in error too, and stops when it ends', () => {
    const d = new Driver({ program: program('all "a" 0 NULL\n'), eventTimeLimitMs: 1000 });
    d.step({ type: 'start' }, 100);
    assert.equal(d.wakeAtMs, 1100);
    assert.deepEqual(brief(d.step({ type: 'wake' }, 1099)), []);
    assert.deepEqual(brief(d.step({ type: 'wake' }, 1100)), ['too-long 1000']);
    assert.equal(d.wakeAtMs, 2100);
    assert.deepEqual(brief(d.finish('a', 1)), ['error a']);
    assert.deepEqual(brief(d.step({ type: 'wake' }, 2100)), ['too-long 2000']);
    assert.equal(d.wakeAtMs, 4100);
    // A late wake gives one warning and moves past it.
    assert.deepEqual(brief(d.step({ type: 'wake' }, 20_000)), ['too-long 19900']);
    assert.equal(d.wakeAtMs, 32_100);
    d.step({ type: 'resume' });
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 0 }, 21_000)), ['done']);
    assert.equal(d.wakeAtMs, null);
    assert.deepEqual(brief(d.step({ type: 'wake' }, 40_000)), []);
    const counts = d.effects.flatMap((e) => (e.type === 'config_too_long' ? [e.count] : []));
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it('uses the event\u2019s own time limit over the cluster default', () => {
    const d = new Driver({
      program: program('all "a" 0 NULL\n'),
      eventTimeLimitMs: 1000,
      customizations: [custom('test_event', { timeLimitMs: 50 })],
    });
    d.step({ type: 'start' }, 0);
    assert.equal(d.wakeAtMs, 50);
  });

  it('has no wake-up before start or after done', () => {
    const d = new Driver({ program: program('all "a" 0 NULL\n') });
    assert.deepEqual(brief(d.step({ type: 'wake' }, 5000)), []);
    assert.equal(d.wakeAtMs, null);
  });
});

describe('environment', () => {
  it('gives every command the documented variables', () => {
    const d = new Driver({
      event: {
        name: 'network_down',
        id: 'ev-9',
        node: 2,
        network: 'net_ether_01',
        details: { 'iface-name': 'eth1' },
      },
      program: program('other "network_down" 0 NULL\n'),
      self: 1,
      members: [4, 1, 2],
      nodeNames: { 1: 'alpha', 2: 'beta', 4: 'delta' },
      groups: ['rg1', 'rg2'],
      env: { PATH: '/usr/bin', EVENT_NAME: 'overridden?' },
    });
    d.step({ type: 'start' });
    assert.deepEqual(d.runs()[0]?.env, {
      PATH: '/usr/bin',
      EVENT_NAME: 'network_down',
      EVNAME: 'network_down',
      EVENT_ID: 'ev-9',
      EVENT_NODE: 'beta',
      EVENT_NODE_ID: '2',
      EVLOCATION: '2',
      EVENT_NETWORK: 'net_ether_01',
      EVENT_DETAIL_IFACE_NAME: 'eth1',
      LOCAL_NODE: 'alpha',
      LOCALNODENAME: 'alpha',
      LOCAL_NODE_ID: '1',
      VIEW_MEMBERS: 'alpha beta delta',
      VIEW_MEMBER_IDS: '1 2 4',
      EVENT_PHASE: 'step',
      EVENT_SCRIPT: 'network_down',
      EVENT_STEP: '1',
      RETRY_COUNT: '0',
      HAVEN_GROUPS: 'rg1 rg2',
    });
  });

  it('a view change reaches the commands started after it', () => {
    const d = new Driver({
      program: program('all "a" 0 NULL\nbarrier\nall "b" 0 NULL\n'),
      members: [1, 2, 3],
    });
    d.step({ type: 'start' });
    d.finish('a', 0);
    d.step({ type: 'view', members: [1, 3] });
    d.step({ type: 'barrier-complete', index: 0 });
    assert.equal(d.runs()[0]?.env['VIEW_MEMBER_IDS'], '1 3');
  });

  it('uses the given command time limit', () => {
    const d = new Driver({ program: program('all "a" 0 NULL\n'), commandTimeoutMs: 1234 });
    d.step({ type: 'start' });
    assert.equal(d.runs()[0]?.timeoutMs, 1234);
  });
});

describe('a program with no command for this node', () => {
  it('goes straight to the end and waits for the cbarrier', () => {
    const d = new Driver({ program: program('event "a" 0 NULL\n'), self: 2 });
    assert.deepEqual(brief(d.step({ type: 'start' })), ['end 0']);
    assert.deepEqual(brief(d.step({ type: 'barrier-complete', index: 0 })), ['done']);
    assert.deepEqual(brief(d.step({ type: 'start' })), []);
  });
});
