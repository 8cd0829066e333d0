// systemd units as resources: `systemctl start|stop <unit>` under the resource's time limit,
// `systemctl is-active <unit>` to monitor. systemd itself makes start and stop idempotent;
// what Haven adds is checking the state they leave (a unit can "start" and die at once),
// clearing a failed state on stop (so a stopped resource reads stopped, not failed), and
// reasons an operator can act on.
//
// A unit Haven manages should be disabled (systemctl disable): an enabled unit starts at boot
// on every node at once, whatever the cluster decides. validate() reports it.

import { formatPath } from '../../core/config/diagnostic.js';
import type { SystemdResource } from '../../core/config/model.js';
import { closest } from '../../core/config/suggest.js';
import type { ProcessResult, ProcessRunner } from '../../core/ports/process.js';
import { shellQuote } from '../shell-quote.js';
import { ChildProcessRunner } from '../process.js';
import type { AgentContext, AgentOp, MonitorStatus, ResourceAgent } from './agent.js';
import { AgentError, haltTimeout } from './agent.js';
import { runForAgent } from './agent-exec.js';

/** PATH for systemctl; also where the default `systemctl` is looked up. */
export const SYSTEMCTL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SystemdAgentOptions {
  /** Runs systemctl. @default new ChildProcessRunner() */
  readonly runner?: ProcessRunner;
  /** The systemctl program: a path, or a name looked up on `path`. @default 'systemctl' */
  readonly systemctl?: string;
  /** PATH of systemctl. @default SYSTEMCTL_PATH */
  readonly path?: string;
  /** After a time limit's SIGTERM, how long systemctl has before SIGKILL. @default 5000 */
  readonly killGraceMs?: number;
  /**
   * Time limit of the questions asked of systemd (is-active, show, reset-failed,
   * list-unit-files): they answer from its memory and are quick unless systemd is stuck.
   * @default 10000
   */
  readonly queryTimeoutMs?: number;
}

/** A finished systemctl run, with how it was called (for the reasons). */
interface Ran extends ProcessResult {
  readonly command: string;
  readonly timeoutMs: number;
}
// The ActiveState values (systemd.unit(5), "ActiveState") in which the service is up.
const UP = new Set(['active', 'reloading', 'refreshing']);

/** A systemd unit run for one resource (see the file comment). */
export class SystemdAgent implements ResourceAgent {
  readonly resource: string;
  readonly kind = 'systemd' as const;
  readonly #def: SystemdResource;
  readonly #runner: ProcessRunner;
  readonly #systemctl: string;
  readonly #path: string;
  readonly #killGraceMs: number;
  readonly #queryTimeoutMs: number;

  constructor(def: SystemdResource, options: SystemdAgentOptions = {}) {
    this.resource = def.name;
    this.#def = def;
    this.#runner = options.runner ?? new ChildProcessRunner();
    this.#systemctl = options.systemctl ?? 'systemctl';
    this.#path = options.path ?? SYSTEMCTL_PATH;
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  }

