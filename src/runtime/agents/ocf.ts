// OCF resource agents (the Open Cluster Framework resource agent API), run unmodified: the
// hundreds of agents in Debian's resource-agents package (IPaddr2, Filesystem, apache...) and
// any other provider's, as Pacemaker would run them:
//
//   $OCF_ROOT/resource.d/<provider>/<type> <action>
//
// with the resource's parameters as OCF_RESKEY_<name>, its identity as OCF_RESOURCE_INSTANCE /
// _TYPE / _PROVIDER, the action's time limit as OCF_RESKEY_CRM_meta_timeout (ms), and
// HA_RSCTMP (where agents keep state files and pid files) pointing at Haven's own directory.
// The agent answers with an exit status from ocf-returncodes (0 success ... 9 failed master),
// and states why it failed on stderr lines prefixed "ocf-exit-reason:" (ocf_exit_reason in
// ocf-shellfuncs); both go into the AgentError.

import { access, constants, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPath } from '../../core/config/diagnostic.js';
import type { OcfResource } from '../../core/config/model.js';
import { closest } from '../../core/config/suggest.js';
import { HavenError } from '../../core/errors.js';
import type { ProcessResult, ProcessRunner } from '../../core/ports/process.js';
import { shellQuote } from '../shell-quote.js';
import { ChildProcessRunner } from '../process.js';
import type { AgentContext, AgentOp, MonitorStatus, ResourceAgent } from './agent.js';
import { AgentError, haltTimeout } from './agent.js';
import { checkOcfParams, OcfMetadataError, parseOcfMetadata } from './ocf-metadata.js';
import type { OcfMetadata } from './ocf-metadata.js';
import { runForAgent } from './agent-exec.js';

/** Where Debian (and most distributions) install OCF agents and their shell library. */
export const DEFAULT_OCF_ROOT = '/usr/lib/ocf';
/**
 * HA_RSCTMP for the agents Haven runs: their state and pid files. On /run (a tmpfs) because
 * the OCF API requires this directory to be emptied at boot: a state file surviving a reboot
 * would make Dummy-like agents report a resource running that is not.
 */
export const DEFAULT_OCF_STATE_DIR = '/run/haven/ocf';
/** PATH of an agent: the agents call ip, mount, fuser... by name and expect the sbin dirs. */
export const AGENT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface OcfAgentOptions {
  /** Runs the agent. @default new ChildProcessRunner() */
  readonly runner?: ProcessRunner;
  /** OCF_ROOT: agents are `<ocfRoot>/resource.d/<provider>/<type>`. @default DEFAULT_OCF_ROOT */
  readonly ocfRoot?: string;
  /** HA_RSCTMP, created if missing. @default DEFAULT_OCF_STATE_DIR */
  readonly stateDir?: string;
  /**
   * Words run before the agent, which they must exec with the same environment, e.g.
   * ['ip', 'netns', 'exec', 'blue'] to act inside a network namespace. @default []
   */
  readonly commandPrefix?: readonly string[];
  /** PATH of the agent. @default AGENT_PATH */
  readonly path?: string;
  /** After a time limit's SIGTERM, how long the agent has before SIGKILL. @default 5000 */
  readonly killGraceMs?: number;
  /** Time limit of the `meta-data` action (the agents advise 5 s). @default 10000 */
  readonly metaDataTimeoutMs?: number;
  /**
   * Whether validate() also runs the agent's own `validate-all` action (when its meta-data
   * lists one and the parameters passed Haven's checks), with the start time limit.
   * @default true
   */
  readonly validateAll?: boolean;
}

// Per stream. Meta-data of the largest agents is some 40 KiB.
const MAX_OUTPUT_BYTES = 256 * 1024;
const EXIT_REASON_PREFIX = 'ocf-exit-reason:';
// Parameter names that probably hold a secret: shown as *** in the command line of the trace.
const SECRET_RE = /pass|secret|token|credential|private|key/i;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The exit statuses of ocf-returncodes: name, and what it means for an operator. */
const OCF_RC: Readonly<Record<number, readonly [name: string, meaning: string]>> = {
  0: ['OCF_SUCCESS', 'success'],
  1: ['OCF_ERR_GENERIC', 'the agent reports an error'],
  2: ['OCF_ERR_ARGS', 'the agent rejects its parameters; check the params'],
  3: ['OCF_ERR_UNIMPLEMENTED', 'the agent does not implement this action'],
  4: ['OCF_ERR_PERM', 'the agent lacks a permission it needs; Haven must run as root'],
  5: [
    'OCF_ERR_INSTALLED',
    'something the agent needs is not installed on this node; install it, or keep the resource off this node',
  ],
  6: ['OCF_ERR_CONFIGURED', 'the resource is misconfigured; check the params'],
  7: ['OCF_NOT_RUNNING', 'the resource is not running'],
  8: ['OCF_RUNNING_MASTER', 'the resource is running in the promoted role'],
  9: ['OCF_FAILED_MASTER', 'the resource failed in the promoted role'],
};

