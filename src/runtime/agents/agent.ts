// Resource agents: what brings one resource (a service IP, a file system, an application, an
// OCF agent, a systemd unit) online and offline on this node, and tells whether it is healthy.
// Every agent keeps the same contract (contract.test-helper.ts checks it for each kind):
//
// - start and stop are idempotent: starting a started resource, or stopping a stopped one,
//   succeeds and changes nothing;
// - every operation has a time limit (from the configuration) and ends by itself: a command
//   that overruns is killed with its whole process group and the operation fails;
// - a failure is an AgentError naming the resource, the operation and why (exit status, the
//   last lines of output, or the timeout), never an unexplained rejection;
// - monitor answers running, stopped, or failed with a reason; it never changes anything;
// - every command the agent runs is reported through `onCommand` (the event trace shows it).

import { HavenError } from '../../core/errors.js';
import type { ResourceKind } from '../../core/config/model.js';

export type AgentOp = 'start' | 'stop' | 'monitor' | 'validate';

/** What monitor found. `failed` is a resource that is there but broken (OCF rc 1, 6...). */
export type MonitorStatus =
  | { readonly state: 'running' }
  | { readonly state: 'stopped' }
  | { readonly state: 'failed'; readonly reason: string };

/** One command an agent ran, for the event trace. */
export interface AgentCommand {
  readonly resource: string;
  readonly op: AgentOp;
  /** The command line as a person would type it. */
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly startedAtMs: number;
  readonly durationMs: number;
}

export interface AgentContext {
  /** Called once for every command an agent ran, whatever its outcome. */
  readonly onCommand?: (c: AgentCommand) => void;
  /** Aborting stops what the operation is running (its process group is killed). */
  readonly signal?: AbortSignal;
}

export interface ResourceAgent {
  readonly resource: string;
  readonly kind: ResourceKind;
  /** Brings the resource online; resolves once it is (idempotent). Rejects with AgentError. */
  start(ctx?: AgentContext): Promise<void>;
  /** Takes the resource offline; resolves once it is (idempotent). Rejects with AgentError. */
  stop(ctx?: AgentContext): Promise<void>;
  /** Reports the resource's state without changing it. Rejects with AgentError only when it
   * cannot tell at all (the check itself could not run). */
  monitor(ctx?: AgentContext): Promise<MonitorStatus>;
  /**
   * Checks what can be checked on this node before anything runs (the OCF agent exists and
   * its meta-data accepts the parameters, the unit exists...). Resolves with problems, each a
   * sentence naming the resource, the field and what to do; empty when all is well.
   */
  validate?(ctx?: AgentContext): Promise<readonly string[]>;
  /**
   * Shell commands that take the resource down at once, without this agent: the dead man
   * switch (src/agent/cluster/deadman.ts) sources them with `.` in /bin/sh, newest resource
   * first, if the Haven agent itself dies, because the other nodes are taking the resource
   * over and two copies of it (a shared disk mounted twice, an address or a service on two
   * nodes) do damage. Each command must be valid POSIX sh (every configured value quoted for
   * sh), must not fail the script (errors to /dev/null), must end by itself (coreutils
   * `timeout` around anything that can hang), and must be harmless when the resource is not
   * there: the script cannot know what this agent object knew. PATH is the only variable in
   * the script's environment; a command needing more sets it (`env -i ...`).
   */
  haltCommands?(): readonly string[];
  /**
   * The halt commands have just run (cluster services halted the resource at once after this
   * node lost quorum or its lease): what this agent started is gone, and it forgets it, so
   * that the stop which follows does not run a stop command for something no longer there.
   */
  halted?(): void;
}

/**
 * `timeout -k GRACE LIMIT`: the coreutils prefix that bounds a halt command (SIGTERM at the
 * limit, SIGKILL after the grace), in whole seconds rounded up and at least 1, since 0
 * would mean no limit at all.
 */
export function haltTimeout(limitMs: number, graceMs: number): string {
  const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
  return `timeout -k ${seconds(graceMs)} ${seconds(limitMs)}`;
}

export class AgentError extends HavenError<{
  readonly resource: string;
  readonly op: AgentOp;
  readonly reason: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}> {
  constructor(
    resource: string,
    op: AgentOp,
    reason: string,
    extra: { exitCode?: number | null; timedOut?: boolean; cause?: unknown } = {},
  ) {
    super('AGENT_FAILED', `${resource}: ${op} failed: ${reason}`, {
      details: {
        resource,
        op,
        reason,
        exitCode: extra.exitCode ?? null,
        timedOut: extra.timedOut ?? false,
      },
      ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    });
  }
}
