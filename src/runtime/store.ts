// The durable store as files in one directory, one file per key.
import {
  chmod,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, StoreIoError } from '../core/errors.js';
import {
  isValidStoreKey,
  validateStoreKey,
  validateStoreKeyPrefix,
  type DurableStore,
} from '../core/ports/store.js';

// Temporary files start with "." and keys cannot: a crash leftover is never mistaken for a key.
const TEMP_PREFIX = '.tmp-';
// Module-wide, so two stores in one process never pick the same temporary name.
let tempCounter = 0;

/**
 * Files in one directory (mode 0700, files 0600: it holds the cluster configuration and
 * possibly keys). One FileStore per directory at a time: opening cleans temporary files,
 * which would break a concurrent writer.
 */
export class FileStore implements DurableStore {
  readonly directory: string;

  private constructor(directory: string) {
    this.directory = directory;
  }

  /** Creates the directory if needed, tightens it to 0700 and removes crash leftovers. */
  static async open(directory: string): Promise<FileStore> {
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await chmod(directory, 0o700);
      const leftovers = (await readdir(directory)).filter((name) => name.startsWith(TEMP_PREFIX));
      for (const name of leftovers) await unlinkIfPresent(join(directory, name));
    } catch (error) {
      throw new StoreIoError('open', undefined, error);
    }
    return new FileStore(directory);
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    validateStoreKey(key);
    try {
      const data = await readFile(join(this.directory, key));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw new StoreIoError('read', key, error);
    }
  }

  async writeAtomic(key: string, data: Uint8Array): Promise<void> {
    validateStoreKey(key);
    const temp = join(this.directory, `${TEMP_PREFIX}${key}.${process.pid}.${++tempCounter}`);
    let file: FileHandle | undefined;
    try {
      file = await open(temp, 'wx', 0o600);
      // The umask could have narrowed the mode; it can never widen it, but say it exactly.
      await file.chmod(0o600);
      await file.writeFile(data);
      // Data on disk before the rename: otherwise a crash could leave the new name pointing
      // at an empty or partial file (the classic ext4 zero-length-file problem).
      await file.sync();
      await file.close();
      file = undefined;
      await rename(temp, join(this.directory, key));
      // The rename itself is a directory entry change: durable only once the directory is.
      await syncDirectory(this.directory);
    } catch (error) {
      await file?.close().catch(() => undefined);
      await unlinkIfPresent(temp).catch(() => undefined);
      throw new StoreIoError('write', key, error);
    }
  }

  async list(prefix = ''): Promise<string[]> {
    validateStoreKeyPrefix(prefix);
    try {
      const entries = await readdir(this.directory, { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && isValidStoreKey(e.name) && e.name.startsWith(prefix))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      throw new StoreIoError('list', undefined, error);
    }
  }

  async remove(key: string): Promise<void> {
    validateStoreKey(key);
    try {
      if (await unlinkIfPresent(join(this.directory, key))) await syncDirectory(this.directory);
    } catch (error) {
      throw new StoreIoError('remove', key, error);
    }
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

/** True if the file was there. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}
