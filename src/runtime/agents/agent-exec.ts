// Running one command for a resource agent: the ProcessRunner call, the AgentCommand report
// for the event trace, and the sentence that explains a failure. Shared by the application
// and file system agents so that their traces and error messages read the same.
import { performance } from 'node:perf_hooks';
import { ProcessAbortedError } from '../../core/errors.js';
import type { Argv, ProcessResult, ProcessRunner, ShellCommand } from '../../core/ports/process.js';
import { AgentError, type AgentCommand, type AgentContext, type AgentOp } from './agent.js';
import { shellQuote } from '../shell-quote.js';

/** The PATH commands get when the caller's environment does not set one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Per stream; enough for any error message, small enough to keep in the event trace. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

export interface AgentRun {
  readonly resource: string;
  readonly op: AgentOp;
  readonly command: Argv | ShellCommand;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly cwd?: string;
  readonly ctx?: AgentContext | undefined;
  /** The command as the trace shows it (secrets masked, noise flags left out); default: all of it. */
  readonly display?: string;
  /** Per stream; default MAX_OUTPUT_BYTES. */
  readonly maxOutputBytes?: number;
}

/**
 * Runs a command and reports it through `ctx.onCommand`, whatever its outcome. Resolves with
 * the result however the command ended; rejects with an AgentError only when it could not be
 * started at all (missing program, bad working directory, already aborted).
 */
export async function runForAgent(runner: ProcessRunner, run: AgentRun): Promise<ProcessResult> {
  const line = run.display ?? commandLine(run.command);
  const startedAtMs = Date.now();
  const started = performance.now();
  let result: ProcessResult;
  try {
    result = await runner.run({
      command: run.command,
      env: run.env,
      cwd: run.cwd ?? '/',
      timeoutMs: run.timeoutMs,
      killGraceMs: run.killGraceMs,
      maxOutputBytes: run.maxOutputBytes ?? MAX_OUTPUT_BYTES,
      ...(run.ctx?.signal === undefined ? {} : { signal: run.ctx.signal }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    run.ctx?.onCommand?.({
      resource: run.resource,
      op: run.op,
      command: line,
      exitCode: null,
      signal: null,
      timedOut: false,
      stdout: '',
      stderr: message,
      startedAtMs,
      durationMs: performance.now() - started,
    });
    const reason =
      error instanceof ProcessAbortedError
        ? `aborted before ${line} ran`
        : `could not run ${line}: ${message}`;
    throw new AgentError(run.resource, run.op, reason, { cause: error });
  }
  run.ctx?.onCommand?.(toAgentCommand(run.resource, run.op, line, result, startedAtMs));
  return result;
}

export function toAgentCommand(
  resource: string,
  op: AgentOp,
  command: string,
  result: ProcessResult,
  startedAtMs: number,
): AgentCommand {
  return {
    resource,
    op,
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    stdout: result.stdout,
    stderr: result.stderr,
    startedAtMs,
    durationMs: result.durationMs,
  };
}

export function succeeded(r: ProcessResult): boolean {
  return r.exitCode === 0 && !r.timedOut && !r.aborted;
}

/**
 * Why a command did not succeed, as a sentence fragment: "<what> exited with status 3: last
 * output: ...". `what` names the command for the administrator ("the stop command", "mount").
 */
export function failureReason(what: string, r: ProcessResult, timeoutMs: number): string {
  let how: string;
  if (r.timedOut) how = `did not finish within ${formatMs(timeoutMs)} and was killed`;
  else if (r.aborted) how = 'was interrupted (the operation was aborted)';
  else if (r.exitCode === null) how = `was killed by ${r.signal ?? 'a signal'}`;
  else how = `exited with status ${r.exitCode}`;
  const tail = outputTail(r.stderr) || outputTail(r.stdout);
  return `${what} ${how}${tail ? `; last output: ${tail}` : ''}`;
}

/** The last few non-empty lines of some output, on one line, at most ~300 characters. */
export function outputTail(text: string, lines = 3): string {
  const kept = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(-lines)
    .join(' | ');
  return kept.length > 300 ? `...${kept.slice(-300)}` : kept;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}

/** The command line as a person would type it: argv quoted for sh where needed. */
export function commandLine(command: Argv | ShellCommand): string {
  if ('shell' in command) return command.shell;
  return command.map(shellQuote).join(' ');
}
