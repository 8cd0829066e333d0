// The check every group services message from the network passes before the core sees it
// (core/group/message-check.ts: every field of every message type, bounded).

import { parseGroupMessage as check } from '../../core/group/message-check.js';
import type { GroupMessage } from '../../core/group/node.js';

/** The message, rebuilt from its known fields; null when it is not a valid group message. */
export function parseGroupMessage(x: unknown): GroupMessage | null {
  const r = check(x);
  return r.ok ? r.message : null;
}
