// A stand-in for group services, for tests: runs one executor per member of a view and
// completes a barrier when every member has reached it, so a test can see which commands run
// where between which barriers. Deterministic: nodes start in member order, command results are
// delivered first in, first out.

import type { RecoveryStep } from '../config/model.js';
import type { EventCustomizationDef } from '../config/model.js';
import {
  createExecutor,
  stepExecutor,
  type ExecutorEffect,
  type ExecutorInput,
  type ExecutorState,
} from './executor.js';

export interface RunResult {
  readonly exitCode: number | null;
  readonly timedOut?: boolean;
  readonly output?: string;
}

type RunEffect = Extract<ExecutorEffect, { type: 'run' }>;

export interface ClusterRun {
  /** One line per thing that happened, in order: `run 1 node_up`, `barrier 0`, `done 3`... */
  readonly trace: string[];
  readonly states: ReadonlyMap<number, ExecutorState>;
  readonly effects: ReadonlyMap<number, ExecutorEffect[]>;
}

export function runCluster(options: {
  readonly program: readonly RecoveryStep[];
  readonly eventName?: string;
  readonly eventNode: number;
  readonly members: readonly number[];
  readonly customizations?: readonly EventCustomizationDef[];
  /** The result of a command; undefined: it never ends. Default: exit 0. */
  readonly result?: (node: number, run: RunEffect) => RunResult | undefined;
  /** Operator resumes, by node, given when the run is otherwise stuck. */
  readonly resumes?: readonly number[];
}): ClusterRun {
  const trace: string[] = [];
  const states = new Map<number, ExecutorState>();
  const effects = new Map<number, ExecutorEffect[]>();
  const pending: { node: number; run: RunEffect }[] = [];
  const reached = new Map<number, number>();
  const resumes = [...(options.resumes ?? [])];

  const feed = (node: number, input: ExecutorInput): void => {
    const state = states.get(node);
    if (state === undefined) return;
    const r = stepExecutor(state, input, 0);
    states.set(node, r.state);
    effects.get(node)?.push(...r.effects);
    for (const e of r.effects) {
      switch (e.type) {
        case 'run':
          trace.push(
            `run ${node} ${e.role === 'step' ? '' : `${e.role}:`}${[e.command, ...e.args].join(' ')}`,
          );
          pending.push({ node, run: e });
          break;
        case 'barrier-reached':
        case 'end-reached':
          reached.set(node, e.index);
          break;
        case 'error':
          trace.push(`error ${node} ${e.failure.command}`);
          break;
        case 'done':
          trace.push(`done ${node}`);
          break;
        default:
          break;
      }
    }
  };

  for (const node of options.members) {
    states.set(
      node,
      createExecutor({
        event: { name: options.eventName ?? 'test_event', id: 'ev1', node: options.eventNode },
        program: options.program,
        self: node,
        members: options.members,
        eventTimeLimitMs: 360_000,
        customizations: options.customizations ?? [],
      }),
    );
    effects.set(node, []);
  }
  for (const node of options.members) feed(node, { type: 'start' });

  for (let guard = 0; guard < 10_000; guard++) {
    const next = pending.shift();
    if (next !== undefined) {
      const result: RunResult | undefined = options.result
        ? options.result(next.node, next.run)
        : { exitCode: 0 };
      if (result === undefined) continue;
      feed(next.node, {
        type: 'run-result',
        runId: next.run.runId,
        exitCode: result.exitCode,
        timedOut: result.timedOut ?? false,
        output: result.output ?? '',
      });
      continue;
    }
    const indices = options.members.map((m) => reached.get(m));
    const k = indices[0];
    if (k !== undefined && indices.every((i) => i === k)) {
      const last = [...states.values()].every((s) => s.settings.plan[s.phase]?.kind === 'end');
      trace.push(last ? `cbarrier ${k}` : `barrier ${k}`);
      for (const m of options.members) reached.delete(m);
      for (const m of options.members) feed(m, { type: 'barrier-complete', index: k });
      continue;
    }
    const resume = resumes.shift();
    if (resume !== undefined) {
      trace.push(`resume ${resume}`);
      feed(resume, { type: 'resume' });
      continue;
    }
    break;
  }
  return { trace, states, effects };
}
