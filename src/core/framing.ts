// Message framing for byte streams: each frame is a 4-byte big-endian length, then that many
// bytes. A stream delivers arbitrary chunks (a frame split across reads, several frames in
// one), so the decoder is incremental.
import { FrameTooLargeError, InvalidArgumentError, TruncatedFrameError } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
/** 16 MiB: room for a whole cluster configuration, small enough that a bad prefix cannot exhaust memory. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Header and payload in one array. Throws `FrameTooLargeError` if the payload is too big. */
export function encodeFrame(
  payload: Uint8Array,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Uint8Array {
  checkMax(maxFrameBytes);
  if (payload.length > maxFrameBytes) throw new FrameTooLargeError(payload.length, maxFrameBytes);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  // Chunks received but not yet consumed; the first one is consumed from #offset on.
  // Keeping chunks (rather than concatenating on every push) makes a large frame that
  // arrives in many small reads cost linear, not quadratic, time.
  readonly #chunks: Uint8Array[] = [];
  #offset = 0;
  #buffered = 0;
  // Once a frame is too large the stream is out of sync for good; every later push says so.
  #failure: FrameTooLargeError | undefined;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    checkMax(maxFrameBytes);
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held towards a frame not yet complete. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Feeds a chunk and returns the frames it completes, in order (payloads only, copied, so
   * they do not pin the chunk). Throws `FrameTooLargeError` as soon as a header announces an
   * oversize frame, before buffering it; the decoder is unusable afterwards.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure) throw this.#failure;
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Uint8Array[] = [];
    while (this.#buffered >= FRAME_HEADER_BYTES) {
      const header = this.#peek(FRAME_HEADER_BYTES);
      const length = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES).getUint32(
        0,
      );
      if (length > this.#maxFrameBytes) {
        this.#failure = new FrameTooLargeError(length, this.#maxFrameBytes);
        throw this.#failure;
      }
      if (this.#buffered < FRAME_HEADER_BYTES + length) break;
      this.#take(FRAME_HEADER_BYTES);
      frames.push(this.#take(length));
    }
    return frames;
  }

  /** Call when the stream ends: throws `TruncatedFrameError` if it stopped inside a frame. */
  end(): void {
    if (this.#buffered > 0) throw new TruncatedFrameError(this.#buffered);
  }

  /** The next `n` bytes without consuming them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#offset >= n) {
      return first.subarray(this.#offset, this.#offset + n);
    }
    return this.#copy(n, false);
  }

  /** Consumes and returns the next `n` bytes as a fresh array. */
  #take(n: number): Uint8Array {
    return this.#copy(n, true);
  }

  #copy(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    let offset = this.#offset;
    while (filled < n) {
      const chunk = this.#chunks[index] as Uint8Array;
      const count = Math.min(n - filled, chunk.length - offset);
      out.set(chunk.subarray(offset, offset + count), filled);
      filled += count;
      offset += count;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    if (consume) {
      this.#chunks.splice(0, index);
      this.#offset = offset;
      this.#buffered -= n;
    }
    return out;
  }
}

function checkMax(maxFrameBytes: number): void {
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > 0xffff_ffff) {
    throw new InvalidArgumentError('maxFrameBytes', maxFrameBytes, 'an integer in [0, 2^32)');
  }
}
