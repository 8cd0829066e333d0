// The application controller: the administrator's start and stop commands (shell, run by
// /bin/sh -c) and the application's monitors.
//
// start
// - Idempotent: if monitor() says running, the start command is not run.
// - Foreground (the default): the start command runs to completion within startTimeoutMs;
//   exit 0 is success, anything else (or the time limit) is an AgentError. What it leaves
//   running (`mydaemon &`) stays in its process group, which the agent records. With
//   monitors, start then waits for every monitor to report healthy, for at most the longest
//   stabilisation interval (and no longer than what is left of startTimeoutMs), so that what
//   the group starts next finds the application up. If they are still not healthy by then,
//   start succeeds anyway: judging health after the stabilisation interval, with restarts and
//   the failure action, is the monitor loop's job, not the start's.
// - Background (`background: true`): the event does not wait for the start command. It is
//   launched and watched for a short grace (backgroundGraceMs, default 2 s, at most
//   startTimeoutMs): exiting non-zero (or by a signal) within the grace fails the start;
//   exiting 0 within it (a script that daemonised) or still running after it is success. From
//   then on the monitors judge it; its eventual exit is reported through onBackgroundExit
//   and, with no monitors, makes monitor() say failed (non-zero) or leaves it running (0).
//   Its output goes to a file (backgroundOutput), never to a pipe: the application must
//   outlive this process, and a pipe would hand it SIGPIPE when Haven restarts.
//
// stop
// - Idempotent: skipped (the stop command is not run) when the agent did not start the
//   application itself (or has already stopped it), nothing is left of the process groups
//   its starts launched, and the monitors (if any) see nothing running. With no monitors and
//   a fresh agent (Haven restarted while the application ran) the state is unknown, and the
//   stop command runs: stopping twice is safer than leaving it running on the old node.
// - The stop command runs within stopTimeoutMs. Then whatever is left of the process groups
//   the starts launched gets SIGTERM, and SIGKILL after killGraceMs: right away if the stop
//   command failed or overran, after waiting killGraceMs for them to exit if it succeeded.
//   Stop succeeds when nothing is left and the monitors see nothing running; it fails with an
//   AgentError naming what survived (processes outside those groups, a monitor still
//   healthy), or when the stop command failed and there is neither a process group nor a
//   monitor to show that the application is down. Aborting the stop (ctx.signal) kills the
//   stop command and fails the stop, without the escalation.
// - The process groups are known only to this agent object: after a Haven restart, only the
//   stop command and the monitors can find the application. A group is forgotten as soon as
//   it is seen empty, so that its number, once reused by the kernel, is never signalled.
//
// monitor
// - With monitors: all healthy is running. Otherwise failed (with every monitor's reason) if
//   the agent started the application, or if some of it is still there (a monitor healthy, a
//   process monitor seeing too few processes); else stopped.
// - Process monitor: at least `instances` live processes whose /proc/PID/comm is `process`
//   (and whose effective user is `owner`, if set). Custom monitor: the command, exit 0 within
//   its timeout is healthy.
// - With no monitors the agent can only report what it knows: running after its start
//   succeeded (failed if a background start command has since exited non-zero), stopped
//   otherwise. It cannot see a crash; configure a monitor for that.
// Restart counts, intervals and failure actions belong to the monitor loop, not here.
//
// Every command gets an explicit environment: PATH (DEFAULT_PATH unless `env` sets one), the
// caller's `env`, then HAVEN_RESOURCE, HAVEN_GROUP, HAVEN_NODE, HAVEN_OP (start, stop,
// monitor, validate) and, for custom monitors, HAVEN_MONITOR.
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplicationResource, MonitorDef } from '../../core/config/model.js';
import type { ProcessRunner } from '../../core/ports/process.js';
import { ChildProcessRunner } from '../process.js';
import {
  AgentError,
  type AgentCommand,
  type AgentContext,
  type AgentOp,
  type MonitorStatus,
  type ResourceAgent,
} from './agent.js';
import {
  DEFAULT_PATH,
  failureReason,
  formatMs,
  outputTail,
  runForAgent,
  succeeded,
} from './agent-exec.js';
import { commMatches, effectiveUid, groupMembers, readProcTable, uidOf } from './proc-table.js';

