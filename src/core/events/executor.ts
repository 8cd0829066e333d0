// The executor of one node's part of one event: a pure state machine. It runs the commands of
// the recovery program that concern this node, segment by segment, stops at each barrier until
// the caller says the barrier completed cluster-wide, wraps the program in the event's notify,
// pre and post commands, recovers failed commands with the recovery command and a retry count,
// and warns (config_too_long) while the event runs longer than its time limit.
//
// Group services are not in here: the executor says `barrier-reached` / `end-reached` and waits
// for `barrier-complete`; it never knows what the other nodes are doing.
//
//   createExecutor(options) -> state
//   stepExecutor(state, input, nowMs) -> { state, effects, wakeAtMs }
//
// Inputs carry no time of their own: every step is given `nowMs` (monotonic). A state is never
// mutated; the executor never throws, whatever the inputs (unknown run ids, duplicate or early
// barrier completions, inputs after the end are logged and ignored).
//
// The flow on this node (README.md has the details and the environment of each command):
//
//   start: notify start, pre commands (in order)
//   segment 0: this node's commands before the first barrier, in parallel
//   barrier-reached 0 ... barrier-complete 0
//   segment 1 ...
//   last segment, then post commands and notify complete (in order)
//   end-reached n (the caller runs the cbarrier) ... barrier-complete n
//   done

import type { LogEffect } from '../cluster/node.js';
import type { EventCustomizationDef, RecoveryStep } from '../config/model.js';
import { commandEnvironment, type CommandRole } from './environment.js';
import { customization, planEvent, type Phase, type PlannedCommand } from './plan.js';
import { nextTooLongMs, positiveMs } from './too-long.js';

export type { CommandRole };

/** A command's time limit when the caller gives none: a hung script is killed after an hour. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60 * 60 * 1000;
/** How much of a failed command's output an error carries. */
export const OUTPUT_TAIL_CHARS = 2000;

export interface ExecutorEvent {
  readonly name: string;
  /** Identifies this run of the event cluster-wide (the caller's, e.g. the view epoch and a sequence). */
  readonly id: string;
  /** The event node: the node the event is about. */
  readonly node: number;
  readonly network?: number | string | undefined;
  readonly details?: Readonly<Record<string, string>> | undefined;
}

