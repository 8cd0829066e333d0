// Typed errors of the cluster key file. Each says what is wrong with which file and what to
// do about it: the message ends with the fix, and `details.fix` holds it alone.
import { errnoOf, HavenError } from '../core/errors.js';

/** What makes a key file unsafe to use. */
export type KeyFileInsecurity =
  'symlink' | 'not-regular-file' | 'group-or-other-access' | 'wrong-owner';

/** The key file exists but may have been read or replaced by someone else: the agent refuses it. */
export class KeyFileInsecureError extends HavenError<{
  readonly path: string;
  readonly problems: readonly KeyFileInsecurity[];
  /** Permission bits (0o7777), when the file could be examined. */
  readonly mode: number | undefined;
  readonly owner: number | undefined;
  readonly expectedOwner: number | undefined;
  readonly fix: string;
}> {
  constructor(
    path: string,
    problems: readonly KeyFileInsecurity[],
    what: string,
    fix: string,
    facts: {
      readonly mode?: number | undefined;
      readonly owner?: number | undefined;
      readonly expectedOwner?: number | undefined;
    } = {},
  ) {
    super('KEY_FILE_INSECURE', `cluster key file ${path} ${what}. Fix: ${fix}`, {
      details: {
        path,
        problems,
        mode: facts.mode,
        owner: facts.owner,
        expectedOwner: facts.expectedOwner,
        fix,
      },
    });
  }
}

/** The file is not a cluster key as `haven keygen` writes it (damaged, truncated, something else). */
export class KeyFileMalformedError extends HavenError<{
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}> {
  constructor(path: string, problem: string) {
    const fix =
      'copy the key file again from a node that has the cluster key, or generate a new key with `haven keygen --force` and copy it to every node';
    super(
      'KEY_FILE_MALFORMED',
      `cluster key file ${path} is not a Haven key: ${problem}. Fix: ${fix}`,
      {
        details: { path, problem, fix },
      },
    );
  }
}

/** writeKeyFile without `force` found a file (or anything else) at the path: nothing was changed. */
export class KeyFileExistsError extends HavenError<{
  readonly path: string;
  readonly fix: string;
}> {
  constructor(path: string) {
    const fix =
      'keep it, or replace it on purpose (force); a new key must then be copied to every node';
    super('KEY_FILE_EXISTS', `${path} already exists and was left untouched. Fix: ${fix}`, {
      details: { path, fix },
    });
  }
}

/** The system refused an operation on the key file (no such file, permission denied, I/O error). */
export class KeyFileIoError extends HavenError<{
  readonly path: string;
  readonly op: 'read' | 'write';
  readonly errno: string | undefined;
  readonly fix: string;
}> {
  constructor(op: 'read' | 'write', path: string, cause: unknown) {
    const errno = errnoOf(cause);
    const fix = ioFix(op, errno);
    const why = cause instanceof Error ? cause.message : String(cause);
    super('KEY_FILE_IO', `cannot ${op} cluster key file ${path}: ${why}. Fix: ${fix}`, {
      details: { path, op, errno, fix },
      cause,
    });
  }
}

function ioFix(op: 'read' | 'write', errno: string | undefined): string {
  switch (errno) {
    case 'ENOENT':
      return op === 'read'
        ? 'generate a key on one node with `haven keygen` and copy the file to every node'
        : 'create the directory first, or give another path';
    case 'EACCES':
    case 'EPERM':
      return 'run as root';
    case 'EROFS':
      return 'the file system is read-only: give a path on a writable one';
    case 'EISDIR':
      return 'the path is a directory: give the path of the key file itself';
    case 'ENOTDIR':
      return 'a component of the path is not a directory: check the path';
    default:
      return 'check the path and the file system';
  }
}
