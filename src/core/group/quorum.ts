// Quorum: a partition may acquire resources only while its view holds more than half of the
// configured votes; at exactly half, only with the tie-breaker (a disk lease or a quorum
// server, asked through the `tiebreak` effect). Pure.

import type { NodeNo } from '../cluster/node.js';

export interface Votes {
  /** Votes per configured node (nodes[].votes). */
  readonly byNode: ReadonlyMap<NodeNo, number>;
  readonly total: number;
  /** Whether a tie-breaker is configured (quorum.tieBreaker is not none). */
  readonly tieBreaker: boolean;
}

export function votesOf(
  nodes: readonly { readonly id: number; readonly votes: number }[],
  tieBreaker: boolean,
): Votes {
  const byNode = new Map(nodes.map((n) => [n.id, n.votes]));
  return { byNode, total: [...byNode.values()].reduce((a, b) => a + b, 0), tieBreaker };
}

export type QuorumVerdict =
  /** More than half: quorum. */
  | 'majority'
  /** Exactly half with a tie-breaker configured: quorum only once the tie-breaker grants it. */
  | 'tie'
  /** Less than half, or half without a tie-breaker: no quorum. */
  | 'minority';

export function judgeQuorum(votes: Votes, members: readonly NodeNo[]): QuorumVerdict {
  const held = members.reduce((sum, m) => sum + (votes.byNode.get(m) ?? 0), 0);
  if (held * 2 > votes.total) return 'majority';
  if (held * 2 === votes.total && votes.tieBreaker && held > 0) return 'tie';
  return 'minority';
}
