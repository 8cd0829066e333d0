// `haven verify FILE`: the reference's cluster verification, as static checks on the file.

import type { LoadResult } from '../core/config/load.js';
import { loadClusterFile } from '../runtime/cluster-file.js';
import { countBySeverity, formatDiagnostic } from '../core/config/diagnostic.js';
import { detectionTimes, explainConfig } from '../core/config/explain.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

export interface VerifyOptions {
  readonly json?: boolean;
  readonly explain?: boolean;
}

/** Reads the file and its program files; an unreadable file is reported like any other error. */
export function loadFile(file: string): Promise<LoadResult> {
  return loadClusterFile(file);
}

export function verifyExitCode(result: LoadResult): number {
  const c = countBySeverity(result.diagnostics);
  return c.error > 0 ? EXIT.errors : c.warning > 0 ? EXIT.warnings : EXIT.ok;
}

export async function verifyCommand(
  file: string,
  opts: VerifyOptions,
  io: Output,
): Promise<number> {
  const result = await loadFile(file);
  const code = verifyExitCode(result);
  const counts = countBySeverity(result.diagnostics);
  if (opts.json === true) {
    io.out(
      JSON.stringify(
        {
          file,
          ok: result.ok,
          exitCode: code,
          errors: counts.error,
          warnings: counts.warning,
          diagnostics: result.diagnostics.map((d) => ({ ...d, path: [...d.path] })),
          ...(result.config ? { detection: detectionTimes(result.config) } : {}),
          ...(result.config && opts.explain === true
            ? { explanation: explainConfig(result.config) }
            : {}),
        },
        null,
        2,
      ),
    );
    return code;
  }
  const problems = result.diagnostics.filter((d) => d.severity !== 'info');
  const notes = result.diagnostics.filter((d) => d.severity === 'info');
  for (const d of problems) io.out(formatDiagnostic(d));
  if (opts.explain === true && result.config && counts.error === 0) {
    if (problems.length) io.out('');
    io.out(explainConfig(result.config).join('\n'));
  } else if (notes.length) {
    if (problems.length) io.out('');
    for (const d of notes) io.out(`note: ${d.message}`);
  }
  const summary =
    counts.error + counts.warning === 0
      ? `${file}: verified, no errors, no warnings.`
      : `${file}: ${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}.`;
  io.out(`\n${summary}`);
  return code;
}
