import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogFileError, RotatingFile } from './rotating-file.js';

const lines = (text: string): string[] => text.split('\n').slice(0, -1);

describe('RotatingFile', { timeout: 20_000 }, () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haven-rotating-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates its directory 0750 and its file 0640', async () => {
    const path = join(root, 'a', 'b', 'cluster.log');
    const f = new RotatingFile(path);
    f.write('hello');
    await f.close();
    assert.equal((await stat(join(root, 'a', 'b'))).mode & 0o777, 0o750);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    assert.equal(await readFile(path, 'utf8'), 'hello\n');
  });

  it('rotates at the size bound and keeps N files, oldest dropped', async () => {
    const path = join(root, 'trace.log');
    // 20-byte lines, 200-byte files: exactly 10 lines per file.
    const f = new RotatingFile(path, { maxBytes: 200, keep: 2 });
    const all = Array.from(
      { length: 55 },
      (_, i) => `line ${String(i).padStart(3, '0')} ..........`,
    );
    assert.equal(Buffer.byteLength(`${all[0] ?? ''}\n`), 20);
    for (const l of all) f.write(l);
    await f.close();
    assert.deepEqual((await readdir(root)).sort(), ['trace.log', 'trace.log.1', 'trace.log.2']);
    const [cur, one, two] = await Promise.all(
      ['', '.1', '.2'].map((s) => readFile(`${path}${s}`, 'utf8')),
    );
    for (const text of [cur, one, two]) assert.ok(Buffer.byteLength(text ?? '') <= 200);
    assert.deepEqual(lines(two ?? ''), all.slice(30, 40));
    assert.deepEqual(lines(one ?? ''), all.slice(40, 50));
    assert.deepEqual(lines(cur ?? ''), all.slice(50));
  });

  it('cuts a line longer than the whole file bound', async () => {
    const path = join(root, 'x.log');
    const f = new RotatingFile(path, { maxBytes: 100, keep: 1 });
    f.write('short');
    f.write('é'.repeat(200));
    await f.close();
    assert.equal(await readFile(`${path}.1`, 'utf8'), 'short\n');
    const cut = await readFile(path, 'utf8');
    assert.ok(Buffer.byteLength(cut) <= 100);
    assert.match(cut, /^é+ \[line cut: 401 bytes\]\n$/);
  });

  it('keeps the order of many concurrent writers, across rotations', async () => {
    const path = join(root, 'order.log');
    const f = new RotatingFile(path, { maxBytes: 4096, keep: 1000 });
    const written: string[] = [];
    // 20 writers interleaving at every turn of the event loop, while the worker writes.
    await Promise.all(
      Array.from({ length: 20 }, async (_, w) => {
        for (let i = 0; i < 150; i++) {
          const line = `writer ${w} line ${i}`;
          written.push(line);
          f.write(line);
          if (i % 7 === 0) await sleep(0);
          else await Promise.resolve();
        }
      }),
    );
    await f.close();
    const names = (await readdir(root)).filter((n) => n.startsWith('order.log.'));
    assert.ok(names.length > 5, `expected rotations, got ${names.length}`);
    const ordered = [
      ...names.map((n) => Number(n.slice('order.log.'.length))).sort((a, b) => b - a),
    ];
    let text = '';
    for (const n of ordered) text += await readFile(`${path}.${n}`, 'utf8');
    text += await readFile(path, 'utf8');
    assert.deepEqual(lines(text), written);
  });

  it('reports an unwritable directory once, never throws, and writes when it is fixed', async () => {
    const blocker = join(root, 'blocker');
    await writeFile(blocker, 'a file where the log directory should be');
    const errors: LogFileError[] = [];
    const path = join(blocker, 'logs', 'cluster.log');
    const f = new RotatingFile(path, { onError: (e) => errors.push(e) });
    f.write('first');
    await f.flush();
    f.write('second');
    await f.flush();
    await f.flush();
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    const [error] = errors;
    assert.ok(error instanceof LogFileError);
    assert.equal(error.details.op, 'mkdir');
    assert.equal(error.details.file, path);
    assert.ok(error.details.errno === 'ENOTDIR' || error.details.errno === 'EEXIST');
    assert.match(error.message, /cannot mkdir .*cluster\.log.*check that the directory exists/);
    // The writer kept trying: once the obstacle is gone, the queued lines land in order.
    await rm(blocker);
    await f.flush();
    await f.close();
    assert.equal(await readFile(path, 'utf8'), 'first\nsecond\n');
  });

  it('drops lines beyond the queue bound and says how many in their place', async () => {
    const path = join(root, 'q.log');
    const f = new RotatingFile(path, { maxQueuedBytes: 100 });
    // Written in one turn of the event loop, before the worker's first write: the queue fills.
    const accepted = Array.from({ length: 15 }, (_, i) => f.write(`line ${i}...`));
    assert.deepEqual(
      accepted,
      Array.from({ length: 15 }, (_, i) => i < 10),
    );
    assert.equal(f.dropped, 5);
    await f.flush();
    f.write('after');
    await f.close();
    assert.deepEqual(lines(await readFile(path, 'utf8')), [
      ...Array.from({ length: 10 }, (_, i) => `line ${i}...`),
      'haven: 5 log lines dropped here: the log queue was full (the disk was slow or the file could not be written)',
      'after',
    ]);
  });

  it('drops lines written after close, and close is idempotent', async () => {
    const path = join(root, 'c.log');
    const f = new RotatingFile(path);
    f.write('kept');
    const closing = f.close();
    assert.equal(f.write('too late'), false);
    await Promise.all([closing, f.close()]);
    assert.equal(f.dropped, 1);
    assert.equal(await readFile(path, 'utf8'), 'kept\n');
  });

  it('follows the path when someone else rotates the file (logrotate)', async () => {
    const path = join(root, 'r.log');
    const f = new RotatingFile(path);
    f.write('before');
    await f.flush();
    await rename(path, `${path}.old`);
    f.write('after');
    await f.close();
    assert.equal(await readFile(`${path}.old`, 'utf8'), 'before\n');
    assert.equal(await readFile(path, 'utf8'), 'after\n');
  });
});
