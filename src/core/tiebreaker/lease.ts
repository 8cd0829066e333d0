// The tie-breaker's decision: one lease, by node number. The quorum server (cli/tiebreaker.ts)
// decides with it, and the simulator models the tie-breaker with it (sim/models.ts).
import type { NodeNo } from '../cluster/node.js';

export interface Lease {
  readonly holder: NodeNo;
  readonly untilMs: number;
}

export class LeaseTiebreaker {
  readonly #leaseMs: number;
  readonly #renewable: boolean;
  #lease: Lease | undefined;

  constructor(leaseMs: number, renewable: boolean) {
    this.#leaseMs = leaseMs;
    this.#renewable = renewable;
  }

  /**
   * A request from `node` has arrived at `nowMs`: granted when the lease is free (never granted
   * or expired), or held by `node` and renewable; the grant runs `leaseMs` from now.
   */
  decide(node: NodeNo, nowMs: number): boolean {
    const lease = this.#lease;
    const free = lease === undefined || nowMs >= lease.untilMs;
    const granted = free || (this.#renewable && lease.holder === node);
    if (granted) this.#lease = { holder: node, untilMs: nowMs + this.#leaseMs };
    return granted;
  }

  /** The lease in force at `nowMs`, if any. */
  current(nowMs: number): Lease | undefined {
    const lease = this.#lease;
    return lease !== undefined && nowMs < lease.untilMs ? lease : undefined;
  }
}
