// The tie-breaker's decision, shared with the quorum server: see core/tiebreaker/lease.ts.
export { LeaseTiebreaker, type Lease } from '../core/tiebreaker/lease.js';
