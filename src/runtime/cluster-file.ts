// Reading a cluster definition from disk: the file, then the recovery program files its user
// events name (programFile), each reported at its own lines. The parsing is the pure loader's
// (core/config/load.ts); this is only the reading, shared by `haven verify` and the agent.

import { readFile } from 'node:fs/promises';
import {
  parseClusterDefinition,
  programFilesOf,
  type LoadResult,
  type ProgramFileText,
} from '../core/config/load.js';
import type { Diagnostic } from '../core/config/diagnostic.js';

export interface LoadedFile extends LoadResult {
  /** The definition's text, when it could be read (the agent hands it to its heartbeat thread). */
  readonly text: string | undefined;
}

/** Why a file could not be read, in words. */
function unreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a directory'
        : e instanceof Error
          ? e.message
          : String(e);
}

/**
 * Reads, parses and verifies a definition and (unless `programFiles` is false: the quorum
 * server runs no events) the program files it names. Never throws.
 */
export async function loadClusterFile(
  file: string,
  options: { readonly programFiles?: boolean } = {},
): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const d: Diagnostic = {
      severity: 'error',
      code: 'file-unreadable',
      path: [],
      message: `cannot read the cluster definition: ${unreadable(e)}`,
      hint: 'give the path of a cluster YAML file, e.g. examples/two-node-hot-standby.yaml',
      file,
      line: 1,
      column: 1,
    };
    return { ok: false, config: undefined, diagnostics: [d], text: undefined };
  }
  const first = parseClusterDefinition(text, file);
  const paths = options.programFiles === false ? [] : programFilesOf(first.config);
  if (paths.length === 0) return { ...first, text };
  const programFiles = new Map<string, ProgramFileText>();
  for (const p of paths) {
    try {
      programFiles.set(p, { text: await readFile(p, 'utf8') });
    } catch (e) {
      programFiles.set(p, { error: unreadable(e) });
    }
  }
  return { ...parseClusterDefinition(text, file, { programFiles }), text };
}
