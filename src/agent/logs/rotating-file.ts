// A log file that appends lines and rotates itself by size: file -> file.1 -> ... -> file.N,
// the oldest dropped. Built for a daemon whose logging must never hurt it:
//
// - write() never blocks and never throws. Lines go to a bounded in-memory queue and one
//   worker appends them, in order, with fs/promises. A slow or stuck disk fills the queue;
//   further lines are dropped and counted, and a marker line saying how many were lost is
//   written in their place once the disk takes writes again.
// - An I/O error (directory not creatable, disk full, permissions) is reported through
//   `onError`, once per kind (operation and errno) until a write succeeds again, and the writer
//   keeps trying with a growing delay; it never throws to the caller.
// - The directory is created 0750 and the file 0640 (logs hold command output, which can be
//   sensitive; the group may be an `adm`-like group of administrators).
//
// If someone else renames or truncates the file (logrotate), the next write notices (the path
// names another inode, or the file got smaller) and reopens the path.

import { chmod, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoOf, HavenError } from '../../core/errors.js';

/** Default size bound of one file. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** Default number of rotated files kept beside the live one (file.1 ... file.5). */
export const DEFAULT_KEEP = 5;
/** Default bound of the in-memory queue, in bytes of queued lines. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** A failed write is retried after this delay, doubled each time up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Lines are appended in batches of at most this many bytes: one write call per batch. */
const BATCH_BYTES = 256 * 1024;

export type LogFileOp = 'mkdir' | 'open' | 'write' | 'rotate' | 'close' | 'prune';

/** A log file could not be written. The writer goes on trying; this only says why it cannot. */
export class LogFileError extends HavenError<{
  readonly file: string;
  readonly op: LogFileOp;
  readonly errno: string | undefined;
}> {
  constructor(file: string, op: LogFileOp, cause: unknown) {
    const errno = errnoOf(cause);
    const what = cause instanceof Error ? cause.message : String(cause);
    super(
      'LOG_FILE_IO',
      `cannot ${op === 'prune' ? 'remove old log files in' : op} ${file}: ${what}; ` +
        'log lines are kept in memory (then dropped and counted) until it works again: ' +
        'check that the directory exists, is writable by the agent (root) and its file system is not full',
      { details: { file, op, errno }, cause },
    );
  }
}

export interface RotatingFileOptions {
  /** Rotate when the next line would make the file larger than this. Default 10 MiB. */
  readonly maxBytes?: number | undefined;
  /** Rotated files kept (file.1 ... file.keep); 0 keeps none. Default 5. */
  readonly keep?: number | undefined;
  /** Bound of the write queue in bytes; lines beyond it are dropped and counted. Default 4 MiB. */
  readonly maxQueuedBytes?: number | undefined;
  /** Called once per kind of failure (operation + errno) until a write succeeds again. */
  readonly onError?: ((error: LogFileError) => void) | undefined;
  /** The line written in place of dropped lines. Default: `haven: N log lines dropped ...`. */
  readonly dropMarker?: ((count: number) => string) | undefined;
}

type Entry = { readonly kind: 'line'; readonly bytes: Buffer } | { kind: 'drop'; count: number };

const defaultMarker = (count: number): string =>
  `haven: ${count} log line${count === 1 ? '' : 's'} dropped here: the log queue was full ` +
  '(the disk was slow or the file could not be written)';

function positiveInt(value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  return Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}

