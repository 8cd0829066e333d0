// Application monitoring on this node: the reference's application monitors. Every monitor of
// every application of every group this node holds is checked on its own interval, once the
// group is online and its stabilisation interval has passed. A failed check is a failure:
//
// 1. The notify command (if any) runs, bounded by the monitor's timeout; its output is logged.
// 2. While the monitor has restarts left (restartCount), the application is restarted here:
//    the cleanup command (default: the application's stop, through its agent, which also
//    ends what its start left behind), then the restart command (default: the application's
//    start). Cleanup failing does not prevent the restart attempt; a restart that fails
//    counts as used all the same. Every monitor of that application then waits its
//    stabilisation interval again before its next check.
// 3. Once the restarts are used up, the failure action: `fallover` asks the cluster to move
//    the group (onGroupFailed) and stops monitoring it here; `notify` only notifies, once per
//    run of consecutive failed checks, and keeps monitoring without restarting. The count
//    comes back once the application has been healthy for restartIntervalMs.
//
// Restart interval, as in the reference ("the interval the application must remain stable
// before the restart count is reset"): the restart count of a monitor resets when
// restartIntervalMs have passed since the end of its last failure (the end of the last
// restart, or the last failed check) without another one. So `restartCount` restarts are
// allowed within any such window, and failure number restartCount + 1 within it takes the
// failure action. The configuration's default and the verify warning keep this window
// longer than restartCount x (stabilisation + interval), the time the restarts take.
//
// What is never monitored: a group that is not held (holding), not yet online (acquisition in
// progress), being released (releasing: its checks and any restart in flight are aborted, and
// the release waits for them to end, so that a restart can never start the application again
// behind the release), or that failed here and is waiting to be moved. A check that ends after
// its group stopped being monitored, or after its application began a restart, is ignored.
// Bounded: at most one check per monitor in flight, at most one restart per application.
//
// Notify, cleanup and restart commands run with /bin/sh -c and the environment the agent gives
// the application's own commands (PATH, LANG, HAVEN_RESOURCE, HAVEN_GROUP, HAVEN_NODE,
// HAVEN_MONITOR), plus HAVEN_OP (notify, cleanup, restart), HAVEN_FAILURE (why the check
// failed), HAVEN_FAILURES (failures within the restart interval, this one included) and
// HAVEN_ACTION (restart, fallover or notify: what Haven does about this failure).

import type { ApplicationResource, MonitorDef } from '../../core/config/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { ProcessRunner } from '../../core/ports/process.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import type {
  AgentCommand,
  AgentContext,
  AgentOp,
  MonitorStatus,
  ResourceAgent,
} from '../../runtime/agents/agent.js';
import {
  DEFAULT_PATH,
  failureReason,
  formatMs,
  outputTail,
  runForAgent,
  succeeded,
} from '../../runtime/agents/agent-exec.js';
import type { ResourceTrace } from './service.js';

/** One application of a group, as the resource manager runs it. */
export interface MonitoredApplication {
  readonly def: ApplicationResource;
  /** The agent that started it (the one acquire and release use): restarts go through it. */
  readonly agent: ResourceAgent;
  /** An agent whose monitor() runs `m` alone, with the environment of the application. */
  readonly checker: (m: MonitorDef) => ResourceAgent;
}

/** What the monitor needs of the resource manager (resources.ts). */
export interface MonitoredResources {
  applications(group: string): readonly MonitoredApplication[];
}

/** What the resource manager tells the monitor (ResourceManager.watch). */
export interface GroupWatcher {
  /** The groups this node holds (from the start of their acquisition to the end of their release). */
  holding(groups: ReadonlySet<string>): void;
  /** The group's acquisition succeeded: it is online here. */
  online(group: string): void;
  /** The group's release begins; the release waits for the promise (never rejects). */
  releasing(group: string): Promise<void>;
}

export type MonitorLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ApplicationMonitorOptions {
  readonly resources: MonitoredResources;
  readonly node: string;
  readonly runner: ProcessRunner;
  readonly clock: Clock;
  readonly timers: Timers;
  /** The group's restarts are used up and its failure action is fallover: move it. */
  readonly onGroupFailed: (group: string, reason: string) => void;
  readonly log: (level: MonitorLogLevel, msg: string, fields: Record<string, unknown>) => void;
  /** Restarts (cleanup and start), as resource operations for the event trace. */
  readonly trace: (t: ResourceTrace) => void;
  /** Environment of notify, cleanup and restart commands, before the HAVEN_ variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Between SIGTERM and SIGKILL for those commands. @default 5000 */
  readonly killGraceMs?: number;
}

