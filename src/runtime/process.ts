// Child processes over node:child_process. Each child leads its own process group, so a
// timeout or an abort can kill everything it started, not only the direct child.
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  errnoOf,
  InvalidArgumentError,
  ProcessAbortedError,
  ProcessSpawnError,
} from '../core/errors.js';
import type { ProcessResult, ProcessRunner, ProcessSpec } from '../core/ports/process.js';

// Once the child has exited, how long to wait for its output pipes to reach end-of-file.
// A daemon started by a start script often inherits them and keeps them open for its whole
// life; waiting for EOF would hang the run, and killing the group would kill the service.
const OUTPUT_DRAIN_MS = 100;
// While the group has its SIGTERM grace, how often to check whether it is already gone.
const GROUP_POLL_MS = 20;
// setTimeout's limit; a longer timeout for a command is a configuration error anyway.
const MAX_TIMER_MS = 0x7fff_ffff;

export class ChildProcessRunner implements ProcessRunner {
  run(spec: ProcessSpec): Promise<ProcessResult> {
    const invalid = checkSpec(spec);
    if (invalid) return Promise.reject(invalid);
    const [program, args] =
      'shell' in spec.command
        ? ['/bin/sh', ['-c', spec.command.shell]]
        : [spec.command[0], spec.command.slice(1)];
    const label = 'shell' in spec.command ? '/bin/sh -c' : program;
    if (spec.signal?.aborted) {
      return Promise.reject(new ProcessAbortedError(label, spec.signal.reason));
    }
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(program, args, {
          cwd: spec.cwd,
          env: { ...spec.env },
          // setsid(): the child leads a new process group (and session), so kill(-pid)
          // reaches its descendants, and a signal to the agent's own group spares it.
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        // spawn throws synchronously for malformed arguments (a NUL in env, for instance).
        reject(new ProcessSpawnError(label, error));
        return;
      }
      new Execution(child, spec, resolve, (error) => {
        reject(new ProcessSpawnError(label, error));
      });
    });
  }
}

type Exit = { readonly code: number | null; readonly signal: string | null };

