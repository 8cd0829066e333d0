// `haven keygen [FILE]`: a new cluster key, readable by its owner only, and how to give the
// same file to every node.
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoOf } from '../core/errors.js';
import { KEY_BYTES, writeKeyFile } from '../runtime/keyfile.js';
import { shellQuote } from '../runtime/shell-quote.js';
import { KeyFileExistsError, KeyFileIoError } from '../runtime/keyfile-errors.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

export const DEFAULT_KEY_PATH = '/etc/haven/cluster.key';

export interface KeygenOptions {
  /** Replace an existing key file. @default false */
  readonly force?: boolean;
}

/**
 * Writes a new key to `path` (default DEFAULT_KEY_PATH), creating its missing directories
 * with mode 0700; an existing directory is left as it is. Exit status 0 when written, 1
 * when not (the file exists and `force` is not set, permission denied, I/O error).
 */
export async function keygenCommand(
  path: string | undefined,
  opts: KeygenOptions,
  io: Output,
): Promise<number> {
  // Absolute, so the copy instructions below work from any directory.
  const file = resolve(path ?? DEFAULT_KEY_PATH);
  const force = opts.force === true;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    io.err(`haven keygen: cannot create the directory ${dirname(file)}: ${failure(error)}`);
    return EXIT.errors;
  }
  // Only to tell the operator that a key was replaced; writeKeyFile itself never
  // overwrites without force, whatever happens between this look and the write.
  const replaced = force && (await exists(file));
  try {
    await writeKeyFile(file, { force });
  } catch (error) {
    if (error instanceof KeyFileExistsError) {
      io.err(
        `haven keygen: ${file} already exists; a cluster key is never replaced silently.\n` +
          `To replace it, run: haven keygen --force ${shellQuote(file)}\n` +
          'then copy the new key to every node: until they all have it, nodes with the old key and nodes with the new one ignore each other.',
      );
    } else {
      io.err(`haven keygen: cannot write ${file}: ${failure(error)}`);
    }
    return EXIT.errors;
  }
  io.out(instructions(file, replaced, process.geteuid?.()));
  return EXIT.ok;
}

function instructions(file: string, replaced: boolean, uid: number | undefined): string {
  const q = shellQuote(file);
  const dir = shellQuote(dirname(file));
  const owner = uid === undefined ? '' : uid === 0 ? ', owner root' : `, owner uid ${uid}`;
  const lines = [
    `Wrote a new cluster key to ${file} (${KEY_BYTES} random bytes, hex; mode 0400${owner}).`,
  ];
  if (replaced) {
    lines.push(
      'It replaced the previous key: nodes with the old key and nodes with the new one ignore each other until every node has the new one.',
    );
  }
  if (uid !== undefined && uid !== 0) {
    lines.push(
      `Note: the agent runs as root and refuses a key file that root does not own: as root, run chown root:root ${q}`,
    );
  }
  lines.push(
    '',
    'Every node of the cluster needs this same file. Copy it over a secure channel, for each other node:',
    `  ssh root@NODE 'install -d -m 0700 ${dir}'`,
    `  scp -p ${q} root@NODE:${q}`,
    'On every node it must be a regular file owned by root, mode 0400 or 0600; the agent refuses one',
    `that group or others can read (fix: chown root:root ${q} && chmod 0400 ${q}).`,
    'Keep it out of mail, tickets, backups in clear and repositories: whoever has it can forge cluster messages.',
  );
  return lines.join('\n');
}

/** The reason, and what to do, for an operator. */
function failure(error: unknown): string {
  const errno = error instanceof KeyFileIoError ? error.details.errno : errnoOf(error);
  switch (errno) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied. Run it as root (sudo haven keygen), or give a path you can write.';
    case 'EROFS':
      return 'the file system is read-only. Give a path on a writable one.';
    case 'EISDIR':
      return 'it is a directory. Give the path of the key file itself.';
    case 'ENOTDIR':
      return 'a component of the path is not a directory. Check the path.';
    case 'ENOSPC':
      return 'no space left on the device.';
    default: {
      const cause = error instanceof KeyFileIoError ? error.cause : error;
      return cause instanceof Error ? cause.message : String(cause);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
