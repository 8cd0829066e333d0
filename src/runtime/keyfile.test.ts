import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  KEY_BYTES,
  formatKey,
  generateKey,
  parseKey,
  readKeyFile,
  writeKeyFile,
} from './keyfile.js';
import { shellQuote } from './shell-quote.js';
import {
  KeyFileExistsError,
  KeyFileInsecureError,
  KeyFileIoError,
  KeyFileMalformedError,
  type KeyFileInsecurity,
} from './keyfile-errors.js';

const HEX32 = 'ab'.repeat(32);
const euid = process.geteuid?.() ?? 0;

function insecure(problems: KeyFileInsecurity[], ...inMessage: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof KeyFileInsecureError, String(e));
    assert.deepEqual(e.details.problems, problems);
    for (const s of inMessage) assert.ok(e.message.includes(s), `${e.message} lacks ${s}`);
    return true;
  };
}

function malformed(...inMessage: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof KeyFileMalformedError, String(e));
    for (const s of inMessage) assert.ok(e.message.includes(s), `${e.message} lacks ${s}`);
    return true;
  };
}

describe('cluster key file', { timeout: 10_000 }, () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-key-'));
    path = join(dir, 'cluster.key');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A key file with the given content and mode, owned by us. */
  async function keyFile(content: string | Uint8Array, mode = 0o600): Promise<void> {
    await writeFile(path, content, { mode });
    await chmod(path, mode);
  }

  it('generates 32 random bytes', () => {
    const a = generateKey();
    assert.equal(a.length, KEY_BYTES);
    assert.notDeepEqual(a, generateKey());
  });

  it('writes mode 0400, a comment line and the key in hex, and reads it back', async () => {
    const key = await writeKeyFile(path);
    assert.equal((await stat(path)).mode & 0o7777, 0o400);
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    assert.match(lines[0]!, /^# Haven cluster key/);
    assert.equal(lines[1], Buffer.from(key).toString('hex'));
    assert.equal(lines[2], '');
    assert.deepEqual(await readKeyFile(path), key);
    // Nothing but the key file is left in the directory.
    assert.deepEqual(await readdir(dir), ['cluster.key']);
  });

  it('never overwrites without force, not even a dangling symlink', async () => {
    await keyFile(`${HEX32}\n`);
    await assert.rejects(writeKeyFile(path), KeyFileExistsError);
    assert.equal(await readFile(path, 'utf8'), `${HEX32}\n`);
    const link = join(dir, 'link.key');
    await symlink(join(dir, 'nowhere'), link);
    await assert.rejects(writeKeyFile(link), KeyFileExistsError);
    assert.deepEqual((await readdir(dir)).sort(), ['cluster.key', 'link.key']);
  });

  it('replaces with force, atomically, with mode 0400', async () => {
    await keyFile(`${HEX32}\n`, 0o644);
    const key = await writeKeyFile(path, { force: true });
    assert.equal((await stat(path)).mode & 0o7777, 0o400);
    assert.deepEqual(await readKeyFile(path), key);
    assert.deepEqual(await readdir(dir), ['cluster.key']);
  });

  it('reports a missing directory or a directory in the way, leaving nothing behind', async () => {
    await assert.rejects(
      writeKeyFile(join(dir, 'missing', 'cluster.key')),
      (e: unknown) => e instanceof KeyFileIoError && e.details.errno === 'ENOENT',
    );
    await mkdir(join(dir, 'adir'));
    await assert.rejects(
      writeKeyFile(join(dir, 'adir'), { force: true }),
      (e: unknown) => e instanceof KeyFileIoError && e.details.errno === 'EISDIR',
    );
    assert.deepEqual(await readdir(dir), ['adir']);
    assert.deepEqual(await readdir(join(dir, 'adir')), []);
  });

  it('accepts 0600 and 0400, comments, blank lines, CRLF and upper-case hex', async () => {
    const key = Buffer.from(HEX32, 'hex');
    await keyFile(`# a comment\r\n\r\n  ${HEX32.toUpperCase()}  \r\n# trailing\r\n`, 0o600);
    assert.deepEqual(Buffer.from(await readKeyFile(path)), key);
    await chmod(path, 0o400);
    assert.deepEqual(Buffer.from(await readKeyFile(path)), key);
  });

  it('refuses a file that group or others can access, saying how to fix it', async () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606, 0o610, 0o601]) {
      await keyFile(`${HEX32}\n`, mode);
      await assert.rejects(
        readKeyFile(path),
        insecure(['group-or-other-access'], `chmod 600 ${path}`, `mode 0${mode.toString(8)}`),
        mode.toString(8),
      );
    }
  });

  it('refuses a file owned by another user than the expected one', async () => {
    await keyFile(`${HEX32}\n`, 0o600);
    await assert.rejects(
      readKeyFile(path, { uid: euid + 1 }),
      insecure(['wrong-owner'], `chown ${euid + 1} ${path}`),
    );
    // Both problems at once: one message, both fixes.
    await chmod(path, 0o644);
    await assert.rejects(
      readKeyFile(path, { uid: 0 === euid ? 1 : 0 }),
      insecure(['wrong-owner', 'group-or-other-access'], 'chmod 600', 'chown'),
    );
  });

  it('as root, refuses a key file root does not own', { skip: euid !== 0 }, async () => {
    await keyFile(`${HEX32}\n`, 0o600);
    await chown(path, 65534, 65534);
    await assert.rejects(
      readKeyFile(path),
      insecure(['wrong-owner'], 'not by root', `chown root:root ${path}`),
    );
  });

  it('refuses a symlink, even to a good key file', async () => {
    await keyFile(`${HEX32}\n`, 0o600);
    const link = join(dir, 'link.key');
    await symlink(path, link);
    await assert.rejects(readKeyFile(link), insecure(['symlink'], 'symbolic link'));
  });

  it('refuses a directory and a FIFO', async () => {
    await mkdir(join(dir, 'adir'), { mode: 0o700 });
    await assert.rejects(
      readKeyFile(join(dir, 'adir')),
      insecure(['not-regular-file'], 'a directory'),
    );
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', ['-m', '600', fifo]).status === 0) {
      await assert.rejects(readKeyFile(fifo), insecure(['not-regular-file'], 'a FIFO'));
    }
  });

  it('refuses malformed content, saying what is wrong', async () => {
    const cases: [string | Uint8Array, string][] = [
      ['', 'no key line'],
      ['# only a comment\n', 'no key line'],
      [`${'ab'.repeat(31)}\n`, '31 bytes, at least 32'],
      [`${'ab'.repeat(65)}\n`, '65 bytes, at most 64'],
      [`${HEX32}a\n`, 'odd number'],
      [`${HEX32.slice(2)}zz\n`, 'not hexadecimal'],
      [`${Buffer.from(HEX32, 'hex').toString('base64')}\n`, 'not hexadecimal'],
      [`${HEX32}\n${HEX32}\n`, '2 lines'],
      [Uint8Array.from([0xff, 0xfe, 0x00, 0x41]), 'not text'],
      [`# ${'x'.repeat(5000)}\n${HEX32}\n`, 'bytes long'],
    ];
    for (const [content, problem] of cases) {
      await keyFile(content, 0o600);
      await assert.rejects(readKeyFile(path), malformed(problem, 'haven keygen'), problem);
    }
  });

  it('reports a missing file with what to do', async () => {
    await assert.rejects(
      readKeyFile(path),
      (e: unknown) =>
        e instanceof KeyFileIoError &&
        e.details.errno === 'ENOENT' &&
        e.message.includes('haven keygen'),
    );
  });

  it('parses what it formats', () => {
    const key = generateKey();
    assert.deepEqual(parseKey(formatKey(key)), { ok: true, key });
    assert.deepEqual(parseKey('00'.repeat(64)), { ok: true, key: new Uint8Array(64) });
  });

  it('quotes paths for the shell commands it suggests', () => {
    assert.equal(shellQuote('/etc/haven/cluster.key'), '/etc/haven/cluster.key');
    assert.equal(shellQuote('/tmp/my key'), `'/tmp/my key'`);
    assert.equal(shellQuote(`/tmp/it's`), `'/tmp/it'\\''s'`);
  });
});