export interface ApplicationAgentOptions {
  readonly resource: ApplicationResource;
  /** The resource group and this node, for HAVEN_GROUP and HAVEN_NODE. */
  readonly group: string;
  readonly node: string;
  /** Environment for every command (PATH, LANG...); nothing else is inherited. */
  readonly env?: Readonly<Record<string, string>>;
  /** Must start each command as the leader of a new process group, as ChildProcessRunner does. */
  readonly runner?: ProcessRunner;
  /** Working directory of the commands. Default "/". */
  readonly cwd?: string;
  /** Between SIGTERM and SIGKILL, for commands that overrun and for what stop escalates to. Default 10 s. */
  readonly killGraceMs?: number;
  /** How long a background start command is watched before start returns. Default 2 s. */
  readonly backgroundGraceMs?: number;
  /** Where a background start command's output is appended. Default /dev/null. */
  readonly backgroundOutput?: string;
  /** Called when a background start command ends, after start has returned. */
  readonly onBackgroundExit?: (c: AgentCommand) => void;
  /** Called when a start created a process group (haltCommands changed). */
  readonly onProcessGroup?: () => void;
}

const DEFAULT_KILL_GRACE_MS = 10_000;
const DEFAULT_BACKGROUND_GRACE_MS = 2_000;
// After SIGKILL, how long the members have to disappear (they cannot refuse; this only
// covers the kernel tearing them down).
const AFTER_KILL_MS = 1_000;
// Polling for monitors to turn healthy: start quick, back off, bounded by the wait's budget.
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2_000;
// Polling for process groups to empty.
const GROUP_POLL_MS = 50;
const VALIDATE_TIMEOUT_MS = 5_000;

type Known = 'unknown' | 'started' | 'stopped';
type Exit = { readonly code: number | null; readonly signal: string | null };

interface MonitorCheck {
  readonly name: string;
  readonly healthy: boolean;
  /** Some of the application is there even if unhealthy (a process monitor found a few). */
  readonly partial: boolean;
  readonly detail: string;
}

export class ApplicationAgent implements ResourceAgent {
  readonly kind = 'application' as const;
  readonly resource: string;
  readonly #def: ApplicationResource;
  readonly #group: string;
  readonly #node: string;
  readonly #baseEnv: Readonly<Record<string, string>>;
  readonly #runner: ProcessRunner;
  readonly #cwd: string;
  readonly #killGraceMs: number;
  readonly #backgroundGraceMs: number;
  readonly #backgroundOutput: string;
  readonly #onBackgroundExit: ((c: AgentCommand) => void) | undefined;
  readonly #onProcessGroup: (() => void) | undefined;
  #known: Known = 'unknown';
  /** Process groups the start commands led; what is left in them belongs to the application. */
  readonly #groups = new Set<number>();

  #addGroup(pgid: number): void {
    if (this.#groups.has(pgid)) return;
    this.#groups.add(pgid);
    this.#onProcessGroup?.();
  }

