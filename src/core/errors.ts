// Typed errors shared by every layer. An error carries a stable machine-readable `code`,
// structured `details` (what it is about: a key, a file, a node) and the `cause` it wraps,
// so a caller can branch on it and an operator can read it without parsing messages.

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface HavenErrorOptions<D extends ErrorDetails> {
  readonly details: D;
  readonly cause?: unknown;
}

export class HavenError<D extends ErrorDetails = ErrorDetails> extends Error {
  readonly code: string;
  readonly details: D;

  constructor(code: string, message: string, options: HavenErrorOptions<D>) {
    // Only pass `cause` when there is one, so `'cause' in error` stays meaningful.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    // new.target names the subclass, so each class need not repeat its own name.
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** A caller passed a value outside a function's documented domain: a bug, not a fault. */
export class InvalidArgumentError extends HavenError<{
  readonly argument: string;
  readonly value: unknown;
  readonly expected: string;
}> {
  constructor(argument: string, value: unknown, expected: string) {
    super('INVALID_ARGUMENT', `${argument}: expected ${expected}, got ${describe(value)}`, {
      details: { argument, value, expected },
    });
  }
}

/** A store key that could escape the store directory or collide with its own files. */
export class InvalidStoreKeyError extends HavenError<{
  readonly key: string;
  readonly reason: string;
}> {
  constructor(key: string, reason: string) {
    super('INVALID_STORE_KEY', `invalid store key ${JSON.stringify(key)}: ${reason}`, {
      details: { key, reason },
    });
  }
}

/** The durable store could not complete an operation (disk full, permissions, I/O error). */
export class StoreIoError extends HavenError<{
  readonly op: string;
  readonly key: string | undefined;
  readonly errno: string | undefined;
}> {
  constructor(op: string, key: string | undefined, cause: unknown) {
    const errno = errnoOf(cause);
    super(
      'STORE_IO',
      `store ${op}${key === undefined ? '' : ` of ${JSON.stringify(key)}`} failed: ${messageOf(cause)}`,
      { details: { op, key, errno }, cause },
    );
  }
}

/** A length prefix announced a frame larger than the agreed maximum: the peer is broken or hostile. */
export class FrameTooLargeError extends HavenError<{
  readonly length: number;
  readonly maxFrameBytes: number;
}> {
  constructor(length: number, maxFrameBytes: number) {
    super('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the maximum of ${maxFrameBytes}`, {
      details: { length, maxFrameBytes },
    });
  }
}

/** A stream ended in the middle of a frame. */
export class TruncatedFrameError extends HavenError<{ readonly bufferedBytes: number }> {
  constructor(bufferedBytes: number) {
    super('FRAME_TRUNCATED', `stream ended with ${bufferedBytes} bytes of an incomplete frame`, {
      details: { bufferedBytes },
    });
  }
}

/** A socket operation failed. `errno` is the system code (EADDRINUSE, EHOSTUNREACH...). */
export class TransportError extends HavenError<{
  readonly op: string;
  readonly address: string;
  readonly errno: string | undefined;
}> {
  constructor(op: string, address: string, cause: unknown) {
    super('TRANSPORT', `${op} ${address} failed: ${messageOf(cause)}`, {
      details: { op, address, errno: errnoOf(cause) },
      cause,
    });
  }
}

/** A child process could not be started at all (no such file, bad cwd, permissions). */
export class ProcessSpawnError extends HavenError<{
  readonly command: string;
  readonly errno: string | undefined;
}> {
  constructor(command: string, cause: unknown) {
    super('PROCESS_SPAWN', `cannot start ${command}: ${messageOf(cause)}`, {
      details: { command, errno: errnoOf(cause) },
      cause,
    });
  }
}

/** The run was cancelled before the child was started, so there is no result to report. */
export class ProcessAbortedError extends HavenError<{ readonly command: string }> {
  constructor(command: string, cause: unknown) {
    super('PROCESS_ABORTED', `${command} not started: aborted`, { details: { command }, cause });
  }
}

/** The system error code (`ENOENT`...) of a Node error, if it has one. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) {
    return String(value);
  }
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
