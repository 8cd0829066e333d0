// `npm run sim -- --seeds N`: runs seeds of a scenario, prints seeds per second and, for a
// failing seed, the invariant, the end of its trace and the command that replays it (exit 1).
// `--seed X` replays one seed and prints its whole trace. With --jobs J the seeds are shared
// among J worker threads (this same file, started as a worker); each seed's result does not
// depend on which thread ran it.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { runBatch, type BatchResult } from './batch.js';
import {
  failureReport,
  parseSimArgs,
  replayCommand,
  SimUsageError,
  USAGE,
  type SimArgs,
} from './cli-args.js';
import type { RunResult } from './run.js';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS, type ScenarioEntry } from './scenarios.js';

interface WorkerInput {
  readonly args: SimArgs;
  readonly offset: number;
  readonly deadline: number | undefined;
  /** Int32 [0]: set to 1 by any worker that failed, when not --keep-going. */
  readonly stop: SharedArrayBuffer;
}

type WorkerMessage =
  | { readonly type: 'progress'; readonly done: number }
  | { readonly type: 'done'; readonly result: BatchResult };

const REPLAY_TRACE_CAPACITY = 1_000_000;

async function main(argv: readonly string[]): Promise<number> {
  let args: SimArgs;
  try {
    args = parseSimArgs(argv, DEFAULT_SCENARIO);
  } catch (err) {
    if (!(err instanceof SimUsageError)) throw err;
    console.error(`sim: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.list) {
    for (const s of SCENARIOS) {
      console.log(
        `${s.name.padEnd(24)} ${s.nodeCount.min}-${s.nodeCount.max} nodes  ${s.description}`,
      );
    }
    return 0;
  }
  const scenario = findScenario(args.scenario);
  if (scenario === undefined) {
    console.error(`sim: no scenario ${JSON.stringify(args.scenario)}; --list shows them`);
    return 2;
  }
  if (args.seed !== undefined) return replay(scenario, args, args.seed);
  return batch(scenario, args);
}

function replay(scenario: ScenarioEntry, args: SimArgs, seed: number): number {
  const result = scenario.run(seed, {
    nodeCount: args.nodeCount,
    keepTrace: true,
    traceCapacity: REPLAY_TRACE_CAPACITY,
    traceLines: args.traceLines,
    freeze: args.freeze,
  });
  for (const line of result.trace ?? []) console.log(line);
  console.log(statsLine(result));
  if (result.ok) {
    console.log(`seed ${seed} of ${scenario.name} passed (${result.nodes.length} nodes)`);
    return 0;
  }
  const v = result.violation;
  if (v !== undefined) {
    console.log(`FAIL: invariant ${v.invariant} violated at ${v.atMs} ms\n  ${v.message}`);
  }
  console.log(`replay: ${replayCommand(scenario.name, seed, args.nodeCount)}`);
  return 1;
}

async function batch(scenario: ScenarioEntry, args: SimArgs): Promise<number> {
  const began = performance.now();
  const deadline = args.maxSeconds === undefined ? undefined : Date.now() + args.maxSeconds * 1000;
  const nodes = args.nodeCount ?? scenario.nodeCount;
  const jobs = Math.min(args.jobs, args.seeds);
  console.log(
    `${scenario.name}: seeds ${args.start}..${args.start + args.seeds - 1}, ${nodes.min}-${nodes.max} nodes, ${jobs} job(s)`,
  );
  const stop = new SharedArrayBuffer(4);
  const done = new Array<number>(jobs).fill(0);
  let lastProgress = began;
  const progress = (): void => {
    const now = performance.now();
    if (now - lastProgress < 10_000) return;
    lastProgress = now;
    const total = done.reduce((a, b) => a + b, 0);
    console.error(`  ... ${total} seeds, ${rate(total, now - began)} seeds/s`);
  };

  let results: BatchResult[];
  if (jobs === 1) {
    const result = runBatch(scenario, {
      ...batchOptions(args, 0, deadline, stop),
      onSeed: () => {
        done[0] = (done[0] ?? 0) + 1;
        if ((done[0] & 63) === 0) progress();
      },
    });
    results = [result];
  } else {
    results = await Promise.all(
      Array.from({ length: jobs }, (_, offset) =>
        runWorker({ args, offset, deadline, stop }, (n) => {
          done[offset] = n;
          progress();
        }),
      ),
    );
  }

  const seconds = (performance.now() - began) / 1000;
  const seedsRun = results.reduce((a, r) => a + r.done, 0);
  const events = results.reduce((a, r) => a + r.events, 0);
  const failures = results.flatMap((r) => r.failures).sort((a, b) => a.seed - b.seed);
  console.log(
    `${seedsRun} seeds in ${seconds.toFixed(2)} s: ${rate(seedsRun, seconds * 1000)} seeds/s, ` +
      `${rate(events, seconds * 1000)} events/s; ${failures.length} failing`,
  );
  const slowest = results
    .map((r) => r.slowest)
    .reduce((a, b) => (b !== undefined && (a === undefined || b.ms > a.ms) ? b : a), undefined);
  if (slowest !== undefined) {
    console.log(
      `slowest convergence after the faults ended: ${slowest.ms} ms (seed ${slowest.seed})`,
    );
  }
  if (seedsRun < args.seeds && failures.length === 0) {
    console.log(
      `stopped by --max-seconds ${args.maxSeconds}: ${args.seeds - seedsRun} seeds not run`,
    );
  }
  const first = failures[0];
  if (first === undefined) return 0;
  console.log(failureReport(first, args.nodeCount));
  for (const f of failures.slice(1)) {
    console.log(
      `also failing: seed ${f.seed} (${f.violation?.invariant}): ${replayCommand(f.scenario, f.seed, args.nodeCount)}`,
    );
  }
  return 1;
}

function batchOptions(
  args: SimArgs,
  offset: number,
  deadline: number | undefined,
  stop: SharedArrayBuffer,
) {
  const flag = new Int32Array(stop);
  return {
    start: args.start,
    count: args.seeds,
    stride: Math.min(args.jobs, args.seeds),
    offset,
    nodeCount: args.nodeCount,
    traceLines: args.traceLines,
    freeze: args.freeze,
    keepGoing: args.keepGoing,
    shouldStop: () =>
      Atomics.load(flag, 0) !== 0 || (deadline !== undefined && Date.now() >= deadline),
  };
}

function runWorker(input: WorkerInput, onProgress: (done: number) => void): Promise<BatchResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: input });
    let result: BatchResult | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.done);
      else result = m.result;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`sim worker ${input.offset} exited with code ${code} and no result`));
    });
  });
}

function workerMain(input: WorkerInput): void {
  const scenario = findScenario(input.args.scenario);
  if (scenario === undefined || parentPort === null) throw new Error('sim worker: bad start');
  const port = parentPort;
  const options = batchOptions(input.args, input.offset, input.deadline, input.stop);
  const flag = new Int32Array(input.stop);
  let done = 0;
  let lastPost = Date.now();
  const result = runBatch(scenario, {
    ...options,
    onSeed: (r: RunResult) => {
      done++;
      if (!r.ok && !input.args.keepGoing) Atomics.store(flag, 0, 1);
      if ((done & 15) === 0 && Date.now() - lastPost > 1000) {
        lastPost = Date.now();
        port.postMessage({ type: 'progress', done } satisfies WorkerMessage);
      }
    },
  });
  port.postMessage({ type: 'done', result } satisfies WorkerMessage);
}

function rate(count: number, ms: number): string {
  return ms <= 0 ? '-' : Math.round((count * 1000) / ms).toLocaleString('en-US');
}

function statsLine(result: RunResult): string {
  const s = result.stats;
  return (
    `stats: ${result.nodes.length} nodes, ${s.endMs} ms virtual, ${s.events} events, ${s.steps} steps, ` +
    `${s.messagesSent} sent, ${s.messagesDelivered} delivered, dropped ${s.droppedCut} cut / ` +
    `${s.droppedLoss} lost / ${s.droppedDown} to down nodes, ${s.faults} faults`
  );
}

if (isMainThread) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
} else {
  workerMain(workerData as WorkerInput);
}