export class RotatingFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #maxQueuedBytes: number;
  readonly #onError: (error: LogFileError) => void;
  readonly #marker: (count: number) => string;

  readonly #queue: Entry[] = [];
  #queuedBytes = 0;
  #dropped = 0;
  #handle: FileHandle | undefined;
  #ino = 0;
  #size = 0;
  #running: Promise<void> | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #wakeRetry: (() => void) | undefined;
  /** Kinds already reported since the last successful write. */
  readonly #reported = new Set<string>();
  /** Resolved each time the worker goes idle or a write fails: what flush() waits for. */
  #settleWaiters: (() => void)[] = [];

  constructor(path: string, options: RotatingFileOptions = {}) {
    this.path = path;
    this.#maxBytes = positiveInt(options.maxBytes, DEFAULT_MAX_BYTES, 64);
    this.#keep = positiveInt(options.keep, DEFAULT_KEEP, 0);
    this.#maxQueuedBytes = positiveInt(options.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 1);
    this.#onError = options.onError ?? (() => undefined);
    this.#marker = options.dropMarker ?? defaultMarker;
  }

  /** Lines dropped so far because the queue was full (or written after close). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues one line (a newline is added unless it ends with one). Never blocks, never throws.
   * Returns false when the line was dropped because the queue is full or the file closed.
   */
  write(line: string): boolean {
    if (this.#closing) {
      this.#dropped++;
      return false;
    }
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) {
      this.#dropped++;
      // Consecutive drops share one marker, placed where the lines were lost.
      const last = this.#queue[this.#queue.length - 1];
      if (last?.kind === 'drop') last.count++;
      else this.#queue.push({ kind: 'drop', count: 1 });
      return false;
    }
    this.#queue.push({ kind: 'line', bytes });
    this.#queuedBytes += bytes.length;
    this.#kick();
    return true;
  }

  /**
   * Resolves once every line queued before the call is on disk, or, while the file cannot be
   * written, after the next failed attempt (waiting longer would hang a shutdown on a dead disk).
   */
  flush(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#settleWaiters.push(resolve);
      this.#kick();
      // A writer sleeping before a retry tries again now rather than at the end of its delay.
      this.#wakeRetry?.();
    });
  }

  /**
   * Writes what is queued (one more attempt if the disk fails), then closes the file. Lines
   * written after close() are dropped. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      // From here on write() drops; the worker makes one more attempt at what is queued (now,
      // not after its retry delay) and gives up on the rest if that fails.
      this.#closing = true;
      this.#wakeRetry?.();
      if (this.#queue.length > 0) this.#kick();
      await this.#running;
      await this.#closeHandle();
    })();
    return this.#closed;
  }

  #kick(): void {
    if (this.#running !== undefined || this.#retryTimer !== undefined) return;
    this.#running = this.#work().finally(() => {
      this.#running = undefined;
      this.#settle();
      // Lines queued while the last batch was being written, or during the final settle.
      if (this.#queue.length > 0 && this.#retryTimer === undefined && !this.#closing) this.#kick();
    });
  }

  #settle(): void {
    const waiters = this.#settleWaiters;
    this.#settleWaiters = [];
    for (const w of waiters) w();
  }

  async #work(): Promise<void> {
    while (this.#queue.length > 0) {
      try {
        await this.#writeBatch();
        this.#retryMs = RETRY_MIN_MS;
        this.#reported.clear();
      } catch (error) {
        const [op, cause] = error instanceof OpFailure ? [error.op, error.cause] : ['write', error];
        this.#report(op as LogFileOp, cause);
        await this.#closeHandle();
        this.#settle();
        if (this.#closing) {
          // Shutting down on a dead disk: count what could not be written, and stop.
          for (const e of this.#queue.splice(0)) this.#dropped += e.kind === 'line' ? 1 : 0;
          this.#queuedBytes = 0;
          return;
        }
        await this.#sleep(this.#retryMs);
        this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
        this.#wakeRetry = undefined;
        resolve();
      };
      this.#wakeRetry = done;
      this.#retryTimer = setTimeout(done, ms);
      // A log writer waiting to retry must not keep the process alive.
      this.#retryTimer.unref();
    });
  }

  #report(op: LogFileOp, cause: unknown): void {
    const kind = `${op}:${errnoOf(cause) ?? 'other'}`;
    if (this.#reported.has(kind)) return;
    this.#reported.add(kind);
    try {
      this.#onError(new LogFileError(this.path, op, cause));
    } catch {
      // A throwing callback must not stop the writer.
    }
  }

  /** Writes the head of the queue (up to a rotation point or BATCH_BYTES) in one call. */
  async #writeBatch(): Promise<void> {
    await this.#ensureOpen();
    const parts: Buffer[] = [];
    let size = 0;
    let taken = 0;
    let rotate = false;
    for (const entry of this.#queue) {
      const bytes =
        entry.kind === 'line'
          ? this.#clip(entry.bytes)
          : Buffer.from(`${this.#marker(entry.count)}\n`, 'utf8');
      if (this.#size + size + bytes.length > this.#maxBytes && this.#size + size > 0) {
        rotate = true;
        break;
      }
      if (size > 0 && size + bytes.length > BATCH_BYTES) break;
      parts.push(bytes);
      size += bytes.length;
      taken++;
    }
    if (taken > 0) {
      const buffer = parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts);
      await this.#appendAll(buffer);
      for (const e of this.#queue.splice(0, taken)) {
        if (e.kind === 'line') this.#queuedBytes -= e.bytes.length;
      }
    }
    if (rotate) await this.#rotate();
  }

  /** A line longer than the whole file bound is cut, so that no file ever exceeds maxBytes. */
  #clip(bytes: Buffer): Buffer {
    if (bytes.length <= this.#maxBytes) return bytes;
    const note = Buffer.from(` [line cut: ${bytes.length} bytes]\n`, 'utf8');
    let keep = Math.max(0, this.#maxBytes - note.length);
    // Do not cut inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (keep > 0 && ((bytes[keep] ?? 0) & 0xc0) === 0x80) keep--;
    return Buffer.concat([bytes.subarray(0, keep), note]).subarray(0, this.#maxBytes);
  }

  async #appendAll(buffer: Buffer): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) throw new OpFailure('write', new Error('the file is not open'));
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
        offset += bytesWritten;
        this.#size += bytesWritten;
      }
    } catch (error) {
      // What was written stays written; the lines are retried whole (a duplicate beats a loss).
      throw new OpFailure('write', error);
    }
  }

  async #ensureOpen(): Promise<void> {
    if (this.#handle !== undefined) {
      // Someone else moved or truncated the file (logrotate): follow the path, not the inode.
      const current = await stat(this.path).catch(() => undefined);
      if (current?.ino === this.#ino && current.size >= this.#size) return;
      await this.#closeHandle();
    }
    const dir = dirname(this.path);
    try {
      const created = await mkdir(dir, { recursive: true, mode: 0o750 });
      // mkdir's mode is filtered by the umask; say it explicitly for the directory made here.
      if (created !== undefined) await chmod(dir, 0o750);
    } catch (error) {
      throw new OpFailure('mkdir', error);
    }
    try {
      const existed = await stat(this.path).then(
        () => true,
        () => false,
      );
      const handle = await open(this.path, 'a', 0o640);
      try {
        if (!existed) await handle.chmod(0o640);
        const st = await handle.stat();
        this.#ino = st.ino;
        this.#size = st.size;
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
      this.#handle = handle;
    } catch (error) {
      throw new OpFailure('open', error);
    }
  }

  async #rotate(): Promise<void> {
    await this.#closeHandle();
    try {
      if (this.#keep === 0) {
        await unlink(this.path).catch(ignoreMissing);
      } else {
        await unlink(`${this.path}.${this.#keep}`).catch(ignoreMissing);
        for (let i = this.#keep - 1; i >= 1; i--) {
          await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing);
        }
        await rename(this.path, `${this.path}.1`).catch(ignoreMissing);
      }
    } catch (error) {
      throw new OpFailure('rotate', error);
    }
    this.#size = 0;
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle === undefined) return;
    try {
      await handle.close();
    } catch (error) {
      this.#report('close', error);
    }
  }
}

class OpFailure extends Error {
  constructor(
    readonly op: LogFileOp,
    override readonly cause: unknown,
  ) {
    super(op);
  }
}

function ignoreMissing(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}
