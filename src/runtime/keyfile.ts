// The cluster key file: 32 random bytes, as hex text under a comment line, mode 0400, owned
// by the user the agent runs as (root). Whoever holds the key can forge any cluster
// message, so reading refuses a file that anyone else could have read or swapped.
//
// Format (hex rather than base64: one strict alphabet, no padding variants, and Node's
// base64 decoder silently skips characters it does not know, which would hide damage):
//
//   # Haven cluster key (HMAC-SHA256). ...
//   3f9a...c1            64 hex digits
//
// Lines starting with "#" and blank lines are ignored; CRLF line ends are accepted (a file
// that went through a Windows editor); exactly one line of 64 to 128 hex digits must remain.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf } from '../core/errors.js';
import { MIN_KEY_BYTES } from './hmac.js';
import { shellQuote } from './shell-quote.js';
import {
  KeyFileExistsError,
  KeyFileInsecureError,
  KeyFileIoError,
  KeyFileMalformedError,
  type KeyFileInsecurity,
} from './keyfile-errors.js';

/** What `generateKey` makes. */
export const KEY_BYTES = 32;
/** HMAC hashes a key longer than SHA-256's 64-byte block first, so more adds nothing. */
export const MAX_KEY_BYTES = 64;
/** Far more than a key with comments needs; stops us reading a wrong, huge file. */
export const MAX_KEY_FILE_BYTES = 4096;

const HEADER =
  '# Haven cluster key (HMAC-SHA256). The same file on every node of the cluster, owned by root, mode 0400 or 0600. Keep it secret.';

/** KEY_BYTES bytes from the system's CSPRNG. */
export function generateKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/** The file content for `key`: the header line, then the key in lower-case hex. */
export function formatKey(key: Uint8Array): string {
  return `${HEADER}\n${Buffer.from(key).toString('hex')}\n`;
}

/** The key in a key file's text, or what is wrong with it (a phrase for an error message). */
export function parseKey(
  text: string,
):
  | { readonly ok: true; readonly key: Uint8Array }
  | { readonly ok: false; readonly problem: string } {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return { ok: false, problem: 'it holds no key line' };
  if (lines.length > 1) return { ok: false, problem: `it holds ${lines.length} lines, not one` };
  const hex = lines[0] ?? '';
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    return { ok: false, problem: 'the key line is not hexadecimal' };
  }
  if (hex.length % 2 !== 0)
    return { ok: false, problem: 'the key has an odd number of hex digits' };
  const bytes = hex.length / 2;
  if (bytes < MIN_KEY_BYTES) {
    return {
      ok: false,
      problem: `the key is ${bytes} bytes, at least ${MIN_KEY_BYTES} are needed`,
    };
  }
  if (bytes > MAX_KEY_BYTES) {
    return { ok: false, problem: `the key is ${bytes} bytes, at most ${MAX_KEY_BYTES} are used` };
  }
  return { ok: true, key: new Uint8Array(Buffer.from(hex, 'hex')) };
}

export interface WriteKeyFileOptions {
  /** Replace an existing file. @default false: an existing file is an error and stays as it was. */
  readonly force?: boolean;
}

// Module-wide, with random bits: two writers (or a crash leftover) never share a temp name.
let tempCounter = 0;

/**
 * Writes a new key to `path` (whose directory must exist) and returns it. The file appears
 * whole or not at all, with mode 0400: it is written to a temporary file created with O_EXCL,
 * fsynced, then published and the directory fsynced. Without `force` it is published with
 * link(), which fails if anything is at `path`, so an existing key is never replaced, not
 * even by a concurrent keygen: KeyFileExistsError. With `force`, rename() replaces it.
 * Other failures: KeyFileIoError.
 */
export async function writeKeyFile(
  path: string,
  options: WriteKeyFileOptions = {},
): Promise<Uint8Array> {
  const force = options.force === true;
  const key = generateKey();
  const directory = dirname(path);
  const temp = join(
    directory,
    `.${basename(path)}.tmp-${process.pid}-${++tempCounter}-${randomBytes(4).toString('hex')}`,
  );
  let file: FileHandle | undefined;
  let stage: 'temp' | 'publish' | 'sync' = 'temp';
  try {
    file = await open(temp, 'wx', 0o400);
    // The umask can only narrow the creation mode, but say it exactly.
    await file.chmod(0o400);
    await file.writeFile(formatKey(key));
    // Data on disk before the name: a crash must not leave an empty key under `path`.
    await file.sync();
    await file.close();
    file = undefined;
    stage = 'publish';
    if (force) {
      await rename(temp, path);
    } else {
      await link(temp, path);
      await unlink(temp);
    }
    stage = 'sync';
    await syncDirectory(directory);
  } catch (error) {
    await file?.close().catch(() => undefined);
    if (stage !== 'sync') await unlink(temp).catch(() => undefined);
    if (stage === 'publish' && !force && errnoOf(error) === 'EEXIST') {
      throw new KeyFileExistsError(path);
    }
    throw new KeyFileIoError('write', path, error);
  }
  return key;
}

