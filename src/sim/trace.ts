// The failure report's memory: a bounded ring of small records (time, node, kind and two
// references), written on every simulated event and formatted into text only when someone asks
// (a failing seed, a replay). Recording costs a few array stores and no string work.
//
// Even so, a ring that keeps references keeps every recent message and input alive past the
// young generation, and that was the largest single cost of a run (measured: a 4096-record
// ring halved the seeds per second). So a batch runs with the ring off (capacity 0), and a
// seed that fails is run again with it on: runs are deterministic, so the second run fails
// the same way and its trace is the trace of the failure (run.ts checks that it is).
//
// Records hold references to messages, inputs and log fields as they were emitted. The core
// never mutates what it has emitted (states and effects are immutable), so formatting later
// shows them as they were.

/** What a trace record is about; `a` and `b` depend on it (see formatRecord). */
export const TraceKind = {
  /** Node started: a = incarnation. */
  start: 1,
  /** Message delivered: a = from, b = message. */
  recv: 2,
  wake: 3,
  /** Liveness input: a = up set. */
  liveness: 4,
  /** Command requested: a = runId, b = command. */
  run: 5,
  /** Command result delivered: a = the run-result input. */
  runResult: 6,
  /** Tie-breaker requested: a = requestId. */
  tiebreak: 7,
  /** Tie-breaker answer delivered: a = requestId, b = granted. */
  tiebreakResult: 8,
  /** Holding changed: a = group, b = held. */
  holding: 9,
  /** Log effect: a = the effect. */
  log: 10,
  exit: 11,
  /** Fault applied: a = the fault, b = a note (e.g. "no effect"). */
  fault: 12,
  /** Message dropped: a = from, b = message; the reason is the kind. */
  dropCut: 13,
  dropLoss: 14,
  dropDown: 15,
  /** Message duplicated by the network: a = from, b = message. */
  duplicate: 16,
  /** Some other input (operator request, local event): a = the input. */
  input: 17,
  /** The tie-breaker's decision: a = requestId, b = granted. */
  arbiter: 18,
  /** Node paused or resumed: a = queued inputs delivered on resume. */
  pause: 19,
  resume: 20,
  crash: 21,
  /** A dead man switch halted a node paused too long. */
  deadman: 22,
  /** An invariant failed: a = name, b = message. */
  violation: 23,
} as const;
export type TraceKind = (typeof TraceKind)[keyof typeof TraceKind];

const KIND_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(TraceKind)) names[code] = name;
  return names;
})();

export class TraceRing {
  readonly capacity: number;
  readonly #t: Float64Array;
  readonly #node: Int32Array;
  readonly #kind: Uint8Array;
  readonly #a: unknown[];
  readonly #b: unknown[];
  #next = 0;
  #total = 0;

  /** `capacity` 0 turns recording off. */
  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.#t = new Float64Array(this.capacity);
    this.#node = new Int32Array(this.capacity);
    this.#kind = new Uint8Array(this.capacity);
    this.#a = new Array<unknown>(this.capacity).fill(undefined);
    this.#b = new Array<unknown>(this.capacity).fill(undefined);
  }

  /** Records written since creation, including those overwritten. */
  get total(): number {
    return this.#total;
  }

  /** `node` is a node number, or 0 for the world (faults). */
  record(t: number, node: number, kind: TraceKind, a?: unknown, b?: unknown): void {
    this.#total++;
    if (this.capacity === 0) return;
    const i = this.#next;
    this.#t[i] = t;
    this.#node[i] = node;
    this.#kind[i] = kind;
    this.#a[i] = a;
    this.#b[i] = b;
    this.#next = i + 1 === this.capacity ? 0 : i + 1;
  }

  /** The last `limit` records (all that are kept by default), oldest first, as text lines. */
  lines(limit = Infinity): string[] {
    const kept = Math.min(this.#total, this.capacity);
    const count = Math.min(kept, limit);
    const out: string[] = [];
    for (let k = kept - count; k < kept; k++) {
      const i = (this.#next - kept + k + this.capacity) % this.capacity;
      out.push(
        formatRecord(
          this.#t[i] as number,
          this.#node[i] as number,
          this.#kind[i] as TraceKind,
          this.#a[i],
          this.#b[i],
        ),
      );
    }
    return out;
  }
}

/** One record as one line: time (ms), the node (or "--" for the world), the kind, details. */
export function formatRecord(
  t: number,
  node: number,
  kind: TraceKind,
  a: unknown,
  b: unknown,
): string {
  const time = String(t).padStart(9);
  const who = (node === 0 ? '--' : `n${node}`).padEnd(5);
  const name = (KIND_NAMES[kind] ?? `kind${kind}`).padEnd(14);
  return `${time} ${who} ${name} ${details(kind, a, b)}`.trimEnd();
}

function details(kind: TraceKind, a: unknown, b: unknown): string {
  switch (kind) {
    case TraceKind.start:
      return `incarnation ${formatValue(a)}`;
    case TraceKind.recv:
    case TraceKind.dropCut:
    case TraceKind.dropLoss:
    case TraceKind.dropDown:
    case TraceKind.duplicate:
      return `from n${formatValue(a)} ${formatValue(b)}`;
    case TraceKind.liveness:
      return `up ${formatValue(a)}`;
    case TraceKind.run:
      return `${formatValue(a)} ${formatValue(b)}`;
    case TraceKind.runResult:
    case TraceKind.input:
      return formatValue(a);
    case TraceKind.tiebreak:
      return formatValue(a);
    case TraceKind.tiebreakResult:
    case TraceKind.arbiter:
      return `${formatValue(a)} ${b === true ? 'granted' : 'denied'}`;
    case TraceKind.holding:
      return `${formatValue(a)} ${b === true ? 'held' : 'released'}`;
    case TraceKind.log: {
      const e = a as { level?: unknown; msg?: unknown; fields?: unknown };
      const fields = e.fields === undefined ? '' : ` ${formatValue(e.fields)}`;
      return `${String(e.level)} ${String(e.msg)}${fields}`;
    }
    case TraceKind.fault:
      return `${formatValue(a)}${typeof b === 'string' ? ` (${b})` : ''}`;
    case TraceKind.resume:
      return `${formatValue(a)} queued input(s)`;
    case TraceKind.violation:
      return `${String(a)}: ${String(b)}`;
    case TraceKind.wake:
    case TraceKind.exit:
    case TraceKind.pause:
    case TraceKind.crash:
    case TraceKind.deadman:
      return '';
  }
}

/**
 * A compact, deterministic rendering of any value: JSON-like, with Map, Set, bigint and
 * undefined spelled out, nesting and length bounded so a huge state cannot flood a report.
 */
export function formatValue(value: unknown, maxLength = 400): string {
  const text = render(value, 0);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

const MAX_DEPTH = 6;

function render(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return value.toString();
    case 'function':
      return '[function]';
    case 'object':
      break;
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth + 1)).join(',')}]`;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${render(k, depth + 1)}=>${render(v, depth + 1)}`);
    return `Map{${entries.join(',')}}`;
  }
  if (value instanceof Set) return `Set{${[...value].map((v) => render(v, depth + 1)).join(',')}}`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}:${render(v, depth + 1)}`,
  );
  return `{${entries.join(',')}}`;
}
