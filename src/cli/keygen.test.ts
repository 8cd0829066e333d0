import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readKeyFile } from '../runtime/keyfile.js';
import { DEFAULT_KEY_PATH, keygenCommand } from './keygen.js';
import type { Output } from './output.js';

function capture(): Output & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}

const euid = process.geteuid?.() ?? -1;

describe('haven keygen', { timeout: 20_000 }, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-keygen-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('defaults to /etc/haven/cluster.key', () => {
    assert.equal(DEFAULT_KEY_PATH, '/etc/haven/cluster.key');
  });

  it('writes a 0400 key and says how to copy it to the other nodes', async () => {
    const path = join(dir, 'cluster.key');
    const io = capture();
    assert.equal(await keygenCommand(path, {}, io), 0);
    assert.equal(io.stderr(), '');
    assert.equal((await stat(path)).mode & 0o7777, 0o400);
    assert.equal((await readKeyFile(path)).length, 32);
    const out = io.stdout();
    assert.ok(out.includes(`Wrote a new cluster key to ${path}`), out);
    assert.ok(out.includes(`scp -p ${path} root@NODE:${path}`), out);
    assert.ok(out.includes('same file'), out);
    assert.ok(out.includes('mode 0400 or 0600'), out);
    assert.ok(out.includes(`chown root:root ${path}`), out);
    // The key itself is never printed.
    const keyHex = (await readFile(path, 'utf8')).split('\n')[1]!;
    assert.ok(!out.includes(keyHex));
  });

  it('creates missing directories with mode 0700', async () => {
    const path = join(dir, 'etc', 'haven', 'cluster.key');
    assert.equal(await keygenCommand(path, {}, capture()), 0);
    assert.equal((await stat(join(dir, 'etc', 'haven'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'etc'))).mode & 0o777, 0o700);
  });

  it('prints the absolute path when given a relative one', async () => {
    const path = join(dir, 'rel.key');
    const io = capture();
    assert.equal(await keygenCommand(relative(process.cwd(), path), {}, io), 0);
    assert.ok(io.stdout().includes(`to ${path} `), io.stdout());
  });

  it('refuses to replace an existing key without --force, exit 1', async () => {
    const path = join(dir, 'cluster.key');
    await writeFile(path, 'old', { mode: 0o600 });
    const io = capture();
    assert.equal(await keygenCommand(path, {}, io), 1);
    assert.equal(await readFile(path, 'utf8'), 'old');
    assert.equal(io.stdout(), '');
    assert.ok(io.stderr().includes('already exists'), io.stderr());
    assert.ok(io.stderr().includes(`haven keygen --force ${path}`), io.stderr());
  });

  it('replaces it with --force and says the other nodes need the new key', async () => {
    const path = join(dir, 'cluster.key');
    await writeFile(path, 'old', { mode: 0o600 });
    const io = capture();
    assert.equal(await keygenCommand(path, { force: true }, io), 0);
    assert.equal((await readKeyFile(path)).length, 32);
    assert.ok(io.stdout().includes('replaced the previous key'), io.stdout());
  });

  it('fails with exit 1 when the directory cannot be made', async () => {
    await writeFile(join(dir, 'file'), '');
    const io = capture();
    assert.equal(await keygenCommand(join(dir, 'file', 'cluster.key'), {}, io), 1);
    assert.ok(io.stderr().includes('cannot create the directory'), io.stderr());
  });

  it('tells a user without permission to run as root', { skip: euid !== 0 }, async () => {
    // Root may write anywhere: run the command in a child as nobody, against a root-only directory.
    await mkdir(join(dir, 'root-only'), { mode: 0o700 });
    const path = join(dir, 'root-only', 'cluster.key');
    const module = fileURLToPath(new URL('./keygen.js', import.meta.url));
    const script = `
      const { keygenCommand } = await import(${JSON.stringify(module)});
      const lines = [];
      const io = { out: (t) => lines.push(t), err: (t) => lines.push(t) };
      const code = await keygenCommand(${JSON.stringify(path)}, {}, io);
      process.stdout.write(JSON.stringify({ code, text: lines.join('\\n') }));
    `;
    await chmod(dir, 0o755); // mkdtemp made it 0700: nobody could not even look in
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { uid: 65534, gid: 65534, cwd: '/' },
    );
    const result = JSON.parse(stdout) as { code: number; text: string };
    assert.equal(result.code, 1);
    assert.ok(result.text.includes('permission denied'), result.text);
    assert.ok(result.text.includes('Run it as root'), result.text);
  });
});
