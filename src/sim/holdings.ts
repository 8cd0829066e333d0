// The world's record of who holds which resource group, built from `holding` effects: what the
// simulator's safety invariants judge (a split brain is two holders of an exclusive group).
import type { NodeNo } from '../core/cluster/node.js';

const NONE: readonly NodeNo[] = Object.freeze([]);
const NOTHING: ReadonlyMap<string, boolean> = new Map();

export class Holdings {
  // Per group, its holders ascending. Lists are replaced, never changed in place, so an
  // invariant that kept an older list does not see it change under it.
  readonly #holders = new Map<string, readonly NodeNo[]>();
  readonly #exclusive = new Map<string, boolean>();
  // Per node, its groups and the `exclusive` flag of its last effect for each.
  readonly #byNode = new Map<NodeNo, Map<string, boolean>>();

  /** A holding effect of `node`. */
  set(node: NodeNo, group: string, held: boolean, exclusive: boolean): void {
    this.#exclusive.set(group, exclusive);
    let mine = this.#byNode.get(node);
    if (mine === undefined) this.#byNode.set(node, (mine = new Map<string, boolean>()));
    if (held) mine.set(group, exclusive);
    else mine.delete(group);
    const list = this.#holders.get(group) ?? NONE;
    const has = list.includes(node);
    if (held === has) {
      if (!this.#holders.has(group)) this.#holders.set(group, NONE);
      return;
    }
    this.#holders.set(
      group,
      held ? [...list, node].sort((a, b) => a - b) : list.filter((x) => x !== node),
    );
  }

  /** Everything `node` held is gone (a crash); returns the groups it held. */
  clear(node: NodeNo): string[] {
    const mine = this.#byNode.get(node);
    if (mine === undefined || mine.size === 0) return [];
    const groups = [...mine.keys()];
    for (const group of groups) this.set(node, group, false, mine.get(group) ?? false);
    return groups;
  }

  holders(group: string): readonly NodeNo[] {
    return this.#holders.get(group) ?? NONE;
  }

  heldBy(node: NodeNo): ReadonlyMap<string, boolean> {
    return this.#byNode.get(node) ?? NOTHING;
  }

  groups(): Iterable<string> {
    return this.#holders.keys();
  }

  isExclusive(group: string): boolean {
    return this.#exclusive.get(group) ?? false;
  }
}
