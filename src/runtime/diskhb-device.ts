// The device under the disk heartbeat: a seam (tests and the simulator bring their own) and
// the real one, a block device or file opened for direct, synchronous I/O. Why O_DIRECT and
// O_DSYNC, and what they cost: core/diskhb/README.md.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { SLOT_STRIDE_BYTES } from '../core/diskhb/index.js';
import { errnoOf } from '../core/errors.js';

/** One open heartbeat device. Tests and the simulator provide their own. */
export interface DiskDevice {
  /** I/O bypasses this host's page cache (O_DIRECT). */
  readonly direct: boolean;
  /** Writes one slot block (SLOT_STRIDE_BYTES) at `position`; resolves once it is on the device. */
  write(block: Uint8Array, position: number): Promise<void>;
  /**
   * Reads `length` bytes at `position`; bytes beyond the end of the device read as zeros.
   * The result is only valid until the next read.
   */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface DiskDeviceRequest {
  readonly path: string;
  /** Create a missing regular file and extend a short one to `minBytes`. */
  readonly createIfMissing: boolean;
  readonly minBytes: number;
  /** The longest read that will be asked for. */
  readonly maxReadBytes: number;
  readonly directIo: DirectIoMode;
}

/** Things worth telling the operator about a device that opened nonetheless. */
export type DeviceNote =
  | { readonly type: 'buffered-io'; readonly path: string; readonly why: string }
  | {
      readonly type: 'device-too-small';
      readonly path: string;
      readonly sizeBytes: number;
      readonly neededBytes: number;
    };

export type DiskDeviceOpener = (
  request: DiskDeviceRequest,
) => Promise<{ readonly device: DiskDevice; readonly notes: readonly DeviceNote[] }>;

/**
 * 'auto': O_DIRECT when the file system supports it, else buffered I/O with a
 * 'buffered-io' note. 'require': O_DIRECT or fail (use it for shared block devices).
 * 'off': buffered I/O (only safe when every node shares this host's page cache: tests).
 */
export type DirectIoMode = 'auto' | 'require' | 'off';

/**
 * Opens a block device or regular file for the disk heartbeat, O_RDWR | O_DSYNC and, when
 * possible, O_DIRECT (see README.md for why both). With `createIfMissing`, a missing
 * regular file is created (mode 0600) and a short one extended, never shortened.
 */
export const openDiskDevice: DiskDeviceOpener = async (request) => {
  const { path } = request;
  const notes: DeviceNote[] = [];
  if (request.createIfMissing) await extendRegularFile(path, request.minBytes, true);

  const memory = alignedMemory(SLOT_STRIDE_BYTES + request.maxReadBytes);
  // O_DSYNC: the write returns once the data is on stable storage (for a network file
  // system: on the server, where the other nodes read), in one system call rather than a
  // write then an fdatasync, i.e. one threadpool job instead of two.
  const flags = constants.O_RDWR | constants.O_DSYNC;
  let handle: FileHandle | undefined;
  let direct = false;
  if (request.directIo !== 'off') {
    if (memory.aligned) {
      try {
        handle = await open(path, flags | constants.O_DIRECT);
        direct = true;
      } catch (error) {
        // EINVAL: this file system does not do direct I/O (tmpfs before Linux 6.6...).
        if (errnoOf(error) !== 'EINVAL' || request.directIo === 'require') throw error;
        notes.push({ type: 'buffered-io', path, why: 'the file system refuses O_DIRECT' });
      }
    } else {
      if (request.directIo === 'require') {
        throw Object.assign(
          new Error('no page-aligned memory for O_DIRECT (WebAssembly disabled?)'),
          {
            code: 'EINVAL',
          },
        );
      }
      notes.push({ type: 'buffered-io', path, why: 'no page-aligned memory for O_DIRECT' });
    }
  }
  handle ??= await open(path, flags);

  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isBlockDevice()) {
      throw Object.assign(new Error(`${path} is neither a block device nor a regular file`), {
        code: 'ENOTBLK',
      });
    }
    // A block device's size is not in stat; a short one shows as write errors.
    if (stat.isFile() && stat.size < request.minBytes) {
      notes.push({
        type: 'device-too-small',
        path,
        sizeBytes: stat.size,
        neededBytes: request.minBytes,
      });
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return { device: new FileDevice(handle, direct, memory.buffer, request.maxReadBytes), notes };
};

class FileDevice implements DiskDevice {
  readonly direct: boolean;
  readonly #handle: FileHandle;
  // Separate regions: a write and a read round may be in flight together.
  readonly #writeBuffer: Uint8Array;
  readonly #readBuffer: Uint8Array;

  constructor(handle: FileHandle, direct: boolean, memory: ArrayBuffer, maxReadBytes: number) {
    this.direct = direct;
    this.#handle = handle;
    this.#writeBuffer = new Uint8Array(memory, 0, SLOT_STRIDE_BYTES);
    this.#readBuffer = new Uint8Array(memory, SLOT_STRIDE_BYTES, maxReadBytes);
  }

  async write(block: Uint8Array, position: number): Promise<void> {
    this.#writeBuffer.set(block);
    const length = block.length;
    const { bytesWritten } = await this.#handle.write(this.#writeBuffer, 0, length, position);
    // Continuing a short write would be misaligned for O_DIRECT: treat it as the failure it is.
    if (bytesWritten !== length) {
      throw Object.assign(new Error(`short write: ${bytesWritten} of ${length} bytes`), {
        code: 'EIO',
      });
    }
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = this.#readBuffer.subarray(0, length);
    // Files and block devices only return short at their end: the rest was never written.
    const { bytesRead } = await this.#handle.read(buffer, 0, length, position);
    buffer.fill(0, bytesRead);
    return buffer;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/**
 * Extends a regular file shorter than `minBytes` (a block device is left as is). With
 * `create`, a missing file is created (mode 0600); without, a missing file is left missing.
 */
export async function extendRegularFile(
  path: string,
  minBytes: number,
  create: boolean,
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDWR | (create ? constants.O_CREAT : 0), 0o600);
  } catch (e) {
    if (!create && errnoOf(e) === 'ENOENT') return; // the opener says it is missing
    throw e;
  }
  try {
    const stat = await handle.stat();
    // Extending with ftruncate never overwrites a slot another node has already written,
    // as writing zeros could. Only ever grow: never cut a file another node made longer.
    if (stat.isFile() && stat.size < minBytes) await handle.truncate(minBytes);
  } finally {
    await handle.close();
  }
}

interface WasmMemoryConstructor {
  new (descriptor: { initial: number }): { readonly buffer: ArrayBuffer };
}

/**
 * O_DIRECT needs buffers aligned to the device's logical block size, and Node gives no
 * alignment guarantee for Buffers (malloc'd: 16 bytes). A WebAssembly memory is allocated
 * in whole pages by the engine, so its start is page-aligned: the one portable way to get
 * aligned memory without a native module.
 */
function alignedMemory(bytes: number): { buffer: ArrayBuffer; aligned: boolean } {
  const wasm = (globalThis as { WebAssembly?: { Memory?: WasmMemoryConstructor } }).WebAssembly;
  const WASM_PAGE = 65_536;
  if (wasm?.Memory !== undefined) {
    try {
      const memory = new wasm.Memory({ initial: Math.ceil(bytes / WASM_PAGE) });
      return { buffer: memory.buffer, aligned: true };
    } catch {
      // Out of address space, or WebAssembly disabled: fall through to buffered I/O.
    }
  }
  return { buffer: new ArrayBuffer(bytes), aligned: false };
}
