// Liveness on three levels, as pure functions: interface states -> the state of a network
// for one node -> the state of the node.

/**
 * 'unknown': not decided yet (never heard, and the start-up window has not elapsed).
 * Once a thing is 'up' or 'down' it never returns to 'unknown'.
 */
export type LinkState = 'unknown' | 'up' | 'down';

/**
 * The state of a group of paths (a node's interfaces on one network, or a node's networks):
 * down when every member is down, up when any member is up. Otherwise (some members still
 * unknown, none up) it keeps its previous state: a group that was up stays up until every
 * member is known to be down, so an interface still in its start-up window can neither
 * raise a node nor let it be declared dead early.
 */
export function deriveLevel(previous: LinkState, members: readonly LinkState[]): LinkState {
  if (members.length === 0) return previous;
  if (members.every((m) => m === 'down')) return 'down';
  if (members.some((m) => m === 'up')) return 'up';
  return previous === 'up' ? 'up' : 'unknown';
}

/** The direction of a change worth an event, or null: nothing is reported on entering 'unknown'. */
export function transition(previous: LinkState, next: LinkState): 'up' | 'down' | null {
  if (previous === next || next === 'unknown') return null;
  return next;
}