type OcfAction = 'start' | 'stop' | 'monitor' | 'meta-data' | 'validate-all';

/** An OCF agent run for one resource (see the file comment). */
export class OcfAgent implements ResourceAgent {
  readonly resource: string;
  readonly kind = 'ocf' as const;
  readonly #def: OcfResource;
  readonly #runner: ProcessRunner;
  readonly #ocfRoot: string;
  readonly #stateDir: string;
  readonly #prefix: readonly string[];
  readonly #path: string;
  readonly #killGraceMs: number;
  readonly #metaDataTimeoutMs: number;
  readonly #validateAll: boolean;
  /** provider:type, as configured and as operators know it. */
  readonly #agentName: string;
  readonly #agentPath: string;

  constructor(def: OcfResource, options: OcfAgentOptions = {}) {
    this.resource = def.name;
    this.#def = def;
    this.#runner = options.runner ?? new ChildProcessRunner();
    this.#ocfRoot = options.ocfRoot ?? DEFAULT_OCF_ROOT;
    this.#stateDir = options.stateDir ?? DEFAULT_OCF_STATE_DIR;
    this.#prefix = options.commandPrefix ?? [];
    this.#path = options.path ?? AGENT_PATH;
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#metaDataTimeoutMs = options.metaDataTimeoutMs ?? 10_000;
    this.#validateAll = options.validateAll ?? true;
    this.#agentName = `${def.provider}:${def.type}`;
    this.#agentPath = join(this.#ocfRoot, 'resource.d', def.provider, def.type);
  }

  async start(ctx: AgentContext = {}): Promise<void> {
    const r = await this.#run('start', 'start', this.#def.timeoutsMs.start, ctx);
    if (r.exitCode !== 0) throw this.#failure('start', 'start', r, this.#def.timeoutsMs.start);
  }

  async stop(ctx: AgentContext = {}): Promise<void> {
    const r = await this.#run('stop', 'stop', this.#def.timeoutsMs.stop, ctx);
    // The API requires stop of a stopped resource to succeed (0), and the agents do; some
    // answer "not running" (7) instead, which is the state stop was asked for all the same.
    if (r.exitCode === 0 || r.exitCode === 7) return;
    throw this.#failure('stop', 'stop', r, this.#def.timeoutsMs.stop);
  }