export interface ExecutorOptions {
  readonly event: ExecutorEvent;
  readonly program: readonly RecoveryStep[];
  /** This node's number. */
  readonly self: number;
  /** The members of the view the event runs in. */
  readonly members: readonly number[];
  /** The cluster default, tunables.eventTimeLimitMs; the event's own timeLimitMs wins. */
  readonly eventTimeLimitMs: number;
  /**
   * Event customisations (config.events). The one named like the event wraps the whole program
   * on this node; one named like an event script the program runs (node_up_complete...) wraps
   * each run of that script.
   */
  readonly customizations?: readonly EventCustomizationDef[] | undefined;
  /** Per-command time limit; default DEFAULT_COMMAND_TIMEOUT_MS. */
  readonly commandTimeoutMs?: number | undefined;
  /** Node names for the environment; a node without one is shown by its number. */
  readonly nodeNames?: Readonly<Record<number, string>> | undefined;
  /** The resource groups the event affects, computed by the caller: HAVEN_GROUPS. */
  readonly groups?: readonly string[] | undefined;
  /** More environment for every command; the executor's own variables win over these. */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

export type ExecutorInput =
  | { readonly type: 'start' }
  | {
      readonly type: 'run-result';
      readonly runId: string;
      /** null when the command was killed (time limit or signal). */
      readonly exitCode: number | null;
      readonly timedOut: boolean;
      readonly output: string;
    }
  /** Barrier `index` completed on every member of the view (the last index is the cbarrier). */
  | { readonly type: 'barrier-complete'; readonly index: number }
  /** The wake-up time asked for has come. */
  | { readonly type: 'wake' }
  /** The operator's resume (the reference's clruncmd): continue after the failed command(s). */
  | { readonly type: 'resume' }
  /** The view changed during the event: later commands see the new VIEW_MEMBERS. */
  | { readonly type: 'view'; readonly members: readonly number[] }
  /**
   * More environment for the commands started from now on (merged over the caller's `env`), e.g.
   * the groups this node acquires, known only once the release barrier completed.
   */
  | { readonly type: 'env'; readonly env: Readonly<Record<string, string>> };

/** Why this node stopped in error: everything an operator needs to decide on a resume. */
export interface CommandFailure {
  readonly event: string;
  readonly eventId: string;
  readonly node: number;
  readonly role: CommandRole;
  readonly command: string;
  readonly args: readonly string[];
  /** The program step (0-based) the command belongs to, if it is one of the program's. */
  readonly step: number | undefined;
  readonly expected: number;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly outputTail: string;
  /** How many times the command ran. */
  readonly attempts: number;
  /** none: no recovery command; exhausted: retries used up; failed: the recovery command failed. */
  readonly recovery: 'none' | 'exhausted' | 'failed';
  readonly recoveryCommand?: string;
  readonly recoveryExitCode?: number | null;
  readonly recoveryTimedOut?: boolean;
  readonly recoveryOutputTail?: string;
  /** One sentence for the event log. */
  readonly message: string;
}

export interface EventOutcome {
  readonly event: string;
  readonly eventId: string;
  readonly elapsedMs: number;
  /** Commands started, recovery commands included. */
  readonly commands: number;
  /** Recovery commands that succeeded and led to a retry. */
  readonly recoveries: number;
  /** Failed commands skipped by a resume. */
  readonly resumed: number;
  /** Commands that failed where the status is ignored (X, notify). */
  readonly ignoredFailures: number;
  readonly tooLongWarnings: number;
}

export type ExecutorEffect =
  | {
      readonly type: 'run';
      readonly runId: string;
      readonly command: string;
      /** Arguments to append to the command (notify: start | complete). */
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly timeoutMs: number;
      readonly role: CommandRole;
    }
  | { readonly type: 'barrier-reached'; readonly index: number }
  /** The end of the program: run the cbarrier (barrier `index`), answer with barrier-complete. */
  | { readonly type: 'end-reached'; readonly index: number }
  | { readonly type: 'error'; readonly failure: CommandFailure }
  | {
      readonly type: 'config_too_long';
      readonly elapsedMs: number;
      /** 1 for the first warning of this event, then 2, 3... */
      readonly count: number;
      readonly limitMs: number;
    }
  | { readonly type: 'done'; readonly outcome: EventOutcome }
  | LogEffect;

/** As the cluster manager shows it. */
export type ExecutorStatus = 'idle' | 'rp_running' | 'barrier' | 'cbarrier' | 'error' | 'done';

interface Settings {
  readonly event: ExecutorEvent;
  readonly self: number;
  readonly limitMs: number;
  readonly commandTimeoutMs: number;
  readonly nodeNames: Readonly<Record<number, string>>;
  readonly groups: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly plan: readonly Phase[];
}

export interface JobState {
  /** Index of the current command in the job. */
  readonly position: number;
  readonly status: 'running' | 'recovering' | 'failed' | 'done';
  /** The run in flight (the command, or its recovery command). */
  readonly runId: string | null;
  /** Recoveries done for the current command. */
  readonly retries: number;
  /** Runs of the current command. */
  readonly attempts: number;
  /** The current command's last failure, while it is being recovered or in error. */
  readonly failure: CommandFailure | null;
}

interface Counters {
  commands: number;
  recoveries: number;
  resumed: number;
  ignoredFailures: number;
}

export interface ExecutorState {
  readonly settings: Settings;
  readonly startedMs: number | null;
  readonly finished: boolean;
  readonly phase: number;
  readonly phaseStarted: boolean;
  /** At a barrier or the end, barrier-reached / end-reached sent, waiting for completion. */
  readonly waiting: boolean;
  readonly jobs: readonly JobState[];
  readonly members: readonly number[];
  readonly seq: number;
  readonly tooLongCount: number;
  /** Elapsed time of the next config_too_long warning. */
  readonly tooLongNextMs: number;
  readonly counters: Readonly<Counters>;
}

export interface ExecutorResult {
  readonly state: ExecutorState;
  readonly effects: readonly ExecutorEffect[];
  /** When to send `wake` (absolute, monotonic ms); null when nothing is due. */
  readonly wakeAtMs: number | null;
}

interface Draft {
  settings: Settings;
  startedMs: number | null;
  finished: boolean;
  phase: number;
  phaseStarted: boolean;
  waiting: boolean;
  jobs: { -readonly [K in keyof JobState]: JobState[K] }[];
  members: number[];
  seq: number;
  tooLongCount: number;
  tooLongNextMs: number;
  counters: Counters;
}

export function createExecutor(options: ExecutorOptions): ExecutorState {
  const own = customization(options.customizations ?? [], options.event.name);
  const limitMs = positiveMs(own?.timeLimitMs ?? options.eventTimeLimitMs, 1);
  return {
    settings: {
      event: options.event,
      self: options.self,
      limitMs,
      commandTimeoutMs: positiveMs(options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS),
      nodeNames: options.nodeNames ?? {},
      groups: options.groups ?? [],
      env: options.env ?? {},
      plan: planEvent(options),
    },
    startedMs: null,
    finished: false,
    phase: 0,
    phaseStarted: false,
    waiting: false,
    jobs: [],
    members: [...options.members],
    seq: 0,
    tooLongCount: 0,
    tooLongNextMs: limitMs,
    counters: { commands: 0, recoveries: 0, resumed: 0, ignoredFailures: 0 },
  };
}

export function executorStatus(state: ExecutorState): ExecutorStatus {
  if (state.finished) return 'done';
  if (state.startedMs === null) return 'idle';
  if (state.jobs.some((j) => j.status === 'failed')) return 'error';
  const phase = state.settings.plan[state.phase];
  if (phase?.kind === 'barrier') return 'barrier';
  if (phase?.kind === 'end') return 'cbarrier';
  return 'rp_running';
}

/** The next config_too_long time (absolute), or null when the event is not running. */
export function nextWakeMs(state: ExecutorState): number | null {
  if (state.startedMs === null || state.finished) return null;
  return state.startedMs + state.tooLongNextMs;
}

function draft(s: ExecutorState): Draft {
  return {
    ...s,
    jobs: s.jobs.map((j) => ({ ...j })),
    members: [...s.members],
    counters: { ...s.counters },
  };
}

function tail(output: string): string {
  if (typeof output !== 'string') return '';
  if (output.length <= OUTPUT_TAIL_CHARS) return output;
  const t = output.slice(-OUTPUT_TAIL_CHARS);
  // Do not start with half of a surrogate pair.
  return /^[\uDC00-\uDFFF]/.test(t) ? t.slice(1) : t;
}

function log(
  fx: ExecutorEffect[],
  s: Draft,
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  fx.push({
    type: 'log',
    level,
    msg,
    fields: { event: s.settings.event.name, eventId: s.settings.event.id, ...fields },
  });
}

function currentJobs(s: Draft): readonly (readonly PlannedCommand[])[] {
  const phase = s.settings.plan[s.phase];
  return phase?.kind === 'commands' ? phase.jobs : [];
}

function emitRun(
  s: Draft,
  fx: ExecutorEffect[],
  job: Draft['jobs'][number],
  cmd: PlannedCommand,
  role: CommandRole,
  command: string,
  args: readonly string[],
): void {
  const runId = `${s.settings.event.id}#${s.seq++}`;
  job.runId = runId;
  s.counters.commands++;
  fx.push({
    type: 'run',
    runId,
    command,
    args,
    env: commandEnvironment(
      { ...s.settings, members: s.members },
      cmd,
      role,
      job.retries,
      role === 'recovery' ? job.failure : null,
    ),
    timeoutMs: s.settings.commandTimeoutMs,
    role,
  });
}

/** Starts the job's current command, or marks the job done when it has none left. */
function startCurrent(s: Draft, jobIndex: number, fx: ExecutorEffect[]): void {
  const job = s.jobs[jobIndex];
  const cmd = currentJobs(s)[jobIndex]?.[job?.position ?? 0];
  if (job === undefined) return;
  if (cmd === undefined) {
    job.status = 'done';
    job.runId = null;
    return;
  }
  job.status = 'running';
  job.attempts++;
  emitRun(s, fx, job, cmd, cmd.role, cmd.command, cmd.args);
}

function nextCommand(s: Draft, jobIndex: number, fx: ExecutorEffect[]): void {
  const job = s.jobs[jobIndex];
  if (job === undefined) return;
  job.position++;
  job.retries = 0;
  job.attempts = 0;
  job.failure = null;
  startCurrent(s, jobIndex, fx);
}

function describeStatus(exitCode: number | null, timedOut: boolean): string {
  if (timedOut) return 'timed out';
  if (exitCode === null) return 'was killed by a signal';
  return `exited ${exitCode}`;
}

function stopInError(
  s: Draft,
  fx: ExecutorEffect[],
  job: Draft['jobs'][number],
  failure: CommandFailure,
): void {
  job.status = 'failed';
  job.runId = null;
  job.failure = failure;
  fx.push({ type: 'error', failure });
  log(fx, s, 'error', failure.message, { command: failure.command, role: failure.role });
}

function onResult(
  s: Draft,
  input: Extract<ExecutorInput, { type: 'run-result' }>,
  fx: ExecutorEffect[],
): void {
  const jobIndex = s.jobs.findIndex((j) => j.runId !== null && j.runId === input.runId);
  const job = s.jobs[jobIndex];
  const cmd = currentJobs(s)[jobIndex]?.[job?.position ?? 0];
  if (job === undefined || cmd === undefined) {
    log(fx, s, 'debug', 'result of an unknown or finished run ignored', { runId: input.runId });
    return;
  }
  job.runId = null;
  const exitCode = typeof input.exitCode === 'number' ? input.exitCode : null;
  const timedOut = input.timedOut;
  const output = tail(input.output);

  if (job.status === 'recovering') {
    const failure = job.failure;
    const recovery = cmd.recovery;
    if (failure === null || recovery === undefined) {
      // Cannot happen: a job recovers only with both. Stop rather than guess.
      job.status = 'failed';
      return;
    }
    if (exitCode === 0 && !timedOut) {
      s.counters.recoveries++;
      log(fx, s, 'info', `recovery succeeded; retrying ${cmd.command}`, {
        retry: job.retries,
        of: recovery.retries,
      });
      startCurrent(s, jobIndex, fx);
      return;
    }
    stopInError(s, fx, job, {
      ...failure,
      recovery: 'failed',
      recoveryCommand: recovery.command,
      recoveryExitCode: exitCode,
      recoveryTimedOut: timedOut,
      recoveryOutputTail: output,
      message: `${failure.message}; the recovery command ${JSON.stringify(recovery.command)} ${describeStatus(exitCode, timedOut)}: the event is in error on this node until resumed`,
    });
    return;
  }

  if (job.status !== 'running') return;
  const expected = cmd.expect;
  if (expected === undefined || (exitCode === expected && !timedOut)) {
    if (expected === undefined && (exitCode !== 0 || timedOut)) {
      s.counters.ignoredFailures++;
      log(
        fx,
        s,
        cmd.role === 'notify' ? 'warn' : 'info',
        `${cmd.command} ${describeStatus(exitCode, timedOut)}; ignored (${cmd.role === 'notify' ? 'notify command' : 'expected status X'})`,
        { role: cmd.role, exitCode, timedOut },
      );
    }
    nextCommand(s, jobIndex, fx);
    return;
  }

  const base: CommandFailure = {
    event: s.settings.event.name,
    eventId: s.settings.event.id,
    node: s.settings.self,
    role: cmd.role,
    command: cmd.command,
    args: cmd.args,
    step: cmd.step,
    expected,
    exitCode,
    timedOut,
    outputTail: output,
    attempts: job.attempts,
    recovery: 'none',
    message: `node ${s.settings.self}: ${JSON.stringify(cmd.command)} (${cmd.role === 'step' ? `step ${(cmd.step ?? 0) + 1} of the program` : `${cmd.role} command`} of event ${s.settings.event.name}) ${describeStatus(exitCode, timedOut)}, expected ${expected}`,
  };
  const recovery = cmd.recovery;
  if (recovery !== undefined && job.retries < recovery.retries) {
    log(fx, s, 'warn', `${base.message}; running the recovery command`, {
      recovery: recovery.command,
      retry: job.retries + 1,
      of: recovery.retries,
    });
    job.failure = base;
    job.status = 'recovering';
    emitRun(s, fx, job, cmd, 'recovery', recovery.command, []);
    job.retries++;
    return;
  }
  stopInError(s, fx, job, {
    ...base,
    ...(recovery === undefined
      ? {}
      : { recovery: 'exhausted' as const, recoveryCommand: recovery.command }),
    message:
      recovery === undefined
        ? `${base.message}: the event is in error on this node until resumed`
        : `${base.message} after ${recovery.retries} recover${recovery.retries === 1 ? 'y' : 'ies'}: the event is in error on this node until resumed`,
  });
}

function advance(s: Draft, fx: ExecutorEffect[], nowMs: number): void {
  for (;;) {
    if (s.finished) return;
    const phase = s.settings.plan[s.phase];
    if (phase === undefined) {
      s.finished = true;
      const outcome: EventOutcome = {
        event: s.settings.event.name,
        eventId: s.settings.event.id,
        elapsedMs: nowMs - (s.startedMs ?? nowMs),
        commands: s.counters.commands,
        recoveries: s.counters.recoveries,
        resumed: s.counters.resumed,
        ignoredFailures: s.counters.ignoredFailures,
        tooLongWarnings: s.tooLongCount,
      };
      log(fx, s, 'info', `event ${s.settings.event.name} done on this node`, { ...outcome });
      fx.push({ type: 'done', outcome });
      return;
    }
    if (phase.kind === 'commands') {
      if (!s.phaseStarted) {
        s.phaseStarted = true;
        s.jobs = phase.jobs.map(() => ({
          position: 0,
          status: 'running',
          runId: null,
          retries: 0,
          attempts: 0,
          failure: null,
        }));
        for (let i = 0; i < s.jobs.length; i++) startCurrent(s, i, fx);
      }
      if (!s.jobs.every((j) => j.status === 'done')) return;
      s.phase++;
      s.phaseStarted = false;
      s.jobs = [];
      continue;
    }
    if (!s.waiting) {
      s.waiting = true;
      if (phase.kind === 'barrier') {
        fx.push({ type: 'barrier-reached', index: phase.index });
        log(fx, s, 'debug', `barrier ${phase.index} reached`);
      } else {
        fx.push({ type: 'end-reached', index: phase.index });
        log(fx, s, 'debug', 'end of the recovery program reached');
      }
    }
    return;
  }
}

function checkTooLong(s: Draft, fx: ExecutorEffect[], nowMs: number): void {
  if (s.startedMs === null || s.finished) return;
  const elapsed = nowMs - s.startedMs;
  if (!(elapsed >= s.tooLongNextMs)) return;
  s.tooLongCount++;
  fx.push({
    type: 'config_too_long',
    elapsedMs: elapsed,
    count: s.tooLongCount,
    limitMs: s.settings.limitMs,
  });
  log(fx, s, 'warn', `event ${s.settings.event.name} has been running for ${elapsed} ms`, {
    limitMs: s.settings.limitMs,
    count: s.tooLongCount,
    status: executorStatus(s),
  });
  s.tooLongNextMs = nextTooLongMs(s.tooLongNextMs, s.settings.limitMs, elapsed);
}

export function stepExecutor(
  state: ExecutorState,
  input: ExecutorInput,
  nowMs: number,
): ExecutorResult {
  const s = draft(state);
  const fx: ExecutorEffect[] = [];
  const now = Number.isFinite(nowMs) ? nowMs : (state.startedMs ?? 0);

  if (s.startedMs === null && input.type !== 'start') {
    log(fx, s, 'debug', `${input.type} before start ignored`);
  } else if (s.finished) {
    log(fx, s, 'debug', `${input.type} after the end of the event ignored`);
  } else {
    checkTooLong(s, fx, now);
    switch (input.type) {
      case 'start':
        if (s.startedMs !== null) {
          log(fx, s, 'debug', 'start of a started event ignored');
          break;
        }
        s.startedMs = now;
        if (!s.members.includes(s.settings.self)) {
          log(fx, s, 'warn', 'this node is not a member of the view the event runs in', {
            self: s.settings.self,
            members: s.members,
          });
        }
        log(fx, s, 'info', `event ${s.settings.event.name} started on this node`, {
          node: s.settings.event.node,
          limitMs: s.settings.limitMs,
        });
        advance(s, fx, now);
        break;
      case 'run-result':
        onResult(s, input, fx);
        advance(s, fx, now);
        break;
      case 'barrier-complete': {
        const phase = s.settings.plan[s.phase];
        if (
          phase !== undefined &&
          phase.kind !== 'commands' &&
          s.waiting &&
          phase.index === input.index
        ) {
          s.phase++;
          s.waiting = false;
          s.phaseStarted = false;
          advance(s, fx, now);
        } else {
          log(
            fx,
            s,
            'debug',
            `completion of barrier ${String(input.index)} ignored: not waiting for it`,
            {
              waitingFor:
                phase !== undefined && phase.kind !== 'commands' && s.waiting ? phase.index : null,
            },
          );
        }
        break;
      }
      case 'wake':
        break;
      case 'resume': {
        const failed = s.jobs.flatMap((j, i) => (j.status === 'failed' ? [i] : []));
        if (failed.length === 0) {
          log(fx, s, 'info', 'resume ignored: the event is not in error on this node');
          break;
        }
        for (const i of failed) {
          const job = s.jobs[i];
          log(
            fx,
            s,
            'warn',
            `resumed by the operator after ${job?.failure?.command ?? 'a failed command'}`,
          );
          s.counters.resumed++;
          nextCommand(s, i, fx);
        }
        advance(s, fx, now);
        break;
      }
      case 'view':
        s.members = Array.isArray(input.members)
          ? input.members.filter((m) => typeof m === 'number')
          : s.members;
        break;
      case 'env':
        s.settings = { ...s.settings, env: { ...s.settings.env, ...input.env } };
        break;
      default:
        log(fx, s, 'debug', 'unknown input ignored');
    }
  }
  return { state: s, effects: fx, wakeAtMs: nextWakeMs(s) };
}