const DEFAULT_KILL_GRACE_MS = 5_000;

interface GroupWatch {
  readonly group: string;
  /** Aborted when the group stops being monitored: ends its checks and restarts. */
  readonly abort: AbortController;
  readonly apps: AppWatch[];
  /** Restarts in flight, for releasing() to wait for. */
  readonly busy: Set<Promise<void>>;
}

interface AppWatch {
  readonly app: MonitoredApplication;
  readonly monitors: MonitorWatch[];
  restarting: boolean;
  /** Aborted when a restart begins: the checks in flight are of the old instance. */
  checks: AbortController;
}

interface MonitorWatch {
  readonly def: MonitorDef;
  readonly checker: ResourceAgent;
  timer: TimerHandle | undefined;
  /** The check in flight (settles with the check, never rejects). */
  check: Promise<unknown> | undefined;
  /** Restarts used within the current restart interval. */
  restarts: number;
  /** Monotonic time the last failure was dealt with; the restart interval counts from it. */
  lastFailureMs: number | undefined;
  /** Restarts used up under failureAction notify: the current run of failures was notified. */
  notified: boolean;
}

type Verdict = { readonly healthy: true } | { readonly healthy: false; readonly reason: string };

export class ApplicationMonitor implements GroupWatcher {
  readonly #o: ApplicationMonitorOptions;
  readonly #killGraceMs: number;
  #held: ReadonlySet<string> = new Set();
  readonly #watches = new Map<string, GroupWatch>();
  #stopped = false;

