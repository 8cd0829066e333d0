// Findings about a cluster definition, from the loader and from verify, in one shape.

export type Path = readonly (string | number)[];

export type Severity = 'error' | 'warning' | 'info';

/** What a check found, before it is placed in the file. */
export interface Finding {
  readonly severity: Severity;
  /** Stable identifier of the check, e.g. "unknown-key", "ipat-alias-subnet". */
  readonly code: string;
  /** Where in the document: the field path, e.g. ["resourceGroups", 0, "nodes", 1]. */
  readonly path: Path;
  /** What was wrong, in a sentence. */
  readonly message: string;
  /** What is expected there. */
  readonly expected?: string;
  /** What to do about it. */
  readonly hint?: string;
}

/** A finding placed in the file. Line and column are 1-based. */
export interface Diagnostic extends Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** "resourceGroups[0].nodes[1]" */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One finding as the command line prints it: file:line:col: severity [code] path: message */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path.length ? `${formatPath(d.path)}: ` : '';
  let s = `${d.file}:${d.line}:${d.column}: ${d.severity} [${d.code}] ${where}${d.message}`;
  if (d.expected !== undefined) s += `\n    expected: ${d.expected}`;
  if (d.hint !== undefined) s += `\n    fix: ${d.hint}`;
  return s;
}

export function countBySeverity(ds: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of ds) counts[d.severity]++;
  return counts;
}

/** Stable order: by position in the file, then code. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code),
  );
}
