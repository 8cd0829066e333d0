// Child processes (resource agents, event scripts, user commands) as a seam. Every field of a
// spec is explicit: the core decides the environment and limits, nothing is inherited.

/** A program and its arguments, run directly: no shell parses them. */
export type Argv = readonly [program: string, ...args: string[]];

/** A script for /bin/sh -c. Only for commands the operator wrote as shell: it must say so. */
export interface ShellCommand {
  readonly shell: string;
}

export interface ProcessSpec {
  readonly command: Argv | ShellCommand;
  /** The complete environment of the child. Nothing from the agent's own is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory. */
  readonly cwd: string;
  /** After this long the process group gets SIGTERM. */
  readonly timeoutMs: number;
  /** After SIGTERM, how long the group has before SIGKILL. */
  readonly killGraceMs: number;
  /** Per stream: output beyond this is read and discarded, and the result says so. */
  readonly maxOutputBytes: number;
  /** Aborting kills the process group like a timeout does. */
  readonly signal?: AbortSignal;
}

export interface ProcessResult {
  readonly pid: number;
  /** Set when the process exited on its own, null when a signal ended it. */
  readonly exitCode: number | null;
  /** The name of the signal that ended the process ("SIGKILL"...), or null. */
  readonly signal: string | null;
  /** The process group was killed because `timeoutMs` elapsed. */
  readonly timedOut: boolean;
  /** The process group was killed because `signal` was aborted. */
  readonly aborted: boolean;
  /** Output decoded as UTF-8 (invalid sequences replaced), at most `maxOutputBytes` bytes of it. */
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly durationMs: number;
}

export interface ProcessRunner {
  /**
   * Runs a command to completion. Resolves with the result however the process ended
   * (including timeout and abort); rejects with `ProcessSpawnError` if it could not be started
   * and with `ProcessAbortedError` if `signal` was already aborted.
   */
  run(spec: ProcessSpec): Promise<ProcessResult>;
}
