// Following a log file as `tail -F` does: the last N lines, then each new line as it is written,
// across rotations (the path renamed away and a new file created in its place) and truncations,
// until the AbortSignal fires. `haven logs -f` is built on it.
//
// It polls (every pollMs, 250 ms by default) and, where the platform allows, also watches the
// directory so that a new line shows up without waiting for the next poll; if the watch cannot
// be set up (inotify limits, some network file systems), polling alone does the job.

import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { errnoOf } from '../../core/errors.js';

export interface FollowOptions {
  /** Lines shown from the end of the file before following. Default 10. */
  readonly lines?: number | undefined;
  /** Stops following; the iteration then ends normally. */
  readonly signal?: AbortSignal | undefined;
  /** How often the file is checked, in ms. Default 250. */
  readonly pollMs?: number | undefined;
  /** Also wake on fs.watch events. Default true. */
  readonly watch?: boolean | undefined;
  /** Stop after showing the last lines, without following (`haven logs` without -f). */
  readonly once?: boolean | undefined;
}

const CHUNK = 64 * 1024;
/** A "line" that never ends is cut at this many characters, so memory stays bounded. */
const MAX_LINE_CHARS = 1024 * 1024;

/** The offset at which the last `n` lines of a file of `size` bytes begin. */
async function tailOffset(handle: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  const buf = Buffer.alloc(CHUNK);
  let end = size;
  let count = 0;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      const at = start + i;
      // The newline that ends the last line does not start a line.
      if (buf[i] !== 0x0a || at === size - 1) continue;
      if (++count === n) return at + 1;
    }
    end = start;
  }
  return 0;
}

class Source {
  #decoder = new StringDecoder('utf8');
  #carry = '';
  constructor(
    readonly handle: FileHandle,
    readonly ino: bigint,
    public pos: number,
  ) {}

  /** Reads to the current end of the file; returns the complete lines read. */
  async read(): Promise<string[]> {
    const out: string[] = [];
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) return out;
      this.pos += bytesRead;
      this.#take(this.#decoder.write(buf.subarray(0, bytesRead)), out);
    }
  }

  #take(text: string, out: string[]): void {
    const parts = (this.#carry + text).split('\n');
    this.#carry = parts.pop() ?? '';
    for (const p of parts) out.push(p.endsWith('\r') ? p.slice(0, -1) : p);
    if (this.#carry.length > MAX_LINE_CHARS) {
      out.push(this.#carry);
      this.#carry = '';
    }
  }

  /** The unfinished last line, when the file is left for another. */
  rest(): string[] {
    const last = this.#carry + this.#decoder.end();
    this.#carry = '';
    return last === '' ? [] : [last];
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

async function statOrUndefined(path: string): Promise<{ ino: bigint; size: bigint } | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

async function openAt(path: string, tailLines: number | undefined): Promise<Source | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const st = await handle.stat({ bigint: true });
    const size = Number(st.size);
    const pos = tailLines === undefined ? 0 : await tailOffset(handle, size, tailLines);
    return new Source(handle, st.ino, pos);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Yields the last `lines` lines of the file, then every line appended to it, following the path
 * through rotation and truncation, until `signal` aborts. A file that does not exist yet is
 * waited for. Read errors other than the file being absent are thrown (permissions...).
 */
export async function* follow(path: string, options: FollowOptions = {}): AsyncGenerator<string> {
  const signal = options.signal;
  const pollMs = Math.max(10, options.pollMs ?? 250);
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const onAbort = (): void => wake?.();
  // A function, not a narrowed property: the signal can fire while a line is being consumed.
  const aborted = (): boolean => signal?.aborted === true;
  signal?.addEventListener('abort', onAbort);
  if (options.watch !== false && options.once !== true) {
    try {
      const name = basename(path);
      watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file.startsWith(name)) wake?.();
      });
      // A watch that fails later (the directory removed) leaves polling in charge.
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
  }
  const sleep = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
      if (aborted()) done();
    });

  let source: Source | undefined;
  try {
    source = await openAt(path, Math.max(0, options.lines ?? 10));
    if (options.once === true) {
      if (source !== undefined) yield* [...(await source.read()), ...source.rest()];
      return;
    }
    while (!aborted()) {
      let lines: string[] = [];
      if (source !== undefined) lines = await source.read();
      const st = await statOrUndefined(path);
      if (source !== undefined && (st?.ino !== source.ino || Number(st.size) < source.pos)) {
        // Rotated, removed or truncated. Lines written just before the rename are still in the
        // old file: read it to its end before leaving it.
        lines.push(...(await source.read()), ...source.rest());
        await source.close();
        source = undefined;
      }
      let opened = false;
      if (source === undefined && st !== undefined) {
        source = await openAt(path, undefined);
        opened = source !== undefined;
      }
      for (const line of lines) {
        if (aborted()) return;
        yield line;
      }
      // A file just opened is read at once; otherwise wait for news.
      if (lines.length === 0 && !opened) await sleep();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    await source?.close();
  }
}
