// The check every group services message from the network passes before the core sees it.
// For now the envelope only (the layer and the message type); the protocol step that receives
// it runs under a guard in service.ts, so a malformed field costs the message, never the agent.

import type { GroupMessage } from '../../core/group/node.js';

const LAYERS = new Set(['membership', 'agreement', 'lease', 'cm']);

export function parseGroupMessage(x: unknown): GroupMessage | null {
  if (typeof x !== 'object' || x === null) return null;
  const { layer, msg } = x as { layer?: unknown; msg?: unknown };
  if (typeof layer !== 'string' || !LAYERS.has(layer)) return null;
  if (typeof msg !== 'object' || msg === null) return null;
  if (typeof (msg as { type?: unknown }).type !== 'string') return null;
  return x as GroupMessage;
}