  constructor(o: ApplicationMonitorOptions) {
    this.#o = o;
    this.#killGraceMs = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  /** The groups under monitoring now (online, stabilising or checking). */
  monitoring(): string[] {
    return [...this.#watches.keys()].sort();
  }

  holding(groups: ReadonlySet<string>): void {
    this.#held = new Set(groups);
    for (const group of [...this.#watches.keys()]) {
      if (!groups.has(group)) this.#end(group, 'the group is no longer held on this node');
    }
  }

  online(group: string): void {
    if (this.#stopped || this.#watches.has(group)) return;
    if (!this.#held.has(group)) {
      this.#o.log('debug', 'group online but not held: not monitored', { group });
      return;
    }
    const gw: GroupWatch = {
      group,
      abort: new AbortController(),
      apps: [],
      busy: new Set(),
    };
    for (const app of this.#o.resources.applications(group)) {
      if (app.def.monitors.length === 0) continue;
      gw.apps.push({
        app,
        restarting: false,
        checks: new AbortController(),
        monitors: app.def.monitors.map((def) => ({
          def,
          checker: app.checker(def),
          timer: undefined,
          check: undefined,
          restarts: 0,
          lastFailureMs: undefined,
          notified: false,
        })),
      });
    }
    if (gw.apps.length === 0) return;
    this.#watches.set(group, gw);
    for (const aw of gw.apps) {
      for (const mw of aw.monitors) {
        this.#o.log('info', 'application monitor starts after its stabilization interval', {
          group,
          application: aw.app.def.name,
          monitor: mw.def.name,
          stabilizationMs: mw.def.stabilizationMs,
          intervalMs: mw.def.intervalMs,
        });
        this.#schedule(gw, aw, mw, mw.def.stabilizationMs);
      }
    }
  }

  async releasing(group: string): Promise<void> {
    const gw = this.#watches.get(group);
    if (!gw) return;
    this.#end(group, 'the group is being released');
    await Promise.allSettled([...gw.busy]);
  }

  /** Ends all monitoring; resolves when the restarts in flight have ended (aborted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const restarts = [...this.#watches.values()].flatMap((gw) => [...gw.busy]);
    for (const group of [...this.#watches.keys()]) this.#end(group, 'monitoring stopped');
    await Promise.allSettled(restarts);
  }

  #end(group: string, why: string): void {
    const gw = this.#watches.get(group);
    if (!gw) return;
    this.#watches.delete(group);
    gw.abort.abort();
    for (const aw of gw.apps) {
      aw.checks.abort();
      for (const mw of aw.monitors) this.#cancel(mw);
    }
    this.#o.log('info', 'application monitoring of the group ends', { group, why });
  }

  #live(gw: GroupWatch): boolean {
    return this.#watches.get(gw.group) === gw;
  }

  #cancel(mw: MonitorWatch): void {
    if (mw.timer !== undefined) this.#o.timers.cancel(mw.timer);
    mw.timer = undefined;
  }

  #schedule(gw: GroupWatch, aw: AppWatch, mw: MonitorWatch, delayMs: number): void {
    this.#cancel(mw);
    mw.timer = this.#o.timers.setTimer(Math.max(0, Math.ceil(delayMs)), () => {
      mw.timer = undefined;
      this.#tick(gw, aw, mw);
    });
  }

  #tick(gw: GroupWatch, aw: AppWatch, mw: MonitorWatch): void {
    // A restart reschedules every monitor of its application when it ends.
    if (!this.#live(gw) || aw.restarting || mw.check !== undefined) return;
    const startedMs = this.#o.clock.monotonicMs();
    const checks = aw.checks;
    const check = this.#check(aw, mw, checks.signal);
    mw.check = check;
    void check.then((verdict) => {
      mw.check = undefined;
      // The group left monitoring, or the application is being restarted: this check saw
      // what no longer matters.
      if (!this.#live(gw) || aw.restarting || checks !== aw.checks) return;
      if (verdict.healthy) {
        this.#healthy(mw);
        const next = startedMs + mw.def.intervalMs - this.#o.clock.monotonicMs();
        this.#schedule(gw, aw, mw, next);
      } else {
        this.#failed(gw, aw, mw, verdict.reason, startedMs);
      }
    });
  }

  /** Runs one check of one monitor; never rejects. */
  async #check(aw: AppWatch, mw: MonitorWatch, signal: AbortSignal): Promise<Verdict> {
    let last: AgentCommand | undefined;
    let status: MonitorStatus;
    try {
      status = await mw.checker.monitor({
        signal,
        onCommand: (c) => {
          last = c;
        },
      });
    } catch (error) {
      // The check could not run at all (no /proc, the command cannot start): the application
      // cannot be shown healthy, which is a failure like any other.
      return { healthy: false, reason: messageOf(error) };
    }
    if (status.state === 'running') return { healthy: true };
    if (status.state === 'failed') {
      // The agent names the monitor; the caller does too.
      const own = `monitor ${mw.def.name}: `;
      const reason = status.reason.startsWith(own)
        ? status.reason.slice(own.length)
        : status.reason;
      return { healthy: false, reason };
    }
    return { healthy: false, reason: stoppedReason(aw.app.def, mw.def, last) };
  }

  #healthy(mw: MonitorWatch): void {
    mw.notified = false;
    if (mw.restarts > 0 && mw.lastFailureMs !== undefined) {
      const quiet = this.#o.clock.monotonicMs() - mw.lastFailureMs;
      if (quiet >= mw.def.restartIntervalMs) mw.restarts = 0;
    }
  }

