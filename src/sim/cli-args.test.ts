import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { failureReport, parseSimArgs, replayCommand, SimUsageError } from './cli-args.js';
import { toyLeaseSplitBrain } from './toy/scenario.js';
import { runSeed } from './run.js';

describe('parseSimArgs', () => {
  it('has defaults, and reads every option in both spellings', () => {
    const d = parseSimArgs([], 'toy-lease');
    assert.deepEqual(
      {
        scenario: d.scenario,
        seeds: d.seeds,
        start: d.start,
        jobs: d.jobs,
        nodes: d.nodeCount,
        seed: d.seed,
      },
      { scenario: 'toy-lease', seeds: 100, start: 0, jobs: 1, nodes: undefined, seed: undefined },
    );
    const a = parseSimArgs(
      [
        '--seeds',
        '50',
        '--start=7',
        '--nodes',
        '2-16',
        '--scenario',
        'x',
        '--max-seconds',
        '1.5',
        '--jobs',
        '2',
        '--keep-going',
        '--trace-lines',
        '9',
      ],
      'toy-lease',
    );
    assert.equal(a.seeds, 50);
    assert.equal(a.start, 7);
    assert.deepEqual(a.nodeCount, { min: 2, max: 16 });
    assert.equal(a.scenario, 'x');
    assert.equal(a.maxSeconds, 1.5);
    assert.equal(a.jobs, 2);
    assert.equal(a.keepGoing, true);
    assert.equal(a.traceLines, 9);
    assert.deepEqual(parseSimArgs(['--nodes', '5'], 'x').nodeCount, { min: 5, max: 5 });
    assert.equal(parseSimArgs(['--seed', '123'], 'x').seed, 123);
  });

  it('rejects what it cannot use', () => {
    for (const argv of [
      ['--seeds', '0'],
      ['--seeds', '-1'],
      ['--seeds'],
      ['--nodes', '5-2'],
      ['--nodes', '0'],
      ['--bogus'],
      ['--max-seconds', '0'],
      ['--seed', '1e3'],
    ]) {
      assert.throws(() => parseSimArgs(argv, 'x'), SimUsageError, argv.join(' '));
    }
  });

  it('builds the replay command, with --nodes only when it was given', () => {
    assert.equal(
      replayCommand('toy-lease', 42, undefined),
      'npm run sim -- --scenario toy-lease --seed 42',
    );
    assert.equal(
      replayCommand('c', 1, { min: 2, max: 16 }),
      'npm run sim -- --scenario c --seed 1 --nodes 2-16',
    );
    assert.equal(
      replayCommand('c', 1, { min: 3, max: 3 }),
      'npm run sim -- --scenario c --seed 1 --nodes 3',
    );
  });

  it('reports a failure with the invariant, the trace and the replay command', () => {
    const report = failureReport(runSeed(0, toyLeaseSplitBrain, { traceLines: 3 }), undefined);
    const lines = report.split('\n');
    assert.match(
      lines[0] ?? '',
      /^FAIL toy-lease-split-brain seed 0 \(\d+ nodes\): invariant exclusive-holding violated at \d+ ms$/,
    );
    assert.equal(lines.at(-1), 'replay: npm run sim -- --scenario toy-lease-split-brain --seed 0');
    assert.equal(lines.length, 3 + 3 + 1);
  });
});

describe('the sim command', () => {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const sim = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it('runs seeds and prints seeds per second; exit 0 when all pass', () => {
    const r = sim('--seeds', '5', '--nodes', '3');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^5 seeds in [\d.]+ s: [\d,]+ seeds\/s, [\d,]+ events\/s; 0 failing$/m);
  });

  it('on a failure prints the invariant, trace and replay command, exits 1; the replay reproduces it', () => {
    const r = sim('--scenario', 'toy-lease-split-brain', '--seeds', '20', '--jobs', '2');
    assert.equal(r.status, 1, r.stderr);
    const replay = /^replay: npm run sim -- (.*)$/m.exec(r.stdout)?.[1];
    assert.ok(replay, r.stdout);
    const fail = /^FAIL .*$/m.exec(r.stdout)?.[0] ?? '';
    const message = r.stdout.split('\n')[r.stdout.split('\n').indexOf(fail) + 1] ?? '';
    const again = sim(...replay.split(' '));
    assert.equal(again.status, 1);
    assert.ok(
      again.stdout.includes(message.trim()),
      `${message}\n---\n${again.stdout.slice(-2000)}`,
    );
    assert.match(again.stdout, /violation +exclusive-holding/);
  });

  it('lists scenarios, and refuses unknown ones with exit 2', () => {
    assert.match(sim('--list').stdout, /^toy-lease +2-16 nodes/m);
    assert.equal(sim('--scenario', 'nope').status, 2);
    assert.equal(sim('--seeds', 'x').status, 2);
  });
});
