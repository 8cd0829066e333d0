// Brings a resource group's resources online and offline in order.
//
// Acquire goes by kind in ACQUIRE_ORDER (volume groups, file systems, service IPs,
// applications, OCF agents, systemd units) and, within a kind, in the order the group lists
// them; release is the exact reverse of that.
//
// - acquire stops at the first failure and rolls back: it stops the resource that failed
//   (a start that failed half-way can leave processes or mounts behind, and they would keep
//   the file systems below it busy), then the ones already started, in reverse. Rollback goes
//   on past failures and reports each. It runs without the caller's abort signal: aborting an
//   acquire must not also abort its clean-up (commands still report through onCommand).
// - release stops every resource, in reverse order, and goes on past failures (best effort:
//   an application that will not stop should not keep the service IP up), reporting each.
//
// Each step (one start or stop of one resource) is reported through onStep once it ends.
import { performance } from 'node:perf_hooks';
import { ACQUIRE_ORDER, type ResourceKind } from '../../core/config/model.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { AgentError, type AgentContext, type ResourceAgent } from './agent.js';

export type GroupPhase = 'acquire' | 'rollback' | 'release';

export interface GroupStep {
  readonly group: string;
  readonly resource: string;
  readonly kind: ResourceKind;
  readonly phase: GroupPhase;
  readonly op: 'start' | 'stop';
  readonly outcome: 'ok' | 'failed';
  readonly durationMs: number;
  /** Set when outcome is 'failed'. */
  readonly error: AgentError | undefined;
}

export interface StepFailure {
  readonly resource: string;
  readonly kind: ResourceKind;
  readonly op: 'start' | 'stop';
  readonly error: AgentError;
}

export type AcquireResult =
  | { readonly ok: true; readonly steps: readonly GroupStep[] }
  | {
      readonly ok: false;
      /** The start that failed. */
      readonly failure: StepFailure;
      /** Stops that failed while rolling back: those resources may still be online. */
      readonly rollbackFailures: readonly StepFailure[];
      readonly steps: readonly GroupStep[];
    };

export interface ReleaseResult {
  readonly ok: boolean;
  /** Every stop that failed: those resources may still be online. */
  readonly failures: readonly StepFailure[];
  readonly steps: readonly GroupStep[];
}

export interface GroupRunnerOptions {
  readonly group: string;
  /** The group's resources, in the order the group lists them. */
  readonly agents: readonly ResourceAgent[];
  readonly onStep?: (step: GroupStep) => void;
}

/** The order in which a group's resources are started: by kind, then as listed. */
export function acquireOrder(agents: readonly ResourceAgent[]): ResourceAgent[] {
  const rank = (a: ResourceAgent): number => {
    const i = ACQUIRE_ORDER.indexOf(a.kind);
    if (i < 0)
      throw new InvalidArgumentError('agent.kind', a.kind, `one of ${ACQUIRE_ORDER.join(', ')}`);
    return i;
  };
  // Array.prototype.sort is stable: within a kind the listed order is kept.
  return [...agents].sort((a, b) => rank(a) - rank(b));
}

export class GroupRunner {
  readonly group: string;
  readonly #order: readonly ResourceAgent[];
  readonly #onStep: ((step: GroupStep) => void) | undefined;

  constructor(options: GroupRunnerOptions) {
    this.group = options.group;
    this.#order = acquireOrder(options.agents);
    this.#onStep = options.onStep;
  }

  /** The resources in acquire order. */
  get order(): readonly ResourceAgent[] {
    return this.#order;
  }

  async acquire(ctx?: AgentContext): Promise<AcquireResult> {
    const steps: GroupStep[] = [];
    const started: ResourceAgent[] = [];
    for (const agent of this.#order) {
      let step: GroupStep;
      if (ctx?.signal?.aborted === true) {
        const error = new AgentError(
          agent.resource,
          'start',
          'the acquisition of the group was aborted before this resource was started',
        );
        step = this.#record(steps, agent, 'acquire', 'start', 0, error);
      } else {
        step = await this.#step(steps, agent, 'acquire', 'start', ctx);
        // Stopped in the rollback whatever the outcome: a failed start may have left parts of it behind.
        started.push(agent);
      }
      if (step.error === undefined) continue;
      const rollbackCtx: AgentContext =
        ctx?.onCommand === undefined ? {} : { onCommand: ctx.onCommand };
      const rollbackFailures: StepFailure[] = [];
      for (const done of started.reverse()) {
        const s = await this.#step(steps, done, 'rollback', 'stop', rollbackCtx);
        if (s.error !== undefined) rollbackFailures.push(failureOf(s, s.error));
      }
      return { ok: false, failure: failureOf(step, step.error), rollbackFailures, steps };
    }
    return { ok: true, steps };
  }

  async release(ctx?: AgentContext): Promise<ReleaseResult> {
    const steps: GroupStep[] = [];
    const failures: StepFailure[] = [];
    for (const agent of [...this.#order].reverse()) {
      const s = await this.#step(steps, agent, 'release', 'stop', ctx);
      if (s.error !== undefined) failures.push(failureOf(s, s.error));
    }
    return { ok: failures.length === 0, failures, steps };
  }

  async #step(
    steps: GroupStep[],
    agent: ResourceAgent,
    phase: GroupPhase,
    op: 'start' | 'stop',
    ctx: AgentContext | undefined,
  ): Promise<GroupStep> {
    const t0 = performance.now();
    let error: AgentError | undefined;
    try {
      await (op === 'start' ? agent.start(ctx) : agent.stop(ctx));
    } catch (e) {
      // The contract says agents reject with AgentError; anything else is a bug in an agent,
      // reported the same way so that one bad agent cannot derail the group.
      error =
        e instanceof AgentError
          ? e
          : new AgentError(
              agent.resource,
              op,
              `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
              { cause: e },
            );
    }
    return this.#record(steps, agent, phase, op, performance.now() - t0, error);
  }

  #record(
    steps: GroupStep[],
    agent: ResourceAgent,
    phase: GroupPhase,
    op: 'start' | 'stop',
    durationMs: number,
    error: AgentError | undefined,
  ): GroupStep {
    const step: GroupStep = {
      group: this.group,
      resource: agent.resource,
      kind: agent.kind,
      phase,
      op,
      outcome: error === undefined ? 'ok' : 'failed',
      durationMs,
      error,
    };
    steps.push(step);
    this.#onStep?.(step);
    return step;
  }
}

function failureOf(step: GroupStep, error: AgentError): StepFailure {
  return { resource: step.resource, kind: step.kind, op: step.op, error };
}
