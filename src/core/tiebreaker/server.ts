// The quorum server's decision, pure: a request in, a reply and what to log out. The lease
// itself is LeaseTiebreaker's (the one the simulator checks); this adds what a real server must
// know besides: which nodes are the cluster's, how long a lease the asker will believe, and
// that after a start it remembers nothing.
//
// Safety rests on two rules. A grant runs `leaseMs` from the request's arrival here, and the
// asker believes it for its own lease counted from when it sent the request, which is earlier:
// so the server must never grant for less than the asker believes (a longer request is
// denied). And a server that has just started does not know whom it granted before it
// stopped: that half may believe its grant for up to `leaseMs` still, so for `leaseMs` after
// a start it grants nobody. The old holder lets its groups go only when its belief runs out, and
// stopping them takes a moment: another node gets the lease only `handoverMs` after it ended
// (and the quiet time after a start is as much longer).

import { LeaseTiebreaker } from './lease.js';
import type { TiebreakReply, TiebreakRequest } from './wire.js';

export interface TiebreakerDeciderOptions {
  readonly clusterId: number;
  /** The cluster's node ids: a request from any other is denied. */
  readonly nodes: ReadonlySet<number>;
  /** How long a grant runs here, from the request's arrival. */
  readonly leaseMs: number;
  /** The server's monotonic clock when it started: the quiet time counts from it. */
  readonly startMs: number;
  /**
   * After a lease ends, how long before another node may have it: the old holder lets its
   * groups go when its belief runs out, and stopping them takes time. @default 2000
   */
  readonly handoverMs?: number;
}

export interface TiebreakerLogLine {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface TiebreakerDecision {
  readonly reply: TiebreakReply;
  readonly log: readonly TiebreakerLogLine[];
}

export class TiebreakerDecider {
  readonly #o: TiebreakerDeciderOptions;
  readonly #lease: LeaseTiebreaker;
  /** The holder last logged, to log each change once (an expiry shows at the next request). */
  #holder: number | undefined;

  constructor(o: TiebreakerDeciderOptions) {
    this.#o = o;
    this.#lease = new LeaseTiebreaker(o.leaseMs, true);
  }

  /** The last lease granted (it may have expired since): the hand-over gap counts from its end. */
  #last: { readonly holder: number; readonly untilMs: number } | undefined;

  get #handoverMs(): number {
    return this.#o.handoverMs ?? 2000;
  }

  /** Until when (monotonic ms) the server grants nobody after its start. */
  get quietUntilMs(): number {
    return this.#o.startMs + this.#o.leaseMs + this.#handoverMs;
  }

  decide(req: TiebreakRequest, nowMs: number): TiebreakerDecision {
    const log: TiebreakerLogLine[] = [];
    const base = {
      clusterId: this.#o.clusterId,
      node: req.node,
      incarnation: req.incarnation,
      requestId: req.requestId,
    };
    const fields = {
      node: req.node,
      incarnation: req.incarnation.toString(),
      requestId: req.requestId,
    };
    const deny = (
      remainingMs: number,
      msg: string,
      level: 'info' | 'warn' = 'info',
    ): TiebreakerDecision => {
      const held = this.#lease.current(nowMs);
      this.#changed(held?.holder, log);
      log.push({ level, msg, fields: { ...fields, holder: held?.holder ?? null, remainingMs } });
      return {
        reply: { ...base, granted: false, holder: held?.holder, remainingMs },
        log,
      };
    };
    if (!this.#o.nodes.has(req.node))
      return deny(
        0,
        `denied: node ${String(req.node)} is not in this cluster's definition (check that the server and the agents use the same cluster definition)`,
        'warn',
      );
    if (req.leaseMs > this.#o.leaseMs)
      return deny(
        0,
        `denied: the node would believe a grant for ${String(req.leaseMs)}ms, longer than this server's lease of ${String(this.#o.leaseMs)}ms (start the server with a lease at least as long)`,
        'warn',
      );
    if (nowMs < this.quietUntilMs)
      return deny(
        this.quietUntilMs - nowMs,
        'denied: the server started less than a lease ago and does not know whom it granted before',
      );
    const last = this.#last;
    if (
      last !== undefined &&
      last.holder !== req.node &&
      nowMs >= last.untilMs &&
      nowMs < last.untilMs + this.#handoverMs
    )
      return deny(
        last.untilMs + this.#handoverMs - nowMs,
        `denied: node ${String(last.holder)}'s lease ended less than ${String(this.#handoverMs)}ms ago, and it may still be letting its groups go`,
      );
    const before = this.#lease.current(nowMs)?.holder;
    const granted = this.#lease.decide(req.node, nowMs);
    const held = this.#lease.current(nowMs);
    const remainingMs = held ? held.untilMs - nowMs : 0;
    if (!granted) return deny(remainingMs, 'denied: the lease is held by another node');
    if (held) this.#last = { holder: held.holder, untilMs: held.untilMs };
    this.#changed(held?.holder, log);
    log.push({
      level: 'info',
      msg: before === req.node ? 'granted: lease renewed' : 'granted: lease taken',
      fields: { ...fields, holder: req.node, remainingMs },
    });
    return { reply: { ...base, granted: true, holder: req.node, remainingMs }, log };
  }

  #changed(holder: number | undefined, log: TiebreakerLogLine[]): void {
    if (holder === this.#holder) return;
    log.push({
      level: 'info',
      msg: 'lease holder changed',
      fields: { from: this.#holder ?? null, to: holder ?? null },
    });
    this.#holder = holder;
  }
}
