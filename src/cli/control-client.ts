// Asks a running agent something over its control socket.

import { encodeFrame, FrameDecoder } from '../core/framing.js';
import { TransportError } from '../core/errors.js';
import { NetStreamTransport } from '../runtime/stream.js';
import { CONTROL_MAX_FRAME_BYTES, type ControlResponse } from '../agent/control/messages.js';

export const DEFAULT_SOCKET = '/run/haven/haven.sock';

/** A failure to reach or use the agent, with what to do about it. */
export class AgentUnreachableError extends Error {}

/**
 * The agent answered, and refused: the message is the agent's own (for an operator request:
 * why it cannot be done). A subclass, so that callers that treat every agent failure alike
 * still print the message; callers that care (the operator requests) tell the two apart.
 */
export class AgentRefusedError extends AgentUnreachableError {
  constructor(
    readonly method: string,
    /** The agent's error code: not-found, invalid, unavailable, unknown-method, failed... */
    readonly code: string,
    /** The agent's message, as it sent it. */
    readonly reason: string,
  ) {
    super(
      code === 'unknown-method'
        ? `the agent on this node does not know ${method}: it is older than this haven command; upgrade it and restart it`
        : reason,
    );
  }
}

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
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.close();
      f();
    };
    const timer = setTimeout(() => {
      settle(() => {
        reject(
          new AgentUnreachableError(
            `the agent on ${socketPath} did not answer ${method} within ${timeoutMs}ms: it may be busy or hung (haven logs cluster)`,
          ),
        );
      });
    }, timeoutMs);
    conn.onData((bytes) => {
      // A broken answer (an oversize frame, not JSON) is the agent's fault, and said as such
      // rather than thrown out of a socket callback.
      let r: ControlResponse;
      try {
        const [frame] = decoder.push(bytes);
        if (!frame) return;
        r = JSON.parse(new TextDecoder().decode(frame)) as ControlResponse;
      } catch (e) {
        settle(() => {
          reject(
            new AgentUnreachableError(
              `the agent sent an answer to ${method} that cannot be read (${e instanceof Error ? e.message : String(e)}); is the agent the same version as this haven command?`,
            ),
          );
        });
        return;
      }
      settle(() => {
        if (r.ok) resolve(r.result);
        else reject(new AgentRefusedError(method, r.error.code, r.error.message));
      });
    });
    conn.onClose(() => {
      settle(() => {
        reject(
          new AgentUnreachableError(`the agent closed the connection without answering ${method}`),
        );
      });
    });
    const body = new TextEncoder().encode(JSON.stringify({ id: 1, method, params }));
    conn.write(encodeFrame(body, CONTROL_MAX_FRAME_BYTES));
  });
}
