// Reading a cluster definition: YAML text in, the model and every finding out, each finding
// placed at file:line:column. It takes text, not a file name to open, so it stays pure; the
// CLI and the agent read the file.
//
// Nothing here throws for any input: a problem with the text is a diagnostic. A throw would be
// a bug in Haven, and parseClusterDefinition reports it as an "internal" diagnostic that the
// property tests look for.

import { LineCounter, parseDocument, isMap, isScalar, isSeq, isPair } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type * as z from 'zod';
import { clusterFileSchema } from './schema.js';
import { normalize } from './normalize.js';
import type { ClusterConfig } from './model.js';
import type { Diagnostic, Finding, Path } from './diagnostic.js';
import { sortDiagnostics } from './diagnostic.js';
import { didYouMean } from './suggest.js';
import { knownKeysAt } from './schema-walk.js';
import { verifyConfig } from './verify/index.js';
import { parseRecoveryProgram } from '../events/program.js';
import { isEventScriptCommand } from '../events/builtin.js';
import { relativeCommand } from './verify/commands.js';

/** A cluster file larger than this is refused before parsing. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface LoadResult {
  /** True when there is no error (warnings allowed). */
  readonly ok: boolean;
  /** The model, when the file had the right shape (even if verify found errors). */
  readonly config: ClusterConfig | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export interface LoadOptions {
  /** Run the semantic checks of verify/ too (default true). */
  readonly verify?: boolean;
  /**
   * The text of each user event's programFile (or why it could not be read), by path as the
   * definition writes it: the caller reads them (see programFilesOf). Each is parsed as a .rp
   * file, its findings placed in it, and its program becomes the event's. Without this map the
   * files are not looked at.
   */
  readonly programFiles?: ReadonlyMap<string, ProgramFileText>;
}

export type ProgramFileText = { readonly text: string } | { readonly error: string };

/** The program files a definition names, to read before loading it again with programFiles. */
export function programFilesOf(config: ClusterConfig | undefined): string[] {
  const files = (config?.userEvents ?? []).flatMap((u) =>
    u.programFile === undefined ? [] : [u.programFile],
  );
  return [...new Set(files)];
}

