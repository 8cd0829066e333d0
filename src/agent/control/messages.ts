// The control protocol between the haven command and a running agent, over the agent's unix
// socket: one JSON request, one JSON response, each in a length-prefixed frame.

export const CONTROL_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface ControlRequest {
  readonly id: number;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

export type ControlResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string };
    };

/** JSON with bigints as strings: statuses carry incarnations. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
