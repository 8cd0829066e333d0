// Safety properties that hold for any cluster protocol, ready to put in a scenario.
import type { Invariant, World } from './world.js';

/**
 * No exclusive resource group is held by two nodes at once: the split brain a cluster manager
 * exists to prevent. Counts every node the world believes holds it, paused ones included (a
 * frozen machine still owns its addresses); a crash releases everything the node held.
 *
 * Incremental: holdings only grow through a node's own step, so after a step only the groups
 * of the node that stepped are looked at; after a fault, all of them.
 */
export function exclusiveHolding<S>(): Invariant<S> {
  return {
    name: 'exclusive-holding',
    check(world: World<S>): string | undefined {
      const stepped = world.lastStepped;
      let groups: Iterable<string>;
      if (stepped === undefined) groups = world.groups();
      else {
        const held = world.heldBy(stepped);
        if (held.size === 0) return undefined;
        groups = held.keys();
      }
      for (const group of groups) {
        if (!world.isExclusive(group)) continue;
        const holders = world.holders(group);
        if (holders.length > 1) {
          return `exclusive group ${group} held by ${holders.map((n) => `${n} (${world.status(n)})`).join(' and ')}`;
        }
      }
      return undefined;
    },
  };
}
