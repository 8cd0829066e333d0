// The agent's control socket: a unix socket that only root (the socket's owner) can open,
// serving the haven command. A request that cannot be parsed gets an error answer; nothing a
// client sends can stop the agent.

import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeFrame, FrameDecoder } from '../../core/framing.js';
import type { StreamConnection, StreamListener } from '../../core/ports/transport.js';
import { NetStreamTransport } from '../../runtime/stream.js';
import {
  CONTROL_MAX_FRAME_BYTES,
  toJson,
  type ControlRequest,
  type ControlResponse,
} from './messages.js';

export type ControlHandler = (params: Record<string, unknown>) => Promise<unknown>;

/** A handler's refusal, with a stable code for the client. */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Another agent answers on this socket path. */
export class SocketInUseError extends Error {
  constructor(readonly path: string) {
    super(
      `another Haven agent is already listening on ${path}; stop it first, or give this one --socket`,
    );
  }
}

export class ControlServer {
  readonly #listener: StreamListener;
  readonly #path: string;

  private constructor(listener: StreamListener, path: string) {
    this.#listener = listener;
    this.#path = path;
  }

  static async start(
    path: string,
    handlers: ReadonlyMap<string, ControlHandler>,
    onError: (error: Error) => void,
  ): Promise<ControlServer> {
    const transport = new NetStreamTransport();
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await removeStaleSocket(path, transport);
    const listener = await transport.listen(
      { kind: 'unix', path },
      {
        onConnection: (c) => {
          serve(c, handlers);
        },
        onError,
      },
    );
    // Root only: the socket grants control of the cluster.
    await chmod(path, 0o600);
    return new ControlServer(listener, path);
  }

  async stop(): Promise<void> {
    await this.#listener.close();
    await unlink(this.#path).catch(() => undefined);
  }
}

async function removeStaleSocket(path: string, transport: NetStreamTransport): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) {
    throw new Error(`${path} exists and is not a socket; remove it or choose another --socket`);
  }
  let answered = false;
  try {
    const c = await transport.connect({ kind: 'unix', path });
    answered = true;
    c.close();
  } catch {
    // Nobody answers: a leftover of an agent that did not stop cleanly.
  }
  if (answered) throw new SocketInUseError(path);
  await unlink(path);
}

function serve(c: StreamConnection, handlers: ReadonlyMap<string, ControlHandler>): void {
  const decoder = new FrameDecoder(CONTROL_MAX_FRAME_BYTES);
  const reply = (r: ControlResponse): void => {
    c.write(encodeFrame(new TextEncoder().encode(toJson(r)), CONTROL_MAX_FRAME_BYTES));
  };
  c.onData((bytes) => {
    let frames: Uint8Array[];
    try {
      frames = decoder.push(bytes);
    } catch {
      reply({
        id: 0,
        ok: false,
        error: { code: 'bad-frame', message: 'the request is not a valid frame' },
      });
      c.close();
      return;
    }
    for (const f of frames) void answer(f, handlers).then(reply);
  });
}

async function answer(
  frame: Uint8Array,
  handlers: ReadonlyMap<string, ControlHandler>,
): Promise<ControlResponse> {
  let req: Partial<ControlRequest>;
  try {
    req = JSON.parse(new TextDecoder().decode(frame)) as Partial<ControlRequest>;
  } catch {
    return { id: 0, ok: false, error: { code: 'bad-request', message: 'the request is not JSON' } };
  }
  const id = typeof req.id === 'number' ? req.id : 0;
  const handler = typeof req.method === 'string' ? handlers.get(req.method) : undefined;
  if (!handler) {
    return {
      id,
      ok: false,
      error: { code: 'unknown-method', message: `unknown method ${String(req.method)}` },
    };
  }
  try {
    // The request came off the wire: whatever the type says, params may be anything.
    const raw: unknown = req.params;
    const params = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    return { id, ok: true, result: await handler(params) };
  } catch (e) {
    const code = e instanceof ControlError ? e.code : 'failed';
    return { id, ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } };
  }
}