  /**
   * The agent's own `stop`, with exactly the environment stop() gives it (`env -i`: nothing
   * of the dead man switch's own), bounded by the stop time limit, then SIGKILL after the
   * kill grace. The OCF API makes stop of a stopped resource succeed, so it is harmless
   * when the resource is not running. Parameter values (secrets too) are written into the
   * halt script, which only root can read, as they are in the configuration.
   */
  haltCommands(): readonly string[] {
    const limit = this.#def.timeoutsMs.stop;
    let env: Record<string, string>;
    try {
      env = this.#env('stop', limit, 'stop');
    } catch (error) {
      // A parameter name that cannot be a variable: no action of this agent could ever run.
      if (error instanceof AgentError) return [];
      throw error;
    }
    const argv = [
      'env',
      '-i',
      ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
      ...this.#prefix,
      this.#agentPath,
      'stop',
    ];
    const bound = haltTimeout(limit, this.#killGraceMs);
    return [`${bound} ${argv.map(shellQuote).join(' ')} >/dev/null 2>&1`];
  }

  async monitor(ctx: AgentContext = {}): Promise<MonitorStatus> {
    const r = await this.#run('monitor', 'monitor', this.#def.timeoutsMs.monitor, ctx);
    switch (r.exitCode) {
      case 0:
      case 8: // running, promoted: Haven does not promote, but it is running.
        return { state: 'running' };
      case 7:
        return { state: 'stopped' };
      case null:
        // Timed out, aborted or killed: the agent could not tell.
        throw this.#failure('monitor', 'monitor', r, this.#def.timeoutsMs.monitor);
      default:
        return {
          state: 'failed',
          reason: this.#explain(r, 'monitor', this.#def.timeoutsMs.monitor),
        };
    }
  }

  async validate(ctx: AgentContext = {}): Promise<readonly string[]> {
    const label = `OCF resource ${this.resource} (${this.#agentName})`;
    const missing = await this.#notInstalled();
    if (missing !== undefined) {
      return [`${label}: ${formatPath([...this.#def.at, 'agent'])}: ${missing}`];
    }
    let meta: OcfMetadata;
    try {
      const r = await this.#run('meta-data', 'validate', this.#metaDataTimeoutMs, ctx);
      if (r.exitCode !== 0) {
        return [
          `${label}: cannot read the agent's meta-data: ${this.#explain(r, 'meta-data', this.#metaDataTimeoutMs)}`,
        ];
      }
      meta = parseOcfMetadata(r.stdout);
    } catch (error) {
      if (error instanceof AgentError || error instanceof OcfMetadataError) {
        return [`${label}: cannot read the agent's meta-data: ${reasonOf(error)}`];
      }
      throw error;
    }
    const problems = checkOcfParams(meta, {
      label,
      paramsPath: formatPath([...this.#def.at, 'params']),
      params: this.#def.params,
    });
    // The agent's own check knows more (a device exists, a directory is writable) but says
    // it less precisely; it is worth asking only once the parameters themselves are right.
    if (
      problems.length === 0 &&
      this.#validateAll &&
      meta.actions.some((a) => a.name === 'validate-all')
    ) {
      try {
        const limit = this.#def.timeoutsMs.start;
        const r = await this.#run('validate-all', 'validate', limit, ctx);
        // 3: the agent lists the action but does not implement it; nothing to report.
        if (r.exitCode !== 0 && r.exitCode !== 3) {
          problems.push(
            `${label}: the agent's own check (validate-all) fails: ${this.#explain(r, 'validate-all', limit)}`,
          );
        }
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        problems.push(`${label}: the agent's own check (validate-all) fails: ${reasonOf(error)}`);
      }
    }
    return problems;
  }

  /** Runs one action to completion; rejects (AgentError) only when it could not be run. */
  async #run(
    action: OcfAction,
    op: AgentOp,
    timeoutMs: number,
    ctx: AgentContext,
  ): Promise<ProcessResult> {
    const missing = await this.#notInstalled();
    if (missing !== undefined) throw new AgentError(this.resource, op, missing);
    try {
      await mkdir(this.#stateDir, { recursive: true, mode: 0o755 });
    } catch (error) {
      throw new AgentError(
        this.resource,
        op,
        `cannot create the agents' state directory ${this.#stateDir} (HA_RSCTMP): ${reasonOf(error)}`,
        { cause: error },
      );
    }
    const argv = [...this.#prefix, this.#agentPath, action] as const;
    const [program, ...args] = argv;
    return runForAgent(this.#runner, {
      resource: this.resource,
      op,
      command: [program, ...args],
      env: this.#env(action, timeoutMs, op),
      timeoutMs,
      killGraceMs: this.#killGraceMs,
      ctx,
      display: this.#commandLine(argv),
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
  }

  #env(action: OcfAction, timeoutMs: number, op: AgentOp): Record<string, string> {
    const env: Record<string, string> = {
      PATH: this.#path,
      OCF_ROOT: this.#ocfRoot,
      // The API version Haven speaks: 1.0. (1.1 only renames master/slave roles, which Haven
      // does not drive; an agent seeing 1.1 may print meta-data Haven reads the same way.)
      OCF_RA_VERSION_MAJOR: '1',
      OCF_RA_VERSION_MINOR: '0',
      OCF_RESOURCE_INSTANCE: this.resource,
      OCF_RESOURCE_TYPE: this.#def.type,
      OCF_RESOURCE_PROVIDER: this.#def.provider,
      OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
      // A recurring monitor has its interval here; 0 marks a one-off call (ocf_is_probe).
      OCF_RESKEY_CRM_meta_interval:
        action === 'monitor' ? String(this.#def.monitorIntervalMs) : '0',
      HA_RSCTMP: this.#stateDir,
    };
    // No HA_LOGFACILITY or HA_LOGFILE: ocf_log then writes to stderr, which the trace keeps.
    for (const [name, value] of Object.entries(this.#def.params)) {
      if (!ENV_NAME_RE.test(name)) {
        throw new AgentError(
          this.resource,
          op,
          `${formatPath([...this.#def.at, 'params', name])}: not a valid parameter name (it becomes the environment variable OCF_RESKEY_${name}); use letters, digits and _`,
        );
      }
      env[`OCF_RESKEY_${name}`] = value;
    }
    return env;
  }

  /** The command as a person would type it: identity and parameters, then the argv. */
  #commandLine(argv: readonly string[]): string {
    const assignments = [
      `OCF_RESOURCE_INSTANCE=${shellQuote(this.resource)}`,
      ...Object.entries(this.#def.params).map(
        ([k, v]) => `OCF_RESKEY_${k}=${SECRET_RE.test(k) ? '***' : shellQuote(v)}`,
      ),
    ];
    return [...assignments, ...argv.map(shellQuote)].join(' ');
  }

  /** Why the agent cannot be run at all (missing, not executable), or undefined. */
  async #notInstalled(): Promise<string | undefined> {
    try {
      await access(this.#agentPath, constants.X_OK);
      return undefined;
    } catch {
      // Explained below, with what is there instead.
    }
    const isFile = await stat(this.#agentPath).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) {
      return `the OCF agent ${this.#agentPath} is not executable; chmod +x it`;
    }
    const providerDir = join(this.#ocfRoot, 'resource.d', this.#def.provider);
    const types = await readdir(providerDir).catch(() => undefined);
    const pkg =
      this.#def.provider === 'heartbeat'
        ? "; the heartbeat agents come from Debian's resource-agents package (apt-get install resource-agents)"
        : '; install the package that provides it';
    if (types === undefined) {
      const providers = await readdir(join(this.#ocfRoot, 'resource.d')).catch(() => []);
      const guess = closest(this.#def.provider, providers);
      return (
        `no OCF provider "${this.#def.provider}" on this node (${providerDir} does not exist)` +
        (guess === undefined
          ? providers.length === 0
            ? `; no OCF agents are installed under ${this.#ocfRoot}`
            : `; providers here: ${providers.join(', ')}`
          : `; did you mean "${guess}:${this.#def.type}"?`) +
        pkg
      );
    }
    const guess = closest(this.#def.type, types);
    return (
      `the OCF agent ${this.#agentName} is not installed on this node (${this.#agentPath} does not exist)` +
      (guess === undefined ? '' : `; did you mean "${this.#def.provider}:${guess}"?`) +
      pkg
    );
  }

  #failure(op: AgentOp, action: OcfAction, r: ProcessResult, timeoutMs: number): AgentError {
    return new AgentError(this.resource, op, this.#explain(r, action, timeoutMs), {
      exitCode: r.exitCode,
      timedOut: r.timedOut,
    });
  }

  /** One sentence on how a run ended, for an AgentError or a failed monitor. */
  #explain(r: ProcessResult, action: OcfAction, timeoutMs: number): string {
    const tail = stderrTail(r.stderr);
    const last = tail === '' ? '' : `; the agent's last output: ${tail}`;
    if (r.timedOut) {
      const knob =
        action === 'start' || action === 'stop' || action === 'monitor'
          ? `; if it needs longer, raise ${formatPath([...this.#def.at, 'timeouts', action])}`
          : '';
      return `${this.#agentName} ${action} did not finish within ${timeoutMs} ms and was killed with its process group${knob}${last}`;
    }
    if (r.aborted) return `${this.#agentName} ${action} was aborted and killed${last}`;
    if (r.exitCode === null) {
      return `${this.#agentName} ${action} was killed by ${r.signal ?? 'a signal'}${last}`;
    }
    const reasons = exitReasons(r.stderr);
    const known = OCF_RC[r.exitCode];
    if (known === undefined) {
      return `${this.#agentName} ${action} exited with status ${r.exitCode}, which is not an OCF return code (0-9)${reasons === '' ? '' : `: ${reasons}`}${last}`;
    }
    const [name, meaning] = known;
    return reasons === ''
      ? `${name} (${r.exitCode}): ${meaning} (${this.#agentName} ${action})${last}`
      : `${name} (${r.exitCode}): ${reasons} (${this.#agentName} ${action}; ${meaning})${last}`;
  }
}

/** What the agent gave as its reason (ocf_exit_reason), joined; "" if none. */
function exitReasons(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(EXIT_REASON_PREFIX))
    .map((l) => l.slice(EXIT_REASON_PREFIX.length).trim())
    .filter((l) => l !== '')
    .join('; ');
}

/** The last few lines of stderr other than exit reasons, on one line, bounded. */
function stderrTail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith(EXIT_REASON_PREFIX));
  const tail = lines.slice(-3).join(' | ');
  return tail.length > 400 ? `...${tail.slice(-400)}` : tail;
}

function reasonOf(error: unknown): string {
  if (error instanceof AgentError) return error.details.reason;
  if (error instanceof HavenError || error instanceof Error) return error.message;
  return String(error);
}
