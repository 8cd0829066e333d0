// Time as an input. The core never reads the clock itself: whoever drives it (the agent,
// the simulator, a test) decides what "now" is, which is what makes a run replayable.

export interface Clock {
  /**
   * Milliseconds on a clock that never goes backwards and is not stepped by NTP or an
   * operator. Its origin is arbitrary: only differences mean anything. Use it for every
   * timeout, interval and liveness decision.
   */
  monotonicMs(): number;

  /**
   * Milliseconds since the Unix epoch, as the system believes it. It can jump in either
   * direction, so it is only for display and logs, never for deciding anything.
   */
  wallMs(): number;
}