  #failed(gw: GroupWatch, aw: AppWatch, mw: MonitorWatch, reason: string, atMs: number): void {
    const m = mw.def;
    const application = aw.app.def.name;
    if (mw.lastFailureMs !== undefined && atMs - mw.lastFailureMs >= m.restartIntervalMs) {
      mw.restarts = 0;
      mw.notified = false;
    }
    const failures = mw.restarts + 1;
    const fields = {
      group: gw.group,
      application,
      monitor: m.name,
      reason,
      failures,
      restartCount: m.restartCount,
      restartIntervalMs: m.restartIntervalMs,
    };
    if (mw.restarts < m.restartCount) {
      mw.restarts += 1;
      this.#o.log('warn', `application monitor failed: restarting ${application}`, {
        ...fields,
        restart: mw.restarts,
      });
      this.#restart(gw, aw, mw, reason, failures);
      return;
    }
    const why = `monitor ${m.name} of ${application} failed ${failures} time${failures === 1 ? '' : 's'} within ${formatMs(m.restartIntervalMs)} (restart count ${m.restartCount}): ${reason}`;
    if (m.failureAction === 'fallover') {
      this.#o.log('error', 'application monitor failed and its restarts are used up: fallover', {
        ...fields,
        failureAction: 'fallover',
      });
      // Monitoring ends here: the cluster moves the group (its release would end it anyway).
      this.#end(gw.group, 'its restarts are used up: the group is moved');
      // The notify command does not touch the application: a release need not wait for it.
      void this.#notify(gw, aw, mw, reason, failures, 'fallover').then(() => {
        // Not if the group was let go meanwhile (released, or cluster services stopped).
        if (!this.#stopped && this.#held.has(gw.group)) this.#o.onGroupFailed(gw.group, why);
      });
      return;
    }
    mw.lastFailureMs = this.#o.clock.monotonicMs();
    const next = (): void => {
      if (!this.#live(gw)) return;
      this.#schedule(gw, aw, mw, atMs + m.intervalMs - this.#o.clock.monotonicMs());
    };
    if (mw.notified) {
      this.#o.log(
        'warn',
        'application monitor still fails (failure action notify, already notified)',
        fields,
      );
      next();
      return;
    }
    mw.notified = true;
    this.#o.log(
      'error',
      'application monitor failed and its restarts are used up: failure action notify, so the group stays here and monitoring goes on without restarts',
      { ...fields, failureAction: 'notify' },
    );
    void this.#notify(gw, aw, mw, reason, failures, 'notify').then(next);
  }

  #restart(gw: GroupWatch, aw: AppWatch, mw: MonitorWatch, reason: string, failures: number): void {
    aw.restarting = true;
    // The other monitors' checks in flight are of the failed instance: abort and ignore them.
    aw.checks.abort();
    for (const other of aw.monitors) this.#cancel(other);
    const done = this.#restartSteps(gw, aw, mw, reason, failures).finally(() => {
      aw.restarting = false;
      aw.checks = new AbortController();
      mw.lastFailureMs = this.#o.clock.monotonicMs();
      if (!this.#live(gw)) return;
      for (const other of aw.monitors) this.#schedule(gw, aw, other, other.def.stabilizationMs);
    });
    gw.busy.add(done);
    void done.finally(() => gw.busy.delete(done));
  }

  async #restartSteps(
    gw: GroupWatch,
    aw: AppWatch,
    mw: MonitorWatch,
    reason: string,
    failures: number,
  ): Promise<void> {
    const m = mw.def;
    const def = aw.app.def;
    const signal = gw.abort.signal;
    // Checks of other monitors may still be winding down; one check per monitor at a time.
    await Promise.allSettled(aw.monitors.flatMap((x) => (x.check ? [x.check] : [])));
    await this.#notify(gw, aw, mw, reason, failures, 'restart');
    if (!this.#live(gw)) return;
    const what = `restart ${mw.restarts} of ${m.restartCount} by monitor ${m.name}`;
    const cleanup = await this.#step(signal, (ctx) =>
      m.cleanupCommand === undefined
        ? aw.app.agent.stop(ctx)
        : this.#command(gw, aw, mw, 'cleanup', m.cleanupCommand, def.stopTimeoutMs, ctx, {
            reason,
            failures,
            action: 'restart',
          }),
    );
    this.#o.trace({
      resource: def.name,
      op: 'stop',
      outcome: cleanup.error === undefined ? 'ok' : 'failed',
      detail: `cleanup before ${what}${cleanup.error === undefined ? '' : `: ${cleanup.error}`}`,
      durationMs: cleanup.durationMs,
      commands: cleanup.commands,
    });
    if (cleanup.error !== undefined) {
      this.#o.log('warn', 'the cleanup before a restart failed: restarting anyway', {
        group: gw.group,
        application: def.name,
        monitor: m.name,
        error: cleanup.error,
      });
    }
    if (!this.#live(gw)) return;
    const start = await this.#step(signal, (ctx) =>
      m.restartCommand === undefined
        ? aw.app.agent.start(ctx)
        : this.#command(gw, aw, mw, 'restart', m.restartCommand, def.startTimeoutMs, ctx, {
            reason,
            failures,
            action: 'restart',
          }),
    );
    this.#o.trace({
      resource: def.name,
      op: 'start',
      outcome: start.error === undefined ? 'ok' : 'failed',
      detail: `${what}${start.error === undefined ? '' : `: ${start.error}`}`,
      durationMs: start.durationMs,
      commands: start.commands,
    });
    if (!this.#live(gw)) return;
    if (start.error === undefined) {
      this.#o.log('info', `${def.name} restarted`, {
        group: gw.group,
        application: def.name,
        monitor: m.name,
        restart: mw.restarts,
        restartCount: m.restartCount,
      });
    } else {
      this.#o.log('error', `${def.name} could not be restarted`, {
        group: gw.group,
        application: def.name,
        monitor: m.name,
        restart: mw.restarts,
        restartCount: m.restartCount,
        error: start.error,
      });
    }
  }

  /** Runs one restart step, collecting its commands; never rejects. */
  async #step(
    signal: AbortSignal,
    run: (ctx: AgentContext) => Promise<void>,
  ): Promise<{ error: string | undefined; durationMs: number; commands: AgentCommand[] }> {
    const commands: AgentCommand[] = [];
    const t0 = this.#o.clock.monotonicMs();
    let error: string | undefined;
    try {
      await run({
        signal,
        onCommand: (c) => {
          commands.push(c);
        },
      });
    } catch (e) {
      error = messageOf(e);
    }
    return { error, durationMs: this.#o.clock.monotonicMs() - t0, commands };
  }

  /** Runs the notify command, if any, and logs its outcome and output; never rejects. */
  async #notify(
    gw: GroupWatch,
    aw: AppWatch,
    mw: MonitorWatch,
    reason: string,
    failures: number,
    action: 'restart' | 'fallover' | 'notify',
  ): Promise<void> {
    const command = mw.def.notifyCommand;
    if (command === undefined) return;
    const commands: AgentCommand[] = [];
    let error: string | undefined;
    try {
      await this.#command(
        gw,
        aw,
        mw,
        'notify',
        command,
        mw.def.timeoutMs,
        {
          onCommand: (c) => commands.push(c),
        },
        { reason, failures, action },
      );
    } catch (e) {
      error = messageOf(e);
    }
    const c = commands[0];
    this.#o.log(
      error === undefined ? 'info' : 'warn',
      'notify command of an application monitor ran',
      {
        group: gw.group,
        application: aw.app.def.name,
        monitor: mw.def.name,
        command,
        ...(error === undefined ? {} : { error }),
        ...(c
          ? {
              exitCode: c.exitCode,
              stdout: outputTail(c.stdout, 10),
              stderr: outputTail(c.stderr, 10),
            }
          : {}),
      },
    );
  }

  /** Runs one of the monitor's commands; rejects with a sentence when it did not succeed. */
  async #command(
    gw: GroupWatch,
    aw: AppWatch,
    mw: MonitorWatch,
    kind: 'notify' | 'cleanup' | 'restart',
    command: string,
    timeoutMs: number,
    ctx: AgentContext,
    failure: { reason: string; failures: number; action: 'restart' | 'fallover' | 'notify' },
  ): Promise<void> {
    const op: AgentOp = kind === 'notify' ? 'monitor' : kind === 'cleanup' ? 'stop' : 'start';
    const r = await runForAgent(this.#o.runner, {
      resource: aw.app.def.name,
      op,
      command: { shell: command },
      env: {
        PATH: DEFAULT_PATH,
        LANG: 'C.UTF-8',
        ...this.#o.env,
        HAVEN_RESOURCE: aw.app.def.name,
        HAVEN_GROUP: gw.group,
        HAVEN_NODE: this.#o.node,
        HAVEN_MONITOR: mw.def.name,
        HAVEN_OP: kind,
        HAVEN_FAILURE: failure.reason,
        HAVEN_FAILURES: String(failure.failures),
        HAVEN_ACTION: failure.action,
      },
      timeoutMs,
      killGraceMs: this.#killGraceMs,
      ctx,
    });
    if (!succeeded(r)) {
      throw new Error(failureReason(`the ${kind} command of monitor ${mw.def.name}`, r, timeoutMs));
    }
  }
}

/** Why a check whose agent said "stopped" failed (the agent gives no reason for that). */
function stoppedReason(
  app: ApplicationResource,
  m: MonitorDef,
  last: AgentCommand | undefined,
): string {
  if (m.type === 'process') {
    const owner = m.owner === undefined ? '' : ` owned by ${m.owner}`;
    return `no process named ${m.process ?? '?'}${owner} running`;
  }
  if (last === undefined) return `the check of ${app.name} failed`;
  let how: string;
  if (last.timedOut) how = `did not finish within ${formatMs(m.timeoutMs)} and was killed`;
  else if (last.exitCode === null) how = `was killed by ${last.signal ?? 'a signal'}`;
  else how = `exited with status ${last.exitCode}`;
  const tail = outputTail(last.stderr) || outputTail(last.stdout);
  return `the check command ${how}${tail ? `; last output: ${tail}` : ''}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
