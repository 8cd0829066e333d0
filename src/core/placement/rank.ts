// Dynamic node priority: at fallover, rank the candidate nodes by a fact about each one.

import type { DynamicPriorityPolicy } from '../config/model.js';
import type { NodeFacts } from './types.js';

const PHRASE: Record<DynamicPriorityPolicy, string> = {
  'most-free-memory': 'has the most free memory',
  'most-idle-cpu': 'has the most idle CPU',
  'least-busy-disk': 'has the least busy disk',
  script: 'ranks highest by the dynamic priority script',
};

function valueOf(
  policy: DynamicPriorityPolicy,
  group: string,
  f: NodeFacts | undefined,
): number | undefined {
  let v: number | undefined;
  switch (policy) {
    case 'most-free-memory':
      v = f?.freeMemory;
      break;
    case 'most-idle-cpu':
      v = f?.idleCpu;
      break;
    case 'least-busy-disk':
      // Lower is better: negate, so that every policy ranks the highest value first.
      v = f?.diskBusy === undefined ? undefined : -f.diskBusy;
      break;
    case 'script':
      v = f?.script && Object.hasOwn(f.script, group) ? f.script[group] : undefined;
      break;
  }
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * The best of `candidates` (given in list order, which breaks ties) for `group` under
 * `policy`, and the reason's phrase. Nodes without a value rank after those with one; when
 * no candidate has a value the ranking is the list order, and the phrase says so.
 */
export function rankNodes(
  candidates: readonly string[],
  policy: DynamicPriorityPolicy,
  group: string,
  facts: Readonly<Record<string, NodeFacts>>,
): { node: string; phrase: string } | undefined {
  let best: { node: string; value: number | undefined } | undefined;
  for (const node of candidates) {
    const value = valueOf(policy, group, Object.hasOwn(facts, node) ? facts[node] : undefined);
    if (
      best === undefined ||
      (value !== undefined && (best.value === undefined || value > best.value))
    ) {
      best = { node, value };
    }
  }
  if (best === undefined) return undefined;
  return {
    node: best.node,
    phrase:
      best.value === undefined
        ? `next in priority (no ${policy} data)`
        : `${PHRASE[policy]} (${policy})`,
  };
}
