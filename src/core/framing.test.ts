import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameTooLargeError, InvalidArgumentError, TruncatedFrameError } from './errors.js';
import { encodeFrame, FrameDecoder } from './framing.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('framing', () => {
  it('encodes a big-endian u32 length then the payload', () => {
    assert.deepEqual(encodeFrame(bytes(7, 8, 9)), bytes(0, 0, 0, 3, 7, 8, 9));
    assert.deepEqual(encodeFrame(new Uint8Array(0)), bytes(0, 0, 0, 0));
    assert.deepEqual(encodeFrame(new Uint8Array(300)).subarray(0, 4), bytes(0, 0, 1, 44));
  });

  it('decodes several frames merged in one chunk, empty frames included', () => {
    const payloads = [text('alpha'), new Uint8Array(0), text('gamma!')];
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(concat(payloads.map((p) => encodeFrame(p)))), payloads);
    assert.equal(decoder.bufferedBytes, 0);
    decoder.end();
  });

  it('decodes frames split at every possible boundary', () => {
    const payloads = [text('one'), text('two-two'), new Uint8Array(0), text('3')];
    const stream = concat(payloads.map((p) => encodeFrame(p)));
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const decoder = new FrameDecoder();
        const got = [
          ...decoder.push(stream.subarray(0, a)),
          ...decoder.push(stream.subarray(a, b)),
          ...decoder.push(stream.subarray(b)),
        ];
        assert.deepEqual(got, payloads, `split at ${a}/${b}`);
      }
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const payload = text('x'.repeat(1000));
    const decoder = new FrameDecoder();
    const got: Uint8Array[] = [];
    for (const byte of encodeFrame(payload)) got.push(...decoder.push(bytes(byte)));
    assert.deepEqual(got, [payload]);
  });

  it('returns copies that do not alias the input chunks', () => {
    const chunk = encodeFrame(text('abc'));
    const [frame] = new FrameDecoder().push(chunk);
    chunk.fill(0);
    assert.deepEqual(frame, text('abc'));
  });

  it('rejects an oversize frame from its header alone, and stays failed', () => {
    const decoder = new FrameDecoder(10);
    assert.deepEqual(decoder.push(encodeFrame(new Uint8Array(10))), [new Uint8Array(10)]);
    // Only the header of an 11-byte frame: refused before its payload arrives.
    assert.throws(() => decoder.push(bytes(0, 0, 0, 11)), FrameTooLargeError);
    assert.throws(() => decoder.push(bytes(1)), FrameTooLargeError);
    const huge = new FrameDecoder();
    assert.throws(
      () => huge.push(bytes(0xff, 0xff, 0xff, 0xff)),
      (e: unknown) => {
        assert.ok(e instanceof FrameTooLargeError);
        assert.equal(e.code, 'FRAME_TOO_LARGE');
        assert.deepEqual(e.details, { length: 0xffff_ffff, maxFrameBytes: 16 * 1024 * 1024 });
        return true;
      },
    );
  });

  it('refuses to encode an oversize payload', () => {
    assert.throws(() => encodeFrame(new Uint8Array(5), 4), FrameTooLargeError);
    assert.throws(() => new FrameDecoder(-1), InvalidArgumentError);
  });

  it('reports a stream that ends inside a frame', () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(text('hello')).subarray(0, 6));
    assert.equal(decoder.bufferedBytes, 6);
    assert.throws(() => {
      decoder.end();
    }, TruncatedFrameError);
  });
});
