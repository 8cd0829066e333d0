import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { InvalidStoreKeyError, StoreIoError } from '../core/errors.js';
import { FileStore } from './store.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('FileStore', { timeout: 10_000 }, () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haven-store-'));
    dir = join(root, 'state');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates its directory 0700 and files 0600', async () => {
    const store = await FileStore.open(dir);
    await store.writeAtomic('config', text('v1'));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'config'))).mode & 0o777, 0o600);
  });

  it('tightens an existing directory to 0700', async () => {
    await mkdir(dir, { mode: 0o755 });
    await FileStore.open(dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('writes, reads back, overwrites and removes', async () => {
    const store = await FileStore.open(dir);
    assert.equal(await store.read('epoch'), undefined);
    await store.writeAtomic('epoch', text('1'));
    assert.deepEqual(await store.read('epoch'), text('1'));
    await store.writeAtomic('epoch', text('22'));
    assert.deepEqual(await store.read('epoch'), text('22'));
    await store.writeAtomic('empty', new Uint8Array(0));
    assert.deepEqual(await store.read('empty'), new Uint8Array(0));
    await store.remove('epoch');
    assert.equal(await store.read('epoch'), undefined);
    await store.remove('epoch'); // idempotent
    // No temporary file is left behind by successful writes.
    assert.deepEqual(await readdir(dir), ['empty']);
  });

  it('persists across reopening', async () => {
    const first = await FileStore.open(dir);
    await first.writeAtomic('node-id', text('3'));
    const second = await FileStore.open(dir);
    assert.deepEqual(await second.read('node-id'), text('3'));
  });

  it('leaves one whole value after concurrent writes to a key', async () => {
    const store = await FileStore.open(dir);
    const values = Array.from({ length: 20 }, (_, i) => text(String(i).repeat(10_000)));
    await Promise.all(values.map((v) => store.writeAtomic('k', v)));
    const got = await store.read('k');
    assert.ok(
      values.some((v) => Buffer.from(v).equals(got!)),
      'a torn or unknown value',
    );
    assert.deepEqual(await readdir(dir), ['k']);
  });

  it('lists keys sorted, by prefix', async () => {
    const store = await FileStore.open(dir);
    for (const key of ['rg.web', 'node.2', 'rg.db', 'node.1']) {
      await store.writeAtomic(key, text(key));
    }
    assert.deepEqual(await store.list(), ['node.1', 'node.2', 'rg.db', 'rg.web']);
    assert.deepEqual(await store.list('rg.'), ['rg.db', 'rg.web']);
    assert.deepEqual(await store.list('zzz'), []);
    await assert.rejects(store.list('a/'), InvalidStoreKeyError);
  });

  it('ignores leftover temporary files, and removes them on open', async () => {
    await mkdir(dir, { mode: 0o700 });
    // What a crash between write and rename leaves, plus a foreign directory.
    await writeFile(join(dir, '.tmp-config.999.1'), 'partial');
    await writeFile(join(dir, 'config'), 'old');
    await mkdir(join(dir, 'subdir'));
    const store = await FileStore.open(dir);
    assert.deepEqual(await store.list(), ['config']);
    assert.deepEqual(await store.read('config'), text('old'));
    assert.deepEqual((await readdir(dir)).sort(), ['config', 'subdir']);
    // A leftover that appears while open (another crash) is ignored by list too.
    await writeFile(join(dir, '.tmp-x.1.1'), 'partial');
    assert.deepEqual(await store.list(), ['config']);
  });

  it('rejects invalid keys with a typed error naming the problem', async () => {
    const store = await FileStore.open(dir);
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['a/b', /"\/"/],
      ['../etc', /"\/"/],
      ['a..b', /"\.\."/],
      ['..', /"\.\."/],
      ['.hidden', /starts with "\."/],
      ['nul\0', /NUL/],
      ['space key', /" "/],
      ['é', /"é"/],
      ['x'.repeat(201), /longer than 200/],
    ];
    for (const [key, reason] of cases) {
      for (const op of [
        () => store.read(key),
        () => store.writeAtomic(key, text('x')),
        () => store.remove(key),
      ]) {
        await assert.rejects(op(), (e: unknown) => {
          assert.ok(e instanceof InvalidStoreKeyError, `${JSON.stringify(key)}: ${String(e)}`);
          assert.equal(e.code, 'INVALID_STORE_KEY');
          assert.equal(e.details.key, key);
          assert.match(e.details.reason, reason);
          return true;
        });
      }
    }
    assert.deepEqual(await readdir(dir), []);
    await store.writeAtomic('Ok-key_1.2', text('fine'));
  });

  it('reports I/O failures as StoreIoError', async () => {
    const store = await FileStore.open(dir);
    await mkdir(join(dir, 'adir'));
    await assert.rejects(store.read('adir'), (e: unknown) => {
      assert.ok(e instanceof StoreIoError);
      assert.equal(e.details.errno, 'EISDIR');
      assert.equal(e.details.key, 'adir');
      return true;
    });
    // rename() cannot replace a directory with a file: the write fails and leaves no temp file.
    await assert.rejects(store.writeAtomic('adir', text('x')), StoreIoError);
    assert.deepEqual(await readdir(dir), ['adir']);
    await writeFile(join(root, 'file'), '');
    await assert.rejects(FileStore.open(join(root, 'file')), StoreIoError);
  });
});