class Execution {
  readonly #child: ChildProcess;
  readonly #spec: ProcessSpec;
  readonly #resolve: (result: ProcessResult) => void;
  readonly #started = performance.now();
  readonly #stdout: Capture;
  readonly #stderr: Capture;
  #exit: Exit | undefined;
  #pipesClosed = false;
  #drained = false;
  #killReason: 'timeout' | 'abort' | undefined;
  #groupGone = false;
  #done = false;
  #deadline: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #drain: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => {
    this.#kill('abort');
  };

  constructor(
    child: ChildProcess,
    spec: ProcessSpec,
    resolve: (result: ProcessResult) => void,
    failToStart: (error: unknown) => void,
  ) {
    this.#child = child;
    this.#spec = spec;
    this.#resolve = resolve;
    this.#stdout = new Capture(child.stdout, spec.maxOutputBytes);
    this.#stderr = new Capture(child.stderr, spec.maxOutputBytes);
    child.on('error', (error) => {
      // With no pid the process never started (ENOENT, EACCES, bad cwd). Any later 'error'
      // would be about signalling, which goes through process.kill and is handled there.
      if (child.pid === undefined && !this.#done) {
        this.#done = true;
        this.#stopWatching();
        failToStart(error);
      }
    });
    child.on('exit', (code, signal) => {
      this.#onExit({ code, signal });
    });
    child.on('close', () => {
      this.#pipesClosed = true;
      this.#maybeFinish();
    });
    this.#deadline = setTimeout(() => {
      this.#kill('timeout');
    }, spec.timeoutMs);
    spec.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  #onExit(exit: Exit): void {
    this.#exit = exit;
    // Exited on its own: what it left running (a daemon) is the service, not ours to kill.
    if (this.#killReason === undefined) this.#stopWatching();
    this.#drain = setTimeout(() => {
      this.#drained = true;
      this.#maybeFinish();
    }, OUTPUT_DRAIN_MS);
    this.#maybeFinish();
  }

  #kill(reason: 'timeout' | 'abort'): void {
    if (this.#killReason !== undefined || this.#exit !== undefined || this.#done) return;
    this.#killReason = reason;
    this.#stopWatching();
    this.#signalGroup('SIGTERM');
    this.#poll = setInterval(() => {
      if (!this.#groupAlive()) this.#onGroupGone();
    }, GROUP_POLL_MS);
    this.#grace = setTimeout(() => {
      this.#signalGroup('SIGKILL');
      // SIGKILL cannot be caught; a process stuck in the kernel (D state) dies when it
      // leaves it, and waiting for that could be forever.
      this.#onGroupGone();
    }, this.#spec.killGraceMs);
  }

  #onGroupGone(): void {
    this.#groupGone = true;
    clearInterval(this.#poll);
    clearTimeout(this.#grace);
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#done || this.#exit === undefined) return;
    if (!this.#pipesClosed && !this.#drained) return;
    if (this.#killReason !== undefined && !this.#groupGone) return;
    this.#done = true;
    clearTimeout(this.#drain);
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      // A descendant still holds the pipe: keep reading (so it never blocks or gets SIGPIPE)
      // but let the agent exit regardless.
      if (stream instanceof Socket) stream.unref();
    }
    this.#resolve({
      pid: this.#child.pid ?? 0,
      exitCode: this.#exit.code,
      signal: this.#exit.signal,
      timedOut: this.#killReason === 'timeout',
      aborted: this.#killReason === 'abort',
      stdout: this.#stdout.text(),
      stderr: this.#stderr.text(),
      stdoutTruncated: this.#stdout.truncated,
      stderrTruncated: this.#stderr.truncated,
      durationMs: performance.now() - this.#started,
    });
  }

  /** No more timeout or abort: the run is over, or already being killed. */
  #stopWatching(): void {
    clearTimeout(this.#deadline);
    this.#spec.signal?.removeEventListener('abort', this.#onAbort);
  }

  #signalGroup(signal: 'SIGTERM' | 'SIGKILL'): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone. EPERM (a setuid descendant): nothing more we can
      // do, and throwing from a timer would crash the agent; the grace period still ends it.
    }
  }

  #groupAlive(): boolean {
    const pid = this.#child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
      return true;
    } catch (error) {
      // EPERM would mean a member exists that we may not signal: still alive.
      return errnoOf(error) !== 'ESRCH';
    }
  }
}

/** Keeps the first `max` bytes of a stream and counts the rest away. */
class Capture {
  readonly #chunks: Buffer[] = [];
  readonly #max: number;
  #kept = 0;
  truncated = false;

  constructor(stream: NodeJS.ReadableStream | null, max: number) {
    this.#max = max;
    stream?.on('data', (chunk: Buffer) => {
      const room = this.#max - this.#kept;
      if (chunk.length > room) this.truncated = true;
      if (room > 0) {
        const kept = chunk.subarray(0, room);
        this.#chunks.push(kept);
        this.#kept += kept.length;
      }
    });
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

function checkSpec(spec: ProcessSpec): InvalidArgumentError | undefined {
  const { command, timeoutMs, killGraceMs, maxOutputBytes } = spec;
  if ('shell' in command ? command.shell.length === 0 : command[0].length === 0) {
    return new InvalidArgumentError('command', command, 'a program or a non-empty shell script');
  }
  if (!(timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS)) {
    return new InvalidArgumentError('timeoutMs', timeoutMs, `a number in [0, ${MAX_TIMER_MS}]`);
  }
  if (!(killGraceMs >= 0 && killGraceMs <= MAX_TIMER_MS)) {
    return new InvalidArgumentError('killGraceMs', killGraceMs, `a number in [0, ${MAX_TIMER_MS}]`);
  }
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0) {
    return new InvalidArgumentError('maxOutputBytes', maxOutputBytes, 'an integer >= 0');
  }
  return undefined;
}
