// The virtual network's connectivity: a directed matrix saying whether a message sent by one
// node can reach another, and the partition shapes that break clusters (see README.md, "Fault
// model"). Loss, delay and duplication are the engine's message model (engine.ts); this file
// only says which links exist.
//
// Every helper sets exactly the links it names and leaves the others as they are, so shapes
// compose (a split, then a one-way link across it) and `heal()` undoes them all.
import { InvalidArgumentError } from '../core/errors.js';
import type { NodeNo } from '../core/cluster/node.js';

/** Highest node number the cluster definition allows. */
const MAX_NODE_NO = 1024;

export class Network {
  readonly nodes: readonly NodeNo[];
  readonly #size: number;
  // #link[from * size + to] === 1 when `from`'s messages reach `to`. A node always reaches itself.
  readonly #link: Uint8Array;
  readonly #index: Int16Array;
  #onChange: (() => void) | undefined;

  /** `nodes`: distinct node numbers in 1..1024, kept in ascending order. */
  constructor(nodes: readonly NodeNo[]) {
    const sorted = [...nodes].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      const n = sorted[i] as number;
      if (!Number.isInteger(n) || n < 1 || n > MAX_NODE_NO || n === sorted[i - 1]) {
        throw new InvalidArgumentError('nodes', nodes, 'distinct node numbers in 1..1024');
      }
    }
    if (sorted.length === 0) throw new InvalidArgumentError('nodes', nodes, 'at least one node');
    this.nodes = sorted;
    this.#size = sorted.length;
    this.#link = new Uint8Array(this.#size * this.#size).fill(1);
    this.#index = new Int16Array(MAX_NODE_NO + 1).fill(-1);
    sorted.forEach((n, i) => (this.#index[n] = i));
  }

  /** Called after every change of the matrix (the engine re-derives liveness from it). */
  set onChange(listener: (() => void) | undefined) {
    this.#onChange = listener;
  }

  /** The node's position in `nodes`, or -1 when it is not in the cluster. */
  indexOf(node: NodeNo): number {
    return Number.isInteger(node) && node >= 0 && node <= MAX_NODE_NO
      ? (this.#index[node] as number)
      : -1;
  }

  /** Whether a message sent now by `from` reaches `to`. */
  canSend(from: NodeNo, to: NodeNo): boolean {
    return this.canSendIndex(this.#need(from), this.#need(to));
  }

  /** canSend by positions in `nodes`: the engine's hot path. */
  canSendIndex(from: number, to: number): boolean {
    return this.#link[from * this.#size + to] === 1;
  }

  /** Sets the one directed link from -> to. */
  setDirected(from: NodeNo, to: NodeNo, up: boolean): void {
    this.#set(this.#need(from), this.#need(to), up);
    this.#changed();
  }

  /** Sets both directions between a and b (a flapping link toggles this). */
  setLink(a: NodeNo, b: NodeNo, up: boolean): void {
    const i = this.#need(a);
    const j = this.#need(b);
    this.#set(i, j, up);
    this.#set(j, i, up);
    this.#changed();
  }

  /** `node` neither hears nor is heard by anyone: its cable is pulled. */
  isolate(node: NodeNo): void {
    const i = this.#need(node);
    for (let j = 0; j < this.#size; j++) {
      this.#set(i, j, false);
      this.#set(j, i, false);
    }
    this.#changed();
  }

  /**
   * No message crosses between `a` and `b`, either way; links inside each side are left alone.
   * With a the larger side this is the clean majority/minority split; equal sides make a tie.
   */
  split(a: readonly NodeNo[], b: readonly NodeNo[]): void {
    const ia = a.map((n) => this.#need(n));
    const ib = b.map((n) => this.#need(n));
    for (const i of ia) {
      for (const j of ib) {
        this.#set(i, j, false);
        this.#set(j, i, false);
      }
    }
    this.#changed();
  }

  /**
   * `node` hears and is heard by every node of both halves, while the halves do not hear each
   * other: the partial partition where "who is connected to whom" is not transitive. `node`
   * itself is ignored if listed in a half.
   */
  bridge(node: NodeNo, a: readonly NodeNo[], b: readonly NodeNo[]): void {
    const k = this.#need(node);
    const ia = a.map((n) => this.#need(n)).filter((i) => i !== k);
    const ib = b.map((n) => this.#need(n)).filter((i) => i !== k);
    for (const i of ia) {
      for (const j of ib) {
        this.#set(i, j, false);
        this.#set(j, i, false);
      }
    }
    for (const i of [...ia, ...ib]) {
      this.#set(i, k, true);
      this.#set(k, i, true);
    }
    this.#changed();
  }

  /** `from`'s messages reach `to`, but `to`'s do not reach `from`. */
  oneWay(from: NodeNo, to: NodeNo): void {
    const i = this.#need(from);
    const j = this.#need(to);
    this.#set(i, j, true);
    this.#set(j, i, false);
    this.#changed();
  }

  /** Every link up again. */
  heal(): void {
    this.#link.fill(1);
    this.#changed();
  }

  /** Whether every link is up. */
  get healed(): boolean {
    return this.#link.every((v) => v === 1);
  }

  #set(from: number, to: number, up: boolean): void {
    // A node always reaches itself: there is no cable to cut between a process and its loopback.
    if (from !== to) this.#link[from * this.#size + to] = up ? 1 : 0;
  }

  #need(node: NodeNo): number {
    const i = this.indexOf(node);
    if (i < 0) throw new InvalidArgumentError('node', node, `one of ${this.nodes.join(', ')}`);
    return i;
  }

  #changed(): void {
    this.#onChange?.();
  }
}
