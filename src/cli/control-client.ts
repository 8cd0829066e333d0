// Asks a running agent something over its control socket.

import { encodeFrame, FrameDecoder } from '../core/framing.js';
import { TransportError } from '../core/errors.js';
import { NetStreamTransport } from '../runtime/stream.js';
import { CONTROL_MAX_FRAME_BYTES, type ControlResponse } from '../agent/control/messages.js';

export const DEFAULT_SOCKET = '/run/haven/haven.sock';

/** A failure to reach or use the agent, with what to do about it. */
export class AgentUnreachableError extends Error {}

export async function callAgent(
  socketPath: string,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<unknown> {
  const transport = new NetStreamTransport();
  const signal = AbortSignal.timeout(timeoutMs);
  let c;
  try {
    c = await transport.connect({ kind: 'unix', path: socketPath }, { signal });
  } catch (e) {
    const errno = e instanceof TransportError ? (e.details as { errno?: string }).errno : undefined;
    const why =
      errno === 'ENOENT'
        ? `no agent socket at ${socketPath}: is the Haven agent running on this node? (systemctl status haven, or haven agent)`
        : errno === 'ECONNREFUSED'
          ? `nothing answers on ${socketPath}: the agent is not running (a stale socket is left)`
          : errno === 'EACCES'
            ? `permission denied on ${socketPath}: the control socket is for root; run the command as root (sudo)`
            : `cannot reach the agent on ${socketPath}: ${e instanceof Error ? e.message : String(e)}`;
    throw new AgentUnreachableError(why);
  }
  const conn = c;
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(CONTROL_MAX_FRAME_BYTES);
    const timer = setTimeout(() => {
      conn.close();
      reject(new AgentUnreachableError(`the agent did not answer within ${timeoutMs}ms`));
    }, timeoutMs);
    conn.onData((bytes) => {
      const [frame] = decoder.push(bytes);
      if (!frame) return;
      clearTimeout(timer);
      conn.close();
      const r = JSON.parse(new TextDecoder().decode(frame)) as ControlResponse;
      if (r.ok) resolve(r.result);
      else reject(new AgentUnreachableError(`the agent refused ${method}: ${r.error.message}`));
    });
    conn.onClose(() => {
      clearTimeout(timer);
      reject(new AgentUnreachableError('the agent closed the connection without answering'));
    });
    const body = new TextEncoder().encode(JSON.stringify({ id: 1, method, params }));
    conn.write(encodeFrame(body, CONTROL_MAX_FRAME_BYTES));
  });
}