/** Where a path points in the document. */
class Locator {
  constructor(
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** Line and column of the deepest node on the path; of the key itself when `key` is set. */
  at(path: Path, key = false): { line: number; column: number } {
    let node: unknown = this.doc?.contents;
    let offset = rangeStart(node) ?? 0;
    for (const [i, seg] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (last && key) {
          offset = rangeStart(pair.key) ?? offset;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        break;
      }
      // A key whose value is empty (`name:`) has no value node: stay on the key's line.
      offset = rangeStart(node) ?? offset;
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

function rangeStart(node: unknown): number | undefined {
  if (isPair(node)) return rangeStart(node.key);
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** A short description of a value as the administrator wrote it. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return v.length > 60 ? `"${v.slice(0, 57)}..."` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

// zod's own messages start like this; any other message is one of ours and says what is expected.
const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Expected|Unrecognized)/;

function expectedFrom(issue: z.core.$ZodIssue): string | undefined {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small': {
      const n = String(issue.minimum);
      if (issue.origin === 'array') return `at least ${n} item${n === '1' ? '' : 's'}`;
      if (issue.origin === 'string') return `at least ${n} character${n === '1' ? '' : 's'}`;
      return `a number ${issue.inclusive ? '>=' : '>'} ${n}`;
    }
    case 'too_big': {
      const n = String(issue.maximum);
      if (issue.origin === 'array') return `at most ${n} items`;
      if (issue.origin === 'string') return `at most ${n} characters`;
      return `a number ${issue.inclusive ? '<=' : '<'} ${n}`;
    }
    default:
      return undefined;
  }
}

/** How far into the input a union branch got: its deepest issue path. */
function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(
    ...issues.map((i) =>
      i.code === 'invalid_type' && i.path.length === 0
        ? -1
        : i.path.length + (i.code === 'invalid_union' ? 0 : 1),
    ),
  );
}

function findingsFromIssue(issue: z.core.$ZodIssue, prefix: Path, out: Finding[]): void {
  const path: Path = [...prefix, ...(issue.path as (string | number)[])];
  const input = issue.input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(clusterFileSchema, path);
      for (const key of issue.keys) {
        out.push({
          severity: 'error',
          code: 'unknown-key',
          path: [...path, key],
          message: `unknown key "${key}"${didYouMean(key, known)}`,
          expected: known.length ? `one of: ${known.join(', ')}` : 'no other keys here',
          hint: 'fix the spelling, or remove the key',
        });
      }
      return;
    }
    case 'invalid_union': {
      // zod marks a discriminated union whose `type` matched no branch with these fields.
      const disc = issue as typeof issue & {
        note?: string;
        discriminator?: string;
        options?: unknown[];
      };
      if (disc.note === 'No matching discriminator' && disc.options && disc.discriminator) {
        const found = (input as Record<string, unknown> | undefined)?.[disc.discriminator];
        const options = disc.options.map(String);
        const issuePath = path.slice(0, -1);
        out.push({
          severity: 'error',
          code: 'invalid-value',
          path: found === undefined ? issuePath : path,
          message:
            found === undefined
              ? `missing "${disc.discriminator}"`
              : `unknown ${disc.discriminator} ${describeValue(found)}${typeof found === 'string' ? didYouMean(found, options) : ''}`,
          expected: `one of ${options.map((o) => `"${o}"`).join(', ')}`,
        });
        return;
      }
      // Report the branch that matched the input best: the one whose errors are deepest.
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
      if (best && depth(best) >= 0) {
        for (const sub of best) findingsFromIssue(sub, path, out);
        return;
      }
      out.push({
        severity: 'error',
        code: 'invalid-value',
        path,
        message: `found ${describeValue(input)}`,
        expected: ZOD_DEFAULT.test(issue.message) ? 'a different value' : issue.message,
      });
      return;
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      out.push({
        severity: 'error',
        code: 'invalid-value',
        path,
        message: `found ${describeValue(input)}${typeof input === 'string' ? didYouMean(input, options) : ''}`,
        expected: expectedFrom(issue) ?? `one of ${options.join(', ')}`,
      });
      return;
    }
    default: {
      const missing = issue.code === 'invalid_type' && input === undefined;
      const expected = expectedFrom(issue);
      out.push({
        severity: 'error',
        code: missing ? 'missing-key' : 'invalid-value',
        path,
        message: missing
          ? `missing required field "${String(path[path.length - 1])}"`
          : `found ${describeValue(input)}`,
        ...(expected === undefined ? {} : { expected }),
      });
    }
  }
}

function placeAll(findings: readonly Finding[], file: string, locator: Locator): Diagnostic[] {
  return findings.map((f) => ({
    ...f,
    file,
    // These findings are about a key itself (a misspelt or unknown name), not its value.
    ...locator.at(f.path, f.code === 'unknown-key' || f.code === 'unknown-event'),
  }));
}

