// The agent's log: one JSON object per line on standard output, which journald stores as is
// and `jq` reads. Fields: time (ISO 8601), level, msg, then the node, the cluster and the
// details. Writes are asynchronous (process.stdout to a pipe or file), and the heartbeats run
// in their own thread, so a slow log sink cannot delay them.

import { toJson } from './control/messages.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export class Logger {
  #fields: Record<string, unknown> = {};

  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l)) {}

  /** Adds fields to every later line. */
  bind(fields: Record<string, unknown>): void {
    this.#fields = { ...this.#fields, ...fields };
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}, wallMs = Date.now()): void {
    const line = { time: new Date(wallMs).toISOString(), level, msg, ...this.#fields, ...fields };
    this.write(`${toJson(line)}\n`);
  }

  debug(msg: string, fields?: Record<string, unknown>, wallMs?: number): void {
    this.log('debug', msg, fields, wallMs);
  }
  info(msg: string, fields?: Record<string, unknown>, wallMs?: number): void {
    this.log('info', msg, fields, wallMs);
  }
  warn(msg: string, fields?: Record<string, unknown>, wallMs?: number): void {
    this.log('warn', msg, fields, wallMs);
  }
  error(msg: string, fields?: Record<string, unknown>, wallMs?: number): void {
    this.log('error', msg, fields, wallMs);
  }
}
