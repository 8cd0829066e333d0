// The simulator command line: parsing, and the texts it prints (kept apart from cli.ts so they
// can be tested without starting workers or exiting the process).
import type { RunResult } from './run.js';
import type { NodeCountRange } from './scenario.js';

export interface SimArgs {
  readonly scenario: string;
  readonly seeds: number;
  readonly start: number;
  readonly nodeCount: NodeCountRange | undefined;
  /** Replay this one seed and print its whole trace. */
  readonly seed: number | undefined;
  readonly maxSeconds: number | undefined;
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly traceLines: number;
  /** Deep-freeze inputs and states to catch impure steps (slow). */
  readonly freeze: boolean;
  readonly list: boolean;
  readonly help: boolean;
}

export class SimUsageError extends Error {
  override readonly name = 'SimUsageError';
}

export const USAGE = `usage: npm run sim -- [options]
  --seeds N          run N seeds (default 100)
  --start S          first seed (default 0)
  --scenario NAME    which scenario (default: toy-lease; --list shows them)
  --nodes A-B | N    cluster sizes, overriding the scenario's (e.g. 2-16, or 5)
  --seed X           replay seed X alone and print its whole trace
  --max-seconds T    stop after T seconds of wall time (a CI budget)
  --jobs J           worker threads (default 1)
  --keep-going       do not stop at the first failing seed
  --trace-lines N    trace lines shown for a failure (default 60)
  --freeze           deep-freeze inputs and states: a step that mutates them fails (slow)
  --list             list the scenarios
  --help             this text`;

export function parseSimArgs(argv: readonly string[], defaultScenario: string): SimArgs {
  let scenario = defaultScenario;
  let seeds = 100;
  let start = 0;
  let nodeCount: NodeCountRange | undefined;
  let seed: number | undefined;
  let maxSeconds: number | undefined;
  let jobs = 1;
  let keepGoing = false;
  let traceLines = 60;
  let freeze = false;
  let list = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new SimUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--seeds':
        seeds = integer(flag, value(), 1);
        break;
      case '--start':
        start = integer(flag, value(), 0);
        break;
      case '--scenario':
        scenario = value();
        break;
      case '--nodes':
        nodeCount = nodeRange(value());
        break;
      case '--seed':
        seed = integer(flag, value(), 0);
        break;
      case '--max-seconds': {
        const v = Number(value());
        if (!(v > 0)) throw new SimUsageError('--max-seconds: expected a number of seconds > 0');
        maxSeconds = v;
        break;
      }
      case '--jobs':
        jobs = integer(flag, value(), 1);
        break;
      case '--keep-going':
        keepGoing = true;
        break;
      case '--trace-lines':
        traceLines = integer(flag, value(), 0);
        break;
      case '--freeze':
        freeze = true;
        break;
      case '--list':
        list = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new SimUsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (start + seeds > 2 ** 32) throw new SimUsageError('seeds must stay below 2^32');
  return {
    scenario,
    seeds,
    start,
    nodeCount,
    seed,
    maxSeconds,
    jobs,
    keepGoing,
    traceLines,
    freeze,
    list,
    help,
  };
}

/** The command that replays one seed exactly. */
export function replayCommand(
  scenario: string,
  seed: number,
  nodeCount: NodeCountRange | undefined,
): string {
  const nodes =
    nodeCount === undefined
      ? ''
      : ` --nodes ${nodeCount.min === nodeCount.max ? nodeCount.min : `${nodeCount.min}-${nodeCount.max}`}`;
  return `npm run sim -- --scenario ${scenario} --seed ${seed}${nodes}`;
}

/** A failing seed's report: what failed, when, the last trace lines, and how to replay it. */
export function failureReport(result: RunResult, nodeCount: NodeCountRange | undefined): string {
  const v = result.violation;
  if (v === undefined) return `seed ${result.seed} passed`;
  return [
    `FAIL ${result.scenario} seed ${result.seed} (${result.nodes.length} nodes): invariant ${v.invariant} violated at ${v.atMs} ms`,
    `  ${v.message.split('\n').join('\n  ')}`,
    `last ${v.trace.length} trace lines:`,
    ...v.trace.map((l) => `  ${l}`),
    `replay: ${replayCommand(result.scenario, result.seed, nodeCount)}`,
  ].join('\n');
}

function splitOnce(arg: string): [string, string] {
  const i = arg.indexOf('=');
  return [arg.slice(0, i), arg.slice(i + 1)];
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n >= 2 ** 32) {
    throw new SimUsageError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function nodeRange(text: string): NodeCountRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? min : Number(m[2]);
  if (m === null || min < 1 || max < min || max > 1024) {
    throw new SimUsageError(
      `--nodes: expected N or A-B with 1 <= A <= B <= 1024, got ${JSON.stringify(text)}`,
    );
  }
  return { min, max };
}