export interface ReadKeyFileOptions {
  /** The owner the file must have. @default the process's effective uid (root for the agent). */
  readonly uid?: number;
}

/**
 * The key in `path`. Refuses (KeyFileInsecureError) a symbolic link, anything but a regular
 * file, a file owned by another user than `uid`, and a file with any permission for group
 * or others; refuses (KeyFileMalformedError) content that parseKey rejects or a file over
 * MAX_KEY_FILE_BYTES. Cannot open it: KeyFileIoError.
 *
 * The checks are made on the opened file (fstat), not on the name, so the file cannot be
 * swapped between the check and the read.
 */
export async function readKeyFile(
  path: string,
  options: ReadKeyFileOptions = {},
): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a link could be repointed by whoever owns it or its directory. O_NONBLOCK:
    // opening a FIFO must not hang the agent; it is refused below as not a regular file.
    handle = await open(
      path,
      fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK,
    );
  } catch (error) {
    if (errnoOf(error) === 'ELOOP' && (await isSymlink(path))) {
      throw new KeyFileInsecureError(
        path,
        ['symlink'],
        'is a symbolic link',
        `replace the link by the key file itself (a regular file owned by root, mode 0600): cp --remove-destination "$(readlink -f ${shellQuote(path)})" ${shellQuote(path)}`,
      );
    }
    throw new KeyFileIoError('read', path, error);
  }
  try {
    const stats = await handle.stat();
    checkSafe(path, stats, options.uid ?? process.geteuid?.());
    if (stats.size > MAX_KEY_FILE_BYTES) {
      throw new KeyFileMalformedError(path, `it is ${stats.size} bytes long, a key file is tiny`);
    }
    const data = await handle.readFile();
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      throw new KeyFileMalformedError(path, 'it is not text');
    }
    const parsed = parseKey(text);
    if (!parsed.ok) throw new KeyFileMalformedError(path, parsed.problem);
    return parsed.key;
  } catch (error) {
    if (error instanceof KeyFileInsecureError || error instanceof KeyFileMalformedError)
      throw error;
    throw new KeyFileIoError('read', path, error);
  } finally {
    await handle.close();
  }
}

function checkSafe(path: string, stats: Stats, uid: number | undefined): void {
  const q = shellQuote(path);
  if (!stats.isFile()) {
    throw new KeyFileInsecureError(
      path,
      ['not-regular-file'],
      `is ${kindOf(stats)}, not a regular file`,
      'give the path of the key file itself (`haven keygen` writes one)',
    );
  }
  const mode = stats.mode & 0o7777;
  const problems: KeyFileInsecurity[] = [];
  const what: string[] = [];
  const fixes: string[] = [];
  if (uid !== undefined && stats.uid !== uid) {
    problems.push('wrong-owner');
    what.push(`is owned by uid ${stats.uid}, not by ${uid === 0 ? 'root' : `uid ${uid}`}`);
    fixes.push(`chown ${uid === 0 ? 'root:root' : String(uid)} ${q}`);
  }
  // Execute counts too: no bit for group or others has any business on a key.
  if ((mode & 0o077) !== 0) {
    problems.push('group-or-other-access');
    what.push(`can be accessed by group or others (mode ${octal(mode)})`);
    fixes.push(`chmod 600 ${q}`);
  }
  if (problems.length === 0) return;
  const exposed = problems.includes('group-or-other-access')
    ? '; if someone else may have read it, make a new key with `haven keygen --force` and copy it to every node'
    : '';
  throw new KeyFileInsecureError(
    path,
    problems,
    what.join(' and '),
    `${fixes.join(' && ')}${exposed}`,
    {
      mode,
      owner: stats.uid,
      expectedOwner: uid,
    },
  );
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