function parse(text: string, file: string, options: LoadOptions): LoadResult {
  const lines = new LineCounter();
  const noConfig = (findings: Finding[], locator = new Locator(undefined, lines)): LoadResult => ({
    ok: false,
    config: undefined,
    diagnostics: sortDiagnostics(placeAll(findings, file, locator)),
  });

  if (text.length > MAX_FILE_BYTES) {
    return noConfig([
      {
        severity: 'error',
        code: 'file-too-large',
        path: [],
        message: `the file is ${text.length} bytes, more than a cluster definition should be`,
        expected: `at most ${MAX_FILE_BYTES} bytes`,
      },
    ]);
  }

  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locator = new Locator(doc, lines);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      config: undefined,
      diagnostics: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          severity: 'error' as const,
          code: 'yaml-syntax',
          path: [],
          message: e.message.split('\n')[0] ?? e.message,
          hint: 'this is not valid YAML at this point; check indentation, quotes and colons',
          file,
          line: pos.line,
          column: pos.col,
        };
      }),
    };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return noConfig([
      {
        severity: 'error',
        code: 'yaml-syntax',
        path: [],
        message: e instanceof Error ? e.message : String(e),
        hint: 'simplify the YAML aliases (*name) in the file',
      },
    ]);
  }

  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    return noConfig(
      [
        {
          severity: 'error',
          code: 'not-a-mapping',
          path: [],
          message: `the file holds ${describeValue(data)}, not a cluster definition`,
          expected:
            'a mapping with the keys cluster, networks, nodes (and optionally tunables, resources, resourceGroups, dependencies, events, userEvents)',
          hint: 'start from one of the files in examples/',
        },
      ],
      locator,
    );
  }

  const parsed = clusterFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const findings: Finding[] = [];
    for (const issue of parsed.error.issues) findingsFromIssue(issue, [], findings);
    return noConfig(findings, locator);
  }

  const normalized = normalize(parsed.data);
  const { findings } = normalized;
  const all =
    options.verify === false ? findings : [...findings, ...verifyConfig(normalized.config)];
  const files = options.programFiles
    ? withProgramFiles(normalized.config, options.programFiles)
    : { config: normalized.config, findings: [], diagnostics: [] };
  const diagnostics = sortDiagnostics([
    ...placeAll([...all, ...files.findings], file, locator),
    ...files.diagnostics,
  ]);
  return {
    ok: !diagnostics.some((d) => d.severity === 'error'),
    config: files.config,
    diagnostics,
  };
}

/**
 * Gives each user event with a programFile the program parsed from it. A file that could not be
 * read is a finding at the programFile field; what is wrong inside the file is reported at its
 * own lines.
 */
function withProgramFiles(
  config: ClusterConfig,
  texts: ReadonlyMap<string, ProgramFileText>,
): { config: ClusterConfig; findings: Finding[]; diagnostics: Diagnostic[] } {
  const findings: Finding[] = [];
  const diagnostics: Diagnostic[] = [];
  const userEvents = config.userEvents.map((u) => {
    const file = u.programFile;
    if (file === undefined || u.program !== undefined) return u;
    const got = texts.get(file);
    if (got === undefined) return u;
    if ('error' in got) {
      findings.push({
        severity: 'error',
        code: 'program-file-unreadable',
        path: [...u.at, 'programFile'],
        message: `cannot read the recovery program of user event ${u.name}, ${u.programFile}: ${got.error}`,
        hint: 'install the .rp file at this path on every node, or give the program inline',
      });
      return u;
    }
    const r = parseRecoveryProgram(got.text, file);
    diagnostics.push(...r.diagnostics);
    if (!r.ok) return u;
    // The warnings verify gives an inline program's commands, at the file's lines.
    r.program.forEach((step, n) => {
      if (step.type !== 'command' || isEventScriptCommand(step.run)) return;
      const f = relativeCommand(step.run, `step ${String(n + 1)} of user event ${u.name}`);
      if (f) diagnostics.push({ ...f, path: [], file, line: r.lines[n] ?? 1, column: 1 });
    });
    return { ...u, program: r.program };
  });
  return { config: { ...config, userEvents }, findings, diagnostics };
}

/** Parse, validate and (by default) verify a cluster definition. Never throws. */
export function parseClusterDefinition(
  text: string,
  file: string,
  options: LoadOptions = {},
): LoadResult {
  try {
    return parse(text, file, options);
  } catch (e) {
    return {
      ok: false,
      config: undefined,
      diagnostics: [
        {
          severity: 'error',
          code: 'internal',
          path: [],
          message: `Haven failed to read this file: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          hint: 'this is a bug in Haven; please report it with the file',
          file,
          line: 1,
          column: 1,
        },
      ],
    };
  }
}