  haltCommands(): readonly string[] {
    return [...this.#groups].map((pgid) => `kill -9 -${String(pgid)} 2>/dev/null`);
  }

  halted(): void {
    this.#stopped();
  }
  #background: { readonly pid: number; exit: Exit | undefined } | undefined;

  constructor(options: ApplicationAgentOptions) {
    this.#def = options.resource;
    this.resource = options.resource.name;
    this.#group = options.group;
    this.#node = options.node;
    this.#baseEnv = options.env ?? {};
    this.#runner = options.runner ?? new ChildProcessRunner();
    this.#cwd = options.cwd ?? '/';
    this.#killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.#backgroundGraceMs = options.backgroundGraceMs ?? DEFAULT_BACKGROUND_GRACE_MS;
    this.#backgroundOutput = options.backgroundOutput ?? '/dev/null';
    this.#onBackgroundExit = options.onBackgroundExit;
    this.#onProcessGroup = options.onProcessGroup;
  }

  async start(ctx?: AgentContext): Promise<void> {
    if ((await this.monitor(ctx)).state === 'running') {
      this.#known = 'started';
      return;
    }
    const begun = performance.now();
    if (this.#def.background) {
      await this.#launch(ctx);
      this.#known = 'started';
      return;
    }
    await this.#runStart(ctx);
    this.#known = 'started';
    if (this.#def.monitors.length > 0) {
      const stabilization = Math.max(...this.#def.monitors.map((m) => m.stabilizationMs));
      const left = this.#def.startTimeoutMs - (performance.now() - begun);
      await this.#awaitHealthy(Math.min(stabilization, left), ctx);
    }
  }

  async stop(ctx?: AgentContext): Promise<void> {
    let live = await this.#liveGroups();
    if (this.#known !== 'started' && live.size === 0) {
      const nothing =
        this.#def.monitors.length === 0
          ? this.#known === 'stopped'
          : (await this.#check(ctx)).every((c) => !c.healthy && !c.partial);
      if (nothing) {
        this.#stopped();
        return;
      }
    }
    const r = await runForAgent(this.#runner, {
      resource: this.resource,
      op: 'stop',
      command: { shell: this.#def.stop },
      env: this.#env('stop'),
      cwd: this.#cwd,
      timeoutMs: this.#def.stopTimeoutMs,
      killGraceMs: this.#killGraceMs,
      ctx,
    });
    if (r.aborted) {
      // Aborting ends what the operation runs (the stop command), not the application.
      throw new AgentError(this.resource, 'stop', 'aborted while the stop command ran');
    }
    const stopOk = succeeded(r);
    const stopFailure = stopOk
      ? undefined
      : failureReason('the stop command', r, this.#def.stopTimeoutMs);
    // A stop script that signals the daemon returns before the daemon has exited.
    if (stopOk && live.size > 0) live = await this.#waitGroupsGone(this.#killGraceMs, ctx);
    else live = await this.#liveGroups();
    const escalated = live.size > 0;
    if (escalated) live = await this.#terminate(live, ctx);

    const left: string[] = [];
    for (const [pgid, pids] of live) {
      left.push(`processes ${pids.join(', ')} of process group ${pgid} survived SIGKILL`);
    }
    if (this.#def.monitors.length > 0) {
      for (const c of await this.#check(ctx)) {
        if (c.healthy || c.partial) left.push(`monitor ${c.name} still sees it: ${c.detail}`);
      }
    } else if (stopFailure !== undefined && !escalated) {
      throw new AgentError(
        this.resource,
        'stop',
        `${stopFailure}; no process the start left behind was found and no monitor is ` +
          'configured, so Haven cannot tell whether the application is down: fix the stop ' +
          'command (it must succeed when the application is already stopped) or add a monitor',
        { exitCode: r.exitCode, timedOut: r.timedOut },
      );
    }
    if (left.length > 0) {
      throw new AgentError(
        this.resource,
        'stop',
        `${stopFailure ?? 'the stop command succeeded'}, but the application is still running: ` +
          `${left.join('; ')}. Make the stop command stop every process of the application ` +
          '(processes that left the process group of the start command, with setsid for ' +
          'instance, are out of reach of Haven\u2019s SIGTERM/SIGKILL).',
        { exitCode: r.exitCode, timedOut: r.timedOut },
      );
    }
    this.#stopped();
  }

  async monitor(ctx?: AgentContext): Promise<MonitorStatus> {
    if (this.#def.monitors.length === 0) return this.#knownStatus();
    const checks = await this.#check(ctx);
    if (checks.every((c) => c.healthy)) return { state: 'running' };
    if (this.#known === 'started' || checks.some((c) => c.healthy || c.partial)) {
      const reason = checks
        .filter((c) => !c.healthy)
        .map((c) => `monitor ${c.name}: ${c.detail}`)
        .join('; ');
      return { state: 'failed', reason };
    }
    return { state: 'stopped' };
  }

  async validate(ctx?: AgentContext): Promise<readonly string[]> {
    const problems: string[] = [];
    const scripts: [string, string | undefined][] = [
      ['start', this.#def.start],
      ['stop', this.#def.stop],
    ];
    for (const m of this.#def.monitors) {
      if (m.type === 'custom') {
        if (m.command === undefined) {
          problems.push(
            `${this.resource}: monitor ${m.name} is a custom monitor without a command: set command`,
          );
        }
        scripts.push([`monitors.${m.name}.command`, m.command]);
      } else if (m.process === undefined) {
        problems.push(
          `${this.resource}: monitor ${m.name} is a process monitor without a process name: set process (as in /proc/PID/comm)`,
        );
      } else if (m.owner !== undefined && (await uidOf(m.owner)) === undefined) {
        problems.push(
          `${this.resource}: monitor ${m.name}: owner ${m.owner} is not a user on this node (/etc/passwd): create the user or fix owner`,
        );
      }
    }
    for (const [field, script] of scripts) {
      if (script === undefined) continue;
      const r = await runForAgent(this.#runner, {
        resource: this.resource,
        op: 'validate',
        command: ['/bin/sh', '-n', '-c', script],
        env: this.#env('validate'),
        cwd: this.#cwd,
        timeoutMs: VALIDATE_TIMEOUT_MS,
        killGraceMs: 1000,
        ctx,
      });
      if (!succeeded(r)) {
        problems.push(
          `${this.resource}: ${field} is not a valid /bin/sh script: ${outputTail(r.stderr) || `sh -n exited with status ${String(r.exitCode)}`}`,
        );
      }
    }
    return problems;
  }

  #stopped(): void {
    this.#known = 'stopped';
    this.#groups.clear();
    this.#background = undefined;
  }

  #knownStatus(): MonitorStatus {
    if (this.#known !== 'started') return { state: 'stopped' };
    const exit = this.#background?.exit;
    if (exit !== undefined && exit.code !== 0) {
      return {
        state: 'failed',
        reason: `the background start command (pid ${String(this.#background?.pid)}) ${describeExit(exit)}`,
      };
    }
    return { state: 'running' };
  }

  #env(op: AgentOp, monitor?: string): Record<string, string> {
    return {
      PATH: DEFAULT_PATH,
      ...this.#baseEnv,
      HAVEN_RESOURCE: this.resource,
      HAVEN_GROUP: this.#group,
      HAVEN_NODE: this.#node,
      HAVEN_OP: op,
      ...(monitor === undefined ? {} : { HAVEN_MONITOR: monitor }),
    };
  }

  async #runStart(ctx: AgentContext | undefined): Promise<void> {
    const r = await runForAgent(this.#runner, {
      resource: this.resource,
      op: 'start',
      command: { shell: this.#def.start },
      env: this.#env('start'),
      cwd: this.#cwd,
      timeoutMs: this.#def.startTimeoutMs,
      killGraceMs: this.#killGraceMs,
      ctx,
    });
    // Even a failed start may have left processes behind; stop must find them.
    if (r.pid > 0) this.#addGroup(r.pid);
    if (!succeeded(r)) {
      throw new AgentError(
        this.resource,
        'start',
        failureReason('the start command', r, this.#def.startTimeoutMs),
        { exitCode: r.exitCode, timedOut: r.timedOut },
      );
    }
  }

  /**
   * Background start. ChildProcessRunner cannot serve here: run() resolves only when the
   * command has ended, and kills its process group at the time limit, while a background
   * start command may be the application itself and must outlive the call. So this spawns it
   * directly, as ChildProcessRunner does (/bin/sh -c, detached: the leader of a new process
   * group and session, explicit environment), with its output going to a file.
   */
  async #launch(ctx: AgentContext | undefined): Promise<void> {
    const signal = ctx?.signal;
    const line = this.#def.start;
    if (signal?.aborted) {
      throw new AgentError(this.resource, 'start', 'aborted before the start command ran');
    }
    const startedAtMs = Date.now();
    const t0 = performance.now();
    const report = (exit: Exit | undefined, stderr: string): AgentCommand => ({
      resource: this.resource,
      op: 'start',
      command: line,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      timedOut: false,
      stdout: '',
      stderr,
      startedAtMs,
      durationMs: performance.now() - t0,
    });
    let out;
    try {
      out = await open(this.#backgroundOutput, 'a');
    } catch (error) {
      throw new AgentError(
        this.resource,
        'start',
        `cannot open ${this.#backgroundOutput} for the output of the background start command: ${messageOf(error)}`,
        { cause: error },
      );
    }
    let child: ChildProcess;
    let ended: Promise<Exit | Error>;
    try {
      // uv_spawn forks synchronously: once spawn() returns the child holds its own copy of
      // the descriptor and ours can be closed.
      child = spawn('/bin/sh', ['-c', line], {
        cwd: this.#cwd,
        env: this.#env('start'),
        detached: true,
        stdio: ['ignore', out.fd, out.fd],
      });
      // Known at once, not after the grace: the dead man switch must be able to kill it.
      if (child.pid !== undefined && child.pid > 0) this.#addGroup(child.pid);
      // Listen before anything is awaited: a command that fails at once may exit (and its
      // 'exit' event be emitted) while out.close() is in progress.
      ended = new Promise<Exit | Error>((resolve) => {
        child.once('error', (error) => {
          if (child.pid === undefined) resolve(error);
        });
        child.once('exit', (code, sig) => {
          resolve({ code, signal: sig });
        });
      });
    } catch (error) {
      ctx?.onCommand?.(report(undefined, messageOf(error)));
      throw new AgentError(this.resource, 'start', `could not run ${line}: ${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      await out.close();
    }
    const graceMs = Math.min(this.#backgroundGraceMs, this.#def.startTimeoutMs);
    const outcome = await firstOf(ended, graceMs, signal);
    if (outcome instanceof Error) {
      ctx?.onCommand?.(report(undefined, outcome.message));
      throw new AgentError(this.resource, 'start', `could not run ${line}: ${outcome.message}`, {
        cause: outcome,
      });
    }
    const pid = child.pid ?? 0;
    if (pid > 0) this.#addGroup(pid);
    if (outcome === 'aborted') {
      ctx?.onCommand?.(report(undefined, 'aborted'));
      await this.#terminate(await this.#liveGroups(), ctx);
      throw new AgentError(
        this.resource,
        'start',
        'aborted while the background start command was starting',
      );
    }
    if (outcome !== 'running') {
      const tail = await this.#outputTail();
      ctx?.onCommand?.(report(outcome, tail));
      if (outcome.code === 0) {
        this.#background = { pid, exit: outcome };
        return;
      }
      throw new AgentError(
        this.resource,
        'start',
        `the background start command ${describeExit(outcome)} within ${formatMs(graceMs)}` +
          (tail ? `; last output: ${outputTail(tail)}` : ''),
        { exitCode: outcome.code },
      );
    }
    ctx?.onCommand?.(report(undefined, ''));
    const background = { pid, exit: undefined as Exit | undefined };
    this.#background = background;
    // The agent must be able to exit while the application runs on.
    child.unref();
    void ended.then(async (late) => {
      if (late instanceof Error) return;
      background.exit = late;
      this.#onBackgroundExit?.(report(late, await this.#outputTail()));
    });
  }

  /** The last 4 KiB of the background output file, if it is one (not /dev/null). */
  async #outputTail(): Promise<string> {
    try {
      const file = await open(this.#backgroundOutput, 'r');
      try {
        const st = await file.stat();
        if (!st.isFile()) return '';
        const size = st.size;
        const length = Math.min(size, 4096);
        const { buffer, bytesRead } = await file.read(
          Buffer.alloc(length),
          0,
          length,
          size - length,
        );
        return buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await file.close();
      }
    } catch {
      return '';
    }
  }

  async #check(ctx: AgentContext | undefined): Promise<MonitorCheck[]> {
    const checks: MonitorCheck[] = [];
    for (const m of this.#def.monitors) {
      checks.push(
        m.type === 'process' ? await this.#checkProcess(m) : await this.#checkCustom(m, ctx),
      );
    }
    return checks;
  }

  async #checkProcess(m: MonitorDef): Promise<MonitorCheck> {
    const name = m.process;
    if (name === undefined) {
      throw new AgentError(
        this.resource,
        'monitor',
        `monitor ${m.name} is a process monitor without a process name: set process`,
      );
    }
    let uid: number | undefined;
    if (m.owner !== undefined) {
      uid = await uidOf(m.owner);
      if (uid === undefined) {
        throw new AgentError(
          this.resource,
          'monitor',
          `monitor ${m.name}: owner ${m.owner} is not a user on this node (/etc/passwd)`,
        );
      }
    }
    let table;
    try {
      table = await readProcTable();
    } catch (error) {
      throw new AgentError(
        this.resource,
        'monitor',
        `cannot read the process table in /proc: ${messageOf(error)}`,
        { cause: error },
      );
    }
    let found = table.filter((p) => commMatches(p.comm, name));
    if (uid !== undefined) {
      const uids = await Promise.all(found.map((p) => effectiveUid(p.pid)));
      found = found.filter((_, i) => uids[i] === uid);
    }
    const count = found.length;
    const what = `process${m.instances === 1 ? '' : 'es'} named ${name}${m.owner === undefined ? '' : ` owned by ${m.owner}`}`;
    let detail: string;
    if (count >= m.instances) detail = `${count} ${what} running`;
    else if (count === 0) detail = `no ${what} running`;
    else detail = `only ${count} of ${m.instances} ${what} running`;
    return { name: m.name, healthy: count >= m.instances, partial: count > 0, detail };
  }

  async #checkCustom(m: MonitorDef, ctx: AgentContext | undefined): Promise<MonitorCheck> {
    if (m.command === undefined) {
      throw new AgentError(
        this.resource,
        'monitor',
        `monitor ${m.name} is a custom monitor without a command: set command`,
      );
    }
    const r = await runForAgent(this.#runner, {
      resource: this.resource,
      op: 'monitor',
      command: { shell: m.command },
      env: this.#env('monitor', m.name),
      cwd: this.#cwd,
      timeoutMs: m.timeoutMs,
      killGraceMs: Math.min(this.#killGraceMs, 1000),
      ctx,
    });
    const healthy = succeeded(r);
    return {
      name: m.name,
      healthy,
      partial: false,
      detail: healthy ? 'healthy' : failureReason('the check command', r, m.timeoutMs),
    };
  }

  /** Polls the monitors until all are healthy or `budgetMs` is spent; never fails the start. */
  async #awaitHealthy(budgetMs: number, ctx: AgentContext | undefined): Promise<void> {
    const until = performance.now() + budgetMs;
    let pause = FIRST_POLL_MS;
    // Bounded: the budget is finite and every round sleeps at least FIRST_POLL_MS.
    for (;;) {
      try {
        if ((await this.#check(ctx)).every((c) => c.healthy)) return;
      } catch {
        return; // the check cannot run; the monitor loop will report it
      }
      const left = until - performance.now();
      if (left <= 0 || ctx?.signal?.aborted === true) return;
      await delay(Math.min(pause, left), ctx?.signal);
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  }

  /** Live members of the recorded process groups; forgets the groups that have emptied. */
  async #liveGroups(): Promise<Map<number, number[]>> {
    if (this.#groups.size === 0) return new Map();
    const members = groupMembers(await readProcTable(), this.#groups);
    // An empty group's number may be reused by an unrelated process: never signal it again.
    for (const g of this.#groups) if (!members.has(g)) this.#groups.delete(g);
    return members;
  }

  async #waitGroupsGone(ms: number, ctx: AgentContext | undefined): Promise<Map<number, number[]>> {
    const until = performance.now() + ms;
    let live = await this.#liveGroups();
    while (live.size > 0 && performance.now() < until && ctx?.signal?.aborted !== true) {
      await delay(GROUP_POLL_MS, ctx?.signal);
      live = await this.#liveGroups();
    }
    return live;
  }

  /** SIGTERM, killGraceMs, SIGKILL: to every group given. Resolves with what survived. */
  async #terminate(
    groups: Map<number, number[]>,
    ctx: AgentContext | undefined,
  ): Promise<Map<number, number[]>> {
    for (const pgid of groups.keys()) this.#signalGroup(pgid, 'SIGTERM', ctx);
    let live = await this.#waitGroupsGone(this.#killGraceMs, ctx);
    if (live.size === 0) return live;
    for (const pgid of live.keys()) this.#signalGroup(pgid, 'SIGKILL', ctx);
    // Not abortable: after SIGKILL only the kernel's teardown is left to wait for.
    live = await this.#waitGroupsGone(AFTER_KILL_MS, undefined);
    return live;
  }

  #signalGroup(pgid: number, sig: 'SIGTERM' | 'SIGKILL', ctx: AgentContext | undefined): void {
    const startedAtMs = Date.now();
    let error = '';
    try {
      process.kill(-pgid, sig);
    } catch (e) {
      error = messageOf(e);
    }
    ctx?.onCommand?.({
      resource: this.resource,
      op: 'stop',
      command: `kill -${sig.slice(3)} -${pgid}`,
      exitCode: error ? 1 : 0,
      signal: null,
      timedOut: false,
      stdout: '',
      stderr: error,
      startedAtMs,
      durationMs: 0,
    });
  }
}

function describeExit(exit: Exit): string {
  return exit.code === null
    ? `was killed by ${exit.signal ?? 'a signal'}`
    : `exited with status ${exit.code}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
async function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch {
    // aborted: the caller looks at the signal
  }
}

/** Whichever comes first: `p`, `ms` elapsing ('running'), or the signal aborting. */
function firstOf<T>(
  p: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | 'running' | 'aborted'> {
  if (signal?.aborted === true) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const onAbort = (): void => {
      finish('aborted');
    };
    const timer = setTimeout(() => {
      finish('running');
    }, ms);
    const finish = (v: T | 'running' | 'aborted'): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    void p.then(finish);
  });
}
