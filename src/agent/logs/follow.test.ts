import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { follow, type FollowOptions } from './follow.js';
import { RotatingFile } from './rotating-file.js';

/** Follows `path` in the background, collecting lines, until stop(). */
function collect(
  path: string,
  options: Omit<FollowOptions, 'signal'>,
): { got: string[]; done: Promise<void>; stop: () => void; until: (n: number) => Promise<void> } {
  const controller = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const line of follow(path, { ...options, signal: controller.signal })) {
      got.push(line);
    }
  })();
  const until = async (n: number): Promise<void> => {
    // Bounded: 10 s at most, then the assertion below says what was seen.
    for (let i = 0; i < 1000 && got.length < n; i++) await sleep(10);
    assert.ok(got.length >= n, `expected ${n} lines, saw ${got.length}: ${JSON.stringify(got)}`);
  };
  return {
    got,
    done,
    stop: () => {
      controller.abort();
    },
    until,
  };
}

describe('follow', { timeout: 20_000 }, () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haven-follow-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints the last N lines, then appended lines, and stops on abort', async () => {
    const path = join(root, 'cluster.log');
    await writeFile(path, Array.from({ length: 20 }, (_, i) => `old ${i}\n`).join(''));
    const f = collect(path, { lines: 3, pollMs: 50 });
    await f.until(3);
    assert.deepEqual(f.got, ['old 17', 'old 18', 'old 19']);
    await appendFile(path, 'new 1\nnew 2\n');
    await f.until(5);
    // A line written in two pieces comes out whole.
    await appendFile(path, 'new ');
    await sleep(120);
    await appendFile(path, '3\n');
    await f.until(6);
    assert.deepEqual(f.got.slice(3), ['new 1', 'new 2', 'new 3']);
    f.stop();
    await f.done;
    await appendFile(path, 'after the end\n');
    await sleep(120);
    assert.equal(f.got.length, 6);
  });

  it('shows the last lines only, with once', async () => {
    const path = join(root, 'x.log');
    await writeFile(path, 'a\nb\nc\nd');
    const seen: string[] = [];
    for await (const line of follow(path, { lines: 2, once: true })) seen.push(line);
    // The unfinished last line counts as a line, as tail shows it.
    assert.deepEqual(seen, ['c', 'd']);
    const all: string[] = [];
    for await (const line of follow(path, { lines: 100, once: true })) all.push(line);
    assert.deepEqual(all, ['a', 'b', 'c', 'd']);
  });

  it('follows the file through rotations by RotatingFile, losing nothing', async () => {
    const path = join(root, 'events.log');
    const writer = new RotatingFile(path, { maxBytes: 200, keep: 3 });
    writer.write('first');
    await writer.flush();
    const f = collect(path, { lines: 10, pollMs: 20 });
    await f.until(1);
    // 30 lines of 20 bytes into 200-byte files: several rotations while following.
    const sent = Array.from(
      { length: 30 },
      (_, i) => `rotated ${String(i).padStart(2, '0')} ........`,
    );
    for (const [i, line] of sent.entries()) {
      writer.write(line);
      // Two rotations between two reads would skip a whole file (as with tail -F): let the
      // follower catch up every 5 lines, half a file.
      if (i % 5 === 4) {
        await writer.flush();
        await f.until(i + 2);
      }
    }
    await writer.close();
    await f.until(31);
    f.stop();
    await f.done;
    assert.deepEqual(f.got, ['first', ...sent]);
  });

  it('waits for a file that does not exist yet, and stops on abort while waiting', async () => {
    const path = join(root, 'later.log');
    const f = collect(path, { lines: 10, pollMs: 20, watch: false });
    await sleep(60);
    await writeFile(path, 'hello\n');
    await f.until(1);
    assert.deepEqual(f.got, ['hello']);
    f.stop();
    await f.done;
  });

  it('starts over when the file is truncated in place', async () => {
    const path = join(root, 't.log');
    await writeFile(path, 'one\ntwo\n');
    const f = collect(path, { lines: 10, pollMs: 20 });
    await f.until(2);
    await writeFile(path, 'x\n'); // truncates, same inode
    await f.until(3);
    f.stop();
    await f.done;
    assert.deepEqual(f.got, ['one', 'two', 'x']);
  });
});