  async start(ctx: AgentContext = {}): Promise<void> {
    const unit = this.#def.unit;
    // Blocks until systemd's start job is done: for Type=notify or forking units that is
    // "ready", for Type=simple merely "forked". Starting an active unit is a no-op.
    const r = await this.#run('start', ['start', '--', unit], this.#def.timeoutMs, ctx);
    if (r.timedOut) {
      throw this.#failure(
        'start',
        r,
        `; systemd may still be running the start job (systemctl list-jobs); if the unit needs longer, raise ${this.#timeoutField()}`,
      );
    }
    if (r.exitCode !== 0) throw this.#failure('start', r, this.#seeStatus());
    const state = await this.#activeState('start', ctx);
    if (UP.has(state) || state === 'activating') return;
    const why = await this.#details('start', ctx);
    throw new AgentError(
      this.resource,
      'start',
      `systemctl start succeeded but ${unit} is ${state} right after${why}; it exited at once (a Type=oneshot unit needs RemainAfterExit=yes to stay active)${this.#seeStatus()}`,
    );
  }

  async stop(ctx: AgentContext = {}): Promise<void> {
    const unit = this.#def.unit;
    const r = await this.#run('stop', ['stop', '--', unit], this.#def.timeoutMs, ctx);
    if (r.timedOut) {
      throw this.#failure(
        'stop',
        r,
        `; systemd may still be stopping it; if the unit needs longer, raise ${this.#timeoutField()}`,
      );
    }
    if (r.exitCode !== 0) {
      // A unit systemd does not know (not loaded: no unit file) cannot be running: that is
      // the state stop was asked for.
      if (/\bnot (loaded|found)\b/.test(r.stderr)) return;
      throw this.#failure('stop', r, this.#seeStatus());
    }
    const state = await this.#activeState('stop', ctx);
    if (state === 'failed') {
      // Stopping leaves a failed unit failed; Haven's monitor would then keep saying so about
      // a resource it has just stopped. The journal keeps the failure.
      const reset = await this.#run(
        'stop',
        ['reset-failed', '--', unit],
        this.#queryTimeoutMs,
        ctx,
      );
      if (reset.exitCode !== 0) throw this.#failure('stop', reset, this.#seeStatus());
      return;
    }
    if (state !== 'inactive') {
      throw new AgentError(
        this.resource,
        'stop',
        `systemctl stop succeeded but ${unit} is ${state} right after; something started it again (a socket, a timer, a unit that Wants= it?)${this.#seeStatus()}`,
      );
    }
  }

  /**
   * `systemctl stop`, as stop() runs it (same program, PATH and locale), bounded by the
   * resource's time limit. Stop, not kill: systemd would restart a killed unit that has
   * Restart= set, and stop also ends what the unit started outside its main process. If
   * the limit kills systemctl, systemd goes on with the stop job by itself. A stopped unit
   * stays stopped, so it is harmless when the unit is not running.
   */
  haltCommands(): readonly string[] {
    const argv = [
      'env',
      '-i',
      `PATH=${this.#path}`,
      'LC_ALL=C',
      'SYSTEMD_COLORS=0',
      this.#systemctl,
      '--no-pager',
      '--no-ask-password',
      'stop',
      '--',
      this.#def.unit,
    ];
    const bound = haltTimeout(this.#def.timeoutMs, this.#killGraceMs);
    return [`${bound} ${argv.map(shellQuote).join(' ')} >/dev/null 2>&1`];
  }

  async monitor(ctx: AgentContext = {}): Promise<MonitorStatus> {
    const state = await this.#activeState('monitor', ctx);
    if (UP.has(state)) return { state: 'running' };
    switch (state) {
      case 'inactive':
        // Also what systemd says of a unit it does not know.
        return { state: 'stopped' };
      case 'failed':
        return {
          state: 'failed',
          reason: `systemd reports ${this.#def.unit} failed${await this.#details('monitor', ctx)}${this.#seeStatus()}`,
        };
      case 'activating': {
        // Starting (someone else's start job) counts as running: calling it failed would have
        // Haven fight systemd over it. A unit waiting to be restarted after a crash is not.
        const props = await this.#show('monitor', ['SubState', 'Result'], ctx);
        if (props.get('SubState') !== 'auto-restart') return { state: 'running' };
        return {
          state: 'failed',
          reason: `${this.#def.unit} crashed and systemd is about to restart it (SubState=auto-restart, Result=${props.get('Result') ?? '?'}); its Restart= setting competes with Haven's recovery${this.#seeStatus()}`,
        };
      }
      case 'deactivating':
        return {
          state: 'failed',
          reason: `${this.#def.unit} is being stopped (deactivating), not by Haven${this.#seeStatus()}`,
        };
      default:
        return {
          state: 'failed',
          reason: `${this.#def.unit} is in the state "${state}", which Haven does not expect${this.#seeStatus()}`,
        };
    }
  }

  async validate(ctx: AgentContext = {}): Promise<readonly string[]> {
    const unit = this.#def.unit;
    const where = `systemd unit ${this.resource} (${unit}): ${formatPath([...this.#def.at, 'unit'])}`;
    let props: Map<string, string>;
    try {
      props = await this.#show('validate', ['LoadState', 'UnitFileState'], ctx);
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      return [`${where}: cannot ask systemd about the unit: ${error.details.reason}`];
    }
    const load = props.get('LoadState');
    switch (load) {
      case 'loaded':
        break;
      case 'not-found':
        return [`${where}: systemd has no unit ${unit} on this node${await this.#guess(ctx)}`];
      case 'masked':
        return [`${where}: ${unit} is masked, so it cannot start; systemctl unmask ${unit}`];
      default:
        return [
          `${where}: systemd cannot load ${unit} (LoadState=${load ?? 'unknown'})${this.#seeStatus()}`,
        ];
    }
    const fileState = props.get('UnitFileState') ?? '';
    if (fileState === 'enabled' || fileState === 'enabled-runtime') {
      return [
        `${where}: ${unit} is ${fileState}, so systemd starts it at boot on every node whatever the cluster decides; systemctl disable ${unit}`,
      ];
    }
    return [];
  }

  /** The unit's ActiveState, from is-active; rejects if systemd cannot be asked. */
  async #activeState(op: AgentOp, ctx: AgentContext): Promise<string> {
    const r = await this.#run(op, ['is-active', '--', this.#def.unit], this.#queryTimeoutMs, ctx);
    // is-active exits 0 only for "active" but prints the state whatever it is; no output means
    // the question itself failed (systemd not running, no permission).
    const state = r.stdout.trim().split('\n')[0]?.trim() ?? '';
    if (r.exitCode === null || state === '') {
      throw this.#failure(op, r, '');
    }
    return state;
  }

  /** Properties of the unit, from `systemctl show`. */
  async #show(op: AgentOp, names: readonly string[], ctx: AgentContext) {
    const r = await this.#run(
      op,
      ['show', `--property=${names.join(',')}`, '--', this.#def.unit],
      this.#queryTimeoutMs,
      ctx,
    );
    if (r.exitCode !== 0) throw this.#failure(op, r, '');
    const props = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
    return props;
  }

  /** " (Result=exit-code, SubState=failed)": why systemd thinks it failed; "" if unknown. */
  async #details(op: AgentOp, ctx: AgentContext): Promise<string> {
    try {
      const p = await this.#show(op, ['Result', 'SubState', 'ExecMainStatus'], ctx);
      const parts = ['Result', 'SubState', 'ExecMainStatus'].flatMap((k) => {
        const v = p.get(k);
        return v === undefined || v === '' ? [] : [`${k}=${v}`];
      });
      return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
    } catch {
      // The failure itself is the news; the details are a bonus.
      return '';
    }
  }

  async #guess(ctx: AgentContext): Promise<string> {
    const r = await this.#run(
      'validate',
      ['list-unit-files', '--no-legend', '--plain'],
      this.#queryTimeoutMs,
      ctx,
    ).catch(() => undefined);
    if (r?.exitCode !== 0) return '';
    const units = r.stdout.split('\n').flatMap((l) => l.trim().split(/\s+/).slice(0, 1));
    const guess = closest(
      this.#def.unit,
      units.filter((u) => u !== ''),
    );
    return guess === undefined
      ? '; install it, or check the unit name (systemctl list-unit-files)'
      : `; did you mean "${guess}"?`;
  }

  async #run(
    op: AgentOp,
    args: readonly string[],
    timeoutMs: number,
    ctx: AgentContext,
  ): Promise<Ran> {
    // --no-ask-password: a polkit prompt would wait for a person until the time limit.
    const argv = [this.#systemctl, '--no-pager', '--no-ask-password', ...args] as const;
    const command = [this.#systemctl, ...args].map(shellQuote).join(' ');
    const r = await runForAgent(this.#runner, {
      resource: this.resource,
      op,
      command: argv,
      // LC_ALL=C: the states and properties are parsed, and must not be translated.
      env: { PATH: this.#path, LC_ALL: 'C', SYSTEMD_COLORS: '0' },
      timeoutMs,
      killGraceMs: this.#killGraceMs,
      ctx,
      display: command,
    });
    return { ...r, command, timeoutMs };
  }

  #failure(op: AgentOp, r: Ran, hint: string): AgentError {
    const { command } = r;
    const said = lastLines(r.stderr);
    const output = said === '' ? '' : `: ${said}`;
    const how = r.timedOut
      ? `${command} did not finish within ${r.timeoutMs} ms and was killed`
      : r.aborted
        ? `${command} was aborted and killed`
        : r.exitCode === null
          ? `${command} was killed by ${r.signal ?? 'a signal'}`
          : r.exitCode === 0
            ? `${command} gave no answer`
            : `${command} exited with status ${r.exitCode}`;
    return new AgentError(this.resource, op, `${how}${output}${hint}`, {
      exitCode: r.exitCode,
      timedOut: r.timedOut,
    });
  }

  #seeStatus(): string {
    return `; see systemctl status ${this.#def.unit} and journalctl -u ${this.#def.unit}`;
  }

  #timeoutField(): string {
    return formatPath([...this.#def.at, 'timeout']);
  }
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const tail = lines.slice(-3).join(' | ');
  return tail.length > 400 ? `...${tail.slice(-400)}` : tail;
}
